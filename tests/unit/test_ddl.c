/*
 * test_ddl.c: captured query strings split and classified by PostgreSQL's
 * parser, and DDL messages matched to the one statement replay may run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/ddl.h"
#include "core/xmalloc.h"

static void
expect_split(const char *sql, int scs, size_t n, ...)
{
	struct ddl_statement	*st;
	struct pgtt_err		 err;
	size_t			 got, i;
	va_list			 ap;

	assert_int_equal(ddl_parse_statements(sql, scs, &st, &got, &err), 0);
	assert_int_equal(got, n);
	va_start(ap, n);
	for (i = 0; i < got; i++) {
		const char *text = va_arg(ap, const char *);
		const char *tag = va_arg(ap, const char *);
		int kind = va_arg(ap, int);

		assert_string_equal(st[i].text, text);
		assert_string_equal(st[i].tag, tag);
		assert_int_equal(st[i].kind, kind);
	}
	va_end(ap);
	ddl_statements_free(st, got);
}

static void
test_split(void **state)
{
	struct ddl_statement	*st;
	struct pgtt_err		 err;
	size_t			 n;

	(void)state;
	expect_split("", 1, 0);
	expect_split("CREATE TABLE a (x int)", 1, 1,
	    "CREATE TABLE a (x int)", "CREATE TABLE", DDL_RUN);
	expect_split("ALTER TABLE t ADD c int; UPDATE t SET c = 0;", 1, 2,
	    "ALTER TABLE t ADD c int", "ALTER TABLE", DDL_RUN,
	    "UPDATE t SET c = 0", "", DDL_OTHER);
	expect_split("CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; "
	    "$body$ LANGUAGE sql; DO $$ BEGIN NULL; END $$", 1, 2,
	    "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ "
	    "LANGUAGE sql", "CREATE FUNCTION", DDL_RUN,
	    "DO $$ BEGIN NULL; END $$", "", DDL_OTHER);
	expect_split("CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; "
	    "SELECT 2); CALL p()", 1, 2,
	    "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)",
	    "CREATE RULE", DDL_RUN, "CALL p()", "", DDL_OTHER);
	/* Privileges are matched, never run; roles are never DDL to replay. */
	expect_split("GRANT SELECT ON t TO r; ALTER TABLE t OWNER TO r; "
	    "ALTER ROLE eve SUPERUSER; ALTER TABLE t RENAME TO u", 1, 4,
	    "GRANT SELECT ON t TO r", "GRANT", DDL_PRIVILEGE,
	    "ALTER TABLE t OWNER TO r", "ALTER TABLE", DDL_PRIVILEGE,
	    "ALTER ROLE eve SUPERUSER", "", DDL_OTHER,
	    "ALTER TABLE t RENAME TO u", "ALTER TABLE", DDL_RUN);
	expect_split("ALTER DATABASE d RENAME TO e; DROP INDEX i; "
	    "CREATE MATERIALIZED VIEW m AS SELECT 1", 1, 3,
	    "ALTER DATABASE d RENAME TO e", "", DDL_REFUSED,
	    "DROP INDEX i", "DROP INDEX", DDL_RUN,
	    "CREATE MATERIALIZED VIEW m AS SELECT 1",
	    "CREATE MATERIALIZED VIEW", DDL_RUN);

	/*
	 * The lexer setting decides where a string ends: with
	 * standard_conforming_strings off the ALTER ROLE is inside the
	 * comment, as the source server read it.
	 */
	expect_split("COMMENT ON TABLE q IS 'harmless \\'; ALTER ROLE eve "
	    "SUPERUSER; -- ';", 0, 1, "COMMENT ON TABLE q IS 'harmless \\'; "
	    "ALTER ROLE eve SUPERUSER; -- '", "COMMENT", DDL_RUN);
	expect_split("COMMENT ON TABLE q IS 'harmless \\'; ALTER ROLE eve "
	    "SUPERUSER; -- ';", 1, 2, "COMMENT ON TABLE q IS 'harmless \\'",
	    "COMMENT", DDL_RUN, "ALTER ROLE eve SUPERUSER", "", DDL_OTHER);

	assert_int_equal(ddl_parse_statements("SELECT 'abc; DROP", 1, &st, &n,
	    &err), PGTT_ECORRUPT);
	assert_null(st);
}

/* A version 2 message as the capture writes it. */
static void
message(struct ddl_message *m, const char *tag, const char *query,
    const char *extra)
{
	char		*json;
	struct pgtt_err	 err;

	if (xasprintf(&json, "{\"v\":2,\"tag\":\"%s\",\"role\":\"app\","
	    "\"search_path\":\"public\",\"objects\":[{\"type\":\"table\","
	    "\"identity\":\"public.t\"}]%s%s%s%s}", tag, query != NULL ?
	    ",\"query\":\"" : "", query != NULL ? query : "", query != NULL ?
	    "\"" : "", extra != NULL ? extra : "") < 0)
		fail();
	assert_int_equal(ddl_message_parse(json, strlen(json), m, &err), 0);
	free(json);
}

static enum ddl_action
match(struct ddl_matcher *mt, uint32_t seq, const char *tag,
    const char *query, const char *extra, const char **statement)
{
	struct ddl_message	m;
	struct ddl_step		step;

	message(&m, tag, query, extra);
	ddl_match(mt, 100, seq, &m, &step);
	ddl_message_done(&m);
	*statement = step.action == DDL_ACTION_RUN ? step.statement : NULL;
	return step.action;
}

static void
test_match(void **state)
{
	struct ddl_matcher	 mt;
	const char		*st;
	static const char	 migration[] = "BEGIN; ALTER TABLE t ADD c int; "
	    "UPDATE t SET c = 1; GRANT SELECT ON t TO r; "
	    "CREATE UNIQUE INDEX CONCURRENTLY i ON t (c); COMMIT;";

	(void)state;
	ddl_matcher_init(&mt);
	/* Each message runs its own statement, DML and GRANT left out. */
	assert_int_equal(match(&mt, 1, "ALTER TABLE", migration, NULL, &st),
	    DDL_ACTION_RUN);
	assert_string_equal(st, "ALTER TABLE t ADD c int");
	assert_int_equal(match(&mt, 3, "GRANT", NULL, NULL, &st),
	    DDL_ACTION_NONE);
	assert_int_equal(match(&mt, 4, "CREATE INDEX", NULL, NULL, &st),
	    DDL_ACTION_RUN);
	assert_string_equal(st, "CREATE UNIQUE INDEX  i ON t (c)");
	/* A tag the string no longer has: refused, never guessed. */
	assert_int_equal(match(&mt, 5, "CREATE TABLE", NULL, NULL, &st),
	    DDL_ACTION_REFUSE);

	/* A DO block's DDL, and DDL in a function a SELECT called. */
	assert_int_equal(match(&mt, 1, "CREATE TABLE", "DO $$ BEGIN CREATE "
	    "TABLE b (); END $$", ",\"nested\":true", &st), DDL_ACTION_REFUSE);
	assert_int_equal(match(&mt, 1, "CREATE TABLE", "SELECT mk(); DO $$ "
	    "BEGIN NULL; END $$", NULL, &st), DDL_ACTION_REFUSE);
	/* The DO block that rides along DDL never runs. */
	assert_int_equal(match(&mt, 1, "CREATE TABLE", "CREATE TABLE e (i "
	    "int); DO $$ BEGIN EXECUTE 'x'; END $$", NULL, &st),
	    DDL_ACTION_RUN);
	assert_string_equal(st, "CREATE TABLE e (i int)");
	assert_int_equal(match(&mt, 2, "CREATE TABLE", NULL, NULL, &st),
	    DDL_ACTION_REFUSE);

	/* Temporary objects and no-ops run nothing. */
	assert_int_equal(match(&mt, 1, "CREATE TABLE", "CREATE TEMP TABLE x "
	    "()", ",\"temporary\":true", &st), DDL_ACTION_NONE);
	/* Older messages carry no role: refused. */
	{
		struct ddl_message	m;
		struct ddl_step		step;
		struct pgtt_err		err;
		static const char	old[] = "{\"tag\":\"CREATE TABLE\","
		    "\"search_path\":\"public\",\"query\":\"CREATE TABLE a ()\"}";

		assert_int_equal(ddl_message_parse(old, strlen(old), &m, &err),
		    0);
		ddl_match(&mt, 200, 1, &m, &step);
		assert_int_equal(step.action, DDL_ACTION_REFUSE);
		ddl_message_done(&m);
		assert_int_equal(ddl_message_parse("{", 1, &m, &err),
		    PGTT_ECORRUPT);
		assert_int_equal(ddl_message_parse("{\"v\":2,\"tag\":\"x\","
		    "\"search_path\":\"p\"}", 36, &m, &err), PGTT_ECORRUPT);
	}
	/* Several transactions in one string: which one is unknown. */
	assert_int_equal(match(&mt, 1, "CREATE TABLE", "CREATE TABLE a (); "
	    "COMMIT; CREATE TABLE b ()", NULL, &st), DDL_ACTION_REFUSE);
	/* With standard_conforming_strings off, as the source ran it. */
	assert_int_equal(match(&mt, 1, "COMMENT", "COMMENT ON TABLE q IS "
	    "'x \\\\'; ALTER ROLE eve SUPERUSER; -- '", ",\"settings\":"
	    "{\"standard_conforming_strings\":\"off\"}", &st), DDL_ACTION_RUN);
	assert_string_equal(st, "COMMENT ON TABLE q IS 'x \\'; ALTER ROLE eve "
	    "SUPERUSER; -- '");
	ddl_matcher_done(&mt);
}

/*
 * CREATE TABLE AS and SELECT INTO run as the plain table the source got;
 * a description that would be more than columns is refused.
 */
static void
test_fills_table(void **state)
{
	struct ddl_matcher	 mt;
	const char		*st;
	static const char	 table[] = ",\"table\":{\"schema\":\"public\","
	    "\"name\":\"t\",\"access_method\":\"heap\",\"options\":"
	    "[\"fillfactor = '70'\"],\"columns\":[{\"name\":\"id\","
	    "\"type\":\"integer\"},{\"name\":\"\\\"Name\\\"\","
	    "\"type\":\"text\",\"collation\":\"pg_catalog.\\\"C\\\"\"}]}";
	static const char	 planted[] = ",\"table\":{\"schema\":\"public\","
	    "\"name\":\"t\",\"columns\":[{\"name\":\"id\",\"type\":"
	    "\"integer DEFAULT evil()\"}]}";

	(void)state;
	ddl_matcher_init(&mt);
	assert_int_equal(match(&mt, 1, "CREATE TABLE AS", "CREATE TABLE t AS "
	    "EXECUTE q(1)", table, &st), DDL_ACTION_RUN);
	assert_string_equal(st, "CREATE TABLE public.t (id integer, "
	    "\"Name\" text COLLATE pg_catalog.\"C\") USING heap WITH "
	    "(fillfactor = '70')");
	assert_int_equal(match(&mt, 1, "SELECT INTO", "SELECT 1 AS id INTO t",
	    table, &st), DDL_ACTION_RUN);
	assert_int_equal(match(&mt, 1, "CREATE TABLE AS", "CREATE TABLE t AS "
	    "SELECT 1 AS id", planted, &st), DDL_ACTION_REFUSE);
	/* Captured before tables were described: SELECT INTO cannot run. */
	assert_int_equal(match(&mt, 1, "SELECT INTO", "SELECT 1 AS id INTO t",
	    NULL, &st), DDL_ACTION_REFUSE);
	assert_int_equal(match(&mt, 1, "CREATE TABLE AS", "CREATE TABLE t AS "
	    "SELECT 1 AS id", NULL, &st), DDL_ACTION_RUN);
	assert_string_equal(st, "CREATE TABLE t AS SELECT 1 AS id");
	ddl_matcher_done(&mt);
}

/* A bound the source computed runs as the constants it got. */
static void
test_partition_bound(void **state)
{
	struct ddl_matcher	 mt;
	const char		*st;
	static const char	 got[] = ",\"partition_bound\":\"FOR VALUES "
	    "FROM ('2026-12-07 03:00:00+00') TO ('2026-12-08 03:00:00+00')\"";
	static const char	 forged[] = ",\"partition_bound\":\"FOR VALUES "
	    "FROM ('a') TO ('b') PARTITION BY RANGE (x); DROP TABLE m --\"";

	(void)state;
	ddl_matcher_init(&mt);
	assert_int_equal(match(&mt, 1, "CREATE TABLE", "CREATE TABLE p "
	    "PARTITION OF m FOR VALUES FROM (now()) TO (now() + interval "
	    "'1 day') PARTITION BY RANGE (x)", got, &st), DDL_ACTION_RUN);
	assert_string_equal(st, "CREATE TABLE p PARTITION OF m FOR VALUES "
	    "FROM ('2026-12-07 03:00:00+00') TO ('2026-12-08 03:00:00+00') "
	    "PARTITION BY RANGE (x)");
	/* 'today' is a constant evaluated at CREATE time: the source's. */
	assert_int_equal(match(&mt, 1, "CREATE TABLE", "CREATE TABLE q "
	    "PARTITION OF m FOR VALUES FROM ('today') TO ('tomorrow')", got,
	    &st), DDL_ACTION_RUN);
	assert_string_equal(st, "CREATE TABLE q PARTITION OF m FOR VALUES "
	    "FROM ('2026-12-07 03:00:00+00') TO ('2026-12-08 03:00:00+00')");
	/* Captured without the bound, constants run as written. */
	assert_int_equal(match(&mt, 1, "CREATE TABLE", "CREATE TABLE q "
	    "PARTITION OF m FOR VALUES IN (-1, 'x')", NULL, &st),
	    DDL_ACTION_RUN);
	assert_string_equal(st, "CREATE TABLE q PARTITION OF m FOR VALUES IN "
	    "(-1, 'x')");
	/* DEFAULT has no bound to put in. */
	assert_int_equal(match(&mt, 1, "CREATE TABLE", "CREATE TABLE d "
	    "PARTITION OF m DEFAULT", ",\"partition_bound\":\"DEFAULT\"",
	    &st), DDL_ACTION_RUN);
	assert_string_equal(st, "CREATE TABLE d PARTITION OF m DEFAULT");
	/* A cast in the bound sent could run a domain's checks. */
	assert_int_equal(match(&mt, 1, "CREATE TABLE", "CREATE TABLE q "
	    "PARTITION OF m FOR VALUES FROM (now()) TO (MAXVALUE)",
	    ",\"partition_bound\":\"FOR VALUES FROM ('1'::d) TO (MAXVALUE)\"",
	    &st), DDL_ACTION_REFUSE);
	assert_int_equal(match(&mt, 1, "CREATE TABLE", "CREATE TABLE p "
	    "PARTITION OF m FOR VALUES FROM (now()) TO (MAXVALUE)", forged,
	    &st), DDL_ACTION_REFUSE);
	assert_int_equal(match(&mt, 1, "CREATE TABLE", "CREATE TABLE p "
	    "PARTITION OF m FOR VALUES FROM (now()) TO (MAXVALUE)", NULL,
	    &st), DDL_ACTION_REFUSE);
	assert_int_equal(match(&mt, 1, "ALTER TABLE", "ALTER TABLE m ATTACH "
	    "PARTITION p FOR VALUES IN (current_date)", NULL, &st),
	    DDL_ACTION_REFUSE);
	ddl_matcher_done(&mt);
}

/* The value a stable default gave existing rows: one plain UPDATE. */
static void
test_column_values(void **state)
{
	struct ddl_matcher	 mt;
	struct ddl_message	 m;
	struct ddl_step		 step;
	static const char	 q[] = "ALTER TABLE t ADD c timestamptz "
	    "DEFAULT now()";
	static const char *const bad[] = {
		"UPDATE t SET c = '1'::date",
		"UPDATE ONLY t SET c = now()",
		"UPDATE ONLY t SET c = '1' WHERE id = 1",
		"UPDATE ONLY t SET c = '1' RETURNING evil()",
		"UPDATE ONLY t SET c = '1'; DROP TABLE t",
	};
	char	extra[256];
	size_t	i;

	(void)state;
	ddl_matcher_init(&mt);
	message(&m, "ALTER TABLE", q, ",\"column_values\":[\"UPDATE ONLY "
	    "public.t SET c = '2026-12-07 04:00:00+00'::timestamp with time "
	    "zone\"]");
	ddl_match(&mt, 100, 1, &m, &step);
	assert_int_equal(step.action, DDL_ACTION_RUN);
	assert_int_equal(step.nafter, 1);
	assert_string_equal(step.after[0], "UPDATE ONLY public.t SET c = "
	    "'2026-12-07 04:00:00+00'::timestamp with time zone");
	ddl_message_done(&m);
	/* A later ALTER of a column added long ago sets nothing. */
	message(&m, "ALTER TABLE", "ALTER TABLE t ALTER c SET NOT NULL",
	    ",\"column_values\":[\"UPDATE ONLY public.t SET c = '2026-01-01 "
	    "00:00:00+00'::timestamp with time zone\"]");
	ddl_match(&mt, 100, 1, &m, &step);
	assert_int_equal(step.action, DDL_ACTION_RUN);
	assert_int_equal(step.nafter, 0);
	ddl_message_done(&m);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(extra, sizeof extra, ",\"column_values\":[\"%s\"]",
		    bad[i]);
		message(&m, "ALTER TABLE", q, extra);
		ddl_match(&mt, 100, 1, &m, &step);
		assert_int_equal(step.action, DDL_ACTION_REFUSE);
		ddl_message_done(&m);
	}
	ddl_matcher_done(&mt);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_fills_table),
		cmocka_unit_test(test_partition_bound),
		cmocka_unit_test(test_column_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
