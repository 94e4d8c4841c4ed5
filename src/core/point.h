/*
 * point.h: "a point in history" (CLI.md) resolved to an LSN.  The state at
 * position P holds every transaction whose commit record starts before P.
 */
#ifndef PGTT_POINT_H
#define PGTT_POINT_H

#include "err.h"
#include "journal.h"
#include "lsn.h"

/*
 * Resolve text: a checkpoint name or id, an LSN "X/Y", an ISO 8601
 * timestamp, "now" (the source's current WAL position; needs source_dsn),
 * "head" (after the newest journaled commit), "creation", "migration" (after
 * the newest transaction that carried DDL; creation if none).  An unknown
 * name fails with PGTT_EUSAGE and the closest names in the hint.
 */
int	point_resolve(struct journal *, const char *source_dsn,
	    const char *text, pgtt_lsn *, struct pgtt_err *);

/*
 * point_resolve for a verb that reads the journal: an LSN given as such
 * must lie in what the journal covers, from creation to the newest
 * position it has confirmed; outside, PGTT_EUSAGE names that range.
 */
int	point_resolve_journaled(struct journal *, const char *source_dsn,
	    const char *text, pgtt_lsn *, struct pgtt_err *);
/* [*first, *last]: creation to the newest confirmed or committed point. */
int	point_range(struct journal *, pgtt_lsn *first, pgtt_lsn *last,
	    struct pgtt_err *);

/* Is name a word that names a point (now, head, creation, migration)? */
int	point_is_keyword(const char *name);

/*
 * A name people can type for a checkpoint or session ("what") that no
 * point syntax can claim: not a keyword, digits (an id), an LSN or a
 * time, and 1 to POINT_NAME_MAX printable characters; else PGTT_EUSAGE.
 */
#define POINT_NAME_MAX	63
int	point_check_name(const char *what, const char *name,
	    struct pgtt_err *);

#endif
