/*
 * replica.c: identifying the replica, its position, and resetting it to
 * the baseline.
 *
 * The reset empties the database with DROP ... CASCADE, statement by
 * statement in one transaction, rather than dropping and creating the
 * database: that would need CREATEDB, a second database to connect to,
 * and would throw out every other session the user has open on it.  The
 * public schema stays (its owner and privileges are the database's), and
 * so does plpgsql.
 */
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "logfile.h"
#include "checkpoint.h"
#include "session.h"
#include "pg.h"
#include "proc.h"
#include "replica.h"
#include "xmalloc.h"

int
replica_identify(PGconn *conn, char **system_id, char **database,
    struct pgtt_err *err)
{
	PGresult	*res;

	res = pg_exec(conn, err, "SELECT system_identifier::text, "
	    "current_database() FROM pg_control_system()", 0, NULL);
	if (res == NULL)
		return err->code;
	*system_id = xstrdup(PQgetvalue(res, 0, 0));
	*database = xstrdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

int
replica_state_read(PGconn *conn, struct replica_state *st,
    struct pgtt_err *err)
{
	PGresult	*res;

	memset(st, 0, sizeof *st);
	res = pg_exec(conn, err, "SELECT to_regclass('pgtt.replay_state') "
	    "IS NOT NULL", 0, NULL);
	if (res == NULL)
		return err->code;
	if (!pg_bool(res, 0, 0)) {
		PQclear(res);
		return 0;
	}
	PQclear(res);
	/* A replica reset by an older pgtt has no privileges column. */
	res = pg_exec(conn, err, "SELECT system_identifier, database, "
	    "lsn::text, coalesce((to_jsonb(s) ->> 'privileges')::boolean, "
	    "false) FROM pgtt.replay_state s", 0, NULL);
	if (res == NULL)
		return err->code;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 2)) {
		st->present = 1;
		snprintf(st->system_id, sizeof st->system_id, "%s",
		    PQgetvalue(res, 0, 0));
		snprintf(st->database, sizeof st->database, "%s",
		    PQgetvalue(res, 0, 1));
		st->lsn = pg_lsn(res, 0, 2);
		st->privileges = pg_bool(res, 0, 3);
	}
	PQclear(res);
	return 0;
}

/* Relations the user would recognise, "schema.name (kind)", sorted. */
static const char inventory_sql[] =
    "SELECT format('%s.%s (%s)', n.nspname, c.relname, CASE c.relkind"
    "  WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'"
    "  WHEN 'S' THEN 'sequence' WHEN 'f' THEN 'foreign table'"
    "  ELSE 'table' END) COLLATE \"C\""
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
    " AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pgtt')"
    " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'"
    " AND NOT c.relispartition"
    " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid ="
    "  'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')"
    "  AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> c.oid)"
    " ORDER BY 1";

/*
 * Every statement that empties the database, in an order where a later
 * one rarely finds its object gone already (IF EXISTS covers that).
 * Objects that belong to an extension go with their extension; a
 * relation that belongs to another (a partition, an owned sequence, a
 * TOAST table) goes with that one.  Database-wide objects that live in
 * this database go too: event triggers, publications, foreign servers
 * and wrappers, casts, languages, access methods and large objects.
 */
static const char drop_sql[] =
    "WITH own AS (SELECT objid, classid FROM pg_depend WHERE deptype = 'e'),"
    " user_oid AS (SELECT 16384::oid AS first)"
    " SELECT format('DROP EVENT TRIGGER IF EXISTS %I CASCADE', evtname)"
    " FROM pg_event_trigger"
    " UNION ALL"
    " SELECT format('DROP PUBLICATION IF EXISTS %I', pubname)"
    " FROM pg_publication"
    " UNION ALL"
    " SELECT format('DROP EXTENSION IF EXISTS %I CASCADE', extname)"
    " FROM pg_extension WHERE extname <> 'plpgsql'"
    " UNION ALL"
    " SELECT format('DROP SCHEMA IF EXISTS %I CASCADE', nspname)"
    " FROM pg_namespace WHERE nspname NOT IN ('pg_catalog',"
    "  'information_schema', 'public') AND nspname NOT LIKE 'pg\\_toast%'"
    "  AND nspname NOT LIKE 'pg\\_temp%'"
    " UNION ALL"
    " SELECT format('DROP %s IF EXISTS public.%I CASCADE', CASE c.relkind"
    "  WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'"
    "  WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE'"
    "  ELSE 'TABLE' END, c.relname)"
    " FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace"
    "  AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
    "  AND NOT c.relispartition"
    "  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid ="
    "  'pg_class'::regclass AND d.objid = c.oid AND (d.deptype = 'e' OR"
    "  (d.deptype IN ('a', 'i') AND d.refclassid = 'pg_class'::regclass"
    "  AND d.refobjid <> c.oid)))"
    " UNION ALL"
    " SELECT format('DROP %s IF EXISTS %s CASCADE', CASE p.prokind"
    "  WHEN 'a' THEN 'AGGREGATE' ELSE 'ROUTINE' END, p.oid::regprocedure)"
    " FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace"
    "  AND p.oid NOT IN (SELECT objid FROM own)"
    " UNION ALL"
    " SELECT format('DROP OPERATOR IF EXISTS %s CASCADE', o.oid::regoperator)"
    " FROM pg_operator o WHERE o.oprnamespace = 'public'::regnamespace"
    "  AND o.oid NOT IN (SELECT objid FROM own)"
    " UNION ALL"
    " SELECT format('DROP OPERATOR FAMILY IF EXISTS public.%I USING %I"
    "  CASCADE', f.opfname, a.amname)"
    " FROM pg_opfamily f JOIN pg_am a ON a.oid = f.opfmethod"
    " WHERE f.opfnamespace = 'public'::regnamespace"
    "  AND f.oid NOT IN (SELECT objid FROM own)"
    " UNION ALL"
    " SELECT format('DROP %s IF EXISTS public.%I CASCADE', k, name) FROM ("
    "  SELECT 'COLLATION' AS k, collname AS name, oid FROM pg_collation"
    "   WHERE collnamespace = 'public'::regnamespace"
    "  UNION ALL SELECT 'CONVERSION', conname, oid FROM pg_conversion"
    "   WHERE connamespace = 'public'::regnamespace"
    "  UNION ALL SELECT 'STATISTICS', stxname, oid FROM pg_statistic_ext"
    "   WHERE stxnamespace = 'public'::regnamespace"
    "  UNION ALL SELECT 'TEXT SEARCH CONFIGURATION', cfgname, oid"
    "   FROM pg_ts_config WHERE cfgnamespace = 'public'::regnamespace"
    "  UNION ALL SELECT 'TEXT SEARCH DICTIONARY', dictname, oid"
    "   FROM pg_ts_dict WHERE dictnamespace = 'public'::regnamespace"
    "  UNION ALL SELECT 'TEXT SEARCH PARSER', prsname, oid"
    "   FROM pg_ts_parser WHERE prsnamespace = 'public'::regnamespace"
    "  UNION ALL SELECT 'TEXT SEARCH TEMPLATE', tmplname, oid"
    "   FROM pg_ts_template WHERE tmplnamespace = 'public'::regnamespace"
    " ) x WHERE x.oid NOT IN (SELECT objid FROM own)"
    " UNION ALL"
    " SELECT format('DROP %s IF EXISTS %s CASCADE', CASE t.typtype"
    "  WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, t.oid::regtype)"
    " FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace"
    "  AND (t.typtype IN ('d', 'e', 'r', 'b', 'm') OR (t.typtype = 'c' AND"
    "  (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))"
    "  AND t.typelem = 0 AND t.oid NOT IN (SELECT objid FROM own)"
    "  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid ="
    "  'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'i')"
    " UNION ALL"
    " SELECT format('DROP CAST IF EXISTS (%s AS %s) CASCADE',"
    "  castsource::regtype, casttarget::regtype)"
    " FROM pg_cast, user_oid WHERE pg_cast.oid >= first"
    "  AND pg_cast.oid NOT IN (SELECT objid FROM own)"
    " UNION ALL"
    " SELECT format('DROP SERVER IF EXISTS %I CASCADE', srvname)"
    " FROM pg_foreign_server WHERE oid NOT IN (SELECT objid FROM own)"
    " UNION ALL"
    " SELECT format('DROP FOREIGN DATA WRAPPER IF EXISTS %I CASCADE',"
    "  fdwname) FROM pg_foreign_data_wrapper"
    " WHERE oid NOT IN (SELECT objid FROM own)"
    " UNION ALL"
    " SELECT format('DROP ACCESS METHOD IF EXISTS %I CASCADE', amname)"
    " FROM pg_am, user_oid WHERE pg_am.oid >= first"
    "  AND pg_am.oid NOT IN (SELECT objid FROM own)"
    " UNION ALL"
    " SELECT format('DROP LANGUAGE IF EXISTS %I CASCADE', lanname)"
    " FROM pg_language, user_oid WHERE pg_language.oid >= first"
    "  AND lanname <> 'plpgsql'"
    "  AND pg_language.oid NOT IN (SELECT objid FROM own)"
    " UNION ALL"
    " SELECT format('SELECT pg_catalog.lo_unlink(%s)', oid)"
    " FROM pg_largeobject_metadata";

static const char state_sql[] =
    "CREATE SCHEMA IF NOT EXISTS pgtt;"
    " CREATE TABLE IF NOT EXISTS pgtt.replay_state ("
    "  one boolean PRIMARY KEY DEFAULT true CHECK (one),"
    "  system_identifier text NOT NULL,"
    "  database text NOT NULL,"
    "  lsn pg_lsn NOT NULL,"
    "  privileges boolean NOT NULL DEFAULT false,"
    "  commit_time timestamptz,"
    "  updated_at timestamptz NOT NULL DEFAULT now());"
    " COMMENT ON TABLE pgtt.replay_state IS 'where pgtt replay left this"
    " database: it holds every source transaction committed before lsn';"
    " DELETE FROM pgtt.replay_state";

static int
inventory(PGconn *conn, char ***names, size_t *n, struct pgtt_err *err)
{
	PGresult	*res;
	int		 i;

	if ((res = pg_exec(conn, err, inventory_sql, 0, NULL)) == NULL)
		return err->code;
	*n = PQntuples(res);
	*names = xcalloc(*n + 1, sizeof **names);
	for (i = 0; i < PQntuples(res); i++)
		(*names)[i] = xstrdup(PQgetvalue(res, i, 0));
	PQclear(res);
	return 0;
}

static int
empty_database(PGconn *conn, struct pgtt_err *err)
{
	PGresult	*res, *r;
	int		 i, ret = 0;

	if ((r = pg_exec(conn, err, "BEGIN; SET LOCAL lock_timeout = '30s'",
	    0, NULL)) == NULL)
		return err->code;
	PQclear(r);
	if ((res = pg_exec(conn, err, drop_sql, 0, NULL)) == NULL)
		ret = err->code;
	for (i = 0; ret == 0 && i < PQntuples(res); i++) {
		if ((r = pg_exec(conn, err, PQgetvalue(res, i, 0), 0, NULL)) ==
		    NULL) {
			err_hint(err, "pgtt empties the replica database before "
			    "it restores the baseline; while doing \"%s\"",
			    PQgetvalue(res, i, 0));
			ret = err->code;
		}
		PQclear(r);
	}
	PQclear(res);
	if (ret != 0) {
		struct pgtt_err	ignored;

		PQclear(pg_exec(conn, &ignored, "ROLLBACK", 0, NULL));
		return ret;
	}
	if ((r = pg_exec(conn, err, "COMMIT", 0, NULL)) == NULL)
		return err->code;
	PQclear(r);
	return 0;
}

/*
 * pg_restore, with the source's owners and privileges or without them
 * (then the replay role owns everything and no grant is restored).
 */
static int
restore_baseline(const char *dsn, const struct replica_baseline *b,
    int privileges, struct pgtt_err *err)
{
	char	*plain = NULL, *password = NULL, *db_arg, *list_arg, *pgr;
	int	 ret;

	if ((ret = dsn_split_password(dsn, &plain, &password, err)) != 0)
		return ret;
	xasprintf(&db_arg, "--dbname=%s", plain);
	xasprintf(&list_arg, "--use-list=%s", b->list);
	pgr = proc_find_pgbin(b->bindir, b->major, "pg_restore");
	{
		const char	*argv[] = { pgr, db_arg, list_arg,
		    "--single-transaction", "--exit-on-error", b->dump,
		    "--no-owner", "--no-privileges", NULL };

		/* Cut the list short before the options that drop them. */
		if (privileges)
			argv[6] = NULL;
		ret = proc_run(argv, password, err);
	}
	free(pgr);
	free(list_arg);
	free(db_arg);
	free(plain);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return ret;
}

static int
write_state(PGconn *conn, const struct replica_baseline *b, int privileges,
    struct pgtt_err *err)
{
	PGresult	*res;
	char		 lsn[LSN_BUFSIZE];
	const char	*params[4] = { b->system_id, b->database,
	    lsn_format(b->creation, lsn), privileges ? "t" : "f" };

	if ((res = pg_exec(conn, err, state_sql, 0, NULL)) == NULL)
		return err->code;
	PQclear(res);
	res = pg_exec(conn, err, "INSERT INTO pgtt.replay_state "
	    "(system_identifier, database, lsn, privileges) VALUES ($1, $2, "
	    "$3::pg_lsn, $4::boolean)", 4, params);
	if (res == NULL)
		return err->code;
	PQclear(res);
	return 0;
}

int
replica_reset(PGconn *conn, const char *dsn, const struct replica_baseline *b,
    char ***dropped, size_t *ndropped, int *privileges, struct pgtt_err *err)
{
	char		**before = NULL, **after = NULL;
	size_t		  nbefore = 0, nafter = 0, i, j;
	struct pgtt_err	  first;
	int		  ret;

	*dropped = NULL;
	*ndropped = 0;
	*privileges = 1;
	if ((ret = inventory(conn, &before, &nbefore, err)) != 0 ||
	    (ret = empty_database(conn, err)) != 0)
		goto out;
	/*
	 * With the source's owners and grants, each role may do on the
	 * replica what it may do on the source, and replay runs DDL as
	 * that role.  When a role they name is missing here, the restore
	 * (one transaction) fails whole and is done again without them.
	 */
	if (restore_baseline(dsn, b, 1, &first) != 0) {
		log_msg(LOG_LEVEL_INFO, "replay: the baseline's owners and "
		    "privileges could not be restored (%s%s%s); restoring it "
		    "without them", first.msg, first.detail[0] != '\0' ?
		    ": " : "", first.detail);
		*privileges = 0;
		if ((ret = restore_baseline(dsn, b, 0, err)) != 0)
			goto out;
	}
	if ((ret = write_state(conn, b, *privileges, err)) != 0 ||
	    (ret = inventory(conn, &after, &nafter, err)) != 0)
		goto out;

	/* Both lists are sorted: walk them together. */
	for (i = j = 0; i < nbefore; i++) {
		while (j < nafter && strcmp(after[j], before[i]) < 0)
			j++;
		if (j < nafter && strcmp(after[j], before[i]) == 0)
			continue;
		*dropped = xreallocarray(*dropped, *ndropped + 1,
		    sizeof **dropped);
		(*dropped)[(*ndropped)++] = xstrdup(before[i]);
	}
out:
	record_free_list((void **)before, nbefore);
	record_free_list((void **)after, nafter);
	return ret;
}

/*
 * Sequences owned by an integer column (serial, identity) and that
 * column's table, as regclass text and a quoted column name: what
 * replica_sequence_floor raises.
 */
static const char owned_sequences_sql[] =
    "SELECT s.oid::regclass::text, t.oid::regclass::text,"
    " quote_ident(a.attname)"
    " FROM pg_class s"
    " JOIN pg_depend d ON d.classid = 'pg_class'::regclass"
    "  AND d.objid = s.oid AND d.refclassid = 'pg_class'::regclass"
    "  AND d.deptype IN ('a', 'i') AND d.refobjsubid > 0"
    " JOIN pg_class t ON t.oid = d.refobjid AND t.relkind IN ('r', 'p')"
    " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid"
    " WHERE s.relkind = 'S'"
    "  AND a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype)"
    " ORDER BY 1";

int
replica_sequence_floor(PGconn *conn, size_t *raised, struct pgtt_err *err)
{
	PGresult	*list, *res;
	char		*sql;
	int		 i, ret = 0;

	*raised = 0;
	if ((list = pg_exec(conn, err, owned_sequences_sql, 0, NULL)) == NULL)
		return err->code;
	for (i = 0; ret == 0 && i < PQntuples(list); i++) {
		const char	*seq = PQgetvalue(list, i, 0);

		/*
		 * The names are identifiers the replica's server quoted
		 * itself (regclass output, quote_ident), and the sequence
		 * travels to setval as a parameter; max() of an integer
		 * column and setval() run no user code.
		 */
		xasprintf(&sql, "SELECT pg_catalog.setval($1::pg_catalog."
		    "regclass, x.m) FROM (SELECT pg_catalog.max(%s) AS m FROM "
		    "%s) x, %s s WHERE x.m OPERATOR(pg_catalog.>) s.last_value "
		    "OR (x.m OPERATOR(pg_catalog.=) s.last_value AND NOT "
		    "s.is_called)", PQgetvalue(list, i, 2),
		    PQgetvalue(list, i, 1), seq);
		if ((res = pg_exec(conn, err, sql, 1, &seq)) == NULL) {
			err_hint(err, "replay raises each serial and identity "
			    "sequence to its column's largest value");
			ret = err->code;
		} else {
			*raised += PQntuples(res);
			PQclear(res);
		}
		free(sql);
	}
	PQclear(list);
	return ret;
}

/*
 * DDL replayed as a role must stay that role.  SET ROLE alone does not
 * hold: code the statement runs (a function a CREATE TABLE AS calls, an
 * index expression) could RESET ROLE and be the replay role.  Inside a
 * SECURITY DEFINER function it cannot (PostgreSQL refuses to change role
 * there), so the statement runs inside one owned by the role, made for
 * it and dropped after it, callable by nobody else.  When the role is
 * missing here, the statement runs as the replay role only if the source
 * role was a superuser.  The function's own search_path clause keeps the
 * statement's settings from outliving it.
 */
static const char run_as_sql[] =
    "CREATE OR REPLACE FUNCTION pgtt.replay_run_as(who name,\n"
    "    was_superuser boolean, stmt text, path text) RETURNS void\n"
    "LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $pgtt$\n"
    "DECLARE\n"
    "  fn text := format('pgtt.%I', 'run_as_' || md5(who));\n"
    "BEGIN\n"
    "  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles r\n"
    "      WHERE r.rolname = who) THEN\n"
    "    IF NOT was_superuser THEN\n"
    "      RAISE EXCEPTION 'role \"%\" does not exist', who\n"
    "        USING ERRCODE = '42704', HINT = 'the DDL ran as this role on '\n"
    "        'the source; create it on the replica''s server, or skip the '\n"
    "        'change with --on-error skip';\n"
    "    END IF;\n"
    "    PERFORM pg_catalog.set_config('search_path', path, true);\n"
    "    EXECUTE stmt;\n"
    "    RETURN;\n"
    "  END IF;\n"
    "  EXECUTE format('CREATE FUNCTION %s(stmt text, path text) RETURNS '\n"
    "    'void LANGUAGE plpgsql SECURITY DEFINER AS $f$BEGIN PERFORM '\n"
    "    'pg_catalog.set_config(''search_path'', path, true); EXECUTE stmt; '\n"
    "    'END$f$', fn);\n"
    "  EXECUTE format('REVOKE ALL ON FUNCTION %s(text, text) FROM PUBLIC',\n"
    "    fn);\n"
    "  EXECUTE format('ALTER FUNCTION %s(text, text) OWNER TO %I', fn, who);\n"
    "  EXECUTE format('SELECT %s($1, $2)', fn) USING stmt, path;\n"
    "  EXECUTE format('DROP FUNCTION %s(text, text)', fn);\n"
    "END\n"
    "$pgtt$;\n"
    "REVOKE ALL ON FUNCTION pgtt.replay_run_as(name, boolean, text, text)\n"
    "  FROM PUBLIC;\n";

/*
 * Rows of a table whose owner is not trusted as the replay role is are
 * written inside a SECURITY DEFINER function of that owner, for the same
 * reason: a trigger, CHECK constraint or index expression of the owner's
 * runs as the owner and cannot RESET ROLE there.  apply.c builds the
 * statement as a format() template (its identifiers' % doubled) whose
 * %N$s stand for the type of the N-th of typecols, so the types are
 * named by this server; the parameters are the statement's, user types
 * as text.  The function is made once per statement and replay, named
 * with a nonce no source DDL can name, and dropped when replay ends.
 * PL/pgSQL keeps the statement's plan for the session; a LANGUAGE sql
 * function would plan it again at every call (three times slower).
 *
 * The owner's code must also leave nothing behind that pgtt's own later
 * statements, run as the replay role, would pick up: the settings that
 * change how a name or a value is read are set back where that code
 * changed them, temporary objects are discarded, and a prepared
 * statement made from SQL (one that could have taken the name of one of
 * replay's) fails the change.  The values set back are the session's
 * when the function is made, so this function has no SET clause of its
 * own and names everything it calls in full.  (SET clauses on the row
 * function would do the same at every call, and cost a new plan each.)
 */
static const char row_fn_sql[] =
    "CREATE OR REPLACE FUNCTION pgtt.replay_row_fn(fname text,\n"
    "    tbl regclass, body text, argtypes oid[], typecols name[])\n"
    "    RETURNS void LANGUAGE plpgsql AS $pgtt$\n"
    "DECLARE\n"
    "  fn text := pg_catalog.format('pgtt.%I', fname);\n"
    "  who name;\n"
    "  args text;\n"
    "  types text[];\n"
    "  restore text;\n"
    "BEGIN\n"
    "  SELECT r.rolname INTO STRICT who FROM pg_catalog.pg_class c\n"
    "    JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=)\n"
    "      c.relowner WHERE c.oid OPERATOR(pg_catalog.=) tbl;\n"
    "  SELECT COALESCE(pg_catalog.string_agg(CASE WHEN t\n"
    "      OPERATOR(pg_catalog.=) 0 THEN 'text'\n"
    "      ELSE pg_catalog.format_type(t, NULL) END, ', ' ORDER BY i), '')\n"
    "    INTO args FROM pg_catalog.unnest(argtypes) WITH ORDINALITY\n"
    "    AS u(t, i);\n"
    "  SELECT COALESCE(pg_catalog.array_agg(pg_catalog.format_type(\n"
    "      a.atttypid, a.atttypmod) ORDER BY u.i), '{}'::pg_catalog.text[])\n"
    "    INTO types FROM pg_catalog.unnest(typecols) WITH ORDINALITY\n"
    "    AS u(c, i)\n"
    "    JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=)\n"
    "      tbl AND a.attname OPERATOR(pg_catalog.=) u.c\n"
    "      AND NOT a.attisdropped;\n"
    "  IF pg_catalog.cardinality(types) OPERATOR(pg_catalog.<>)\n"
    "      pg_catalog.cardinality(typecols) THEN\n"
    "    RAISE EXCEPTION 'a column of % is missing', tbl;\n"
    "  END IF;\n"
    /*
     * A function takes at most 100 arguments: a wider row comes as one
     * text array, each element cast to its parameter's type.  From the
     * last parameter down, so $1 is not taken for the start of $10.
     */
    "  IF pg_catalog.cardinality(argtypes) OPERATOR(pg_catalog.>) 100 THEN\n"
    "    FOR i IN REVERSE pg_catalog.cardinality(argtypes)..1 LOOP\n"
    "      body := pg_catalog.replace(body, '$' OPERATOR(pg_catalog.||) i,\n"
    "        pg_catalog.format('(%s[%s])::%s', pg_catalog.chr(1), i,\n"
    "          CASE WHEN argtypes[i] OPERATOR(pg_catalog.=) 0 THEN 'text'\n"
    "          ELSE pg_catalog.format_type(argtypes[i], -1) END));\n"
    "    END LOOP;\n"
    "    body := pg_catalog.replace(body, pg_catalog.chr(1), '$1');\n"
    "    args := 'pg_catalog.text[]';\n"
    "  END IF;\n"
    "  SELECT pg_catalog.string_agg(pg_catalog.format('IF '\n"
    "      'pg_catalog.current_setting(%L) IS DISTINCT FROM %L THEN '\n"
    "      'PERFORM pg_catalog.set_config(%L, %L, false); END IF; ',\n"
    "      g, pg_catalog.current_setting(g), g,\n"
    "      pg_catalog.current_setting(g)),\n"
    "      '') INTO restore FROM pg_catalog.unnest(ARRAY['search_path',\n"
    "      'client_encoding', 'DateStyle', 'IntervalStyle', 'TimeZone',\n"
    "      'lc_monetary', 'lc_numeric', 'xmloption', 'xmlbinary',\n"
    "      'bytea_output', 'extra_float_digits',\n"
    "      'standard_conforming_strings']) AS g;\n"
    "  EXECUTE pg_catalog.format('CREATE FUNCTION %s(%s) RETURNS void '\n"
    "    'LANGUAGE plpgsql SECURITY DEFINER AS %L', fn, args,\n"
    "    pg_catalog.format(E'#variable_conflict use_column\\nBEGIN %s; %s'\n"
    "      'IF pg_catalog.pg_my_temp_schema() OPERATOR(pg_catalog.<>) 0 '\n"
    "      'THEN DISCARD TEMP; END IF; '\n"
    "      'IF EXISTS (SELECT FROM pg_catalog.pg_prepared_statements '\n"
    "      'WHERE from_sql) THEN RAISE EXCEPTION ''code run while replay '\n"
    "      'wrote a row left a prepared statement in its session'' '\n"
    "      'USING ERRCODE = ''42501''; END IF; END',\n"
    "      pg_catalog.format(body, VARIADIC types), restore));\n"
    "  EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s(%s) FROM PUBLIC',\n"
    "    fn, args);\n"
    "  EXECUTE pg_catalog.format('ALTER FUNCTION %s(%s) OWNER TO %I', fn,\n"
    "    args, who);\n"
    "END\n"
    "$pgtt$;\n"
    "REVOKE ALL ON FUNCTION pgtt.replay_row_fn(text, regclass, text, oid[],\n"
    "  name[]) FROM PUBLIC;\n";

/*
 * A TRUNCATE ... CASCADE also empties the tables that reference the one
 * named, and their inheritance children; their ON TRUNCATE triggers then
 * run as whoever truncates.  Refuse when one of them, enabled ALWAYS or
 * REPLICA, belongs to a table of another role that is not a superuser.
 */
static const char truncate_check_sql[] =
    "CREATE OR REPLACE FUNCTION pgtt.replay_truncate_check(tbl regclass)\n"
    "    RETURNS void\n"
    "LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $pgtt$\n"
    "DECLARE\n"
    "  bad regclass;\n"
    "BEGIN\n"
    "  WITH RECURSIVE reach(oid) AS (\n"
    "    SELECT tbl::oid\n"
    "    UNION\n"
    "    SELECT x.oid FROM reach r, LATERAL (\n"
    "      SELECT c.conrelid FROM pg_constraint c\n"
    "        WHERE c.confrelid = r.oid AND c.contype = 'f'\n"
    "      UNION ALL\n"
    "      SELECT i.inhrelid FROM pg_inherits i WHERE i.inhparent = r.oid\n"
    "    ) x(oid))\n"
    "  SELECT r.oid::regclass INTO bad FROM reach r\n"
    "    JOIN pg_class c ON c.oid = r.oid\n"
    "    JOIN pg_roles o ON o.oid = c.relowner\n"
    "    WHERE r.oid <> tbl AND NOT o.rolsuper\n"
    "      AND c.relowner <> (SELECT relowner FROM pg_class WHERE oid = tbl)\n"
    "      AND EXISTS (SELECT FROM pg_trigger t WHERE t.tgrelid = r.oid\n"
    "        AND t.tgenabled IN ('A', 'R') AND (t.tgtype & 32) <> 0)\n"
    "    LIMIT 1;\n"
    "  IF bad IS NOT NULL THEN\n"
    "    RAISE EXCEPTION 'TRUNCATE of % would reach %, whose ON TRUNCATE '\n"
    "      'trigger would run as another role than its owner', tbl, bad\n"
    "      USING ERRCODE = '42501', HINT = 'truncate it by hand on the '\n"
    "      'replica, then replay with --on-error skip';\n"
    "  END IF;\n"
    "END\n"
    "$pgtt$;\n"
    "REVOKE ALL ON FUNCTION pgtt.replay_truncate_check(regclass)\n"
    "  FROM PUBLIC;\n";

/*
 * After code of another role ran in replay's session (DDL, a TRUNCATE's
 * triggers): a statement prepared from SQL could have taken the name of
 * one of replay's, so the change fails instead.
 */
static const char session_guard_sql[] =
    "CREATE OR REPLACE FUNCTION pgtt.replay_session_guard() RETURNS void\n"
    "LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $pgtt$\n"
    "DECLARE\n"
    "  names text;\n"
    "BEGIN\n"
    "  SELECT string_agg(name, ', ') INTO names\n"
    "    FROM pg_prepared_statements WHERE from_sql;\n"
    "  IF names IS NOT NULL THEN\n"
    "    RAISE EXCEPTION 'code replay ran left prepared statements in its '\n"
    "      'session: %', names USING ERRCODE = '42501';\n"
    "  END IF;\n"
    "END\n"
    "$pgtt$;\n"
    "REVOKE ALL ON FUNCTION pgtt.replay_session_guard() FROM PUBLIC;\n";

int
replica_drop_row_functions(PGconn *conn, struct pgtt_err *err)
{
	PGresult	*res;

	res = pg_exec(conn, err, "DO $$DECLARE f regprocedure; BEGIN "
	    "FOR f IN SELECT p.oid FROM pg_catalog.pg_proc p WHERE "
	    "p.pronamespace OPERATOR(pg_catalog.=) 'pgtt'::regnamespace AND "
	    "p.proname LIKE 'row\\_%' LOOP EXECUTE 'DROP FUNCTION ' || f; "
	    "END LOOP; END$$", 0, NULL);
	if (res == NULL)
		return err->code;
	PQclear(res);
	return 0;
}

int
replica_install_run_as(PGconn *conn, struct pgtt_err *err)
{
	static const char *const functions[] = { run_as_sql, row_fn_sql,
	    truncate_check_sql, session_guard_sql };
	PGresult		*res;
	size_t			 i;

	/*
	 * A role that may use schema pgtt could alter the row function it
	 * owns between its creation and its call: nobody but its owner (the
	 * replay role, or a superuser) may.
	 */
	if ((res = pg_exec(conn, err, "CREATE SCHEMA IF NOT EXISTS pgtt; "
	    "REVOKE ALL ON SCHEMA pgtt FROM PUBLIC", 0, NULL)) == NULL)
		return err->code;
	PQclear(res);
	if ((res = pg_exec(conn, err, "SELECT n.nspacl::pg_catalog.text FROM "
	    "pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid "
	    "OPERATOR(pg_catalog.=) n.nspowner WHERE n.nspname "
	    "OPERATOR(pg_catalog.=) 'pgtt' AND NOT r.rolsuper AND r.rolname "
	    "OPERATOR(pg_catalog.<>) current_user", 0, NULL)) == NULL)
		return err->code;
	if (PQntuples(res) > 0) {
		PQclear(res);
		err_set(err, PGTT_EDB, "schema pgtt on the replica belongs to a "
		    "role that is neither a superuser nor the replay role");
		err_hint(err, "drop it, or give it to the replay role: replay "
		    "keeps its own functions there");
		return err->code;
	}
	PQclear(res);
	if ((res = pg_exec(conn, err, "SELECT r.rolname FROM "
	    "pg_catalog.pg_namespace n CROSS JOIN LATERAL "
	    "pg_catalog.aclexplode(n.nspacl) a JOIN pg_catalog.pg_roles r "
	    "ON r.oid OPERATOR(pg_catalog.=) a.grantee "
	    "WHERE n.nspname OPERATOR(pg_catalog.=) 'pgtt' AND "
	    "a.grantee OPERATOR(pg_catalog.<>) n.nspowner AND NOT r.rolsuper",
	    0, NULL)) == NULL)
		return err->code;
	if (PQntuples(res) > 0) {
		err_set(err, PGTT_EDB, "schema pgtt on the replica grants "
		    "privileges to role \"%s\"", PQgetvalue(res, 0, 0));
		err_hint(err, "revoke them: replay keeps functions there that "
		    "only it may use");
		PQclear(res);
		return err->code;
	}
	PQclear(res);
	for (i = 0; i < sizeof functions / sizeof functions[0]; i++) {
		if ((res = pg_exec(conn, err, functions[i], 0, NULL)) == NULL)
			return err->code;
		PQclear(res);
	}
	return replica_drop_row_functions(conn, err);
}
