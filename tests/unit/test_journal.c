/*
 * test_journal.c: the LMDB journal, each test in its own temporary
 * directory, which is removed afterwards.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <lmdb.h>

#include "core/journal.h"
#include "core/xmalloc.h"

#include "tmpdir.h"

struct fixture {
	char	 tmp[64];	/* the mkdtemp directory */
	char	*dir;		/* the journal inside it, not yet created */
};

/* A fresh directory per test; the journal directory is left to create. */
static int
setup(void **state)
{
	struct fixture	*f;

	f = xcalloc(1, sizeof *f);
	snprintf(f->tmp, sizeof f->tmp, "/tmp/pgtt-test-journal-XXXXXX");
	if (mkdtemp(f->tmp) == NULL)
		return -1;
	xasprintf(&f->dir, "%s/j", f->tmp);
	umask(022);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	int		 rc;

	rc = tmpdir_remove(f->tmp);
	free(f->dir);
	free(f);
	return rc;
}

/* Open, asserting success. */
static struct journal *
open_ok(const char *dir, uint64_t map_size, int flags)
{
	struct journal	*j = NULL;
	struct pgtt_err	 e;
	int		 rc;

	err_clear(&e);
	rc = journal_open(&j, dir, map_size, flags, &e);
	if (rc != 0)
		fail_msg("journal_open: %s (%s)", e.msg, e.detail);
	return j;
}

/* Commit, asserting success. */
static void
commit_ok(struct journal *j, struct jbatch *b)
{
	struct pgtt_err	e;

	err_clear(&e);
	if (journal_commit(j, b, &e) != 0)
		fail_msg("journal_commit: %s (%s)", e.msg, e.detail);
	assert_int_equal(jbatch_count(b), 0);
	assert_int_equal(jbatch_bytes(b), 0);
}

static void
put_txn(struct jbatch *b, pgtt_lsn lsn, int64_t t, uint32_t nchanges)
{
	struct pgtt_txn	txn;

	memset(&txn, 0, sizeof txn);
	txn.commit_lsn = lsn;
	txn.end_lsn = lsn + 8;
	txn.xid = (uint32_t)lsn + 1000;
	txn.commit_time = t;
	txn.nchanges = nchanges;
	jbatch_put_txn(b, &txn);
}

/* An insert of one text column holding val. */
static void
put_change(struct jbatch *b, pgtt_lsn lsn, uint32_t seq, const char *val,
    size_t len)
{
	struct pgtt_change	ch;
	struct pgtt_col		col;

	memset(&ch, 0, sizeof ch);
	ch.commit_lsn = lsn;
	ch.seq = seq;
	ch.kind = CHANGE_INSERT;
	ch.relid = 16384;
	col.kind = COL_TEXT;
	col.val = val;
	col.len = (uint32_t)len;
	ch.new.ncols = 1;
	ch.new.cols = &col;
	jbatch_put_change(b, &ch);
}

static void
put_relation(struct jbatch *b, uint32_t relid, pgtt_lsn lsn, const char *name)
{
	struct pgtt_relation	r;
	struct pgtt_column_def	c = { "id", 23, -1, 1, 0 };

	memset(&r, 0, sizeof r);
	r.relid = relid;
	r.lsn = lsn;
	r.schema = "public";
	r.name = name;
	r.replident = 'd';
	r.ncols = 1;
	r.cols = &c;
	jbatch_put_relation(b, &r);
}

static void
put_checkpoint(struct jbatch *b, uint32_t id, const char *name, pgtt_lsn lsn)
{
	struct pgtt_checkpoint	c;

	memset(&c, 0, sizeof c);
	c.id = id;
	c.name = name;
	c.description = "";
	c.lsn = lsn;
	c.created_at = 5;
	jbatch_put_checkpoint(b, &c);
}

static mode_t
mode_of(const char *dir, const char *file)
{
	struct stat	 sb;
	char		*path;

	xasprintf(&path, "%s/%s", dir, file);
	assert_int_equal(stat(path, &sb), 0);
	free(path);
	return sb.st_mode & 07777;
}

static void
test_create_reopen(void **state)
{
	struct fixture		*f = *state;
	struct journal		*j;
	struct jbatch		*b;
	struct pgtt_txn		*txn;
	struct pgtt_relation	*rel;
	struct pgtt_checkpoint	**cps;
	struct journal_stats	 st;
	struct pgtt_err		 e;
	pgtt_lsn		 lsn;
	char			*v;
	size_t			 n;

	assert_int_equal(journal_exists(f->dir), 0);
	j = open_ok(f->dir, 1 << 20, JOURNAL_CREATE);
	assert_string_equal(journal_dir(j), f->dir);
	assert_int_equal(journal_exists(f->dir), 1);
	b = jbatch_new();
	jbatch_put_meta(b, "database", "shop");
	jbatch_put_meta_lsn(b, "confirmed_lsn", 0x100000ABCULL);
	put_txn(b, 0x1000, 100, 2);
	put_change(b, 0x1000, 0, "a", 1);
	put_change(b, 0x1000, 1, "b\0c", 3);
	put_relation(b, 16384, 0x1000, "accounts");
	put_checkpoint(b, 0, "start", 0x1000);
	assert_int_equal(jbatch_count(b), 7);
	assert_true(jbatch_bytes(b) > 0);
	commit_ok(j, b);
	journal_close(j);

	assert_int_equal(mode_of(f->tmp, "j"), 0700);
	assert_int_equal(mode_of(f->dir, "data.mdb"), 0600);
	assert_int_equal(mode_of(f->dir, "lock.mdb"), 0600);

	j = open_ok(f->dir, 1 << 20, 0);
	assert_int_equal(journal_meta_get(j, "database", &v, &e), 0);
	assert_string_equal(v, "shop");
	free(v);
	assert_int_equal(journal_meta_get(j, "format", &v, &e), 0);
	assert_int_equal(atoi(v), JOURNAL_FORMAT);
	free(v);
	assert_int_equal(journal_meta_get_lsn(j, "confirmed_lsn", &lsn, &e), 0);
	assert_true(lsn == 0x100000ABCULL);
	v = NULL;
	assert_int_equal(journal_meta_get(j, "nope", &v, &e), PGTT_ENOTFOUND);
	assert_null(v);
	assert_int_equal(journal_meta_get_lsn(j, "database", &lsn, &e),
	    PGTT_ECORRUPT);

	assert_int_equal(journal_txn_get(j, 0x1000, &txn, &e), 0);
	assert_true(txn->commit_lsn == 0x1000);
	assert_true(txn->end_lsn == 0x1008);
	assert_int_equal(txn->nchanges, 2);
	free(txn);
	assert_int_equal(journal_txn_get(j, 0x1001, &txn, &e), PGTT_ENOTFOUND);

	assert_int_equal(journal_relation_at(j, 16384, 0x2000, UINT32_MAX,
	    &rel, &e), 0);
	assert_string_equal(rel->name, "accounts");
	assert_int_equal(rel->cols[0].typmod, -1);
	free(rel);

	assert_int_equal(journal_checkpoints(j, &cps, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(cps[0]->id, 1);
	assert_string_equal(cps[0]->name, "start");
	free(cps[0]);
	free(cps);

	assert_int_equal(journal_stats(j, &st, &e), 0);
	assert_int_equal(st.transactions, 1);
	assert_int_equal(st.changes, 2);
	assert_int_equal(st.relations, 1);
	assert_int_equal(st.checkpoints, 1);
	assert_int_equal(st.sessions, 0);
	assert_true(st.first_lsn == 0x1000 && st.last_lsn == 0x1000);
	assert_true(st.file_size > 0);
	assert_true(st.map_size >= 1 << 20);
	jbatch_free(b);
	journal_close(j);
}

static void
test_missing_and_readonly(void **state)
{
	struct fixture		*f = *state;
	struct journal		*j = NULL;
	struct journal_stats	 st;
	struct jbatch		*b;
	struct pgtt_err		 e;
	struct stat		 sb;

	err_clear(&e);
	assert_int_equal(journal_open(&j, f->dir, 0, 0, &e), PGTT_ENOTFOUND);
	assert_null(j);
	assert_non_null(strstr(e.msg, "no journal in \""));
	assert_string_equal(e.hint, "run \"pgtt --headless setup\" first");
	assert_int_equal(journal_open(&j, f->dir, 0,
	    JOURNAL_READONLY | JOURNAL_CREATE, &e), PGTT_ENOTFOUND);
	assert_int_equal(stat(f->dir, &sb), -1);	/* nothing created */

	j = open_ok(f->dir, 0, JOURNAL_CREATE);
	journal_close(j);
	j = open_ok(f->dir, 0, JOURNAL_READONLY);
	assert_int_equal(journal_stats(j, &st, &e), 0);
	assert_int_equal(st.transactions, 0);
	assert_true(st.first_lsn == 0 && st.last_lsn == 0);
	b = jbatch_new();
	put_txn(b, 1, 1, 0);
	assert_int_equal(journal_commit(j, b, &e), PGTT_EJOURNAL);
	assert_int_equal(jbatch_count(b), 1);
	jbatch_free(b);
	journal_close(j);
}

static void
test_format_mismatch(void **state)
{
	struct fixture	*f = *state;
	struct journal	*j;
	struct jbatch	*b;
	struct pgtt_err	 e;
	char		 want[256];

	j = open_ok(f->dir, 0, JOURNAL_CREATE);
	b = jbatch_new();
	jbatch_put_meta(b, "format", "999");
	commit_ok(j, b);
	jbatch_free(b);
	journal_close(j);

	j = NULL;
	err_clear(&e);
	assert_int_equal(journal_open(&j, f->dir, 0, 0, &e), PGTT_EVERSION);
	assert_null(j);
	snprintf(want, sizeof want,
	    "journal \"%s\" has format 999, this pgtt reads formats 2 and %d",
	    f->dir, JOURNAL_FORMAT);
	assert_string_equal(e.msg, want);
	assert_true(e.hint[0] != '\0');
	assert_int_equal(journal_open(&j, f->dir, 0, JOURNAL_READONLY, &e),
	    PGTT_EVERSION);
	assert_int_equal(journal_open(&j, f->dir, 0, JOURNAL_CREATE, &e),
	    PGTT_EVERSION);
}

static void
check_rel(struct journal *j, uint32_t relid, pgtt_lsn at, pgtt_lsn want,
    const char *name)
{
	struct pgtt_relation	*rel = NULL;
	struct pgtt_err		 e;
	int			 rc;

	rc = journal_relation_at(j, relid, at, UINT32_MAX, &rel, &e);
	if (want == 0) {
		assert_int_equal(rc, PGTT_ENOTFOUND);
		assert_null(rel);
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(rel->relid, relid);
	assert_true(rel->lsn == want);
	assert_string_equal(rel->name, name);
	free(rel);
}

static void
test_relation_at(void **state)
{
	struct fixture	*f = *state;
	struct journal	*j;
	struct jbatch	*b;

	j = open_ok(f->dir, 0, JOURNAL_CREATE);
	b = jbatch_new();
	put_relation(b, 100, 30, "a3");
	put_relation(b, 100, 10, "a1");
	put_relation(b, 200, 15, "b1");
	put_relation(b, 100, 20, "a2");
	put_relation(b, 200, 25, "b2");
	put_relation(b, 50, 5, "z");
	commit_ok(j, b);

	check_rel(j, 100, 5, 0, NULL);
	check_rel(j, 100, 10, 10, "a1");
	check_rel(j, 100, 19, 10, "a1");
	check_rel(j, 100, 20, 20, "a2");
	check_rel(j, 100, 29, 20, "a2");
	check_rel(j, 100, UINT64_MAX, 30, "a3");
	check_rel(j, 200, 14, 0, NULL);
	check_rel(j, 200, 15, 15, "b1");
	check_rel(j, 200, 1000, 25, "b2");
	check_rel(j, 50, 0, 0, NULL);
	check_rel(j, 50, 1000, 5, "z");
	check_rel(j, 150, 1000, 0, NULL);	/* the one before is 100's */
	check_rel(j, 300, 1000, 0, NULL);	/* past the end */
	check_rel(j, 1, 1000, 0, NULL);		/* before the start */
	jbatch_free(b);
	journal_close(j);
}

/*
 * An ALTER TABLE inside a transaction: the changes before it are read
 * with the old version, those after with the new, though both versions
 * share the transaction's commit LSN.
 */
static void
test_relation_mid_transaction(void **state)
{
	struct fixture		*f = *state;
	struct journal		*j;
	struct jbatch		*b;
	struct pgtt_relation	 r, *got;
	struct pgtt_column_def	 before[] = { { "id", 23, -1, 1, 0 },
				    { "a", 25, -1, 0, 0 }, { "b", 25, -1, 0, 0 } };
	struct pgtt_column_def	 after[] = { { "id", 23, -1, 1, 0 },
				    { "b", 25, -1, 0, 0 } };
	struct pgtt_err		 e;

	j = open_ok(f->dir, 0, JOURNAL_CREATE);
	b = jbatch_new();
	memset(&r, 0, sizeof r);
	r.relid = 700;
	r.lsn = 0x5000;
	r.schema = "public";
	r.name = "t";
	r.replident = 'd';
	r.ncols = 3;
	r.cols = before;
	jbatch_put_relation(b, &r);
	r.seq = 2;		/* the DROP COLUMN came after two changes */
	r.ncols = 2;
	r.cols = after;
	jbatch_put_relation(b, &r);
	commit_ok(j, b);
	err_clear(&e);

	assert_int_equal(journal_relation_at(j, 700, 0x5000, 1, &got, &e), 0);
	assert_int_equal(got->ncols, 3);
	assert_int_equal(got->seq, 0);
	free(got);
	assert_int_equal(journal_relation_at(j, 700, 0x5000, 2, &got, &e), 0);
	assert_int_equal(got->ncols, 2);
	assert_string_equal(got->cols[1].name, "b");
	assert_int_equal(got->seq, 2);
	free(got);
	assert_int_equal(journal_relation_at(j, 700, 0x6000, 0, &got, &e), 0);
	assert_int_equal(got->ncols, 2);
	free(got);
	assert_int_equal(journal_relation_at(j, 700, 0x4fff, UINT32_MAX, &got,
	    &e), PGTT_ENOTFOUND);
	jbatch_free(b);
	journal_close(j);
}

/* got is read after the seek ran, whatever the argument order. */
static void
check_seek(int rc, const pgtt_lsn *got, pgtt_lsn want)
{
	if (want == 0)
		assert_int_equal(rc, PGTT_ENOTFOUND);
	else {
		assert_int_equal(rc, 0);
		assert_true(*got == want);
	}
}

static void
test_seek(void **state)
{
	struct fixture	*f = *state;
	struct journal	*j;
	struct jbatch	*b;
	struct pgtt_err	 e;
	pgtt_lsn	 l;

	j = open_ok(f->dir, 0, JOURNAL_CREATE);
	b = jbatch_new();
	err_clear(&e);
	assert_int_equal(journal_seek_lsn(j, 0, &l, &e), PGTT_ENOTFOUND);
	assert_string_equal(e.msg, "no transaction committed at or after 0/0");
	assert_int_equal(journal_seek_time(j, 0, &l, &e), PGTT_ENOTFOUND);
	put_txn(b, 300, 10, 0);
	put_txn(b, 100, -5, 0);		/* before 2000-01-01 */
	put_txn(b, 200, 10, 0);		/* same time as 300 */
	put_txn(b, 0x100000000ULL, INT64_MAX, 0);
	commit_ok(j, b);

	check_seek(journal_seek_lsn(j, 0, &l, &e), &l, 100);
	check_seek(journal_seek_lsn(j, 100, &l, &e), &l, 100);
	check_seek(journal_seek_lsn(j, 101, &l, &e), &l, 200);
	check_seek(journal_seek_lsn(j, 301, &l, &e), &l, 0x100000000ULL);
	check_seek(journal_seek_lsn(j, 0x100000001ULL, &l, &e), &l, 0);
	check_seek(journal_seek_before_lsn(j, 100, &l, &e), &l, 0);
	check_seek(journal_seek_before_lsn(j, 101, &l, &e), &l, 100);
	check_seek(journal_seek_before_lsn(j, 300, &l, &e), &l, 200);
	check_seek(journal_seek_before_lsn(j, UINT64_MAX, &l, &e), &l,
	    0x100000000ULL);
	check_seek(journal_seek_time(j, INT64_MIN, &l, &e), &l, 100);
	check_seek(journal_seek_time(j, -5, &l, &e), &l, 100);
	check_seek(journal_seek_time(j, -4, &l, &e), &l, 200);
	check_seek(journal_seek_time(j, 10, &l, &e), &l, 200);
	check_seek(journal_seek_time(j, 11, &l, &e), &l, 0x100000000ULL);
	check_seek(journal_seek_time(j, INT64_MAX, &l, &e), &l, 0x100000000ULL);
	jbatch_free(b);
	journal_close(j);
}

static void
test_iter(void **state)
{
	static const struct { pgtt_lsn lsn; uint32_t seq; } want[] = {
		{ 100, 0 }, { 100, 1 }, { 100, 2 }, { 100, 256 },
		{ 200, 0 }, { 200, 1 }, { 300, 0 },
	};
	struct fixture		*f = *state;
	struct journal		*j;
	struct journal_iter	*it;
	struct jbatch		*b;
	struct pgtt_change	*ch;
	struct pgtt_relation	*rel;
	struct pgtt_err		 e;
	char			 val[32];
	size_t			 i, n;
	int			 rc;

	j = open_ok(f->dir, 0, JOURNAL_CREATE);
	b = jbatch_new();
	for (i = sizeof want / sizeof want[0]; i-- > 0;) {
		snprintf(val, sizeof val, "%llu.%u",
		    (unsigned long long)want[i].lsn, want[i].seq);
		put_change(b, want[i].lsn, want[i].seq, val, strlen(val));
	}
	put_relation(b, 16384, 1, "t");
	commit_ok(j, b);

	assert_int_equal(journal_iter_open(j, 0, &it, &e), 0);
	for (n = 0; (rc = journal_iter_next(it, &ch, &e)) == 1; n++) {
		assert_true(n < sizeof want / sizeof want[0]);
		assert_true(ch->commit_lsn == want[n].lsn);
		assert_int_equal(ch->seq, want[n].seq);
		snprintf(val, sizeof val, "%llu.%u",
		    (unsigned long long)want[n].lsn, want[n].seq);
		assert_int_equal(ch->new.cols[0].len, strlen(val));
		assert_memory_equal(ch->new.cols[0].val, val, strlen(val));
		/* Other reads nest inside an open iterator. */
		assert_int_equal(journal_relation_at(j, ch->relid,
		    ch->commit_lsn, ch->seq, &rel, &e), 0);
		free(rel);
		free(ch);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(n, sizeof want / sizeof want[0]);
	assert_int_equal(journal_iter_next(it, &ch, &e), 0);
	journal_iter_close(it);

	assert_int_equal(journal_iter_open(j, 150, &it, &e), 0);
	assert_int_equal(journal_iter_next(it, &ch, &e), 1);
	assert_true(ch->commit_lsn == 200 && ch->seq == 0);
	free(ch);
	journal_iter_close(it);

	assert_int_equal(journal_iter_open(j, 301, &it, &e), 0);
	assert_int_equal(journal_iter_next(it, &ch, &e), 0);
	journal_iter_close(it);
	jbatch_free(b);
	journal_close(j);
}

static void
test_map_growth(void **state)
{
	struct fixture		*f = *state;
	struct journal		*j;
	struct journal_iter	*it;
	struct jbatch		*b;
	struct pgtt_change	*ch;
	struct journal_stats	 st;
	struct pgtt_err		 e;
	char			*val;
	size_t			 i, k, n, vlen = 3000;
	uint64_t		 first_map;

	j = open_ok(f->dir, 256 * 1024, JOURNAL_CREATE);
	assert_int_equal(journal_stats(j, &st, &e), 0);
	first_map = st.map_size;
	assert_true(first_map < 1024 * 1024);
	val = xmalloc(vlen);
	b = jbatch_new();
	/* 40 batches of 50 changes of 3 KB: 6 MB in all. */
	for (i = 0; i < 40; i++) {
		put_txn(b, 1000 + i, (int64_t)i, 50);
		for (k = 0; k < 50; k++) {
			memset(val, 'a' + (int)((i + k) % 26), vlen);
			put_change(b, 1000 + i, (uint32_t)k, val, vlen);
		}
		commit_ok(j, b);
	}
	/* And one batch larger than the map is now, in one commit. */
	assert_int_equal(journal_stats(j, &st, &e), 0);
	put_txn(b, 5000, 5000, 0);
	for (k = 0; k < st.map_size / vlen + 100; k++) {
		memset(val, 'z', vlen);
		put_change(b, 5000, (uint32_t)k, val, vlen);
	}
	n = k;
	commit_ok(j, b);
	journal_close(j);

	j = open_ok(f->dir, 256 * 1024, 0);
	assert_int_equal(journal_stats(j, &st, &e), 0);
	assert_int_equal(st.transactions, 41);
	assert_int_equal(st.changes, 40 * 50 + n);
	assert_true(st.map_size > first_map);
	assert_true(st.map_size >= st.file_size);
	assert_int_equal(journal_iter_open(j, 0, &it, &e), 0);
	for (i = 0; i < 40 * 50; i++) {
		assert_int_equal(journal_iter_next(it, &ch, &e), 1);
		assert_true(ch->commit_lsn == 1000 + i / 50);
		assert_int_equal(ch->new.cols[0].len, vlen);
		assert_int_equal(ch->new.cols[0].val[vlen - 1],
		    'a' + (int)((i / 50 + i % 50) % 26));
		free(ch);
	}
	for (k = 0; k < n; k++) {
		assert_int_equal(journal_iter_next(it, &ch, &e), 1);
		free(ch);
	}
	assert_int_equal(journal_iter_next(it, &ch, &e), 0);
	journal_iter_close(it);
	free(val);
	jbatch_free(b);
	journal_close(j);
}

static void
test_ids(void **state)
{
	struct fixture		*f = *state;
	struct journal		*j;
	struct jbatch		*b;
	struct pgtt_checkpoint	**cps;
	struct pgtt_session	**ss, s;
	struct pgtt_err		 e;
	size_t			 n, i;
	static const uint32_t	 want[] = { 1, 10, 11, 12 };

	j = open_ok(f->dir, 0, JOURNAL_CREATE);
	b = jbatch_new();
	put_checkpoint(b, 0, "one", 1);
	put_checkpoint(b, 0, "two", 2);
	commit_ok(j, b);
	put_checkpoint(b, 10, "ten", 10);
	put_checkpoint(b, 0, "eleven", 11);
	jbatch_del_checkpoint(b, 2);
	jbatch_del_checkpoint(b, 999);	/* absent: not an error */
	put_checkpoint(b, 0, "twelve", 12);
	commit_ok(j, b);

	assert_int_equal(journal_checkpoints(j, &cps, &n, &e), 0);
	assert_int_equal(n, 4);
	for (i = 0; i < n; i++) {
		assert_int_equal(cps[i]->id, want[i]);
		assert_true(cps[i]->lsn == want[i]);
		free(cps[i]);
	}
	free(cps);

	memset(&s, 0, sizeof s);
	s.name = "s";
	s.description = "d";
	s.database = "db";
	s.replica_dsn = "port=5499";
	jbatch_put_session(b, &s);
	jbatch_put_session(b, &s);
	commit_ok(j, b);
	jbatch_del_session(b, 2);
	jbatch_put_session(b, &s);	/* max is 1 again, so 2 is reused */
	commit_ok(j, b);
	assert_int_equal(journal_sessions(j, &ss, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_int_equal(ss[0]->id, 1);
	assert_int_equal(ss[1]->id, 2);
	assert_string_equal(ss[1]->replica_dsn, "port=5499");
	for (i = 0; i < n; i++)
		free(ss[i]);
	free(ss);
	jbatch_free(b);
	journal_close(j);
}

/* A batch LMDB refuses is not applied at all and is kept for the caller. */
static void
test_failed_batch(void **state)
{
	struct fixture		*f = *state;
	struct journal		*j;
	struct jbatch		*b;
	struct journal_stats	 st;
	struct pgtt_err		 e;
	char			 longkey[600];
	size_t			 count, bytes;

	j = open_ok(f->dir, 0, JOURNAL_CREATE);
	b = jbatch_new();
	put_txn(b, 10, 10, 1);
	put_change(b, 10, 0, "x", 1);
	memset(longkey, 'k', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	jbatch_put_meta(b, longkey, "too long for an LMDB key");
	count = jbatch_count(b);
	bytes = jbatch_bytes(b);
	err_clear(&e);
	assert_int_equal(journal_commit(j, b, &e), PGTT_EJOURNAL);
	assert_non_null(strstr(e.msg, f->dir));
	assert_true(e.detail[0] != '\0');
	assert_int_equal(jbatch_count(b), count);
	assert_int_equal(jbatch_bytes(b), bytes);
	assert_int_equal(journal_stats(j, &st, &e), 0);
	assert_int_equal(st.transactions, 0);
	assert_int_equal(st.changes, 0);

	jbatch_clear(b);
	assert_int_equal(jbatch_count(b), 0);
	put_txn(b, 10, 10, 1);
	commit_ok(j, b);
	jbatch_free(b);
	journal_close(j);
}

/* Growing the map while this thread holds an iterator fails, not hangs. */
static void
test_grow_with_iter(void **state)
{
	struct fixture		*f = *state;
	struct journal		*j;
	struct journal_iter	*it;
	struct jbatch		*b;
	struct journal_stats	 st;
	struct pgtt_err		 e;
	char			 val[2000];
	size_t			 k, count;

	j = open_ok(f->dir, 256 * 1024, JOURNAL_CREATE);
	b = jbatch_new();
	memset(val, 'v', sizeof val);
	put_txn(b, 1, 1, 0);
	for (k = 0; k < 1000; k++)
		put_change(b, 1, (uint32_t)k, val, sizeof val);
	count = jbatch_count(b);
	assert_int_equal(journal_iter_open(j, 0, &it, &e), 0);
	err_clear(&e);
	assert_int_equal(journal_commit(j, b, &e), PGTT_EMAPFULL);
	assert_non_null(strstr(e.detail, "transaction open"));
	assert_int_equal(jbatch_count(b), count);
	journal_iter_close(it);
	commit_ok(j, b);
	assert_int_equal(journal_stats(j, &st, &e), 0);
	assert_int_equal(st.changes, 1000);
	jbatch_free(b);
	journal_close(j);
}

/* One step of an iterator, asserting the key it lands on (want_lsn 0: none). */
static void
step(struct journal_iter *it, int dir, pgtt_lsn want_lsn, uint32_t want_seq)
{
	struct pgtt_change	*ch = NULL;
	struct pgtt_err		 e;
	int			 rc;

	err_clear(&e);
	rc = dir > 0 ? journal_iter_next(it, &ch, &e) :
	    journal_iter_prev(it, &ch, &e);
	if (want_lsn == 0) {
		assert_int_equal(rc, 0);
		assert_null(ch);
		return;
	}
	if (rc != 1)
		fail_msg("step %d: rc %d (%s)", dir, rc, e.msg);
	if (ch->commit_lsn != want_lsn || ch->seq != want_seq)
		fail_msg("step %d: got %llu.%u, want %llu.%u", dir,
		    (unsigned long long)ch->commit_lsn, ch->seq,
		    (unsigned long long)want_lsn, want_seq);
	free(ch);
}

static void
test_iter_both_ways(void **state)
{
	static const struct { pgtt_lsn lsn; uint32_t seq; } keys[] = {
		{ 100, 0 }, { 100, 1 }, { 100, 2 }, { 200, 0 },
		{ 200, UINT32_MAX }, { 300, 0 }, { UINT64_MAX, UINT32_MAX },
	};
	struct fixture		*f = *state;
	struct journal		*j;
	struct journal_iter	*it;
	struct jbatch		*b;
	struct pgtt_err		 e;
	size_t			 i;

	j = open_ok(f->dir, 0, JOURNAL_CREATE);
	assert_int_equal(journal_iter_open(j, UINT64_MAX, &it, &e), 0);
	step(it, -1, 0, 0);
	step(it, 1, 0, 0);
	journal_iter_close(it);

	b = jbatch_new();
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		put_change(b, keys[i].lsn, keys[i].seq, "v", 1);
	commit_ok(j, b);

	/* From the end back to the start; UINT64_MAX.0 is past 300.0. */
	assert_int_equal(journal_iter_open(j, UINT64_MAX, &it, &e), 0);
	for (i = sizeof keys / sizeof keys[0] - 1; i-- > 0;)
		step(it, -1, keys[i].lsn, keys[i].seq);
	step(it, -1, 0, 0);
	step(it, -1, 0, 0);
	/* At the start the position stays on the first change. */
	step(it, 1, 100, 0);

	/* Turning round returns the change just returned. */
	step(it, 1, 100, 1);
	step(it, -1, 100, 1);
	step(it, -1, 100, 0);
	step(it, 1, 100, 0);
	step(it, 1, 100, 1);
	step(it, 1, 100, 2);

	/* Seeks, to keys that exist and to keys between them. */
	assert_int_equal(journal_iter_seek(it, 200, 1, &e), 0);
	step(it, 1, 200, UINT32_MAX);	/* the position wraps to 201.0 */
	step(it, -1, 200, UINT32_MAX);
	step(it, 1, 200, UINT32_MAX);
	step(it, 1, 300, 0);
	step(it, -1, 300, 0);
	step(it, -1, 200, UINT32_MAX);
	assert_int_equal(journal_iter_seek(it, 200, 0, &e), 0);
	step(it, -1, 100, 2);
	assert_int_equal(journal_iter_seek(it, 150, 7, &e), 0);
	step(it, 1, 200, 0);
	assert_int_equal(journal_iter_seek(it, 150, 7, &e), 0);
	step(it, -1, 100, 2);
	assert_int_equal(journal_iter_seek(it, 0, 0, &e), 0);
	step(it, -1, 0, 0);
	step(it, 1, 100, 0);

	/* The greatest key there can be: the position goes past it. */
	assert_int_equal(journal_iter_seek(it, UINT64_MAX, UINT32_MAX, &e), 0);
	step(it, -1, 300, 0);
	step(it, 1, 300, 0);
	step(it, 1, UINT64_MAX, UINT32_MAX);
	step(it, 1, 0, 0);
	step(it, 1, 0, 0);
	step(it, -1, UINT64_MAX, UINT32_MAX);
	step(it, -1, 300, 0);

	/* Walking off the end keeps the position; prev comes back. */
	assert_int_equal(journal_iter_seek(it, 300, 0, &e), 0);
	step(it, 1, 300, 0);
	step(it, 1, UINT64_MAX, UINT32_MAX);
	step(it, 1, 0, 0);
	step(it, -1, UINT64_MAX, UINT32_MAX);
	journal_iter_close(it);
	jbatch_free(b);
	journal_close(j);
}

/* Lookups through an iterator see its snapshot, not later commits. */
static void
test_iter_lookups(void **state)
{
	struct fixture		*f = *state;
	struct journal		*j;
	struct journal_iter	*it;
	struct jbatch		*b;
	struct pgtt_txn		*txn;
	struct pgtt_relation	*rel;
	struct pgtt_err		 e;

	j = open_ok(f->dir, 0, JOURNAL_CREATE);
	b = jbatch_new();
	put_txn(b, 100, 1, 1);
	put_change(b, 100, 0, "a", 1);
	put_relation(b, 16384, 50, "old");
	commit_ok(j, b);

	assert_int_equal(journal_iter_open(j, 0, &it, &e), 0);
	put_txn(b, 200, 2, 1);
	put_change(b, 200, 0, "b", 1);
	put_relation(b, 16384, 150, "new");
	commit_ok(j, b);

	assert_int_equal(journal_iter_txn_get(it, 100, &txn, &e), 0);
	assert_true(txn->commit_lsn == 100 && txn->end_lsn == 108);
	free(txn);
	err_clear(&e);
	assert_int_equal(journal_iter_txn_get(it, 200, &txn, &e),
	    PGTT_ENOTFOUND);
	assert_string_equal(e.msg, "no transaction committed at 0/C8");
	assert_int_equal(journal_txn_get(j, 200, &txn, &e), 0);
	free(txn);
	assert_int_equal(journal_iter_relation_at(it, 16384, 300, UINT32_MAX,
	    &rel, &e), 0);
	assert_string_equal(rel->name, "old");
	assert_true(rel->lsn == 50 && rel->relid == 16384);
	free(rel);
	assert_int_equal(journal_iter_relation_at(it, 16384, 10, UINT32_MAX,
	    &rel, &e),
	    PGTT_ENOTFOUND);
	assert_int_equal(journal_relation_at(j, 16384, 300, UINT32_MAX, &rel,
	    &e), 0);
	assert_string_equal(rel->name, "new");
	free(rel);
	step(it, 1, 100, 0);
	step(it, 1, 0, 0);
	journal_iter_close(it);
	jbatch_free(b);
	journal_close(j);
}

/* The newest entry of ident before (lsn, seq), asserted. */
static void
row_prev(struct journal_iter *it, const char *ident, size_t len,
    pgtt_lsn lsn, uint32_t seq, int want_rc, pgtt_lsn want_lsn,
    uint32_t want_seq)
{
	struct pgtt_err	e;

	err_clear(&e);
	assert_int_equal(journal_iter_row_prev(it, 16384, ident, len, &lsn,
	    &seq, &e), want_rc);
	if (want_rc == 1) {
		assert_true(lsn == want_lsn);
		assert_int_equal(seq, want_seq);
	}
}

static void
test_row_index(void **state)
{
	struct fixture		*f = *state;
	struct journal		*j;
	struct journal_iter	*it;
	struct jbatch		*b;
	struct pgtt_err		 e;
	char			 longid[700], other[700];

	memset(longid, 'x', sizeof longid);
	memcpy(other, longid, sizeof other);
	other[sizeof other - 1] = 'y';
	j = open_ok(f->dir, 0, JOURNAL_CREATE);
	assert_true(journal_rowidx_since(j) == 0);
	b = jbatch_new();
	jbatch_put_row(b, 16384, "tA", 2, 300, 0);
	jbatch_put_row(b, 16384, "tA", 2, 100, 0);
	jbatch_put_row(b, 16384, "tA", 2, 200, 1);
	jbatch_put_row(b, 16384, "tB", 2, 150, 0);
	jbatch_put_row(b, 16385, "tA", 2, 250, 0);	/* another table */
	jbatch_put_row(b, 16384, longid, sizeof longid, 250, 0);
	jbatch_put_row(b, 16384, other, sizeof other, 260, 0);
	assert_int_equal(jbatch_count(b), 0);	/* index entries: no records */
	commit_ok(j, b);

	assert_int_equal(journal_iter_open(j, 0, &it, &e), 0);
	row_prev(it, "tA", 2, UINT64_MAX, UINT32_MAX, 1, 300, 0);
	row_prev(it, "tA", 2, 300, 0, 1, 200, 1);
	row_prev(it, "tA", 2, 200, 1, 1, 100, 0);
	row_prev(it, "tA", 2, 200, 2, 1, 200, 1);
	row_prev(it, "tA", 2, 100, 0, 0, 0, 0);
	row_prev(it, "tB", 2, 150, 0, 0, 0, 0);
	row_prev(it, "tB", 2, 151, 0, 1, 150, 0);
	row_prev(it, "tC", 2, UINT64_MAX, 0, 0, 0, 0);
	/* A long identity goes under a hash: both are found, in order. */
	row_prev(it, longid, sizeof longid, UINT64_MAX, 0, 1, 250, 0);
	row_prev(it, other, sizeof other, UINT64_MAX, 0, 1, 260, 0);
	journal_iter_close(it);
	jbatch_free(b);
	journal_close(j);
}

/* The row a batch puts i-th, of n: a permutation of 0..n-1. */
typedef uint32_t (*row_order)(uint32_t batch, uint32_t i, uint32_t n);

/* Rows changed in no order, as pgbench changes its accounts. */
static uint32_t
order_shuffled(uint32_t batch, uint32_t i, uint32_t n)
{
	/* 1237 is prime to the n used here. */
	return (i * 1237u + batch * 31u) % n;
}

/*
 * In row order, then not, then in order again: the first run goes in at
 * once, the rest sorted after the batch.
 */
static uint32_t
order_runs(uint32_t batch, uint32_t i, uint32_t n)
{
	(void)batch;
	(void)n;
	return i >= 1000 && i < 2000 ? 1000 + i * 7u % 1000 : i;
}

/*
 * Three batches change rows of two tables in the given order, and the last
 * adds new rows past the index's end: whatever order a batch puts its
 * entries in, each row finds every change filed under it, newest first.
 */
static void
check_row_index_order(void **state, row_order order)
{
	struct fixture		*f = *state;
	struct journal		*j;
	struct journal_iter	*it;
	struct jbatch		*b;
	struct pgtt_err		 e;
	char			 id[16];
	uint32_t		 batch, i, row, nrows, relid;
	const uint32_t		 rows = 3000, added = 500, batches = 3;

	j = open_ok(f->dir, 0, JOURNAL_CREATE);
	b = jbatch_new();
	for (batch = 0; batch < batches; batch++) {
		nrows = batch == batches - 1 ? rows + added : rows;
		/* Another table's relid differs in one byte. */
		for (relid = 16384; relid <= 16385; relid++) {
			for (i = 0; i < rows + added; i++) {
				row = order(batch, i, rows + added);
				if (row >= nrows)
					continue;
				snprintf(id, sizeof id, "r%05u", row);
				jbatch_put_row(b, relid, id, 6,
				    1000 + batch * 1000, row);
			}
		}
		commit_ok(j, b);
	}

	assert_int_equal(journal_iter_open(j, 0, &it, &e), 0);
	for (row = 0; row < rows + added; row++) {
		snprintf(id, sizeof id, "r%05u", row);
		if (row >= rows) {
			row_prev(it, id, 6, UINT64_MAX, 0, 1, 3000, row);
			row_prev(it, id, 6, 3000, row, 0, 0, 0);
			continue;
		}
		row_prev(it, id, 6, UINT64_MAX, 0, 1, 3000, row);
		row_prev(it, id, 6, 3000, row, 1, 2000, row);
		row_prev(it, id, 6, 2000, row, 1, 1000, row);
		row_prev(it, id, 6, 1000, row, 0, 0, 0);
	}
	journal_iter_close(it);
	jbatch_free(b);
	journal_close(j);
}

static void
test_row_index_shuffled(void **state)
{
	check_row_index_order(state, order_shuffled);
}

static void
test_row_index_in_order_then_not(void **state)
{
	check_row_index_order(state, order_runs);
}

/*
 * A journal of format 2 has no row index.  A reader goes on without it; a
 * writer adds it from its head on and marks the journal format 3.
 */
static void
test_format2_upgrade(void **state)
{
	struct fixture		*f = *state;
	struct journal		*j;
	struct journal_iter	*it;
	struct jbatch		*b;
	struct pgtt_err		 e;
	MDB_env			*env;
	MDB_txn			*txn;
	MDB_dbi			 dbi;
	MDB_val			 k, v;
	char			*format;
	pgtt_lsn		 lsn = UINT64_MAX;
	uint32_t		 seq = 0;

	j = open_ok(f->dir, 0, JOURNAL_CREATE);
	b = jbatch_new();
	put_txn(b, 500, 1, 1);
	put_change(b, 500, 0, "a", 1);
	commit_ok(j, b);
	journal_close(j);

	/* Make it what pgtt 2 wrote: no index, format 2. */
	assert_int_equal(mdb_env_create(&env), 0);
	mdb_env_set_maxdbs(env, 16);
	assert_int_equal(mdb_env_open(env, f->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "rowidx", 0, &dbi), 0);
	assert_int_equal(mdb_drop(txn, dbi, 1), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	k.mv_data = (void *)"format";
	k.mv_size = 6;
	v.mv_data = (void *)"2";
	v.mv_size = 1;
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	k.mv_data = (void *)"rowidx_since";
	k.mv_size = strlen("rowidx_since");
	assert_int_equal(mdb_del(txn, dbi, &k, NULL), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	j = open_ok(f->dir, 0, JOURNAL_READONLY);
	assert_true(journal_rowidx_since(j) == UINT64_MAX);
	assert_int_equal(journal_iter_open(j, 0, &it, &e), 0);
	assert_int_equal(journal_iter_row_prev(it, 16384, "ta", 2, &lsn, &seq,
	    &e), 0);
	journal_iter_close(it);
	journal_close(j);

	j = open_ok(f->dir, 0, 0);
	assert_true(journal_rowidx_since(j) == 501);
	assert_int_equal(journal_meta_get(j, "format", &format, &e), 0);
	assert_int_equal(atoi(format), JOURNAL_FORMAT);
	free(format);
	jbatch_put_row(b, 16384, "ta", 2, 600, 0);
	commit_ok(j, b);
	journal_close(j);

	j = open_ok(f->dir, 0, JOURNAL_READONLY);
	assert_true(journal_rowidx_since(j) == 501);
	assert_int_equal(journal_iter_open(j, 0, &it, &e), 0);
	assert_int_equal(journal_iter_row_prev(it, 16384, "ta", 2, &lsn, &seq,
	    &e), 1);
	assert_true(lsn == 600);
	journal_iter_close(it);
	journal_close(j);
	jbatch_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_reopen, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing_and_readonly,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_mismatch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_relation_mid_transaction,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_relation_at, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_seek, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_growth, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_batch, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_grow_with_iter, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_iter_both_ways, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_iter_lookups, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_row_index_shuffled,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_index_in_order_then_not,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_row_index, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_format2_upgrade, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
