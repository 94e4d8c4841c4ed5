/*
 * verify.h: prove that logical replay and physical restore agree.
 *
 * verify brings the replica to a point by replay and a scratch cluster
 * to the same LSN by PITR, then compares, on each server, every
 * permanent table (row count, and the sums of the halves of its rows'
 * md5s, over their text forms with the columns in the restored table's
 * order) and every sequence.  The scratch cluster is stopped and removed afterwards.
 *
 * A sequence's value at an LSN is only bounded (POSTGRES-FACTS.md, D): a
 * restored sequence may stand up to SEQ_LOG_VALS (32) increments ahead
 * of the values handed out, as after any crash.  So two sequences agree
 * when their next values are at most 32 increments apart.
 */
#ifndef PGTT_VERIFY_H
#define PGTT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "journal.h"
#include "lsn.h"
#include "replay.h"
#include "verb.h"

#define VERIFY_SEQ_SLACK	32	/* PostgreSQL's SEQ_LOG_VALS */

struct verify_opts {
	const char	*point;		/* a POINT (CLI.md) */
	const char	*schema;	/* with table: compare only that one */
	const char	*table;
	const char	*session;	/* NULL: the active one */
};

/* Its progress: the phase alone (done and total are 0). */
enum verify_phase {
	VERIFY_PHASE_REPLAYING,
	VERIFY_PHASE_RESTORING,
	VERIFY_PHASE_COMPARING,
};

struct verify_table {
	char		*schema, *name;
	int64_t		 rows_replica;	/* -1: not there */
	int64_t		 rows_restored;	/* -1: not there */
	int		 equal;
	char		*why;		/* when not equal, for people */
};

struct verify_seq {
	char		*schema, *name;
	int		 on_replica, on_restored;
	int64_t		 replica_next;	/* what nextval would return */
	int64_t		 restored_next;
	int		 equal;		/* within the slack */
};

struct verify_result {
	pgtt_lsn		 lsn;
	int			 equal;
	size_t			 ntables;
	struct verify_table	*tables;	/* schema, name order */
	size_t			 nseqs;
	struct verify_seq	*seqs;
	const struct verify_table *first_diff;	/* NULL when equal */
	struct replay_result	 replay;
	char			 base_backup[64];
	int64_t			 elapsed_ms;
};

/*
 * Resolve the point, replay the replica to it, restore a scratch cluster
 * under storage.path to it, compare, then stop and remove the scratch
 * cluster whatever happened.  0 when the comparison ran (equal or not:
 * see r->equal); otherwise the failure of a step.
 */
int	verify_run(const struct verb_ctx *, const struct verify_opts *,
	    struct verify_result *, struct pgtt_err *);
/* "replaying the replica", ...: a phase in words. */
const char *verify_phase_name(enum verify_phase);
void	verify_result_done(struct verify_result *);

#endif
