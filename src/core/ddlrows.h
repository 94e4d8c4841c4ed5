/*
 * ddlrows.h: rows that DDL wrote where pgoutput could not see them.
 *
 * CREATE TABLE AS and SELECT INTO fill their table before the capture can
 * publish it; ADD COLUMN with a volatile default (serial, identity,
 * random(), clock_timestamp()) rewrites every row without a change
 * being decoded.  Evaluated again on a replica, either gives other
 * values, so the capture sends the source's rows as logical messages
 * under its secret prefix, a thousand to a message, each with the
 * relation as pgoutput would describe it.  The listener stores them as
 * the relation version and the inserts (or, for a rewrite, the updates
 * by key) that pgoutput would have sent.
 */
#ifndef PGTT_DDLROWS_H
#define PGTT_DDLROWS_H

#include <stddef.h>

#include "err.h"
#include "pgoutput.h"

struct ddl_rows {
	void			*root;		/* the parsed message */
	struct pgo_event	 relation;	/* PGO_RELATION */
	enum pgo_type		 op;		/* PGO_INSERT or PGO_UPDATE */
	size_t			 nrows;
	struct pgo_event	*rows;		/* op events, one per row */
	struct pgo_value	*values;	/* what the rows point into */
};

/*
 * Parse a message under the capture's prefix.  PGTT_ENOTFOUND when it
 * is not a JSON object with "rows" (it is then a DDL message),
 * PGTT_ECORRUPT when it is one but malformed.  The events point into out, which lives until
 * ddl_rows_done.
 */
int	ddl_rows_parse(const char *content, size_t len, struct ddl_rows *out,
	    struct pgtt_err *);
void	ddl_rows_done(struct ddl_rows *);

#endif
