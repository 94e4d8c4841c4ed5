/*
 * ddl.c: captured DDL messages, and the statements replay runs for them:
 * the matcher.  A message is read in ddl-message.c; statements are split,
 * classified and checked by the parser in ddl-parse.c.
 *
 * A query string is split and classified by PostgreSQL's own parser
 * (libpg_query, the server's grammar and lexer as a library), never by a
 * lexer of ours: a string the server read one way must not be read
 * another way here.  The parser's lexer depends on one setting,
 * standard_conforming_strings, which the capture records and which is set
 * in the library (a thread-local variable) before each parse, and on the
 * replica before each statement runs.
 *
 * A statement runs only when three things agree: the parser says it is
 * DDL of a kind on the allow-list below; the event trigger reported, at
 * this point of the transaction, a command with exactly the tag that
 * statement reports; and it ran at top level, not inside a function or DO
 * block (whose text cannot be replayed).  Owners and privileges follow
 * the source only on a replica whose baseline was restored with them
 * (every role they name exists there); elsewhere GRANT, REVOKE and OWNER
 * TO are matched and left out.  Temporary objects are never replayed:
 * they belong to a session that replay is not.
 */
#include <stdlib.h>
#include <string.h>

#include "ddl-int.h"
#include "ddl.h"
#include "xmalloc.h"

/* --- matching messages to statements --- */

static void
free_after(struct ddl_matcher *mt)
{
	size_t	i;

	for (i = 0; i < mt->nafter; i++)
		free(mt->after[i]);
	free(mt->after);
	mt->after = NULL;
	mt->nafter = 0;
}

void
ddl_matcher_init(struct ddl_matcher *mt)
{
	memset(mt, 0, sizeof *mt);
}

static void
matcher_forget(struct ddl_matcher *mt)
{
	ddl_statements_free(mt->st, mt->n);
	free(mt->query);
	free(mt->ts);
	free(mt->built);
	free_after(mt);
	mt->st = NULL;
	mt->query = NULL;
	mt->ts = NULL;
	mt->built = NULL;
	mt->n = mt->next = 0;
	mt->unparsed = 0;
}

void
ddl_matcher_done(struct ddl_matcher *mt)
{
	matcher_forget(mt);
}

int
ddl_message_scs(const struct ddl_message *m)
{
	/* ddl_setting_names[0]; on when not recorded, as it is by default */
	return m->settings[0] == NULL || strcmp(m->settings[0], "on") == 0;
}

static void
refuse(struct ddl_step *step, const struct ddl_message *m, const char *why)
{
	snprintf(step->why, sizeof step->why, "%s%s%s: %s", m->tag,
	    m->objects != NULL ? " of " : "", m->objects != NULL ?
	    m->objects : "", why);
	step->action = DDL_ACTION_REFUSE;
}

/* Does a statement before the last DDL one end a transaction? */
static int
several_transactions(const struct ddl_matcher *mt)
{
	size_t	i, last = 0;
	int	seen_end = 0, ddl_after_end = 0;

	for (i = 0; i < mt->n; i++)
		if (mt->st[i].kind != DDL_OTHER)
			last = i + 1;
	for (i = 0; i < last; i++) {
		if (mt->st[i].ends_txn)
			seen_end = 1;
		else if (seen_end && mt->st[i].kind != DDL_OTHER)
			ddl_after_end = 1;
	}
	return ddl_after_end;
}

void
ddl_match(struct ddl_matcher *mt, pgtt_lsn lsn, uint32_t seq,
    const struct ddl_message *m, struct ddl_step *step)
{
	struct ddl_statement	*s;
	size_t			 i;
	struct pgtt_err		 perr;
	int			 scs = ddl_message_scs(m);

	memset(step, 0, sizeof *step);
	if (!mt->started || lsn != mt->lsn || seq <= mt->seq)
		matcher_forget(mt);
	mt->started = 1;
	mt->lsn = lsn;
	mt->seq = seq;

	if (m->version < 2) {
		refuse(step, m, "it was captured by an older "
		    "pgtt that recorded neither the role that ran it nor which "
		    "statement of the query string it was; run setup again to "
		    "update the capture");
		return;
	}

	if (m->query != NULL && (mt->query == NULL ||
	    strcmp(m->query, mt->query) != 0 || scs != mt->scs)) {
		matcher_forget(mt);
		mt->query = xstrdup(m->query);
		mt->ts = m->ts != NULL ? xstrdup(m->ts) : NULL;
		mt->scs = scs;
		mt->unparsed = ddl_parse_statements(m->query, scs, &mt->st,
		    &mt->n, &perr) != 0;
		if (mt->unparsed)
			snprintf(mt->parse_error, sizeof mt->parse_error, "%s",
			    perr.msg);
	} else if (m->query != NULL && (m->ts == NULL || mt->ts == NULL ||
	    strcmp(m->ts, mt->ts) != 0)) {
		/* The same string, run again: its statements from the top. */
		free(mt->ts);
		mt->ts = m->ts != NULL ? xstrdup(m->ts) : NULL;
		mt->next = 0;
	}
	if (mt->query == NULL) {
		refuse(step, m, "its message refers to the query "
		    "string of an earlier one that is not in its transaction");
		return;
	}
	if (mt->unparsed) {
		refuse(step, m, mt->parse_error);
		return;
	}
	if (m->nested) {
		refuse(step, m, "it ran inside a function, "
		    "procedure or DO block, whose text cannot be replayed; "
		    "make the same change on the replica by hand and skip it "
		    "with --on-error skip, or run setup with a new baseline");
		return;
	}
	if (several_transactions(mt)) {
		refuse(step, m, "its query string holds DDL in "
		    "several transactions, and which of them this is cannot "
		    "be told");
		return;
	}

	for (i = mt->next; i < mt->n; i++)
		if (mt->st[i].kind != DDL_OTHER &&
		    strcmp(mt->st[i].tag, m->tag) == 0)
			break;
	if (i == mt->n) {
		refuse(step, m, "no statement of its query string "
		    "reports this command tag: it ran in code the string "
		    "called, whose text cannot be replayed");
		return;
	}
	mt->next = i + 1;
	s = &mt->st[i];

	if ((s->kind == DDL_PRIVILEGE && !mt->run_privileges) ||
	    m->temporary || !m->changed) {
		step->action = DDL_ACTION_NONE;
		return;
	}
	if (s->kind == DDL_REFUSED) {
		refuse(step, m, s->why);
		return;
	}
	if (s->with_owner && !mt->run_privileges) {
		refuse(step, m, "it changes an owner along with "
		    "other things, and this replica was restored without the "
		    "source's owners");
		return;
	}
	if (s->fills_table && m->create_table != NULL) {
		/*
		 * Not the query again, whose rows could differ here (or which
		 * runs a prepared statement of the source's session): the
		 * table it made, empty.  Its rows are in the journal.
		 */
		if (!plain_create_table(m->create_table, scs)) {
			refuse(step, m, "the table it made does not read back "
			    "as a plain CREATE TABLE");
			return;
		}
		free(mt->built);
		mt->built = xstrdup(m->create_table);
		step->action = DDL_ACTION_RUN;
		step->statement = mt->built;
		/* Its types were printed for this path. */
		step->search_path = "pg_catalog, pg_temp";
		return;
	}
	if (s->fills_table && strcmp(s->node, "SelectStmt") == 0) {
		refuse(step, m, "it was captured without the table it made, "
		    "and SELECT INTO cannot run inside the function replay runs "
		    "DDL in; run setup again to update the capture");
		return;
	}
	if (!reparses_the_same(s, scs)) {
		refuse(step, m, "its text does not parse alone "
		    "as the same statement");
		return;
	}
	if (strcmp(s->node, "CreateStmt") == 0 ||
	    strcmp(s->node, "AlterTableStmt") == 0) {
		json_t	*tree = parse_one(s->text, scs);
		int	 computed = bound_is_computed(partition_bound_of(tree), 1);

		json_decref(tree);
		/*
		 * The source's bound whenever the capture sent it: a literal
		 * such as 'today' is evaluated at CREATE time too.
		 */
		if (strcmp(s->node, "CreateStmt") == 0 &&
		    m->partition_bound != NULL &&
		    strncmp(m->partition_bound, "FOR VALUES ", 11) == 0) {
			free(mt->built);
			if ((mt->built = with_source_bound(s->text,
			    m->partition_bound, scs)) == NULL) {
				refuse(step, m, "its partition bound is "
				    "computed, and the bound the source got "
				    "could not take its place");
				return;
			}
			step->action = DDL_ACTION_RUN;
			step->statement = mt->built;
			return;
		}
		if (computed) {
			refuse(step, m, "its partition bound is computed "
			    "(now(), current_date, ...), and evaluated here it "
			    "would differ from the bound the source got; attach "
			    "the partition on the replica by hand with the "
			    "source's bound and skip it with --on-error skip");
			return;
		}
	}
	if ((strcmp(s->node, "IndexStmt") == 0 ||
	    strcmp(s->node, "DropStmt") == 0) &&
	    strip_concurrently(s, scs) != 0) {
		refuse(step, m, "CONCURRENTLY could not be "
		    "taken out of it");
		return;
	}
	free_after(mt);
	for (i = 0; i < m->ncolumn_values; i++) {
		char	*column;

		if (strcmp(s->node, "AlterTableStmt") != 0 ||
		    !plain_column_update(m->column_values[i], scs, &column)) {
			refuse(step, m, "a value it gave existing rows does not "
			    "read back as a plain UPDATE of one column");
			return;
		}
		if (adds_column(s->text, scs, column)) {
			mt->after = xreallocarray(mt->after, mt->nafter + 1,
			    sizeof *mt->after);
			mt->after[mt->nafter++] = xstrdup(
			    m->column_values[i]);
		}
		free(column);
	}
	step->action = DDL_ACTION_RUN;
	step->statement = s->text;
	step->after = mt->after;
	step->nafter = mt->nafter;
}
