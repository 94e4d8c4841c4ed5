/*
 * ddl-parse.c: query strings split and classified by PostgreSQL's own
 * parser (libpg_query), and the checks ddl.c makes of a statement before
 * replay may run it: the parser's view is the only one pgtt takes.
 */
#include <ctype.h>
#include <jansson.h>
#include <pg_query.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ddl-int.h"
#include "ddl.h"
#include "xmalloc.h"

/* libpg_query's copy of the server's lexer setting, one per thread. */
extern __thread bool standard_conforming_strings;

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
int
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
int
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
json_t *
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
int
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
int
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
json_t *
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
char *
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
int
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
int
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
