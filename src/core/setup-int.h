/*
 * setup-int.h: what the parts of setup share (setup*.c):
 * the context of one run and the two ways a step touches the source.
 */
#ifndef PGTT_SETUP_INT_H
#define PGTT_SETUP_INT_H

#include <libpq-fe.h>

#include "config.h"
#include "err.h"
#include "setup.h"
#include "source.h"

/* How long setup waits for a table lock before it gives up. */
#define LOCK_TIMEOUT	"5s"

struct setup_ctx {
	const struct config	*cfg;
	int			 dry_run;
	PGconn			*conn;
	struct setup_report	*rep;
	struct pgtt_err		*err;
	int			 superuser;
	int			 all_tables;	/* source.tables not given */
	struct pgtt_seqsample	*creation_sample; /* read as the slot was made */
	int64_t			 slot_made_at;	/* µs since 2000-01-01 */
};

/* Append a step to the report; a dry run turns created/changed into planned. */
void	setup_step(struct setup_ctx *, enum setup_state, const char *note,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Run a statement whose result is not needed; does nothing in a dry run. */
int	setup_sql(struct setup_ctx *, const char *sql);
/*
 * The tables in scope, one row each: schema, name, quoted name,
 * relreplident, usable identity, in the publication, in the insert-only
 * publication, relpersistence.
 */
PGresult *source_tables(PGconn *, const struct config *, struct pgtt_err *);
/*
 * Create the publication, or bring it to the tables in scope
 * (setup-publication.c).
 */
int	setup_ensure_publication(struct setup_ctx *);
/* Install or refresh DDL capture where the role may (setup-ddl.c). */
int	source_ddl_capture(struct setup_ctx *);

#endif
