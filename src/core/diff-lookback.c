/*
 * diff-lookback.c: the values of a row at A that the window did not hold
 * (a key-only old row, an unchanged TOASTed value), from the row's last
 * change before A, found through the row index or, for history older
 * than the index, by walking back.  Never across a break of the history:
 * only A's era holds its values.
 */
#include <stdlib.h>
#include <string.h>

#include "diff-int.h"
#include "xmalloc.h"

#define CHUNK		10000	/* changes per read transaction */

/* Same identity as e's, in f->ident? */
static int
same_id(const struct diff_fold *f, const struct diff_entry *e)
{
	return f->ident.len == e->idlen &&
	    memcmp(f->ident.data, e->id, e->idlen) == 0;
}

/*
 * What an older change of e's table says about e's row at A.  Returns 1
 * when the search is over (its values are known, or the row was gone),
 * 0 to look further back.
 */
static int
lookback_take(struct diff_fold *f, struct diff_entry *e,
    const struct pgtt_change *ch, const struct relv *rv)
{
	if (ch->kind == CHANGE_INSERT || ch->kind == CHANGE_UPDATE) {
		fold_ident_of(f, &ch->new, rv);
		if (same_id(f, e)) {
			fold_fill_before(f, e, &ch->new, rv);
			return !e->lookback;
		}
	}
	if ((ch->kind == CHANGE_UPDATE || ch->kind == CHANGE_DELETE) &&
	    ch->old_kind != OLD_NONE) {
		/* Deleted or moved away: nothing older holds the row at A. */
		fold_ident_of(f, &ch->old, rv);
		if (same_id(f, e)) {
			e->lookback = 0;
			return 1;
		}
	}
	return 0;
}

/*
 * Read transactions stay short: the listener cannot grow the map while
 * one is open.  A fresh one every CHUNK steps.
 */
static int
iter_refresh(struct journal *j, struct journal_iter **it, size_t *steps,
    struct relcache *rels, struct pgtt_err *err)
{
	if (*it != NULL && ++*steps % CHUNK != 0)
		return 0;
	journal_iter_close(*it);
	*it = NULL;
	/* Rows far apart in the journal: each read maps pages of its own. */
	journal_forget_pages(j);
	relcache_new_snapshot(rels);
	return journal_iter_open(j, 0, it, err);
}

/*
 * The row index gives each row's last change before A in a few page
 * reads.  The rows go in rounds, in the order the window first touched
 * them, which is near the order of the index and of the journal already
 * (sorting them cost more than it saved); a row goes on to an older change
 * while its values are still partly unknown (unchanged TOAST) or the
 * change was another row's.
 */
static int
look_back_indexed(struct journal *j, struct diff *d, pgtt_lsn floor,
    struct diff_entry **p, size_t n, struct pgtt_err *err)
{
	struct diff_fold	*f = d->fold;
	struct journal_iter	*it = NULL;
	struct pgtt_change	*ch;
	struct relv		*rv;
	struct diff_entry		*e;
	size_t			 i, k, steps = 0;
	pgtt_lsn		 known_lsn = LSN_INVALID;
	int			 r;

	while (n > 0) {
		for (i = k = 0; i < n; i++) {
			e = p[i];
			if ((r = iter_refresh(j, &it, &steps, &f->rels, err)) != 0 ||
			    (r = journal_iter_row_prev(it, e->relid, e->id,
			    e->idlen, &e->lb_lsn, &e->lb_seq, err)) < 0)
				goto out;
			/* Before the era's baseline, a gap lies between. */
			if (r == 1 && e->lb_lsn >= floor)
				p[k++] = e;
		}
		for (i = 0, n = k, k = 0; i < n; i++) {
			e = p[i];
			if ((r = iter_refresh(j, &it, &steps, &f->rels, err)) != 0)
				goto out;
			/* Only committed transactions count. */
			if (e->lb_lsn != known_lsn) {
				if (!journal_iter_txn_exists(it, e->lb_lsn)) {
					p[k++] = e;
					continue;
				}
				known_lsn = e->lb_lsn;
			}
			if ((r = journal_iter_change_get(it, e->lb_lsn,
			    e->lb_seq, &ch, err)) != 0)
				goto out;
			rv = fold_relv_for(f, it, ch->relid, ch->commit_lsn,
			    ch->seq);
			if (rv == NULL || !lookback_take(f, e, ch, rv))
				p[k++] = e;
			free(ch);
		}
		n = k;
	}
	r = 0;
out:
	journal_iter_close(it);
	return r;
}

/* Is relid one of the window's tables? */
static int
tracked(const struct diff_fold *f, uint32_t relid)
{
	size_t	i;

	for (i = 0; i < f->ntbls; i++)
		if (f->tbls[i].relid == relid)
			return 1;
	return 0;
}

/*
 * Without the row index (a journal an older pgtt wrote, before `since`):
 * walk back from since, at most DIFF_LOOKBACK_MAX changes, offering each
 * change to the rows it names.
 */
static int
look_back_walk(struct journal *j, struct diff *d, pgtt_lsn floor,
    pgtt_lsn since, size_t pending, struct pgtt_err *err)
{
	struct diff_fold	*f = d->fold;
	struct walk		*w;
	const struct walk_item	*item;
	const struct pgtt_change *ch;
	struct relv		*rv;
	struct diff_entry		*e;
	const struct pgtt_tuple	*t[2];
	size_t			 scanned = 0, i;
	int			 ret = 0;

	if (walk_open(j, floor, 0, since, WALK_BACKWARD, &f->rels, &w,
	    err) != 0)
		return err->code;
	while (pending > 0 && scanned++ < DIFF_LOOKBACK_MAX &&
	    (ret = walk_next(w, &item, err)) == 1) {
		ch = item->ch;
		if (ch->kind < CHANGE_INSERT || ch->kind > CHANGE_DELETE ||
		    !tracked(f, ch->relid) || item->rel == NULL)
			continue;
		rv = fold_relv_of(f, item->rel);
		t[0] = ch->kind != CHANGE_DELETE ? &ch->new : NULL;
		t[1] = ch->old_kind != OLD_NONE ? &ch->old : NULL;
		for (i = 0; i < 2; i++) {
			if (t[i] == NULL)
				continue;
			fold_ident_of(f, t[i], rv);
			e = fold_lookup(f, ch->relid, f->ident.data, f->ident.len,
			    fold_hash_id(ch->relid, f->ident.data, f->ident.len));
			if (e != NULL && e->lookback &&
			    lookback_take(f, e, ch, rv))
				pending--;
		}
	}
	walk_close(w);
	return ret < 0 ? ret : 0;
}

/* Fill the values at A the window did not hold. */
int
diff_look_back(struct journal *j, struct diff *d, struct pgtt_err *err)
{
	struct diff_fold	*f = d->fold;
	struct diff_entry		**p;
	pgtt_lsn		 since = journal_rowidx_since(j);
	pgtt_lsn		 floor = f->era_start;
	size_t			 i, n = 0;
	int			 ret = 0;

	p = xreallocarray(NULL, f->nentries + 1, sizeof *p);
	for (i = 0; i < f->nentries; i++)
		if (f->all[i]->lookback)
			p[n++] = f->all[i];
	if (n > 0 && since != UINT64_MAX)
		ret = look_back_indexed(j, d, floor, p, n, err);
	if (ret == 0 && n > 0 && since > LSN_INVALID) {
		/* What the index could not have held: the older history. */
		for (i = n = 0; i < f->nentries; i++)
			n += f->all[i]->lookback;
		if (n > 0)
			ret = look_back_walk(j, d, floor, since < d->from ?
			    since : d->from, n, err);
	}
	free(p);
	return ret;
}
