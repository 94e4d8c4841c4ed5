/*
 * rowhist.c: one row's history through the row index (rowhist.h).
 *
 * The row index files each change under the identity of the row it found
 * and of the row it left, so an update that changes the key is filed
 * under both.  The history starts with the changes filed under the key
 * asked for; where one of them moved the row away, it goes on with the
 * new key's changes after it, and where the first came from another key,
 * the old key's changes before it come first.  Everything is read in one
 * snapshot.
 */
#include <stdlib.h>
#include <string.h>

#include "baseline.h"
#include "config.h"
#include "buf.h"
#include "era.h"
#include "rowhist.h"
#include "walk.h"
#include "xmalloc.h"

#define MAX_HOPS	64	/* key changes followed each way */

struct pos {
	pgtt_lsn	 lsn;
	uint32_t	 seq;
};

struct list {
	struct pos	*v;
	size_t		 n;
};

struct rh {
	struct journal		*j;
	const char		*bindir;	/* pitr.bindir */
	const struct rowhist_opts *opts;
	struct journal_iter	*it;
	struct relcache		 rels;
	uint32_t		 relid;
	struct pgtt_relation	*keyrel;	/* the newest version */
	struct buf		 old_id, new_id;
	struct pgtt_err		*err;
};

/* The row as it stands, values copied: the previous change is freed. */
struct row {
	int		  present;
	size_t		  n;
	char		**names;
	struct pgtt_col	 *cols;
};

/* The columns that name a row and their values, as text. */
struct keyset {
	size_t	  n;
	char	**cols;
	char	**vals;		/* NULL: SQL NULL */
};

static int
pos_lt(struct pos a, struct pos b)
{
	return a.lsn < b.lsn || (a.lsn == b.lsn && a.seq < b.seq);
}

/*
 * The change at p and its relation version; the identities of the row it
 * found and the row it left go to h->old_id and h->new_id (empty when it
 * has none).  1, 0 when it cannot be read as a row change, or an error.
 */
static int
read_change(struct rh *h, struct pos p, struct pgtt_change **ch,
    const struct pgtt_relation **rel)
{
	int	ret;

	buf_reset(&h->old_id);
	buf_reset(&h->new_id);
	if ((ret = journal_iter_change_get(h->it, p.lsn, p.seq, ch,
	    h->err)) != 0)
		return ret;
	if ((*ch)->kind < CHANGE_INSERT || (*ch)->kind > CHANGE_DELETE ||
	    relcache_at(&h->rels, h->it, h->relid, p.lsn, p.seq, rel,
	    h->err) != 0) {
		err_clear(h->err);
		free(*ch);
		*ch = NULL;
		return 0;
	}
	if ((*ch)->old_kind != OLD_NONE)
		record_row_ident_as(&h->old_id, &(*ch)->old, *rel,
		    h->keyrel);
	if ((*ch)->kind != CHANGE_DELETE)
		record_row_ident_as(&h->new_id, &(*ch)->new, *rel,
		    h->keyrel);
	/* An update without an old row kept its key. */
	if ((*ch)->kind == CHANGE_UPDATE && (*ch)->old_kind == OLD_NONE)
		buf_append(&h->old_id, h->new_id.data, h->new_id.len);
	return 1;
}

static int
same(const struct buf *b, const uint8_t *id, size_t len)
{
	return b->len == len && memcmp(b->data, id, len) == 0;
}

/*
 * The committed changes filed under id with key in [lo, hi), oldest
 * first.  A short identity is the index key itself; a long one is filed
 * under a hash another row may share, so each change is checked to name
 * id.
 */
static int
collect(struct rh *h, const uint8_t *id, size_t len, struct pos lo,
    struct pos hi, struct list *out)
{
	struct pgtt_change		*ch;
	const struct pgtt_relation	*rel;
	struct pos			 at = hi, tmp;
	size_t				 i;
	int				 ret;
	/* A long identity is filed under a hash that is not only its own. */
	int				 hashed = 4 + len >
					    JOURNAL_ROWKEY_MAX - 12;

	out->v = NULL;
	out->n = 0;
	for (;;) {
		ret = journal_iter_row_prev(h->it, h->relid, id, len, &at.lsn,
		    &at.seq, h->err);
		if (ret < 0)
			return ret;
		if (ret == 0 || pos_lt(at, lo))
			break;
		if (!journal_iter_txn_exists(h->it, at.lsn))
			continue;
		if (hashed) {
			if ((ret = read_change(h, at, &ch, &rel)) < 0)
				return ret;
			if (ret == 0)
				continue;
			free(ch);
			if (!same(&h->old_id, id, len) &&
			    !same(&h->new_id, id, len))
				continue;
		}
		out->v = xreallocarray(out->v, out->n + 1, sizeof *out->v);
		out->v[out->n++] = at;
	}
	for (i = 0; i < out->n / 2; i++) {
		tmp = out->v[i];
		out->v[i] = out->v[out->n - 1 - i];
		out->v[out->n - 1 - i] = tmp;
	}
	return 0;
}

/* a, then b after it; b is freed. */
static void
join(struct list *a, struct list *b)
{
	a->v = xreallocarray(a->v, a->n + b->n + 1, sizeof *a->v);
	memcpy(a->v + a->n, b->v, b->n * sizeof *b->v);
	a->n += b->n;
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

/*
 * Where the first change of l brought the row from another key, that
 * key's changes before it go first, as far back as keys were changed.
 */
static int
follow_back(struct rh *h, struct list *l, const struct buf *start,
    struct pos lo)
{
	struct pgtt_change		*ch;
	const struct pgtt_relation	*rel;
	struct list			 before;
	struct buf			 cur;
	int				 hops, ret = 0;

	buf_init(&cur);
	buf_append(&cur, start->data, start->len);
	for (hops = 0; hops < MAX_HOPS && l->n > 0; hops++) {
		if ((ret = read_change(h, l->v[0], &ch, &rel)) <= 0)
			break;
		free(ch);
		if (h->old_id.len == 0 || !same(&h->new_id, cur.data,
		    cur.len) || same(&h->old_id, cur.data, cur.len))
			break;
		buf_reset(&cur);
		buf_append(&cur, h->old_id.data, h->old_id.len);
		if ((ret = collect(h, cur.data, cur.len, lo, l->v[0],
		    &before)) != 0)
			break;
		join(&before, l);
		*l = before;
	}
	buf_done(&cur);
	return ret < 0 ? ret : 0;
}

/*
 * Where a change of l moved the row from the key it had to another, l
 * ends there and goes on with that key's changes after it.
 */
static int
follow_forward(struct rh *h, struct list *l, const struct buf *start,
    struct pos hi)
{
	struct pgtt_change		*ch;
	const struct pgtt_relation	*rel;
	struct list			 after;
	struct buf			 cur;
	struct pos			 next;
	size_t				 i;
	int				 hops = 0, ret = 0;

	buf_init(&cur);
	buf_append(&cur, start->data, start->len);
	for (i = 0; i < l->n && hops < MAX_HOPS; i++) {
		if ((ret = read_change(h, l->v[i], &ch, &rel)) < 0)
			break;
		ret = 0;
		if (ch == NULL)
			continue;
		free(ch);
		if (h->new_id.len == 0 || !same(&h->old_id, cur.data,
		    cur.len) || same(&h->new_id, cur.data, cur.len))
			continue;
		buf_reset(&cur);
		buf_append(&cur, h->new_id.data, h->new_id.len);
		next = l->v[i];
		next.seq++;
		if ((ret = collect(h, cur.data, cur.len, next, hi,
		    &after)) != 0)
			break;
		l->n = i + 1;
		join(l, &after);
		hops++;
	}
	buf_done(&cur);
	return ret < 0 ? ret : 0;
}

static void
row_free(struct row *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++) {
		free(r->names[i]);
		free((char *)r->cols[i].val);
	}
	free(r->names);
	free(r->cols);
	memset(r, 0, sizeof *r);
}

static const struct pgtt_col *
row_col(const struct row *r, const char *name)
{
	size_t	i;

	for (i = 0; r->present && i < r->n; i++)
		if (strcmp(r->names[i], name) == 0)
			return &r->cols[i];
	return NULL;
}

/*
 * The row after ch: its new values, a value it did not send (unchanged
 * and TOASTed) from the row before, or from its old row.
 */
static void
row_next(struct row *r, const struct pgtt_change *ch,
    const struct pgtt_relation *rel)
{
	struct row		 next;
	const struct pgtt_col	*c, *o;
	size_t			 i;

	memset(&next, 0, sizeof next);
	if (ch->kind == CHANGE_DELETE) {
		row_free(r);
		return;
	}
	next.present = 1;
	next.n = rel->ncols;
	next.names = xcalloc(next.n + 1, sizeof *next.names);
	next.cols = xcalloc(next.n + 1, sizeof *next.cols);
	for (i = 0; i < next.n; i++) {
		next.names[i] = xstrdup(rel->cols[i].name);
		c = i < ch->new.ncols ? &ch->new.cols[i] : NULL;
		if (c == NULL || c->kind == COL_TOAST) {
			o = row_col(r, rel->cols[i].name);
			if (o == NULL && ch->old_kind == OLD_FULL &&
			    i < ch->old.ncols)
				o = &ch->old.cols[i];
			c = o;
		}
		if (c == NULL || c->kind == COL_TOAST) {
			next.cols[i].kind = COL_TOAST;
			continue;
		}
		next.cols[i].kind = c->kind;
		if (c->kind == COL_TEXT) {
			char	*v = xmalloc((size_t)c->len + 1);

			memcpy(v, c->val, c->len);
			v[c->len] = '\0';
			next.cols[i].val = v;
			next.cols[i].len = c->len;
		}
	}
	row_free(r);
	*r = next;
}

/* The identity the keys give under rel's row key, or PGTT_EUSAGE. */
static int
key_ident(const struct pgtt_relation *rel, const struct rowhist_key *keys,
    size_t nkeys, struct buf *out, struct pgtt_err *err)
{
	struct pgtt_tuple	 t;
	struct buf		 names;
	uint8_t			*flags;
	size_t			 i, k, nflagged = 0;
	int			 ret = 0, whole;

	flags = xcalloc((size_t)rel->ncols + 1, 1);
	/*
	 * Without a key (no flag at all, or FULL and none in the catalog)
	 * a row is named by every column, as record_row_ident names it.
	 */
	whole = !relation_row_key(rel, flags) && rel->replident == 'f';
	for (i = 0; i < rel->ncols && !flags[i]; i++)
		;
	if (i == rel->ncols) {
		whole = 1;
		memset(flags, 1, rel->ncols);
	}
	t.ncols = rel->ncols;
	t.cols = xcalloc((size_t)rel->ncols + 1, sizeof *t.cols);
	buf_init(&names);
	for (i = 0; i < rel->ncols; i++) {
		t.cols[i].kind = COL_NULL;
		if (!flags[i])
			continue;
		nflagged++;
		buf_append(&names, names.len > 0 ? ", " : "", names.len > 0 ?
		    2 : 0);
		buf_append(&names, rel->cols[i].name,
		    strlen(rel->cols[i].name));
		for (k = 0; k < nkeys; k++)
			if (strcmp(keys[k].column, rel->cols[i].name) == 0) {
				t.cols[i].kind = COL_TEXT;
				t.cols[i].val = keys[k].value;
				t.cols[i].len = (uint32_t)strlen(keys[k].value);
			}
		if (t.cols[i].kind != COL_TEXT)
			ret = -1;
	}
	buf_append(&names, "", 1);
	if (whole && (ret != 0 || nkeys != nflagged))
		ret = err_set(err, PGTT_EUSAGE, "%s.%s has no key: a row of it "
		    "is named by all its columns (%s), each as COLUMN=VALUE",
		    rel->schema, rel->name, (const char *)names.data);
	else if (ret != 0 || nkeys != nflagged)
		ret = err_set(err, PGTT_EUSAGE, "a row of %s.%s is named by "
		    "its key (%s): give each of its columns as COLUMN=VALUE, "
		    "and no other", rel->schema, rel->name,
		    (const char *)names.data);
	else {
		buf_reset(out);
		record_row_ident(out, &t, flags, rel->ncols);
	}
	buf_done(&names);
	free(t.cols);
	free(flags);
	return ret;
}

static void
keyset_add(struct keyset *ks, const char *col, const char *val, size_t len)
{
	ks->cols = xreallocarray(ks->cols, ks->n + 1, sizeof *ks->cols);
	ks->vals = xreallocarray(ks->vals, ks->n + 1, sizeof *ks->vals);
	ks->cols[ks->n] = xstrdup(col);
	ks->vals[ks->n] = NULL;
	if (val != NULL) {
		ks->vals[ks->n] = xmalloc(len + 1);
		memcpy(ks->vals[ks->n], val, len);
		ks->vals[ks->n][len] = '\0';
	}
	ks->n++;
}

static void
keyset_free(struct keyset *ks)
{
	size_t	i;

	for (i = 0; i < ks->n; i++) {
		free(ks->cols[i]);
		free(ks->vals[i]);
	}
	free(ks->cols);
	free(ks->vals);
	memset(ks, 0, sizeof *ks);
}

/*
 * The key of the row ch found: its old row's key columns, or the new
 * row's where an update kept its key.  A value the change did not carry
 * (TOASTed, unchanged) is left out of the match.
 */
static void
keyset_of_change(struct keyset *ks, const struct pgtt_change *ch,
    const struct pgtt_relation *rel)
{
	const struct pgtt_tuple	*t = ch->old_kind != OLD_NONE ? &ch->old :
				    &ch->new;
	uint8_t			*flags = xcalloc((size_t)rel->ncols + 1, 1);
	uint16_t		 i;

	relation_row_key(rel, flags);
	for (i = 0; i < rel->ncols && !flags[i]; i++)
		;
	if (i == rel->ncols)
		memset(flags, 1, rel->ncols);
	for (i = 0; i < rel->ncols && i < t->ncols; i++) {
		if (!flags[i] || t->cols[i].kind == COL_TOAST)
			continue;
		keyset_add(ks, rel->cols[i].name, t->cols[i].kind == COL_TEXT ?
		    t->cols[i].val : NULL, t->cols[i].len);
	}
	free(flags);
}

/* The row as the baseline dump holds it. */
static void
row_from_baseline(struct row *r, const struct baseline_row *b)
{
	size_t	i;

	row_free(r);
	r->present = 1;
	r->n = b->ncols;
	r->names = xcalloc(r->n + 1, sizeof *r->names);
	r->cols = xcalloc(r->n + 1, sizeof *r->cols);
	for (i = 0; i < r->n; i++) {
		r->names[i] = xstrdup(b->names[i]);
		if (b->values[i] == NULL) {
			r->cols[i].kind = COL_NULL;
			continue;
		}
		r->cols[i].kind = COL_TEXT;
		r->cols[i].val = xstrdup(b->values[i]);
		r->cols[i].len = (uint32_t)strlen(b->values[i]);
	}
}

/*
 * The row before its first change, from the baseline dump of the era
 * that change (or, for a row without changes, the window's end) lies in;
 * fn sees it when the baseline lies in the window.  A dump that cannot be
 * read is said to fn, and the history goes on without it.
 */
static int
baseline_start(struct rh *h, pgtt_lsn at, const struct keyset *ks,
    const struct pgtt_relation *rel, struct row *r, pgtt_lsn *era_start,
    rowhist_fn *fn, void *arg)
{
	const struct rowhist_opts	*o = h->opts;
	struct rowhist_item		 item;
	struct baseline_row		 b;
	struct eras			 eras;
	const struct era		*era;
	struct pgtt_col			*aligned = NULL;
	const struct pgtt_col		*c;
	struct pgtt_err			 reopen;
	char				*version = NULL;
	uint16_t			 i;
	int				 ret;

	if (!o->baseline || ks->n == 0)
		return 0;
	memset(&item, 0, sizeof item);
	item.rel = rel;
	if (eras_read(h->j, &eras, h->err) != 0) {
		item.unread = h->err->msg;
		ret = fn(arg, &item);
		err_clear(h->err);
		return ret;
	}
	era = era_at(&eras, at);
	/* The same name, another table (dropped, made again): not its rows. */
	if (baseline_holds_table(era->list, h->relid) == 0) {
		eras_done(&eras);
		return 0;
	}
	/* Outside the window the row is the start, but not said. */
	item.lsn = era->start >= o->from && era->start < o->to ? era->start :
	    LSN_INVALID;
	/* No read transaction while pg_restore runs: it would pin the map. */
	journal_iter_close(h->it);
	h->it = NULL;
	ret = journal_meta_get(h->j, "server_version", &version, h->err);
	if (ret == 0)
		ret = baseline_find_row(h->bindir, atoi(version) / 10000,
		    era->dump, rel->schema, rel->name, ks->n,
		    (const char *const *)ks->cols,
		    (const char *const *)ks->vals, &b, h->err);
	free(version);
	if (ret == 1)
		*era_start = era->start;
	eras_done(&eras);
	relcache_new_snapshot(&h->rels);
	if (journal_iter_open(h->j, 0, &h->it, &reopen) != 0) {
		if (ret == 1)
			baseline_row_free(&b);
		*h->err = reopen;
		return reopen.code;
	}
	if (ret < 0) {
		item.unread = h->err->msg;
		ret = item.lsn != LSN_INVALID ? fn(arg, &item) : 0;
		err_clear(h->err);
		return ret;
	}
	if (ret == 0)
		return 0;
	row_from_baseline(r, &b);
	baseline_row_free(&b);
	if (item.lsn == LSN_INVALID)
		return 0;
	aligned = xcalloc((size_t)rel->ncols + 1, sizeof *aligned);
	for (i = 0; i < rel->ncols; i++) {
		if ((c = row_col(r, rel->cols[i].name)) != NULL)
			aligned[i] = *c;
		else
			aligned[i].kind = COL_TOAST;
	}
	item.present = 1;
	item.row = aligned;
	ret = fn(arg, &item);
	free(aligned);
	return ret;
}

/* The history of (h->relid, id), from its iterator on; frees nothing. */
static int
run_ident(struct rh *h, const struct buf *id, const struct keyset *keys,
    const struct pgtt_relation *newest, rowhist_fn *fn, void *arg)
{
	const struct pgtt_relation	*rel;
	struct pgtt_change		*ch;
	struct pgtt_txn			*txn;
	struct rowhist_item		 item;
	struct list			 l = { NULL, 0 }, trunc = { NULL, 0 };
	struct keyset			 first = { 0, NULL, NULL };
	struct row			 row;
	struct pos			 lo = { 0, 0 }, hi = { h->opts->to, 0 };
	struct pos			 from = { h->opts->from, 0 }, at;
	pgtt_lsn			 since = 0;	/* the row's baseline */
	size_t				 i, k;
	uint32_t			 k2;
	int				 ret, is_trunc;

	memset(&row, 0, sizeof row);
	/*
	 * From the start, whatever the window: the row before the window's
	 * first change is the sum of the ones before it.  Back first: its
	 * keys are found from the first change, which going forward may move
	 * behind a change that left this key.
	 */
	if ((ret = collect(h, id->data, id->len, lo, hi, &l)) != 0 ||
	    (ret = follow_back(h, &l, id, lo)) != 0 ||
	    (ret = follow_forward(h, &l, id, hi)) != 0 ||
	    (ret = collect(h, (const uint8_t *)JOURNAL_TRUNCATE_IDENT,
	    JOURNAL_TRUNCATE_IDENT_LEN, lo, hi, &trunc)) != 0)
		goto out;
	if (l.n == 0 && keys != NULL)
		ret = baseline_start(h, h->opts->to == UINT64_MAX ?
		    UINT64_MAX : h->opts->to - 1, keys, newest, &row, &since,
		    fn, arg);
	else if (l.n > 0) {
		if ((ret = read_change(h, l.v[0], &ch, &rel)) < 0)
			goto out;
		if (ret == 1 && ch->kind != CHANGE_INSERT) {
			keyset_of_change(&first, ch, rel);
			ret = baseline_start(h, l.v[0].lsn, &first, rel, &row,
			    &since, fn, arg);
		} else
			ret = 0;
		free(ch);
	}
	/*
	 * The row's changes and the table's truncates (filed with no row),
	 * in order: a truncate ends the row where it stands.
	 */
	for (i = k = 0; (i < l.n || k < trunc.n) && ret == 0; ) {
		is_trunc = k < trunc.n && (i == l.n || pos_lt(trunc.v[k],
		    l.v[i]));
		at = is_trunc ? trunc.v[k++] : l.v[i++];
		/* A row from a later era's baseline outlived those. */
		if (is_trunc && (!row.present || at.lsn < since))
			continue;
		if ((ret = journal_iter_change_get(h->it, at.lsn, at.seq, &ch,
		    h->err)) != 0)
			break;
		if ((ret = relcache_at(&h->rels, h->it, h->relid, at.lsn,
		    at.seq, &rel, h->err)) != 0 ||
		    (ret = journal_iter_txn_get(h->it, at.lsn, &txn,
		    h->err)) != 0) {
			free(ch);
			break;
		}
		memset(&item, 0, sizeof item);
		if (is_trunc) {
			row_free(&row);
			item.trels = xcalloc((size_t)ch->nrelids + 1,
			    sizeof *item.trels);
			for (k2 = 0; k2 < ch->nrelids; k2++)
				if (relcache_at(&h->rels, h->it, ch->relids[k2],
				    at.lsn, at.seq, &item.trels[k2], h->err) != 0)
					err_clear(h->err);
		} else
			row_next(&row, ch, rel);
		item.ch = ch;
		item.txn = txn;
		item.lsn = ch->commit_lsn;
		item.rel = rel;
		item.present = row.present;
		item.row = row.cols;
		if (!pos_lt(at, from))
			ret = fn(arg, &item);
		free(item.trels);
		free(txn);
		free(ch);
	}
out:
	keyset_free(&first);
	row_free(&row);
	free(l.v);
	free(trunc.v);
	return ret;
}

static void
rh_init(struct rh *h, const struct verb_ctx *vc,
    const struct rowhist_opts *opts, struct pgtt_err *err)
{
	memset(h, 0, sizeof *h);
	h->j = vc->j;
	h->bindir = vc->cfg->pitr.bindir;
	h->opts = opts;
	h->err = err;
	buf_init(&h->old_id);
	buf_init(&h->new_id);
	relcache_init(&h->rels);
}

static void
rh_done(struct rh *h)
{
	journal_iter_close(h->it);
	relcache_free(&h->rels);
	free(h->keyrel);
	buf_done(&h->old_id);
	buf_done(&h->new_id);
}

int
rowhist_run(const struct verb_ctx *vc, const struct rowhist_opts *opts,
    const char *schema, const char *table, const struct rowhist_key *keys,
    size_t nkeys, rowhist_fn *fn, void *arg, struct pgtt_err *err)
{
	struct journal		*j = vc->j;
	struct rh		 h;
	struct pgtt_relation	*newest = NULL;
	struct keyset		 ks = { 0, NULL, NULL };
	struct buf		 id;
	size_t			 i;
	int			 ret;

	rh_init(&h, vc, opts, err);
	buf_init(&id);
	if ((ret = journal_relation_find(j, schema, table, &h.relid,
	    err)) <= 0) {
		if (ret == 0)
			ret = err_set(err, PGTT_ENOTFOUND, "no table %s%s%s is "
			    "in the journal", schema != NULL ? schema : "",
			    schema != NULL ? "." : "", table);
		goto out;
	}
	if ((ret = journal_relation_at(j, h.relid, UINT64_MAX, UINT32_MAX,
	    &newest, err)) != 0 ||
	    (ret = key_ident(newest, keys, nkeys, &id, err)) != 0 ||
	    (ret = journal_iter_open(j, 0, &h.it, err)) != 0)
		goto out;
	for (i = 0; i < nkeys; i++)
		keyset_add(&ks, keys[i].column, keys[i].value,
		    strlen(keys[i].value));
	h.keyrel = newest;
	ret = run_ident(&h, &id, &ks, newest, fn, arg);
out:
	keyset_free(&ks);
	if (h.keyrel == NULL)
		free(newest);
	rh_done(&h);
	buf_done(&id);
	return ret;
}

int
rowhist_run_change(const struct verb_ctx *vc,
    const struct rowhist_opts *opts, pgtt_lsn lsn, uint32_t seq,
    rowhist_fn *fn, void *arg, struct pgtt_err *err)
{
	struct journal			*j = vc->j;
	struct rh			 h;
	const struct pgtt_relation	*rel;
	struct pgtt_change		*ch = NULL;
	struct buf			 id;
	struct pos			 at = { lsn, seq };
	int			 ret;

	rh_init(&h, vc, opts, err);
	buf_init(&id);
	if ((ret = journal_iter_open(j, 0, &h.it, err)) != 0 ||
	    (ret = journal_iter_change_get(h.it, lsn, seq, &ch, err)) != 0)
		goto out;
	h.relid = ch->relid;
	free(ch);
	ch = NULL;
	if ((ret = journal_relation_at(j, h.relid, UINT64_MAX, UINT32_MAX,
	    &h.keyrel, err)) != 0)
		goto out;
	if ((ret = read_change(&h, at, &ch, &rel)) <= 0) {
		if (ret == 0)
			ret = err_set(err, PGTT_EUSAGE, "not a row change");
		goto out;
	}
	/* The row the change left, or the one a delete removed. */
	if (h.new_id.len > 0)
		buf_append(&id, h.new_id.data, h.new_id.len);
	else
		buf_append(&id, h.old_id.data, h.old_id.len);
	ret = run_ident(&h, &id, NULL, NULL, fn, arg);
out:
	free(ch);
	rh_done(&h);
	buf_done(&id);
	return ret;
}
