/*
 * apply-sql.c: the text of the row statements replay prepares (apply.c
 * sends them).  Everything that keeps a statement from running code a
 * source role wrote is here, in the text: ONLY, OPERATOR(pg_catalog.=),
 * user types compared through their own output function, identifiers
 * always quoted, values only ever parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply-sql.h"
#include "ident.h"
#include "xmalloc.h"

void
rowsql_add(struct buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
rowsql_ident(struct rowsql *t, struct buf *b, const char *name)
{
	char		*q = ident_quoted(name);
	const char	*p;

	if (!t->template)
		rowsql_add(b, q);
	else
		for (p = q; *p != '\0'; p++)
			buf_append(b, *p == '%' ? "%%" : p, *p == '%' ? 2 : 1);
	free(q);
}

/*
 * A value parameter $n of column col.  In a template a user type's value
 * arrives as text and is cast to the column's type, which the server
 * names (%N$s); otherwise the server infers its type from the column.
 */
static void
rowsql_value(struct rowsql *t, struct buf *b,
    const struct pgtt_column_def *col, int n)
{
	char	num[64];

	if (t->template && col->type_oid >= ROWSQL_FIRST_USER_OID) {
		t->typecols = xreallocarray(t->typecols, t->ntypecols + 1,
		    sizeof *t->typecols);
		t->typecols[t->ntypecols++] = col->name;
		snprintf(num, sizeof num, "CAST($%d AS %%%zu$s)", n,
		    t->ntypecols);
	} else
		snprintf(num, sizeof num, "$%d", n);
	rowsql_add(b, num);
}

void
rowsql_table(struct rowsql *t, struct buf *b,
    const struct pgtt_relation *rel)
{
	rowsql_ident(t, b, rel->schema);
	rowsql_add(b, ".");
	rowsql_ident(t, b, rel->name);
}

/* Types with no equality operator: rows are matched on their text form. */
static int
lacks_equality(uint32_t type_oid)
{
	switch (type_oid) {
	case 114: case 199:	/* json, json[] */
	case 142: case 143:	/* xml, xml[] */
	case 600: case 1017:	/* point, point[] */
	case 601: case 602: case 603: case 604: case 628: case 718:
		return 1;
	default:
		return 0;
	}
}

int
rowsql_sets(int r)
{
	return r == ROLE_SET || r == ROLE_BOTH || r == ROLE_BOTH_NULL;
}

int
rowsql_where(int r)
{
	return r == ROLE_WHERE || r == ROLE_BOTH;
}

static int
rowsql_where_null(int r)
{
	return r == ROLE_WHERE_NULL || r == ROLE_BOTH_NULL;
}

/* WHERE clause of an update or delete; params numbered from *n on. */
static void
build_where(struct rowsql *t, struct buf *b,
    const struct pgtt_relation *rel, const char *roles, int *n)
{
	char		 num[64];
	uint16_t	 i;
	int		 first = 1, as_text;

	for (i = 0; i < rel->ncols; i++) {
		if (!rowsql_where(roles[i]) && !rowsql_where_null(roles[i]))
			continue;
		rowsql_add(b, first ? "" : " AND ");
		first = 0;
		if (rowsql_where_null(roles[i])) {
			rowsql_ident(t, b, rel->cols[i].name);
			rowsql_add(b, " IS NULL");
			continue;
		}
		/*
		 * A user type is compared in its text form: with an untyped
		 * parameter, "=" could resolve to an operator a source role
		 * created, and a cast to text to a function it wrote, either
		 * of which would then run as the replay role.  format() goes
		 * through the type's own output function.  (It also spares
		 * the server untyped parameters it cannot take: a domain
		 * over a composite type.)
		 */
		as_text = lacks_equality(rel->cols[i].type_oid) ||
		    rel->cols[i].type_oid >= ROWSQL_FIRST_USER_OID;
		if (as_text)
			rowsql_add(b, t->template ? "pg_catalog.format('%%s', " :
			    "pg_catalog.format('%s', ");
		rowsql_ident(t, b, rel->cols[i].name);
		if (as_text)
			snprintf(num, sizeof num, ") OPERATOR(pg_catalog.=) "
			    "$%d::pg_catalog.text", (*n)++);
		else
			snprintf(num, sizeof num, " OPERATOR(pg_catalog.=) $%d",
			    (*n)++);
		rowsql_add(b, num);
	}
}

/*
 * The columns an insert or update sets, comma-separated; with_params,
 * each as "col = $n" numbered from 1.  Returns the next parameter number.
 */
static int
add_set_columns(struct rowsql *t, struct buf *b,
    const struct pgtt_relation *rel, const char *roles, int with_params)
{
	uint16_t	i;
	int		n = 1;

	for (i = 0; i < rel->ncols; i++) {
		if (!rowsql_sets(roles[i]))
			continue;
		rowsql_add(b, n > 1 ? ", " : "");
		rowsql_ident(t, b, rel->cols[i].name);
		if (with_params) {
			rowsql_add(b, " = ");
			rowsql_value(t, b, &rel->cols[i], n);
		}
		n++;
	}
	return n;
}

/*
 * SQL for op on rel with these column roles.  Parameters: first every
 * set value in column order, then every identifying value.
 */
void
rowsql_statement(struct rowsql *t, struct buf *b, enum change_kind op,
    const struct pgtt_relation *rel, const char *roles)
{
	uint16_t	 i;
	int		 n = 1, first = 1;

	buf_reset(b);
	if (op == CHANGE_INSERT) {
		/*
		 * The source's values, identity columns GENERATED ALWAYS
		 * included: the row already got its value there.
		 */
		rowsql_add(b, "INSERT INTO ");
		rowsql_table(t, b, rel);
		rowsql_add(b, " (");
		add_set_columns(t, b, rel, roles, 0);
		rowsql_add(b, ") OVERRIDING SYSTEM VALUE VALUES (");
		for (i = 0, first = 1; i < rel->ncols; i++) {
			if (!rowsql_sets(roles[i]))
				continue;
			rowsql_add(b, first ? "" : ", ");
			rowsql_value(t, b, &rel->cols[i], n++);
			first = 0;
		}
		rowsql_add(b, ")");
	} else {
		/*
		 * ONLY: a change names the table it happened in, never the
		 * inheritance children a plain UPDATE would also reach.
		 */
		rowsql_add(b, op == CHANGE_UPDATE ? "UPDATE ONLY " :
		    "DELETE FROM ONLY ");
		rowsql_table(t, b, rel);
		if (op == CHANGE_UPDATE) {
			rowsql_add(b, " SET ");
			n = add_set_columns(t, b, rel, roles, 1);
		}
		rowsql_add(b, " WHERE ");
		if (rel->replident == 'f') {
			rowsql_add(b, "ctid OPERATOR(pg_catalog.=) (SELECT ctid FROM "
			    "ONLY ");
			rowsql_table(t, b, rel);
			rowsql_add(b, " WHERE ");
			build_where(t, b, rel, roles, &n);
			rowsql_add(b, " LIMIT 1)");
		} else
			build_where(t, b, rel, roles, &n);
	}
	buf_append(b, "", 1);
}

/* "pgtt_r.c1, pgtt_r.c2" or "c1, c2": the columns of rel that sets[] marks. */
static void
set_column_list(struct rowsql *t, struct buf *b,
    const struct pgtt_relation *rel, const uint8_t *sets, const char *alias)
{
	uint16_t	i;
	int		first = 1;

	for (i = 0; i < rel->ncols; i++) {
		if (!sets[i])
			continue;
		rowsql_add(b, first ? "" : ", ");
		if (alias != NULL) {
			rowsql_add(b, alias);
			rowsql_add(b, ".");
		}
		rowsql_ident(t, b, rel->cols[i].name);
		first = 0;
	}
}

/*
 * "<left>c <op> pgtt_r.c" for each column c mask[] marks, joined by sep:
 * what an update sets, how rows are matched.
 */
static void
column_pairs(struct rowsql *t, struct buf *b, const struct pgtt_relation *rel,
    const uint8_t *mask, const char *left, const char *op, const char *sep)
{
	uint16_t	i;
	int		first = 1;

	for (i = 0; i < rel->ncols; i++) {
		if (!mask[i])
			continue;
		rowsql_add(b, first ? "" : sep);
		rowsql_add(b, left);
		rowsql_ident(t, b, rel->cols[i].name);
		rowsql_add(b, op);
		rowsql_add(b, "pgtt_r.");
		rowsql_ident(t, b, rel->cols[i].name);
		first = 0;
	}
}

/*
 * The rows as the server reads them from $1.  Values are text each type
 * parses, as for one row's parameters; net mode leaves user types to
 * the row statements.
 */
static void
rows_source(struct rowsql *t, struct buf *b, const struct pgtt_relation *rel)
{
	rowsql_add(b, "pg_catalog.json_populate_recordset(NULL::");
	rowsql_table(t, b, rel);
	rowsql_add(b, ", $1::pg_catalog.json) AS pgtt_r");
}

int
rowsql_set_statement(struct rowsql *t, struct buf *b, enum change_kind op,
    const struct pgtt_relation *rel, const uint8_t *is_key,
    const uint8_t *always)
{
	uint8_t		*sets;
	uint16_t	 i;
	int		 n = 0;

	sets = xcalloc((size_t)rel->ncols + 1, 1);
	for (i = 0; i < rel->ncols; i++) {
		sets[i] = op == CHANGE_INSERT || (op == CHANGE_UPDATE &&
		    !is_key[i] && (always == NULL || !always[i]));
		n += sets[i];
	}
	buf_reset(b);
	if (op == CHANGE_INSERT) {
		rowsql_add(b, "INSERT INTO ");
		rowsql_table(t, b, rel);
		rowsql_add(b, " (");
		set_column_list(t, b, rel, sets, NULL);
		rowsql_add(b, ") OVERRIDING SYSTEM VALUE SELECT ");
		set_column_list(t, b, rel, sets, "pgtt_r");
		rowsql_add(b, " FROM ");
		rows_source(t, b, rel);
	} else if (op == CHANGE_UPDATE && n == 0) {
		free(sets);
		return 0;
	} else {
		/* ONLY, as for one row: the table the change named. */
		rowsql_add(b, op == CHANGE_UPDATE ? "UPDATE ONLY " :
		    "DELETE FROM ONLY ");
		rowsql_table(t, b, rel);
		rowsql_add(b, " AS pgtt_t ");
		if (op == CHANGE_UPDATE) {
			rowsql_add(b, "SET ");
			column_pairs(t, b, rel, sets, "", " = ", ", ");
			rowsql_add(b, " FROM ");
		} else
			rowsql_add(b, "USING ");
		rows_source(t, b, rel);
		rowsql_add(b, " WHERE ");
		column_pairs(t, b, rel, is_key, "pgtt_t.",
		    " OPERATOR(pg_catalog.=) ", " AND ");
	}
	buf_append(b, "", 1);
	free(sets);
	return op == CHANGE_UPDATE ? n : 1;
}

const struct pgtt_col *
rowsql_col(const struct pgtt_tuple *t, uint16_t i)
{
	static const struct pgtt_col	missing = { COL_TOAST, 0, NULL };

	return i < t->ncols ? &t->cols[i] : &missing;
}

int
rowsql_same_value(const struct pgtt_col *x, const struct pgtt_col *y)
{
	return x->kind == y->kind && (x->kind != COL_TEXT ||
	    (x->len == y->len && memcmp(x->val, y->val, x->len) == 0));
}

int
rowsql_roles(const struct pgtt_change *ch, const struct pgtt_relation *rel,
    enum change_kind op, const struct pgtt_tuple *set,
    const struct pgtt_tuple *where, const struct pgtt_tuple *fallback,
    const uint8_t *always, char **out, struct pgtt_err *err)
{
	const struct pgtt_col	*wc;
	char			 l[LSN_BUFSIZE], *roles;
	uint16_t		 i;
	int			 any_where = 0, any_set = 0;

	*out = NULL;
	roles = xmalloc(rel->ncols + 1);
	for (i = 0; i < rel->ncols; i++) {
		int	sets = set != NULL &&
		    rowsql_col(set, i)->kind != COL_TOAST &&
		    (always == NULL || !always[i]);
		int	ident = where != NULL && rel->cols[i].is_key;

		roles[i] = ROLE_NONE;
		if (ident) {
			wc = rowsql_col(where, i);
			if (wc->kind == COL_TOAST && fallback != NULL)
				wc = rowsql_col(fallback, i);
			if (wc->kind == COL_TOAST) {
				free(roles);
				return err_set(err, PGTT_EUSAGE, "change %s "
				    "#%u of %s.%s does not hold the value of "
				    "its key column \"%s\"",
				    lsn_format(ch->commit_lsn, l), ch->seq,
				    rel->schema, rel->name, rel->cols[i].name);
			}
			any_where = 1;
			/*
			 * A key column the update leaves as it was is not
			 * set: an identity column GENERATED ALWAYS may not
			 * be, even to its own value.
			 */
			if (sets && op == CHANGE_UPDATE &&
			    rowsql_same_value(rowsql_col(set, i), wc))
				sets = 0;
			roles[i] = wc->kind == COL_NULL ?
			    (sets ? ROLE_BOTH_NULL : ROLE_WHERE_NULL) :
			    (sets ? ROLE_BOTH : ROLE_WHERE);
		} else if (sets)
			roles[i] = ROLE_SET;
	}
	roles[rel->ncols] = '\0';
	for (i = 0; i < rel->ncols; i++)
		any_set |= rowsql_sets(roles[i]);
	if (op == CHANGE_UPDATE && !any_set) {
		free(roles);
		return 0;	/* it sets nothing: the row stays as it is */
	}
	if (where != NULL && !any_where) {
		free(roles);
		return err_set(err, PGTT_EUSAGE, "%s.%s has no replica identity "
		    "columns to find its rows by", rel->schema, rel->name);
	}
	*out = roles;
	return 0;
}

/*
 * TRUNCATE of rel.  Always CASCADE: without it the source's
 * TRUNCATE succeeded only because every table referencing it was
 * truncated with it, and a referencing table that is not captured
 * (unlogged, or out of source.tables) is missing from the message.
 */
void
rowsql_truncate(struct rowsql *t, struct buf *b,
    const struct pgtt_relation *rel, int restart_identity)
{
	buf_reset(b);
	rowsql_add(b, "TRUNCATE ");
	rowsql_table(t, b, rel);
	if (restart_identity)
		rowsql_add(b, " RESTART IDENTITY");
	rowsql_add(b, " CASCADE");
	buf_append(b, "", 1);
}
