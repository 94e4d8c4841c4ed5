/*
 * walk.h: committed history, change by change: the one walker that log,
 * diff and replay share.
 *
 * It reads in chunks, each in a read transaction of its own that closes
 * before the chunk is handed out, so a slow reader never pins the
 * journal's pages while the listener writes.  One rule for a change
 * whose transaction has no record: it is not committed history.  Going
 * forward, the walk ends there when nothing committed follows (the
 * listener is still writing that transaction; a later walk will see it
 * whole) and passes over it otherwise (it was abandoned); going back, it
 * is passed over.  Each change comes with the relation version it is
 * read with, from one cache.
 */
#ifndef PGTT_WALK_H
#define PGTT_WALK_H

#include <stdint.h>

#include "err.h"
#include "journal.h"
#include "lsn.h"
#include "record.h"

#define RELCACHE_SLOTS	256

/*
 * Relation versions read so far, kept until relcache_free: pointers a
 * caller holds stay valid that long.
 */
struct relcache {
	struct {
		struct pgtt_relation	*rel;
		unsigned		 snapshot;	/* read in this one */
	} slots[RELCACHE_SLOTS];			/* last used, by relid */
	struct pgtt_relation	**all;
	size_t			  nall;
	unsigned		  snapshot;
};

void	relcache_init(struct relcache *);
/*
 * A new read transaction: a version that was the newest then may have a
 * successor now, so it is looked up again once before it is trusted.
 */
void	relcache_new_snapshot(struct relcache *);
/*
 * The version change (lsn, seq) of relid is read with, in it's snapshot.
 * 0, PGTT_ENOTFOUND when the journal has none, or another error.
 */
int	relcache_at(struct relcache *, struct journal_iter *, uint32_t relid,
	    pgtt_lsn, uint32_t seq, const struct pgtt_relation **,
	    struct pgtt_err *);
void	relcache_free(struct relcache *);

struct walk_item {
	const struct pgtt_change	 *ch;
	struct pgtt_txn			  txn;	/* WALK_COUNT_ONLY: key only */
	const struct pgtt_relation	 *rel;	/* row change; NULL: unknown */
	const struct pgtt_relation	**trels; /* truncate: per relid, or NULL */
};

enum {
	WALK_BACKWARD = 0x01,	/* newest first, from before `to` */
	WALK_COUNT_ONLY = 0x02,	/* no relations, no commit times */
};

struct walk;

/*
 * Changes with commit LSN in [from, to), starting at (from, from_seq)
 * going forward; rels may be NULL (the walk keeps its own).
 */
int	walk_open(struct journal *, pgtt_lsn from, uint32_t from_seq,
	    pgtt_lsn to, int flags, struct relcache *rels, struct walk **,
	    struct pgtt_err *);
/*
 * Start at key (lsn, seq) instead, before the first walk_next: forward,
 * the first change at or after it; back, the last one before it.
 */
void	walk_seek(struct walk *, pgtt_lsn, uint32_t seq);
/*
 * The next change: 1 and *item (valid until the next call), 0 at the
 * end, or a negative code.
 */
int	walk_next(struct walk *, const struct walk_item **, struct pgtt_err *);
/*
 * Where a new walk the same way goes on from: forward, the key just after
 * the last change given, or the first key of the transaction still being
 * written that ended the walk; back, the key of the last change given.
 */
void	walk_resume(const struct walk *, pgtt_lsn *, uint32_t *);
/*
 * After the end: 1 when the journal held a change beyond the window, so
 * no later walk of it would find more.
 */
int	walk_complete(const struct walk *);
void	walk_close(struct walk *);

#endif
