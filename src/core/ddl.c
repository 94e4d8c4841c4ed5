/*
 * ddl.c: captured DDL messages, and the statements replay runs for them.
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
#include <ctype.h>
#include <jansson.h>
#include <pg_query.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ddl.h"
#include "xmalloc.h"

/* libpg_query's copy of the server's lexer setting, one per thread. */
extern __thread bool standard_conforming_strings;

const char *const ddl_setting_names[DDL_NSETTINGS] = {
	"standard_conforming_strings",
	"check_function_bodies",
	"default_tablespace",
	"default_table_access_method",
	/* How a date, interval or timestamp literal in the DDL reads. */
	"DateStyle",
	"IntervalStyle",
	"TimeZone",
};

/* --- the message --- */

static void
add_text(char **acc, const char *sep, const char *s)
{
	char	*next;

	xasprintf(&next, "%s%s%s", *acc != NULL ? *acc : "",
	    *acc != NULL ? sep : "", s);
	free(*acc);
	*acc = next;
}

/*
 * The table a CREATE TABLE AS or SELECT INTO gave the source, from the
 * catalog as the capture read it (names quoted there): columns, types,
 * collations, storage.  NULL when a part is missing.
 */
static char *
create_table_text(json_t *t)
{
	const char	*schema, *name, *am, *space, *s;
	json_t		*col, *opt;
	char		*cols = NULL, *opts = NULL, *def, *sql;
	size_t		 i;

	schema = json_string_value(json_object_get(t, "schema"));
	name = json_string_value(json_object_get(t, "name"));
	am = json_string_value(json_object_get(t, "access_method"));
	space = json_string_value(json_object_get(t, "tablespace"));
	if (schema == NULL || name == NULL)
		return NULL;
	json_array_foreach(json_object_get(t, "columns"), i, col) {
		const char *cname = json_string_value(json_object_get(col,
		    "name"));
		const char *type = json_string_value(json_object_get(col,
		    "type"));
		const char *coll = json_string_value(json_object_get(col,
		    "collation"));

		if (cname == NULL || type == NULL) {
			free(cols);
			return NULL;
		}
		xasprintf(&def, "%s %s%s%s", cname, type, coll != NULL ?
		    " COLLATE " : "", coll != NULL ? coll : "");
		add_text(&cols, ", ", def);
		free(def);
	}
	json_array_foreach(json_object_get(t, "options"), i, opt)
		if ((s = json_string_value(opt)) != NULL)
			add_text(&opts, ", ", s);
	xasprintf(&sql, "CREATE %sTABLE %s.%s (%s)%s%s%s%s%s%s%s",
	    json_is_true(json_object_get(t, "unlogged")) ? "UNLOGGED " : "",
	    schema, name, cols != NULL ? cols : "",
	    am != NULL ? " USING " : "", am != NULL ? am : "",
	    opts != NULL ? " WITH (" : "", opts != NULL ? opts : "",
	    opts != NULL ? ")" : "",
	    space != NULL ? " TABLESPACE " : "", space != NULL ? space : "");
	free(cols);
	free(opts);
	return sql;
}

static char *
json_string_dup(json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

/* "table public.t, index public.t_pkey" from [{"type":..,"identity":..}] */
static char *
objects_text(json_t *list, char *acc)
{
	json_t	*o;
	size_t	 i;
	char	*next;

	json_array_foreach(list, i, o) {
		const char *type = json_string_value(json_object_get(o, "type"));
		const char *id = json_string_value(json_object_get(o,
		    "identity"));

		if (type == NULL || id == NULL)
			continue;
		xasprintf(&next, "%s%s%s %s", acc != NULL ? acc : "",
		    acc != NULL ? ", " : "", type, id);
		free(acc);
		acc = next;
	}
	return acc;
}

int
ddl_message_parse(const char *content, size_t len, struct ddl_message *m,
    struct pgtt_err *err)
{
	json_error_t	 jerr;
	json_t		*root, *v, *settings;
	size_t		 i;

	memset(m, 0, sizeof *m);
	if ((root = json_loadb(content, len, 0, &jerr)) == NULL ||
	    !json_is_object(root)) {
		json_decref(root);
		return err_set(err, PGTT_ECORRUPT, "a DDL message is not a "
		    "JSON object");
	}
	v = json_object_get(root, "v");
	m->version = json_is_integer(v) ? (int)json_integer_value(v) : 0;
	m->tag = json_string_dup(root, "tag");
	m->search_path = json_string_dup(root, "search_path");
	m->query = json_string_dup(root, "query");
	m->role = json_string_dup(root, "role");
	m->ts = json_string_dup(root, "ts");
	m->superuser = json_is_true(json_object_get(root, "superuser"));
	m->nested = json_is_true(json_object_get(root, "nested"));
	m->temporary = json_is_true(json_object_get(root, "temporary"));
	m->objects = objects_text(json_object_get(root, "objects"), NULL);
	m->objects = objects_text(json_object_get(root, "dropped"), m->objects);
	if (json_is_object(v = json_object_get(root, "table")))
		m->create_table = create_table_text(v);
	m->partition_bound = json_string_dup(root, "partition_bound");
	if ((m->ncolumn_values = json_array_size(v = json_object_get(root,
	    "column_values"))) > 0) {
		m->column_values = xcalloc(m->ncolumn_values,
		    sizeof *m->column_values);
		for (i = 0; i < m->ncolumn_values; i++) {
			const char *u = json_string_value(json_array_get(v, i));

			m->column_values[i] = xstrdup(u != NULL ? u : "");
		}
	}
	/* A GRANT reports its command with no object identity. */
	m->changed = json_array_size(json_object_get(root, "objects")) +
	    json_array_size(json_object_get(root, "dropped")) > 0;
	settings = json_object_get(root, "settings");
	for (i = 0; i < DDL_NSETTINGS; i++)
		m->settings[i] = json_string_dup(settings, ddl_setting_names[i]);
	json_decref(root);
	if (m->tag == NULL)
		m->tag = xstrdup("");
	if (m->search_path == NULL || (m->version == 0 && m->query == NULL) ||
	    (m->version >= 2 && m->role == NULL)) {
		ddl_message_done(m);
		return err_set(err, PGTT_ECORRUPT, "a DDL message lacks its "
		    "query, search_path or role");
	}
	return 0;
}

void
ddl_message_done(struct ddl_message *m)
{
	size_t	i;

	free(m->tag);
	free(m->search_path);
	free(m->query);
	free(m->role);
	free(m->ts);
	free(m->objects);
	free(m->create_table);
	free(m->partition_bound);
	for (i = 0; i < m->ncolumn_values; i++)
		free(m->column_values[i]);
	free(m->column_values);
	for (i = 0; i < DDL_NSETTINGS; i++)
		free(m->settings[i]);
	memset(m, 0, sizeof *m);
}

char *
ddl_message_text(const struct ddl_message *m)
{
	char	*text;

	if (m->query != NULL)
		return xstrdup(m->query);
	xasprintf(&text, "%s%s%s (in the query above)", m->tag,
	    m->objects != NULL ? " of " : "", m->objects != NULL ?
	    m->objects : "");
	return text;
}

char *
ddl_describe(const char *content, size_t len, char **search_path)
{
	struct ddl_message	 m;
	struct pgtt_err		 err;
	char			*text;

	if (search_path != NULL)
		*search_path = NULL;
	if (ddl_message_parse(content, len, &m, &err) != 0)
		return NULL;
	text = ddl_message_text(&m);
	if (search_path != NULL)
		*search_path = xstrdup(m.search_path);
	ddl_message_done(&m);
	return text;
}

/* --- statements, as the parser sees them --- */

/* Object types by the parser's name, and the word a command tag uses. */
static const struct objtype {
	const char	*node;
	const char	*word;		/* NULL: database-wide or never replayed */
} objtypes[] = {
	{ "OBJECT_ACCESS_METHOD", "ACCESS METHOD" },
	{ "OBJECT_AGGREGATE", "AGGREGATE" },
	{ "OBJECT_ATTRIBUTE", "TYPE" },
	{ "OBJECT_CAST", "CAST" },
	{ "OBJECT_COLUMN", "TABLE" },
	{ "OBJECT_COLLATION", "COLLATION" },
	{ "OBJECT_CONVERSION", "CONVERSION" },
	{ "OBJECT_DOMAIN", "DOMAIN" },
	{ "OBJECT_DOMCONSTRAINT", "DOMAIN" },
	{ "OBJECT_EXTENSION", "EXTENSION" },
	{ "OBJECT_FDW", "FOREIGN DATA WRAPPER" },
	{ "OBJECT_FOREIGN_SERVER", "SERVER" },
	{ "OBJECT_FOREIGN_TABLE", "FOREIGN TABLE" },
	{ "OBJECT_FUNCTION", "FUNCTION" },
	{ "OBJECT_INDEX", "INDEX" },
	{ "OBJECT_LANGUAGE", "LANGUAGE" },
	{ "OBJECT_MATVIEW", "MATERIALIZED VIEW" },
	{ "OBJECT_OPCLASS", "OPERATOR CLASS" },
	{ "OBJECT_OPERATOR", "OPERATOR" },
	{ "OBJECT_OPFAMILY", "OPERATOR FAMILY" },
	{ "OBJECT_POLICY", "POLICY" },
	{ "OBJECT_PROCEDURE", "PROCEDURE" },
	{ "OBJECT_ROUTINE", "ROUTINE" },
	{ "OBJECT_RULE", "RULE" },
	{ "OBJECT_SCHEMA", "SCHEMA" },
	{ "OBJECT_SEQUENCE", "SEQUENCE" },
	{ "OBJECT_STATISTIC_EXT", "STATISTICS" },
	{ "OBJECT_TABCONSTRAINT", "TABLE" },
	{ "OBJECT_TABLE", "TABLE" },
	{ "OBJECT_TRANSFORM", "TRANSFORM" },
	{ "OBJECT_TRIGGER", "TRIGGER" },
	{ "OBJECT_TSCONFIGURATION", "TEXT SEARCH CONFIGURATION" },
	{ "OBJECT_TSDICTIONARY", "TEXT SEARCH DICTIONARY" },
	{ "OBJECT_TSPARSER", "TEXT SEARCH PARSER" },
	{ "OBJECT_TSTEMPLATE", "TEXT SEARCH TEMPLATE" },
	{ "OBJECT_TYPE", "TYPE" },
	{ "OBJECT_VIEW", "VIEW" },
};

static const char *
objtype_word(json_t *body, const char *field)
{
	const char	*t = json_string_value(json_object_get(body, field));
	size_t		 i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < sizeof objtypes / sizeof objtypes[0]; i++)
		if (strcmp(objtypes[i].node, t) == 0)
			return objtypes[i].word;
	return NULL;
}

/* Statements whose tag is fixed: the node and its tag. */
static const struct fixed {
	const char	*node;
	const char	*tag;
} fixed_tags[] = {
	{ "AlterCollationStmt", "ALTER COLLATION" },
	{ "AlterDomainStmt", "ALTER DOMAIN" },
	{ "AlterEnumStmt", "ALTER TYPE" },
	{ "AlterExtensionContentsStmt", "ALTER EXTENSION" },
	{ "AlterExtensionStmt", "ALTER EXTENSION" },
	{ "AlterFdwStmt", "ALTER FOREIGN DATA WRAPPER" },
	{ "AlterForeignServerStmt", "ALTER SERVER" },
	{ "AlterOpFamilyStmt", "ALTER OPERATOR FAMILY" },
	{ "AlterOperatorStmt", "ALTER OPERATOR" },
	{ "AlterPolicyStmt", "ALTER POLICY" },
	{ "AlterSeqStmt", "ALTER SEQUENCE" },
	{ "AlterStatsStmt", "ALTER STATISTICS" },
	{ "AlterTSConfigurationStmt", "ALTER TEXT SEARCH CONFIGURATION" },
	{ "AlterTSDictionaryStmt", "ALTER TEXT SEARCH DICTIONARY" },
	{ "AlterTypeStmt", "ALTER TYPE" },
	{ "CommentStmt", "COMMENT" },
	{ "CompositeTypeStmt", "CREATE TYPE" },
	{ "CreateAmStmt", "CREATE ACCESS METHOD" },
	{ "CreateCastStmt", "CREATE CAST" },
	{ "CreateConversionStmt", "CREATE CONVERSION" },
	{ "CreateDomainStmt", "CREATE DOMAIN" },
	{ "CreateEnumStmt", "CREATE TYPE" },
	{ "CreateExtensionStmt", "CREATE EXTENSION" },
	{ "CreateFdwStmt", "CREATE FOREIGN DATA WRAPPER" },
	{ "CreateForeignServerStmt", "CREATE SERVER" },
	{ "CreateForeignTableStmt", "CREATE FOREIGN TABLE" },
	{ "CreateOpClassStmt", "CREATE OPERATOR CLASS" },
	{ "CreateOpFamilyStmt", "CREATE OPERATOR FAMILY" },
	{ "CreatePLangStmt", "CREATE LANGUAGE" },
	{ "CreatePolicyStmt", "CREATE POLICY" },
	{ "CreateRangeStmt", "CREATE TYPE" },
	{ "CreateSchemaStmt", "CREATE SCHEMA" },
	{ "CreateSeqStmt", "CREATE SEQUENCE" },
	{ "CreateStatsStmt", "CREATE STATISTICS" },
	{ "CreateStmt", "CREATE TABLE" },
	{ "CreateTransformStmt", "CREATE TRANSFORM" },
	{ "CreateTrigStmt", "CREATE TRIGGER" },
	{ "ImportForeignSchemaStmt", "IMPORT FOREIGN SCHEMA" },
	{ "IndexStmt", "CREATE INDEX" },
	{ "RefreshMatViewStmt", "REFRESH MATERIALIZED VIEW" },
	{ "RuleStmt", "CREATE RULE" },
	{ "SecLabelStmt", "SECURITY LABEL" },
	{ "ViewStmt", "CREATE VIEW" },
};

/* Statements that name their object kind: verb and the field naming it. */
static const struct byobj {
	const char	*node;
	const char	*verb;
	const char	*field;
	enum ddl_kind	 kind;
} byobj_tags[] = {
	{ "AlterObjectSchemaStmt", "ALTER", "objectType", DDL_RUN },
	{ "AlterTableStmt", "ALTER", "objtype", DDL_RUN },
	{ "AlterFunctionStmt", "ALTER", "objtype", DDL_RUN },
	{ "DefineStmt", "CREATE", "kind", DDL_RUN },
	{ "DropStmt", "DROP", "removeType", DDL_RUN },
	{ "RenameStmt", "ALTER", "renameType", DDL_RUN },
	{ "AlterOwnerStmt", "ALTER", "objectType", DDL_PRIVILEGE },
};

/* An ALTER TABLE whose subcommands all or partly change the owner. */
static int
owner_changes(json_t *body, int *all)
{
	json_t	*cmd;
	size_t	 i, n = 0, owner = 0;

	json_array_foreach(json_object_get(body, "cmds"), i, cmd) {
		const char *st = json_string_value(json_object_get(
		    json_object_get(cmd, "AlterTableCmd"), "subtype"));

		n++;
		if (st != NULL && strcmp(st, "AT_ChangeOwner") == 0)
			owner++;
	}
	*all = n > 0 && owner == n;
	return owner > 0;
}

static void
classify(const char *node, json_t *body, struct ddl_statement *s)
{
	const char	*word = NULL, *t;
	size_t		 i;
	int		 all;

	s->node = node;
	s->kind = DDL_OTHER;
	for (i = 0; i < sizeof fixed_tags / sizeof fixed_tags[0]; i++)
		if (strcmp(fixed_tags[i].node, node) == 0) {
			snprintf(s->tag, sizeof s->tag, "%s", fixed_tags[i].tag);
			s->kind = DDL_RUN;
		}
	for (i = 0; i < sizeof byobj_tags / sizeof byobj_tags[0]; i++) {
		if (strcmp(byobj_tags[i].node, node) != 0)
			continue;
		word = objtype_word(body, byobj_tags[i].field);
		if (word == NULL) {
			/* Roles, databases, tablespaces, event triggers. */
			s->kind = DDL_REFUSED;
			s->why = "it acts on an object replay never changes";
			return;
		}
		snprintf(s->tag, sizeof s->tag, "%s %s", byobj_tags[i].verb,
		    word);
		s->kind = byobj_tags[i].kind;
	}

	/*
	 * A comment or label on a database, role, tablespace or the like
	 * fires no event trigger: it must not take a message meant for a
	 * later statement.
	 */
	if ((strcmp(node, "CommentStmt") == 0 ||
	    strcmp(node, "SecLabelStmt") == 0) &&
	    objtype_word(body, "objtype") == NULL) {
		s->kind = DDL_OTHER;
		s->tag[0] = '\0';
		return;
	}
	if (strcmp(node, "CreateFunctionStmt") == 0) {
		snprintf(s->tag, sizeof s->tag, "CREATE %s", json_is_true(
		    json_object_get(body, "is_procedure")) ? "PROCEDURE" :
		    "FUNCTION");
		s->kind = DDL_RUN;
	} else if (strcmp(node, "CreateTableAsStmt") == 0) {
		t = json_string_value(json_object_get(body, "objtype"));
		snprintf(s->tag, sizeof s->tag, "%s", t != NULL &&
		    strcmp(t, "OBJECT_MATVIEW") == 0 ?
		    "CREATE MATERIALIZED VIEW" : "CREATE TABLE AS");
		s->kind = DDL_RUN;
		s->fills_table = t == NULL || strcmp(t, "OBJECT_MATVIEW") != 0;
	} else if (strcmp(node, "SelectStmt") == 0 &&
	    json_object_get(body, "intoClause") != NULL) {
		snprintf(s->tag, sizeof s->tag, "SELECT INTO");
		s->kind = DDL_RUN;
		s->fills_table = 1;
	} else if (strcmp(node, "GrantStmt") == 0) {
		/* Database, tablespace, parameter: no event trigger fires. */
		if (objtype_word(body, "objtype") == NULL) {
			s->kind = DDL_OTHER;
			return;
		}
		snprintf(s->tag, sizeof s->tag, "%s", json_is_true(
		    json_object_get(body, "is_grant")) ? "GRANT" : "REVOKE");
		s->kind = DDL_PRIVILEGE;
	} else if (strcmp(node, "AlterDefaultPrivilegesStmt") == 0) {
		snprintf(s->tag, sizeof s->tag, "ALTER DEFAULT PRIVILEGES");
		s->kind = DDL_PRIVILEGE;
	} else if (strcmp(node, "AlterTableStmt") == 0 &&
	    s->kind == DDL_RUN && owner_changes(body, &all)) {
		s->kind = all ? DDL_PRIVILEGE : DDL_RUN;
		s->with_owner = !all;
	} else if (strcmp(node, "TransactionStmt") == 0) {
		t = json_string_value(json_object_get(body, "kind"));
		s->ends_txn = t != NULL && strcmp(t, "TRANS_STMT_BEGIN") != 0 &&
		    strcmp(t, "TRANS_STMT_START") != 0 &&
		    strcmp(t, "TRANS_STMT_SAVEPOINT") != 0 &&
		    strcmp(t, "TRANS_STMT_RELEASE") != 0;
	}
}

/* Past leading white space; the length without trailing white space. */
static char *
trimmed_dup(const char *from, size_t len)
{
	while (len > 0 && isspace((unsigned char)*from)) {
		from++;
		len--;
	}
	while (len > 0 && isspace((unsigned char)from[len - 1]))
		len--;
	return xstrndup(from, len);
}

int
ddl_parse_statements(const char *sql, int scs, struct ddl_statement **out,
    size_t *nout, struct pgtt_err *err)
{
	PgQueryParseResult	 r;
	json_t			*root, *stmts, *item;
	json_error_t		 jerr;
	struct ddl_statement	*st;
	size_t			 i, n, sqllen = strlen(sql);

	*out = NULL;
	*nout = 0;
	standard_conforming_strings = scs != 0;
	r = pg_query_parse(sql);
	if (r.error != NULL) {
		err_set(err, PGTT_ECORRUPT, "its query string does not parse: "
		    "%s at character %d", r.error->message,
		    r.error->cursorpos);
		pg_query_free_parse_result(r);
		return err->code;
	}
	root = json_loads(r.parse_tree, 0, &jerr);
	pg_query_free_parse_result(r);
	stmts = json_object_get(root, "stmts");
	if (!json_is_array(stmts)) {
		json_decref(root);
		return err_set(err, PGTT_ECORRUPT, "the parser gave no "
		    "statement list");
	}
	n = json_array_size(stmts);
	st = xcalloc(n > 0 ? n : 1, sizeof *st);
	json_array_foreach(stmts, i, item) {
		json_t		*node = json_object_get(item, "stmt");
		json_int_t	 loc = json_integer_value(json_object_get(item,
		    "stmt_location"));
		json_int_t	 len = json_integer_value(json_object_get(item,
		    "stmt_len"));
		const char	*name;
		json_t		*body;
		void		*iter = json_object_iter(node);

		if (loc < 0 || (size_t)loc > sqllen)
			loc = (json_int_t)sqllen;
		if (len <= 0 || (size_t)(loc + len) > sqllen)
			len = (json_int_t)sqllen - loc;	/* 0: to the end */
		st[i].text = trimmed_dup(sql + loc, (size_t)len);
		name = iter != NULL ? json_object_iter_key(iter) : "";
		body = iter != NULL ? json_object_iter_value(iter) : NULL;
		/* The node name must outlive the JSON: keep a copy. */
		st[i].node = NULL;
		classify(name, body, &st[i]);
		st[i].node = xstrdup(name);
	}
	json_decref(root);
	*out = st;
	*nout = n;
	return 0;
}

void
ddl_statements_free(struct ddl_statement *st, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(st[i].text);
		free((char *)st[i].node);
	}
	free(st);
}

/*
 * CONCURRENTLY cannot run inside a transaction block, and replay applies
 * each source transaction inside one; on a replica no one waits for the
 * lock, so the plain form does the same.  The word is taken out of the
 * text (among the first words, where the grammar puts it) and the result
 * parsed again, so what runs is still what the parser saw.
 */
static int
strip_concurrently(struct ddl_statement *s, int scs)
{
	struct ddl_statement	*again;
	struct pgtt_err		 e;
	size_t			 n, len;
	char			*w = s->text;
	int			 words, ok;

	for (words = 0; words < 6; words++) {
		while (isspace((unsigned char)*w))
			w++;
		for (len = 0; isalpha((unsigned char)w[len]); len++)
			;
		if (len == 0)
			return 0;
		if (len == 12 && strncasecmp(w, "CONCURRENTLY", 12) == 0 &&
		    (isspace((unsigned char)w[len]) || w[len] == '\0')) {
			memmove(w, w + len, strlen(w + len) + 1);
			break;
		}
		w += len;
	}
	if (ddl_parse_statements(s->text, scs, &again, &n, &e) != 0)
		return -1;
	ok = n == 1 && strcmp(again[0].node, s->node) == 0 &&
	    strcmp(again[0].tag, s->tag) == 0;
	ddl_statements_free(again, n);
	return ok ? 0 : -1;
}

/* The statement again, alone: still one statement of the same kind? */
static int
reparses_the_same(const struct ddl_statement *s, int scs)
{
	struct ddl_statement	*again;
	size_t			 n;
	struct pgtt_err		 e;
	int			 ok;

	if (ddl_parse_statements(s->text, scs, &again, &n, &e) != 0)
		return 0;
	ok = n == 1 && strcmp(again[0].node, s->node) == 0 &&
	    strcmp(again[0].tag, s->tag) == 0 && again[0].kind == s->kind;
	ddl_statements_free(again, n);
	return ok;
}

/* The parse tree of sql when it is one statement; NULL otherwise. */
static json_t *
parse_one(const char *sql, int scs)
{
	PgQueryParseResult	 r;
	json_t			*root, *stmt = NULL;

	standard_conforming_strings = scs != 0;
	r = pg_query_parse(sql);
	root = r.error == NULL ? json_loads(r.parse_tree, 0, NULL) : NULL;
	pg_query_free_parse_result(r);
	if (json_array_size(json_object_get(root, "stmts")) == 1)
		stmt = json_incref(json_object_get(json_array_get(
		    json_object_get(root, "stmts"), 0), "stmt"));
	json_decref(root);
	return stmt;
}

/*
 * The statement made from a table's description is one CREATE TABLE of
 * columns and nothing else: no default, constraint, generated value,
 * parent or partition that could run code or take rows from elsewhere.
 */
static int
plain_create_table(const char *sql, int scs)
{
	static const char *const stmt_keys[] = { "inhRelations", "partbound",
	    "partspec", "ofTypename", "constraints", NULL };
	static const char *const col_keys[] = { "constraints", "raw_default",
	    "cooked_default", "identity", "identitySequence", "generated",
	    "fdwoptions", NULL };
	json_t	*tree = parse_one(sql, scs), *create, *elt, *col;
	size_t	 i, k;
	int	 ok;

	create = json_object_get(tree, "CreateStmt");
	ok = json_is_object(create) &&
	    json_array_size(json_object_get(create, "tableElts")) > 0;
	for (k = 0; ok && stmt_keys[k] != NULL; k++)
		ok = json_object_get(create, stmt_keys[k]) == NULL;
	json_array_foreach(json_object_get(create, "tableElts"), i, elt) {
		col = json_object_get(elt, "ColumnDef");
		ok = ok && json_is_object(col);
		for (k = 0; ok && col_keys[k] != NULL; k++)
			ok = json_object_get(col, col_keys[k]) == NULL;
	}
	json_decref(tree);
	return ok;
}


/*
 * A partition bound's values as the statement wrote them: constants
 * (MINVALUE and MAXVALUE among them), or expressions the server
 * evaluated once, at CREATE time, such as now() or current_date + 1.
 * A cast of a constant counts as one where the user wrote it; in a
 * bound pg_get_expr printed, which has none, it does not (a cast to a
 * domain runs the domain's checks).
 */
static int
bound_is_computed(json_t *bound, int casts_are_constant)
{
	static const char *const lists[] = { "listdatums", "lowerdatums",
	    "upperdatums" };
	json_t	*datum, *cast;
	size_t	 i, k;

	for (k = 0; k < sizeof lists / sizeof lists[0]; k++)
		json_array_foreach(json_object_get(bound, lists[k]), i, datum) {
			cast = json_object_get(datum, "TypeCast");
			if (cast != NULL && !casts_are_constant)
				return 1;
			if (cast != NULL)
				datum = json_object_get(cast, "arg");
			if (json_object_get(datum, "A_Const") == NULL &&
			    (cast != NULL ||
			    json_object_get(datum, "ColumnRef") == NULL))
				return 1;
		}
	return 0;
}

/* The bound of a CREATE TABLE or an ALTER TABLE's ATTACH PARTITION. */
static json_t *
partition_bound_of(json_t *stmt)
{
	json_t	*cmd;
	size_t	 i;

	if (json_object_get(stmt, "CreateStmt") != NULL)
		return json_object_get(json_object_get(stmt, "CreateStmt"),
		    "partbound");
	json_array_foreach(json_object_get(json_object_get(stmt,
	    "AlterTableStmt"), "cmds"), i, cmd) {
		json_t	*pc = json_object_get(json_object_get(json_object_get(
		    cmd, "AlterTableCmd"), "def"), "PartitionCmd");

		if (json_object_get(pc, "bound") != NULL)
			return json_object_get(pc, "bound");
	}
	return NULL;
}

/* The tree without positions, which move when text is replaced. */
static void
drop_locations(json_t *node)
{
	const char	*key;
	json_t		*v;
	void		*tmp;
	size_t		 i;

	if (json_is_array(node))
		json_array_foreach(node, i, v)
			drop_locations(v);
	else if (json_is_object(node)) {
		json_object_del(node, "location");
		json_object_foreach_safe(node, tmp, key, v)
			drop_locations(v);
	}
}

/*
 * CREATE TABLE ... PARTITION OF with a computed bound, with the bound the
 * source got in its place.  The bound's end is found by the parser: the
 * first closing parenthesis after its start where the result is the same
 * statement, position for position, but for a bound of constants.
 */
static char *
with_source_bound(const char *text, const char *source_bound, int scs)
{
	json_t		*orig, *again, *ob, *nb;
	const char	*p, *bound = source_bound;
	char		*out = NULL;
	json_int_t	 at;
	int		 same;

	if (strncmp(bound, "FOR VALUES ", 11) != 0 ||
	    (orig = parse_one(text, scs)) == NULL)
		return NULL;
	bound += 11;
	ob = partition_bound_of(orig);
	at = json_integer_value(json_object_get(ob, "location"));
	if (ob == NULL || at <= 0 || (size_t)at >= strlen(text)) {
		json_decref(orig);
		return NULL;
	}
	json_incref(ob);
	json_object_del(json_object_get(orig, "CreateStmt"), "partbound");
	drop_locations(orig);
	for (p = strchr(text + at, ')'); p != NULL && out == NULL;
	    p = strchr(p + 1, ')')) {
		char	*cand;

		xasprintf(&cand, "%.*s%s%s", (int)at, text, bound, p + 1);
		if ((again = parse_one(cand, scs)) == NULL ||
		    (nb = partition_bound_of(again)) == NULL) {
			json_decref(again);
			free(cand);
			continue;
		}
		same = !bound_is_computed(nb, 0) && json_equal(json_object_get(nb,
		    "strategy"), json_object_get(ob, "strategy"));
		json_object_del(json_object_get(again, "CreateStmt"),
		    "partbound");
		drop_locations(again);
		if (same && json_equal(orig, again))
			out = cand;
		else
			free(cand);
		json_decref(again);
	}
	json_decref(ob);
	json_decref(orig);
	return out;
}

/*
 * A column value the capture sent is one UPDATE ONLY of one column to a
 * constant, for every row: no WHERE, FROM, RETURNING or WITH that could
 * reach other rows or run code.
 */
static int
plain_column_update(const char *sql, int scs, char **column)
{
	json_t	*tree = parse_one(sql, scs), *upd, *target, *val;
	int	 ok;
	const char *name;

	upd = json_object_get(tree, "UpdateStmt");
	target = json_object_get(json_array_get(json_object_get(upd,
	    "targetList"), 0), "ResTarget");
	val = json_object_get(target, "val");
	if (json_object_get(val, "TypeCast") != NULL)
		val = json_object_get(json_object_get(val, "TypeCast"), "arg");
	ok = upd != NULL && json_array_size(json_object_get(upd,
	    "targetList")) == 1 && json_object_get(val, "A_Const") != NULL &&
	    json_object_get(target, "indirection") == NULL &&
	    !json_is_true(json_object_get(json_object_get(upd, "relation"),
	    "inh")) && json_object_get(upd, "whereClause") == NULL &&
	    json_object_get(upd, "fromClause") == NULL &&
	    json_object_get(upd, "returningList") == NULL &&
	    json_object_get(upd, "withClause") == NULL;
	name = json_string_value(json_object_get(target, "name"));
	*column = ok && name != NULL ? xstrdup(name) : NULL;
	json_decref(tree);
	return ok && name != NULL;
}

/*
 * Does the ALTER TABLE add this column?  The capture's test (a column
 * row changed in this transaction that still has a missing value) also
 * holds for one an earlier ALTER added and this one only renames or sets
 * NOT NULL: setting that one would overwrite every row's value since.
 */
static int
adds_column(const char *alter, int scs, const char *column)
{
	json_t		*tree = parse_one(alter, scs), *cmd;
	size_t		 i;
	int		 found = 0;

	json_array_foreach(json_object_get(json_object_get(tree,
	    "AlterTableStmt"), "cmds"), i, cmd) {
		json_t		*c = json_object_get(cmd, "AlterTableCmd");
		const char	*st = json_string_value(json_object_get(c,
		    "subtype"));
		const char	*name = json_string_value(json_object_get(
		    json_object_get(json_object_get(c, "def"), "ColumnDef"),
		    "colname"));

		if (st != NULL && strcmp(st, "AT_AddColumn") == 0 &&
		    name != NULL && strcmp(name, column) == 0)
			found = 1;
	}
	json_decref(tree);
	return found;
}

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
