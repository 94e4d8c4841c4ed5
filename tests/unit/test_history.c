/*
 * test_history.c: display rows over a small journal built in a temporary
 * directory: paging both ways from the start, the middle and the end,
 * filters, transactions without a commit record, the text of summaries,
 * the flags of a change's columns, the scan cap, and the formatter.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/history.h"
#include "core/xmalloc.h"

#include "jfixture.h"
#include "tmpdir.h"

#define ACCOUNTS	16400
#define AUDIT		16500
#define NUSERS		20		/* one-row transactions at the end */
#define USER_LSN(k)	(0x1000 + (pgtt_lsn)(k) * 0x100)
#define PARTIAL_LSN	0x9000
#define NROWS		32		/* committed changes in all */

static const struct history_pos	 START = { 0, 0 };
static const struct history_pos	 END = { UINT64_MAX, UINT32_MAX };

struct fixture {
	char		 tmp[64];
	struct journal	*j;
	struct jbatch	*b;
	char		 note[101];	/* a long value */
};

static void
commit_ok(struct fixture *f)
{
	struct pgtt_err	e;

	err_clear(&e);
	if (journal_commit(f->j, f->b, &e) != 0)
		fail_msg("journal_commit: %s (%s)", e.msg, e.detail);
}

/* An empty journal in a fresh directory. */
static int
setup_empty(void **state)
{
	struct fixture	*f;

	f = xcalloc(1, sizeof *f);
	if (jfixture_open(f->tmp, "history", &f->j) != 0)
		return -1;
	f->b = jbatch_new();
	memset(f->note, 'n', sizeof f->note - 1);
	*state = f;
	return 0;
}

/*
 * The journal most tests read: accounts (key id) and audit (REPLICA
 * IDENTITY FULL: every column is identity, as pgoutput flags it), row
 * changes of every kind, a truncate, a ddl and a message, a transaction
 * the listener abandoned in the middle, a new version of accounts, twenty
 * one-row transactions and one still being written at the end.
 */
static int
setup(void **state)
{
	static struct pgtt_column_def	acc1[] = { { "id", 23, -1, 1, 0 },
	    { "name", 25, -1, 0, 0 }, { "note", 25, -1, 0, 0 } };
	static struct pgtt_column_def	acc2[] = { { "id", 23, -1, 1, 0 },
	    { "name", 25, -1, 0, 0 }, { "note", 25, -1, 0, 0 },
	    { "email", 1043, 68, 0, 0 } };
	static struct pgtt_column_def	aud[] = { { "id", 23, -1, 1, 0 },
	    { "v", 25, -1, 1, 0 } };
	static const char		ddl[] = "{\"tag\": \"ALTER TABLE\", "
	    "\"search_path\": \"public\", \"query\": \"ALTER TABLE accounts"
	    "\\n\\tADD COLUMN email text\"}";
	struct pgtt_change	 tr;
	struct fixture		*f;
	struct jbatch		*b;
	uint32_t		 relids[] = { ACCOUNTS, AUDIT };
	char			 id[NUSERS][8], name[NUSERS][8];
	char			 mail[NUSERS][16];
	int			 k;

	if (setup_empty(state) != 0)
		return -1;
	f = *state;
	b = f->b;
	put_rel(b, ACCOUNTS, 0x10, "accounts", 'd', acc1, 3);
	put_rel(b, AUDIT, 0x10, "audit", 'f', aud, 2);

	put_txn(b, 0x100, 3);
	put_row(b, 0x100, 0, CHANGE_INSERT, ACCOUNTS, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("1"), text("Ann Lee"), text(f->note) },
	    3);
	put_row(b, 0x100, 1, CHANGE_INSERT, ACCOUNTS, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("2"), text("Bob"), SQLNULL }, 3);
	put_row(b, 0x100, 2, CHANGE_INSERT, AUDIT, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("1"), text("x") }, 2);

	put_txn(b, 0x200, 4);
	put_row(b, 0x200, 0, CHANGE_UPDATE, ACCOUNTS, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("1"), text("Anne"), TOAST }, 3);
	put_row(b, 0x200, 1, CHANGE_UPDATE, ACCOUNTS, OLD_KEY,
	    (struct pgtt_col []){ text("2"), SQLNULL, SQLNULL },
	    (struct pgtt_col []){ text("3"), text("Bob"), SQLNULL }, 3);
	put_row(b, 0x200, 2, CHANGE_UPDATE, AUDIT, OLD_FULL,
	    (struct pgtt_col []){ text("1"), text("x") },
	    (struct pgtt_col []){ text("1"), text("y") }, 2);
	put_row(b, 0x200, 3, CHANGE_UPDATE, AUDIT, OLD_FULL,
	    (struct pgtt_col []){ text("1"), text("y") },
	    (struct pgtt_col []){ text("1"), TOAST }, 2);

	/* Abandoned: no commit record, and changes after it. */
	put_row(b, 0x250, 0, CHANGE_INSERT, ACCOUNTS, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("50"), text("ghost"), SQLNULL }, 3);
	put_row(b, 0x250, 1, CHANGE_INSERT, ACCOUNTS, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("51"), text("ghost"), SQLNULL }, 3);

	put_txn(b, 0x300, 2);
	put_row(b, 0x300, 0, CHANGE_DELETE, ACCOUNTS, OLD_KEY,
	    (struct pgtt_col []){ text("3"), SQLNULL, SQLNULL }, NULL, 3);
	put_row(b, 0x300, 1, CHANGE_DELETE, AUDIT, OLD_FULL,
	    (struct pgtt_col []){ text("1"), text("y") }, NULL, 2);

	put_txn(b, 0x400, 1);
	memset(&tr, 0, sizeof tr);
	tr.commit_lsn = 0x400;
	tr.kind = CHANGE_TRUNCATE;
	tr.nrelids = 2;
	tr.relids = relids;
	tr.truncate_flags = 2;
	jbatch_put_change(b, &tr);

	put_txn(b, 0x500, 2);
	put_text(b, 0x500, 0, CHANGE_DDL, "pgtt.ddl", ddl);
	put_text(b, 0x500, 1, CHANGE_MESSAGE, "app", "hello world");
	put_rel(b, ACCOUNTS, 0x500, "accounts", 'd', acc2, 4);

	for (k = 0; k < NUSERS; k++) {
		snprintf(id[k], sizeof id[k], "%d", 100 + k);
		snprintf(name[k], sizeof name[k], "u%d", k);
		snprintf(mail[k], sizeof mail[k], "u%d@x", k);
		put_txn(b, USER_LSN(k), 1);
		put_row(b, USER_LSN(k), 0, CHANGE_INSERT, ACCOUNTS, OLD_NONE,
		    NULL, (struct pgtt_col []){ text(id[k]), text(name[k]),
		    SQLNULL, text(mail[k]) }, 4);
	}

	/* Still being written: no commit record yet. */
	put_row(b, PARTIAL_LSN, 0, CHANGE_INSERT, ACCOUNTS, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("900"), text("late"), SQLNULL,
	    SQLNULL }, 4);
	put_row(b, PARTIAL_LSN, 1, CHANGE_DELETE, AUDIT, OLD_FULL,
	    (struct pgtt_col []){ text("9"), text("z") }, NULL, 2);
	commit_ok(f);
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	int		 rc;

	jbatch_free(f->b);
	journal_close(f->j);
	rc = tmpdir_remove(f->tmp);
	free(f);
	return rc;
}

/* A page, asserting success; returns the rows got. */
static size_t
page(struct fixture *f, struct history_pos from, int dir, size_t n,
    const struct history_filter *flt, struct history_row *rows,
    struct history_scan *sc)
{
	struct pgtt_err	e;
	size_t		got = 99;

	err_clear(&e);
	if (history_page_scan(f->j, &from, dir, n, flt, rows, &got, sc,
	    &e) != 0)
		fail_msg("history_page: %s (%s)", e.msg, e.detail);
	assert_true(got <= n);
	return got;
}

static void
done_rows(struct history_row *rows, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		history_row_done(&rows[i]);
}

/* The rows' keys are want, in order. */
static void
check_keys(const struct history_row *rows, size_t got,
    const struct history_pos *want, size_t nwant)
{
	size_t	i;

	assert_int_equal(got, nwant);
	for (i = 0; i < got; i++) {
		if (rows[i].pos.lsn != want[i].lsn ||
		    rows[i].pos.seq != want[i].seq)
			fail_msg("row %zu: got %llx.%u, want %llx.%u", i,
			    (unsigned long long)rows[i].pos.lsn,
			    rows[i].pos.seq,
			    (unsigned long long)want[i].lsn, want[i].seq);
	}
}

static void
check_row(const struct history_row *r, enum change_kind kind,
    const char *table, const char *key, const char *summary)
{
	assert_int_equal(r->kind, kind);
	assert_string_equal(r->table, table);
	assert_string_equal(r->key, key);
	assert_string_equal(r->summary, summary);
}

static void
test_rows_text(void **state)
{
	struct fixture		*f = *state;
	struct history_row	 rows[NROWS + 1];
	struct history_scan	 sc;
	char			 want[200];
	size_t			 got;

	got = page(f, START, 1, NROWS + 1, NULL, rows, &sc);
	assert_int_equal(got, NROWS);
	assert_int_equal(sc.edge, 1);
	/* Resume stays on the transaction still being written. */
	assert_true(sc.resume.lsn == PARTIAL_LSN && sc.resume.seq == 0);

	snprintf(want, sizeof want, "id=1 name='Ann Lee' note=%.60s...",
	    f->note);
	check_row(&rows[0], CHANGE_INSERT, "public.accounts", "id=1", want);
	assert_true(rows[0].end_lsn == 0x108);
	assert_int_equal(rows[0].xid, 0x100 + 1000);
	assert_true(rows[0].commit_time == 0x100 * 1000);
	assert_int_equal(rows[0].relid, ACCOUNTS);
	check_row(&rows[1], CHANGE_INSERT, "public.accounts", "id=2",
	    "id=2 name=Bob note=NULL");
	check_row(&rows[2], CHANGE_INSERT, "public.audit", "id=1 v=x",
	    "id=1 v=x");
	check_row(&rows[3], CHANGE_UPDATE, "public.accounts", "id=1",
	    "id=1 name=Anne note=(unchanged toast)");
	check_row(&rows[4], CHANGE_UPDATE, "public.accounts", "id=3",
	    "id: 2 -> 3 name=Bob note=NULL");
	check_row(&rows[5], CHANGE_UPDATE, "public.audit", "id=1 v=y",
	    "id=1 v: x -> y");
	check_row(&rows[6], CHANGE_UPDATE, "public.audit",
	    "id=1 v=(unchanged toast)", "id=1 v=(unchanged toast)");
	check_row(&rows[7], CHANGE_DELETE, "public.accounts", "id=3", "id=3");
	assert_true(rows[7].pos.lsn == 0x300);	/* 0x250 is never shown */
	check_row(&rows[8], CHANGE_DELETE, "public.audit", "id=1 v=y",
	    "id=1 v=y");
	check_row(&rows[9], CHANGE_TRUNCATE, "public.accounts, public.audit",
	    "", "restart identity");
	assert_int_equal(rows[9].relid, 0);
	check_row(&rows[10], CHANGE_DDL, "", "",
	    "ALTER TABLE accounts  ADD COLUMN email text");
	check_row(&rows[11], CHANGE_MESSAGE, "", "", "app 'hello world'");
	/* Read with the relation version in force: four columns now. */
	check_row(&rows[12], CHANGE_INSERT, "public.accounts", "id=100",
	    "id=100 name=u0 note=NULL email=u0@x");
	check_row(&rows[NROWS - 1], CHANGE_INSERT, "public.accounts",
	    "id=119", "id=119 name=u19 note=NULL email=u19@x");
	done_rows(rows, got);
}

static void
test_page_both_ways(void **state)
{
	static const struct history_pos	 first[] = { { 0x100, 0 },
	    { 0x100, 1 }, { 0x100, 2 }, { 0x200, 0 }, { 0x200, 1 } };
	static const struct history_pos	 last[] = { { USER_LSN(17), 0 },
	    { USER_LSN(18), 0 }, { USER_LSN(19), 0 } };
	static const struct history_pos	 mid[] = { { 0x200, 2 },
	    { 0x200, 3 }, { 0x300, 0 } };
	struct fixture		*f = *state;
	struct history_row	 rows[8];
	struct history_scan	 sc;
	struct history_pos	 from;
	size_t			 got;

	/* From the start. */
	got = page(f, START, 1, 5, NULL, rows, &sc);
	check_keys(rows, got, first, 5);
	assert_int_equal(sc.edge, 0);
	assert_true(sc.resume.lsn == 0x200 && sc.resume.seq == 2);
	done_rows(rows, got);
	got = page(f, START, -1, 5, NULL, rows, &sc);
	assert_int_equal(got, 0);
	assert_int_equal(sc.edge, 1);
	from = first[0];
	assert_int_equal(page(f, from, -1, 5, NULL, rows, NULL), 0);

	/* From the end: the newest rows, oldest first. */
	got = page(f, END, -1, 3, NULL, rows, &sc);
	check_keys(rows, got, last, 3);
	assert_int_equal(sc.edge, 0);
	assert_true(sc.resume.lsn == USER_LSN(17) && sc.resume.seq == 0);
	done_rows(rows, got);
	got = page(f, END, 1, 3, NULL, rows, &sc);
	assert_int_equal(got, 0);
	assert_int_equal(sc.edge, 1);
	from.lsn = USER_LSN(19);
	from.seq = 0;
	got = page(f, from, 1, 5, NULL, rows, &sc);
	check_keys(rows, got, last + 2, 1);
	assert_int_equal(sc.edge, 1);
	assert_true(sc.resume.lsn == PARTIAL_LSN && sc.resume.seq == 0);
	done_rows(rows, got);
	/* From inside the partial transaction, both ways. */
	from.lsn = PARTIAL_LSN;
	from.seq = 1;
	got = page(f, from, -1, 1, NULL, rows, &sc);
	check_keys(rows, got, last + 2, 1);
	done_rows(rows, got);
	assert_int_equal(page(f, from, 1, 1, NULL, rows, &sc), 0);
	assert_int_equal(sc.edge, 1);

	/* From the middle, over the abandoned transaction at 0x250. */
	got = page(f, mid[0], 1, 3, NULL, rows, &sc);
	check_keys(rows, got, mid, 3);
	assert_true(sc.resume.lsn == 0x300 && sc.resume.seq == 1);
	done_rows(rows, got);
	from.lsn = 0x300;
	from.seq = 1;
	got = page(f, from, -1, 3, NULL, rows, &sc);
	check_keys(rows, got, mid, 3);
	assert_true(sc.resume.lsn == 0x200 && sc.resume.seq == 2);
	done_rows(rows, got);
	from.lsn = 0x250;
	from.seq = 1;
	got = page(f, from, 1, 1, NULL, rows, NULL);
	check_keys(rows, got, mid + 2, 1);
	done_rows(rows, got);
	got = page(f, from, -1, 1, NULL, rows, NULL);
	check_keys(rows, got, mid + 1, 1);
	done_rows(rows, got);

	/* A position between keys, and n = 0. */
	from.lsn = 0x1ff;
	from.seq = 7;
	got = page(f, from, 1, 1, NULL, rows, NULL);
	check_keys(rows, got, first + 3, 1);
	done_rows(rows, got);
	assert_int_equal(page(f, from, 1, 0, NULL, rows, NULL), 0);
}

/* Collect every row one way in pages of n, going on from resume. */
static size_t
walk(struct fixture *f, int dir, size_t n, const struct history_filter *flt,
    struct history_pos *out)
{
	struct history_row	 rows[8];
	struct history_scan	 sc;
	struct history_pos	 from = dir > 0 ? START : END;
	size_t			 total = 0, got, i;

	for (;;) {
		got = page(f, from, dir, n, flt, rows, &sc);
		assert_true(total + got <= NROWS);
		/* Pages arrive in ascending order; backward they go first. */
		if (dir < 0) {
			memmove(out + got, out, total * sizeof *out);
			for (i = 0; i < got; i++)
				out[i] = rows[i].pos;
		} else {
			for (i = 0; i < got; i++)
				out[total + i] = rows[i].pos;
		}
		total += got;
		done_rows(rows, got);
		if (sc.edge)
			return total;
		assert_int_equal(got, n);
		from = sc.resume;
	}
}

static void
test_back_then_forward(void **state)
{
	struct fixture		*f = *state;
	static char		 audit_name[] = "audit";
	struct history_filter	 audit = { NULL, audit_name, 0 };
	struct history_row	 rows[NROWS];
	struct history_pos	 back[NROWS], fwd[NROWS], from;
	size_t			 nb, nf, got, i;

	got = page(f, START, 1, NROWS, NULL, rows, NULL);
	nb = walk(f, -1, 4, NULL, back);
	nf = walk(f, 1, 3, NULL, fwd);
	check_keys(rows, got, back, nb);
	check_keys(rows, got, fwd, nf);
	done_rows(rows, got);

	got = page(f, START, 1, NROWS, &audit, rows, NULL);
	assert_int_equal(got, 5);
	nb = walk(f, -1, 2, &audit, back);
	nf = walk(f, 1, 2, &audit, fwd);
	check_keys(rows, got, back, nb);
	check_keys(rows, got, fwd, nf);
	done_rows(rows, got);

	/* The UI's way: before the top row, then after the bottom one. */
	got = page(f, END, -1, 7, NULL, rows, NULL);
	assert_int_equal(got, 7);
	for (i = 0; i < got; i++)
		fwd[i] = rows[i].pos;
	done_rows(rows, got);
	got = page(f, fwd[0], -1, 5, NULL, rows, NULL);
	assert_int_equal(got, 5);
	from = rows[4].pos;
	done_rows(rows, got);
	from.seq++;
	got = page(f, from, 1, 7, NULL, rows, NULL);
	check_keys(rows, got, fwd, 7);
	done_rows(rows, got);
}

static void
test_filters(void **state)
{
	static const struct history_pos	 audit_keys[] = { { 0x100, 2 },
	    { 0x200, 2 }, { 0x200, 3 }, { 0x300, 1 }, { 0x400, 0 } };
	static const struct history_pos	 deletes[] = { { 0x300, 0 },
	    { 0x300, 1 } };
	static const struct history_pos	 acc_updates[] = { { 0x200, 0 },
	    { 0x200, 1 } };
	static const struct history_pos	 text_keys[] = { { 0x500, 0 },
	    { 0x500, 1 } };
	struct fixture		*f = *state;
	static char		 accounts[] = "accounts", audit[] = "audit",
				 public[] = "public", other[] = "other";
	struct history_filter	 flt;
	struct history_row	 rows[NROWS];
	size_t			 got;

	memset(&flt, 0, sizeof flt);
	flt.table = accounts;
	got = page(f, START, 1, NROWS, &flt, rows, NULL);
	assert_int_equal(got, 6 + NUSERS);	/* the truncate included */
	assert_int_equal(rows[5].kind, CHANGE_TRUNCATE);
	done_rows(rows, got);

	flt.schema = public;
	flt.table = audit;
	got = page(f, START, 1, NROWS, &flt, rows, NULL);
	check_keys(rows, got, audit_keys, 5);
	done_rows(rows, got);
	got = page(f, END, -1, 2, &flt, rows, NULL);
	check_keys(rows, got, audit_keys + 3, 2);
	done_rows(rows, got);

	flt.schema = other;
	assert_int_equal(page(f, START, 1, NROWS, &flt, rows, NULL), 0);

	memset(&flt, 0, sizeof flt);
	flt.ops = 1u << CHANGE_DELETE;
	got = page(f, START, 1, NROWS, &flt, rows, NULL);
	check_keys(rows, got, deletes, 2);
	done_rows(rows, got);

	flt.table = accounts;
	flt.ops = 1u << CHANGE_UPDATE;
	got = page(f, END, -1, NROWS, &flt, rows, NULL);
	check_keys(rows, got, acc_updates, 2);
	done_rows(rows, got);

	/* ddl and messages belong to no table. */
	flt.ops = (1u << CHANGE_DDL) | (1u << CHANGE_MESSAGE);
	assert_int_equal(page(f, START, 1, NROWS, &flt, rows, NULL), 0);
	flt.table = NULL;
	got = page(f, START, 1, NROWS, &flt, rows, NULL);
	check_keys(rows, got, text_keys, 2);
	done_rows(rows, got);
}

static const struct history_col *
col(const struct history_detail *d, size_t i, const char *name)
{
	assert_true(i < d->ncols);
	assert_string_equal(d->cols[i].name, name);
	return &d->cols[i];
}

/* Fetch the detail of a key, asserting success. */
static struct history_detail *
detail(struct fixture *f, pgtt_lsn lsn, uint32_t seq)
{
	struct history_detail	*d = NULL;
	struct history_pos	 pos = { lsn, seq };
	struct pgtt_err		 e;

	err_clear(&e);
	if (history_detail(f->j, &pos, &d, &e) != 0)
		fail_msg("history_detail: %s", e.msg);
	assert_true(d->row.pos.lsn == lsn && d->row.pos.seq == seq);
	return d;
}

static void
test_detail(void **state)
{
	struct fixture			*f = *state;
	struct history_detail		*d;
	const struct history_col	*c;
	struct history_pos		 pos;
	struct pgtt_err			 e;

	/* Insert: new values only, types from the relation. */
	d = detail(f, 0x100, 0);
	assert_int_equal(d->ncols, 3);
	c = col(d, 0, "id");
	assert_true(c->is_key && c->has_new && !c->has_old && !c->changed);
	assert_int_equal(c->type_oid, 23);
	assert_int_equal(c->typmod, -1);
	assert_string_equal(c->new, "1");
	assert_int_equal(c->new_len, 1);
	c = col(d, 2, "note");
	assert_string_equal(c->new, f->note);	/* whole, not cut */
	assert_null(d->sql);
	history_detail_free(d);

	/* Update without old row: nothing known to change; toast flagged. */
	d = detail(f, 0x200, 0);
	c = col(d, 1, "name");
	assert_true(!c->has_old && c->has_new && !c->changed && !c->is_key);
	assert_string_equal(c->new, "Anne");
	c = col(d, 2, "note");
	assert_true(c->toast && !c->new_null && !c->changed);
	assert_null(c->new);
	history_detail_free(d);

	/* Update of the key: the old key is known, the rest is not. */
	d = detail(f, 0x200, 1);
	c = col(d, 0, "id");
	assert_true(c->is_key && c->has_old && c->changed);
	assert_string_equal(c->old, "2");
	assert_string_equal(c->new, "3");
	c = col(d, 1, "name");
	assert_true(!c->has_old && !c->changed);
	assert_null(c->old);
	c = col(d, 2, "note");
	assert_true(c->new_null && !c->has_old && !c->changed);
	history_detail_free(d);

	/* REPLICA IDENTITY FULL: changed where old and new differ. */
	d = detail(f, 0x200, 2);
	assert_int_equal(d->ncols, 2);
	c = col(d, 0, "id");
	assert_true(c->is_key && c->has_old && !c->changed);
	c = col(d, 1, "v");
	assert_true(c->has_old && c->changed);
	assert_string_equal(c->old, "x");
	assert_string_equal(c->new, "y");
	history_detail_free(d);
	d = detail(f, 0x200, 3);
	c = col(d, 1, "v");
	assert_true(c->has_old && c->toast && !c->changed);
	assert_string_equal(c->old, "y");
	history_detail_free(d);

	/* Deletes: no new row; old key only, or the whole old row. */
	d = detail(f, 0x300, 0);
	c = col(d, 0, "id");
	assert_true(c->has_old && !c->has_new && !c->changed);
	assert_string_equal(c->old, "3");
	c = col(d, 1, "name");
	assert_true(!c->has_old && !c->has_new && !c->old_null);
	history_detail_free(d);
	d = detail(f, 0x300, 1);
	c = col(d, 1, "v");
	assert_true(c->has_old && !c->has_new);
	assert_string_equal(c->old, "y");
	history_detail_free(d);

	d = detail(f, 0x400, 0);
	assert_int_equal(d->ncols, 0);
	assert_string_equal(d->row.table, "public.accounts, public.audit");
	history_detail_free(d);

	d = detail(f, 0x500, 0);
	assert_string_equal(d->sql, "ALTER TABLE accounts\n\tADD COLUMN email "
	    "text");
	assert_string_equal(d->search_path, "public");
	assert_int_equal(d->ncols, 0);
	history_detail_free(d);
	d = detail(f, 0x500, 1);
	assert_null(d->sql);
	assert_string_equal(d->prefix, "app");
	assert_string_equal(d->content, "hello world");
	assert_int_equal(d->content_len, 11);
	history_detail_free(d);

	/* The relation version in force: four columns after 0x500. */
	d = detail(f, USER_LSN(3), 0);
	assert_int_equal(d->ncols, 4);
	c = col(d, 3, "email");
	assert_int_equal(c->type_oid, 1043);
	assert_int_equal(c->typmod, 68);
	assert_string_equal(c->new, "u3@x");
	history_detail_free(d);

	/* Nothing there, or not committed. */
	pos.lsn = 0x100;
	pos.seq = 9;
	d = NULL;
	err_clear(&e);
	assert_int_equal(history_detail(f->j, &pos, &d, &e), PGTT_ENOTFOUND);
	assert_null(d);
	assert_string_equal(e.msg, "no change at 0/100 seq 9");
	pos.lsn = 0x250;
	pos.seq = 0;
	assert_int_equal(history_detail(f->j, &pos, &d, &e), PGTT_ENOTFOUND);
	pos.lsn = PARTIAL_LSN;
	pos.seq = 1;
	assert_int_equal(history_detail(f->j, &pos, &d, &e), PGTT_ENOTFOUND);
	assert_non_null(strstr(e.msg, "not committed yet"));
	pos = END;
	assert_int_equal(history_detail(f->j, &pos, &d, &e), PGTT_ENOTFOUND);
	assert_null(d);
}

static void
test_bounds(void **state)
{
	struct fixture		*f = *state;
	struct history_pos	 first, end;
	struct history_row	 rows[4];
	struct pgtt_err		 e;
	size_t			 got;

	err_clear(&e);
	assert_int_equal(history_bounds(f->j, &first, &end, &e), 0);
	assert_true(first.lsn == 0x100 && first.seq == 0);
	assert_true(end.lsn == USER_LSN(NUSERS - 1) + 1 && end.seq == 0);
	got = page(f, end, -1, 1, NULL, rows, NULL);
	assert_int_equal(got, 1);
	assert_true(rows[0].pos.lsn == USER_LSN(NUSERS - 1));
	done_rows(rows, got);
	got = page(f, first, 1, 1, NULL, rows, NULL);
	assert_int_equal(got, 1);
	assert_true(rows[0].pos.lsn == 0x100 && rows[0].pos.seq == 0);
	done_rows(rows, got);
}

static void
test_empty(void **state)
{
	struct fixture		*f = *state;
	struct history_pos	 first = { 1, 1 }, end = { 1, 1 };
	struct history_row	 rows[4];
	struct history_scan	 sc;
	struct pgtt_err		 e;

	err_clear(&e);
	assert_int_equal(history_bounds(f->j, &first, &end, &e), 0);
	assert_true(first.lsn == 0 && end.lsn == 0 && end.seq == 0);
	assert_int_equal(page(f, END, -1, 4, NULL, rows, &sc), 0);
	assert_int_equal(sc.edge, 1);
	assert_int_equal(page(f, START, 1, 4, NULL, rows, &sc), 0);
	assert_int_equal(sc.edge, 1);

	/* Only a transaction being written: still nothing to show. */
	put_row(f->b, 0x10, 0, CHANGE_INSERT, 1, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("1") }, 1);
	commit_ok(f);
	assert_int_equal(history_bounds(f->j, &first, &end, &e), 0);
	assert_true(first.lsn == 0 && end.lsn == 0);
	assert_int_equal(page(f, END, -1, 4, NULL, rows, &sc), 0);
	assert_int_equal(sc.edge, 1);
	assert_int_equal(page(f, START, 1, 4, NULL, rows, &sc), 0);
	assert_int_equal(sc.edge, 1);
	assert_true(sc.resume.lsn == 0x10 && sc.resume.seq == 0);

	/* Committed: it appears, read with an unknown relation. */
	put_txn(f->b, 0x10, 1);
	commit_ok(f);
	assert_int_equal(page(f, sc.resume, 1, 4, NULL, rows, &sc), 1);
	check_row(&rows[0], CHANGE_INSERT, "1", "", "col1=1");
	done_rows(rows, 1);
}

/* A filter that matches little stops at the cap and goes on from resume. */
static void
test_scan_cap(void **state)
{
	struct fixture		*f = *state;
	struct history_filter	 flt = { NULL, NULL, 0 };
	struct history_row	 rows[2];
	struct history_scan	 sc;
	uint32_t		 k, total = HISTORY_SCAN_MAX + 50;

	put_txn(f->b, 0x10, 1);
	put_text(f->b, 0x10, 0, CHANGE_MESSAGE, "app", "first");
	put_txn(f->b, 0x20, total);
	for (k = 0; k < total; k++)
		put_row(f->b, 0x20, k, CHANGE_INSERT, 1, OLD_NONE, NULL,
		    (struct pgtt_col []){ text("1") }, 1);
	put_txn(f->b, 0x30, 1);
	put_text(f->b, 0x30, 0, CHANGE_DDL, "pgtt.ddl", "not json");
	commit_ok(f);

	flt.ops = 1u << CHANGE_DDL;
	assert_int_equal(page(f, START, 1, 2, &flt, rows, &sc), 0);
	assert_int_equal(sc.edge, 0);
	assert_true(sc.resume.lsn == 0x20 &&
	    sc.resume.seq == HISTORY_SCAN_MAX - 1);
	assert_int_equal(page(f, sc.resume, 1, 2, &flt, rows, &sc), 1);
	assert_int_equal(sc.edge, 1);
	check_row(&rows[0], CHANGE_DDL, "", "", "pgtt.ddl 'not json'");
	done_rows(rows, 1);

	flt.ops = 1u << CHANGE_MESSAGE;
	assert_int_equal(page(f, END, -1, 2, &flt, rows, &sc), 0);
	assert_int_equal(sc.edge, 0);
	assert_true(sc.resume.lsn == 0x20 &&
	    sc.resume.seq == total - (HISTORY_SCAN_MAX - 1));
	assert_int_equal(page(f, sc.resume, -1, 2, &flt, rows, &sc), 1);
	assert_int_equal(sc.edge, 1);
	check_row(&rows[0], CHANGE_MESSAGE, "", "", "app first");
	done_rows(rows, 1);
}

/*
 * Two databases' journals, merged in LSN order: f->j holds messages at
 * 0x10, 0x30, 0x50 (a 0x30 transaction of many rows, past the scan cap)
 * and the second journal at 0x20, 0x40, 0x60.
 */
static void
test_merged(void **state)
{
	struct fixture		*f = *state;
	struct journal		*other, *js[2];
	struct jbatch		*b = jbatch_new();
	struct history_filter	 msgs = { NULL, NULL, 1u << CHANGE_MESSAGE };
	struct history_row	 rows[8];
	struct history_scan	 sc;
	struct pgtt_err		 e;
	char			 tmp[64];
	size_t			 got, i;
	uint32_t		 k, many = HISTORY_SCAN_MAX + 10;
	static const pgtt_lsn	 want[] = { 0x10, 0x20, 0x40, 0x50, 0x60 };

	assert_int_equal(jfixture_open(tmp, "merged", &other), 0);
	put_txn(f->b, 0x10, 1);
	put_text(f->b, 0x10, 0, CHANGE_MESSAGE, "a", "1");
	put_txn(f->b, 0x30, many);
	for (k = 0; k < many; k++)
		put_row(f->b, 0x30, k, CHANGE_INSERT, 1, OLD_NONE, NULL,
		    (struct pgtt_col []){ text("1") }, 1);
	put_txn(f->b, 0x50, 1);
	put_text(f->b, 0x50, 0, CHANGE_MESSAGE, "a", "5");
	commit_ok(f);
	for (k = 2; k <= 6; k += 2) {
		put_txn(b, k * 0x10, 1);
		put_text(b, k * 0x10, 0, CHANGE_MESSAGE, "b", "x");
	}
	err_clear(&e);
	assert_int_equal(journal_commit(other, b, &e), 0);
	js[0] = f->j;
	js[1] = other;

	/* Forward, messages only: the cap in the first journal stops the
	   page at 0x30, and the second journal's 0x40 waits for it. */
	assert_int_equal(history_page_merged(js, 2, &START, 1, 8, &msgs, rows,
	    &got, &sc, &e), 0);
	assert_int_equal(got, 2);
	assert_true(rows[0].pos.lsn == 0x10 && rows[0].source == 0);
	assert_true(rows[1].pos.lsn == 0x20 && rows[1].source == 1);
	assert_int_equal(sc.edge, 0);
	assert_int_equal(sc.resume.lsn, 0x30);
	done_rows(rows, got);
	assert_int_equal(history_page_merged(js, 2, &sc.resume, 1, 8, &msgs,
	    rows, &got, &sc, &e), 0);
	assert_int_equal(got, 3);
	for (i = 0; i < got; i++)
		assert_int_equal(rows[i].pos.lsn, want[i + 2]);
	assert_int_equal(rows[0].source, 1);
	assert_int_equal(rows[1].source, 0);
	assert_int_equal(sc.edge, 1);
	/* At the end, resume is just after the last row, as for one. */
	assert_true(sc.resume.lsn == 0x60 && sc.resume.seq == 1);
	done_rows(rows, got);

	/* Backward from the end, a full page of two: the newest two. */
	assert_int_equal(history_page_merged(js, 2, &END, -1, 2, &msgs, rows,
	    &got, &sc, &e), 0);
	assert_int_equal(got, 2);
	assert_true(rows[0].pos.lsn == 0x50 && rows[1].pos.lsn == 0x60);
	assert_int_equal(sc.edge, 0);
	assert_int_equal(sc.resume.lsn, 0x50);
	done_rows(rows, got);
	/* On back: 0x40 at once, then past the first journal's cap. */
	assert_int_equal(history_page_merged(js, 2, &sc.resume, -1, 8, &msgs,
	    rows, &got, &sc, &e), 0);
	assert_int_equal(got, 1);
	assert_int_equal(rows[0].pos.lsn, 0x40);
	assert_int_equal(sc.edge, 0);
	done_rows(rows, got);
	assert_int_equal(history_page_merged(js, 2, &sc.resume, -1, 8, &msgs,
	    rows, &got, &sc, &e), 0);
	assert_int_equal(got, 2);
	assert_true(rows[0].pos.lsn == 0x10 && rows[1].pos.lsn == 0x20);
	assert_int_equal(sc.edge, 1);
	done_rows(rows, got);

	jbatch_free(b);
	journal_close(other);
	assert_int_equal(tmpdir_remove(tmp), 0);
}

static void
count_examined(void *arg, uint64_t n)
{
	*(uint64_t *)arg = n;
}

/*
 * A table filter goes through the row index: it examines the table's
 * changes, not the history between them, and finds a truncate (filed
 * under the table with no row) as well as a row.
 */
static void
test_search_table(void **state)
{
	struct fixture		*f = *state;
	struct pgtt_column_def	 defs[1] = { { "id", 23, -1, 1, 0 } };
	char			 rare_name[] = "rare", nosuch[] = "nosuch";
	struct history_filter	 flt = { NULL, rare_name, 0 };
	struct history_pos	 found, end = { UINT64_MAX, UINT32_MAX };
	struct pgtt_err		 e;
	uint64_t		 examined = 0;
	uint32_t		 k, total = 3 * HISTORY_SCAN_MAX, rare = 2;

	put_rel(f->b, 1, 0x10, "busy", 'd', defs, 1);
	put_rel(f->b, rare, 0x10, "rare", 'd', defs, 1);
	put_txn(f->b, 0x10, 2);
	put_row(f->b, 0x10, 0, CHANGE_INSERT, rare, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("7") }, 1);
	/* Any identity bytes do: the search reads only the changes' keys. */
	jbatch_put_row(f->b, rare, "row 7", 5, 0x10, 0);
	{
		struct pgtt_change	ch;

		memset(&ch, 0, sizeof ch);
		ch.commit_lsn = 0x10;
		ch.seq = 1;
		ch.kind = CHANGE_TRUNCATE;
		ch.nrelids = 1;
		ch.relids = &rare;
		jbatch_put_change(f->b, &ch);
		jbatch_put_row(f->b, rare, JOURNAL_TRUNCATE_IDENT,
		    JOURNAL_TRUNCATE_IDENT_LEN, 0x10, 1);
	}
	put_txn(f->b, 0x20, total);
	for (k = 0; k < total; k++)
		put_row(f->b, 0x20, k, CHANGE_INSERT, 1, OLD_NONE, NULL,
		    (struct pgtt_col []){ text("1") }, 1);
	commit_ok(f);

	err_clear(&e);
	assert_int_equal(history_search_back(f->j, &end, &flt, NULL,
	    count_examined, &examined, &found, &e), 1);
	assert_true(found.lsn == 0x10 && found.seq == 1);
	assert_true(examined <= 2);

	flt.ops = 1u << CHANGE_INSERT;
	assert_int_equal(history_search_back(f->j, &end, &flt, NULL,
	    count_examined, &examined, &found, &e), 1);
	assert_true(found.lsn == 0x10 && found.seq == 0);
	assert_true(examined <= 2);

	/* Before the truncate: the insert; before that, nothing at all. */
	flt.ops = 0;
	found.seq = 1;
	assert_int_equal(history_search_back(f->j, &found, &flt, NULL, NULL,
	    NULL, &found, &e), 1);
	assert_true(found.lsn == 0x10 && found.seq == 0);
	assert_int_equal(history_search_back(f->j, &found, &flt, NULL, NULL,
	    NULL, &found, &e), 0);

	/* Past one round of positions: a delete under 5,000 inserts. */
	{
		char	 many[] = "many", key[16];
		uint32_t m = 3;

		put_rel(f->b, m, 0x30, "many", 'd', defs, 1);
		put_txn(f->b, 0x30, 1);
		put_row(f->b, 0x30, 0, CHANGE_DELETE, m, OLD_KEY,
		    (struct pgtt_col []){ text("0") }, NULL, 1);
		jbatch_put_row(f->b, m, "row 0", 5, 0x30, 0);
		put_txn(f->b, 0x40, 5000);
		for (k = 0; k < 5000; k++) {
			snprintf(key, sizeof key, "row %u", k + 1);
			put_row(f->b, 0x40, k, CHANGE_INSERT, m, OLD_NONE,
			    NULL, (struct pgtt_col []){ text("1") }, 1);
			jbatch_put_row(f->b, m, key, strlen(key), 0x40, k);
		}
		commit_ok(f);
		flt.table = many;
		flt.ops = 1u << CHANGE_DELETE;
		examined = 0;
		assert_int_equal(history_search_back(f->j, &end, &flt, NULL,
		    count_examined, &examined, &found, &e), 1);
		assert_true(found.lsn == 0x30 && found.seq == 0);
		assert_true(examined == 5001);
		flt.ops = 0;
	}

	/* A name no version ever had: nothing, found at once. */
	flt.table = nosuch;
	examined = 0;
	assert_int_equal(history_search_back(f->j, &end, &flt, NULL,
	    count_examined, &examined, &found, &e), 0);
	assert_true(examined == 0);
}

/* Format one column with max and compare. */
static void
check_value(struct pgtt_col c, size_t max, const char *want)
{
	struct buf	b;

	buf_init(&b);
	history_format_value(&b, &c, max);
	buf_append(&b, "", 1);
	assert_string_equal((char *)b.data, want);
	buf_done(&b);
}

static void
test_format(void **state)
{
	struct pgtt_col		 cols[3] = { { COL_TEXT, 1, "7" },
	    { COL_NULL, 0, NULL }, { COL_TEXT, 3, "a b" } };
	struct pgtt_tuple	 t = { 3, cols };
	struct pgtt_column_def	 defs[2] = { { "id", 23, -1, 1, 0 },
	    { "na\tme", 25, -1, 0, 0 } };
	struct pgtt_relation	 rel;
	struct buf		 b;

	(void)state;
	check_value(SQLNULL, 60, "NULL");
	check_value(TOAST, 60, "(unchanged toast)");
	check_value(text(""), 60, "''");
	check_value(text("plain"), 60, "plain");
	check_value(text("a b"), 60, "'a b'");
	check_value(text("it's"), 60, "'it's'");
	check_value(text("tab\there\r\n"), 60, "tab here  ");
	check_value(text("\x1b[31mred\x7f"), 60, " [31mred ");
	check_value(text("c1\xc2\x9b!"), 60, "c1 !");
	check_value(text("\xc3\xa9t\xc3\xa9"), 60, "\xc3\xa9t\xc3\xa9");
	check_value((struct pgtt_col){ COL_TEXT, 5, "nu\0ll" }, 60, "nu ll");
	check_value(text("abcdef"), 3, "abc...");
	check_value(text("abc def"), 3, "abc...");	/* quotes: shown part */
	check_value(text("ab de f"), 4, "'ab d...'");
	check_value(text("\xc3\xa9\xc3\xa9\xc3\xa9"), 2, "\xc3\xa9\xc3\xa9...");
	check_value(text("\xb0\xb0\xb0\xb0\xb0"), 3, "\xb0\xb0\xb0...");
	check_value(text("a\xe2\x9c\x93\x80\x80"), 3, "a\xe2\x9c\x93\x80...");
	check_value(text("abcdef"), 6, "abcdef");
	check_value(text("abcdef"), SIZE_MAX, "abcdef");

	buf_init(&b);
	history_format_line(&b, "one\ntwo\tthree", 13, SIZE_MAX);
	buf_append(&b, "|", 1);
	history_format_line(&b, "abcdef", 6, 2);
	buf_append(&b, "|", 1);
	history_format_tuple(&b, &t, NULL, 0, 60);
	buf_append(&b, "|", 1);
	memset(&rel, 0, sizeof rel);
	rel.ncols = 2;
	rel.cols = defs;
	history_format_tuple(&b, &t, &rel, 0, 60);
	buf_append(&b, "|", 1);
	history_format_tuple(&b, &t, &rel, 1, 60);
	buf_append(&b, "", 1);
	assert_string_equal((char *)b.data, "one two three|ab...|"
	    "col1=7 col2=NULL col3='a b'|id=7 na me=NULL col3='a b'|"
	    "id=7 col3='a b'");
	buf_done(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rows_text, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_page_both_ways, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_back_then_forward, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup_empty,
		    teardown),
		cmocka_unit_test_setup_teardown(test_scan_cap, setup_empty,
		    teardown),
		cmocka_unit_test_setup_teardown(test_merged, setup_empty,
		    teardown),
		cmocka_unit_test_setup_teardown(test_search_table, setup_empty,
		    teardown),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
