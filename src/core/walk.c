/*
 * walk.c: committed history in chunks.  See walk.h.
 */
#include <stdlib.h>
#include <string.h>

#include "logfile.h"
#include "walk.h"
#include "xmalloc.h"

/*
 * Changes per read transaction: few at first, for a caller that wants a
 * screenful, then more, for one that reads a window whole.
 */
#define WALK_CHUNK_FIRST	64
#define WALK_CHUNK_MAX		4096

/* --- relation versions --- */

static int
key_before(pgtt_lsn l1, uint32_t s1, pgtt_lsn l2, uint32_t s2)
{
	return l1 < l2 || (l1 == l2 && s1 < s2);
}

void
relcache_init(struct relcache *rc)
{
	memset(rc, 0, sizeof *rc);
}

void
relcache_new_snapshot(struct relcache *rc)
{
	rc->snapshot++;
}

/* Does rel apply at (lsn, seq), as far as this snapshot can tell? */
static int
covers(const struct relcache *rc, unsigned snapshot,
    const struct pgtt_relation *rel, pgtt_lsn lsn, uint32_t seq)
{
	if (key_before(lsn, seq, rel->lsn, rel->seq))
		return 0;
	/* "No successor" is only known for the snapshot it was read in. */
	if (rel->next_lsn == UINT64_MAX && snapshot != rc->snapshot)
		return 0;
	return key_before(lsn, seq, rel->next_lsn, rel->next_seq);
}

int
relcache_at(struct relcache *rc, struct journal_iter *it, uint32_t relid,
    pgtt_lsn lsn, uint32_t seq, const struct pgtt_relation **out,
    struct pgtt_err *err)
{
	unsigned		 h = relid % RELCACHE_SLOTS;
	struct pgtt_relation	*rel, *c;
	size_t			 i;

	c = rc->slots[h].rel;
	if (c != NULL && c->relid == relid &&
	    covers(rc, rc->slots[h].snapshot, c, lsn, seq)) {
		*out = c;
		return 0;
	}
	if (journal_iter_relation_at(it, relid, lsn, seq, &rel, err) != 0)
		return err->code;
	/* A version read before keeps its address; its successor is news. */
	for (i = 0; i < rc->nall; i++) {
		c = rc->all[i];
		if (c->relid == rel->relid && c->lsn == rel->lsn &&
		    c->seq == rel->seq) {
			c->next_lsn = rel->next_lsn;
			c->next_seq = rel->next_seq;
			free(rel);
			rel = c;
			break;
		}
	}
	if (i == rc->nall) {
		rc->all = xreallocarray(rc->all, rc->nall + 1, sizeof *rc->all);
		rc->all[rc->nall++] = rel;
	}
	rc->slots[h].rel = rel;
	rc->slots[h].snapshot = rc->snapshot;
	*out = rel;
	return 0;
}

void
relcache_free(struct relcache *rc)
{
	size_t	i;

	for (i = 0; i < rc->nall; i++)
		free(rc->all[i]);
	free(rc->all);
	memset(rc, 0, sizeof *rc);
}

/* --- the walk --- */

struct walk {
	struct journal		*j;
	pgtt_lsn		 from, to;
	int			 flags;
	pgtt_lsn		 pos_lsn;	/* the next chunk starts here */
	uint32_t		 pos_seq;
	pgtt_lsn		 resume_lsn;	/* see walk_resume */
	uint32_t		 resume_seq;
	int			 stopped;	/* at a transaction being written */
	pgtt_lsn		 stop_lsn;
	size_t			 chunk;
	int			 done;
	int			 complete;	/* saw a change past the window */
	int			 warned;	/* of a transaction passed over */
	struct walk_item	*items;
	size_t			 n, i;
	struct relcache		*rels, own_rels;
	struct pgtt_txn		 txn;		/* the current transaction */
	int			 txn_known;
};

static void
clear_chunk(struct walk *w)
{
	size_t	i;

	for (i = 0; i < w->n; i++) {
		free((void *)w->items[i].ch);
		free(w->items[i].trels);
	}
	w->n = w->i = 0;
}

/* The key after (lsn, seq), in key order. */
static void
key_after(pgtt_lsn lsn, uint32_t seq, pgtt_lsn *out_lsn, uint32_t *out_seq)
{
	if (seq == UINT32_MAX) {
		*out_lsn = lsn + 1;
		*out_seq = 0;
	} else {
		*out_lsn = lsn;
		*out_seq = seq + 1;
	}
}

int
walk_open(struct journal *j, pgtt_lsn from, uint32_t from_seq, pgtt_lsn to,
    int flags, struct relcache *rels, struct walk **out, struct pgtt_err *err)
{
	struct walk	*w;

	(void)err;
	w = xcalloc(1, sizeof *w);
	w->j = j;
	w->from = from;
	w->to = to;
	w->flags = flags;
	if (flags & WALK_BACKWARD) {
		w->pos_lsn = to;
		w->pos_seq = 0;
	} else {
		w->pos_lsn = from;
		w->pos_seq = from_seq;
	}
	w->resume_lsn = w->pos_lsn;
	w->resume_seq = w->pos_seq;
	if (rels == NULL) {
		relcache_init(&w->own_rels);
		rels = &w->own_rels;
	}
	w->rels = rels;
	w->chunk = WALK_CHUNK_FIRST;
	w->items = xcalloc(WALK_CHUNK_MAX, sizeof *w->items);
	*out = w;
	return 0;
}

void
walk_seek(struct walk *w, pgtt_lsn lsn, uint32_t seq)
{
	w->pos_lsn = w->resume_lsn = lsn;
	w->pos_seq = w->resume_seq = seq;
}

enum txn_verdict {
	TXN_COMMITTED = 1,	/* w->txn is it */
	TXN_PASS_OVER = 2,	/* abandoned, or going back */
	TXN_ENDS_WALK = 3,	/* still being written */
};

/* Is ch's transaction committed history?  A txn_verdict, or an error. */
static int
committed(struct walk *w, struct journal_iter *it,
    const struct pgtt_change *ch, struct pgtt_err *err)
{
	struct pgtt_txn	*txn;
	pgtt_lsn	 next;
	struct pgtt_err	 e2;
	int		 ret;

	if (w->txn_known && w->txn.commit_lsn == ch->commit_lsn)
		return TXN_COMMITTED;
	w->txn_known = 0;
	if (w->flags & WALK_COUNT_ONLY) {
		if (!journal_iter_txn_exists(it, ch->commit_lsn))
			goto missing;
		memset(&w->txn, 0, sizeof w->txn);
		w->txn.commit_lsn = ch->commit_lsn;
	} else {
		if ((ret = journal_iter_txn_get(it, ch->commit_lsn, &txn,
		    err)) != 0) {
			if (ret != PGTT_ENOTFOUND)
				return ret;
			err_clear(err);
			goto missing;
		}
		w->txn = *txn;
		free(txn);
	}
	w->txn_known = 1;
	return TXN_COMMITTED;

missing:
	if (w->flags & WALK_BACKWARD)
		return TXN_PASS_OVER;
	err_clear(&e2);
	if (journal_seek_lsn(w->j, ch->commit_lsn + 1, &next, &e2) != 0)
		return TXN_ENDS_WALK;
	/* Once per walk: a page or a replay may pass the same ones. */
	if (!w->warned++)
		log_msg(LOG_LEVEL_WARNING, "passed over changes at %llX with "
		    "no transaction record", (unsigned long long)ch->commit_lsn);
	return TXN_PASS_OVER;
}

/* The relations a change is read with, into item. */
static int
resolve(struct walk *w, struct journal_iter *it, struct walk_item *item,
    struct pgtt_err *err)
{
	const struct pgtt_change	*ch = item->ch;
	uint32_t			 k;
	int				 ret;

	switch (ch->kind) {
	case CHANGE_INSERT:
	case CHANGE_UPDATE:
	case CHANGE_DELETE:
		ret = relcache_at(w->rels, it, ch->relid, ch->commit_lsn,
		    ch->seq, &item->rel, err);
		break;
	case CHANGE_TRUNCATE:
		item->trels = xcalloc(ch->nrelids + 1, sizeof *item->trels);
		for (k = 0, ret = 0; k < ch->nrelids && ret == 0; k++)
			if ((ret = relcache_at(w->rels, it, ch->relids[k],
			    ch->commit_lsn, ch->seq, &item->trels[k],
			    err)) == PGTT_ENOTFOUND) {
				err_clear(err);
				ret = 0;
			}
		break;
	default:
		return 0;
	}
	if (ret == PGTT_ENOTFOUND) {
		err_clear(err);
		return 0;
	}
	return ret;
}

static int
fill(struct walk *w, struct pgtt_err *err)
{
	struct journal_iter	*it;
	struct pgtt_change	*ch;
	int			 backward = w->flags & WALK_BACKWARD;
	int			 rc = 0;

	clear_chunk(w);
	if (w->done)
		return 0;
	if (journal_iter_open(w->j, w->pos_lsn, &it, err) != 0)
		return err->code;
	journal_iter_seek(it, w->pos_lsn, w->pos_seq, err);
	relcache_new_snapshot(w->rels);
	w->txn_known = 0;
	while (w->n < w->chunk) {
		rc = backward ? journal_iter_prev(it, &ch, err) :
		    journal_iter_next(it, &ch, err);
		if (rc < 0)
			break;
		if (rc == 0 || (backward ? ch->commit_lsn < w->from :
		    ch->commit_lsn >= w->to)) {
			if (rc > 0) {
				w->complete = 1;
				free(ch);
			}
			w->done = 1;
			rc = 0;
			break;
		}
		if (backward) {
			w->pos_lsn = ch->commit_lsn;
			w->pos_seq = ch->seq;
		} else
			key_after(ch->commit_lsn, ch->seq, &w->pos_lsn,
			    &w->pos_seq);
		if ((rc = committed(w, it, ch, err)) != TXN_COMMITTED) {
			pgtt_lsn	txn_lsn = ch->commit_lsn;

			free(ch);
			if (rc < 0)
				break;
			if (rc == TXN_ENDS_WALK) {
				w->done = w->stopped = 1;
				w->stop_lsn = txn_lsn;
				rc = 0;
				break;
			}
			/* Past the whole transaction, either way. */
			w->pos_lsn = backward ? txn_lsn : txn_lsn + 1;
			w->pos_seq = 0;
			journal_iter_seek(it, w->pos_lsn, w->pos_seq, err);
			continue;
		}
		memset(&w->items[w->n], 0, sizeof w->items[w->n]);
		w->items[w->n].ch = ch;
		w->items[w->n].txn = w->txn;
		w->n++;
		if (!(w->flags & WALK_COUNT_ONLY) &&
		    (rc = resolve(w, it, &w->items[w->n - 1], err)) != 0)
			break;
	}
	journal_iter_close(it);
	/* A long walk keeps nothing of the pages it has read. */
	if (w->chunk == WALK_CHUNK_MAX)
		journal_forget_pages(w->j);
	if (w->chunk < WALK_CHUNK_MAX)
		w->chunk *= 2;
	return rc < 0 ? rc : 0;
}

int
walk_next(struct walk *w, const struct walk_item **out, struct pgtt_err *err)
{
	const struct pgtt_change	*ch;
	int				 ret;

	if (w->i == w->n) {
		if ((ret = fill(w, err)) != 0)
			return ret;
		if (w->n == 0) {
			if (w->stopped) {
				w->resume_lsn = w->stop_lsn;
				w->resume_seq = 0;
			}
			return 0;
		}
	}
	*out = &w->items[w->i++];
	ch = (*out)->ch;
	if (w->flags & WALK_BACKWARD) {
		w->resume_lsn = ch->commit_lsn;
		w->resume_seq = ch->seq;
	} else
		key_after(ch->commit_lsn, ch->seq, &w->resume_lsn,
		    &w->resume_seq);
	return 1;
}

void
walk_resume(const struct walk *w, pgtt_lsn *lsn, uint32_t *seq)
{
	*lsn = w->resume_lsn;
	*seq = w->resume_seq;
}

int
walk_complete(const struct walk *w)
{
	return w->complete;
}

void
walk_close(struct walk *w)
{
	if (w == NULL)
		return;
	clear_chunk(w);
	free(w->items);
	if (w->rels == &w->own_rels)
		relcache_free(&w->own_rels);
	free(w);
}
