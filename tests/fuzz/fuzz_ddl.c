/*
 * fuzz_ddl.c: the DDL path of replay, from a captured message to the one
 * statement it may run.  Whatever the message and its query string hold,
 * what replay runs must be a single statement that PostgreSQL's parser
 * reads as allow-listed DDL with the tag the event trigger reported:
 * never a DO block, a CALL, a SELECT or a role statement.
 *
 * The first byte picks the input's shape: even, the rest is a message's
 * JSON as the journal holds it; odd, the rest is a query string, matched
 * against a message for each of a few command tags, with
 * standard_conforming_strings off when bit 1 is set.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ddl.h"
#include "core/ddlrows.h"
#include "core/xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const tags[] = { "CREATE TABLE", "ALTER TABLE",
    "COMMENT", "CREATE FUNCTION", "DROP TABLE", "CREATE INDEX", "GRANT",
    "ALTER ROLE", "DO", "CREATE TABLE AS", "SELECT INTO" };

/* What a RUN step says must hold, or the process aborts. */
static void
check_run(const struct ddl_message *m, const struct ddl_step *step,
    int scs, int run_privileges)
{
	struct ddl_statement	*st;
	struct pgtt_err		 err;
	size_t			 n;

	if (step->action != DDL_ACTION_RUN)
		return;
	/* What runs after it sets one column of existing rows, no more. */
	for (n = 0; n < step->nafter; n++) {
		size_t	k;

		if (ddl_parse_statements(step->after[n], scs, &st, &k,
		    &err) != 0 || k != 1 || strcmp(st[0].node,
		    "UpdateStmt") != 0)
			abort();
		ddl_statements_free(st, k);
	}
	if (ddl_parse_statements(step->statement, scs, &st, &n, &err) != 0)
		abort();
	/* A table a query filled runs as the plain CREATE TABLE it got. */
	if (n == 1 && m->create_table != NULL &&
	    strcmp(step->statement, m->create_table) == 0) {
		if (strcmp(st[0].node, "CreateStmt") != 0)
			abort();
		ddl_statements_free(st, n);
		return;
	}
	if (n != 1 || strcmp(st[0].tag, m->tag) != 0 ||
	    !(st[0].kind == DDL_RUN ||
	    (st[0].kind == DDL_PRIVILEGE && run_privileges)))
		abort();
	ddl_statements_free(st, n);
}

static void
one_message(const char *content, size_t len, int run_privileges)
{
	struct ddl_matcher	 mt;
	struct ddl_message	 m;
	struct ddl_step		 step;
	struct pgtt_err		 err;
	struct ddl_rows		 rows;
	int			 scs;

	/* The same bytes as a rows message: parsed or refused, never more. */
	if (ddl_rows_parse(content, len, &rows, &err) == 0)
		ddl_rows_done(&rows);
	if (ddl_message_parse(content, len, &m, &err) != 0)
		return;
	scs = ddl_message_scs(&m);
	ddl_matcher_init(&mt);
	mt.run_privileges = run_privileges;
	ddl_match(&mt, 1, 1, &m, &step);
	check_run(&m, &step, scs, run_privileges);
	ddl_matcher_done(&mt);
	ddl_message_done(&m);
}

static void
one_query(const char *query, int scs)
{
	struct ddl_matcher	 mt;
	struct ddl_message	 m;
	struct ddl_step		 step;
	uint32_t		 seq = 0;
	size_t			 i;

	ddl_matcher_init(&mt);
	for (i = 0; i < sizeof tags / sizeof tags[0]; i++) {
		memset(&m, 0, sizeof m);
		m.version = 2;
		m.tag = (char *)tags[i];
		m.search_path = (char *)"public";
		m.role = (char *)"app";
		m.changed = 1;
		m.query = i == 0 ? (char *)query : NULL;
		m.settings[0] = (char *)(scs ? "on" : "off");
		ddl_match(&mt, 1, ++seq, &m, &step);
		check_run(&m, &step, scs, 0);
	}
	ddl_matcher_done(&mt);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*text;

	if (size == 0 || size > 65536)
		return 0;
	if (data[0] % 2 == 0) {
		one_message((const char *)data + 1, size - 1, data[0] & 2);
		return 0;
	}
	text = xstrndup((const char *)data + 1, size - 1);
	one_query(text, (data[0] & 2) == 0);
	free(text);
	return 0;
}
