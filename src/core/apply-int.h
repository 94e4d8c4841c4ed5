/*
 * apply-int.h: what apply.c (the statements and their pipeline) and
 * apply-catalog.c (owners and GENERATED ALWAYS columns read from the
 * replica) share: the applier itself.
 */
#ifndef PGTT_APPLY_INT_H
#define PGTT_APPLY_INT_H

#include <libpq-fe.h>

#include "apply.h"
#include "apply-sql.h"
#include "buf.h"

#define INFLIGHT_MAX	1024	/* commands sent but not yet read */
#define FIFO_SIZE	(INFLIGHT_MAX + 2)
#define FUNC_MAX_ARGS	100	/* the server's limit on a function's */
#define TEXTOID		25
#define JSONOID		114
#define NBUCKETS	1024

enum pend_kind { PEND_CMD, PEND_SYNC };

struct pending {
	enum pend_kind	 kind;
	pgtt_lsn	 lsn;
	uint32_t	 seq;
	const char	*what;		/* lives in a stmt or is static */
};

struct stmt {
	char		*key;
	char		 name[24];
	char		*what;		/* "update of public.t" */
	struct stmt	*next;
};

/* Rows of three strings from the replica's catalog, sorted by two. */
struct triples {
	char		**v;
	size_t		  n;
};

/* Which columns of a relation version are identity GENERATED ALWAYS. */
struct always_cache {
	const struct pgtt_relation *rel;
	uint8_t		 *cols;		/* NULL: none */
};

struct applier {
	PGconn		 *conn;
	struct stmt	 *buckets[NBUCKETS];
	unsigned	  nstmts;
	int		  position_prepared;

	struct pending	 *fifo;		/* ring of INFLIGHT_MAX + 2 */
	size_t		  head, count;
	int		  flushed;	/* a flush request follows the last send */

	int		  failed;	/* an error since the last commit */
	struct apply_failure failure;
	pgtt_lsn	  copy_lsn;	/* the COPY running, for a failure */
	char		  copy_what[200];

	/*
	 * Tables whose owner is neither a superuser nor the replay role,
	 * sorted by schema and name: their rows are routed (queue_row).
	 * Replay itself never changes role.
	 */
	struct triples	  owners;	/* schema, table, owner */
	struct triples	  always;	/* schema, table, identity column
					   GENERATED ALWAYS */
	struct always_cache *acache;	/* per relation version */
	size_t		  nacache;
	int		  owners_stale;	/* DDL ran since they were read */
	const struct pgtt_relation *owner_rel;	/* last looked up */
	const char	 *owner_of_rel;

	int		  savepoints;
	uint64_t	  skipped;
	struct apply_failure first_skipped;

	/*
	 * Rows of tables not owned by a role as trusted as the replay role
	 * go through functions of their owner (routed, see queue_row), named
	 * pgtt.row_<nonce>_<statement>, their text written with
	 * sql.template set.
	 */
	char		  nonce[24];
	struct rowsql	  sql;

	/* Scratch for one statement's parameters. */
	char		**values;
	Oid		 *types;
	size_t		  cap;
	struct buf	  key, text;
};

/*
 * The pipeline (apply-pipe.c).  apply_sent records what PQsend* was
 * given (ok: it was sent) and reads results while the ring is full;
 * apply_sync_all sends a sync and reads every result.
 */
int		 apply_sent(struct applier *, int ok, enum pend_kind,
		    pgtt_lsn, uint32_t seq, const char *what,
		    struct pgtt_err *);
int		 apply_send_sql(struct applier *, const char *sql, int nparams,
		    const char *const *values, pgtt_lsn, uint32_t seq,
		    const char *what, struct pgtt_err *);
int		 apply_send_sync(struct applier *, struct pgtt_err *);
int		 apply_sync_all(struct applier *, struct pgtt_err *);
/*
 * COPY sql (FROM STDIN), outside pipeline mode: *copying when the server
 * takes data; else a failure is pending, for the commit to report.
 */
int		 apply_copy_begin(struct applier *, const char *sql, pgtt_lsn,
		    const char *what, int *copying, struct pgtt_err *);

/* Forget the row statements; the server keeps them under unused names. */
void		 apply_forget_row_statements(struct applier *);
/* Forget what was read of the catalog. */
void		 apply_forget_catalog(struct applier *);
/* Read the catalog again, between the pipeline's batches. */
int		 apply_reload_catalog(struct applier *, struct pgtt_err *);
/* The owner to run as for rel, or NULL for the replay role. */
const char	*apply_owner_of(struct applier *, const struct pgtt_relation *);
/* Did an UPDATE give such a column a new value (set against old)? */
int		 apply_identity_moved(struct applier *,
		    const struct pgtt_relation *, const struct pgtt_tuple *set,
		    const struct pgtt_tuple *old, int full);
/* Or may it have, with no old value of such a column to compare? */
int		 apply_identity_unknown(struct applier *,
		    const struct pgtt_relation *, const struct pgtt_tuple *set);

#endif
