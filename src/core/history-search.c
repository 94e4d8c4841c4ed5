/*
 * history-search.c: the stream's filter searched back from a position,
 * however far (history.h, history_search_back).  A filter that names a
 * table goes through the row index, which from journal_truncidx_since
 * on files every change of a table: its positions are taken in rounds
 * of the newest SEARCH_ROUND, each checked as the walk reads it.  Any
 * other filter, and the history before that point, is walked one page
 * call at a time.
 */
#include <stdatomic.h>
#include <stdlib.h>

#include "history.h"
#include "walk.h"
#include "xmalloc.h"

#define SEARCH_ROUND	4096	/* a table's positions checked per pass */

/* The newest positions below bound, at most SEARCH_ROUND: a heap. */
struct positions {
	struct history_pos	 v[SEARCH_ROUND];
	size_t			 n;
	struct history_pos	 bound;
	uint64_t		 seen;
	const atomic_int	*cancel;
};

static int
pos_before(const struct history_pos *a, const struct history_pos *b)
{
	return a->lsn < b->lsn || (a->lsn == b->lsn && a->seq < b->seq);
}

/* Restore the heap (oldest at the root) from slot i down. */
static void
sift_down(struct positions *p, size_t i)
{
	struct history_pos	tmp;
	size_t			c;

	while ((c = 2 * i + 1) < p->n) {
		if (c + 1 < p->n && pos_before(&p->v[c + 1], &p->v[c]))
			c++;
		if (!pos_before(&p->v[c], &p->v[i]))
			break;
		tmp = p->v[i];
		p->v[i] = p->v[c];
		p->v[c] = tmp;
		i = c;
	}
}

static int
add_position(void *arg, pgtt_lsn lsn, uint32_t seq)
{
	struct positions	*p = arg;
	struct history_pos	 pos = { lsn, seq }, tmp;
	size_t			 i;

	/* A large table's pass takes a while: Esc stops it too. */
	if ((++p->seen & 0xffff) == 0 && p->cancel != NULL &&
	    atomic_load(p->cancel))
		return PGTT_ESTOPPED;
	if (!pos_before(&pos, &p->bound))
		return 0;
	if (p->n < SEARCH_ROUND) {
		/* Up from the new leaf. */
		for (i = p->n++, p->v[i] = pos; i > 0 &&
		    pos_before(&p->v[i], &p->v[(i - 1) / 2]); i = (i - 1) / 2) {
			tmp = p->v[i];
			p->v[i] = p->v[(i - 1) / 2];
			p->v[(i - 1) / 2] = tmp;
		}
	} else if (pos_before(&p->v[0], &pos)) {
		p->v[0] = pos;
		sift_down(p, 0);
	}
	return 0;
}

/* Newest first. */
static int
cmp_pos_desc(const void *a, const void *b)
{
	const struct history_pos	*x = a, *y = b;

	if (x->lsn != y->lsn)
		return x->lsn < y->lsn ? 1 : -1;
	return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

/* Is the committed change at pos one the filter keeps? */
static int
keeps_at(struct journal *j, struct relcache *rels, struct history_pos pos,
    const struct history_filter *f, struct pgtt_err *e)
{
	struct walk		*w;
	const struct walk_item	*item;
	int			 rc;

	if (walk_open(j, LSN_INVALID, 0, UINT64_MAX, WALK_BACKWARD, rels, &w,
	    e) != 0)
		return e->code;
	walk_seek(w, pos.lsn, pos.seq + 1);
	rc = walk_next(w, &item, e);
	if (rc == 1)
		rc = item->ch->commit_lsn == pos.lsn &&
		    item->ch->seq == pos.seq && history_wanted(f, item);
	walk_close(w);
	return rc;
}

/*
 * A table filter through the row index, which from
 * journal_truncidx_since on files every change of a table (rows, and
 * truncates with no row): the table's changes before from, newest first,
 * each checked against the filter as the walk reads it.  1 with *found,
 * 0 when none is at or after since (history before it must be walked),
 * or a negative code.
 */
static int
search_table(struct journal *j, const struct history_pos *from,
    const struct history_filter *f, pgtt_lsn since, const atomic_int *cancel,
    void (*progress)(void *, uint64_t), void *arg, struct history_pos *found,
    uint64_t *examined, struct pgtt_err *e)
{
	struct journal_iter	*it;
	struct relcache		 rels;
	struct positions	*p = xcalloc(1, sizeof *p);
	uint32_t		*relids = NULL;
	size_t			 nrelids, i, n;
	int			 ret;

	if ((ret = journal_relation_find_all(j, f->schema, f->table, &relids,
	    &nrelids, e)) != 0) {
		free(p);
		return ret;
	}
	relcache_init(&rels);
	p->bound = *from;
	p->cancel = cancel;
	/*
	 * Rounds of the newest SEARCH_ROUND positions below the bound, so
	 * memory stays fixed however many changes the table has.
	 */
	for (;;) {
		p->n = 0;
		if ((ret = journal_iter_open(j, 0, &it, e)) != 0)
			break;
		for (i = 0; i < nrelids && ret == 0; i++)
			ret = journal_iter_rel_changes(it, relids[i],
			    p->bound.lsn, p->bound.seq, add_position, p, e);
		journal_iter_close(it);
		if (ret != 0)
			break;
		n = p->n;
		qsort(p->v, n, sizeof *p->v, cmp_pos_desc);
		for (i = 0; i < n && ret == 0; i++) {
			if (p->v[i].lsn < since) {
				n = 0;		/* nothing older counts */
				break;
			}
			/* Filed under two rows (a key change): once. */
			if (i > 0 && cmp_pos_desc(&p->v[i], &p->v[i - 1]) == 0)
				continue;
			if (cancel != NULL && atomic_load(cancel)) {
				ret = PGTT_ESTOPPED;
				break;
			}
			++*examined;
			if (progress != NULL && *examined % 1024 == 0)
				progress(arg, *examined);
			if ((ret = keeps_at(j, &rels, p->v[i], f, e)) == 1)
				*found = p->v[i];
		}
		if (ret != 0 || n < SEARCH_ROUND)
			break;
		p->bound = p->v[n - 1];
	}
	if (ret == PGTT_ESTOPPED)
		ret = err_set(e, PGTT_ESTOPPED, "search stopped after "
		    "%llu changes", (unsigned long long)*examined);
	relcache_free(&rels);
	free(relids);
	free(p);
	return ret;
}

int
history_search_back(struct journal *j, const struct history_pos *from,
    const struct history_filter *f, const atomic_int *cancel,
    void (*progress)(void *, uint64_t), void *arg, struct history_pos *found,
    struct pgtt_err *e)
{
	struct history_scan	sc;
	struct history_row	row;
	struct history_pos	at = *from;
	uint64_t		examined = 0;
	pgtt_lsn		since = journal_truncidx_since(j);
	size_t			got;
	int			ret;

	/*
	 * A table is found by the index back to where it files every
	 * change of a table; the history before that is walked.
	 */
	if (f != NULL && f->table != NULL && since != UINT64_MAX &&
	    from->lsn > since) {
		ret = search_table(j, from, f, since, cancel, progress, arg,
		    found, &examined, e);
		if (progress != NULL)
			progress(arg, examined);
		if (ret != 0)
			return ret;
		if (since == 0)
			return 0;
		at.lsn = since;
		at.seq = 0;
	}
	for (;;) {
		if (cancel != NULL && atomic_load(cancel))
			return err_set(e, PGTT_ESTOPPED, "search stopped "
			    "after %llu changes", (unsigned long long)examined);
		if ((ret = history_page_scan(j, &at, -1, 1, f, &row, &got, &sc,
		    e)) != 0)
			return ret;
		examined += sc.examined;
		if (progress != NULL)
			progress(arg, examined);
		if (got == 1) {
			*found = row.pos;
			history_row_done(&row);
			return 1;
		}
		if (sc.edge)
			return 0;
		at = sc.resume;
	}
}
