/*
 * test_text.c: the text forms pgtt reads and writes: LSNs, PostgreSQL
 * timestamps, DSNs with their passwords masked, and quoted SQL names and
 * literals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/dsn.h"
#include "core/ident.h"
#include "core/lsn.h"
#include "core/pgtime.h"

static void
test_lsn_round_trip(void **state)
{
	static const char *const good[] = { "0/0", "0/1A2B3C8", "16/B374D848",
	    "FFFFFFFF/FFFFFFFF", "1/0" };
	char		buf[LSN_BUFSIZE];
	pgtt_lsn	lsn;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		assert_int_equal(lsn_parse(good[i], &lsn), 0);
		assert_string_equal(lsn_format(lsn, buf), good[i]);
	}
	assert_int_equal(lsn_parse("16/b374d848", &lsn), 0);
	assert_true(lsn == (((pgtt_lsn)0x16 << 32) | 0xB374D848u));
}

static void
test_lsn_rejects(void **state)
{
	static const char *const bad[] = { "", "/", "1/", "/1", "1//2",
	    "123456789/0", "0/123456789", "x/1", "1/2 ", " 1/2", "12" };
	pgtt_lsn	lsn;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(lsn_parse(bad[i], &lsn), -1);
}

static void
test_pgtime(void **state)
{
	char	buf[PGTIME_BUFSIZE];
	int64_t	t;

	(void)state;
	assert_int_equal(pgtime_parse("2000-01-01 00:00:00+00", &t), 0);
	assert_true(t == 0);
	assert_int_equal(pgtime_parse("2026-11-20T10:00:01.123456Z", &t), 0);
	assert_string_equal(pgtime_format(t, buf),
	    "2026-11-20T10:00:01.123456Z");
	/* An offset moves the instant, not the text's clock. */
	assert_int_equal(pgtime_parse("2026-11-20 12:00:01.123456+02:00", &t),
	    0);
	assert_string_equal(pgtime_format(t, buf),
	    "2026-11-20T10:00:01.123456Z");
	assert_int_equal(pgtime_parse("2026-11-20 05:30-0430", &t), 0);
	assert_string_equal(pgtime_format(t, buf),
	    "2026-11-20T10:00:00.000000Z");
	assert_int_equal(pgtime_parse("2026-11-20", &t), 0);
	assert_string_equal(pgtime_format(t, buf),
	    "2026-11-20T00:00:00.000000Z");
	/* Before 2000 the epoch value is negative; formatting must cope. */
	assert_int_equal(pgtime_parse("1999-12-31 23:59:59.5", &t), 0);
	assert_true(t == -500000);
	assert_string_equal(pgtime_format(t, buf),
	    "1999-12-31T23:59:59.500000Z");

	assert_int_equal(pgtime_parse("2026-13-01", &t), -1);
	assert_int_equal(pgtime_parse("2026-11-20 25:00", &t), -1);
	assert_int_equal(pgtime_parse("2026-11-20 10:00 junk", &t), -1);
	assert_int_equal(pgtime_parse("yesterday", &t), -1);
	assert_int_equal(pgtime_parse("2026-11-20 10:00:00.", &t), -1);
}

static void
test_dsn_mask(void **state)
{
	char	*m;

	(void)state;
	m = dsn_mask("host=db port=5433 dbname=app user=bob password=hunter2");
	assert_null(strstr(m, "hunter2"));
	assert_non_null(strstr(m, "password='********'"));
	assert_non_null(strstr(m, "host='db'"));
	assert_non_null(strstr(m, "port='5433'"));
	free(m);

	m = dsn_mask("postgresql://bob:hunter2@db:5433/app?sslmode=disable");
	assert_null(strstr(m, "hunter2"));
	assert_non_null(strstr(m, "user='bob'"));
	assert_non_null(strstr(m, "sslmode='disable'"));
	free(m);

	m = dsn_mask("postgresql://bob@db/app?password=hunter2");
	assert_null(strstr(m, "hunter2"));
	free(m);

	/* Quoting: a password with quotes and spaces is still hidden. */
	m = dsn_mask("host=db password='it''s a \\'secret\\''");
	assert_null(strstr(m, "secret"));
	free(m);

	/* What libpq cannot parse could be anything: show none of it. */
	m = dsn_mask("host=db password='hunter2");
	assert_string_equal(m, "(unparsable connection string)");
	free(m);
}

static void
test_dsn_split(void **state)
{
	struct pgtt_err	 err;
	char		*without, *password;

	(void)state;
	err_clear(&err);
	assert_int_equal(dsn_split_password("postgresql://bob:p%40ss@db/app",
	    &without, &password, &err), 0);
	assert_string_equal(password, "p@ss");
	assert_null(strstr(without, "p@ss"));
	assert_non_null(strstr(without, "dbname='app'"));
	free(without);
	free(password);

	assert_int_equal(dsn_split_password("host=db dbname=app", &without,
	    &password, &err), 0);
	assert_null(password);
	free(without);

	assert_int_equal(dsn_split_password("host=db nosuchoption=1", &without,
	    &password, &err), PGTT_ECONFIG);
	assert_non_null(strstr(err.detail, "nosuchoption"));
}

static void
check_quoted(char *got, const char *want)
{
	assert_string_equal(got, want);
	free(got);
}

/* The forms PQescapeIdentifier and PQescapeLiteral give for the same text. */
static void
test_sql_quoting(void **state)
{
	(void)state;
	check_quoted(ident_quoted("pgbench_accounts"), "\"pgbench_accounts\"");
	check_quoted(ident_quoted("My \"odd\" name"),
	    "\"My \"\"odd\"\" name\"");
	check_quoted(ident_quoted(""), "\"\"");
	check_quoted(ident_qualified("public", "Order"), "\"public\".\"Order\"");
	check_quoted(sql_literal("pgtt_slot"), "'pgtt_slot'");
	check_quoted(sql_literal("it's"), "'it''s'");
	check_quoted(sql_literal("a\\b'c"), "E'a\\\\b''c'");
	check_quoted(sql_literal(""), "''");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lsn_round_trip),
		cmocka_unit_test(test_lsn_rejects),
		cmocka_unit_test(test_pgtime),
		cmocka_unit_test(test_dsn_mask),
		cmocka_unit_test(test_dsn_split),
		cmocka_unit_test(test_sql_quoting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
