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
#include "xmalloc.h"

#define RELCACHE	8	/* relation versions kept during one call */

struct relent {
	uint32_t		 relid;	/* 0: empty slot */
	pgtt_lsn		 lsn;
	uint32_t		 seq;
	struct pgtt_relation	*rel;	/* NULL: unknown at lsn */
};

/* One call's walk: the iterator, its caches and a scratch buffer. */
struct scan {
	struct journal_iter	*it;
	struct pgtt_err		*e;
	int			 have_txn;	/* txn_lsn was looked up */
	pgtt_lsn		 txn_lsn;
	struct pgtt_txn		*txn;		/* NULL: not committed */
	struct relent		 rels[RELCACHE];
	size_t			 nextrel;
	struct buf		 b;
};

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
		    !rel->cols[i].is_key)
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

/* Start a walk at from; the iterator's read transaction opens here. */
static int
scan_open(struct scan *s, struct journal *j, const struct history_pos *from,
    struct pgtt_err *e)
{
	memset(s, 0, sizeof *s);
	s->e = e;
	buf_init(&s->b);
	if (journal_iter_open(j, from->lsn, &s->it, e) != 0)
		return e->code;
	return journal_iter_seek(s->it, from->lsn, from->seq, e);
}

/* End a walk: the read transaction closes with the iterator. */
static void
scan_close(struct scan *s)
{
	size_t	i;

	for (i = 0; i < RELCACHE; i++)
		free(s->rels[i].rel);
	free(s->txn);
	buf_done(&s->b);
	journal_iter_close(s->it);
}

/* The commit record of lsn, NULL while it is not committed; cached. */
static int
scan_txn(struct scan *s, pgtt_lsn lsn, const struct pgtt_txn **out)
{
	int	rc;

	if (!s->have_txn || s->txn_lsn != lsn) {
		free(s->txn);
		s->txn = NULL;
		s->have_txn = 0;
		rc = journal_iter_txn_get(s->it, lsn, &s->txn, s->e);
		if (rc != 0 && rc != PGTT_ENOTFOUND)
			return rc;
		err_clear(s->e);
		s->have_txn = 1;
		s->txn_lsn = lsn;
	}
	*out = s->txn;
	return 0;
}

/*
 * The relation version in force at lsn, NULL if unknown; cached.  The
 * pointer lives until RELCACHE more lookups miss, or scan_close.
 */
static int
scan_rel(struct scan *s, uint32_t relid, pgtt_lsn lsn, uint32_t seq,
    const struct pgtt_relation **out)
{
	struct pgtt_relation	*rel = NULL;
	struct relent		*slot;
	size_t			 i;
	int			 rc;

	/* An empty slot matches only relid 0, which is unknown anyway. */
	for (i = 0; i < RELCACHE; i++) {
		if (s->rels[i].relid == relid && s->rels[i].lsn == lsn &&
		    s->rels[i].seq == seq) {
			*out = s->rels[i].rel;
			return 0;
		}
	}
	rc = journal_iter_relation_at(s->it, relid, lsn, seq, &rel, s->e);
	if (rc != 0 && rc != PGTT_ENOTFOUND)
		return rc;
	err_clear(s->e);
	slot = &s->rels[s->nextrel++ % RELCACHE];
	free(slot->rel);
	slot->relid = relid;
	slot->lsn = lsn;
	slot->seq = seq;
	slot->rel = rel;
	*out = rel;
	return 0;
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

/* Does the change pass the filter?  1 yes, 0 no, or an error. */
static int
wanted(struct scan *s, const struct history_filter *f,
    const struct pgtt_change *ch)
{
	const struct pgtt_relation	*rel;
	const uint32_t			*ids = &ch->relid;
	uint32_t			 i, n = 1;
	int				 rc;

	if (f == NULL || (f->ops != 0 && !(f->ops & (1u << ch->kind))))
		return f == NULL;
	if (f->table == NULL)
		return 1;
	if (ch->kind == CHANGE_DDL || ch->kind == CHANGE_MESSAGE)
		return 0;
	if (ch->kind == CHANGE_TRUNCATE) {
		ids = ch->relids;
		n = ch->nrelids;
	}
	for (i = 0; i < n; i++) {
		if ((rc = scan_rel(s, ids[i], ch->commit_lsn, ch->seq, &rel)) != 0)
			return rc;
		if (table_matches(f, rel))
			return 1;
	}
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
static int
row_fill(struct scan *s, struct history_row *row,
    const struct pgtt_change *ch, const struct pgtt_txn *txn)
{
	const struct pgtt_relation	*rel = NULL;
	struct pgtt_col			 text;
	struct buf			*b = &s->b;
	char				*sql, *sp;
	uint32_t			 i;
	size_t				 n;
	int				 rc;

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
		if ((rc = scan_rel(s, ch->relid, ch->commit_lsn, ch->seq, &rel)) != 0)
			return rc;
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
			if ((rc = scan_rel(s, ch->relids[i], ch->commit_lsn,
			    ch->seq, &rel)) != 0)
				return rc;
			if (i > 0)
				buf_append(b, ", ", 2);
			put_table(b, rel, ch->relids[i]);
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
	return 0;
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

/* The key of a change, and the position just after it. */
static struct history_pos
pos_of(const struct pgtt_change *ch, int after)
{
	struct history_pos	p = { ch->commit_lsn, ch->seq };

	if (!after)
		return p;
	if (p.seq != UINT32_MAX)
		p.seq++;
	else if (p.lsn != UINT64_MAX) {
		p.lsn++;
		p.seq = 0;
	}
	return p;
}

/*
 * A change of a transaction not committed yet.  Backward: seek to its
 * first change, the walk goes on before it.  Forward: look past it; if
 * nothing follows it is the end (return 0), else *next is the change
 * after it (return 1), one more examined.
 */
static int
skip_uncommitted(struct scan *s, int dir, const struct pgtt_change *ch,
    struct pgtt_change **next)
{
	*next = NULL;
	if (dir < 0)
		return journal_iter_seek(s->it, ch->commit_lsn, 0, s->e);
	if (ch->commit_lsn == UINT64_MAX)
		return 0;
	journal_iter_seek(s->it, ch->commit_lsn + 1, 0, s->e);
	return journal_iter_next(s->it, next, s->e);
}

/* The window walk: see history.h and the paragraph at the top. */
int
history_page_scan(struct journal *j, const struct history_pos *from, int dir,
    size_t n, const struct history_filter *f, struct history_row *rows,
    size_t *got, struct history_scan *sc, struct pgtt_err *e)
{
	struct history_scan	 local;
	struct scan		 s;
	struct pgtt_change	*ch = NULL, *ahead = NULL;
	const struct pgtt_txn	*txn;
	struct history_row	 tmp;
	size_t			 examined = 0, i;
	int			 rc;

	if (sc == NULL)
		sc = &local;
	*got = 0;
	sc->resume = *from;
	sc->edge = 0;
	if (n == 0)
		return 0;
	if ((rc = scan_open(&s, j, from, e)) != 0)
		return rc;
	while (*got < n) {
		if (ahead != NULL) {
			ch = ahead;
			ahead = NULL;
		} else {
			if (examined == HISTORY_SCAN_MAX)
				break;
			rc = dir > 0 ? journal_iter_next(s.it, &ch, e) :
			    journal_iter_prev(s.it, &ch, e);
			if (rc < 0)
				goto fail;
			if (rc == 0) {
				sc->edge = 1;
				break;
			}
			examined++;
		}
		sc->resume = pos_of(ch, dir > 0);
		if ((rc = scan_txn(&s, ch->commit_lsn, &txn)) != 0)
			goto fail;
		if (txn == NULL) {
			if (dir < 0)
				sc->resume.seq = 0;
			else
				sc->resume = pos_of(ch, 0);
			rc = skip_uncommitted(&s, dir, ch, &ahead);
			free(ch);
			ch = NULL;
			if (rc < 0)
				goto fail;
			if (dir > 0 && rc == 0) {
				sc->edge = 1;
				break;
			}
			if (ahead != NULL)
				examined++;
			continue;
		}
		if ((rc = wanted(&s, f, ch)) < 0)
			goto fail;
		if (rc == 1) {
			if ((rc = row_fill(&s, &rows[*got], ch, txn)) != 0) {
				history_row_done(&rows[*got]);
				goto fail;
			}
			(*got)++;
		}
		free(ch);
		ch = NULL;
	}
	free(ahead);
	scan_close(&s);
	for (i = 0; dir < 0 && i < *got / 2; i++) {
		tmp = rows[i];
		rows[i] = rows[*got - 1 - i];
		rows[*got - 1 - i] = tmp;
	}
	return 0;

fail:
	free(ch);
	free(ahead);
	for (i = 0; i < *got; i++)
		history_row_done(&rows[i]);
	*got = 0;
	scan_close(&s);
	return rc;
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
			hc->is_key = rel->cols[i].is_key != 0;
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
	struct scan			 s;
	struct pgtt_change		*ch = NULL;
	const struct pgtt_txn		*txn;
	const struct pgtt_relation	*rel;
	char				 text[LSN_BUFSIZE];
	int				 rc;

	*out = NULL;
	if ((rc = scan_open(&s, j, pos, e)) != 0)
		return rc;
	if ((rc = journal_iter_next(s.it, &ch, e)) < 0)
		goto out;
	if (rc == 0 || ch->commit_lsn != pos->lsn || ch->seq != pos->seq) {
		rc = err_set(e, PGTT_ENOTFOUND, "no change at %s seq %u",
		    lsn_format(pos->lsn, text), pos->seq);
		goto out;
	}
	if ((rc = scan_txn(&s, ch->commit_lsn, &txn)) != 0)
		goto out;
	if (txn == NULL) {
		rc = err_set(e, PGTT_ENOTFOUND, "the change at %s seq %u is in "
		    "a transaction not committed yet", lsn_format(pos->lsn,
		    text), pos->seq);
		goto out;
	}
	d = xcalloc(1, sizeof *d);
	if ((rc = row_fill(&s, &d->row, ch, txn)) != 0)
		goto out;
	switch (ch->kind) {
	case CHANGE_INSERT:
	case CHANGE_UPDATE:
	case CHANGE_DELETE:
		if ((rc = scan_rel(&s, ch->relid, ch->commit_lsn, ch->seq, &rel)) != 0)
			goto out;
		detail_cols(d, ch, rel);
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
	free(ch);
	scan_close(&s);
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
