/*
 * apply.c: the statements replay sends (their text: apply-sql.c), and the
 * pipeline that carries them.
 *
 * A statement is prepared once per relation version, operation and shape,
 * and named by a key that encodes all three, so a change of columns (a
 * new relation version after DDL) or of NULLs in the row identity gets a
 * statement of its own.  Rows are found by their replica identity columns;
 * a table whose identity is FULL may hold duplicate rows, so there the
 * statement touches exactly one of the rows that match, as PostgreSQL's
 * own apply does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply-int.h"
#include "hash.h"
#include "logfile.h"
#include "ident.h"
#include "pg.h"
#include "xmalloc.h"

static const char *const op_names[] = { "insert", "update", "delete" };

int
applier_new(struct applier **out, PGconn *conn, struct pgtt_err *err)
{
	struct applier	*a;
	PGresult	*res;

	a = xcalloc(1, sizeof *a);
	a->conn = conn;
	if ((res = pg_exec(conn, err, "SELECT pg_catalog.replace(pg_catalog."
	    "gen_random_uuid()::pg_catalog.text, '-', '')", 0, NULL)) == NULL) {
		free(a);
		return err->code;
	}
	snprintf(a->nonce, sizeof a->nonce, "%.16s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (PQenterPipelineMode(conn) != 1) {
		free(a);
		return err_set(err, PGTT_EDB, "could not enter pipeline mode "
		    "on the replica: %s", PQerrorMessage(conn));
	}
	a->fifo = xcalloc(FIFO_SIZE, sizeof *a->fifo);
	buf_init(&a->key);
	buf_init(&a->text);
	*out = a;
	return 0;
}

/*
 * Forget the row statements: the server keeps them (and their functions)
 * under names that are not used again.
 */
void
apply_forget_row_statements(struct applier *a)
{
	struct stmt	*s, *next;
	size_t		 i;

	for (i = 0; i < NBUCKETS; i++) {
		for (s = a->buckets[i]; s != NULL; s = next) {
			next = s->next;
			free(s->key);
			free(s->what);
			free(s);
		}
		a->buckets[i] = NULL;
	}
}

/* Forget every statement, after the server was told DEALLOCATE ALL. */
static void
forget_statements(struct applier *a)
{
	apply_forget_row_statements(a);
	a->position_prepared = 0;
}

void
applier_free(struct applier *a)
{
	size_t	i;

	if (a == NULL)
		return;
	apply_forget_catalog(a);
	if (PQpipelineStatus(a->conn) != PQ_PIPELINE_OFF)
		PQexitPipelineMode(a->conn);
	forget_statements(a);
	for (i = 0; i < a->cap; i++)
		free(a->values[i]);
	free(a->values);
	free(a->sql.typecols);
	free(a->types);
	free(a->fifo);
	buf_done(&a->key);
	buf_done(&a->text);
	free(a);
}

/* --- statements --- */

static void
ensure_params(struct applier *a, size_t n)
{
	size_t	i;

	if (n <= a->cap)
		return;
	a->values = xreallocarray(a->values, n, sizeof *a->values);
	a->types = xreallocarray(a->types, n, sizeof *a->types);
	for (i = a->cap; i < n; i++)
		a->values[i] = NULL;
	a->cap = n;
}

static struct stmt *
stmt_find(struct applier *a)
{
	struct stmt	*s;
	unsigned	 h = hash_bytes(HASH_INIT, a->key.data, a->key.len) % NBUCKETS;

	for (s = a->buckets[h]; s != NULL; s = s->next)
		if (strlen(s->key) == a->key.len &&
		    memcmp(s->key, a->key.data, a->key.len) == 0)
			return s;
	return NULL;
}

static struct stmt *
stmt_add(struct applier *a, const char *what)
{
	struct stmt	*s = xcalloc(1, sizeof *s);
	unsigned	 h = hash_bytes(HASH_INIT, a->key.data, a->key.len) % NBUCKETS;

	s->key = xstrndup((const char *)a->key.data, a->key.len);
	snprintf(s->name, sizeof s->name, "pgtt_%u", a->nstmts++);
	s->what = xstrdup(what);
	s->next = a->buckets[h];
	a->buckets[h] = s;
	return s;
}

static void
set_param(struct applier *a, size_t i, const struct pgtt_col *c)
{
	free(a->values[i]);
	a->values[i] = c->kind == COL_TEXT ? xstrndup(c->val, c->len) : NULL;
}

/*
 * Parameter types in build_sql's order: built-in types by OID; a user
 * type's OID differs between servers, so the server infers it from the
 * column.
 */
static int
param_types(struct applier *a, const struct pgtt_relation *rel,
    const char *roles)
{
	uint16_t	i;
	int		n = 0, pass;

	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < rel->ncols; i++) {
			uint32_t oid = rel->cols[i].type_oid;

			if (pass == 0 ? !rowsql_sets(roles[i]) :
			    !rowsql_where(roles[i]))
				continue;
			a->types[n++] = oid < ROWSQL_FIRST_USER_OID ? oid : 0;
		}
	return n;
}

/* A text[] or oid[] literal: each element double-quoted and escaped. */
static void
array_add(struct buf *b, const char *elem, int first)
{
	const char	*p;

	rowsql_add(b, first ? "{\"" : ",\"");
	for (p = elem; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_append(b, "\\", 1);
		buf_append(b, p, 1);
	}
	rowsql_add(b, "\"");
}

/*
 * The owner of rel may not be trusted as the replay role is: its rows
 * are written inside a SECURITY DEFINER function of the owner, made on
 * the server from the template in a->text (replica.c, replay_row_fn),
 * and a->text becomes the call of that function.  The owner is looked
 * up there, so a table whose owner DDL just changed gets the right one.
 */
static int
make_row_function(struct applier *a, const struct pgtt_change *ch,
    const struct pgtt_relation *rel, const struct stmt *ns, int nparams,
    struct pgtt_err *err)
{
	struct buf	 table, types, cols;
	const char	*params[5];
	char		 fname[64], num[48];
	size_t		 i;
	int		 ret;

	snprintf(fname, sizeof fname, "row_%s_%s", a->nonce, ns->name);
	buf_init(&table);
	buf_init(&types);
	buf_init(&cols);
	rowsql_table(&a->sql, &table, rel);
	buf_append(&table, "", 1);
	rowsql_add(&types, "{");
	for (i = 0; i < (size_t)nparams; i++) {
		snprintf(num, sizeof num, "%s%u", i > 0 ? "," : "",
		    (unsigned)a->types[i]);
		rowsql_add(&types, num);
	}
	rowsql_add(&types, "}");
	buf_append(&types, "", 1);
	for (i = 0; i < a->sql.ntypecols; i++)
		array_add(&cols, a->sql.typecols[i], i == 0);
	rowsql_add(&cols, a->sql.ntypecols == 0 ? "{}" : "}");
	buf_append(&cols, "", 1);
	params[0] = fname;
	params[1] = (const char *)table.data;
	params[2] = (const char *)a->text.data;
	params[3] = (const char *)types.data;
	params[4] = (const char *)cols.data;
	ret = apply_send_sql(a, "SELECT pgtt.replay_row_fn($1, $2::pg_catalog."
	    "regclass, $3, $4::pg_catalog.oid[], $5::pg_catalog.name[])", 5,
	    params, ch->commit_lsn, ch->seq, ns->what, err);
	buf_done(&table);
	buf_done(&types);
	buf_done(&cols);
	if (ret != 0)
		return ret;

	/* Wider than a function's 100 arguments: one text array. */
	buf_reset(&a->text);
	rowsql_add(&a->text, "SELECT pgtt.");
	rowsql_add(&a->text, fname);
	rowsql_add(&a->text, nparams > FUNC_MAX_ARGS ? "(ARRAY[" : "(");
	for (i = 0; i < (size_t)nparams; i++) {
		snprintf(num, sizeof num, "%s$%zu%s", i > 0 ? ", " : "", i + 1,
		    nparams > FUNC_MAX_ARGS ? "::pg_catalog.text" : "");
		rowsql_add(&a->text, num);
		if (nparams > FUNC_MAX_ARGS)
			a->types[i] = TEXTOID;
	}
	rowsql_add(&a->text, nparams > FUNC_MAX_ARGS ? "])" : ")");
	buf_append(&a->text, "", 1);
	return 0;
}

/*
 * One row statement: op on rel, setting the columns of set and finding
 * the row by the identity of where, as rowsql_roles takes them.
 */
static int
queue_row(struct applier *a, const struct pgtt_change *ch,
    const struct pgtt_relation *rel, enum change_kind op,
    const struct pgtt_tuple *set, const struct pgtt_tuple *where,
    const struct pgtt_tuple *fallback, struct pgtt_err *err)
{
	char			 head[96], *roles;
	const uint8_t		*always;
	const struct pgtt_col	*wc;
	const struct stmt	*s;
	uint16_t		 i;
	size_t			 n = 0;
	int			 routed;

	always = op == CHANGE_UPDATE ? apply_always_identity(a, rel) : NULL;
	if (rowsql_roles(ch, rel, op, set, where, fallback, always, &roles,
	    err) != 0)
		return err->code;
	if (roles == NULL)
		return 0;	/* it sets nothing: the row stays as it is */

	routed = a->owners_stale || apply_owner_of(a, rel) != NULL;
	snprintf(head, sizeof head, "%u/%llx/%u/%d/%c", rel->relid,
	    (unsigned long long)rel->lsn, rel->seq, (int)op, routed ? 'f' : 'd');
	buf_reset(&a->key);
	rowsql_add(&a->key, head);
	rowsql_add(&a->key, roles);
	if ((s = stmt_find(a)) == NULL) {
		struct stmt	*ns;
		char		 what[160];
		int		 ok, nparams;

		snprintf(what, sizeof what, "%s of %s.%s",
		    op_names[op - CHANGE_INSERT], rel->schema, rel->name);
		ns = stmt_add(a, what);
		ensure_params(a, (size_t)rel->ncols * 2);
		a->sql.template = routed;
		a->sql.ntypecols = 0;
		rowsql_statement(&a->sql, &a->text, op, rel, roles);
		a->sql.template = 0;
		nparams = param_types(a, rel, roles);
		if (routed && make_row_function(a, ch, rel, ns, nparams,
		    err) != 0) {
			free(roles);
			return err->code;
		}
		ok = PQsendPrepare(a->conn, ns->name, (char *)a->text.data,
		    nparams, a->types);
		if (apply_sent(a, ok, PEND_CMD, ch->commit_lsn, ch->seq,
		    ns->what, err) != 0) {
			free(roles);
			return err->code;
		}
		s = ns;
	}

	/* Parameters in build_sql's order: set values, then identity. */
	ensure_params(a, (size_t)rel->ncols * 2);
	for (i = 0; i < rel->ncols; i++)
		if (rowsql_sets(roles[i]))
			set_param(a, n++, rowsql_col(set, i));
	for (i = 0; i < rel->ncols; i++) {
		if (!rowsql_where(roles[i]))
			continue;
		wc = rowsql_col(where, i);
		if (wc->kind == COL_TOAST)
			wc = rowsql_col(fallback, i);
		set_param(a, n++, wc);
	}
	free(roles);
	return apply_sent(a, PQsendQueryPrepared(a->conn, s->name, (int)n,
	    (const char *const *)a->values, NULL, NULL, 0), PEND_CMD,
	    ch->commit_lsn, ch->seq, s->what, err);
}

int
apply_rows(struct applier *a, const struct pgtt_relation *rel,
    enum change_kind op, const uint8_t *is_key, const char *json,
    pgtt_lsn lsn, struct pgtt_err *err)
{
	struct pgtt_change	 ch;
	const struct stmt	*s;
	const uint8_t		*always;
	const char		*params[1] = { json };
	char			 head[96];
	uint16_t		 i;
	int			 routed;

	memset(&ch, 0, sizeof ch);
	ch.commit_lsn = lsn;
	ch.kind = op;
	always = op == CHANGE_UPDATE ? apply_always_identity(a, rel) : NULL;
	routed = a->owners_stale || apply_owner_of(a, rel) != NULL;
	snprintf(head, sizeof head, "%u/%llx/%u/%d/%c/rows/", rel->relid,
	    (unsigned long long)rel->lsn, rel->seq, (int)op, routed ? 'f' : 'd');
	buf_reset(&a->key);
	rowsql_add(&a->key, head);
	for (i = 0; i < rel->ncols; i++)
		buf_append(&a->key, is_key[i] ? "k" : "-", 1);
	if ((s = stmt_find(a)) == NULL) {
		struct stmt	*ns;
		char		 what[160];

		ensure_params(a, 1);
		a->sql.template = routed;
		a->sql.ntypecols = 0;
		if (rowsql_set_statement(&a->sql, &a->text, op, rel, is_key,
		    always) == 0) {
			a->sql.template = 0;
			return 0;	/* an update with nothing to set */
		}
		a->sql.template = 0;
		snprintf(what, sizeof what, "%ss of %s.%s",
		    op_names[op - CHANGE_INSERT], rel->schema, rel->name);
		ns = stmt_add(a, what);
		a->types[0] = JSONOID;
		if (routed && make_row_function(a, &ch, rel, ns, 1, err) != 0)
			return err->code;
		if (apply_sent(a, PQsendPrepare(a->conn, ns->name,
		    (char *)a->text.data, 1, a->types), PEND_CMD, lsn, 0,
		    ns->what, err) != 0)
			return err->code;
		s = ns;
	}
	return apply_sent(a, PQsendQueryPrepared(a->conn, s->name, 1, params,
	    NULL, NULL, 0), PEND_CMD, lsn, 0, s->what, err);
}

int
apply_copy_rows(struct applier *a, const struct pgtt_relation *rel,
    pgtt_lsn lsn, int *copying, struct pgtt_err *err)
{
	char		what[200];
	uint16_t	i;

	*copying = 0;
	/* COPY cannot run as the owner: such rows go as statements. */
	if (a->owners_stale || apply_owner_of(a, rel) != NULL)
		return 0;
	buf_reset(&a->text);
	rowsql_add(&a->text, "COPY ");
	rowsql_table(&a->sql, &a->text, rel);
	rowsql_add(&a->text, " (");
	for (i = 0; i < rel->ncols; i++) {
		rowsql_add(&a->text, i > 0 ? ", " : "");
		rowsql_ident(&a->sql, &a->text, rel->cols[i].name);
	}
	rowsql_add(&a->text, ") FROM STDIN");
	buf_append(&a->text, "", 1);
	snprintf(what, sizeof what, "inserts of %s.%s", rel->schema,
	    rel->name);
	return apply_copy_begin(a, (const char *)a->text.data, lsn, what,
	    copying, err);
}

int
apply_rollback(struct applier *a, struct pgtt_err *err)
{
	/*
	 * A statement that failed aborts the pipeline up to a sync, which
	 * would skip a ROLLBACK sent before it.  Statements and row
	 * functions made inside are gone with the transaction.
	 */
	if (apply_sync_all(a, err) != 0)
		return err->code;
	forget_statements(a);
	if (apply_send_sql(a, "ROLLBACK", 0, NULL, 0, 0, "ROLLBACK",
	    err) != 0 ||
	    apply_send_sql(a, "DEALLOCATE ALL", 0, NULL, 0, 0, "DEALLOCATE",
	    err) != 0 ||
	    apply_sync_all(a, err) != 0)
		return err->code;
	a->failed = 0;
	return 0;
}

/* --- savepoint mode --- */

static int
savepoint_open(struct applier *a, struct pgtt_err *err)
{
	if (!a->savepoints)
		return 0;
	return apply_send_sql(a, "SAVEPOINT pgtt_change", 0, NULL, 0, 0,
	    "savepoint", err);
}

/* After a change in savepoint mode: keep it, or roll it back alone. */
static int
savepoint_close(struct applier *a, struct pgtt_err *err)
{
	char	l[LSN_BUFSIZE];
	int	ret;

	if (!a->savepoints)
		return 0;
	if ((ret = apply_sync_all(a, err)) != 0)
		return ret;
	if (!a->failed)
		return apply_send_sql(a, "RELEASE SAVEPOINT pgtt_change", 0,
		    NULL, 0, 0, "savepoint", err);
	/*
	 * Cancelled, or a lock it could not get: not the change's fault,
	 * and not one to skip.  The transaction fails whole.
	 */
	if (strcmp(a->failure.sqlstate, "57014") == 0 ||
	    strcmp(a->failure.sqlstate, "55P03") == 0)
		return 0;
	if (a->skipped++ == 0)
		a->first_skipped = a->failure;
	log_msg(LOG_LEVEL_WARNING, "replay skipped change %s #%u (%s): %s",
	    lsn_format(a->failure.lsn, l), a->failure.seq, a->failure.what,
	    a->failure.message);
	a->failed = 0;
	/* A statement prepared inside the failed part may not exist. */
	forget_statements(a);
	if ((ret = apply_send_sql(a, "ROLLBACK TO SAVEPOINT pgtt_change", 0,
	    NULL, 0, 0, "savepoint", err)) != 0 ||
	    (ret = apply_send_sql(a, "DEALLOCATE ALL", 0, NULL, 0, 0,
	    "savepoint", err)) != 0)
		return ret;
	return apply_sync_all(a, err);
}

void
apply_set_savepoints(struct applier *a, int on)
{
	a->savepoints = on;
}

uint64_t
apply_skipped(const struct applier *a)
{
	return a->skipped;
}

const struct apply_failure *
apply_first_skipped(const struct applier *a)
{
	return a->skipped > 0 ? &a->first_skipped : NULL;
}

/* --- the verbs --- */

/*
 * An UPDATE may set such a column only to DEFAULT, which here would
 * draw from the replica's sequence: the row is deleted and inserted
 * again with the source's values, as an INSERT may.  The values the
 * update left TOASTed come from the whole old row, when there is one.
 */
static int
queue_identity_move(struct applier *a, const struct pgtt_change *ch,
    const struct pgtt_relation *rel, const struct pgtt_tuple *set,
    const struct pgtt_tuple *old, int full, struct pgtt_err *err)
{
	struct pgtt_tuple	row;
	char			l[LSN_BUFSIZE];
	uint16_t		i;
	int			ret;

	row.ncols = rel->ncols;
	row.cols = xcalloc(rel->ncols + 1, sizeof *row.cols);
	for (i = 0; i < rel->ncols; i++) {
		row.cols[i] = *rowsql_col(set, i);
		if (row.cols[i].kind == COL_TOAST && full)
			row.cols[i] = *rowsql_col(old, i);
		if (row.cols[i].kind == COL_TOAST) {
			free(row.cols);
			return err_set(err, PGTT_EUSAGE, "change %s #%u gives "
			    "an identity column of %s.%s a new value, and the "
			    "journal lacks the unchanged value of \"%s\" to "
			    "insert the row again with",
			    lsn_format(ch->commit_lsn, l), ch->seq,
			    rel->schema, rel->name, rel->cols[i].name);
		}
	}
	ret = queue_row(a, ch, rel, CHANGE_DELETE, NULL, old, set, err);
	if (ret == 0)
		ret = queue_row(a, ch, rel, CHANGE_INSERT, &row, NULL, NULL,
		    err);
	free(row.cols);
	return ret;
}

int
apply_begin(struct applier *a, struct pgtt_err *err)
{
	a->failed = 0;
	return apply_send_sql(a, "BEGIN", 0, NULL, 0, 0, "BEGIN", err);
}

int
apply_change(struct applier *a, const struct pgtt_relation *rel,
    const struct pgtt_change *ch, int inverse, struct pgtt_err *err)
{
	const struct pgtt_tuple	*old = ch->old_kind != OLD_NONE ? &ch->old :
	    NULL;
	char			 l[LSN_BUFSIZE];
	int			 ret;

	if (inverse && ch->kind != CHANGE_INSERT && ch->old_kind != OLD_FULL)
		return err_set(err, PGTT_EUSAGE, "change %s #%u has no full "
		    "old row to undo it with", lsn_format(ch->commit_lsn, l),
		    ch->seq);
	if ((ret = savepoint_open(a, err)) != 0)
		return ret;
	switch (ch->kind) {
	case CHANGE_INSERT:
		ret = inverse ?
		    queue_row(a, ch, rel, CHANGE_DELETE, NULL, &ch->new, NULL,
		    err) :
		    queue_row(a, ch, rel, CHANGE_INSERT, &ch->new, NULL, NULL,
		    err);
		break;
	case CHANGE_UPDATE:
		if (inverse && apply_identity_moved(a, rel, &ch->old,
		    &ch->new, 1)) {
			ret = queue_identity_move(a, ch, rel, &ch->old,
			    &ch->new, 1, err);
			break;
		}
		if (!inverse && old != NULL && apply_identity_moved(a, rel,
		    &ch->new, old, ch->old_kind == OLD_FULL)) {
			ret = queue_identity_move(a, ch, rel, &ch->new, old,
			    ch->old_kind == OLD_FULL, err);
			break;
		}
		if (!inverse && old == NULL && apply_identity_unknown(a, rel,
		    &ch->new)) {
			ret = queue_identity_move(a, ch, rel, &ch->new,
			    &ch->new, 0, err);
			break;
		}
		/* The new row's unchanged TOASTed values are the old ones. */
		ret = inverse ?
		    queue_row(a, ch, rel, CHANGE_UPDATE, &ch->old, &ch->new,
		    &ch->old, err) :
		    queue_row(a, ch, rel, CHANGE_UPDATE, &ch->new,
		    old != NULL ? old : &ch->new, &ch->new, err);
		break;
	case CHANGE_DELETE:
		ret = inverse ?
		    queue_row(a, ch, rel, CHANGE_INSERT, &ch->old, NULL, NULL,
		    err) :
		    queue_row(a, ch, rel, CHANGE_DELETE, NULL, &ch->old, NULL,
		    err);
		break;
	default:
		return err_set(err, PGTT_EUSAGE, "change %s #%u is not a row "
		    "change", lsn_format(ch->commit_lsn, l), ch->seq);
	}
	if (ret != 0)
		return ret;
	return savepoint_close(a, err);
}

/*
 * Each table is truncated on its own, inside a function of its owner made
 * for it as row functions are (replica.c, replay_row_fn): its ON TRUNCATE
 * triggers run as the owner, cannot RESET ROLE, and leave nothing in the
 * session.  Tables the CASCADE reaches are checked first.
 */
int
apply_truncate(struct applier *a, const struct pgtt_change *ch,
    const struct pgtt_relation *const *rels, uint32_t nrels,
    struct pgtt_err *err)
{
	const char	*params[5];
	struct buf	 table, call;
	char		 fname[64];
	uint32_t	 i;
	int		 ret;

	if ((ret = savepoint_open(a, err)) != 0)
		return ret;
	buf_init(&table);
	buf_init(&call);
	for (i = 0; i < nrels && ret == 0; i++) {
		buf_reset(&table);
		rowsql_table(&a->sql, &table, rels[i]);
		buf_append(&table, "", 1);
		a->sql.template = 1;
		rowsql_truncate(&a->sql, &a->text, rels[i],
		    ch->truncate_flags & 2);
		a->sql.template = 0;
		snprintf(fname, sizeof fname, "row_%s_t%u", a->nonce,
		    a->nstmts++);
		params[0] = fname;
		params[1] = (const char *)table.data;
		params[2] = (const char *)a->text.data;
		params[3] = "{}";
		params[4] = "{}";
		buf_reset(&call);
		rowsql_add(&call, "SELECT pgtt.");
		rowsql_add(&call, fname);
		rowsql_add(&call, "()");
		buf_append(&call, "", 1);
		if ((ret = apply_send_sql(a,
		    "SELECT pgtt.replay_truncate_check($1::"
		    "pg_catalog.regclass)", 1, params + 1, ch->commit_lsn,
		    ch->seq, "truncate", err)) == 0 &&
		    (ret = apply_send_sql(a,
		    "SELECT pgtt.replay_row_fn($1, $2::"
		    "pg_catalog.regclass, $3, $4::pg_catalog.oid[], $5::"
		    "pg_catalog.name[])", 5, params, ch->commit_lsn, ch->seq,
		    "truncate", err)) == 0)
			ret = apply_send_sql(a, (const char *)call.data, 0,
			    NULL, ch->commit_lsn, ch->seq, "truncate", err);
	}
	buf_done(&table);
	buf_done(&call);
	if (ret != 0)
		return ret;
	return savepoint_close(a, err);
}

/* Queue set_config(name, value, true) for each setting the message has. */
static int
ddl_settings(struct applier *a, const struct pgtt_change *ch,
    const struct ddl_message *m, struct pgtt_err *err)
{
	const char	*params[2];
	size_t		 i;
	int		 ret;

	for (i = 0; i < DDL_NSETTINGS; i++) {
		params[0] = ddl_setting_names[i];
		if ((params[1] = m->settings[i]) == NULL)
			continue;
		if ((ret = apply_send_sql(a,
		    "SELECT pg_catalog.set_config($1, $2, "
		    "true)", 2, params, ch->commit_lsn, ch->seq, "DDL settings",
		    err)) != 0)
			return ret;
	}
	return 0;
}

static int
ddl_restore(struct applier *a, const struct pgtt_change *ch,
    struct pgtt_err *err)
{
	/*
	 * What the DDL's own code may have changed for the session (a plain
	 * SET outlives SET LOCAL, a temporary object shadows names) is
	 * undone before any statement of pgtt's runs again.
	 */
	static const char *const sql[] = {
		"RESET ROLE",
		"SET search_path TO DEFAULT",
		"DISCARD TEMP",
		"SELECT pgtt.replay_session_guard()",
		"RESET client_encoding",
		"RESET DateStyle",
		"RESET IntervalStyle",
		"RESET TimeZone",
		"RESET lc_monetary",
		"RESET lc_numeric",
		"RESET xmloption",
		"RESET xmlbinary",
		"RESET bytea_output",
		"RESET extra_float_digits",
		"SET LOCAL standard_conforming_strings TO DEFAULT",
		"SET LOCAL check_function_bodies TO DEFAULT",
		"SET LOCAL default_tablespace TO DEFAULT",
		"SET LOCAL default_table_access_method TO DEFAULT",
		"SET LOCAL search_path TO pg_catalog, public",
	};
	size_t	i;
	int	ret;

	for (i = 0; i < sizeof sql / sizeof sql[0]; i++)
		if ((ret = apply_send_sql(a, sql[i], 0, NULL, ch->commit_lsn,
		    ch->seq, "DDL", err)) != 0)
			return ret;
	return 0;
}

/*
 * A change replay will not apply: it fails like a statement the replica
 * refused, with why as the message, so --on-error decides as for any
 * other failure.  The division by zero makes the replica transaction (or
 * savepoint) abort for sure; its own error gives way to ours, which is
 * noted first.
 */
static int
apply_refuse(struct applier *a, const struct pgtt_change *ch,
    const char *why, struct pgtt_err *err)
{
	struct apply_failure	*f = &a->failure;
	int			 ret;

	if ((ret = savepoint_open(a, err)) != 0)
		return ret;
	if (!a->failed) {
		a->failed = 1;
		f->lsn = ch->commit_lsn;
		f->seq = ch->seq;
		snprintf(f->what, sizeof f->what, "DDL");
		snprintf(f->sqlstate, sizeof f->sqlstate, "0A000");
		snprintf(f->message, sizeof f->message, "replay does not run "
		    "%s", why);
	}
	if ((ret = apply_send_sql(a, "SELECT 1 OPERATOR(pg_catalog./) 0", 0,
	    NULL, ch->commit_lsn, ch->seq, "DDL", err)) != 0)
		return ret;
	return savepoint_close(a, err);
}

int
apply_ddl(struct applier *a, const struct pgtt_change *ch,
    const struct ddl_message *m, const struct ddl_step *step,
    struct pgtt_err *err)
{
	const char	*params[4];
	size_t		 i;
	int		 ret;

	switch (step->action) {
	case DDL_ACTION_NONE:
		return 0;
	case DDL_ACTION_REFUSE:
		return apply_refuse(a, ch, step->why, err);
	case DDL_ACTION_RUN:
		break;
	}
	/*
	 * No more privilege than on the source: pgtt.replay_run_as (see
	 * replica.c) runs it as the role of the same name, from which no
	 * code it runs can return to the replay role.
	 */
	params[0] = m->role;
	params[1] = m->superuser ? "t" : "f";
	params[2] = step->statement;
	params[3] = step->search_path != NULL ? step->search_path :
	    m->search_path;
	if ((ret = savepoint_open(a, err)) != 0 ||
	    (ret = ddl_settings(a, ch, m, err)) != 0)
		return ret;
	for (i = 0; i <= step->nafter; i++) {
		if (i > 0) {
			params[2] = step->after[i - 1];
			params[3] = "pg_catalog, pg_temp";
		}
		if ((ret = apply_send_sql(a, "SELECT pgtt.replay_run_as($1::"
		    "pg_catalog.name, $2::pg_catalog.bool, $3, $4)", 4, params,
		    ch->commit_lsn, ch->seq, "DDL", err)) != 0)
			return ret;
	}
	if ((ret = ddl_restore(a, ch, err)) != 0)
		return ret;
	/* A routed statement's function is bound to the owner it had. */
	apply_forget_row_statements(a);
	a->owners_stale = 1;
	if ((ret = savepoint_close(a, err)) != 0 ||
	    (ret = apply_sync_all(a, err)) != 0 || a->failed)
		return ret;
	/*
	 * Owners and identity columns as the statement left them, read in
	 * its transaction: a table it made or gave away is routed by its
	 * owner, an identity column it added (whose rewritten values follow
	 * as updates) counts at once.
	 */
	if ((ret = apply_reload_catalog(a, err)) == 0)
		a->owners_stale = 0;
	return ret;
}

int
apply_position(struct applier *a, pgtt_lsn lsn, int64_t commit_time,
    struct pgtt_err *err)
{
	/* Every name qualified: code replay ran may have left a path. */
	static const char	 sql[] = "UPDATE pgtt.replay_state SET lsn = "
	    "$1::pg_catalog.pg_lsn, commit_time = CASE WHEN $2::pg_catalog.int8 "
	    "IS NULL THEN NULL ELSE pg_catalog.to_timestamp(946684800::"
	    "pg_catalog.float8 OPERATOR(pg_catalog.+) $2::pg_catalog.float8 "
	    "OPERATOR(pg_catalog./) 1000000::pg_catalog.float8) END, "
	    "updated_at = pg_catalog.now()";
	char			 l[LSN_BUFSIZE], t[32];
	const char		*params[2];

	if (!a->position_prepared) {
		if (apply_sent(a, PQsendPrepare(a->conn, "pgtt_position", sql,
		    0, NULL), PEND_CMD, 0, 0, "position", err) != 0)
			return err->code;
		a->position_prepared = 1;
	}
	snprintf(t, sizeof t, "%lld", (long long)commit_time);
	params[0] = lsn_format(lsn, l);
	params[1] = commit_time != 0 ? t : NULL;
	return apply_sent(a, PQsendQueryPrepared(a->conn, "pgtt_position", 2,
	    params, NULL, NULL, 0), PEND_CMD, lsn, 0, "the position update",
	    err);
}

int
apply_commit(struct applier *a, struct apply_failure *failure,
    struct pgtt_err *err)
{
	char	l[LSN_BUFSIZE];
	int	ret;

	if ((ret = apply_send_sql(a, "COMMIT", 0, NULL, 0, 0, "COMMIT",
	    err)) != 0 ||
	    (ret = apply_sync_all(a, err)) != 0)
		return ret;
	if (!a->failed)
		return 0;

	if (failure != NULL)
		*failure = a->failure;
	err_set(err, PGTT_EDB, "could not apply change %s #%u (%s)",
	    lsn_format(a->failure.lsn, l), a->failure.seq, a->failure.what);
	err_detail(err, "%s (SQLSTATE %s)", a->failure.message,
	    a->failure.sqlstate);
	/*
	 * The transaction block is in error: roll it back.  Statements
	 * prepared in the failed part may not exist, so start afresh.
	 */
	if (apply_rollback(a, err) != 0)
		return err->code;
	return PGTT_EDB;
}
