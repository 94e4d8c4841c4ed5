/*
 * test_ddl.c: splitting a captured query string into statements, and
 * choosing the ones replay runs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/ddl.h"

static void
expect_split(const char *sql, size_t n, ...)
{
	char	**st;
	size_t	  got, i;
	va_list	  ap;

	got = ddl_split(sql, &st);
	assert_int_equal(got, n);
	va_start(ap, n);
	for (i = 0; i < got; i++) {
		assert_string_equal(st[i], va_arg(ap, const char *));
		free(st[i]);
	}
	va_end(ap);
	free(st);
}

static void
test_split(void **state)
{
	(void)state;
	expect_split("", 0);
	expect_split(" ; ;\n", 0);
	expect_split("CREATE TABLE a (x int)", 1, "CREATE TABLE a (x int)");
	expect_split("ALTER TABLE t ADD c int; UPDATE t SET c = 0;", 2,
	    "ALTER TABLE t ADD c int", "UPDATE t SET c = 0");
	expect_split("INSERT INTO t VALUES ('a;b', E'c\\';d'); DROP TABLE t",
	    2, "INSERT INTO t VALUES ('a;b', E'c\\';d')", "DROP TABLE t");
	expect_split("CREATE TABLE \"x;y\" (\"a\"\"b;\" int); SELECT 1", 2,
	    "CREATE TABLE \"x;y\" (\"a\"\"b;\" int)", "SELECT 1");
	expect_split("CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; "
	    "$body$ LANGUAGE sql; DO $$ BEGIN NULL; END $$", 2,
	    "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ "
	    "LANGUAGE sql", "DO $$ BEGIN NULL; END $$");
	expect_split("-- a; comment\nCREATE TABLE a (); /* b; /* c; */ d; */"
	    " DROP TABLE a", 2, "-- a; comment\nCREATE TABLE a ()",
	    "/* b; /* c; */ d; */ DROP TABLE a");
	expect_split("CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; "
	    "SELECT 2); SELECT $1", 2,
	    "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)",
	    "SELECT $1");
	/* A text that never closes its quote is one statement, not a hang. */
	expect_split("SELECT 'abc; DROP", 1, "SELECT 'abc; DROP");
}

static void
test_schema_statements(void **state)
{
	(void)state;
	assert_true(ddl_is_schema_statement("create table a ()"));
	assert_true(ddl_is_schema_statement("  ALTER TABLE a ADD b int"));
	assert_true(ddl_is_schema_statement("-- why\nDROP TABLE a"));
	assert_true(ddl_is_schema_statement("DO $$ BEGIN END $$"));
	assert_false(ddl_is_schema_statement("UPDATE t SET c = 0"));
	assert_false(ddl_is_schema_statement("insert into t values (1)"));
	assert_false(ddl_is_schema_statement("BEGIN"));
	assert_false(ddl_is_schema_statement("SET search_path = x"));
	assert_false(ddl_is_schema_statement("GRANT SELECT ON t TO r"));
	assert_false(ddl_is_schema_statement("ALTER TABLE t OWNER TO r"));
	assert_false(ddl_is_schema_statement("CREATEX"));
}

static void
test_message(void **state)
{
	static const char msg[] = "{\"tag\":\"ALTER TABLE\",\"search_path\":"
	    "\"app, public\",\"query\":\"BEGIN; ALTER TABLE t ADD c int; "
	    "UPDATE t SET c = 1; GRANT SELECT ON t TO r; COMMIT;\"}";
	static const char one[] = "{\"tag\":\"CREATE TABLE\",\"search_path\":"
	    "\"public\",\"query\":\"SELECT make_tables()\"}";
	struct ddl_message	m;
	struct pgtt_err		err;

	(void)state;
	assert_int_equal(ddl_message_parse(msg, strlen(msg), &m, &err), 0);
	assert_string_equal(m.tag, "ALTER TABLE");
	assert_string_equal(m.search_path, "app, public");
	assert_int_equal(m.nstatements, 1);
	assert_string_equal(m.statements[0], "ALTER TABLE t ADD c int");
	ddl_message_done(&m);

	/* A lone statement fired the trigger itself: it runs as it is. */
	assert_int_equal(ddl_message_parse(one, strlen(one), &m, &err), 0);
	assert_int_equal(m.nstatements, 1);
	assert_string_equal(m.statements[0], "SELECT make_tables()");
	ddl_message_done(&m);

	/* CONCURRENTLY cannot run in the replica's transaction block. */
	{
		static const char conc[] = "{\"tag\":\"CREATE INDEX\","
		    "\"search_path\":\"public\",\"query\":\"create unique index "
		    "concurrently i on t (x)\"}";

		assert_int_equal(ddl_message_parse(conc, strlen(conc), &m,
		    &err), 0);
		assert_string_equal(m.statements[0],
		    "create unique index  i on t (x)");
		ddl_message_done(&m);
	}

	assert_int_equal(ddl_message_parse("{", 1, &m, &err), PGTT_ECORRUPT);
	assert_int_equal(ddl_message_parse("{\"tag\":\"x\"}", 11, &m, &err),
	    PGTT_ECORRUPT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_schema_statements),
		cmocka_unit_test(test_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
