/*
 * apply-catalog.c: what replay reads of the replica's catalog to route
 * rows (apply.c): the owner of each table not owned by a superuser or
 * the replay role, and the identity columns GENERATED ALWAYS, which an
 * UPDATE may not set.
 */
#include <stdlib.h>
#include <string.h>

#include "apply-int.h"
#include "pg.h"
#include "xmalloc.h"

static void
triples_free(struct triples *t)
{
	size_t	i;

	for (i = 0; i < t->n * 3; i++)
		free(t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

void
apply_forget_catalog(struct applier *a)
{
	size_t	i;

	triples_free(&a->owners);
	triples_free(&a->always);
	for (i = 0; i < a->nacache; i++)
		free(a->acache[i].cols);
	free(a->acache);
	a->acache = NULL;
	a->nacache = 0;
	a->owner_rel = NULL;
}

/* Read rows of three strings, sorted by the first two, into t. */
static int
triples_load(PGconn *conn, const char *sql, struct triples *t,
    struct pgtt_err *err)
{
	PGresult	*res;
	int		 i;

	if ((res = pg_exec(conn, err, sql, 0, NULL)) == NULL)
		return err->code;
	t->n = PQntuples(res);
	t->v = xcalloc(t->n * 3 + 1, sizeof *t->v);
	for (i = 0; i < PQntuples(res) * 3; i++)
		t->v[i] = xstrdup(PQgetvalue(res, i / 3, i % 3));
	PQclear(res);
	return 0;
}

/* The first row for (schema, name), or t->n when there is none. */
static size_t
triples_find(const struct triples *t, const char *schema, const char *name)
{
	size_t	lo = 0, hi = t->n, mid;
	int	c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = strcmp(t->v[mid * 3], schema)) == 0)
			c = strcmp(t->v[mid * 3 + 1], name);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->n && strcmp(t->v[lo * 3], schema) == 0 &&
	    strcmp(t->v[lo * 3 + 1], name) == 0 ? lo : t->n;
}

/*
 * PostgreSQL's own apply has run as the table's owner since 16, and for
 * the same reason: what runs while a row is written (a trigger enabled
 * ALWAYS or REPLICA, an index expression, a check, a generated column)
 * is the owner's code, and must not run as the replay role when the
 * owner is less privileged.  The maps are read when the pipeline is
 * idle: at the start, after each DDL statement (inside its transaction),
 * and after each transaction that carried DDL, since one rolled back
 * leaves what was read inside it wrong.
 */
static const char always_sql[] = "SELECT n.nspname, c.relname, a.attname "
    "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = "
    "a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE a.attidentity = 'a' AND NOT a.attisdropped AND c.relkind IN "
    "('r', 'p') ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"";

/* Run load between the pipeline's batches: every result read first. */
static int
outside_pipeline(struct applier *a, int (*load)(struct applier *,
    struct pgtt_err *), struct pgtt_err *err)
{
	int	ret;

	if (PQexitPipelineMode(a->conn) != 1)
		return err_set(err, PGTT_EDB, "could not leave pipeline mode on "
		    "the replica: %s", PQerrorMessage(a->conn));
	ret = load(a, err);
	if (PQenterPipelineMode(a->conn) != 1 && ret == 0)
		ret = err_set(err, PGTT_EDB, "could not enter pipeline mode on "
		    "the replica: %s", PQerrorMessage(a->conn));
	return ret;
}

static int
load_catalog(struct applier *a, struct pgtt_err *err)
{
	int	ret;

	if ((ret = triples_load(a->conn, "SELECT n.nspname, c.relname, "
	    "r.rolname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace "
	    "n ON n.oid = c.relnamespace JOIN pg_catalog.pg_roles r ON r.oid = "
	    "c.relowner WHERE c.relkind IN ('r', 'p') AND NOT r.rolsuper AND "
	    "r.rolname <> current_user ORDER BY n.nspname COLLATE \"C\", "
	    "c.relname COLLATE \"C\"", &a->owners, err)) != 0)
		return ret;
	return triples_load(a->conn, always_sql, &a->always, err);
}

int
apply_load_catalog(struct applier *a, struct pgtt_err *err)
{
	/* A routed statement's function is bound to the owner it had. */
	apply_forget_row_statements(a);
	a->owners_stale = 0;
	return apply_reload_catalog(a, err);
}

int
apply_reload_catalog(struct applier *a, struct pgtt_err *err)
{
	apply_forget_catalog(a);
	return outside_pipeline(a, load_catalog, err);
}

/* The owner to run as for rel, or NULL for the replay role. */
const char *
apply_owner_of(struct applier *a, const struct pgtt_relation *rel)
{
	size_t	i;

	if (rel == a->owner_rel)
		return a->owner_of_rel;
	a->owner_rel = rel;
	i = triples_find(&a->owners, rel->schema, rel->name);
	a->owner_of_rel = i < a->owners.n ? a->owners.v[i * 3 + 2] : NULL;
	return a->owner_of_rel;
}

/*
 * The columns of rel that are identity GENERATED ALWAYS on the replica,
 * one flag each, or NULL when none is: an UPDATE may not set them, even
 * to their own value, and on the source no UPDATE changed them.
 */
const uint8_t *
apply_always_identity(struct applier *a, const struct pgtt_relation *rel)
{
	struct always_cache	*c;
	size_t			 i, k;
	uint16_t		 col;

	for (i = a->nacache; i > 0; i--)
		if (a->acache[i - 1].rel == rel)
			return a->acache[i - 1].cols;
	a->acache = xreallocarray(a->acache, a->nacache + 1,
	    sizeof *a->acache);
	c = &a->acache[a->nacache++];
	c->rel = rel;
	c->cols = NULL;
	for (k = triples_find(&a->always, rel->schema, rel->name);
	    k < a->always.n && strcmp(a->always.v[k * 3], rel->schema) == 0 &&
	    strcmp(a->always.v[k * 3 + 1], rel->name) == 0; k++)
		for (col = 0; col < rel->ncols; col++)
			if (strcmp(rel->cols[col].name,
			    a->always.v[k * 3 + 2]) == 0) {
				if (c->cols == NULL)
					c->cols = xcalloc(rel->ncols, 1);
				c->cols[col] = 1;
			}
	return c->cols;
}

/*
 * Did an UPDATE give a GENERATED ALWAYS identity column a new value (SET
 * col = DEFAULT)?  Only where the old image holds the column: all of it,
 * or a key column.
 */
int
apply_identity_moved(struct applier *a, const struct pgtt_relation *rel,
    const struct pgtt_tuple *set, const struct pgtt_tuple *old, int full)
{
	const uint8_t	*always = apply_always_identity(a, rel);
	uint16_t	 i;

	for (i = 0; always != NULL && i < rel->ncols; i++)
		if (always[i] && (full || rel->cols[i].is_key) &&
		    rowsql_col(set, i)->kind != COL_TOAST &&
		    rowsql_col(old, i)->kind != COL_TOAST &&
		    !rowsql_same_value(rowsql_col(set, i), rowsql_col(old, i)))
			return 1;
	return 0;
}

/*
 * Or did it, maybe?  An update found by a key that leaves a GENERATED
 * ALWAYS column out of it has no old value of that column to compare
 * with (the values an ADD COLUMN ... GENERATED ALWAYS AS IDENTITY gave
 * every row come that way): written whole when the new row holds every
 * value, left out of SET as before when it does not.
 */
int
apply_identity_unknown(struct applier *a, const struct pgtt_relation *rel,
    const struct pgtt_tuple *set)
{
	const uint8_t	*always = apply_always_identity(a, rel);
	uint16_t	 i;
	int		 any = 0;

	for (i = 0; always != NULL && i < rel->ncols; i++) {
		if (rowsql_col(set, i)->kind == COL_TOAST)
			return 0;
		any |= always[i] && !rel->cols[i].is_key;
	}
	return any;
}
