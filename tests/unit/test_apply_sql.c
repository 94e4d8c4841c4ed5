/*
 * test_apply_sql.c: the text of the statements replay prepares: which
 * columns an insert, update or delete sets and finds its row by, how a
 * NULL, an unchanged TOAST value, a changed key, an identity column
 * GENERATED ALWAYS, a user type and REPLICA IDENTITY FULL come out, and
 * the rows it refuses to write.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/apply-sql.h"

#include "jfixture.h"

#define MOOD_OID	16999		/* a user type */

static struct pgtt_column_def	COLS[] = { { "id", 23, -1, 1, 0 },
    { "name", 25, -1, 0, 0 }, { "note", 25, -1, 0, 0 } };
static const struct pgtt_relation T = { .relid = 16400, .schema = "public",
    .name = "t", .replident = 'd', .ncols = 3, .cols = COLS };

static struct pgtt_tuple
tuple(struct pgtt_col *cols, uint16_t n)
{
	struct pgtt_tuple	t = { n, cols };

	return t;
}

/* The statement for op, or "" when an update sets nothing. */
static char *
statement(struct rowsql *rs, const struct pgtt_relation *rel,
    enum change_kind op, const struct pgtt_tuple *set,
    const struct pgtt_tuple *where, const uint8_t *always, char **roles)
{
	struct pgtt_change	ch;
	struct pgtt_err		err;
	struct buf		b;
	char			*out;

	memset(&ch, 0, sizeof ch);
	err_clear(&err);
	if (rowsql_roles(&ch, rel, op, set, where, NULL, always, roles,
	    &err) != 0)
		fail_msg("rowsql_roles: %s", err.msg);
	if (*roles == NULL)
		return strdup("");
	buf_init(&b);
	rowsql_statement(rs, &b, op, rel, *roles);
	out = strdup((const char *)b.data);
	buf_done(&b);
	return out;
}

static void
check(struct rowsql *rs, const struct pgtt_relation *rel,
    enum change_kind op, const struct pgtt_tuple *set,
    const struct pgtt_tuple *where, const uint8_t *always,
    const char *want_roles, const char *want_sql)
{
	char	*roles = NULL, *sql;

	sql = statement(rs, rel, op, set, where, always, &roles);
	if (want_roles == NULL)
		assert_null(roles);
	else
		assert_string_equal(roles, want_roles);
	assert_string_equal(sql, want_sql);
	free(roles);
	free(sql);
}

static void
test_keyed_rows(void **state)
{
	struct rowsql		rs = { 0 };
	struct pgtt_tuple	row = tuple((struct pgtt_col []){ text("1"),
				    text("Ann"), SQLNULL }, 3);
	struct pgtt_tuple	toasted = tuple((struct pgtt_col []){ text("1"),
				    text("Anne"), TOAST }, 3);
	struct pgtt_tuple	rekeyed = tuple((struct pgtt_col []){ text("2"),
				    text("Ann"), SQLNULL }, 3);
	struct pgtt_tuple	key = tuple((struct pgtt_col []){ text("1"),
				    SQLNULL, SQLNULL }, 3);
	struct pgtt_tuple	keyonly = tuple((struct pgtt_col []){ text("1"),
				    TOAST, TOAST }, 3);
	static const uint8_t	always_id[] = { 1, 0, 0 };

	(void)state;
	check(&rs, &T, CHANGE_INSERT, &row, NULL, NULL, "vvv",
	    "INSERT INTO \"public\".\"t\" (\"id\", \"name\", \"note\") "
	    "OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3)");
	/* The key stays: not set, only found by. */
	check(&rs, &T, CHANGE_UPDATE, &row, &row, NULL, "wvv",
	    "UPDATE ONLY \"public\".\"t\" SET \"name\" = $1, \"note\" = $2 "
	    "WHERE \"id\" OPERATOR(pg_catalog.=) $3");
	/* An unchanged TOASTed value is not sent, so not set. */
	check(&rs, &T, CHANGE_UPDATE, &toasted, &toasted, NULL, "wv-",
	    "UPDATE ONLY \"public\".\"t\" SET \"name\" = $1 "
	    "WHERE \"id\" OPERATOR(pg_catalog.=) $2");
	/* A new key is set and the old one finds the row. */
	check(&rs, &T, CHANGE_UPDATE, &rekeyed, &key, NULL, "bvv",
	    "UPDATE ONLY \"public\".\"t\" SET \"id\" = $1, \"name\" = $2, "
	    "\"note\" = $3 WHERE \"id\" OPERATOR(pg_catalog.=) $4");
	/* GENERATED ALWAYS: never set by an update, whatever it sent. */
	check(&rs, &T, CHANGE_UPDATE, &rekeyed, &key, always_id, "wvv",
	    "UPDATE ONLY \"public\".\"t\" SET \"name\" = $1, \"note\" = $2 "
	    "WHERE \"id\" OPERATOR(pg_catalog.=) $3");
	check(&rs, &T, CHANGE_DELETE, NULL, &key, NULL, "w--",
	    "DELETE FROM ONLY \"public\".\"t\" "
	    "WHERE \"id\" OPERATOR(pg_catalog.=) $1");
	/* An update that sets only its unchanged key does nothing. */
	check(&rs, &T, CHANGE_UPDATE, &keyonly, &key, always_id, NULL, "");
}

/* FULL: every column finds the row, one of its duplicates at most. */
static void
test_identity_full(void **state)
{
	static struct pgtt_column_def	cols[] = { { "k", 23, -1, 1, 0 },
	    { "mood", MOOD_OID, -1, 1, 0 } };
	struct pgtt_relation	full = { .relid = 16401, .schema = "public",
				    .name = "Log%s", .replident = 'f',
				    .ncols = 2, .cols = cols };
	struct pgtt_tuple	old = tuple((struct pgtt_col []){ SQLNULL,
				    text("happy") }, 2);
	struct rowsql		rs = { 0 };

	(void)state;
	check(&rs, &full, CHANGE_DELETE, NULL, &old, NULL, "nw",
	    "DELETE FROM ONLY \"public\".\"Log%s\" WHERE ctid "
	    "OPERATOR(pg_catalog.=) (SELECT ctid FROM ONLY \"public\".\"Log%s\" "
	    "WHERE \"k\" IS NULL AND pg_catalog.format('%s', \"mood\") "
	    "OPERATOR(pg_catalog.=) $1::pg_catalog.text LIMIT 1)");

	/* In a function's template: % doubled, the user type cast. */
	rs.template = 1;
	check(&rs, &full, CHANGE_INSERT, &old, NULL, NULL, "vv",
	    "INSERT INTO \"public\".\"Log%%s\" (\"k\", \"mood\") OVERRIDING "
	    "SYSTEM VALUE VALUES ($1, CAST($2 AS %1$s))");
	assert_int_equal(rs.ntypecols, 1);
	assert_string_equal(rs.typecols[0], "mood");
	free(rs.typecols);
}

static void
test_refusals(void **state)
{
	static struct pgtt_column_def	nokey[] = { { "a", 23, -1, 0, 0 } };
	struct pgtt_relation	bare = { .relid = 16402, .schema = "public",
				    .name = "bare", .replident = 'n',
				    .ncols = 1, .cols = nokey };
	struct pgtt_tuple	one = tuple((struct pgtt_col []){ text("1") },
				    1);
	struct pgtt_tuple	nokeyval = tuple((struct pgtt_col []){ TOAST,
				    text("x"), SQLNULL }, 3);
	struct pgtt_change	ch;
	struct pgtt_err		err;
	char			*roles = NULL;

	(void)state;
	memset(&ch, 0, sizeof ch);
	err_clear(&err);
	assert_int_equal(rowsql_roles(&ch, &bare, CHANGE_DELETE, NULL, &one,
	    NULL, NULL, &roles, &err), PGTT_EUSAGE);
	assert_non_null(strstr(err.msg, "no replica identity"));
	assert_null(roles);

	err_clear(&err);
	assert_int_equal(rowsql_roles(&ch, &T, CHANGE_DELETE, NULL,
	    &nokeyval, NULL, NULL, &roles, &err), PGTT_EUSAGE);
	assert_non_null(strstr(err.msg, "key column \"id\""));
	assert_null(roles);
}

static void
test_truncate(void **state)
{
	struct rowsql	rs = { 0 };
	struct buf	b;

	(void)state;
	buf_init(&b);
	rowsql_truncate(&rs, &b, &T, 1);
	assert_string_equal((const char *)b.data,
	    "TRUNCATE \"public\".\"t\" RESTART IDENTITY CASCADE");
	rowsql_truncate(&rs, &b, &T, 0);
	assert_string_equal((const char *)b.data,
	    "TRUNCATE \"public\".\"t\" CASCADE");
	buf_done(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keyed_rows),
		cmocka_unit_test(test_identity_full),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_truncate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
