/*
 * test_diff.c: the fold of a window into net per-row changes, over a
 * journal written by hand with its row index: update chains merge, an
 * insert later deleted leaves nothing, a key change is a delete and an
 * insert, values the window does not hold come from before it, a
 * truncate and a DDL statement are reported, and only committed
 * transactions count.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/diff.h"
#include "core/xmalloc.h"

#include "jfixture.h"
#include "tmpdir.h"

#define ITEMS	16600

static const uint8_t	ITEMS_KEY[] = { 1, 0, 0 };
#define MANY		3000

struct fixture {
	char		 tmp[64];
	struct journal	*j;
	struct jbatch	*b;
	struct buf	 ident;
};

/* A row change filed in the row index, as the listener files it. */
static void
put_indexed(struct fixture *f, pgtt_lsn lsn, uint32_t seq,
    enum change_kind kind, enum old_kind ok, struct pgtt_col *old,
    struct pgtt_col *new)
{
	struct pgtt_tuple	t;

	put_row(f->b, lsn, seq, kind, ITEMS, ok, old, new, 3);
	t.ncols = 3;
	if (old != NULL) {
		t.cols = old;
		buf_reset(&f->ident);
		record_row_ident(&f->ident, &t, ITEMS_KEY, 3);
		jbatch_put_row(f->b, ITEMS, f->ident.data, f->ident.len, lsn,
		    seq);
	}
	if (new != NULL) {
		t.cols = new;
		buf_reset(&f->ident);
		record_row_ident(&f->ident, &t, ITEMS_KEY, 3);
		jbatch_put_row(f->b, ITEMS, f->ident.data, f->ident.len, lsn,
		    seq);
	}
}

/* "0123456789012..." of n characters, the same each call for one n. */
static const char *
long_value(size_t n)
{
	static char	v[2][20001];
	char		*p = v[n > 200];
	size_t		 i;

	for (i = 0; i < n; i++)
		p[i] = (char)('0' + i % 10);
	p[n] = '\0';
	return p;
}

/*
 * items (id key, name, note): four rows before the window at 0x200; in
 * it, row 1 updated twice (its note unchanged and TOASTed), row 2
 * deleted, row 3's key changed to 30, row 5 inserted then deleted, row 6
 * inserted then updated, an ALTER TABLE, and a transaction the listener
 * abandoned; after it, at 0x700, a truncate.
 */
static int
setup(void **state)
{
	static struct pgtt_column_def	cols[] = { { "id", 23, -1, 1, 0 },
	    { "name", 25, -1, 0, 0 }, { "note", 25, -1, 0, 0 } };
	static const char		ddl[] = "{\"tag\": \"ALTER TABLE\", "
	    "\"search_path\": \"public\", \"query\": \"ALTER TABLE items "
	    "ALTER note SET STORAGE EXTERNAL\"}";
	static uint32_t			relids[] = { ITEMS };
	struct pgtt_change		tr;
	struct fixture			*f;
	struct pgtt_err			e;
	char				id[16];
	int				i;

	f = xcalloc(1, sizeof *f);
	if (jfixture_open(f->tmp, "diff", &f->j) != 0)
		return -1;
	f->b = jbatch_new();
	put_rel(f->b, ITEMS, 0x10, "items", 'd', cols, 3);

	put_txn(f->b, 0x100, 4);
	put_indexed(f, 0x100, 0, CHANGE_INSERT, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("1"), text("a"), text("long note") });
	put_indexed(f, 0x100, 1, CHANGE_INSERT, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("2"), text("b"), SQLNULL });
	put_indexed(f, 0x100, 2, CHANGE_INSERT, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("3"), text("c"), SQLNULL });
	put_indexed(f, 0x100, 3, CHANGE_INSERT, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("4"), text("d"), SQLNULL });

	put_txn(f->b, 0x200, 2);
	put_indexed(f, 0x200, 0, CHANGE_UPDATE, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("1"), text("a2"), TOAST });
	put_indexed(f, 0x200, 1, CHANGE_INSERT, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("5"), text("e"), SQLNULL });

	/* Abandoned: no commit record. */
	put_indexed(f, 0x280, 0, CHANGE_DELETE, OLD_KEY,
	    (struct pgtt_col []){ text("4"), SQLNULL, SQLNULL }, NULL);

	put_txn(f->b, 0x300, 4);
	put_indexed(f, 0x300, 0, CHANGE_UPDATE, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("1"), text("a3"), TOAST });
	put_indexed(f, 0x300, 1, CHANGE_DELETE, OLD_KEY,
	    (struct pgtt_col []){ text("2"), SQLNULL, SQLNULL }, NULL);
	put_indexed(f, 0x300, 2, CHANGE_UPDATE, OLD_KEY,
	    (struct pgtt_col []){ text("3"), SQLNULL, SQLNULL },
	    (struct pgtt_col []){ text("30"), text("c"), SQLNULL });
	put_text(f->b, 0x300, 3, CHANGE_DDL, "pgtt.ddl", ddl);

	put_txn(f->b, 0x400, 4);
	put_indexed(f, 0x400, 0, CHANGE_DELETE, OLD_KEY,
	    (struct pgtt_col []){ text("5"), SQLNULL, SQLNULL }, NULL);
	put_indexed(f, 0x400, 1, CHANGE_INSERT, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("6"), text("f"), SQLNULL });
	put_indexed(f, 0x400, 2, CHANGE_UPDATE, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("6"), text("f2"), text("new") });
	put_text(f->b, 0x400, 3, CHANGE_MESSAGE, "app", "not a row");

	put_txn(f->b, 0x700, 1);
	memset(&tr, 0, sizeof tr);
	tr.commit_lsn = 0x700;
	tr.kind = CHANGE_TRUNCATE;
	tr.nrelids = 1;
	tr.relids = relids;
	jbatch_put_change(f->b, &tr);

	/*
	 * After every other window: values of each size a packed row keeps
	 * its length in (1, 2 and 3 bytes), an empty one and a NULL.
	 */
	put_txn(f->b, 0x900, 2);
	put_indexed(f, 0x900, 0, CHANGE_INSERT, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("7"), text(long_value(200)),
	    text(long_value(20000)) });
	put_indexed(f, 0x900, 1, CHANGE_INSERT, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("8"), text(""), SQLNULL });

	/*
	 * Rows by the thousand, past the fold's first table sizes: 3,000
	 * inserted, then a third of them deleted and a third updated.
	 */
	put_txn(f->b, 0x1000, MANY);
	for (i = 0; i < MANY; i++) {
		snprintf(id, sizeof id, "%d", 1000 + i);
		put_indexed(f, 0x1000, (uint32_t)i, CHANGE_INSERT, OLD_NONE,
		    NULL, (struct pgtt_col []){ text(id), text("m"), SQLNULL });
	}
	put_txn(f->b, 0x1100, 2 * MANY / 3);
	for (i = 0; i < 2 * MANY / 3; i++) {
		snprintf(id, sizeof id, "%d", 1000 + i);
		if (i % 2 == 0)
			put_indexed(f, 0x1100, (uint32_t)i, CHANGE_DELETE,
			    OLD_KEY, (struct pgtt_col []){ text(id), SQLNULL,
			    SQLNULL }, NULL);
		else
			put_indexed(f, 0x1100, (uint32_t)i, CHANGE_UPDATE,
			    OLD_NONE, NULL, (struct pgtt_col []){ text(id),
			    text("m2"), SQLNULL });
	}

	/*
	 * A key taken over: 51 is deleted, then 50 becomes 51, its long
	 * note unchanged and so not sent; the note at B is 50's at A.
	 */
	put_txn(f->b, 0x1300, 2);
	put_indexed(f, 0x1300, 0, CHANGE_INSERT, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("50"), text("k"), text("note X") });
	put_indexed(f, 0x1300, 1, CHANGE_INSERT, OLD_NONE, NULL,
	    (struct pgtt_col []){ text("51"), text("k"), text("note Y") });
	put_txn(f->b, 0x1400, 2);
	put_indexed(f, 0x1400, 0, CHANGE_DELETE, OLD_KEY,
	    (struct pgtt_col []){ text("51"), SQLNULL, SQLNULL }, NULL);
	put_indexed(f, 0x1400, 1, CHANGE_UPDATE, OLD_KEY,
	    (struct pgtt_col []){ text("50"), SQLNULL, SQLNULL },
	    (struct pgtt_col []){ text("51"), text("k"), TOAST });

	err_clear(&e);
	if (journal_commit(f->j, f->b, &e) != 0)
		fail_msg("journal_commit: %s (%s)", e.msg, e.detail);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	int		 rc;

	buf_done(&f->ident);
	jbatch_free(f->b);
	journal_close(f->j);
	rc = tmpdir_remove(f->tmp);
	free(f);
	return rc;
}

static struct diff *
fold_opts(struct fixture *f, pgtt_lsn from, pgtt_lsn to, int counts_only)
{
	struct config		 cfg;
	struct verb_ctx		 vc = { .cfg = &cfg, .j = f->j };
	struct diff_opts	 o = { .from = from, .to = to,
				    .counts_only = counts_only };
	struct diff		*d = NULL;
	struct pgtt_err		 e;

	memset(&cfg, 0, sizeof cfg);	/* pitr.bindir: none */
	err_clear(&e);
	if (diff_run(&vc, &o, &d, &e) != 0)
		fail_msg("diff_run: %s (%s)", e.msg, e.detail);
	return d;
}

static struct diff *
fold(struct fixture *f, pgtt_lsn from, pgtt_lsn to)
{
	return fold_opts(f, from, to, 0);
}

/* The value of column name in v as text, "NULL", or "?" when unknown. */
static const char *
value(const struct diff_vals *v, const char *name)
{
	const struct diff_col	*c = diff_vals_col(v, name);

	assert_non_null(c);
	return c->kind == COL_NULL ? "NULL" : c->kind == COL_TOAST ? "?" :
	    c->val;
}

/* Where row() unpacks a row: one at a time, freed by done(). */
static struct diff_row	loaded;

/* The row whose identity at A (deleted, updated) or B (inserted) is id. */
static const struct diff_row *
row(const struct diff *d, const struct diff_table *t, enum diff_op op,
    const char *id)
{
	const struct diff_vals	*v;
	size_t			 i;

	for (i = 0; i < t->nrows; i++) {
		diff_row_load(d, t->rows[i], &loaded);
		v = op == DIFF_INSERTED ? &loaded.after : &loaded.before;
		if (loaded.op == op && v->present &&
		    strcmp(value(v, "id"), id) == 0)
			return &loaded;
	}
	fail_msg("no row with id %s and op %d", id, (int)op);
	return NULL;
}

static void
done(struct diff *d)
{
	diff_row_done(&loaded);
	diff_free(d);
}

static void
test_net_effect(void **state)
{
	struct fixture		*f = *state;
	struct diff		*d = fold(f, 0x200, 0x500);
	const struct diff_table	*t;
	const struct diff_row	*r;

	assert_int_equal(d->ntables, 1);
	t = &d->tables[0];
	assert_string_equal(t->name, "items");
	assert_false(t->truncated);
	/* 1 updated; 2 and 3 deleted; 30 and 6 inserted; 5 came and went. */
	assert_int_equal(t->nupdated, 1);
	assert_int_equal(t->ndeleted, 2);
	assert_int_equal(t->ninserted, 2);
	assert_int_equal(t->nrows, 5);
	assert_int_equal(d->changes, 10);

	/* Two updates merge; the TOASTed note is the value from before. */
	r = row(d, t, DIFF_UPDATED, "1");
	assert_string_equal(value(&r->before, "name"), "a");
	assert_string_equal(value(&r->after, "name"), "a3");
	assert_string_equal(value(&r->after, "note"), "long note");
	assert_false(r->changed[0]);
	assert_true(r->changed[1]);
	assert_false(r->changed[2]);
	assert_false(r->before_unknown);

	/* A delete sends the key; the rest is found before the window. */
	r = row(d, t, DIFF_DELETED, "2");
	assert_string_equal(value(&r->before, "name"), "b");
	assert_false(r->after.present);

	/* A new key is another row: 3 is gone, 30 is new. */
	r = row(d, t, DIFF_DELETED, "3");
	assert_string_equal(value(&r->before, "name"), "c");
	r = row(d, t, DIFF_INSERTED, "30");
	assert_string_equal(value(&r->after, "name"), "c");

	/* Inserted then updated: one insert with the last values. */
	r = row(d, t, DIFF_INSERTED, "6");
	assert_false(r->before.present);
	assert_string_equal(value(&r->after, "name"), "f2");
	assert_string_equal(value(&r->after, "note"), "new");

	assert_int_equal(d->nddl, 1);
	assert_int_equal(d->ddl[0].lsn, 0x300);
	assert_non_null(strstr(d->ddl[0].sql, "SET STORAGE EXTERNAL"));
	done(d);
}

/*
 * Counts only (--stat): the same counts.  An updated row's values at A
 * are still looked for, to tell a real update from one that changed
 * nothing; a deleted row's are not.
 */
static void
test_counts_only(void **state)
{
	struct fixture		*f = *state;
	struct diff		*d = fold_opts(f, 0x200, 0x500, 1);
	const struct diff_table	*t;
	const struct diff_row	*r;

	assert_int_equal(d->ntables, 1);
	t = &d->tables[0];
	assert_int_equal(t->nupdated, 1);
	assert_int_equal(t->ndeleted, 2);
	assert_int_equal(t->ninserted, 2);
	assert_int_equal(t->nrows, 5);
	r = row(d, t, DIFF_UPDATED, "1");
	assert_string_equal(value(&r->before, "name"), "a");
	r = row(d, t, DIFF_DELETED, "2");
	assert_string_equal(value(&r->before, "name"), "?");
	assert_true(r->before_unknown);
	done(d);

	/*
	 * 50 is gone at B, but 51 takes its unchanged note from 50's row at
	 * A: without it 51 would look unchanged, and the counts would differ.
	 */
	d = fold_opts(f, 0x1350, 0x1500, 1);
	t = &d->tables[0];
	assert_int_equal(t->ndeleted, 1);
	assert_int_equal(t->nupdated, 1);
	r = row(d, t, DIFF_UPDATED, "51");
	assert_string_equal(value(&r->after, "note"), "note X");
	done(d);
}

/* Thousands of rows, each found again by its key. */
static void
test_many_rows(void **state)
{
	struct fixture		*f = *state;
	struct diff		*d = fold(f, 0xb00, 0x1200);
	const struct diff_table	*t;
	const struct diff_row	*r;

	/* Inserted, then deleted or updated, in the window: inserts. */
	t = &d->tables[0];
	assert_int_equal(t->ninserted, 2 * MANY / 3 / 2 + MANY / 3);
	assert_int_equal(t->ndeleted + t->nupdated, 0);
	r = row(d, t, DIFF_INSERTED, "1001");
	assert_string_equal(value(&r->after, "name"), "m2");
	r = row(d, t, DIFF_INSERTED, "3999");
	assert_string_equal(value(&r->after, "name"), "m");
	done(d);

	d = fold(f, 0x1050, 0x1200);
	t = &d->tables[0];
	assert_int_equal(t->ndeleted, MANY / 3);
	assert_int_equal(t->nupdated, MANY / 3);
	assert_int_equal(t->ninserted, 0);
	r = row(d, t, DIFF_DELETED, "2998");
	assert_string_equal(value(&r->before, "name"), "m");
	r = row(d, t, DIFF_UPDATED, "2999");
	assert_string_equal(value(&r->before, "name"), "m");
	assert_string_equal(value(&r->after, "name"), "m2");
	done(d);
}

/*
 * From inside the chain: the row at A is the one the 0x200 update left,
 * its note still the value first inserted.  The abandoned delete of row
 * 4 at 0x280 counts nowhere.
 */
static void
test_look_back(void **state)
{
	struct fixture		*f = *state;
	struct diff		*d = fold(f, 0x250, 0x350);
	const struct diff_table	*t;
	const struct diff_row	*r;
	size_t			 i;

	assert_int_equal(d->ntables, 1);
	t = &d->tables[0];
	r = row(d, t, DIFF_UPDATED, "1");
	assert_string_equal(value(&r->before, "name"), "a2");
	assert_string_equal(value(&r->after, "name"), "a3");
	assert_string_equal(value(&r->after, "note"), "long note");
	for (i = 0; i < t->nrows; i++) {
		diff_row_load(d, t->rows[i], &loaded);
		if (loaded.before.present)
			assert_string_not_equal(value(&loaded.before, "id"),
			    "4");
	}
	done(d);
}

/*
 * Nothing in the window: no tables.  A truncate: the table says so, and
 * every row it held at A is listed, found through the row index.
 */
static void
test_empty_and_truncate(void **state)
{
	struct fixture		*f = *state;
	struct diff		*d;
	const struct diff_table	*t;
	const struct diff_row	*r;

	d = fold(f, 0x500, 0x700);
	assert_int_equal(d->ntables, 0);
	assert_int_equal(d->changes, 0);
	diff_free(d);

	/*
	 * Every row there was at 0x500 is gone: 4 too, whose newest change
	 * is a delete that was never committed.
	 */
	d = fold(f, 0x500, 0x800);
	assert_int_equal(d->ntables, 1);
	t = &d->tables[0];
	assert_true(t->truncated);
	assert_int_equal(t->ndeleted, 4);
	assert_int_equal(t->ninserted + t->nupdated, 0);
	r = row(d, t, DIFF_DELETED, "1");
	assert_string_equal(value(&r->before, "name"), "a3");
	assert_string_equal(value(&r->before, "note"), "long note");
	(void)row(d, t, DIFF_DELETED, "4");
	(void)row(d, t, DIFF_DELETED, "6");
	(void)row(d, t, DIFF_DELETED, "30");
	done(d);
}

/* A diff asked to stop (the TUI's d again, SIGINT) says it stopped. */
static void
test_stopped(void **state)
{
	struct fixture		*f = *state;
	struct config		 cfg;
	atomic_int		 cancel = 1;
	struct verb_ctx		 vc = { .cfg = &cfg, .j = f->j,
				        .cancel = &cancel };
	struct diff_opts	 o = { .from = 0x200, .to = 0x500 };
	struct diff		*d = NULL;
	struct pgtt_err		 e;

	memset(&cfg, 0, sizeof cfg);
	err_clear(&e);
	assert_int_equal(diff_run(&vc, &o, &d, &e), PGTT_ESTOPPED);
	assert_null(d);
	assert_string_equal(e.msg, "the diff was stopped");
	atomic_store(&cancel, 0);
	assert_int_equal(diff_run(&vc, &o, &d, &e), 0);
	assert_non_null(d);
	diff_free(d);
}

/* Long, empty and NULL values come back as they went in. */
static void
test_values(void **state)
{
	struct fixture		*f = *state;
	struct diff		*d = fold(f, 0x800, 0xa00);
	const struct diff_table	*t;
	const struct diff_row	*r;

	assert_int_equal(d->ntables, 1);
	t = &d->tables[0];
	assert_int_equal(t->ninserted, 2);
	r = row(d, t, DIFF_INSERTED, "7");
	assert_string_equal(value(&r->after, "name"), long_value(200));
	assert_int_equal(diff_vals_col(&r->after, "note")->len, 20000);
	assert_string_equal(value(&r->after, "note"), long_value(20000));
	assert_true(diff_vals_col(&r->after, "id")->is_key);
	assert_false(diff_vals_col(&r->after, "note")->is_key);
	r = row(d, t, DIFF_INSERTED, "8");
	assert_string_equal(value(&r->after, "name"), "");
	assert_int_equal(diff_vals_col(&r->after, "name")->kind, COL_TEXT);
	assert_string_equal(value(&r->after, "note"), "NULL");
	done(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_effect),
		cmocka_unit_test(test_stopped),
		cmocka_unit_test(test_look_back),
		cmocka_unit_test(test_counts_only),
		cmocka_unit_test(test_many_rows),
		cmocka_unit_test(test_empty_and_truncate),
		cmocka_unit_test(test_values),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
