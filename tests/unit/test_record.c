/*
 * test_record.c: record encodings round-trip, and bad bytes are refused.
 *
 * Decoders are fed copies that end exactly at the end of a heap block, so
 * under ASan any read past the input is caught, not just wrong answers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/record.h"
#include "core/xmalloc.h"

/* A decode function of any record type, for the shared checks. */
typedef void *(*decode_fn)(const void *, size_t, struct pgtt_err *);

/* Wrappers with decode_fn's exact type, so calls through it are defined. */
static void *
dec_change(const void *p, size_t n, struct pgtt_err *e)
{
	return record_decode_change(p, n, e);
}

static void *
dec_txn(const void *p, size_t n, struct pgtt_err *e)
{
	return record_decode_txn(p, n, e);
}

static void *
dec_relation(const void *p, size_t n, struct pgtt_err *e)
{
	return record_decode_relation(p, n, e);
}

static void *
dec_checkpoint(const void *p, size_t n, struct pgtt_err *e)
{
	return record_decode_checkpoint(p, n, e);
}

static void *
dec_session(const void *p, size_t n, struct pgtt_err *e)
{
	return record_decode_session(p, n, e);
}

static void *
dec_seqsample(const void *p, size_t n, struct pgtt_err *e)
{
	return record_decode_seqsample(p, n, e);
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

/* Decode a copy in a block of exactly len bytes. */
static void *
decode_exact(decode_fn fn, const uint8_t *p, size_t len, struct pgtt_err *e)
{
	uint8_t	*copy;
	void	*out;

	copy = xmalloc(len);
	if (len != 0)
		memcpy(copy, p, len);
	out = fn(copy, len, e);
	free(copy);
	return out;
}

/* Every strict prefix must be refused as corrupt, never read past. */
static void
check_prefixes(decode_fn fn, const struct buf *b, size_t step)
{
	struct pgtt_err	 e;
	void		*out;
	size_t		 n;

	for (n = 0; n < b->len; n += n < 64 || n + 64 >= b->len ? 1 : step) {
		err_clear(&e);
		out = decode_exact(fn, b->data, n, &e);
		assert_null(out);
		assert_int_equal(e.code, PGTT_ECORRUPT);
		assert_non_null(strstr(e.msg, "corrupt "));
	}
	out = decode_exact(fn, b->data, b->len, &e);
	assert_non_null(out);
	free(out);
}

/* Flipped bytes must decode to something valid or to a clean refusal. */
static void
check_mutations(decode_fn fn, const struct buf *b, uint32_t seed)
{
	struct pgtt_err	 e;
	uint8_t		*copy;
	void		*out;
	int		 i, k;

	if (b->len == 0)
		return;
	copy = xmalloc(b->len);
	for (i = 0; i < 2000; i++) {
		memcpy(copy, b->data, b->len);
		for (k = 0; k < 1 + i % 4; k++)
			copy[rnd(&seed) % b->len] = (uint8_t)rnd(&seed);
		err_clear(&e);
		if ((out = fn(copy, b->len, &e)) == NULL)
			assert_int_equal(e.code, PGTT_ECORRUPT);
		free(out);
	}
	free(copy);
}

/* A text column; the value may hold NULs. */
static struct pgtt_col
text_col(const char *v, size_t len)
{
	struct pgtt_col	c = { COL_TEXT, (uint32_t)len, v };

	return c;
}

static void
assert_tuple_equal(const struct pgtt_tuple *a, const struct pgtt_tuple *b)
{
	uint16_t	i;

	assert_int_equal(a->ncols, b->ncols);
	for (i = 0; i < a->ncols; i++) {
		assert_int_equal(a->cols[i].kind, b->cols[i].kind);
		if (a->cols[i].kind != COL_TEXT)
			continue;
		assert_int_equal(a->cols[i].len, b->cols[i].len);
		assert_non_null(b->cols[i].val);
		assert_memory_equal(a->cols[i].val, b->cols[i].val,
		    a->cols[i].len);
	}
}

/* Encode, decode and compare every field a change has. */
static void
roundtrip_change(const struct pgtt_change *in)
{
	struct pgtt_change	*out;
	struct pgtt_err		 e;
	struct buf		 b;
	uint32_t		 i;

	buf_init(&b);
	record_encode_change(&b, in);
	err_clear(&e);
	out = decode_exact(dec_change, b.data, b.len, &e);
	assert_non_null(out);
	assert_int_equal(out->commit_lsn, 0);
	assert_int_equal(out->seq, 0);
	assert_int_equal(out->kind, in->kind);
	assert_int_equal(out->relid, in->relid);
	assert_int_equal(out->old_kind, in->old_kind);
	if (in->old_kind != OLD_NONE)
		assert_tuple_equal(&in->old, &out->old);
	assert_tuple_equal(&in->new, &out->new);
	assert_int_equal(out->nrelids, in->nrelids);
	for (i = 0; i < in->nrelids; i++)
		assert_int_equal(out->relids[i], in->relids[i]);
	assert_int_equal(out->truncate_flags, in->truncate_flags);
	assert_non_null(out->prefix);
	assert_string_equal(out->prefix, in->prefix ? in->prefix : "");
	assert_int_equal(out->content_len, in->content_len);
	assert_non_null(out->content);
	if (in->content_len != 0)
		assert_memory_equal(out->content, in->content, in->content_len);
	free(out);

	if (b.len < 4096)
		check_prefixes(dec_change, &b, 1);
	else
		check_prefixes(dec_change, &b, 4093);
	if (b.len < 4096)
		check_mutations(dec_change, &b, 7);
	buf_done(&b);
}

static void
test_insert_mixed(void **state)
{
	static const char	 nuls[] = "a\0b\0\0c";
	struct pgtt_col		 cols[6];
	struct pgtt_change	 ch;

	(void)state;
	cols[0] = text_col("42", 2);
	cols[1].kind = COL_NULL;
	cols[2].kind = COL_TOAST;
	cols[3] = text_col("", 0);
	cols[4] = text_col(nuls, sizeof nuls - 1);
	cols[5] = text_col("\\x00ff", 6);
	memset(&ch, 0, sizeof ch);
	ch.kind = CHANGE_INSERT;
	ch.relid = 16384;
	ch.new.ncols = 6;
	ch.new.cols = cols;
	roundtrip_change(&ch);
}

static void
test_update_old(void **state)
{
	struct pgtt_col		 oldc[2], newc[2];
	struct pgtt_change	 ch;

	(void)state;
	oldc[0] = text_col("1", 1);
	oldc[1].kind = COL_NULL;
	newc[0] = text_col("2", 1);
	newc[1].kind = COL_TOAST;
	memset(&ch, 0, sizeof ch);
	ch.kind = CHANGE_UPDATE;
	ch.relid = UINT32_MAX;
	ch.old_kind = OLD_FULL;
	ch.old.ncols = 2;
	ch.old.cols = oldc;
	ch.new.ncols = 2;
	ch.new.cols = newc;
	roundtrip_change(&ch);

	ch.old_kind = OLD_KEY;
	ch.old.ncols = 1;
	roundtrip_change(&ch);

	ch.old.ncols = 0;	/* a key with no columns still says OLD_KEY */
	roundtrip_change(&ch);
}

static void
test_delete(void **state)
{
	struct pgtt_col		 oldc[1];
	struct pgtt_change	 ch;

	(void)state;
	oldc[0] = text_col("x", 1);
	memset(&ch, 0, sizeof ch);
	ch.kind = CHANGE_DELETE;
	ch.relid = 1;
	ch.old_kind = OLD_KEY;
	ch.old.ncols = 1;
	ch.old.cols = oldc;
	roundtrip_change(&ch);
}

static void
test_truncate(void **state)
{
	uint32_t		 relids[] = { 1, 127, 128, 16384, UINT32_MAX };
	struct pgtt_change	 ch;

	(void)state;
	memset(&ch, 0, sizeof ch);
	ch.kind = CHANGE_TRUNCATE;
	ch.nrelids = 5;
	ch.relids = relids;
	ch.truncate_flags = 3;
	roundtrip_change(&ch);
	ch.truncate_flags = 0;
	ch.nrelids = 1;
	roundtrip_change(&ch);
}

static void
test_ddl_message(void **state)
{
	static const char	 bin[] = "\0\1\2\0";
	struct pgtt_change	 ch;

	(void)state;
	memset(&ch, 0, sizeof ch);
	ch.kind = CHANGE_DDL;
	ch.prefix = "pgtt_ddl";
	ch.content = "ALTER TABLE t ADD COLUMN c int";
	ch.content_len = (uint32_t)strlen(ch.content);
	roundtrip_change(&ch);

	ch.kind = CHANGE_MESSAGE;
	ch.prefix = "";
	ch.content = bin;
	ch.content_len = sizeof bin - 1;
	roundtrip_change(&ch);

	ch.prefix = NULL;	/* encoded as "" */
	ch.content = NULL;
	ch.content_len = 0;
	roundtrip_change(&ch);
}

static void
test_big_value(void **state)
{
	struct pgtt_col		 cols[2];
	struct pgtt_change	 ch;
	char			*big;
	size_t			 i, n = 1024 * 1024 + 17;

	(void)state;
	big = xmalloc(n);
	for (i = 0; i < n; i++)
		big[i] = (char)(i * 7);	/* NULs included */
	cols[0] = text_col(big, n);
	cols[1] = text_col("tail", 4);
	memset(&ch, 0, sizeof ch);
	ch.kind = CHANGE_INSERT;
	ch.relid = 99;
	ch.new.ncols = 2;
	ch.new.cols = cols;
	roundtrip_change(&ch);
	free(big);
}

static void
test_many_columns(void **state)
{
	struct pgtt_col		*cols;
	struct pgtt_change	 ch;
	char			 vals[1600][8];
	uint16_t		 i;

	(void)state;
	cols = xcalloc(1600, sizeof *cols);
	for (i = 0; i < 1600; i++) {
		if (i % 3 == 0)
			cols[i].kind = COL_NULL;
		else if (i % 3 == 1)
			cols[i].kind = COL_TOAST;
		else {
			snprintf(vals[i], sizeof vals[i], "%u", i);
			cols[i] = text_col(vals[i], strlen(vals[i]));
		}
	}
	memset(&ch, 0, sizeof ch);
	ch.kind = CHANGE_UPDATE;
	ch.relid = 7;
	ch.old_kind = OLD_FULL;
	ch.old.ncols = 1600;
	ch.old.cols = cols;
	ch.new.ncols = 1600;
	ch.new.cols = cols;
	roundtrip_change(&ch);

	/*
	 * Short, but for its NULLs a block many times its length: more than
	 * the decoder guesses from the length, so it lays it out again.
	 */
	for (i = 0; i < 100; i++)
		cols[i].kind = COL_NULL;
	ch.kind = CHANGE_INSERT;
	ch.old_kind = OLD_NONE;
	ch.old.ncols = 0;
	ch.old.cols = NULL;
	ch.new.ncols = 100;
	roundtrip_change(&ch);
	free(cols);
}

static void
test_txn(void **state)
{
	struct pgtt_txn	 in, *out;
	struct pgtt_err	 e;
	struct buf	 b;
	int64_t		 times[] = { 0, -1, INT64_MIN, INT64_MAX, 700000000000000LL };
	size_t		 i;

	(void)state;
	buf_init(&b);
	for (i = 0; i < sizeof times / sizeof times[0]; i++) {
		memset(&in, 0, sizeof in);
		in.commit_lsn = 0x16B3748;
		in.end_lsn = UINT64_MAX - i;
		in.xid = UINT32_MAX - (uint32_t)i;
		in.commit_time = times[i];
		in.nchanges = (uint32_t)i * 1000;
		in.flags = TXN_HAS_DDL;
		buf_reset(&b);
		record_encode_txn(&b, &in);
		out = decode_exact(dec_txn, b.data, b.len,
		    &e);
		assert_non_null(out);
		assert_int_equal(out->commit_lsn, 0);
		assert_true(out->end_lsn == in.end_lsn);
		assert_int_equal(out->xid, in.xid);
		assert_true(out->commit_time == in.commit_time);
		assert_int_equal(out->nchanges, in.nchanges);
		assert_int_equal(out->flags, in.flags);
		free(out);
		check_prefixes(dec_txn, &b, 1);
		check_mutations(dec_txn, &b, 11);
	}
	buf_done(&b);
}

/* A relation with n columns, names "c<i>", awkward typmods. */
static void
roundtrip_relation(uint16_t n, const char *schema, const char *name)
{
	struct pgtt_relation	 in, *out;
	struct pgtt_column_def	*cols;
	struct pgtt_err		 e;
	struct buf		 b;
	char			(*names)[8];
	uint16_t		 i;

	cols = xcalloc(n ? n : 1, sizeof *cols);
	names = xcalloc(n ? n : 1, sizeof *names);
	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof names[i], "c%u", i);
		cols[i].name = i == 1 ? "" : names[i];
		cols[i].type_oid = i == 2 ? UINT32_MAX : 23U + i;
		cols[i].typmod = i % 4 == 0 ? -1 : i % 4 == 1 ? INT32_MIN :
		    i % 4 == 2 ? INT32_MAX : i;
		cols[i].is_key = i == 0 || n == 5;	/* 5: FULL */
		cols[i].row_key = n == 5 && i < 2;
	}
	memset(&in, 0, sizeof in);
	in.schema = schema;
	in.name = name;
	in.replident = 'f';
	in.ncols = n;
	in.cols = cols;
	buf_init(&b);
	record_encode_relation(&b, &in);
	out = decode_exact(dec_relation, b.data, b.len,
	    &e);
	assert_non_null(out);
	assert_string_equal(out->schema, schema);
	assert_string_equal(out->name, name);
	assert_int_equal(out->replident, 'f');
	assert_int_equal(out->ncols, n);
	for (i = 0; i < n; i++) {
		assert_string_equal(out->cols[i].name, cols[i].name);
		assert_int_equal(out->cols[i].type_oid, cols[i].type_oid);
		assert_int_equal(out->cols[i].typmod, cols[i].typmod);
		assert_int_equal(out->cols[i].is_key, cols[i].is_key);
		assert_int_equal(out->cols[i].row_key, cols[i].row_key);
	}
	free(out);
	check_prefixes(dec_relation, &b,
	    b.len < 4096 ? 1 : 97);
	if (b.len < 4096)
		check_mutations(dec_relation, &b, 13);
	buf_done(&b);
	free(names);
	free(cols);
}

/*
 * The row key names a row when the capture found one; else the replica
 * identity does, which a journal from before row keys always has.
 */
static void
test_row_key(void **state)
{
	struct pgtt_column_def	cols[3] = { { "id", 23, -1, 1, 1 },
	    { "name", 25, -1, 1, 0 }, { "price", 1700, -1, 1, 0 } };
	struct pgtt_relation	rel = { .relid = 1, .schema = "public",
				    .name = "products", .replident = 'f',
				    .ncols = 3, .cols = cols };
	uint8_t			keys[3];

	(void)state;
	assert_int_equal(relation_row_key(&rel, keys), 1);
	assert_memory_equal(keys, ((uint8_t []){ 1, 0, 0 }), 3);
	assert_true(relation_is_row_key(&rel, 0));
	assert_false(relation_is_row_key(&rel, 2));
	cols[0].row_key = 0;
	assert_int_equal(relation_row_key(&rel, keys), 0);
	assert_memory_equal(keys, ((uint8_t []){ 1, 1, 1 }), 3);
	assert_true(relation_is_row_key(&rel, 2));
}

static void
test_relation(void **state)
{
	(void)state;
	roundtrip_relation(5, "public", "accounts");
	roundtrip_relation(0, "", "");
	roundtrip_relation(3, "public", "no_row_key");
	roundtrip_relation(1600, "s p a c e", "\xc3\xa9t\xc3\xa9");
}

static void
test_checkpoint(void **state)
{
	struct pgtt_checkpoint	 in, *out;
	struct pgtt_err		 e;
	struct buf		 b;

	(void)state;
	memset(&in, 0, sizeof in);
	in.id = 77;	/* not encoded */
	in.name = "before-migration";
	in.description = "";
	in.lsn = 0xFFFFFFFF00000001ULL;
	in.created_at = -123456789;
	in.session_id = 3;
	in.fixed = 1;
	buf_init(&b);
	record_encode_checkpoint(&b, &in);
	out = decode_exact(dec_checkpoint, b.data, b.len,
	    &e);
	assert_non_null(out);
	assert_int_equal(out->id, 0);
	assert_string_equal(out->name, in.name);
	assert_string_equal(out->description, "");
	assert_true(out->lsn == in.lsn);
	assert_true(out->created_at == in.created_at);
	assert_int_equal(out->session_id, 3);
	assert_int_equal(out->fixed, 1);
	free(out);
	check_prefixes(dec_checkpoint, &b, 1);
	check_mutations(dec_checkpoint, &b, 17);

	in.description = NULL;	/* encoded as "" */
	buf_reset(&b);
	record_encode_checkpoint(&b, &in);
	out = record_decode_checkpoint(b.data, b.len, &e);
	assert_non_null(out);
	assert_string_equal(out->description, "");
	free(out);
	buf_done(&b);
}

static void
test_session(void **state)
{
	struct pgtt_session	 in, *out;
	struct pgtt_err		 e;
	struct buf		 b;

	(void)state;
	memset(&in, 0, sizeof in);
	in.name = "s1";
	in.description = "try the fix";
	in.database = "shop";
	in.replica_dsn = "";
	in.created_at = 1;
	in.replayed_to = 42;
	buf_init(&b);
	record_encode_session(&b, &in);
	out = decode_exact(dec_session, b.data, b.len, &e);
	assert_non_null(out);
	assert_string_equal(out->name, "s1");
	assert_string_equal(out->description, "try the fix");
	assert_string_equal(out->database, "shop");
	assert_string_equal(out->replica_dsn, "");
	assert_true(out->created_at == 1);
	assert_true(out->replayed_to == 42);
	free(out);
	check_prefixes(dec_session, &b, 1);
	check_mutations(dec_session, &b, 19);
	buf_done(&b);
}

/* Garbage of every length, for every decoder. */
static void
test_random_bytes(void **state)
{
	decode_fn	 fns[] = {
		dec_change,
		dec_txn,
		dec_relation,
		dec_checkpoint,
		dec_session,
	};
	static const uint8_t tags[] = { 0x11, 0x21, 0x31, 0x41, 0x51 };
	struct pgtt_err	 e;
	uint8_t		 bytes[256];
	uint32_t	 seed = 12345;
	size_t		 f, len, i;
	int		 round;
	void		*out;

	(void)state;
	for (f = 0; f < sizeof fns / sizeof fns[0]; f++) {
		for (round = 0; round < 3000; round++) {
			len = rnd(&seed) % sizeof bytes;
			for (i = 0; i < len; i++)
				bytes[i] = (uint8_t)rnd(&seed);
			/* Half start with the right tag to get further in. */
			if (len > 0 && round % 2 == 0)
				bytes[0] = tags[f];
			err_clear(&e);
			out = decode_exact(fns[f], bytes, len, &e);
			if (out == NULL)
				assert_int_equal(e.code, PGTT_ECORRUPT);
			free(out);
		}
	}
	/* NULL with length 0 is an empty, hence corrupt, record. */
	assert_null(record_decode_txn(NULL, 0, &e));
	assert_int_equal(e.code, PGTT_ECORRUPT);
}

/* Specific lies a decoder must catch. */
static void
test_hostile(void **state)
{
	/* change, insert, new tuple with 65535 columns but no bytes. */
	static const uint8_t cols[] = { 0x11, 1, 0x04, 0xff, 0xff, 0x03 };
	/* change, insert, one text column claiming 4 GiB. */
	static const uint8_t huge[] = { 0x11, 1, 0x04, 1, 't',
	    0xff, 0xff, 0xff, 0xff, 0x0f, 'x' };
	/* change with kind 9. */
	static const uint8_t kind[] = { 0x11, 9, 0 };
	/* change, message, prefix with a NUL inside. */
	static const uint8_t nul[] = { 0x11, 6, 0x10, 2, 'a', 0, 0 };
	/* txn with an 11-byte varint. */
	static const uint8_t vint[] = { 0x21, 0, 0, 0, 0, 0, 0, 0, 0,
	    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0 };
	/* a valid delete (no parts) with a trailing byte. */
	static const uint8_t trail[] = { 0x11, 3, 0, 0 };
	static const uint8_t ok[] = { 0x11, 3, 0 };
	struct pgtt_change	*ch;
	struct pgtt_err		 e;

	(void)state;
	assert_null(decode_exact(dec_change, cols,
	    sizeof cols, &e));
	assert_int_equal(e.code, PGTT_ECORRUPT);
	assert_null(decode_exact(dec_change, huge,
	    sizeof huge, &e));
	assert_string_equal(e.msg, "corrupt change record: truncated");
	assert_null(decode_exact(dec_change, kind,
	    sizeof kind, &e));
	assert_null(decode_exact(dec_change, nul,
	    sizeof nul, &e));
	assert_null(decode_exact(dec_txn, vint,
	    sizeof vint, &e));
	assert_null(decode_exact(dec_change, trail,
	    sizeof trail, &e));
	assert_string_equal(e.msg, "corrupt change record: trailing bytes");
	ch = decode_exact(dec_change, ok, sizeof ok, &e);
	assert_non_null(ch);
	assert_int_equal(ch->kind, CHANGE_DELETE);
	assert_int_equal(ch->new.ncols, 0);
	free(ch);
	/* Each decoder refuses another's record. */
	assert_null(record_decode_txn(ok, sizeof ok, &e));
	assert_string_equal(e.msg, "corrupt transaction record: unknown tag");
}

static void
test_names_and_buf(void **state)
{
	struct buf	b;
	int		i;

	(void)state;
	assert_string_equal(change_kind_name(CHANGE_INSERT), "insert");
	assert_string_equal(change_kind_name(CHANGE_UPDATE), "update");
	assert_string_equal(change_kind_name(CHANGE_DELETE), "delete");
	assert_string_equal(change_kind_name(CHANGE_TRUNCATE), "truncate");
	assert_string_equal(change_kind_name(CHANGE_DDL), "ddl");
	assert_string_equal(change_kind_name(CHANGE_MESSAGE), "message");

	buf_init(&b);
	for (i = 0; i < 10000; i++)
		buf_append(&b, "abc", 3);
	assert_int_equal(b.len, 30000);
	assert_true(b.cap >= b.len);
	assert_memory_equal(b.data + 29997, "abc", 3);
	buf_append(&b, NULL, 0);
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	buf_done(&b);
	assert_null(b.data);
}

/* Values at both ends of bigint, a sequence not called yet, and none. */
static void
test_seqsample(void **state)
{
	struct pgtt_seqval	 vals[3] = {
		{ "public", "orders_id_seq", INT64_MAX, 1 },
		{ "Odd \"schema\"", "s", INT64_MIN, 1 },
		{ "public", "fresh", 1, 0 },
	};
	struct pgtt_seqsample	 in, *out;
	struct pgtt_err		 e;
	struct buf		 b;
	uint32_t		 i;

	(void)state;
	memset(&in, 0, sizeof in);
	in.lsn = 0x16B374D848ULL;	/* the key: not encoded */
	in.taken_at = 123456789;
	in.n = 3;
	in.seqs = vals;
	buf_init(&b);
	record_encode_seqsample(&b, &in);
	out = decode_exact(dec_seqsample, b.data, b.len, &e);
	assert_non_null(out);
	assert_true(out->lsn == 0);
	assert_true(out->taken_at == in.taken_at);
	assert_int_equal(out->n, 3);
	for (i = 0; i < 3; i++) {
		assert_string_equal(out->seqs[i].schema, vals[i].schema);
		assert_string_equal(out->seqs[i].name, vals[i].name);
		assert_true(out->seqs[i].last_value == vals[i].last_value);
		assert_int_equal(out->seqs[i].is_called, vals[i].is_called);
	}
	free(out);
	check_prefixes(dec_seqsample, &b, 1);

	in.n = 0;
	buf_reset(&b);
	record_encode_seqsample(&b, &in);
	out = decode_exact(dec_seqsample, b.data, b.len, &e);
	assert_non_null(out);
	assert_int_equal(out->n, 0);
	free(out);
	buf_done(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_mixed),
		cmocka_unit_test(test_update_old),
		cmocka_unit_test(test_delete),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_ddl_message),
		cmocka_unit_test(test_big_value),
		cmocka_unit_test(test_many_columns),
		cmocka_unit_test(test_txn),
		cmocka_unit_test(test_relation),
		cmocka_unit_test(test_row_key),
		cmocka_unit_test(test_checkpoint),
		cmocka_unit_test(test_session),
		cmocka_unit_test(test_seqsample),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_names_and_buf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
