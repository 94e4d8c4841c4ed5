/*
 * history.c: the journal as display rows, for the stream and detail panes
 * and `log`.
 *
 * A page is one journal iterator walked from a position one way until it
 * holds n rows, meets an edge or has examined HISTORY_SCAN_MAX changes, so
 * its cost follows the page, never the length of the history.  Every
 * lookup goes through the iterator, so commit records and relation
 * versions come from the same snapshot as the changes.  A change counts
 * only once its transaction's record exists.  Backward, a transaction
 * without one is jumped over with one seek.  Forward, it marks the end of
 * committed history (the listener writes transactions in commit order),
 * unless a change follows it: then it is one the listener abandoned, and
 * it is jumped over too.  The commit record is cached for the transaction
 * being walked and relation versions per (relation, commit LSN), where a
 * version cannot change.  Text is made safe to print here, once: control
 * characters become spaces and cuts fall between UTF-8 characters.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "era.h"
#include "history.h"
#include "walk.h"
#include "xmalloc.h"


/*
 * Bytes of s that hold its first max characters: a UTF-8 sequence counts
 * once, and any byte that cannot continue one (Latin-1 text) on its own.
 */
int
history_is_break(const struct pgtt_change *ch)
{
	return ch->kind == CHANGE_MESSAGE &&
	    strcmp(ch->prefix, ERA_BREAK_PREFIX) == 0;
}

static size_t
cut_at(const char *s, size_t len, size_t max)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, chars = 0;
	int			 more = 0;	/* continuation bytes due */

	for (i = 0; i < len; i++) {
		if ((p[i] & 0xc0) == 0x80 && more > 0) {
			more--;
			continue;
		}
		if (chars == max)
			return i;
		chars++;
		more = p[i] >= 0xf0 ? 3 : p[i] >= 0xe0 ? 2 : p[i] >= 0xc0;
	}
	return len;
}

/* Append n bytes, C0, DEL and UTF-8 C1 controls each as one space. */
static void
put_clean(struct buf *b, const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, start = 0;

	for (i = 0; i < n; i++) {
		if (p[i] >= 0x20 && p[i] != 0x7f && (p[i] != 0xc2 ||
		    i + 1 == n || p[i + 1] < 0x80 || p[i + 1] > 0x9f))
			continue;
		buf_append(b, s + start, i - start);
		buf_append(b, " ", 1);
		if (p[i] == 0xc2)
			i++;
		start = i + 1;
	}
	buf_append(b, s + start, n - start);
}

/* The terminal and the UI both need one line they can trust. */
void
history_format_line(struct buf *b, const char *s, size_t len, size_t max)
{
	size_t	n = cut_at(s, len, max);

	put_clean(b, s, n);
	if (n < len)
		buf_append(b, "...", 3);
}

/* One value as `log` has always shown it, made safe and cut. */
void
history_format_value(struct buf *b, const struct pgtt_col *c, size_t max)
{
	size_t	n, i;
	int	quote;

	if (c->kind == COL_NULL) {
		buf_append(b, "NULL", 4);
		return;
	}
	if (c->kind == COL_TOAST) {
		buf_append(b, "(unchanged toast)", 17);
		return;
	}
	n = cut_at(c->val, c->len, max);
	quote = c->len == 0;
	for (i = 0; i < n && !quote; i++)
		quote = c->val[i] == ' ' || c->val[i] == '\'';
	if (quote)
		buf_append(b, "'", 1);
	put_clean(b, c->val, n);
	if (n < c->len)
		buf_append(b, "...", 3);
	if (quote)
		buf_append(b, "'", 1);
}

/* A column's name, or colN when the relation does not say. */
static const char *
col_name(const struct pgtt_relation *rel, size_t i, char *buf, size_t size)
{
	if (rel != NULL && i < rel->ncols)
		return rel->cols[i].name;
	snprintf(buf, size, "col%zu", i + 1);
	return buf;
}

/* Append a column name, made safe. */
static void
put_name(struct buf *b, const struct pgtt_relation *rel, size_t i)
{
	char		 tmp[32];
	const char	*name = col_name(rel, i, tmp, sizeof tmp);

	history_format_line(b, name, strlen(name), SIZE_MAX);
}

/* The columns `log` prints for a row, and a row's key and summary. */
void
history_format_tuple(struct buf *b, const struct pgtt_tuple *t,
    const struct pgtt_relation *rel, int keys_only, size_t max)
{
	size_t	i;
	int	first = 1;

	for (i = 0; i < t->ncols; i++) {
		if (keys_only && rel != NULL && i < rel->ncols &&
		    !relation_is_row_key(rel, (uint16_t)i))
			continue;
		if (!first)
			buf_append(b, " ", 1);
		first = 0;
		put_name(b, rel, i);
		buf_append(b, "=", 1);
		history_format_value(b, &t->cols[i], max);
	}
}

/* A copy of len bytes with a NUL after them, for values and contents. */
static char *
copy_bytes(const char *p, size_t len)
{
	char	*s = xmalloc(len + 1);

	if (len > 0)
		memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/* The buffer's text as a malloc'd string; the buffer is emptied. */
static char *
take_string(struct buf *b)
{
	char	*s = copy_bytes((const char *)b->data, b->len);

	buf_reset(b);
	return s;
}

/* "schema.name", made safe, or the relation id when it is unknown. */
static void
put_table(struct buf *b, const struct pgtt_relation *rel, uint32_t relid)
{
	char	tmp[16];

	if (rel == NULL) {
		snprintf(tmp, sizeof tmp, "%u", relid);
		buf_append(b, tmp, strlen(tmp));
		return;
	}
	history_format_line(b, rel->schema, strlen(rel->schema), SIZE_MAX);
	buf_append(b, ".", 1);
	history_format_line(b, rel->name, strlen(rel->name), SIZE_MAX);
}

/* Is rel the filter's table? */
static int
table_matches(const struct history_filter *f,
    const struct pgtt_relation *rel)
{
	return rel != NULL && strcmp(rel->name, f->table) == 0 &&
	    (f->schema == NULL || strcmp(rel->schema, f->schema) == 0);
}

/* Does the change pass the filter? */
int
history_wanted(const struct history_filter *f, const struct walk_item *item)
{
	const struct pgtt_change	*ch = item->ch;
	uint32_t			 i;

	if (f == NULL || (f->ops != 0 && !(f->ops & (1u << ch->kind))))
		return f == NULL;
	if (f->table == NULL)
		return 1;
	if (ch->kind == CHANGE_DDL || ch->kind == CHANGE_MESSAGE)
		return 0;
	if (ch->kind != CHANGE_TRUNCATE)
		return table_matches(f, item->rel);
	for (i = 0; i < ch->nrelids; i++)
		if (table_matches(f, item->trels[i]))
			return 1;
	return 0;
}

/* Is column i of the old row known?  See history.h, has_old. */
static int
old_known(const struct pgtt_change *ch, const struct pgtt_relation *rel,
    size_t i)
{
	const struct pgtt_col	*c;

	if (ch->old_kind == OLD_NONE || i >= ch->old.ncols)
		return 0;
	c = &ch->old.cols[i];
	if (c->kind == COL_TOAST)
		return 0;
	if (ch->old_kind == OLD_FULL)
		return 1;
	/* A key-only old row holds NULL in its other columns. */
	if (rel != NULL && i < rel->ncols)
		return rel->cols[i].is_key;
	return c->kind == COL_TEXT;
}

/* Same value, NULL-ness included. */
static int
col_equal(const struct pgtt_col *a, const struct pgtt_col *b)
{
	if (a->kind != b->kind)
		return 0;
	return a->kind != COL_TEXT || (a->len == b->len &&
	    (a->len == 0 || memcmp(a->val, b->val, a->len) == 0));
}

/* An update's new row, with "col: old -> new" where it is known to differ. */
static void
put_update(struct buf *b, const struct pgtt_change *ch,
    const struct pgtt_relation *rel)
{
	const struct pgtt_col	*c;
	size_t			 i;

	for (i = 0; i < ch->new.ncols; i++) {
		c = &ch->new.cols[i];
		if (i > 0)
			buf_append(b, " ", 1);
		put_name(b, rel, i);
		if (c->kind != COL_TOAST && old_known(ch, rel, i) &&
		    !col_equal(&ch->old.cols[i], c)) {
			buf_append(b, ": ", 2);
			history_format_value(b, &ch->old.cols[i],
			    HISTORY_VALUE_MAX);
			buf_append(b, " -> ", 4);
		} else
			buf_append(b, "=", 1);
		history_format_value(b, c, HISTORY_VALUE_MAX);
	}
}

/* A DDL change as text, and its search_path: 0, or -1 if not pgtt's. */
static int
ddl_parse(const struct pgtt_change *ch, char **sql, char **search_path)
{
	*sql = ddl_describe(ch->content, ch->content_len, search_path);
	return *sql != NULL ? 0 : -1;
}

/* table, key and summary of a change that passed the filter. */
static void
row_fill(struct buf *b, struct history_row *row, const struct walk_item *item)
{
	const struct pgtt_change	*ch = item->ch;
	const struct pgtt_txn		*txn = &item->txn;
	const struct pgtt_relation	*rel = item->rel;
	struct pgtt_col			 text;
	char				*sql, *sp;
	uint32_t			 i;
	size_t				 n;

	memset(row, 0, sizeof *row);
	row->pos.lsn = ch->commit_lsn;
	row->pos.seq = ch->seq;
	row->end_lsn = txn->end_lsn;
	row->commit_time = txn->commit_time;
	row->xid = txn->xid;
	row->kind = ch->kind;
	buf_reset(b);
	switch (ch->kind) {
	case CHANGE_INSERT:
	case CHANGE_UPDATE:
	case CHANGE_DELETE:
		row->relid = ch->relid;
		put_table(b, rel, ch->relid);
		row->table = take_string(b);
		if (rel != NULL && (ch->kind != CHANGE_DELETE ||
		    ch->old_kind != OLD_NONE))
			history_format_tuple(b, ch->kind == CHANGE_DELETE ?
			    &ch->old : &ch->new, rel, 1, HISTORY_VALUE_MAX);
		row->key = take_string(b);
		if (ch->kind == CHANGE_INSERT)
			history_format_tuple(b, &ch->new, rel, 0,
			    HISTORY_VALUE_MAX);
		else if (ch->kind == CHANGE_UPDATE)
			put_update(b, ch, rel);
		else if (ch->old_kind != OLD_NONE)
			history_format_tuple(b, &ch->old, rel,
			    ch->old_kind == OLD_KEY, HISTORY_VALUE_MAX);
		break;
	case CHANGE_TRUNCATE:
		for (i = 0; i < ch->nrelids; i++) {
			if (i > 0)
				buf_append(b, ", ", 2);
			put_table(b, item->trels[i], ch->relids[i]);
		}
		row->table = take_string(b);
		row->key = xstrdup("");
		if (ch->truncate_flags & 1)
			buf_append(b, "cascade", 7);
		if ((ch->truncate_flags & 3) == 3)
			buf_append(b, ", ", 2);
		if (ch->truncate_flags & 2)
			buf_append(b, "restart identity", 16);
		break;
	case CHANGE_DDL:
	case CHANGE_MESSAGE:
		row->table = xstrdup("");
		row->key = xstrdup("");
		if (ch->kind == CHANGE_DDL && ddl_parse(ch, &sql, &sp) == 0) {
			history_format_line(b, sql, strlen(sql),
			    HISTORY_SUMMARY_MAX);
			free(sql);
			free(sp);
			break;
		}
		history_format_line(b, ch->prefix, strlen(ch->prefix),
		    SIZE_MAX);
		buf_append(b, " ", 1);
		if (history_is_break(ch)) {
			history_format_line(b, ch->content, ch->content_len,
			    HISTORY_SUMMARY_MAX);
			break;
		}
		text.kind = COL_TEXT;
		text.len = ch->content_len;
		text.val = ch->content;
		history_format_value(b, &text, HISTORY_SUMMARY_MAX);
		break;
	}
	/* One screen line's worth. */
	n = cut_at((const char *)b->data, b->len, HISTORY_SUMMARY_MAX);
	if (n < b->len) {
		b->len = n;
		buf_append(b, "...", 3);
	}
	row->summary = take_string(b);
}

/* Free what a row owns; the row itself is the caller's. */
void
history_row_done(struct history_row *row)
{
	free(row->table);
	free(row->key);
	free(row->summary);
	row->table = row->key = row->summary = NULL;
}

/* The window walk: see history.h and the paragraph at the top. */
int
history_page_scan(struct journal *j, const struct history_pos *from, int dir,
    size_t n, const struct history_filter *f, struct history_row *rows,
    size_t *got, struct history_scan *sc, struct pgtt_err *e)
{
	struct history_scan	 local;
	struct walk		*w;
	const struct walk_item	*item;
	struct history_row	 tmp;
	struct buf		 b;
	size_t			 examined = 0, i;
	int			 rc = 0;

	if (sc == NULL)
		sc = &local;
	*got = 0;
	sc->resume = *from;
	sc->edge = 0;
	sc->examined = 0;
	if (n == 0)
		return 0;
	if (walk_open(j, LSN_INVALID, 0, UINT64_MAX, dir < 0 ? WALK_BACKWARD :
	    0, NULL, &w, e) != 0)
		return e->code;
	walk_seek(w, from->lsn, from->seq);
	buf_init(&b);
	while (*got < n && examined < HISTORY_SCAN_MAX) {
		if ((rc = walk_next(w, &item, e)) < 0)
			break;
		if (rc == 0) {
			sc->edge = 1;
			break;
		}
		examined++;
		if (history_wanted(f, item))
			row_fill(&b, &rows[(*got)++], item);
	}
	walk_resume(w, &sc->resume.lsn, &sc->resume.seq);
	sc->examined = examined;
	walk_close(w);
	buf_done(&b);
	if (rc < 0) {
		for (i = 0; i < *got; i++)
			history_row_done(&rows[i]);
		*got = 0;
		return rc;
	}
	for (i = 0; dir < 0 && i < *got / 2; i++) {
		tmp = rows[i];
		rows[i] = rows[*got - 1 - i];
		rows[*got - 1 - i] = tmp;
	}
	return 0;
}

static int
pos_cmp(const struct history_pos *a, const struct history_pos *b)
{
	if (a->lsn != b->lsn)
		return a->lsn < b->lsn ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int
row_cmp(const void *a, const void *b)
{
	return pos_cmp(&((const struct history_row *)a)->pos,
	    &((const struct history_row *)b)->pos);
}

int
history_page_merged(struct journal *const *js, size_t nj,
    const struct history_pos *from, int dir, size_t n,
    const struct history_filter *f, struct history_row *rows, size_t *got,
    struct history_scan *sc, struct pgtt_err *e)
{
	struct history_scan	 local, one;
	struct history_row	*all;
	struct history_pos	 start = *from, cut;	/* from may be in sc */
	size_t			 nall = 0, k, i, first, last, g;
	int			 bounded = 0, rc = 0;

	if (sc == NULL)
		sc = &local;
	*got = 0;
	memset(sc, 0, sizeof *sc);
	sc->resume = start;
	all = xcalloc(nj * n + 1, sizeof *all);
	/*
	 * Each journal's page holds what it examined, up to its resume: the
	 * merged rows are those every journal has looked at.  Going forward
	 * that ends at the nearest resume; going back it starts at the
	 * farthest one.
	 */
	for (k = 0; k < nj; k++) {
		if ((rc = history_page_scan(js[k], &start, dir, n, f,
		    all + nall, &g, &one, e)) != 0)
			break;
		for (i = 0; i < g; i++)
			all[nall + i].source = (uint32_t)k;
		nall += g;
		sc->examined += one.examined;
		if (one.edge)
			continue;
		if (!bounded || (dir > 0 ? pos_cmp(&one.resume, &cut) < 0 :
		    pos_cmp(&one.resume, &cut) > 0))
			cut = one.resume;
		bounded = 1;
	}
	if (rc != 0) {
		for (i = 0; i < nall; i++)
			history_row_done(&all[i]);
		free(all);
		return rc;
	}
	qsort(all, nall, sizeof *all, row_cmp);
	/* The rows [first, last) lie where every journal has looked. */
	first = 0;
	last = nall;
	while (bounded && dir > 0 && last > 0 &&
	    pos_cmp(&all[last - 1].pos, &cut) >= 0)
		last--;
	while (bounded && dir < 0 && first < nall &&
	    pos_cmp(&all[first].pos, &cut) < 0)
		first++;
	if (last - first > n) {
		/* Full: go on from the rows kept, as for one journal. */
		if (dir > 0)
			last = first + n;
		else
			first = last - n;
		sc->edge = 0;
		sc->resume = dir > 0 ? all[last - 1].pos : all[first].pos;
		if (dir > 0 && ++sc->resume.seq == 0)
			sc->resume.lsn++;
	} else {
		sc->edge = !bounded;
		if (bounded)
			sc->resume = cut;
		else if (last > first && dir < 0)
			sc->resume = all[first].pos;
		else if (last > first) {
			/* Just after the last row, as one journal says it. */
			sc->resume = all[last - 1].pos;
			if (++sc->resume.seq == 0)
				sc->resume.lsn++;
		}
	}
	for (i = 0; i < nall; i++) {
		if (i >= first && i < last)
			rows[(*got)++] = all[i];
		else
			history_row_done(&all[i]);
	}
	free(all);
	return 0;
}

/* The window walk, for callers that need not know where it stopped. */
int
history_page(struct journal *j, const struct history_pos *from, int dir,
    size_t n, const struct history_filter *f, struct history_row *rows,
    size_t *got, struct pgtt_err *e)
{
	return history_page_scan(j, from, dir, n, f, rows, got, NULL, e);
}

/* Where "top" and "follow" go: two seeks on the txn index. */
int
history_bounds(struct journal *j, struct history_pos *first,
    struct history_pos *end, struct pgtt_err *e)
{
	pgtt_lsn	lo, hi;
	int		rc;

	first->lsn = end->lsn = 0;
	first->seq = end->seq = 0;
	if ((rc = journal_seek_lsn(j, 0, &lo, e)) == 0)
		rc = journal_seek_before_lsn(j, UINT64_MAX, &hi, e);
	if (rc == PGTT_ENOTFOUND) {
		err_clear(e);
		return 0;
	}
	if (rc != 0)
		return rc;
	first->lsn = lo;
	end->lsn = hi + 1;
	return 0;
}

/* Every column of a row change, old and new side by side. */
static void
detail_cols(struct history_detail *d, const struct pgtt_change *ch,
    const struct pgtt_relation *rel)
{
	struct history_col	*hc;
	const struct pgtt_col	*o, *nw;
	struct buf		 b;
	size_t			 i, n;

	n = rel != NULL ? rel->ncols : 0;
	if (ch->kind != CHANGE_DELETE && ch->new.ncols > n)
		n = ch->new.ncols;
	if (ch->old_kind != OLD_NONE && ch->old.ncols > n)
		n = ch->old.ncols;
	d->ncols = n;
	d->cols = xcalloc(n == 0 ? 1 : n, sizeof *d->cols);
	buf_init(&b);
	for (i = 0; i < n; i++) {
		hc = &d->cols[i];
		put_name(&b, rel, i);
		hc->name = take_string(&b);
		if (rel != NULL && i < rel->ncols) {
			hc->type_oid = rel->cols[i].type_oid;
			hc->typmod = rel->cols[i].typmod;
			hc->is_key = relation_is_row_key(rel, (uint16_t)i);
		} else
			hc->typmod = -1;
		if ((hc->has_old = old_known(ch, rel, i))) {
			o = &ch->old.cols[i];
			hc->old_null = o->kind == COL_NULL;
			if (o->kind == COL_TEXT) {
				hc->old = copy_bytes(o->val, o->len);
				hc->old_len = o->len;
			}
		}
		if (ch->kind == CHANGE_DELETE || i >= ch->new.ncols)
			continue;
		nw = &ch->new.cols[i];
		hc->has_new = 1;
		hc->new_null = nw->kind == COL_NULL;
		hc->toast = nw->kind == COL_TOAST;
		if (nw->kind == COL_TEXT) {
			hc->new = copy_bytes(nw->val, nw->len);
			hc->new_len = nw->len;
		}
		hc->changed = hc->has_old && !hc->toast &&
		    !col_equal(&ch->old.cols[i], nw);
	}
	buf_done(&b);
}

/* One change in full, for the detail pane. */
int
history_detail(struct journal *j, const struct history_pos *pos,
    struct history_detail **out, struct pgtt_err *e)
{
	struct history_detail		*d = NULL;
	struct journal_iter		*it;
	struct pgtt_change		*ch = NULL;
	struct pgtt_txn			*txn = NULL;
	struct relcache			 rels;
	struct walk_item		 item;
	struct buf			 b;
	char				 text[LSN_BUFSIZE];
	uint32_t			 k;
	int				 rc;

	*out = NULL;
	memset(&item, 0, sizeof item);
	relcache_init(&rels);
	buf_init(&b);
	if ((rc = journal_iter_open(j, pos->lsn, &it, e)) != 0)
		return rc;
	if ((rc = journal_iter_change_get(it, pos->lsn, pos->seq, &ch,
	    e)) != 0) {
		if (rc == PGTT_ENOTFOUND)
			err_set(e, PGTT_ENOTFOUND, "no change at %s seq %u",
			    lsn_format(pos->lsn, text), pos->seq);
		goto out;
	}
	if ((rc = journal_iter_txn_get(it, ch->commit_lsn, &txn, e)) != 0) {
		if (rc == PGTT_ENOTFOUND)
			err_set(e, PGTT_ENOTFOUND, "the change at %s seq %u is "
			    "in a transaction not committed yet",
			    lsn_format(pos->lsn, text), pos->seq);
		goto out;
	}
	item.ch = ch;
	item.txn = *txn;
	/* As a walk would hand it: unknown relations are NULL. */
	if (ch->kind >= CHANGE_INSERT && ch->kind <= CHANGE_DELETE &&
	    relcache_at(&rels, it, ch->relid, ch->commit_lsn, ch->seq,
	    &item.rel, e) != 0)
		err_clear(e);
	if (ch->kind == CHANGE_TRUNCATE) {
		item.trels = xcalloc(ch->nrelids + 1, sizeof *item.trels);
		for (k = 0; k < ch->nrelids; k++)
			if (relcache_at(&rels, it, ch->relids[k],
			    ch->commit_lsn, ch->seq, &item.trels[k], e) != 0)
				err_clear(e);
	}
	d = xcalloc(1, sizeof *d);
	row_fill(&b, &d->row, &item);
	switch (ch->kind) {
	case CHANGE_INSERT:
	case CHANGE_UPDATE:
	case CHANGE_DELETE:
		detail_cols(d, ch, item.rel);
		break;
	case CHANGE_DDL:
		if (ddl_parse(ch, &d->sql, &d->search_path) != 0)
			d->sql = copy_bytes(ch->content, ch->content_len);
		break;
	case CHANGE_MESSAGE:
		d->prefix = xstrdup(ch->prefix);
		d->content = copy_bytes(ch->content, ch->content_len);
		d->content_len = ch->content_len;
		break;
	case CHANGE_TRUNCATE:
		break;
	}
	*out = d;
	d = NULL;
out:
	history_detail_free(d);
	free(item.trels);
	free(txn);
	free(ch);
	relcache_free(&rels);
	buf_done(&b);
	journal_iter_close(it);
	return rc;
}

/* Everything the detail owns, and the detail. */
void
history_detail_free(struct history_detail *d)
{
	size_t	i;

	if (d == NULL)
		return;
	history_row_done(&d->row);
	for (i = 0; i < d->ncols; i++) {
		free(d->cols[i].name);
		free(d->cols[i].old);
		free(d->cols[i].new);
	}
	free(d->cols);
	free(d->sql);
	free(d->search_path);
	free(d->prefix);
	free(d->content);
	free(d);
}
