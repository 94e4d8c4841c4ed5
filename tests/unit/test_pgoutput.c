/*
 * test_pgoutput.c: the pgoutput decoder on hand-built messages.
 *
 * Every message is laid out byte by byte here, from the protocol's tables,
 * not by a shared encoder, so the decoder and the test cannot agree on the
 * same mistake.  Buffers are trimmed to their exact size and prefixes are
 * decoded from exact-size copies, so under ASan or valgrind any read past
 * the input is caught, not just wrong answers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/pgoutput.h"
#include "core/xmalloc.h"

#define NO_XID		(-1)	/* build a message as sent outside a stream */
#define STREAM_XID	900	/* the xid of the stream decoder() opens */

/* A message under construction. */
struct bb {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
};

/* Append n raw bytes; the put_ helpers below write network byte order. */
static void
put_bytes(struct bb *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = xreallocarray(b->p, b->cap, 1);
	}
	if (n != 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
put_u8(struct bb *b, uint8_t v)
{
	put_bytes(b, &v, 1);
}

static void
put_u16(struct bb *b, uint16_t v)
{
	put_u8(b, (uint8_t)(v >> 8));
	put_u8(b, (uint8_t)v);
}

static void
put_u32(struct bb *b, uint32_t v)
{
	put_u16(b, (uint16_t)(v >> 16));
	put_u16(b, (uint16_t)v);
}

static void
put_u64(struct bb *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

/* A String: the bytes and their NUL. */
static void
put_str(struct bb *b, const char *s)
{
	put_bytes(b, s, strlen(s) + 1);
}

/* A 't' or 'b' column value. */
static void
put_val(struct bb *b, char kind, const void *p, size_t n)
{
	put_u8(b, (uint8_t)kind);
	put_u32(b, (uint32_t)n);
	put_bytes(b, p, n);
}

/* The type byte, and the xid a message carries inside a stream. */
static void
put_head(struct bb *b, char type, int64_t xid)
{
	put_u8(b, (uint8_t)type);
	if (xid != NO_XID)
		put_u32(b, (uint32_t)xid);
}

/* Trim the block to the message, so reads past its end are caught. */
static void
bb_exact(struct bb *b)
{
	b->p = xreallocarray(b->p, b->len, 1);
	b->cap = b->len;
}

static void
bb_free(struct bb *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* Small deterministic generator so failures repeat. */
static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* A decoder for proto, already inside stream STREAM_XID if asked. */
static struct pgo_decoder *
decoder(int proto, int in_stream)
{
	static const uint8_t	 start[] = { 'S', 0, 0, 0x03, 0x84, 1 };
	struct pgo_decoder	*d;
	struct pgo_event	 ev;
	struct pgtt_err		 e;

	d = pgo_decoder_new(proto);
	if (in_stream) {
		err_clear(&e);
		assert_int_equal(pgo_decode(d, start, sizeof start, &ev, &e),
		    0);
		assert_int_equal(ev.xid, STREAM_XID);
	}
	return d;
}

/* Decode b, which must be valid. */
static void
decode_ok(struct pgo_decoder *d, const struct bb *b, struct pgo_event *ev)
{
	struct pgtt_err	e;

	err_clear(&e);
	if (pgo_decode(d, b->p, b->len, ev, &e) != 0)
		fail_msg("unexpected error: %s", e.msg);
}

/* Decode an exact-size copy of the first n bytes; return the code. */
static int
decode_copy(struct pgo_decoder *d, const uint8_t *p, size_t n,
    struct pgtt_err *e)
{
	struct pgo_event	 ev;
	uint8_t			*copy;
	int			 rc;

	copy = xmalloc(n);
	if (n != 0)
		memcpy(copy, p, n);
	err_clear(e);
	rc = pgo_decode(d, copy, n, &ev, e);
	free(copy);
	return rc;
}

/*
 * Every proper prefix of b must be refused and b itself accepted; then b
 * plus one byte must be refused as trailing.  step > 1 samples long
 * messages.  A version 4 Stream Abort has a short form that is a prefix
 * of its long one, and a byte after the short form starts the long one.
 */
static void
check_prefixes(int proto, int in_stream, const struct bb *b, size_t step)
{
	struct pgo_decoder	*d;
	struct pgtt_err		 e;
	struct bb		 t = { NULL, 0, 0 };
	size_t			 n;
	int			 abort4 = b->p[0] == 'A' && proto >= 4;
	const char		*want;

	d = decoder(proto, in_stream);
	for (n = 0; n < b->len; n += n < 64 || n + 64 >= b->len ? 1 : step) {
		if (abort4 && n == 9)
			continue;
		if (decode_copy(d, b->p, n, &e) != PGTT_ECORRUPT)
			fail_msg("prefix %zu of %zu decoded", n, b->len);
		assert_true(e.msg[0] != '\0');
	}
	assert_int_equal(decode_copy(d, b->p, b->len, &e), 0);

	put_bytes(&t, b->p, b->len);
	put_u8(&t, 0);
	bb_exact(&t);
	want = abort4 && b->len == 9 ? "truncated pgoutput Stream Abort" :
	    "trailing bytes after pgoutput ";
	assert_int_equal(decode_copy(d, t.p, t.len, &e), PGTT_ECORRUPT);
	if (strstr(e.msg, want) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", e.msg, want);
	bb_free(&t);
	pgo_decoder_free(d);
}

/* A value's kind and, for 't' and 'b', its bytes. */
static void
assert_val(const struct pgo_value *v, char kind, const void *p, size_t n)
{
	assert_int_equal(v->kind, kind);
	if (kind != 't' && kind != 'b')
		return;
	assert_int_equal(v->len, n);
	assert_non_null(v->data);
	if (n != 0)
		assert_memory_equal(v->data, p, n);
}

/*
 * Each valid message has a builder, which lays it out with the given xid
 * (NO_XID outside a stream), and a checker of every field but that xid.
 * variant selects among forms of the same type.
 */
typedef void	(*build_fn)(struct bb *, int64_t, int);
typedef void	(*check_fn)(const struct pgo_event *, int);

static void
build_begin(struct bb *b, int64_t xid, int variant)
{
	(void)variant;
	put_head(b, 'B', xid);
	put_u64(b, 0x00000001A2B3C4D5ULL);
	put_u64(b, (uint64_t)INT64_C(-2));
	put_u32(b, 4000000000U);
}

static void
check_begin(const struct pgo_event *ev, int variant)
{
	(void)variant;
	assert_int_equal(ev->type, PGO_BEGIN);
	assert_true(ev->u.begin.final_lsn == 0x00000001A2B3C4D5ULL);
	assert_true(ev->u.begin.commit_time == -2);
	assert_int_equal(ev->xid, 4000000000U);
}

/* Commit, or with variant 1 Stream Commit. */
static void
build_commit(struct bb *b, int64_t xid, int variant)
{
	put_head(b, variant ? 'c' : 'C', xid);
	if (variant)
		put_u32(b, 777);
	put_u8(b, 0);
	put_u64(b, 0x16B3748);
	put_u64(b, 0x16B3780);
	put_u64(b, 700000000000000ULL);
}

static void
check_commit(const struct pgo_event *ev, int variant)
{
	assert_int_equal(ev->type, variant ? PGO_STREAM_COMMIT : PGO_COMMIT);
	assert_int_equal(ev->xid, variant ? 777 : 0);
	assert_int_equal(ev->u.commit.flags, 0);
	assert_true(ev->u.commit.commit_lsn == 0x16B3748);
	assert_true(ev->u.commit.end_lsn == 0x16B3780);
	assert_true(ev->u.commit.commit_time == 700000000000000LL);
}

static void
build_origin(struct bb *b, int64_t xid, int variant)
{
	(void)variant;
	put_head(b, 'O', xid);
	put_u64(b, UINT64_MAX);
	put_str(b, "pg_16402");
}

static void
check_origin(const struct pgo_event *ev, int variant)
{
	(void)variant;
	assert_int_equal(ev->type, PGO_ORIGIN);
	assert_true(ev->u.origin.lsn == UINT64_MAX);
	assert_string_equal(ev->u.origin.name, "pg_16402");
}

/* Relation 16384 "".accounts with these columns, id the key. */
static const struct pgo_column	rel_cols[] = {
	{ 1, "id", 20, -1 },
	{ 0, "owner", 1043, 68 },
	{ 0, "balance", 1700, 655366 },
};

static void
build_relation(struct bb *b, int64_t xid, int variant)
{
	size_t	i;

	(void)variant;
	put_head(b, 'R', xid);
	put_u32(b, 16384);
	put_str(b, "");
	put_str(b, "accounts");
	put_u8(b, 'd');
	put_u16(b, 3);
	for (i = 0; i < 3; i++) {
		put_u8(b, rel_cols[i].flags);
		put_str(b, rel_cols[i].name);
		put_u32(b, rel_cols[i].type_oid);
		put_u32(b, (uint32_t)rel_cols[i].typmod);
	}
}

static void
check_relation(const struct pgo_event *ev, int variant)
{
	const struct pgo_column	*c = ev->u.relation.cols;
	size_t			 i;

	(void)variant;
	assert_int_equal(ev->type, PGO_RELATION);
	assert_int_equal(ev->u.relation.relid, 16384);
	assert_string_equal(ev->u.relation.nspname, "");
	assert_string_equal(ev->u.relation.relname, "accounts");
	assert_int_equal(ev->u.relation.replident, 'd');
	assert_int_equal(ev->u.relation.ncols, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(c[i].flags, rel_cols[i].flags);
		assert_string_equal(c[i].name, rel_cols[i].name);
		assert_int_equal(c[i].type_oid, rel_cols[i].type_oid);
		assert_int_equal(c[i].typmod, rel_cols[i].typmod);
	}
}

static void
build_type(struct bb *b, int64_t xid, int variant)
{
	(void)variant;
	put_head(b, 'Y', xid);
	put_u32(b, 16390);
	put_str(b, "public");
	put_str(b, "mood");
}

static void
check_type(const struct pgo_event *ev, int variant)
{
	(void)variant;
	assert_int_equal(ev->type, PGO_TYPE);
	assert_int_equal(ev->u.type.oid, 16390);
	assert_string_equal(ev->u.type.nspname, "public");
	assert_string_equal(ev->u.type.typname, "mood");
}

static const char	nul_text[] = "a\0b\0\0c";
static const uint8_t	bin_val[] = { 0x00, 0xff, 0x10, 0x00 };

/* Insert into 16384 of n, u, t "42", b, t with NULs, empty t. */
static void
build_insert(struct bb *b, int64_t xid, int variant)
{
	(void)variant;
	put_head(b, 'I', xid);
	put_u32(b, 16384);
	put_u8(b, 'N');
	put_u16(b, 6);
	put_u8(b, 'n');
	put_u8(b, 'u');
	put_val(b, 't', "42", 2);
	put_val(b, 'b', bin_val, sizeof bin_val);
	put_val(b, 't', nul_text, sizeof nul_text - 1);
	put_val(b, 't', "", 0);
}

static void
check_insert(const struct pgo_event *ev, int variant)
{
	const struct pgo_value	*v = ev->u.change.new.values;

	(void)variant;
	assert_int_equal(ev->type, PGO_INSERT);
	assert_int_equal(ev->u.change.relid, 16384);
	assert_int_equal(ev->u.change.old_kind, 0);
	assert_int_equal(ev->u.change.old.ncols, 0);
	assert_int_equal(ev->u.change.new.ncols, 6);
	assert_val(&v[0], 'n', NULL, 0);
	assert_val(&v[1], 'u', NULL, 0);
	assert_val(&v[2], 't', "42", 2);
	assert_val(&v[3], 'b', bin_val, sizeof bin_val);
	assert_val(&v[4], 't', nul_text, sizeof nul_text - 1);
	assert_val(&v[5], 't', "", 0);
}

/* Update of 16384 to (7, NULL); variant is the old tag, 0 for none. */
static void
build_update(struct bb *b, int64_t xid, int variant)
{
	put_head(b, 'U', xid);
	put_u32(b, 16384);
	if (variant != 0) {
		put_u8(b, (uint8_t)variant);
		put_u16(b, variant == 'K' ? 1 : 2);
		put_val(b, 't', "6", 1);
		if (variant == 'O')
			put_val(b, 't', "old", 3);
	}
	put_u8(b, 'N');
	put_u16(b, 2);
	put_val(b, 't', "7", 1);
	put_u8(b, 'n');
}

static void
check_update(const struct pgo_event *ev, int variant)
{
	const struct pgo_value	*o = ev->u.change.old.values;
	const struct pgo_value	*n = ev->u.change.new.values;

	assert_int_equal(ev->type, PGO_UPDATE);
	assert_int_equal(ev->u.change.relid, 16384);
	assert_int_equal(ev->u.change.old_kind, variant);
	assert_int_equal(ev->u.change.old.ncols,
	    variant == 0 ? 0 : variant == 'K' ? 1 : 2);
	if (variant != 0) {
		assert_val(&o[0], 't', "6", 1);
		/* Old and new must not share scratch space. */
		assert_ptr_not_equal(o, n);
	}
	if (variant == 'O')
		assert_val(&o[1], 't', "old", 3);
	assert_int_equal(ev->u.change.new.ncols, 2);
	assert_val(&n[0], 't', "7", 1);
	assert_val(&n[1], 'n', NULL, 0);
}

/* Delete from 16384 by key ('K', 1 column) or whole row ('O', 2). */
static void
build_delete(struct bb *b, int64_t xid, int variant)
{
	put_head(b, 'D', xid);
	put_u32(b, 16384);
	put_u8(b, (uint8_t)variant);
	put_u16(b, variant == 'K' ? 1 : 2);
	put_val(b, 't', "6", 1);
	if (variant == 'O')
		put_u8(b, 'u');
}

static void
check_delete(const struct pgo_event *ev, int variant)
{
	const struct pgo_value	*o = ev->u.change.old.values;

	assert_int_equal(ev->type, PGO_DELETE);
	assert_int_equal(ev->u.change.relid, 16384);
	assert_int_equal(ev->u.change.old_kind, variant);
	assert_int_equal(ev->u.change.old.ncols, variant == 'K' ? 1 : 2);
	assert_val(&o[0], 't', "6", 1);
	if (variant == 'O')
		assert_val(&o[1], 'u', NULL, 0);
	assert_int_equal(ev->u.change.new.ncols, 0);
}

static void
build_truncate(struct bb *b, int64_t xid, int variant)
{
	(void)variant;
	put_head(b, 'T', xid);
	put_u32(b, 3);
	put_u8(b, 3);
	put_u32(b, 16384);
	put_u32(b, 1);
	put_u32(b, UINT32_MAX);
}

static void
check_truncate(const struct pgo_event *ev, int variant)
{
	(void)variant;
	assert_int_equal(ev->type, PGO_TRUNCATE);
	assert_int_equal(ev->u.truncate.nrelids, 3);
	assert_int_equal(ev->u.truncate.options, 3);
	assert_int_equal(ev->u.truncate.relids[0], 16384);
	assert_int_equal(ev->u.truncate.relids[1], 1);
	assert_int_equal(ev->u.truncate.relids[2], UINT32_MAX);
}

/* Variant 1: transactional, text; 0: not, binary, empty prefix. */
static void
build_message(struct bb *b, int64_t xid, int variant)
{
	put_head(b, 'M', xid);
	put_u8(b, variant ? 1 : 0);
	put_u64(b, 0x16B3800);
	if (variant) {
		put_str(b, "pgtt.ddl");
		put_u32(b, 5);
		put_bytes(b, "{\"a\"}", 5);
	} else {
		put_str(b, "");
		put_u32(b, sizeof bin_val);
		put_bytes(b, bin_val, sizeof bin_val);
	}
}

static void
check_message(const struct pgo_event *ev, int variant)
{
	assert_int_equal(ev->type, PGO_MESSAGE);
	assert_int_equal(ev->u.message.flags, variant ? 1 : 0);
	assert_true(ev->u.message.lsn == 0x16B3800);
	assert_non_null(ev->u.message.content);
	if (variant) {
		assert_string_equal(ev->u.message.prefix, "pgtt.ddl");
		assert_int_equal(ev->u.message.len, 5);
		assert_memory_equal(ev->u.message.content, "{\"a\"}", 5);
	} else {
		assert_string_equal(ev->u.message.prefix, "");
		assert_int_equal(ev->u.message.len, sizeof bin_val);
		assert_memory_equal(ev->u.message.content, bin_val,
		    sizeof bin_val);
	}
}

/* Stream Start of xid 777, or with variant 1 Stream Stop. */
static void
build_stream(struct bb *b, int64_t xid, int variant)
{
	put_head(b, variant ? 'E' : 'S', xid);
	if (!variant) {
		put_u32(b, 777);
		put_u8(b, 1);
	}
}

static void
check_stream(const struct pgo_event *ev, int variant)
{
	assert_int_equal(ev->type, variant ? PGO_STREAM_STOP :
	    PGO_STREAM_START);
	assert_int_equal(ev->xid, variant ? 0 : 777);
	assert_int_equal(ev->u.stream_start.first_segment, variant ? 0 : 1);
}

/* Stream Abort, with variant 1 the version 4 abort LSN and time. */
static void
build_abort(struct bb *b, int64_t xid, int variant)
{
	put_head(b, 'A', xid);
	put_u32(b, 777);
	put_u32(b, 778);
	if (variant) {
		put_u64(b, 0x3000000);
		put_u64(b, 99999);
	}
}

static void
check_abort(const struct pgo_event *ev, int variant)
{
	(void)variant;
	assert_int_equal(ev->type, PGO_STREAM_ABORT);
	assert_int_equal(ev->xid, 777);
	assert_int_equal(ev->u.stream_abort.subxid, 778);
}

static const struct valid {
	const char	*name;
	int		 proto;
	int		 streamed;	/* also sent inside a stream */
	int		 variant;
	build_fn	 build;
	check_fn	 check;
} valids[] = {
	{ "Begin", 1, 0, 0, build_begin, check_begin },
	{ "Commit", 1, 0, 0, build_commit, check_commit },
	{ "Stream Start", 2, 0, 0, build_stream, check_stream },
	{ "Stream Stop", 2, 0, 1, build_stream, check_stream },
	{ "Stream Commit", 2, 0, 1, build_commit, check_commit },
	{ "Stream Abort", 2, 0, 0, build_abort, check_abort },
	{ "Stream Abort v4 short", 4, 0, 0, build_abort, check_abort },
	{ "Stream Abort v4 long", 4, 0, 1, build_abort, check_abort },
	{ "Origin", 1, 0, 0, build_origin, check_origin },
	{ "Relation", 1, 1, 0, build_relation, check_relation },
	{ "Type", 1, 1, 0, build_type, check_type },
	{ "Insert", 1, 1, 0, build_insert, check_insert },
	{ "Update", 1, 1, 0, build_update, check_update },
	{ "Update 'K'", 1, 1, 'K', build_update, check_update },
	{ "Update 'O'", 1, 1, 'O', build_update, check_update },
	{ "Delete 'K'", 1, 1, 'K', build_delete, check_delete },
	{ "Delete 'O'", 1, 1, 'O', build_delete, check_delete },
	{ "Truncate", 1, 1, 0, build_truncate, check_truncate },
	{ "Message", 1, 1, 1, build_message, check_message },
	{ "Message non-transactional", 1, 1, 0, build_message, check_message },
};

/*
 * Every valid message, outside a stream and, where the server can send
 * it there, inside one with the xid: decoded field by field, and then
 * cut at every length.
 */
static void
test_valid(void **state)
{
	const struct valid	*v;
	struct pgo_decoder	*d;
	struct pgo_event	 ev;
	struct bb		 b = { NULL, 0, 0 };
	size_t			 i;
	int			 s, proto;

	(void)state;
	for (i = 0; i < sizeof valids / sizeof valids[0]; i++) {
		v = &valids[i];
		for (s = 0; s <= v->streamed; s++) {
			print_message("# %s%s\n", v->name,
			    s ? " streamed" : "");
			proto = s ? 2 : v->proto;
			v->build(&b, s ? STREAM_XID : NO_XID, v->variant);
			bb_exact(&b);
			d = decoder(proto, s);
			decode_ok(d, &b, &ev);
			v->check(&ev, v->variant);
			if (s)
				assert_int_equal(ev.xid, STREAM_XID);
			else if (v->streamed)
				assert_int_equal(ev.xid, 0);
			pgo_decoder_free(d);
			check_prefixes(proto, s, &b, 1);
			bb_free(&b);
		}
	}
}

/* Values point into the input: zero copy, even for a megabyte. */
static void
test_big(void **state)
{
	struct pgo_decoder	*d;
	struct pgo_event	 ev;
	struct bb		 b = { NULL, 0, 0 };
	char			*big;
	size_t			 i, n = 1024 * 1024;

	(void)state;
	big = xmalloc(n);
	for (i = 0; i < n; i++)
		big[i] = (char)(i * 7);	/* NULs included */
	put_u8(&b, 'I');
	put_u32(&b, 99);
	put_u8(&b, 'N');
	put_u16(&b, 2);
	put_val(&b, 't', big, n);
	put_val(&b, 'b', "tail", 4);
	bb_exact(&b);
	d = decoder(3, 0);
	decode_ok(d, &b, &ev);
	assert_int_equal(ev.u.change.new.ncols, 2);
	assert_val(&ev.u.change.new.values[0], 't', big, n);
	assert_ptr_equal(ev.u.change.new.values[0].data,
	    (const char *)b.p + 13);
	assert_val(&ev.u.change.new.values[1], 'b', "tail", 4);
	pgo_decoder_free(d);
	check_prefixes(3, 0, &b, 4093);
	bb_free(&b);
	free(big);
}

/* S opens a stream, so data messages carry an xid; E closes it. */
static void
test_stream(void **state)
{
	static const uint8_t	 start[] = { 'S', 0, 0, 0x03, 0x09, 1 };
	static const uint8_t	 stop[] = { 'E' };
	struct pgo_decoder	*d;
	struct pgo_event	 ev;
	struct pgtt_err		 e;
	struct bb		 plain = { NULL, 0, 0 };
	struct bb		 inner = { NULL, 0, 0 };

	(void)state;
	build_insert(&plain, NO_XID, 0);
	bb_exact(&plain);
	build_insert(&inner, 777, 0);
	bb_exact(&inner);
	d = pgo_decoder_new(2);

	/* A truncated Stream Start must not open a stream. */
	assert_int_equal(decode_copy(d, start, sizeof start - 1, &e),
	    PGTT_ECORRUPT);
	assert_string_equal(e.msg,
	    "truncated pgoutput Stream Start message at byte 5 of 5");
	decode_ok(d, &plain, &ev);
	check_insert(&ev, 0);
	assert_int_equal(ev.xid, 0);

	assert_int_equal(decode_copy(d, start, sizeof start, &e), 0);
	decode_ok(d, &inner, &ev);
	check_insert(&ev, 0);
	assert_int_equal(ev.xid, 777);
	assert_int_equal(decode_copy(d, stop, sizeof stop, &e), 0);
	decode_ok(d, &plain, &ev);
	check_insert(&ev, 0);
	assert_int_equal(ev.xid, 0);

	bb_free(&plain);
	bb_free(&inner);
	pgo_decoder_free(d);
}

/* Malformed messages, spelled out as bytes; every one names its fault. */
#define BYTES(s)	(s), sizeof(s) - 1

static const struct bad {
	int		 proto;
	const char	*bytes;
	size_t		 len;
	const char	*want;
} bads[] = {
	{ 4, BYTES(""), "empty pgoutput message" },
	{ 4, BYTES("Z"), "unsupported pgoutput message type 'Z'" },
	{ 4, BYTES("\377"), "unsupported pgoutput message type 0xff" },
	{ 4, BYTES("\0"), "unsupported pgoutput message type 0x00" },
	{ 4, BYTES("w"), "unsupported pgoutput message type 'w'" },
	/* Two-phase messages, which pgtt never asks for. */
	{ 4, BYTES("b"), "unsupported pgoutput message type 'b'" },
	{ 4, BYTES("P"), "unsupported pgoutput message type 'P'" },
	{ 4, BYTES("K"), "unsupported pgoutput message type 'K'" },
	{ 4, BYTES("r"), "unsupported pgoutput message type 'r'" },
	{ 4, BYTES("p"), "unsupported pgoutput message type 'p'" },
	{ 4, BYTES("B\0\0\0\0\0\0\0\1\0"),
	    "truncated pgoutput Begin message at byte 9 of 10" },
	{ 4, BYTES("E\0"),
	    "trailing bytes after pgoutput Stream Stop message at byte 1" },
	{ 4, BYTES("I\0\0\0\1N\0\1x\0\0\0\0"), "unknown tuple column kind 'x' "
	    "in pgoutput Insert message at byte 8 of 13" },
	{ 4, BYTES("I\0\0\0\1N\0\1\1\0\0\0\0"),
	    "unknown tuple column kind 0x01 in pgoutput Insert message" },
	{ 4, BYTES("I\0\0\0\1N\0\1t\377\377\377\377"),
	    "negative length -1 in pgoutput Insert message at byte 9 of 13" },
	{ 4, BYTES("I\0\0\0\1N\0\1b\200\0\0\0"), "negative length -2147483648 "
	    "in pgoutput Insert message at byte 9 of 13" },
	/* A length past the end is a truncation, however large. */
	{ 4, BYTES("I\0\0\0\1N\0\1t\177\377\377\377"),
	    "truncated pgoutput Insert message at byte 13 of 13" },
	{ 4, BYTES("I\0\0\0\1K\0\0"), "unexpected tuple tag 'K' (expected 'N') "
	    "in pgoutput Insert message at byte 5 of 8" },
	{ 4, BYTES("U\0\0\0\1X\0\0"),
	    "unexpected tuple tag 'X' (expected 'K', 'O' or 'N')" },
	/* After the old key an Update needs 'N', not a second old row. */
	{ 4, BYTES("U\0\0\0\1K\0\0O\0\0"), "unexpected tuple tag 'O' "
	    "(expected 'N') in pgoutput Update message at byte 8 of 11" },
	{ 4, BYTES("D\0\0\0\1N\0\0"),
	    "unexpected tuple tag 'N' (expected 'K' or 'O')" },
	{ 4, BYTES("M\1\0\0\0\0\0\0\0\1p\0\377\377\377\377"),
	    "negative length -1 in pgoutput Message message at byte 12 of 16" },
	{ 4, BYTES("O\0\0\0\0\0\0\0\1abc"),
	    "unterminated string in pgoutput Origin message at byte 9 of 12" },
	/* Stream Abort: 8 bytes, or from version 4 on 8 or 24. */
	{ 2, BYTES("A\0\0\0\1\0\0\0\1\0\0\0\0\0\0\0\1"
	    "\0\0\0\0\0\0\0\1"), "trailing bytes after pgoutput Stream "
	    "Abort message at byte 9 of 25" },
	{ 4, BYTES("A\0\0\0\1\0\0\0\1\0\0\0\0\0\0\0\1"),
	    "truncated pgoutput Stream Abort message at byte 17 of 17" },
	/* Counts the bytes left cannot hold are refused before allocating. */
	{ 4, BYTES("I\0\0\0\1N\377\377nn"), "column count 65535 exceeds the 2 "
	    "bytes left in pgoutput Insert message at byte 6 of 10" },
	{ 4, BYTES("R\0\0\0\1\0t\0d\0\3xxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
	    "column count 3 exceeds the 29 bytes left" },
	{ 4, BYTES("T\177\377\377\377\0\0\0\0\1"),
	    "relation count 2147483647 exceeds the 4 bytes left" },
};

/* Each must be refused with its own message. */
static void
test_bad(void **state)
{
	struct pgo_decoder	*d;
	struct pgtt_err		 e;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		d = decoder(bads[i].proto, 0);
		assert_int_equal(decode_copy(d, (const uint8_t *)bads[i].bytes,
		    bads[i].len, &e), PGTT_ECORRUPT);
		assert_int_equal(e.code, PGTT_ECORRUPT);
		if (strstr(e.msg, bads[i].want) == NULL)
			fail_msg("\"%s\" lacks \"%s\"", e.msg, bads[i].want);
		pgo_decoder_free(d);
	}
}

/* Random bytes, half of them behind a plausible type byte. */
static void
test_random(void **state)
{
	static const char	 types[] = "BCORYIUDTMSEcAbPKrp";
	struct pgo_decoder	*d[4];
	struct pgo_event	 ev;
	struct pgtt_err		 e;
	uint32_t		 seed = 0x9e3779b9;
	uint8_t			*buf;
	size_t			 len, j;
	int			 i, rc, ok = 0;

	(void)state;
	for (i = 0; i < 4; i++)
		d[i] = pgo_decoder_new(i + 1);
	for (i = 0; i < 100000; i++) {
		len = rnd(&seed) % 65;
		buf = xmalloc(len);
		for (j = 0; j < len; j++)
			buf[j] = (uint8_t)rnd(&seed);
		if (len > 0 && rnd(&seed) % 2 == 0)
			buf[0] = (uint8_t)types[rnd(&seed) %
			    (sizeof types - 1)];
		err_clear(&e);
		rc = pgo_decode(d[i % 4], buf, len, &ev, &e);
		if (rc == 0)
			ok++;
		else {
			assert_int_equal(rc, PGTT_ECORRUPT);
			assert_true(e.msg[0] != '\0');
		}
		free(buf);
	}
	/* Stream Stop, at least, is a valid one-byte message. */
	assert_true(ok > 0);
	for (i = 0; i < 4; i++)
		pgo_decoder_free(d[i]);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_big),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
