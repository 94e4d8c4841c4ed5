/*
 * setup-publication.c: the tables setup captures and the publication
 * that carries them: which tables are in scope, which of them have an
 * identity for updates and deletes, and the publication brought to match
 * (one for all tables, or one listing them, with the insert-only one for
 * tables without an identity).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ident.h"
#include "pg.h"
#include "setup-int.h"
#include "xmalloc.h"

PGresult *
source_tables(PGconn *conn, const struct config *cfg, struct pgtt_err *err)
{
	const char		*params[3];
	char			*inserts = source_inserts_publication(
	    cfg->source.publication);
	struct buf		 b;
	size_t			 i;
	PGresult		*res;

	/* One text[] parameter: no table name is spliced into SQL. */
	buf_init(&b);
	buf_append(&b, "{", 1);
	for (i = 0; i < cfg->source.ntables; i++) {
		const char	*p;

		if (i > 0)
			buf_append(&b, ",", 1);
		buf_append(&b, "\"", 1);
		for (p = cfg->source.tables[i]; *p != '\0'; p++) {
			if (*p == '"' || *p == '\\')
				buf_append(&b, "\\", 1);
			buf_append(&b, p, 1);
		}
		buf_append(&b, "\"", 1);
	}
	buf_append(&b, "}", 2);

	params[0] = cfg->source.publication;
	params[1] = cfg->source.ntables == 0 ? NULL : (char *)b.data;
	params[2] = inserts;
	res = pg_exec(conn, err,
	    "WITH wanted AS ("
	    "  SELECT c.oid FROM pg_class c"
	    "  JOIN pg_namespace n ON n.oid = c.relnamespace"
	    "  WHERE $2::text[] IS NULL AND c.relkind = 'r'"
	    "  AND c.relpersistence IN ('p', 'u')"
	    "  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgtt')"
	    "  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
	    "  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid"
	    "   AND d.classid = 'pg_class'::regclass AND d.deptype = 'e')"
	    "  UNION"
	    "  SELECT to_regclass(t) FROM unnest($2::text[]) t"
	    ")"
	    " SELECT n.nspname, c.relname, c.oid::regclass::text, c.relreplident,"
	    "  CASE c.relreplident"
	    "   WHEN 'f' THEN true"
	    "   WHEN 'd' THEN EXISTS (SELECT 1 FROM pg_index i"
	    "    WHERE i.indrelid = c.oid AND i.indisprimary)"
	    "   WHEN 'i' THEN EXISTS (SELECT 1 FROM pg_index i"
	    "    WHERE i.indrelid = c.oid AND i.indisreplident)"
	    "   ELSE false END,"
	    "  EXISTS (SELECT 1 FROM pg_publication_rel pr"
	    "   JOIN pg_publication p ON p.oid = pr.prpubid"
	    "   WHERE p.pubname = $1 AND pr.prrelid = c.oid),"
	    "  EXISTS (SELECT 1 FROM pg_publication_rel pr"
	    "   JOIN pg_publication p ON p.oid = pr.prpubid"
	    "   WHERE p.pubname = $3 AND pr.prrelid = c.oid),"
	    "  c.relpersistence"
	    " FROM wanted w JOIN pg_class c ON c.oid = w.oid"
	    " JOIN pg_namespace n ON n.oid = c.relnamespace"
	    " ORDER BY 1, 2", 3, params);
	buf_done(&b);
	free(inserts);
	return res;
}

/* Find configured tables that do not exist, to name them in the error. */
static int
check_tables_exist(struct setup_ctx *sc)
{
	const struct config	*cfg = sc->cfg;
	PGresult		*res;
	const char		*param;
	size_t			 i;

	for (i = 0; i < cfg->source.ntables; i++) {
		param = cfg->source.tables[i];
		res = pg_exec(sc->conn, sc->err,
		    "SELECT to_regclass($1) IS NOT NULL", 1, &param);
		if (res == NULL && strstr(sc->err->detail, "42602") == NULL)
			return sc->err->code;
		if (res == NULL || !pg_bool(res, 0, 0)) {
			PQclear(res);
			err_set(sc->err, PGTT_ECONFIG, res == NULL ?
			    "table \"%s\" in source.tables is not a valid "
			    "table name" : "table \"%s\" in source.tables "
			    "does not exist on the source", param);
			err_hint(sc->err, "write names as psql takes them: "
			    "schema.name, with double quotes around names "
			    "that keep their case, like '\"Sales\".\"Order "
			    "Items\"'");
			if (cfg->path != NULL)
				err_where(sc->err, "%s", cfg->path);
			return sc->err->code;
		}
		PQclear(res);
	}
	return 0;
}

/* Run "ALTER PUBLICATION pub ADD|DROP TABLE list" when list is not empty. */
static int
alter_publication(struct setup_ctx *sc, const char *qpub, const char *verb,
    struct buf *list, int n)
{
	char	*sql;
	int	 ret;

	if (n == 0)
		return 0;
	xasprintf(&sql, "ALTER PUBLICATION %s %s TABLE %s", qpub, verb,
	    (char *)list->data);
	ret = setup_sql(sc, sql);
	free(sql);
	return ret;
}

static void
list_add(struct buf *list, int *n, const char *qname)
{
	if (*n > 0)
		list->len--;	/* the NUL that ends it so far */
	buf_append(list, *n > 0 ? ", " : "", *n > 0 ? 2 : 0);
	buf_append(list, qname, strlen(qname));
	buf_append(list, "", 1);
	(*n)++;
}

/*
 * Publish every table in scope: whole (the publication) when it has a
 * usable replica identity, after giving tables REPLICA IDENTITY FULL
 * where the config asks for full row images; else its INSERTs and
 * TRUNCATEs alone (the insert-only publication), since publishing its
 * UPDATE and DELETE would make them fail on the source.  A table moves
 * between the two as it gains or loses a key.  One transaction.
 */
int
setup_ensure_publication(struct setup_ctx *sc)
{
	const struct config	*cfg = sc->cfg;
	PGresult		*tables = NULL, *pub = NULL;
	struct buf		 add, ins, unins, unpub;
	char			*qpub, *qins, *sql, *inserts;
	const char		*params[2];
	int			 i, nadd = 0, nins = 0, nunins = 0, nunpub = 0;
	int			 exists, ins_exists, ret;

	if ((ret = check_tables_exist(sc)) != 0)
		return ret;
	if ((ret = setup_sql(sc, "BEGIN")) != 0 ||
	    (ret = setup_sql(sc, "SET LOCAL lock_timeout = '" LOCK_TIMEOUT "'")) != 0)
		return ret;
	inserts = source_inserts_publication(cfg->source.publication);
	params[0] = cfg->source.publication;
	params[1] = inserts;
	if ((tables = source_tables(sc->conn, cfg, sc->err)) == NULL ||
	    (pub = pg_exec(sc->conn, sc->err, "SELECT (SELECT puballtables "
	    "FROM pg_publication WHERE pubname = $1), EXISTS (SELECT 1 FROM "
	    "pg_publication WHERE pubname = $2)", 2, params)) == NULL) {
		free(inserts);
		goto fail;
	}
	exists = pg_value(pub, 0, 0) != NULL;
	ins_exists = pg_bool(pub, 0, 1);
	qpub = ident_quoted(cfg->source.publication);
	qins = ident_quoted(inserts);
	free(inserts);

	buf_init(&add);
	buf_init(&ins);
	buf_init(&unins);
	buf_init(&unpub);
	for (i = 0; i < PQntuples(tables); i++) {
		const char	*qname = PQgetvalue(tables, i, 2);
		char		 replident = PQgetvalue(tables, i, 3)[0];
		int		 usable = pg_bool(tables, i, 4);
		int		 published = pg_bool(tables, i, 5);
		int		 in_inserts = pg_bool(tables, i, 6);

		if (PQgetvalue(tables, i, 7)[0] == 'u') {
			setup_step(sc, SETUP_SKIPPED, "unlogged: its changes "
			    "are not written to the WAL, so nothing can "
			    "capture them", "table %s", qname);
			continue;
		}
		if (cfg->source.full_row_images && replident != 'f') {
			xasprintf(&sql, "ALTER TABLE %s REPLICA IDENTITY FULL",
			    qname);
			ret = setup_sql(sc, sql);
			free(sql);
			if (ret != 0)
				goto fail_free;
			setup_step(sc, SETUP_CHANGED, "source.full_row_images is "
			    "true", "replica identity of table %s: full",
			    qname);
			usable = 1;
		}
		if (!usable) {
			char	*note;

			xasprintf(&note, "%s: its INSERTs and TRUNCATEs are "
			    "captured, not its UPDATEs and DELETEs (publishing "
			    "them would make them fail on the source); add a "
			    "primary key or set source.full_row_images: true, "
			    "then run setup again",
			    source_partial_reason(replident));
			setup_step(sc, SETUP_PARTIAL, note, "table %s", qname);
			free(note);
			if (published && !(exists && pg_bool(pub, 0, 0)))
				list_add(&unpub, &nunpub, qname);
			if (!in_inserts)
				list_add(&ins, &nins, qname);
			continue;
		}
		if (in_inserts)
			list_add(&unins, &nunins, qname);
		if (published || (exists && pg_bool(pub, 0, 0)))
			continue;
		list_add(&add, &nadd, qname);
	}

	if (!exists) {
		if (nadd > 0)
			xasprintf(&sql, "CREATE PUBLICATION %s FOR TABLE %s",
			    qpub, (char *)add.data);
		else
			xasprintf(&sql, "CREATE PUBLICATION %s", qpub);
		ret = setup_sql(sc, sql);
		free(sql);
		if (ret == 0)
			setup_step(sc, SETUP_CREATED, nadd > 0 ? (char *)add.data :
			    "no tables yet", "publication %s (%d tables)",
			    qpub, nadd);
	} else if (nadd > 0 || nunpub > 0) {
		if ((ret = alter_publication(sc, qpub, "ADD", &add, nadd)) ==
		    0 && (ret = alter_publication(sc, qpub, "DROP", &unpub,
		    nunpub)) == 0)
			setup_step(sc, SETUP_CHANGED, nadd > 0 ? (char *)add.data :
			    (char *)unpub.data, "publication %s (%d tables "
			    "added, %d moved to %s)", qpub, nadd, nunpub, qins);
	} else
		setup_step(sc, SETUP_EXISTS, pg_bool(pub, 0, 0) ?
		    "FOR ALL TABLES, made outside pgtt" : NULL,
		    "publication %s", qpub);
	if (ret != 0)
		goto fail_free;

	if (!ins_exists) {
		if (nins > 0)
			xasprintf(&sql, "CREATE PUBLICATION %s FOR TABLE %s "
			    "WITH (publish = 'insert, truncate')", qins,
			    (char *)ins.data);
		else
			xasprintf(&sql, "CREATE PUBLICATION %s WITH (publish = "
			    "'insert, truncate')", qins);
		ret = setup_sql(sc, sql);
		free(sql);
		if (ret == 0)
			setup_step(sc, SETUP_CREATED, nins > 0 ? (char *)ins.data :
			    "no tables yet", "publication %s (INSERT and "
			    "TRUNCATE only, %d tables)", qins, nins);
	} else if (nins > 0 || nunins > 0) {
		if ((ret = alter_publication(sc, qins, "ADD", &ins, nins)) ==
		    0 && (ret = alter_publication(sc, qins, "DROP", &unins,
		    nunins)) == 0)
			setup_step(sc, SETUP_CHANGED, nins > 0 ? (char *)ins.data :
			    (char *)unins.data, "publication %s (%d tables "
			    "added, %d now published whole)", qins, nins,
			    nunins);
	} else
		setup_step(sc, SETUP_EXISTS, NULL, "publication %s (INSERT and "
		    "TRUNCATE only)", qins);
	if (ret != 0)
		goto fail_free;
	buf_done(&add);
	buf_done(&ins);
	buf_done(&unins);
	buf_done(&unpub);
	free(qpub);
	free(qins);
	PQclear(tables);
	PQclear(pub);
	return setup_sql(sc, "COMMIT");

fail_free:
	buf_done(&add);
	buf_done(&ins);
	buf_done(&unins);
	buf_done(&unpub);
	free(qpub);
	free(qins);
fail:
	PQclear(tables);
	PQclear(pub);
	if (!sc->dry_run)
		PQclear(PQexec(sc->conn, "ROLLBACK"));
	if (sc->err->code == PGTT_EDB &&
	    strstr(sc->err->detail, "42501") != NULL)
		err_hint(sc->err, "setup must run as the owner of the tables "
		    "or as a superuser");
	if (sc->err->code == PGTT_EDB &&
	    strstr(sc->err->detail, "55P03") != NULL)
		err_hint(sc->err, "another session holds a lock on a table; "
		    "setup gave up after " LOCK_TIMEOUT " rather than block "
		    "the source's queries: run it again later");
	return sc->err->code;
}
