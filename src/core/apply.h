/*
 * apply.h: journaled changes applied to a replica database, fast.
 *
 * Each row change becomes one execution of a statement prepared per
 * relation version, operation and shape (which columns are set, which
 * identify the row, which of those are NULL).  Values travel as text
 * parameters typed with the column's type OID (built-in types; user types
 * are left for the server to infer from the column); identifiers are
 * quoted; no value is ever spliced into SQL.
 *
 * Commands go through libpq's pipeline mode: the applier keeps a bounded
 * number of them in flight and reads their results as it goes, so the
 * server works while the next ones are built.  A failing command aborts
 * the rest of the replica transaction; apply_commit then reports which
 * change failed, with PostgreSQL's error.
 */
#ifndef PGTT_APPLY_H
#define PGTT_APPLY_H

#include <libpq-fe.h>
#include <stdint.h>

#include "ddl.h"
#include "err.h"
#include "lsn.h"
#include "record.h"

struct applier;

/* Where the failing command came from, when apply_commit fails. */
struct apply_failure {
	pgtt_lsn	 lsn;		/* commit LSN of the source transaction */
	uint32_t	 seq;		/* the change inside it */
	char		 what[200];	/* "update of public.t" */
	char		 sqlstate[6];
	char		 message[1024];
};

/* conn must be idle; the applier puts it in pipeline mode. */
int	 applier_new(struct applier **, PGconn *, struct pgtt_err *);
void	 applier_free(struct applier *);

/*
 * Read what the replica's catalog says about how to write rows: which
 * tables are owned by a role that is neither a superuser nor the replay
 * role (row changes to them run as that owner), and which columns are
 * identity GENERATED ALWAYS (never set by an UPDATE).  Only between
 * transactions (after applier_new or apply_commit), and again after DDL.
 */
int	 apply_load_catalog(struct applier *, struct pgtt_err *);
/* Start a replica transaction. */
int	 apply_begin(struct applier *, struct pgtt_err *);
/*
 * Queue one row change (insert, update, delete).  inverse queues the
 * change that undoes it, which needs the whole old row of an update or
 * delete (OLD_FULL): PGTT_EUSAGE otherwise.
 */
int	 apply_change(struct applier *, const struct pgtt_relation *,
	    const struct pgtt_change *, int inverse, struct pgtt_err *);
/*
 * Queue op (insert, update, delete) for many rows of rel at once: json is
 * a JSON array of objects, one per row, its columns by name (an insert
 * or update: every column; a delete: the key columns).  Rows are found
 * by the columns is_key flags.  Written as the owner, as apply_change
 * does; lsn names the window in a failure.
 */
int	 apply_rows(struct applier *, const struct pgtt_relation *,
	    enum change_kind op, const uint8_t *is_key, const char *json,
	    pgtt_lsn lsn, struct pgtt_err *);
/*
 * Insert many rows of rel by COPY, every column of rel in its order, in
 * COPY's text format (apply_copy_data, then apply_copy_end).  *copying
 * is 0 when the rows must go by apply_rows instead: rel's owner is not
 * trusted (COPY cannot run as the owner), or a failure is pending.
 */
int	 apply_copy_rows(struct applier *, const struct pgtt_relation *,
	    pgtt_lsn lsn, int *copying, struct pgtt_err *);
int	 apply_copy_data(struct applier *, const void *, size_t,
	    struct pgtt_err *);
/*
 * End the COPY (abort_why not NULL: abort it, the rows sent are not
 * loaded), note how it went, and go back to pipeline mode.
 */
int	 apply_copy_end(struct applier *, const char *abort_why,
	    struct pgtt_err *);
/*
 * The columns of rel that are identity GENERATED ALWAYS on the replica,
 * one flag each, or NULL when none is.
 */
const uint8_t *apply_always_identity(struct applier *,
	    const struct pgtt_relation *);
/* Queue a truncate of rels (as the change's flags say). */
int	 apply_truncate(struct applier *, const struct pgtt_change *,
	    const struct pgtt_relation *const *rels, uint32_t nrels,
	    struct pgtt_err *);
/*
 * Queue what ddl_match decided for a DDL message: nothing; its statement,
 * under the message's settings and role (see apply.c); or a refusal,
 * which fails like a statement the replica refused.
 */
int	 apply_ddl(struct applier *, const struct pgtt_change *,
	    const struct ddl_message *, const struct ddl_step *,
	    struct pgtt_err *);
/* Queue the update of pgtt.replay_state to lsn (commit_time 0: NULL). */
int	 apply_position(struct applier *, pgtt_lsn, int64_t commit_time,
	    struct pgtt_err *);
/*
 * Commit and wait for every result.  On failure the replica transaction
 * is rolled back, the connection is ready for a new one, *failure says
 * which change failed (when one did) and PGTT_EDB is returned.
 */
int	 apply_commit(struct applier *, struct apply_failure *,
	    struct pgtt_err *);
/* Roll the replica transaction back, whatever it holds. */
int	 apply_rollback(struct applier *, struct pgtt_err *);
/*
 * Savepoint mode, for --on-error skip: each change queued from now on
 * runs under its own savepoint and a failing one is rolled back alone,
 * counted and described in *failure (the first one).  Slow; used only
 * to redo a transaction that failed.
 */
void	 apply_set_savepoints(struct applier *, int on);
uint64_t apply_skipped(const struct applier *);
const struct apply_failure *apply_first_skipped(const struct applier *);

#endif
