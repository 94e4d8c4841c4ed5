/*
 * era.h: the stretches of one history, each starting from a baseline.
 *
 * A history starts at creation, from the baseline setup dumped.  When the
 * slot is lost (dropped, invalidated, made again by someone else), what
 * the source committed until a new slot exists is gone for good; `setup
 * --new-baseline` then takes a new slot and a new baseline and the
 * history goes on from there.  The stretch between the journal's last
 * covered point and the new slot's consistent point is a gap: no state
 * inside it is known, and no verb may pass over it from changes alone.
 */
#ifndef PGTT_ERA_H
#define PGTT_ERA_H

#include <stddef.h>

#include "err.h"
#include "lsn.h"

struct journal;
struct jbatch;

struct era {
	pgtt_lsn	 start;		/* the state its baseline dump shows */
	pgtt_lsn	 gap_from;	/* the previous era's end; LSN_INVALID
					   for the first */
	char		*dump;
	char		*list;		/* pg_restore -L list of the dump */
};

struct eras {
	struct era	*v;		/* oldest first; never empty */
	size_t		 n;
};

/* The journal's eras: creation's, then one per break. */
int		 eras_read(struct journal *, struct eras *, struct pgtt_err *);
void		 eras_done(struct eras *);
/* The era a point belongs to: the newest that starts at or before it. */
const struct era *era_at(const struct eras *, pgtt_lsn);
/*
 * A point inside a gap is unknown: PGTT_EUSAGE naming the gap, with text
 * (what the user gave, may be NULL) in the message.
 */
int		 eras_check_point(const struct eras *, pgtt_lsn,
		    const char *text, struct pgtt_err *);
/*
 * From and to must lie in one era for a verb that folds the changes
 * between them (diff): else PGTT_EUSAGE naming the break.
 */
int		 eras_check_span(const struct eras *, pgtt_lsn from,
		    pgtt_lsn to, struct pgtt_err *);
/* eras_check_point on a journal, reading its eras only if it broke. */
int		 journal_check_point_known(struct journal *, pgtt_lsn,
		    const char *text, struct pgtt_err *);
/*
 * eras_check_span on a journal, and where the era of the span starts
 * (LSN_INVALID for a journal that never broke: no earlier limit).
 */
int		 journal_span_era(struct journal *, pgtt_lsn from,
		    pgtt_lsn to, pgtt_lsn *start, struct pgtt_err *);
/*
 * Add era e (start > every era's) to batch b, which also holds the
 * break's record in the stream: one message under ERA_BREAK_PREFIX just
 * before e->start, so log and the TUI show the break where it is, with
 * commit time at (when the new slot was made: what the source commits
 * after that is after the break, in time as in LSN).
 */
void		 eras_put_break(const struct eras *, const struct era *,
		    int64_t at, struct jbatch *);

#define ERA_BREAK_PREFIX	"pgtt.break"

#endif
