/*
 * test_point.c: points resolved against a journal: keywords, LSNs,
 * checkpoint names and ids (the active session's first), a misspelt name
 * with its suggestion, the range a journaled point must lie in, and a
 * history with a break (era.h): points inside it and spans across it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/era.h"
#include "core/journal.h"
#include "core/point.h"
#include "core/xmalloc.h"

#include "tmpdir.h"

#define CREATION	0x1000
#define BEFORE_GAP	0x2000	/* the journal covered up to here */
#define NEW_START	0x5000	/* the new baseline's point */
#define HEAD_TXN	0x6000

struct fixture {
	char		 tmp[64];
	struct journal	*j;
};

static void
put_txn(struct jbatch *b, pgtt_lsn lsn)
{
	struct pgtt_txn	t;

	memset(&t, 0, sizeof t);
	t.commit_lsn = lsn;
	t.end_lsn = lsn + 8;
	t.commit_time = (int64_t)lsn * 1000;
	t.nchanges = 0;
	jbatch_put_txn(b, &t);
}

static void
put_cp(struct jbatch *b, uint32_t id, const char *name, pgtt_lsn lsn,
    uint32_t session)
{
	struct pgtt_checkpoint	c;

	memset(&c, 0, sizeof c);
	c.id = id;
	c.name = name;
	c.description = "";
	c.lsn = lsn;
	c.session_id = session;
	jbatch_put_checkpoint(b, &c);
}

static int
setup(void **state)
{
	struct fixture	*f;
	struct jbatch	*b;
	struct pgtt_err	 e;
	char		*dir;
	int		 rc;

	f = xcalloc(1, sizeof *f);
	snprintf(f->tmp, sizeof f->tmp, "/tmp/pgtt-test-point-XXXXXX");
	if (mkdtemp(f->tmp) == NULL)
		return -1;
	xasprintf(&dir, "%s/j", f->tmp);
	err_clear(&e);
	rc = journal_open(&f->j, dir, 1 << 22, JOURNAL_CREATE, &e);
	free(dir);
	if (rc != 0)
		return -1;
	b = jbatch_new();
	jbatch_put_meta_lsn(b, "creation_lsn", CREATION);
	jbatch_put_meta(b, "baseline", "/b/baseline.dump");
	jbatch_put_meta(b, "baseline_list", "/b/baseline.list");
	jbatch_put_meta_lsn(b, "confirmed_lsn", HEAD_TXN + 0x100);
	jbatch_put_meta(b, "active_session", "7");
	put_txn(b, 0x1800);
	put_txn(b, HEAD_TXN);
	put_cp(b, 1, "creation", CREATION, 0);
	put_cp(b, 2, "deploy", 0x1800, 0);
	put_cp(b, 3, "deploy", 0x1900, 7);	/* the active session's */
	put_cp(b, 4, "12", 0x1A00, 0);		/* digits: a name, not an id */
	rc = journal_commit(f->j, b, &e);
	jbatch_free(b);
	if (rc != 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	int		 rc;

	journal_close(f->j);
	rc = tmpdir_remove(f->tmp);
	free(f);
	return rc;
}

static pgtt_lsn
resolve(struct fixture *f, const char *text, int want_rc,
    struct pgtt_err *e)
{
	pgtt_lsn	lsn = 0;

	err_clear(e);
	assert_int_equal(point_resolve_journaled(f->j, NULL, text, &lsn, e),
	    want_rc);
	return lsn;
}

static void
test_resolve(void **state)
{
	struct fixture	*f = *state;
	struct pgtt_err	 e;

	assert_true(resolve(f, "creation", 0, &e) == CREATION);
	/* No DDL yet: migration is creation. */
	assert_true(resolve(f, "migration", 0, &e) == CREATION);
	/* After the newest transaction: its end. */
	assert_true(resolve(f, "head", 0, &e) == HEAD_TXN + 8);
	assert_true(resolve(f, "0/1234", 0, &e) == 0x1234);
	/* The active session's checkpoint wins over one in no session. */
	assert_true(resolve(f, "deploy", 0, &e) == 0x1900);
	/* An id, unless a checkpoint has those digits as its name. */
	assert_true(resolve(f, "2", 0, &e) == 0x1800);
	assert_true(resolve(f, "12", 0, &e) == 0x1A00);
	/* A misspelt name: usage error, with the names close to it. */
	resolve(f, "deplyo", PGTT_EUSAGE, &e);
	assert_non_null(strstr(e.msg, "no checkpoint or point \"deplyo\""));
	assert_non_null(strstr(e.hint, "did you mean \"deploy\""));
	resolve(f, "creaton", PGTT_EUSAGE, &e);
	assert_non_null(strstr(e.hint, "\"creation\""));
	/* "now" needs the source. */
	resolve(f, "now", PGTT_EUSAGE, &e);
}

static void
test_range(void **state)
{
	struct fixture	*f = *state;
	struct pgtt_err	 e;

	resolve(f, "0/FFF", PGTT_EUSAGE, &e);
	assert_non_null(strstr(e.msg, "outside the history the journal "
	    "holds, 0/1000 to 0/6100"));
	resolve(f, "0/6101", PGTT_EUSAGE, &e);
	assert_true(resolve(f, "0/6100", 0, &e) == 0x6100);
}

/* A break: the journal covered up to BEFORE_GAP, then went on at NEW_START. */
static void
add_break(struct fixture *f)
{
	char		 dump[] = "/b/baseline-2.dump";
	char		 list[] = "/b/baseline-2.list";
	struct eras	 es;
	struct era	 e2 = { NEW_START, BEFORE_GAP, dump, list };
	struct jbatch	*b = jbatch_new();
	struct pgtt_err	 e;

	err_clear(&e);
	assert_int_equal(eras_read(f->j, &es, &e), 0);
	eras_put_break(&es, &e2, NEW_START * 1000, b);
	assert_int_equal(journal_commit(f->j, b, &e), 0);
	jbatch_free(b);
	eras_done(&es);
}

static void
test_break(void **state)
{
	struct fixture	*f = *state;
	struct eras	 es;
	struct pgtt_err	 e;
	pgtt_lsn	 start;

	add_break(f);
	err_clear(&e);
	assert_int_equal(eras_read(f->j, &es, &e), 0);
	assert_int_equal(es.n, 2);
	assert_true(era_at(&es, CREATION)->start == CREATION);
	assert_true(era_at(&es, BEFORE_GAP)->start == CREATION);
	assert_true(era_at(&es, NEW_START - 1)->start == CREATION);
	assert_true(era_at(&es, NEW_START) == &es.v[1]);
	assert_string_equal(era_at(&es, HEAD_TXN)->dump, "/b/baseline-2.dump");

	/* The ends of the gap are points; what lies between is not. */
	assert_true(resolve(f, "0/2000", 0, &e) == BEFORE_GAP);
	assert_true(resolve(f, "0/5000", 0, &e) == NEW_START);
	resolve(f, "0/3000", PGTT_EUSAGE, &e);
	assert_non_null(strstr(e.msg, "0/3000 lies in a break of the "
	    "history: what the source committed between 0/2000 and 0/5000 "
	    "was not captured"));

	/* Spans: on one side of the break, or across it. */
	assert_int_equal(eras_check_span(&es, CREATION, BEFORE_GAP, &e), 0);
	assert_int_equal(eras_check_span(&es, NEW_START, HEAD_TXN, &e), 0);
	assert_int_equal(eras_check_span(&es, HEAD_TXN, 0x1800, &e),
	    PGTT_EUSAGE);
	assert_non_null(strstr(e.msg, "the history breaks between the two "
	    "points"));
	assert_int_equal(journal_span_era(f->j, 0x1800, HEAD_TXN, &start,
	    &e), PGTT_EUSAGE);
	assert_int_equal(journal_span_era(f->j, NEW_START, HEAD_TXN, &start,
	    &e), 0);
	assert_true(start == NEW_START);
	eras_done(&es);
}

static void
test_names(void **state)
{
	static const char *const bad[] = { "", "now", "head", "creation",
	    "migration", "42", "0/1A", "2026-12-07 10:00", "a\tb" };
	struct pgtt_err	 e;
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err_clear(&e);
		assert_int_equal(point_check_name("checkpoint", bad[i], &e),
		    PGTT_EUSAGE);
	}
	assert_int_equal(point_check_name("checkpoint", "v42", &e), 0);
	assert_int_equal(point_check_name("session", "bug-7", &e), 0);
	assert_int_equal(point_is_keyword("head"), 1);
	assert_int_equal(point_is_keyword("deploy"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_break, setup, teardown),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
