/*
 * record.c: the compact binary form of journal records.
 *
 * Every value starts with a tag byte naming the record type and its layout
 * version; a new layout gets a new tag.  Counts, lengths, ids and oids are
 * unsigned LEB128 varints, typmods zigzag varints, LSNs and times fixed
 * 8-byte big-endian.  Strings are a varint length and bytes, with no NUL
 * inside.  A tuple is a column count, then per column a kind byte ('n',
 * 'u', 't') and, for 't', a varint length and the raw bytes.  A change
 * carries a presence byte saying which of its optional parts follow, so an
 * insert pays nothing for truncate or message fields.
 *
 * Decoding lays the struct, its arrays and its strings out in one block,
 * with one walk of the input that checks every length against what is
 * left.  A short record's walk goes into a block of a guessed size; when
 * the guess is short, or the record long, the walk only measures, and a
 * second walk, which cannot fail, lays it out (decode).  Strings and
 * values in the block are NUL-terminated even where the struct does not
 * promise it.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "xmalloc.h"

#define TAG_CHANGE	0x11
#define TAG_TXN		0x21
#define TAG_RELATION	0x31
#define TAG_CHECKPOINT	0x41
#define TAG_SESSION	0x51
#define TAG_SEQSAMPLE	0x61

/* Which optional parts of a change follow its kind byte. */
#define CH_RELID	0x01
#define CH_OLD		0x02
#define CH_NEW		0x04
#define CH_TRUNCATE	0x08
#define CH_TEXT		0x10
#define CH_ALL		0x1f

/* Input being decoded; the first failure sticks and stops all reads. */
struct rd {
	const uint8_t	*p;
	const uint8_t	*end;
	const char	*bad;	/* why the input is corrupt, or NULL */
};

/*
 * The block being laid out.  With base NULL nothing is written and only
 * off grows: that is the measuring walk.
 */
struct lay {
	uint8_t		*base;
	size_t		 off, cap;	/* past cap: measuring only */
};

/* The one byte that starts or flags something. */
static void
put_u8(struct buf *b, uint8_t v)
{
	buf_append(b, &v, 1);
}

/* The most bytes a 64-bit varint takes. */
#define VARINT_MAX	10

/* Write v at p, which has room for VARINT_MAX bytes; returns past it. */
static uint8_t *
varint_at(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Lengths, counts, ids and oids: small numbers take one byte. */
static void
put_varint(struct buf *b, uint64_t v)
{
	if (VARINT_MAX > b->cap - b->len)
		buf_reserve(b, VARINT_MAX);
	b->len = (size_t)(varint_at(b->data + b->len, v) - b->data);
}

/* Signed values near zero (typmod -1) stay short. */
static void
put_zigzag(struct buf *b, int64_t v)
{
	put_varint(b, ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0));
}

/* LSNs and times: fixed width keeps them easy to read in a hex dump. */
static void
put_u64be(struct buf *b, uint64_t v)
{
	uint8_t	tmp[8];
	int	i;

	for (i = 7; i >= 0; i--) {
		tmp[i] = v & 0xff;
		v >>= 8;
	}
	buf_append(b, tmp, 8);
}

/* A string; NULL is written as "". */
static void
put_str(struct buf *b, const char *s)
{
	size_t	len;

	if (s == NULL)
		s = "";
	len = strlen(s);
	put_varint(b, len);
	buf_append(b, s, len);
}

/* Bytes that may hold NULs. */
static void
put_bytes(struct buf *b, const void *p, size_t len)
{
	put_varint(b, len);
	buf_append(b, p, len);
}

/*
 * A tuple; any kind we do not know is stored as null.  Room for the whole
 * tuple is made first and the bytes laid out in it: the listener encodes
 * every column of every change here, and a check and a copy call for each
 * byte were a tenth of its instructions.
 */
static void
put_tuple(struct buf *b, const struct pgtt_tuple *t)
{
	const struct pgtt_col	*c;
	size_t			 room = VARINT_MAX;
	uint8_t			*p;
	uint16_t		 i;

	for (i = 0; i < t->ncols; i++)
		room += 1 + (t->cols[i].kind == COL_TEXT ? VARINT_MAX +
		    (size_t)t->cols[i].len : 0);
	if (room > b->cap - b->len)
		buf_reserve(b, room);
	p = varint_at(b->data + b->len, t->ncols);
	for (i = 0; i < t->ncols; i++) {
		c = &t->cols[i];
		switch (c->kind) {
		case COL_TEXT:
			*p++ = COL_TEXT;
			p = varint_at(p, c->len);
			if (c->len > 0)
				memcpy(p, c->val, c->len);
			p += c->len;
			break;
		case COL_TOAST:
			*p++ = COL_TOAST;
			break;
		default:
			*p++ = COL_NULL;
			break;
		}
	}
	b->len = (size_t)(p - b->data);
}

/* Only the parts this change has are written, flagged in one byte. */
void
record_encode_change(struct buf *b, const struct pgtt_change *ch)
{
	uint8_t		present = 0;
	uint32_t	i;

	if (ch->relid != 0)
		present |= CH_RELID;
	if (ch->old_kind != OLD_NONE)
		present |= CH_OLD;
	if (ch->new.ncols != 0)
		present |= CH_NEW;
	if (ch->nrelids != 0 || ch->truncate_flags != 0)
		present |= CH_TRUNCATE;
	if ((ch->prefix != NULL && *ch->prefix != '\0') || ch->content_len != 0)
		present |= CH_TEXT;

	put_u8(b, TAG_CHANGE);
	put_u8(b, (uint8_t)ch->kind);
	put_u8(b, present);
	if (present & CH_RELID)
		put_varint(b, ch->relid);
	if (present & CH_OLD) {
		put_u8(b, (uint8_t)ch->old_kind);
		put_tuple(b, &ch->old);
	}
	if (present & CH_NEW)
		put_tuple(b, &ch->new);
	if (present & CH_TRUNCATE) {
		put_u8(b, ch->truncate_flags);
		put_varint(b, ch->nrelids);
		for (i = 0; i < ch->nrelids; i++)
			put_varint(b, ch->relids[i]);
	}
	if (present & CH_TEXT) {
		put_str(b, ch->prefix);
		put_bytes(b, ch->content, ch->content_len);
	}
}

/* The key (commit LSN) is not part of the value. */
void
record_encode_txn(struct buf *b, const struct pgtt_txn *t)
{
	put_u8(b, TAG_TXN);
	put_u64be(b, t->end_lsn);
	put_varint(b, t->xid);
	put_u64be(b, (uint64_t)t->commit_time);
	put_varint(b, t->nchanges);
	put_varint(b, t->flags);
}

/* The key (relid and LSN) is not part of the value. */
void
record_encode_relation(struct buf *b, const struct pgtt_relation *r)
{
	const struct pgtt_column_def	*c;
	uint16_t			 i;

	put_u8(b, TAG_RELATION);
	put_str(b, r->schema);
	put_str(b, r->name);
	put_u8(b, (uint8_t)r->replident);
	put_varint(b, r->ncols);
	for (i = 0; i < r->ncols; i++) {
		c = &r->cols[i];
		put_str(b, c->name);
		put_varint(b, c->type_oid);
		put_zigzag(b, c->typmod);
		/* One byte: a journal from before row keys reads as none. */
		put_u8(b, (uint8_t)((c->is_key ? 1 : 0) | (c->row_key ? 2 : 0)));
	}
}

/* The key (id) is not part of the value. */
void
record_encode_checkpoint(struct buf *b, const struct pgtt_checkpoint *c)
{
	put_u8(b, TAG_CHECKPOINT);
	put_str(b, c->name);
	put_str(b, c->description);
	put_u64be(b, c->lsn);
	put_u64be(b, (uint64_t)c->created_at);
	put_varint(b, c->session_id);
	put_u8(b, c->fixed);
}

/* The key (id) is not part of the value. */
void
record_encode_session(struct buf *b, const struct pgtt_session *s)
{
	put_u8(b, TAG_SESSION);
	put_str(b, s->name);
	put_str(b, s->description);
	put_str(b, s->database);
	put_str(b, s->replica_dsn);
	put_u64be(b, (uint64_t)s->created_at);
	put_u64be(b, s->replayed_to);
}

/* The key (lsn) is not part of the value. */
void
record_encode_seqsample(struct buf *b, const struct pgtt_seqsample *smp)
{
	uint32_t	i;

	put_u8(b, TAG_SEQSAMPLE);
	put_u64be(b, (uint64_t)smp->taken_at);
	put_varint(b, smp->n);
	for (i = 0; i < smp->n; i++) {
		put_str(b, smp->seqs[i].schema);
		put_str(b, smp->seqs[i].name);
		put_zigzag(b, smp->seqs[i].last_value);
		put_u8(b, smp->seqs[i].is_called);
	}
}

/* Mark the input corrupt; the first reason wins. */
static void
rd_fail(struct rd *r, const char *why)
{
	if (r->bad == NULL)
		r->bad = why;
	r->p = r->end;
}

/* Bytes not yet read. */
static size_t
rd_left(const struct rd *r)
{
	return (size_t)(r->end - r->p);
}

/* One byte, or 0 once the input is corrupt. */
static uint8_t
rd_u8(struct rd *r)
{
	if (r->bad != NULL)
		return 0;
	if (rd_left(r) < 1) {
		rd_fail(r, "truncated");
		return 0;
	}
	return *r->p++;
}

/* A varint no larger than max. */
static uint64_t
rd_varint(struct rd *r, uint64_t max)
{
	uint64_t	v = 0;
	unsigned	shift = 0;
	uint8_t		c;

	if (r->bad != NULL)
		return 0;
	for (;;) {
		if (rd_left(r) < 1) {
			rd_fail(r, "truncated");
			return 0;
		}
		c = *r->p++;
		if (shift == 63 && (c & 0x7e) != 0) {
			rd_fail(r, "varint overflows 64 bits");
			return 0;
		}
		v |= (uint64_t)(c & 0x7f) << shift;
		if ((c & 0x80) == 0)
			break;
		shift += 7;
		if (shift > 63) {
			rd_fail(r, "varint too long");
			return 0;
		}
	}
	if (v > max) {
		rd_fail(r, "number out of range");
		return 0;
	}
	return v;
}

/* A fixed 8-byte big-endian LSN or time. */
static uint64_t
rd_u64be(struct rd *r)
{
	uint64_t	v = 0;
	int		i;

	if (r->bad != NULL)
		return 0;
	if (rd_left(r) < 8) {
		rd_fail(r, "truncated");
		return 0;
	}
	for (i = 0; i < 8; i++)
		v = (v << 8) | *r->p++;
	return v;
}

/* A count of items that each take at least one more input byte. */
static uint64_t
rd_count(struct rd *r, uint64_t max)
{
	uint64_t	n;

	n = rd_varint(r, max);
	if (n > rd_left(r)) {
		rd_fail(r, "count larger than the record");
		return 0;
	}
	return n;
}

/* len raw bytes; a pointer into the input, or NULL once corrupt. */
static const uint8_t *
rd_bytes(struct rd *r, size_t len)
{
	const uint8_t	*p;

	if (r->bad != NULL)
		return NULL;
	if (rd_left(r) < len) {
		rd_fail(r, "truncated");
		return NULL;
	}
	p = r->p;
	r->p += len;
	return p;
}

/* Room for n bytes aligned for any of our structs; NULL when measuring. */
static void *
lay_alloc(struct lay *l, size_t n)
{
	const size_t	 a = alignof(max_align_t);
	void		*p;

	l->off = (l->off + a - 1) & ~(a - 1);
	p = l->base != NULL && l->off + n <= l->cap ? l->base + l->off : NULL;
	l->off += n;
	return p;
}

/* A NUL-terminated copy of len bytes in the block. */
static char *
lay_copy(struct lay *l, const uint8_t *src, size_t len)
{
	char	*p;

	p = l->base != NULL && l->off + len + 1 <= l->cap ?
	    (char *)l->base + l->off : NULL;
	l->off += len + 1;
	if (p != NULL) {
		if (len != 0)
			memcpy(p, src, len);
		p[len] = '\0';
	}
	return p;
}

/* A string with no NUL inside, copied into the block. */
static const char *
rd_str(struct rd *r, struct lay *l)
{
	const uint8_t	*s;
	size_t		 len;

	len = rd_varint(r, UINT32_MAX);
	if ((s = rd_bytes(r, len)) == NULL)
		return NULL;
	if (memchr(s, '\0', len) != NULL) {
		rd_fail(r, "NUL inside a string");
		return NULL;
	}
	return lay_copy(l, s, len);
}

/* Bytes that may hold NULs, copied into the block. */
static const char *
rd_blob(struct rd *r, struct lay *l, uint32_t *lenp)
{
	const uint8_t	*s;
	size_t		 len;

	len = rd_varint(r, UINT32_MAX);
	*lenp = (uint32_t)len;
	if ((s = rd_bytes(r, len)) == NULL)
		return NULL;
	return lay_copy(l, s, len);
}

/* A tuple: its column array goes in the block, then each value. */
static void
rd_tuple(struct rd *r, struct lay *l, struct pgtt_tuple *t)
{
	struct pgtt_col	 dummy, *c;
	uint16_t	 i, n;

	n = (uint16_t)rd_count(r, UINT16_MAX);
	t->ncols = n;
	t->cols = NULL;
	if (n != 0)
		t->cols = lay_alloc(l, (size_t)n * sizeof *t->cols);
	for (i = 0; i < n && r->bad == NULL; i++) {
		c = t->cols != NULL ? &t->cols[i] : &dummy;
		c->len = 0;
		c->val = NULL;
		switch (c->kind = rd_u8(r)) {
		case COL_NULL:
		case COL_TOAST:
			break;
		case COL_TEXT:
			c->val = rd_blob(r, l, &c->len);
			break;
		default:
			rd_fail(r, "bad column kind");
			break;
		}
	}
}

/* One walk over a change: measuring when l->base is NULL. */
static void
walk_change(struct rd *r, struct lay *l, void **out)
{
	struct pgtt_change	 dummy, *ch;
	uint8_t			 kind, present;
	uint32_t		 i, v;

	ch = lay_alloc(l, sizeof *ch);
	if (ch == NULL)
		ch = &dummy;
	memset(ch, 0, sizeof *ch);
	*out = ch;

	if (rd_u8(r) != TAG_CHANGE)
		rd_fail(r, "unknown tag");
	kind = rd_u8(r);
	if (r->bad == NULL && (kind < CHANGE_INSERT || kind > CHANGE_MESSAGE))
		rd_fail(r, "unknown change kind");
	ch->kind = (enum change_kind)kind;
	present = rd_u8(r);
	if (present & ~CH_ALL)
		rd_fail(r, "unknown part flags");

	if (present & CH_RELID)
		ch->relid = (uint32_t)rd_varint(r, UINT32_MAX);
	if (present & CH_OLD) {
		ch->old_kind = (enum old_kind)rd_u8(r);
		if (r->bad == NULL && ch->old_kind != OLD_KEY &&
		    ch->old_kind != OLD_FULL)
			rd_fail(r, "unknown old tuple kind");
		rd_tuple(r, l, &ch->old);
	}
	if (present & CH_NEW)
		rd_tuple(r, l, &ch->new);
	if (present & CH_TRUNCATE) {
		ch->truncate_flags = rd_u8(r);
		ch->nrelids = (uint32_t)rd_count(r, UINT32_MAX);
		if (ch->nrelids != 0)
			ch->relids = lay_alloc(l, ch->nrelids * sizeof *ch->relids);
		for (i = 0; i < ch->nrelids && r->bad == NULL; i++) {
			v = (uint32_t)rd_varint(r, UINT32_MAX);
			if (ch->relids != NULL)
				ch->relids[i] = v;
		}
	}
	if (present & CH_TEXT) {
		ch->prefix = rd_str(r, l);
		ch->content = rd_blob(r, l, &ch->content_len);
	} else {
		ch->prefix = lay_copy(l, NULL, 0);
		ch->content = lay_copy(l, NULL, 0);
	}
	if (r->bad == NULL && rd_left(r) != 0)
		rd_fail(r, "trailing bytes");
}

/* One walk over a transaction record. */
static void
walk_txn(struct rd *r, struct lay *l, void **out)
{
	struct pgtt_txn	dummy, *t;

	if ((t = lay_alloc(l, sizeof *t)) == NULL)
		t = &dummy;
	memset(t, 0, sizeof *t);
	*out = t;
	if (rd_u8(r) != TAG_TXN)
		rd_fail(r, "unknown tag");
	t->end_lsn = rd_u64be(r);
	t->xid = (uint32_t)rd_varint(r, UINT32_MAX);
	t->commit_time = (int64_t)rd_u64be(r);
	t->nchanges = (uint32_t)rd_varint(r, UINT32_MAX);
	t->flags = (uint32_t)rd_varint(r, UINT32_MAX);
	if (r->bad == NULL && rd_left(r) != 0)
		rd_fail(r, "trailing bytes");
}

/* One walk over a relation record. */
static void
walk_relation(struct rd *r, struct lay *l, void **out)
{
	struct pgtt_relation	 dummy, *rel;
	struct pgtt_column_def	 cdummy, *c;
	uint16_t		 i;
	uint32_t		 zz;
	uint8_t			 flags;

	if ((rel = lay_alloc(l, sizeof *rel)) == NULL)
		rel = &dummy;
	memset(rel, 0, sizeof *rel);
	*out = rel;
	if (rd_u8(r) != TAG_RELATION)
		rd_fail(r, "unknown tag");
	rel->schema = rd_str(r, l);
	rel->name = rd_str(r, l);
	rel->replident = (char)rd_u8(r);
	rel->ncols = (uint16_t)rd_count(r, UINT16_MAX);
	if (rel->ncols != 0)
		rel->cols = lay_alloc(l, (size_t)rel->ncols * sizeof *rel->cols);
	for (i = 0; i < rel->ncols && r->bad == NULL; i++) {
		c = rel->cols != NULL ? &rel->cols[i] : &cdummy;
		c->name = rd_str(r, l);
		c->type_oid = (uint32_t)rd_varint(r, UINT32_MAX);
		zz = (uint32_t)rd_varint(r, UINT32_MAX);
		c->typmod = (int32_t)((zz >> 1) ^ (0U - (zz & 1)));
		flags = rd_u8(r);
		c->is_key = flags & 1;
		c->row_key = (flags >> 1) & 1;
	}
	if (r->bad == NULL && rd_left(r) != 0)
		rd_fail(r, "trailing bytes");
}

/* One walk over a checkpoint record. */
static void
walk_checkpoint(struct rd *r, struct lay *l, void **out)
{
	struct pgtt_checkpoint	dummy, *c;

	if ((c = lay_alloc(l, sizeof *c)) == NULL)
		c = &dummy;
	memset(c, 0, sizeof *c);
	*out = c;
	if (rd_u8(r) != TAG_CHECKPOINT)
		rd_fail(r, "unknown tag");
	c->name = rd_str(r, l);
	c->description = rd_str(r, l);
	c->lsn = rd_u64be(r);
	c->created_at = (int64_t)rd_u64be(r);
	c->session_id = (uint32_t)rd_varint(r, UINT32_MAX);
	c->fixed = rd_u8(r);
	if (r->bad == NULL && rd_left(r) != 0)
		rd_fail(r, "trailing bytes");
}

/* One walk over a session record. */
static void
walk_session(struct rd *r, struct lay *l, void **out)
{
	struct pgtt_session	dummy, *s;

	if ((s = lay_alloc(l, sizeof *s)) == NULL)
		s = &dummy;
	memset(s, 0, sizeof *s);
	*out = s;
	if (rd_u8(r) != TAG_SESSION)
		rd_fail(r, "unknown tag");
	s->name = rd_str(r, l);
	s->description = rd_str(r, l);
	s->database = rd_str(r, l);
	s->replica_dsn = rd_str(r, l);
	s->created_at = (int64_t)rd_u64be(r);
	s->replayed_to = rd_u64be(r);
	if (r->bad == NULL && rd_left(r) != 0)
		rd_fail(r, "trailing bytes");
}

/* One walk over a sequence sample. */
static void
walk_seqsample(struct rd *r, struct lay *l, void **out)
{
	struct pgtt_seqsample	 dummy, *smp;
	struct pgtt_seqval	 vdummy, *v;
	uint64_t		 zz;
	uint32_t		 i;

	if ((smp = lay_alloc(l, sizeof *smp)) == NULL)
		smp = &dummy;
	memset(smp, 0, sizeof *smp);
	*out = smp;
	if (rd_u8(r) != TAG_SEQSAMPLE)
		rd_fail(r, "unknown tag");
	smp->taken_at = (int64_t)rd_u64be(r);
	smp->n = (uint32_t)rd_count(r, UINT32_MAX);
	if (smp->n != 0)
		smp->seqs = lay_alloc(l, (size_t)smp->n * sizeof *smp->seqs);
	for (i = 0; i < smp->n && r->bad == NULL; i++) {
		v = smp->seqs != NULL ? &smp->seqs[i] : &vdummy;
		v->schema = rd_str(r, l);
		v->name = rd_str(r, l);
		zz = rd_varint(r, UINT64_MAX);
		v->last_value = (int64_t)((zz >> 1) ^ (0ULL - (zz & 1)));
		v->is_called = rd_u8(r);
	}
	if (r->bad == NULL && rd_left(r) != 0)
		rd_fail(r, "trailing bytes");
}

/*
 * Every decoder lays its record out in one block.  The first walk goes
 * into a block of a guessed size, and when the guess holds, as it does
 * for a row of a few columns, that walk is all.  Otherwise it has checked
 * the input and measured the block, and a second walk, which cannot
 * fail, lays it out.  A long record is only measured first: a guess from
 * its length would be a large block thrown away.
 */
#define GUESS_BASE	512
#define GUESS_MAX	4096

static void *
decode(void (*walk)(struct rd *, struct lay *, void **), const char *what,
    const void *p, size_t len, struct pgtt_err *e)
{
	static const uint8_t	 empty[1];
	struct rd		 r;
	struct lay		 l = { NULL, 0, 0 };
	void			*out;

	if (p == NULL || len == 0) {
		p = empty;
		len = 0;
	}
	if (len <= (GUESS_MAX - GUESS_BASE) / 4) {
		l.cap = GUESS_BASE + 4 * len;
		l.base = xmalloc(l.cap);
	}
	r.p = p;
	r.end = r.p + len;
	r.bad = NULL;
	walk(&r, &l, &out);
	if (r.bad != NULL) {
		free(l.base);
		err_set(e, PGTT_ECORRUPT, "corrupt %s record: %s", what, r.bad);
		return NULL;
	}
	if (l.base != NULL && l.off <= l.cap)
		return out;
	free(l.base);
	r.p = p;
	l.base = xmalloc(l.off);
	l.cap = l.off;
	l.off = 0;
	walk(&r, &l, &out);
	return out;
}

/* A copy that outlives the bytes it came from. */
struct pgtt_change *
record_decode_change(const void *p, size_t len, struct pgtt_err *e)
{
	return decode(walk_change, "change", p, len, e);
}

/* A copy that outlives the bytes it came from. */
struct pgtt_txn *
record_decode_txn(const void *p, size_t len, struct pgtt_err *e)
{
	return decode(walk_txn, "transaction", p, len, e);
}

/* A copy that outlives the bytes it came from. */
struct pgtt_relation *
record_decode_relation(const void *p, size_t len, struct pgtt_err *e)
{
	return decode(walk_relation, "relation", p, len, e);
}

/* A copy that outlives the bytes it came from. */
struct pgtt_checkpoint *
record_decode_checkpoint(const void *p, size_t len, struct pgtt_err *e)
{
	return decode(walk_checkpoint, "checkpoint", p, len, e);
}

/* A copy that outlives the bytes it came from. */
struct pgtt_session *
record_decode_session(const void *p, size_t len, struct pgtt_err *e)
{
	return decode(walk_session, "session", p, len, e);
}

/* A copy that outlives the bytes it came from. */
struct pgtt_seqsample *
record_decode_seqsample(const void *p, size_t len, struct pgtt_err *e)
{
	return decode(walk_seqsample, "sequence sample", p, len, e);
}

/* The name the stream pane and the headless output show. */
const char *
change_kind_name(enum change_kind k)
{
	switch (k) {
	case CHANGE_INSERT:
		return "insert";
	case CHANGE_UPDATE:
		return "update";
	case CHANGE_DELETE:
		return "delete";
	case CHANGE_TRUNCATE:
		return "truncate";
	case CHANGE_DDL:
		return "ddl";
	case CHANGE_MESSAGE:
		return "message";
	}
	return "unknown";
}

/* An array of decoded records, and each of them. */
void
record_free_list(void **items, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(items[i]);
	free(items);
}
