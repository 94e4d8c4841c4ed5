/*
 * diff.c: fold a window of history into net per-row changes (diff.h).
 *
 * One pass forward over the window, through walk.h, feeds a hash map
 * keyed by relation id and the row key's identity bytes (relation_row_key,
 * record_row_ident).  Entries are never freed before the
 * end, so a key change can point its new entry at the old one, whose
 * values at A stand for the unchanged TOASTed values the new row did not
 * send.  Then the values at A that the window did not hold are looked up,
 * and the entries are sorted into tables.
 *
 * Everything an entry holds lives in one arena, freed with the diff: a
 * million-row window makes millions of small blocks that all die together.
 * Column names point into the relation versions the fold read, which its
 * relation cache keeps until then too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "arena.h"
#include "config.h"
#include "ddl.h"
#include "diff-int.h"
#include "diff.h"
#include "era.h"
#include "hash.h"
#include "journal.h"
#include "walk.h"
#include "xmalloc.h"


/* The relation id and the identity bytes, hashed and mixed. */
uint64_t
fold_hash_id(uint32_t relid, const uint8_t *id, size_t len)
{
	uint64_t	h;

	h = hash_bytes(hash_bytes(HASH_INIT, &relid, sizeof relid), id,
	    len);
	/* Mix the high bits down: the table uses the low ones. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
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

/* The version of relid at B, whose row key names the window's rows. */
static const struct pgtt_relation *
key_version(struct diff_fold *f, uint32_t relid)
{
	struct pgtt_relation	*rel = NULL;
	struct pgtt_err		 err;
	size_t			 i;

	for (i = 0; i < f->nkeyrels; i++)
		if (f->keyrels[i].relid == relid)
			return f->keyrels[i].rel;
	err_clear(&err);
	if (journal_relation_at(f->j, relid, f->to, 0, &rel, &err) != 0)
		rel = NULL;
	f->keyrels = xreallocarray(f->keyrels, f->nkeyrels + 1,
	    sizeof *f->keyrels);
	f->keyrels[f->nkeyrels].relid = relid;
	f->keyrels[f->nkeyrels++].rel = rel;
	return rel;
}

/* What the fold keeps about rel, a version from f->rels. */
struct relv *
fold_relv_of(struct diff_fold *f, const struct pgtt_relation *rel)
{
	struct relv	*rv;
	size_t		 i;

	for (i = 0; i < f->ncurrent; i++) {
		if (f->current[i]->rel->relid != rel->relid)
			continue;
		if (f->current[i]->rel == rel)
			return f->current[i];
		break;
	}
	for (rv = f->versions; rv != NULL; rv = rv->next)
		if (rv->rel == rel)
			break;
	if (rv == NULL) {
		rv = arena_zalloc(&f->arena, sizeof *rv);
		rv->rel = rel;
		rv->is_key = arena_zalloc(&f->arena, (size_t)rel->ncols + 1);
		relation_row_key_as(rel, key_version(f, rel->relid),
		    rv->is_key);
		rv->wanted = wanted(rel, f->schema, f->table);
		rv->next = f->versions;
		f->versions = rv;
		rv->idx = (uint32_t)f->nrelvs;
		f->relvs = xreallocarray(f->relvs, f->nrelvs + 1,
		    sizeof *f->relvs);
		f->relvs[f->nrelvs++] = rv;
	}
	if (i == f->ncurrent)
		f->current = xreallocarray(f->current, ++f->ncurrent,
		    sizeof *f->current);
	f->current[i] = rv;
	return rv;
}

/*
 * The version change (lsn, seq) of relid is read with; NULL if none.
 * Versions change only at DDL, so the one used last nearly always holds.
 */
struct relv *
fold_relv_for(struct diff_fold *f, struct journal_iter *it, uint32_t relid,
    pgtt_lsn lsn, uint32_t seq)
{
	const struct pgtt_relation	*rel;
	struct pgtt_err			 err;

	err_clear(&err);
	if (relcache_at(&f->rels, it, relid, lsn, seq, &rel, &err) != 0)
		return NULL;
	return fold_relv_of(f, rel);
}

/* The identity of tuple t, in f->ident. */
void
fold_ident_of(struct diff_fold *f, const struct pgtt_tuple *t,
    const struct relv *rv)
{
	buf_reset(&f->ident);
	record_row_ident(&f->ident, t, rv->is_key, rv->rel->ncols);
}

/* Room for n columns in cb. */
static struct diff_col *
colbuf_reserve(struct diff_colbuf *cb, size_t n)
{
	if (cb->cap < n) {
		cb->cols = xreallocarray(cb->cols, n, sizeof *cb->cols);
		cb->cap = n;
	}
	return cb->cols;
}

/*
 * Tuple t's values as read with rv, in cb, pointing into t; keys_only:
 * other columns are unknown.
 */
static void
tuple_vals(struct diff_vals *v, struct diff_colbuf *cb,
    const struct pgtt_tuple *t, const struct relv *rv, int keys_only)
{
	size_t	i, n;

	n = t->ncols < rv->rel->ncols ? t->ncols : rv->rel->ncols;
	v->present = 1;
	v->ncols = n;
	v->cols = colbuf_reserve(cb, n);
	for (i = 0; i < n; i++) {
		const struct pgtt_col	*c = &t->cols[i];
		struct diff_col		*d = &v->cols[i];

		d->name = rv->rel->cols[i].name;
		d->is_key = rv->is_key[i];
		d->kind = keys_only && !d->is_key ? COL_TOAST : c->kind;
		d->len = d->kind == COL_TEXT ? c->len : 0;
		d->val = d->kind == COL_TEXT ? c->val : NULL;
	}
}

/* Base-128, low bits first: most lengths take one byte. */
static uint8_t *
put_varint(uint8_t *p, uint32_t n)
{
	while (n >= 0x80) {
		*p++ = (uint8_t)(n | 0x80);
		n >>= 7;
	}
	*p++ = (uint8_t)n;
	return p;
}

static size_t
varint_size(uint32_t n)
{
	size_t	bytes = 1;

	while (n >= 0x80) {
		n >>= 7;
		bytes++;
	}
	return bytes;
}

static const uint8_t *
get_varint(const uint8_t *p, uint32_t *n)
{
	uint32_t	v = 0;
	int		shift = 0;

	while (*p & 0x80) {
		v |= (uint32_t)(*p++ & 0x7f) << shift;
		shift += 7;
	}
	*n = v | (uint32_t)*p++ << shift;
	return p;
}

/*
 * v, read with rv, packed in one arena block: rv's index and the number
 * of columns, then each column's kind and, for text, its length, its
 * bytes and a NUL (diff_col.val is a C string too).  Names and key flags
 * are rv's, so they are not kept per row.
 */
static const uint8_t *
pack(struct diff_fold *f, const struct relv *rv, const struct diff_vals *v)
{
	size_t	 i, bytes;
	uint8_t	*block, *p;

	bytes = varint_size(rv->idx) + varint_size((uint32_t)v->ncols);
	for (i = 0; i < v->ncols; i++)
		bytes += 1 + (v->cols[i].kind == COL_TEXT ?
		    varint_size(v->cols[i].len) + v->cols[i].len + 1 : 0);
	p = block = arena_alloc(&f->arena, bytes);
	p = put_varint(p, rv->idx);
	p = put_varint(p, (uint32_t)v->ncols);
	for (i = 0; i < v->ncols; i++) {
		const struct diff_col	*c = &v->cols[i];

		*p++ = c->kind;
		if (c->kind != COL_TEXT)
			continue;
		p = put_varint(p, c->len);
		memcpy(p, c->val, c->len);
		p += c->len;
		*p++ = '\0';
	}
	return block;
}

/* Packed p's version. */
static const struct relv *
packed_relv(const struct diff_fold *f, const uint8_t *p)
{
	uint32_t	idx;

	(void)get_varint(p, &idx);
	return f->relvs[idx];
}

/* Packed values p into v, columns in cb; NULL p: no row. */
static void
unpack(const struct diff_fold *f, const uint8_t *p, struct diff_vals *v,
    struct diff_colbuf *cb)
{
	const struct relv	*rv;
	uint32_t		 idx, n, i;

	memset(v, 0, sizeof *v);
	if (p == NULL)
		return;
	p = get_varint(p, &idx);
	p = get_varint(p, &n);
	rv = f->relvs[idx];
	v->present = 1;
	v->ncols = n;
	v->cols = colbuf_reserve(cb, n);
	for (i = 0; i < n; i++) {
		struct diff_col	*c = &v->cols[i];

		c->name = rv->rel->cols[i].name;
		c->is_key = rv->is_key[i];
		c->kind = *p++;
		c->len = 0;
		c->val = NULL;
		if (c->kind == COL_TEXT) {
			p = get_varint(p, &c->len);
			c->val = (const char *)p;
			p += c->len + 1;
		}
	}
}

/* Tuple t's values, packed; keys_only: other columns are unknown. */
const uint8_t *
fold_pack_tuple(struct diff_fold *f, const struct pgtt_tuple *t,
    const struct relv *rv, int keys_only)
{
	struct diff_vals	v;

	tuple_vals(&v, &f->scratch[0], t, rv, keys_only);
	return pack(f, rv, &v);
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

/* Does packed p hold an unknown value? */
int
fold_packed_unknown(const uint8_t *p)
{
	uint32_t	n, i, len;

	p = get_varint(p, &n);		/* the version */
	p = get_varint(p, &n);
	for (i = 0; i < n; i++) {
		if (*p == COL_TOAST)
			return 1;
		if (*p++ == COL_TEXT) {
			p = get_varint(p, &len);
			p += len + 1;
		}
	}
	return 0;
}

/*
 * Fill unknown columns of v from the same-named known ones of from.  The
 * values are shared, not copied: v is packed before from goes.  The
 * number filled.
 */
static size_t
vals_fill(struct diff_vals *v, const struct diff_vals *from)
{
	const struct diff_col	*f;
	struct diff_col		*c;
	size_t			 i, n = 0;

	for (i = 0; i < v->ncols; i++) {
		c = &v->cols[i];
		if (c->kind != COL_TOAST)
			continue;
		/* Same relation version: same place; else by name. */
		f = i < from->ncols && from->cols[i].name == c->name ?
		    &from->cols[i] : diff_vals_col(from, c->name);
		if (f == NULL || f->kind == COL_TOAST)
			continue;
		c->kind = f->kind;
		c->len = f->len;
		c->val = f->val;
		n++;
	}
	return n;
}

/*
 * Packed p with its unknown values filled from the same-named known ones
 * of from: p itself when none is.
 */
static const uint8_t *
packed_fill(struct diff_fold *f, const uint8_t *p,
    const struct diff_vals *from)
{
	struct diff_vals	v;

	unpack(f, p, &v, &f->scratch[2]);
	if (vals_fill(&v, from) == 0)
		return p;
	return pack(f, packed_relv(f, p), &v);
}

/*
 * The slot of (relid, identity): its entry, or the empty one to fill.
 * The hash's high half is both the tag and the start of the probe, so
 * the table grows from its tags alone.
 */
static struct slot *
probe(struct diff_fold *f, uint32_t relid, const uint8_t *id, size_t len,
    uint64_t h)
{
	const struct diff_entry	*e;
	struct slot		*s;
	uint32_t		 tag = (uint32_t)(h >> 32);
	size_t			 i;

	for (i = tag & (f->nslots - 1);; i = (i + 1) & (f->nslots - 1)) {
		s = &f->slots[i];
		if (s->idx == 0)
			return s;
		if (s->tag != tag)
			continue;
		e = f->all[s->idx - 1];
		if (e->relid == relid && e->idlen == len &&
		    memcmp(e->id, id, len) == 0)
			return s;
	}
}

/* The entry of (relid, identity), or NULL. */
struct diff_entry *
fold_lookup(struct diff_fold *f, uint32_t relid, const uint8_t *id, size_t len,
    uint64_t h)
{
	struct slot	*s = probe(f, relid, id, len, h);

	return s->idx == 0 ? NULL : f->all[s->idx - 1];
}

/*
 * Double the table, keeping it at most half full.  The tags say where
 * each entry goes, so no entry is read: a million-row fold would touch
 * every one of them, scattered over the arena, at each doubling.
 */
static void
grow(struct diff_fold *f)
{
	struct slot	*old = f->slots;
	size_t		 nold = f->nslots, i, k;

	if (f->nslots > UINT32_MAX)
		return;		/* the tags index no further */
	f->nslots *= 2;
	f->slots = xcalloc(f->nslots, sizeof *f->slots);
	for (i = 0; i < nold; i++) {
		if (old[i].idx == 0)
			continue;
		for (k = old[i].tag & (f->nslots - 1); f->slots[k].idx != 0;
		    k = (k + 1) & (f->nslots - 1))
			;
		f->slots[k] = old[i];
	}
	free(old);
}

/* A new entry for a row first touched now, in its empty slot s. */
static struct diff_entry *
add(struct diff_fold *f, struct slot *s, uint32_t relid, const uint8_t *id,
    size_t len, uint64_t h)
{
	struct diff_entry	*e;

	if (f->nentries == UINT32_MAX - 1)
		fatalx("diff: more than %u rows", UINT32_MAX - 1);
	e = arena_zalloc(&f->arena, sizeof *e + len);
	e->relid = relid;
	memcpy(e->id, id, len);
	e->idlen = (uint32_t)len;
	if ((f->nentries & (f->nentries - 1)) == 0)
		f->all = xreallocarray(f->all, f->nentries ? f->nentries * 2 :
		    1, sizeof *f->all);
	f->all[f->nentries++] = e;
	s->tag = (uint32_t)(h >> 32);
	s->idx = (uint32_t)f->nentries;
	if (f->nentries * 2 > f->nslots)
		grow(f);
	return e;
}

/*
 * Fill e's unknown values at A from the same-named known ones of tuple t
 * (a look-back, the baseline); e->lookback says whether some are left.
 */
void
fold_fill_before(struct diff_fold *f, struct diff_entry *e,
    const struct pgtt_tuple *t, const struct relv *rv)
{
	struct diff_vals	from;

	tuple_vals(&from, &f->scratch[0], t, rv, 0);
	e->before = packed_fill(f, e->before, &from);
	e->lookback = fold_packed_unknown(e->before);
}

/* The entry of the identity in f->ident, made if new. */
struct diff_entry *
fold_entry_of(struct diff_fold *f, uint32_t relid, int *made)
{
	struct slot	*s;
	uint64_t	 h;

	h = fold_hash_id(relid, f->ident.data, f->ident.len);
	s = probe(f, relid, f->ident.data, f->ident.len, h);
	if ((*made = s->idx == 0))
		return add(f, s, relid, f->ident.data, f->ident.len, h);
	return f->all[s->idx - 1];
}

/* The table record of relid, made or renamed after rel. */
static struct tbl *
table_of(struct diff_fold *f, const struct pgtt_relation *rel)
{
	size_t	i;

	for (i = 0; i < f->ntbls; i++)
		if (f->tbls[i].relid == rel->relid)
			break;
	if (i == f->ntbls) {
		f->tbls = xreallocarray(f->tbls, f->ntbls + 1,
		    sizeof *f->tbls);
		memset(&f->tbls[i], 0, sizeof f->tbls[i]);
		f->tbls[i].relid = rel->relid;
		f->ntbls++;
	}
	f->tbls[i].schema = rel->schema;
	f->tbls[i].name = rel->name;
	f->tbls[i].partial = relation_identity_gap(rel);
	return &f->tbls[i];
}

/* The entry of the row a change found (old row, or new for an insert). */
static struct diff_entry *
touch(struct diff_fold *f, const struct pgtt_change *ch,
    const struct relv *rv, const struct pgtt_tuple *t, int inserting)
{
	struct diff_entry	*e;
	int			 made;

	fold_ident_of(f, t, rv);
	e = fold_entry_of(f, ch->relid, &made);
	if (!made || inserting)
		return e;	/* an insert: absent at A */
	e->before = fold_pack_tuple(f, t, rv, ch->old_kind != OLD_FULL);
	e->lookback = fold_packed_unknown(e->before);
	e->lb_lsn = ch->commit_lsn;
	e->lb_seq = ch->seq;
	return e;
}

/* The row at B as the fold stands, packed. */
static const uint8_t *
after_of(const struct diff_entry *e)
{
	return e->after_set ? e->after : e->before;
}

/* The entry whose unknown values stand for those of e at B. */
static struct diff_entry *
source_of(struct diff_entry *e)
{
	return e->inherit != NULL ? e->inherit : e;
}

/*
 * The new row of an update, packed, with its unchanged TOASTed values
 * from e's row at B so far.
 */
static const uint8_t *
updated_row(struct diff_fold *f, const struct diff_entry *e,
    const struct pgtt_tuple *t, const struct relv *rv)
{
	struct diff_vals	nv, prev;

	tuple_vals(&nv, &f->scratch[0], t, rv, 0);
	if (vals_unknown(&nv) && after_of(e) != NULL) {
		unpack(f, after_of(e), &prev, &f->scratch[1]);
		vals_fill(&nv, &prev);
	}
	return pack(f, rv, &nv);
}

/* Fold one row change of rel. */
static void
fold_row(struct diff_fold *f, const struct pgtt_change *ch,
    const struct relv *rv)
{
	struct diff_entry	*e, *e2;
	const struct pgtt_tuple	*old;
	const uint8_t		*nv;
	int			 made;

	switch (ch->kind) {
	case CHANGE_INSERT:
		e = touch(f, ch, rv, &ch->new, 1);
		e->after = fold_pack_tuple(f, &ch->new, rv, 0);
		e->after_set = 1;
		e->inherit = NULL;
		break;
	case CHANGE_DELETE:
		e = touch(f, ch, rv, &ch->old, 0);
		e->after = NULL;
		e->after_set = 1;
		break;
	case CHANGE_UPDATE:
		old = ch->old_kind != OLD_NONE ? &ch->old : &ch->new;
		e = touch(f, ch, rv, old, 0);
		nv = updated_row(f, e, &ch->new, rv);
		if (old != &ch->new)
			fold_ident_of(f, &ch->new, rv);
		if (f->ident.len == e->idlen &&
		    memcmp(f->ident.data, e->id, e->idlen) == 0) {
			e->after = nv;
			e->after_set = 1;
			break;
		}
		/* A new identity: a delete and an insert. */
		e2 = fold_entry_of(f, ch->relid, &made);
		e->after = NULL;
		e->after_set = 1;
		e2->after = nv;
		e2->after_set = 1;
		e2->inherit = source_of(e);
		e2->inherit->inherited = 1;
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
			f->all[i]->after = NULL;
			f->all[i]->after_set = 1;
			f->all[i]->inherit = NULL;
		}
}

/* The DDL statement of a change, as a person reads it, or its raw bytes. */
static char *
ddl_sql(const struct pgtt_change *ch)
{
	char	*s = ddl_describe(ch->content, ch->content_len, NULL);

	if (s != NULL)
		return s;
	s = xmalloc((size_t)ch->content_len + 1);
	memcpy(s, ch->content, ch->content_len);
	s[ch->content_len] = '\0';
	return s;
}

/* A baseline that cannot be read is a warning: the diff stands. */
static void
baseline_failed(struct diff_fold *f, const struct pgtt_err *e)
{
	if (f->baseline.warning[0] == '\0')
		snprintf(f->baseline.warning, sizeof f->baseline.warning,
		    "%s", e->msg);
}

static void
baseline_truncated(struct diff *d, uint32_t relid)
{
	struct pgtt_err	e;

	err_clear(&e);
	if (diff_baseline_truncated(d, relid, &e) != 0)
		baseline_failed(d->fold, &e);
}

/* One change of the window. */
static int
fold_change(struct diff *d, const struct walk_item *item,
    struct pgtt_err *err)
{
	const struct pgtt_change *ch = item->ch;
	struct diff_fold	*f = d->fold;
	struct relv		*rv;
	size_t			 i;

	d->changes++;
	if (d->transactions == 0 || ch->commit_lsn != f->last_txn) {
		d->transactions++;
		d->last_commit_time = item->txn.commit_time;
		f->last_txn = ch->commit_lsn;
	}
	switch (ch->kind) {
	case CHANGE_INSERT:
	case CHANGE_UPDATE:
	case CHANGE_DELETE:
		if (item->rel == NULL || (ch->kind == CHANGE_DELETE &&
		    ch->old_kind == OLD_NONE)) {
			d->skipped++;
			return 0;
		}
		if (!(rv = fold_relv_of(f, item->rel))->wanted)
			return 0;
		table_of(f, rv->rel);
		fold_row(f, ch, rv);
		break;
	case CHANGE_TRUNCATE:
		for (i = 0; i < ch->nrelids; i++) {
			struct tbl	*t;
			int		 again;

			if (item->trels[i] == NULL ||
			    !(rv = fold_relv_of(f, item->trels[i]))->wanted)
				continue;
			t = table_of(f, rv->rel);
			again = t->truncated;
			t->truncated = 1;
			fold_truncate(f, ch->relids[i]);
			if (diff_truncated_rows(d, ch->relids[i], err) != 0)
				return err->code;
			/* A second truncate finds the first one's rows. */
			if (!again)
				baseline_truncated(d, ch->relids[i]);
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
	return 0;
}

/* The fold looks at the stop flag first, then every STOP_EVERY changes. */
#define STOP_EVERY	4096	/* a power of two */

/* Fold every committed change of the window, unless asked to stop. */
static int
fold_window(const struct verb_ctx *vc, struct diff *d, struct pgtt_err *err)
{
	struct walk		*w;
	const struct walk_item	*item;
	uint64_t		 n = 0;
	int			 ret;

	if (walk_open(vc->j, d->from, 0, d->to, 0, &d->fold->rels, &w,
	    err) != 0)
		return err->code;
	while ((ret = walk_next(w, &item, err)) == 1) {
		if ((n++ & (STOP_EVERY - 1)) == 0 &&
		    verb_stop_requested(vc)) {
			ret = err_set(err, PGTT_ESTOPPED, "the diff was "
			    "stopped");
			break;
		}
		if ((ret = fold_change(d, item, err)) != 0)
			break;
	}
	walk_close(w);
	return ret;
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

/*
 * The columns of after that differ from the row before (or whose old
 * value is unknown), marked in changed[] unless it is NULL; how many.
 */
static size_t
mark_changed(const struct diff_vals *before, const struct diff_vals *after,
    uint8_t *changed)
{
	const struct diff_col	*a, *b;
	size_t			 k, n = 0;
	int			 differs;

	for (k = 0; k < after->ncols; k++) {
		a = &after->cols[k];
		if (a->kind == COL_TOAST)
			continue;
		b = k < before->ncols && before->cols[k].name == a->name ?
		    &before->cols[k] : diff_vals_col(before, a->name);
		differs = b == NULL || b->kind != a->kind ||
		    b->len != a->len || (a->len > 0 && (a->val != b->val &&
		    memcmp(a->val, b->val, a->len) != 0));
		if (changed != NULL)
			changed[k] = (uint8_t)differs;
		n += differs;
	}
	return n;
}

/* Append e to a table's list of n rows. */
static void
push_row(struct diff_entry ***rows, size_t *n, struct diff_entry *e)
{
	if ((*n & (*n - 1)) == 0)
		*rows = xreallocarray(*rows, *n ? *n * 2 : 1, sizeof **rows);
	(*rows)[(*n)++] = e;
}

/*
 * e's values at B once the look-back is done, and its net change.
 * The fold's scratch holds both rows meanwhile.
 */
static enum diff_op
settle(struct diff_fold *f, struct diff_entry *e)
{
	struct diff_vals	before, after, src;

	if (!e->after_set)
		e->after = e->before;
	if (e->after != NULL && e->after != e->before &&
	    fold_packed_unknown(e->after) &&
	    source_of(e)->before != NULL) {
		unpack(f, source_of(e)->before, &src, &f->scratch[0]);
		e->after = packed_fill(f, e->after, &src);
	}
	unpack(f, e->before, &before, &f->scratch[0]);
	unpack(f, e->after, &after, &f->scratch[1]);
	e->before_unknown = (uint8_t)vals_unknown(&before);
	e->after_unknown = (uint8_t)vals_unknown(&after);
	if (before.present && after.present)
		return mark_changed(&before, &after, NULL) > 0 ?
		    DIFF_UPDATED : DIFF_NONE;
	if (before.present)
		return DIFF_DELETED;
	return after.present ? DIFF_INSERTED : DIFF_NONE;
}

/* Decide each entry's net change and hand it to its table. */
static void
classify(struct diff *d)
{
	struct diff_fold	*f = d->fold;
	struct diff_table	*t;
	struct diff_entry	*e;
	size_t			 i, n;

	d->tables = xcalloc(f->ntbls + 1, sizeof *d->tables);
	for (i = 0; i < f->ntbls; i++) {
		d->tables[i].relid = f->tbls[i].relid;
		d->tables[i].schema = xstrdup(f->tbls[i].schema);
		d->tables[i].name = xstrdup(f->tbls[i].name);
		d->tables[i].truncated = f->tbls[i].truncated;
		d->tables[i].partial = f->tbls[i].partial;
	}
	d->ntables = f->ntbls;
	d->touched = xcalloc(f->ntbls + 1, sizeof *d->touched);
	for (i = 0; i < f->ntbls; i++)
		d->touched[d->ntouched++] = f->tbls[i].relid;
	for (i = 0; i < f->nentries; i++) {
		e = f->all[i];
		e->op = (uint8_t)settle(f, e);
		for (t = d->tables; t->relid != e->relid; t++)
			;
		if (e->op == DIFF_NONE) {
			if (t->truncated && e->after != NULL)
				push_row(&t->kept, &t->nkept, e);
			continue;
		}
		push_row(&t->rows, &t->nrows, e);
		t->ninserted += e->op == DIFF_INSERTED;
		t->ndeleted += e->op == DIFF_DELETED;
		t->nupdated += e->op == DIFF_UPDATED;
		t->nafter_unknown += e->after_unknown;
	}
	/* Keep tables with something to show. */
	for (i = n = 0; i < d->ntables; i++) {
		if (d->tables[i].nrows == 0 && !d->tables[i].truncated) {
			free(d->tables[i].schema);
			free(d->tables[i].name);
			free(d->tables[i].kept);
			continue;
		}
		d->tables[n++] = d->tables[i];
	}
	d->ntables = n;
	qsort(d->tables, d->ntables, sizeof *d->tables, table_cmp);
}

/* A row's net change, without unpacking it. */
enum diff_op
diff_entry_op(const struct diff_entry *e)
{
	return (enum diff_op)e->op;
}

void
diff_row_load(const struct diff *d, const struct diff_entry *e,
    struct diff_row *r)
{
	const struct diff_fold	*f = d->fold;

	r->op = (enum diff_op)e->op;
	r->before_unknown = e->before_unknown;
	unpack(f, e->before, &r->before, &r->bcols);
	unpack(f, e->after, &r->after, &r->acols);
	if (r->changed_cap < r->after.ncols + 1) {
		r->changed_cap = r->after.ncols + 1;
		r->changed = xreallocarray(r->changed, r->changed_cap, 1);
	}
	memset(r->changed, 0, r->after.ncols + 1);
	if (r->before.present && r->after.present)
		(void)mark_changed(&r->before, &r->after, r->changed);
}

void
diff_row_done(struct diff_row *r)
{
	free(r->bcols.cols);
	free(r->acols.cols);
	free(r->changed);
	memset(r, 0, sizeof *r);
}

/* The newest sample at or before lsn into *smp; none is no failure. */
static int
sample_at(struct journal *j, pgtt_lsn lsn, struct pgtt_seqsample **smp,
    pgtt_lsn *at, struct pgtt_err *err)
{
	*at = LSN_INVALID;
	if (journal_seqsample_at(j, lsn, smp, err) == 0) {
		*at = (*smp)->lsn;
		return 0;
	}
	if (err->code != PGTT_ENOTFOUND)
		return err->code;
	err_clear(err);
	return 0;
}

/* Logical decoding carries no sequences: compare their samples. */
static int
diff_sequences(struct journal *j, struct diff *d, struct pgtt_err *err)
{
	if (sample_at(j, d->from, &d->samples[0], &d->seq_from, err) != 0 ||
	    sample_at(j, d->to, &d->samples[1], &d->seq_to, err) != 0)
		return err->code;
	if (d->seq_from == d->seq_to)
		return 0;
	d->nseqs = seqsample_moves(d->samples[0], d->samples[1], &d->seqs);
	return 0;
}

/*
 * Rows gone at B need no values at A to count as deleted, unless a row
 * that took a new key takes its unchanged values from them.
 */
static void
forget_gone_rows(struct diff_fold *f)
{
	struct diff_entry	*e;
	size_t			 i;

	for (i = 0; i < f->nentries; i++) {
		e = f->all[i];
		if (e->after_set && e->after == NULL && !e->inherited)
			e->lookback = 0;
	}
}

/* Fold the window, look back, sort into tables. */
int
diff_run(const struct verb_ctx *vc, const struct diff_opts *o,
    struct diff **out, struct pgtt_err *err)
{
	struct journal	*j = vc->j;
	pgtt_lsn	 from = o->from, to = o->to;
	const char	*table = o->table;
	struct diff	*d;
	struct pgtt_err	 berr;
	pgtt_lsn	 era_start;
	int		 ret;

	if ((ret = journal_span_era(j, from, to, &era_start, err)) != 0)
		return ret;
	d = xcalloc(1, sizeof *d);
	d->from = from;
	d->to = to;
	d->fold = xcalloc(1, sizeof *d->fold);
	arena_init(&d->fold->arena);
	buf_init(&d->fold->ident);
	d->fold->era_start = era_start;
	d->fold->j = j;
	d->fold->to = to;
	d->fold->baseline.bindir = vc->cfg->pitr.bindir;
	d->fold->schema = o->schema;
	d->fold->table = table;
	d->fold->nslots = 1024;
	d->fold->slots = xcalloc(d->fold->nslots, sizeof *d->fold->slots);
	relcache_init(&d->fold->rels);
	if ((ret = fold_window(vc, d, err)) == 0 && o->counts_only)
		forget_gone_rows(d->fold);
	if (ret == 0 && !o->keys_only)
		ret = diff_look_back(j, d, err);
	/* Without the baseline the diff stands, and says what it lacks. */
	err_clear(&berr);
	if (ret == 0 && !o->keys_only && diff_look_baseline(d, &berr) != 0)
		baseline_failed(d->fold, &berr);
	/*
	 * A stop during the look-back or the baseline read (SIGINT reaches
	 * pg_restore too, whose failure would pass for a missing dump).
	 */
	if (ret == 0 && verb_stop_requested(vc))
		ret = err_set(err, PGTT_ESTOPPED, "the diff was stopped");
	if (d->fold->baseline.warning[0] != '\0')
		snprintf(d->warning, sizeof d->warning, "the baseline could "
		    "not be read (%s): rows unchanged since capture are not "
		    "listed and their old values are unknown",
		    d->fold->baseline.warning);
	if (ret != 0) {
		diff_free(d);
		return ret;
	}
	classify(d);
	if (table == NULL && (ret = diff_sequences(j, d, err)) != 0) {
		diff_free(d);
		return ret;
	}
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
	relcache_free(&f->rels);
	arena_free(&f->arena);
	buf_done(&f->ident);
	for (i = 0; i < f->nkeyrels; i++)
		free(f->keyrels[i].rel);
	free(f->keyrels);
	if (f->baseline.state != 0)
		eras_done(&f->baseline.eras);
	free(f->current);
	free(f->relvs);
	for (i = 0; i < sizeof f->scratch / sizeof f->scratch[0]; i++)
		free(f->scratch[i].cols);
	free(f->tbls);
	free(f->all);
	free(f->slots);
	free(f);
	for (i = 0; i < d->ntables; i++) {
		free(d->tables[i].schema);
		free(d->tables[i].name);
		free(d->tables[i].rows);
		free(d->tables[i].kept);
	}
	free(d->tables);
	free(d->touched);
	for (i = 0; i < d->nddl; i++)
		free(d->ddl[i].sql);
	free(d->ddl);
	free(d->seqs);
	free(d->samples[0]);
	free(d->samples[1]);
	free(d);
}
