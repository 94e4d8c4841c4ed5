/*
 * replay-int.h: what planning a replay (replay.c) and running its window
 * (replay-run.c) share.
 */
#ifndef PGTT_REPLAY_INT_H
#define PGTT_REPLAY_INT_H

#include <libpq-fe.h>

#include "apply.h"
#include "ddl.h"
#include "replay.h"
#include "walk.h"

#define GROUP_CHANGES	20000	/* source changes per replica transaction */

struct replay_ctx {
	const struct verb_ctx	 *vc;
	struct journal		 *j;
	const struct replay_opts *o;
	struct replay_result	 *r;
	struct relcache		  rels;
	struct applier		 *ap;
	struct ddl_matcher	  ddl;
	const struct pgtt_relation *last_noted;	/* by note_partial */
	uint32_t		 *partial_relids;	/* beside r->partial */
	uint64_t		  total;
	pgtt_lsn		  position;	/* what the replica holds now */
	/*
	 * Relation versions net effect read: kept to the end, as the
	 * applier's caches know versions by their address.
	 */
	struct pgtt_relation	**net_rels;
	size_t			  nnet_rels;
};

enum window_mode {
	MODE_GROUPED,		/* many source transactions per commit */
	MODE_SINGLE,		/* one per commit */
	MODE_SAVEPOINTS,	/* one, each change under a savepoint */
};

/* Tell opts' progress callback where the replay is. */
void	replay_progress_to(struct replay_ctx *, enum replay_phase,
	    uint64_t done);
/* Queue one change of the window (inverse: what undoes it). */
int	replay_apply_item(struct replay_ctx *, const struct walk_item *,
	    int inverse, struct pgtt_err *);
/* Apply [from, to) (backward: its inverse, newest first) in mode. */
int	replay_run_window(struct replay_ctx *, pgtt_lsn from, pgtt_lsn to,
	    int backward, enum window_mode, struct pgtt_err *);
/*
 * Apply [from, to) by its net effect (replay-net.c): 0 with why empty
 * when done; 0 with why saying why the window is not for it, nothing
 * done, and the commit LSNs of its DDL transactions in *ddl when that is
 * why (malloc'd, *nddl of them); else the error, the replica transaction
 * rolled back.
 */
int	replay_run_net(struct replay_ctx *, pgtt_lsn from, pgtt_lsn to,
	    char *why, size_t whysize, pgtt_lsn **ddl, size_t *nddl,
	    struct pgtt_err *);
/* The replica's lock_timeout for the replay's session, in seconds. */
int	replay_set_lock_timeout(PGconn *, int seconds, struct pgtt_err *);
/* Hand back the replay's cancel handle (opts' canceller), freed. */
void	replay_release_canceller(const struct verb_ctx *, PGcancel **);

#endif
