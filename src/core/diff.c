/*
 * diff.c: fold a window of history into net per-row changes (diff.h).
 *
 * One pass forward over the window, in chunks of CHUNK changes each read
 * in its own read transaction, feeds a hash map keyed by relation id and
 * identity bytes (the name and value of every identity column).  Entries
 * are never freed before the end, so a key change can point its new
 * entry at the old one, whose values at A stand for the unchanged TOASTed
 * values the new row did not send.  Then one pass backward from A fills
 * the values at A that the window did not hold, and the entries are
 * sorted into tables.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diff.h"
#include "journal.h"
#include "xmalloc.h"

#define CHUNK		10000	/* changes per read transaction */

struct entry {
	struct entry	*next;		/* hash chain */
	struct entry	*inherit;	/* unknown values at B come from its A */
	uint32_t	 relid;
	uint64_t	 order;
	size_t		 idlen;
	char		*id;
	int		 lookback;	/* values at A still to look for */
	struct diff_row	 row;
};

struct tbl {
	uint32_t	 relid;
	char		*schema, *name;
	int		 truncated;
};

struct diff_fold {
	struct entry	**hash;
	size_t		  nbuckets, nentries;
	struct entry	**all;		/* in first-touch order */
	struct tbl	 *tbls;
	size_t		  ntbls;
	struct pgtt_relation *rel;	/* cached: rel_lsn's version */
	pgtt_lsn	  rel_lsn;
};

/* FNV-1a over the relation id and the identity bytes. */
static uint64_t
hash_id(uint32_t relid, const char *id, size_t len)
{
	uint64_t	h = 1469598103934665603ULL;
	size_t		i;

	for (i = 0; i < 4; i++) {
		h ^= (relid >> (8 * i)) & 0xff;
		h *= 1099511628211ULL;
	}
	for (i = 0; i < len; i++) {
		h ^= (unsigned char)id[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* Does relation column i belong to the row's identity? */
static int
is_ident(const struct pgtt_relation *rel, size_t i)
{
	size_t	k;

	if (rel->cols[i].is_key)
		return 1;
	for (k = 0; k < rel->ncols; k++)
		if (rel->cols[k].is_key)
			return 0;
	return 1;		/* nothing flagged: every column */
}

/* The identity bytes of tuple t: name, kind, length, value per column. */
static char *
ident_bytes(const struct pgtt_tuple *t, const struct pgtt_relation *rel,
    size_t *len)
{
	struct buf	b;
	size_t		i, n;
	uint32_t	l;
	char		k;

	buf_init(&b);
	n = t->ncols < rel->ncols ? t->ncols : rel->ncols;
	for (i = 0; i < n; i++) {
		if (!is_ident(rel, i))
			continue;
		buf_append(&b, rel->cols[i].name, strlen(rel->cols[i].name) + 1);
		k = (char)t->cols[i].kind;
		l = t->cols[i].kind == COL_TEXT ? t->cols[i].len : 0;
		buf_append(&b, &k, 1);
		buf_append(&b, &l, sizeof l);
		if (l > 0)
			buf_append(&b, t->cols[i].val, l);
	}
	*len = b.len;
	if (b.data == NULL)
		return xcalloc(1, 1);
	return (char *)b.data;
}

/* Free the values of v. */
static void
vals_done(struct diff_vals *v)
{
	size_t	i;

	for (i = 0; i < v->ncols; i++) {
		free(v->cols[i].name);
		free(v->cols[i].val);
	}
	free(v->cols);
	memset(v, 0, sizeof *v);
}

/* Set one column, copying the value. */
static void
col_set(struct diff_col *c, const char *name, int is_key, enum col_kind kind,
    const char *val, uint32_t len)
{
	c->name = xstrdup(name);
	c->is_key = is_key;
	c->kind = kind;
	c->len = kind == COL_TEXT ? len : 0;
	c->val = NULL;
	if (kind == COL_TEXT) {
		c->val = xmalloc((size_t)len + 1);
		memcpy(c->val, val, len);
		c->val[len] = '\0';
	}
}

/* Values from a tuple; keys_only: other columns are unknown. */
static void
vals_from_tuple(struct diff_vals *v, const struct pgtt_tuple *t,
    const struct pgtt_relation *rel, int keys_only)
{
	size_t	i;

	v->present = 1;
	v->ncols = t->ncols < rel->ncols ? t->ncols : rel->ncols;
	v->cols = xcalloc(v->ncols + 1, sizeof *v->cols);
	for (i = 0; i < v->ncols; i++) {
		const struct pgtt_col	*c = &t->cols[i];
		int			 key = is_ident(rel, i);

		col_set(&v->cols[i], rel->cols[i].name, key,
		    keys_only && !key ? COL_TOAST : c->kind, c->val, c->len);
	}
}

/* A copy of src into dst. */
static void
vals_copy(struct diff_vals *dst, const struct diff_vals *src)
{
	size_t	i;

	dst->present = src->present;
	dst->ncols = src->ncols;
	dst->cols = xcalloc(src->ncols + 1, sizeof *dst->cols);
	for (i = 0; i < src->ncols; i++)
		col_set(&dst->cols[i], src->cols[i].name, src->cols[i].is_key,
		    src->cols[i].kind, src->cols[i].val, src->cols[i].len);
}

/* The column named name in v, or NULL. */
const struct diff_col *
diff_vals_col(const struct diff_vals *v, const char *name)
{
	size_t	i;

	for (i = 0; i < v->ncols; i++)
		if (strcmp(v->cols[i].name, name) == 0)
			return &v->cols[i];
	return NULL;
}

/* Does v hold an unknown value? */
static int
vals_unknown(const struct diff_vals *v)
{
	size_t	i;

	for (i = 0; i < v->ncols; i++)
		if (v->cols[i].kind == COL_TOAST)
			return 1;
	return 0;
}

/* Fill unknown columns of v from the same-named known ones of from. */
static void
vals_fill(struct diff_vals *v, const struct diff_vals *from)
{
	const struct diff_col	*f;
	struct diff_col		*c;
	size_t			 i;

	for (i = 0; i < v->ncols; i++) {
		c = &v->cols[i];
		if (c->kind != COL_TOAST ||
		    (f = diff_vals_col(from, c->name)) == NULL ||
		    f->kind == COL_TOAST)
			continue;
		free(c->val);
		c->val = NULL;
		c->kind = f->kind;
		c->len = f->len;
		if (f->kind == COL_TEXT) {
			c->val = xmalloc((size_t)f->len + 1);
			memcpy(c->val, f->val, (size_t)f->len + 1);
		}
	}
}

/* The entry of (relid, identity), or NULL. */
static struct entry *
lookup(struct diff_fold *f, uint32_t relid, const char *id, size_t len)
{
	struct entry	*e;

	e = f->hash[hash_id(relid, id, len) & (f->nbuckets - 1)];
	for (; e != NULL; e = e->next)
		if (e->relid == relid && e->idlen == len &&
		    memcmp(e->id, id, len) == 0)
			return e;
	return NULL;
}

/* Double the buckets when the load passes one. */
static void
grow(struct diff_fold *f)
{
	struct entry	**nh, *e, *next;
	size_t		  n = f->nbuckets * 2, i, h;

	nh = xcalloc(n, sizeof *nh);
	for (i = 0; i < f->nbuckets; i++)
		for (e = f->hash[i]; e != NULL; e = next) {
			next = e->next;
			h = hash_id(e->relid, e->id, e->idlen) & (n - 1);
			e->next = nh[h];
			nh[h] = e;
		}
	free(f->hash);
	f->hash = nh;
	f->nbuckets = n;
}

/* A new entry for a row first touched now; takes id. */
static struct entry *
add(struct diff_fold *f, uint32_t relid, char *id, size_t len)
{
	struct entry	*e;
	size_t		 h;

	if (f->nentries >= f->nbuckets)
		grow(f);
	e = xcalloc(1, sizeof *e);
	e->relid = relid;
	e->id = id;
	e->idlen = len;
	e->order = f->nentries;
	h = hash_id(relid, id, len) & (f->nbuckets - 1);
	e->next = f->hash[h];
	f->hash[h] = e;
	if ((f->nentries & (f->nentries - 1)) == 0)
		f->all = xreallocarray(f->all, f->nentries ? f->nentries * 2 :
		    1, sizeof *f->all);
	f->all[f->nentries++] = e;
	return e;
}

/* The table record of relid, made or renamed after rel. */
static struct tbl *
table_of(struct diff_fold *f, uint32_t relid, const struct pgtt_relation *rel)
{
	size_t	i;

	for (i = 0; i < f->ntbls; i++)
		if (f->tbls[i].relid == relid)
			break;
	if (i == f->ntbls) {
		f->tbls = xreallocarray(f->tbls, f->ntbls + 1,
		    sizeof *f->tbls);
		memset(&f->tbls[i], 0, sizeof f->tbls[i]);
		f->tbls[i].relid = relid;
		f->ntbls++;
	}
	if (rel != NULL) {
		free(f->tbls[i].schema);
		free(f->tbls[i].name);
		f->tbls[i].schema = xstrdup(rel->schema);
		f->tbls[i].name = xstrdup(rel->name);
	}
	return &f->tbls[i];
}

/* The entry of the row a change found (old row, or new for an insert). */
static struct entry *
touch(struct diff_fold *f, const struct pgtt_change *ch,
    const struct pgtt_relation *rel, const struct pgtt_tuple *t,
    int inserting)
{
	struct entry	*e;
	size_t		 len;
	char		*id;

	id = ident_bytes(t, rel, &len);
	if ((e = lookup(f, ch->relid, id, len)) != NULL) {
		free(id);
		return e;
	}
	e = add(f, ch->relid, id, len);
	if (inserting)
		return e;	/* absent at A */
	vals_from_tuple(&e->row.before, t, rel, ch->old_kind != OLD_FULL);
	e->lookback = vals_unknown(&e->row.before);
	vals_copy(&e->row.after, &e->row.before);
	return e;
}

/* The entry whose unknown values stand for those of e at B. */
static struct entry *
source_of(struct entry *e)
{
	return e->inherit != NULL ? e->inherit : e;
}

/* Fold one row change of rel. */
static void
fold_row(struct diff_fold *f, const struct pgtt_change *ch,
    const struct pgtt_relation *rel)
{
	struct entry		*e, *e2;
	struct diff_vals	 nv;
	const struct pgtt_tuple	*old;
	char			*nid;
	size_t			 nlen;

	switch (ch->kind) {
	case CHANGE_INSERT:
		e = touch(f, ch, rel, &ch->new, 1);
		vals_done(&e->row.after);
		vals_from_tuple(&e->row.after, &ch->new, rel, 0);
		e->inherit = NULL;
		break;
	case CHANGE_DELETE:
		e = touch(f, ch, rel, &ch->old, 0);
		vals_done(&e->row.after);
		break;
	case CHANGE_UPDATE:
		old = ch->old_kind != OLD_NONE ? &ch->old : &ch->new;
		e = touch(f, ch, rel, old, 0);
		memset(&nv, 0, sizeof nv);
		vals_from_tuple(&nv, &ch->new, rel, 0);
		vals_fill(&nv, &e->row.after);	/* unchanged TOAST */
		nid = ident_bytes(&ch->new, rel, &nlen);
		if (nlen == e->idlen && memcmp(nid, e->id, nlen) == 0) {
			free(nid);
			vals_done(&e->row.after);
			e->row.after = nv;
			break;
		}
		/* A new identity: a delete and an insert. */
		if ((e2 = lookup(f, ch->relid, nid, nlen)) != NULL)
			free(nid);
		else
			e2 = add(f, ch->relid, nid, nlen);
		vals_done(&e->row.after);
		vals_done(&e2->row.after);
		e2->row.after = nv;
		e2->inherit = source_of(e);
		break;
	default:
		break;
	}
}

/* A truncate: every row the window knows of in relid is gone. */
static void
fold_truncate(struct diff_fold *f, uint32_t relid)
{
	size_t	i;

	for (i = 0; i < f->nentries; i++)
		if (f->all[i]->relid == relid) {
			vals_done(&f->all[i]->row.after);
			f->all[i]->inherit = NULL;
		}
}

/* The relation version a change is read with, cached per transaction. */
static const struct pgtt_relation *
rel_for(struct diff_fold *f, struct journal_iter *it,
    const struct pgtt_change *ch, uint32_t relid)
{
	struct pgtt_err	err;

	if (f->rel != NULL && f->rel->relid == relid &&
	    f->rel_lsn == ch->commit_lsn)
		return f->rel;
	free(f->rel);
	f->rel = NULL;
	err_clear(&err);
	if (journal_iter_relation_at(it, relid, ch->commit_lsn, ch->seq,
	    &f->rel, &err) != 0) {
		f->rel = NULL;
		return NULL;
	}
	f->rel_lsn = ch->commit_lsn;
	return f->rel;
}

/* Does relation rel pass the table filter? */
static int
wanted(const struct pgtt_relation *rel, const char *schema,
    const char *table)
{
	if (table == NULL)
		return 1;
	return strcmp(rel->name, table) == 0 && (schema == NULL ||
	    strcmp(rel->schema, schema) == 0);
}

/* The DDL statement of a change: the query of pgtt's JSON, or raw. */
static char *
ddl_sql(const struct pgtt_change *ch)
{
	json_t		*doc;
	const char	*q;
	char		*s;

	if ((doc = json_loadb(ch->content, ch->content_len, 0, NULL)) !=
	    NULL && (q = json_string_value(json_object_get(doc, "query"))) !=
	    NULL) {
		s = xstrdup(q);
		json_decref(doc);
		return s;
	}
	json_decref(doc);
	s = xmalloc((size_t)ch->content_len + 1);
	memcpy(s, ch->content, ch->content_len);
	s[ch->content_len] = '\0';
	return s;
}

/* One change of the window. */
static void
fold_change(struct diff *d, struct journal_iter *it,
    const struct pgtt_change *ch, const char *schema, const char *table)
{
	struct diff_fold		*f = d->fold;
	const struct pgtt_relation	*rel;
	size_t				 i;

	d->changes++;
	switch (ch->kind) {
	case CHANGE_INSERT:
	case CHANGE_UPDATE:
	case CHANGE_DELETE:
		if ((rel = rel_for(f, it, ch, ch->relid)) == NULL ||
		    (ch->kind == CHANGE_DELETE && ch->old_kind == OLD_NONE)) {
			d->skipped++;
			return;
		}
		if (!wanted(rel, schema, table))
			return;
		table_of(f, ch->relid, rel);
		fold_row(f, ch, rel);
		break;
	case CHANGE_TRUNCATE:
		for (i = 0; i < ch->nrelids; i++) {
			if ((rel = rel_for(f, it, ch, ch->relids[i])) == NULL ||
			    !wanted(rel, schema, table))
				continue;
			table_of(f, ch->relids[i], rel)->truncated = 1;
			fold_truncate(f, ch->relids[i]);
		}
		break;
	case CHANGE_DDL:
		d->ddl = xreallocarray(d->ddl, d->nddl + 1, sizeof *d->ddl);
		d->ddl[d->nddl].lsn = ch->commit_lsn;
		d->ddl[d->nddl].seq = ch->seq;
		d->ddl[d->nddl].sql = ddl_sql(ch);
		d->nddl++;
		break;
	default:
		break;
	}
}

/*
 * Fold up to CHUNK changes from (*lsn, *seq) on, in one read transaction.
 * Returns 1 if there may be more, 0 at the end of the window, or an error.
 */
static int
fold_chunk(struct journal *j, struct diff *d, pgtt_lsn *lsn, uint32_t *seq,
    const char *schema, const char *table, struct pgtt_err *err)
{
	struct journal_iter	*it;
	struct pgtt_change	*ch;
	struct pgtt_txn		*txn;
	struct pgtt_err		 e2;
	pgtt_lsn		 cur = LSN_INVALID, next;
	size_t			 n = 0;
	int			 ret;

	if (journal_iter_open(j, *lsn, &it, err) != 0)
		return err->code;
	journal_iter_seek(it, *lsn, *seq, err);
	while ((ret = journal_iter_next(it, &ch, err)) == 1) {
		if (ch->commit_lsn >= d->to) {
			free(ch);
			ret = 0;
			break;
		}
		if (ch->commit_lsn != cur) {
			if (journal_iter_txn_get(it, ch->commit_lsn, &txn,
			    &e2) != 0) {
				/* Abandoned: pass over; still written: stop. */
				if (journal_seek_lsn(j, ch->commit_lsn + 1,
				    &next, &e2) == 0 && next < d->to) {
					journal_iter_seek(it, next, 0, err);
					free(ch);
					continue;
				}
				free(ch);
				ret = 0;
				break;
			}
			free(txn);
			cur = ch->commit_lsn;
		}
		fold_change(d, it, ch, schema, table);
		*lsn = ch->commit_lsn;
		*seq = ch->seq;
		free(ch);
		if (*seq == UINT32_MAX) {
			(*lsn)++;
			*seq = 0;
		} else
			(*seq)++;
		if (++n == CHUNK)
			break;
	}
	free(d->fold->rel);
	d->fold->rel = NULL;
	journal_iter_close(it);
	return ret;
}

/*
 * Walk back from A for the values at A the window did not hold: the last
 * insert or update before A that left a row with the same identity.
 */
static int
look_back(struct journal *j, struct diff *d, struct pgtt_err *err)
{
	struct diff_fold		*f = d->fold;
	struct journal_iter		*it;
	struct pgtt_change		*ch;
	const struct pgtt_relation	*rel;
	const struct pgtt_tuple		*t;
	struct diff_vals		 v;
	struct entry			*e;
	size_t				 i, pending = 0, scanned = 0, len;
	struct pgtt_txn			*txn;
	struct pgtt_err			 e2;
	pgtt_lsn			 cur = LSN_INVALID;
	char				*id;
	int				 ret = 0, known = 0;

	for (i = 0; i < f->nentries; i++)
		pending += f->all[i]->lookback;
	if (pending == 0)
		return 0;
	if (journal_iter_open(j, d->from, &it, err) != 0)
		return err->code;
	while (pending > 0 && scanned++ < DIFF_LOOKBACK_MAX &&
	    (ret = journal_iter_prev(it, &ch, err)) == 1) {
		if (ch->kind != CHANGE_INSERT && ch->kind != CHANGE_UPDATE &&
		    ch->kind != CHANGE_DELETE) {
			free(ch);
			continue;
		}
		for (i = 0; i < f->ntbls && f->tbls[i].relid != ch->relid; i++)
			;
		if (i < f->ntbls && ch->commit_lsn != cur) {
			/* Only committed transactions count. */
			known = journal_iter_txn_get(it, ch->commit_lsn, &txn,
			    &e2) == 0;
			if (known)
				free(txn);
			cur = ch->commit_lsn;
		}
		if (i == f->ntbls || !known ||
		    (rel = rel_for(f, it, ch, ch->relid)) == NULL) {
			free(ch);
			continue;
		}
		t = ch->kind == CHANGE_DELETE ? &ch->old : &ch->new;
		id = ident_bytes(t, rel, &len);
		e = lookup(f, ch->relid, id, len);
		free(id);
		if (e != NULL && e->lookback) {
			if (ch->kind == CHANGE_DELETE)
				e->lookback = 0;	/* not there at A? */
			else {
				memset(&v, 0, sizeof v);
				vals_from_tuple(&v, t, rel, 0);
				vals_fill(&e->row.before, &v);
				vals_done(&v);
				e->lookback = vals_unknown(&e->row.before);
			}
			if (!e->lookback)
				pending--;
		}
		free(ch);
	}
	free(f->rel);
	f->rel = NULL;
	journal_iter_close(it);
	return ret < 0 ? ret : 0;
}

/* Compare by schema, then name. */
static int
table_cmp(const void *a, const void *b)
{
	const struct diff_table	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->schema, y->schema)) != 0)
		return c;
	return strcmp(x->name, y->name);
}

/* Decide each entry's net change and hand it to its table. */
static void
classify(struct diff *d)
{
	struct diff_fold	*f = d->fold;
	struct diff_table	*t;
	struct diff_row		*r;
	const struct diff_col	*b;
	size_t			 i, k, n;

	d->tables = xcalloc(f->ntbls + 1, sizeof *d->tables);
	for (i = 0; i < f->ntbls; i++) {
		d->tables[i].relid = f->tbls[i].relid;
		d->tables[i].schema = xstrdup(f->tbls[i].schema != NULL ?
		    f->tbls[i].schema : "?");
		d->tables[i].name = xstrdup(f->tbls[i].name != NULL ?
		    f->tbls[i].name : "?");
		d->tables[i].truncated = f->tbls[i].truncated;
	}
	d->ntables = f->ntbls;
	for (i = 0; i < f->nentries; i++) {
		r = &f->all[i]->row;
		if (r->after.present)
			vals_fill(&r->after, &source_of(f->all[i])->row.before);
		r->before_unknown = vals_unknown(&r->before);
		if (r->before.present && r->after.present) {
			r->changed = xcalloc(r->after.ncols + 1,
			    sizeof *r->changed);
			for (k = n = 0; k < r->after.ncols; k++) {
				const struct diff_col *a = &r->after.cols[k];

				b = diff_vals_col(&r->before, a->name);
				if (a->kind == COL_TOAST)
					continue;
				r->changed[k] = b == NULL || b->kind !=
				    a->kind || b->len != a->len ||
				    (a->len > 0 && memcmp(a->val, b->val,
				    a->len) != 0);
				n += r->changed[k];
			}
			r->op = n > 0 ? DIFF_UPDATED : DIFF_NONE;
		} else if (r->before.present)
			r->op = DIFF_DELETED;
		else if (r->after.present)
			r->op = DIFF_INSERTED;
		if (r->op == DIFF_NONE)
			continue;
		for (t = d->tables; t->relid != f->all[i]->relid; t++)
			;
		t->rows = xreallocarray(t->rows, t->nrows + 1,
		    sizeof *t->rows);
		t->rows[t->nrows++] = r;
		t->ninserted += r->op == DIFF_INSERTED;
		t->ndeleted += r->op == DIFF_DELETED;
		t->nupdated += r->op == DIFF_UPDATED;
	}
	/* Keep tables with something to show. */
	for (i = n = 0; i < d->ntables; i++) {
		if (d->tables[i].nrows == 0 && !d->tables[i].truncated) {
			free(d->tables[i].schema);
			free(d->tables[i].name);
			continue;
		}
		d->tables[n++] = d->tables[i];
	}
	d->ntables = n;
	qsort(d->tables, d->ntables, sizeof *d->tables, table_cmp);
}

/* Fold the window, look back, sort into tables. */
int
diff_compute(struct journal *j, pgtt_lsn from, pgtt_lsn to,
    const char *schema, const char *table, struct diff **out,
    struct pgtt_err *err)
{
	struct diff	*d;
	pgtt_lsn	 lsn = from;
	uint32_t	 seq = 0;
	int		 ret;

	d = xcalloc(1, sizeof *d);
	d->from = from;
	d->to = to;
	d->fold = xcalloc(1, sizeof *d->fold);
	d->fold->nbuckets = 1024;
	d->fold->hash = xcalloc(d->fold->nbuckets, sizeof *d->fold->hash);
	while ((ret = fold_chunk(j, d, &lsn, &seq, schema, table, err)) == 1)
		;
	if (ret == 0)
		ret = look_back(j, d, err);
	if (ret != 0) {
		diff_free(d);
		return ret;
	}
	classify(d);
	*out = d;
	return 0;
}

/* Free a diff and every entry it holds. */
void
diff_free(struct diff *d)
{
	struct diff_fold	*f;
	size_t			 i;

	if (d == NULL)
		return;
	f = d->fold;
	for (i = 0; i < f->nentries; i++) {
		vals_done(&f->all[i]->row.before);
		vals_done(&f->all[i]->row.after);
		free(f->all[i]->row.changed);
		free(f->all[i]->id);
		free(f->all[i]);
	}
	for (i = 0; i < f->ntbls; i++) {
		free(f->tbls[i].schema);
		free(f->tbls[i].name);
	}
	free(f->tbls);
	free(f->all);
	free(f->hash);
	free(f->rel);
	free(f);
	for (i = 0; i < d->ntables; i++) {
		free(d->tables[i].schema);
		free(d->tables[i].name);
		free(d->tables[i].rows);
	}
	free(d->tables);
	for (i = 0; i < d->nddl; i++)
		free(d->ddl[i].sql);
	free(d->ddl);
	free(d);
}
