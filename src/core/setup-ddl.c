/*
 * setup-ddl.c: DDL capture on the source, the part of setup that installs
 * code there.
 *
 * Two event triggers, because a DROP is listed only to sql_drop and
 * everything else only to ddl_command_end.  Their functions run with the
 * rights and search_path of whoever ran the DDL, so they can record that
 * search_path and can gain no privilege; they hand it to pgtt.ddl_record,
 * which runs as the role that ran setup with a pinned search_path, so
 * that it may publish tables created later.
 *
 * ddl_record cannot be used to plant a statement: it reads the statement
 * itself (current_query()), and it first asks the event trigger context
 * for the command list, which raises an error outside an event trigger.
 * It emits one transactional logical message each time a top-level
 * statement's ddl_command_end fires, so it reaches the journal in its
 * transaction, in order with the rows around it.  A DROP's objects are
 * listed to sql_drop, which fires just before its statement's
 * ddl_command_end: they are kept in a transaction-local setting and go
 * into that message.  Each message says what replay needs to run exactly
 * that statement and no more (see ddl.h): the command tag, the objects,
 * the role that ran it and whether it was a superuser, the settings that
 * change what DDL text means, whether it ran nested inside a function or
 * DO block (the error context stack goes on past the trigger's own
 * frame, which is the outermost one for a top-level statement), and
 * the client's query string, left out of later messages of the same
 * execution of the same string in the transaction.  Its behaviour per
 * publication lives in pgtt.publication_settings, so the function text
 * never changes and several publications can share it.
 *
 * pgtt must never make a user's DDL fail, yet the message may not be
 * emitted inside an EXCEPTION block: PostgreSQL decodes a transactional
 * message written in a subtransaction after later changes of the top
 * transaction (seen on 15), which would put the DDL after rows that
 * depend on it.  So what could fail is checked first (wal_level, the
 * function still there), and only the publishing of new tables, which
 * comes after the message, is wrapped to turn errors into a WARNING.
 *
 * pgtt.capture keeps pgtt's own DDL out of the history: 'off' in setup's
 * own session (honoured only where the session user is the role that
 * owns ddl_record, since any role may set it), and the secret prefix
 * around ddl_record's own ALTERs.
 */
#include <stdlib.h>

#include "pg.h"
#include "setup-int.h"
#include "xmalloc.h"

static const char ddl_objects_sql[] =
    "CREATE SCHEMA IF NOT EXISTS pgtt;\n"
    "REVOKE ALL ON SCHEMA pgtt FROM PUBLIC;\n"
    "GRANT USAGE ON SCHEMA pgtt TO PUBLIC;\n"
    "CREATE TABLE IF NOT EXISTS pgtt.publication_settings (\n"
    "  publication name PRIMARY KEY,\n"
    "  all_tables boolean NOT NULL,\n"
    "  full_row_images boolean NOT NULL);\n"
    "ALTER TABLE pgtt.publication_settings\n"
    "  ADD COLUMN IF NOT EXISTS inserts_publication name,\n"
    "  ADD COLUMN IF NOT EXISTS ddl_prefix text;\n"
    "REVOKE ALL ON pgtt.publication_settings FROM PUBLIC;\n"
    "DROP FUNCTION IF EXISTS pgtt.ddl_record(text, text, boolean);\n"
    "DROP FUNCTION IF EXISTS pgtt.ddl_record(text, text, name, json);\n"
    "CREATE OR REPLACE FUNCTION pgtt.ddl_record(tag text, event text,\n"
    "    settings json) RETURNS void\n"
    "LANGUAGE plpgsql SECURITY DEFINER\n"
    "SET search_path = pg_catalog, pg_temp\n"
    /* Values printed here read back the same anywhere, and exactly. */
    "SET datestyle = 'ISO, YMD' SET intervalstyle = 'postgres'\n"
    "SET extra_float_digits = 3 SET bytea_output = 'hex'\n"
    "SET timezone = 'UTC' SET lc_monetary = 'C'\n"
    "AS $pgtt$\n"
    "DECLARE\n"
    "  ctx text;\n"
    "  commands json;\n"
    "  dropped json;\n"
    "  temporary boolean;\n"
    "  msg jsonb;\n"
    "  obj record;\n"
    "  pub record;\n"
    "  secret text := (SELECT min(s.ddl_prefix)\n"
    "    FROM pgtt.publication_settings s);\n"
    "  digest text := md5(secret || current_query()\n"
    "    || statement_timestamp()::text);\n"
    "  role name := CASE current_setting('role') WHEN 'none'\n"
    "    THEN session_user ELSE current_setting('role')::name END;\n"
    "  kept jsonb;\n"
    "  rewritten jsonb;\n"
    "  header jsonb;\n"
    "  exprs text;\n"
    "  rel record;\n"
    "  one_row record;\n"
    "  prefixes text[];\n"
    "  parts text[];\n"
    "  bytes bigint;\n"
    "BEGIN\n"
    "  IF (current_setting('pgtt.capture', true) = 'off'\n"
    "        AND session_user = current_user)\n"
    "     OR current_setting('pgtt.capture', true) IN\n"
    "        (SELECT s.ddl_prefix FROM pgtt.publication_settings s)\n"
    "     OR current_setting('wal_level') <> 'logical'\n"
    "     OR tag LIKE '%PUBLICATION%' OR tag LIKE '%SUBSCRIPTION%' THEN\n"
    "    RETURN;\n"
    "  END IF;\n"
    "  IF event = 'sql_drop' THEN\n"
    "    SELECT json_agg(json_build_object('type', d.object_type,\n"
    "        'identity', d.object_identity, 'temporary', d.is_temporary))\n"
    "      INTO dropped FROM pg_event_trigger_dropped_objects() d\n"
    "      WHERE d.original;\n"
    "    PERFORM set_config('pgtt.ddl_dropped', jsonb_build_object('key',\n"
    "      digest, 'dropped', dropped)::text, true);\n"
    "    RETURN;\n"
    "  END IF;\n"
    "  IF event = 'table_rewrite' THEN\n"
    "    IF pg_event_trigger_table_rewrite_reason() & 2 <> 0 THEN\n"
    "      kept := nullif(current_setting('pgtt.ddl_rewritten', true),\n"
    "        '')::jsonb;\n"
    "      IF kept->>'key' IS DISTINCT FROM digest THEN\n"
    "        kept := jsonb_build_object('key', digest, 'oids', '[]'::jsonb);\n"
    "      END IF;\n"
    "      PERFORM set_config('pgtt.ddl_rewritten', jsonb_set(kept,\n"
    "        '{oids}', (kept->'oids') ||\n"
    "        to_jsonb(pg_event_trigger_table_rewrite_oid()::bigint))::text,\n"
    "        true);\n"
    "    END IF;\n"
    "    RETURN;\n"
    "  END IF;\n"
    "  kept := nullif(current_setting('pgtt.ddl_rewritten', true), '')::jsonb;\n"
    "  IF kept->>'key' = digest THEN\n"
    "    rewritten := kept->'oids';\n"
    "  END IF;\n"
    "  PERFORM set_config('pgtt.ddl_rewritten', '', true);\n"
    "  SELECT json_agg(json_build_object('tag', d.command_tag,\n"
    "      'type', d.object_type, 'identity', d.object_identity)),\n"
    "      bool_and(d.schema_name LIKE 'pg\\_temp%')\n"
    "    INTO commands, temporary FROM pg_event_trigger_ddl_commands() d;\n"
    "  kept := nullif(current_setting('pgtt.ddl_dropped', true), '')::jsonb;\n"
    "  IF kept->>'key' = digest THEN\n"
    "    dropped := (kept->'dropped')::json;\n"
    "  END IF;\n"
    "  PERFORM set_config('pgtt.ddl_dropped', '', true);\n"
    "  IF dropped IS NOT NULL THEN\n"
    "    SELECT bool_and((e->>'temporary')::boolean)\n"
    "        AND coalesce(temporary, true)\n"
    "      INTO temporary FROM json_array_elements(dropped) e;\n"
    "  END IF;\n"
    "  GET DIAGNOSTICS ctx = PG_CONTEXT;\n"
    "  msg := jsonb_build_object('v', 2, 'tag', tag, 'role', role,\n"
    "    'ts', statement_timestamp()::text,\n"
    "    'superuser', coalesce((SELECT r.rolsuper FROM pg_roles r\n"
    "      WHERE r.rolname = role), false),\n"
    "    'nested', ctx !~ ('PL/pgSQL function pgtt[.]ddl_capture[(][)] '\n"
    "      'line [0-9]+ at PERFORM$'),\n"
    "    'temporary', coalesce(temporary, false),\n"
    "    'objects', commands, 'dropped', dropped, 'settings', settings,\n"
    "    'search_path', settings->>'search_path');\n"
    "  IF tag = 'CREATE TABLE' THEN\n"
    "    msg := msg || jsonb_build_object('partition_bound', (SELECT\n"
    "      pg_get_expr(c.relpartbound, c.oid)\n"
    "      FROM pg_event_trigger_ddl_commands() d\n"
    "      JOIN pg_class c ON c.oid = d.objid\n"
    "      WHERE d.classid = 'pg_class'::regclass AND c.relispartition\n"
    "      AND c.relkind IN ('r', 'p', 'f') LIMIT 1));\n"
    "  END IF;\n"
    /*
     * An ADD COLUMN whose default is stable (now(), current_date) does
     * not rewrite the table: every row it had reads the one value the
     * default gave, kept in attmissingval.  Replay sets it after the
     * statement, where its own now() would give another.
     */
    "  IF tag = 'ALTER TABLE' THEN\n"
    "    msg := msg || jsonb_build_object('column_values', (SELECT jsonb_agg(\n"
    "        format('UPDATE ONLY %s SET %I = %L::%s', a.attrelid::regclass,\n"
    "          a.attname, (a.attmissingval::text::text[])[1],\n"
    "          format_type(a.atttypid, a.atttypmod))\n"
    "        ORDER BY a.attrelid, a.attnum)\n"
    "      FROM (WITH RECURSIVE tree(oid) AS (\n"
    "          SELECT d.objid FROM pg_event_trigger_ddl_commands() d\n"
    "            WHERE d.classid = 'pg_class'::regclass\n"
    "          UNION SELECT h.inhrelid FROM pg_inherits h\n"
    "            JOIN tree ON h.inhparent = tree.oid)\n"
    "        SELECT tree.oid FROM tree) t\n"
    "      JOIN pg_class c ON c.oid = t.oid AND c.relkind = 'r'\n"
    "        AND c.relpersistence = 'p'\n"
    "      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0\n"
    "        AND NOT a.attisdropped AND a.atthasmissing\n"
    "        AND a.xmin::text =\n"
    "          (pg_current_xact_id()::text::bigint % 4294967296)::text\n"
    "      JOIN pg_attrdef ad ON ad.adrelid = a.attrelid\n"
    "        AND ad.adnum = a.attnum\n"
    "      WHERE ad.adbin::text ~ '[{]SQLVALUEFUNCTION'\n"
    "        OR EXISTS (SELECT 1 FROM regexp_matches(ad.adbin::text,\n"
    "          ':(?:op)?funcid ([0-9]+)', 'g') AS m(f)\n"
    "          JOIN pg_proc p ON p.oid = m.f[1]::oid\n"
    "          WHERE p.provolatile = 's')));\n"
    "  END IF;\n"
    "  IF tag IN ('CREATE TABLE AS', 'SELECT INTO') THEN\n"
    "    msg := msg || jsonb_build_object('table', (SELECT\n"
    "      jsonb_build_object('schema', quote_ident(n.nspname),\n"
    "        'name', quote_ident(c.relname),\n"
    "        'unlogged', c.relpersistence = 'u',\n"
    "        'access_method', (SELECT quote_ident(m.amname) FROM pg_am m\n"
    "          WHERE m.oid = c.relam),\n"
    "        'tablespace', (SELECT quote_ident(s.spcname)\n"
    "          FROM pg_tablespace s WHERE s.oid = c.reltablespace),\n"
    "        'options', (SELECT jsonb_agg(quote_ident(split_part(o, '=', 1))\n"
    "          || ' = ' || quote_literal(substr(o, strpos(o, '=') + 1)))\n"
    "          FROM unnest(c.reloptions) o),\n"
    "        'columns', (SELECT jsonb_agg(jsonb_build_object(\n"
    "            'name', quote_ident(a.attname),\n"
    "            'type', format_type(a.atttypid, a.atttypmod),\n"
    "            'collation', CASE WHEN a.attcollation <> t.typcollation\n"
    "              THEN format('%I.%I', cn.nspname, co.collname) END)\n"
    "            ORDER BY a.attnum)\n"
    "          FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid\n"
    "          LEFT JOIN pg_collation co ON co.oid = a.attcollation\n"
    "          LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace\n"
    "          WHERE a.attrelid = c.oid AND a.attnum > 0\n"
    "          AND NOT a.attisdropped))\n"
    "      FROM pg_event_trigger_ddl_commands() d\n"
    "      JOIN pg_class c ON c.oid = d.objid\n"
    "      JOIN pg_namespace n ON n.oid = c.relnamespace\n"
    "      WHERE d.classid = 'pg_class'::regclass AND c.relkind = 'r'\n"
    "      LIMIT 1));\n"
    "  END IF;\n"
    "  IF current_setting('pgtt.ddl_emitted', true) IS DISTINCT FROM digest"
    " THEN\n"
    "    PERFORM set_config('pgtt.ddl_emitted', digest, true);\n"
    "    msg := msg || jsonb_build_object('query', current_query());\n"
    "  END IF;\n"
    "  FOR pub IN SELECT * FROM pgtt.publication_settings\n"
    "      WHERE ddl_prefix IS NOT NULL LOOP\n"
    "    PERFORM pg_logical_emit_message(true, pub.ddl_prefix, msg::text);\n"
    "  END LOOP;\n"
    "  PERFORM set_config('pgtt.capture', (SELECT min(s.ddl_prefix)\n"
    "    FROM pgtt.publication_settings s), true);\n"
    "  BEGIN\n"
    "    FOR pub IN SELECT * FROM pgtt.publication_settings\n"
    "        WHERE all_tables LOOP\n"
    "      FOR obj IN\n"
    "          WITH touched AS (\n"
    "            SELECT DISTINCT coalesce(i.indrelid, c.oid) AS oid\n"
    "            FROM pg_event_trigger_ddl_commands() d\n"
    "            JOIN pg_class c ON c.oid = d.objid\n"
    "            LEFT JOIN pg_index i ON i.indexrelid = c.oid\n"
    "            WHERE d.classid = 'pg_class'::regclass),\n"
    "          leaves AS (\n"
    "            SELECT oid FROM touched\n"
    "            UNION\n"
    "            SELECT p.relid FROM touched t,\n"
    "              pg_partition_tree(t.oid) p WHERE p.isleaf)\n"
    "          SELECT c.oid, c.relreplident,\n"
    "            CASE c.relreplident\n"
    "              WHEN 'f' THEN true\n"
    "              WHEN 'd' THEN EXISTS (SELECT 1 FROM pg_index x\n"
    "                WHERE x.indrelid = c.oid AND x.indisprimary)\n"
    "              WHEN 'i' THEN EXISTS (SELECT 1 FROM pg_index x\n"
    "                WHERE x.indrelid = c.oid AND x.indisreplident)\n"
    "              ELSE false END AS usable,\n"
    "            EXISTS (SELECT 1 FROM pg_publication_rel r\n"
    "              JOIN pg_publication p ON p.oid = r.prpubid\n"
    "              WHERE p.pubname = pub.publication\n"
    "              AND r.prrelid = c.oid) AS whole,\n"
    "            EXISTS (SELECT 1 FROM pg_publication_rel r\n"
    "              JOIN pg_publication p ON p.oid = r.prpubid\n"
    "              WHERE p.pubname = pub.inserts_publication\n"
    "              AND r.prrelid = c.oid) AS inserts\n"
    "          FROM leaves l JOIN pg_class c ON c.oid = l.oid\n"
    "          JOIN pg_namespace n ON n.oid = c.relnamespace\n"
    "          WHERE c.relkind = 'r' AND c.relpersistence = 'p'\n"
    "            AND n.nspname NOT IN ('pgtt', 'pg_catalog',\n"
    "              'information_schema')\n"
    "            AND NOT EXISTS (SELECT 1 FROM pg_depend e\n"
    "              WHERE e.classid = 'pg_class'::regclass\n"
    "              AND e.objid = c.oid AND e.deptype = 'e') LOOP\n"
    "        IF pub.full_row_images AND obj.relreplident <> 'f' THEN\n"
    "          EXECUTE format('ALTER TABLE %s REPLICA IDENTITY FULL',\n"
    "            obj.oid::regclass);\n"
    "          obj.usable := true;\n"
    "        END IF;\n"
    "        IF obj.usable THEN\n"
    "          IF obj.inserts THEN\n"
    "            EXECUTE format('ALTER PUBLICATION %I DROP TABLE %s',\n"
    "              pub.inserts_publication, obj.oid::regclass);\n"
    "          END IF;\n"
    "          IF NOT obj.whole THEN\n"
    "            EXECUTE format('ALTER PUBLICATION %I ADD TABLE %s',\n"
    "              pub.publication, obj.oid::regclass);\n"
    "          END IF;\n"
    "        ELSE\n"
    "          IF obj.whole THEN\n"
    "            EXECUTE format('ALTER PUBLICATION %I DROP TABLE %s',\n"
    "              pub.publication, obj.oid::regclass);\n"
    "          END IF;\n"
    "          IF NOT obj.inserts AND pub.inserts_publication IS NOT NULL\n"
    "              THEN\n"
    "            EXECUTE format('ALTER PUBLICATION %I ADD TABLE %s',\n"
    "              pub.inserts_publication, obj.oid::regclass);\n"
    "          END IF;\n"
    "        END IF;\n"
    "      END LOOP;\n"
    "    END LOOP;\n"
    "  EXCEPTION WHEN OTHERS THEN\n"
    "    RAISE WARNING 'pgtt could not publish a table: %', SQLERRM;\n"
    "  END;\n"
    /*
     * Rows a statement made without them being published: those of
     * CREATE TABLE AS and SELECT INTO, written before their table could
     * be published, and the rows an ADD COLUMN with a volatile default
     * rewrote.  Evaluated again on the replica, they would differ.
     */
    "  FOR rel IN\n"
    "      SELECT c.oid, c.relreplident, t.created,\n"
    "        EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid\n"
    "          AND x.indisprimary) AS has_pk\n"
    "      FROM (SELECT d.objid AS oid, true AS created\n"
    "          FROM pg_event_trigger_ddl_commands() d\n"
    "          WHERE d.classid = 'pg_class'::regclass\n"
    "          AND d.command_tag IN ('CREATE TABLE AS', 'SELECT INTO')\n"
    "        UNION\n"
    "        SELECT (o #>> '{}')::oid, false\n"
    "          FROM jsonb_array_elements(rewritten) o\n"
    "          WHERE tag = 'ALTER TABLE') t\n"
    "      JOIN pg_class c ON c.oid = t.oid\n"
    "      WHERE c.relkind = 'r' AND c.relpersistence = 'p'\n"
    /*
     * Any role may set pgtt.ddl_rewritten: a rewrite counts only on a
     * table this ALTER TABLE names (or a child or partition of one) on
     * which this session holds the ACCESS EXCLUSIVE lock a rewrite takes.
     */
    "      AND (t.created OR (c.oid IN (WITH RECURSIVE tree(oid) AS (\n"
    "          SELECT d.objid FROM pg_event_trigger_ddl_commands() d\n"
    "            WHERE d.classid = 'pg_class'::regclass\n"
    "          UNION SELECT h.inhrelid FROM pg_inherits h\n"
    "            JOIN tree ON h.inhparent = tree.oid)\n"
    "          SELECT tree.oid FROM tree)\n"
    "        AND EXISTS (SELECT 1 FROM pg_locks k\n"
    "          WHERE k.pid = pg_backend_pid() AND k.locktype = 'relation'\n"
    "          AND k.relation = c.oid AND k.mode = 'AccessExclusiveLock'\n"
    "          AND k.granted AND k.database = (SELECT b.oid FROM\n"
    "            pg_database b WHERE b.datname = current_database()))))\n"
    "      LOOP\n"
    /*
     * A rewritten row is found again on the replica by its key: the
     * primary key also under REPLICA IDENTITY FULL.
     */
    "    SELECT jsonb_build_object('relid', c.oid::bigint,\n"
    "        'schema', n.nspname, 'name', c.relname,\n"
    "        'replident', c.relreplident::text, 'update', NOT rel.created,\n"
    "        'columns', jsonb_agg(jsonb_build_object('name', a.attname,\n"
    "          'type', a.atttypid::bigint, 'typmod', a.atttypmod,\n"
    "          'key', CASE\n"
    "            WHEN c.relreplident = 'f' AND (rel.created OR NOT rel.has_pk)\n"
    "              THEN true\n"
    "            WHEN c.relreplident IN ('d', 'f') THEN EXISTS (SELECT 1\n"
    "              FROM pg_index x WHERE x.indrelid = c.oid\n"
    "              AND x.indisprimary AND a.attnum = ANY (x.indkey))\n"
    "            WHEN c.relreplident = 'i' THEN EXISTS (SELECT 1\n"
    "              FROM pg_index x WHERE x.indrelid = c.oid\n"
    "              AND x.indisreplident AND a.attnum = ANY (x.indkey))\n"
    "            ELSE false END) ORDER BY a.attnum)),\n"
    "        string_agg(format('CASE WHEN pg_catalog.num_nulls(%1$I) = 1'\n"
    "          ' THEN NULL ELSE pg_catalog.format(''%%s'', %1$I) END',\n"
    "          a.attname), ', ' ORDER BY a.attnum)\n"
    "      INTO header, exprs\n"
    "      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace\n"
    "      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0\n"
    "        AND NOT a.attisdropped AND a.attgenerated = ''\n"
    "      WHERE c.oid = rel.oid\n"
    "      GROUP BY c.oid, n.nspname, c.relname, c.relreplident;\n"
    "    CONTINUE WHEN header IS NULL OR (NOT rel.created AND\n"
    "      (rel.relreplident = 'n' OR (rel.relreplident = 'f' AND\n"
    "        NOT rel.has_pk) OR NOT jsonb_path_exists(header,\n"
    "        '$.columns[*] ? (@.key == true)')));\n"
    /*
     * The table's publications: a new table only by its own entry (under
     * FOR ALL TABLES pgoutput sends its rows itself), a rewritten one by
     * what pgoutput publishes of it.
     */
    "    prefixes := ARRAY(SELECT s.ddl_prefix\n"
    "      FROM pgtt.publication_settings s\n"
    "      WHERE s.ddl_prefix IS NOT NULL AND CASE WHEN rel.created\n"
    "        THEN EXISTS (SELECT 1 FROM pg_publication_rel r\n"
    "          JOIN pg_publication p ON p.oid = r.prpubid\n"
    "          WHERE r.prrelid = rel.oid AND p.pubname IN (s.publication,\n"
    "            s.inserts_publication))\n"
    "        ELSE EXISTS (SELECT 1 FROM pg_publication_tables pt\n"
    "          WHERE pt.pubname = s.publication\n"
    "          AND pt.schemaname = header->>'schema'\n"
    "          AND pt.tablename = header->>'name') END);\n"
    "    CONTINUE WHEN cardinality(prefixes) = 0;\n"
    /*
     * A message of at most a thousand rows or 8 MB, rows read one by
     * one: no sort, no limit on the number of columns.
     */
    "    parts := '{}';\n"
    "    bytes := 0;\n"
    "    FOR one_row IN EXECUTE format('SELECT pg_catalog.array_to_json(ARRAY[%s]'\n"
    "        '::pg_catalog.text[])::pg_catalog.text AS j FROM ONLY %s',\n"
    "        exprs, rel.oid::regclass) LOOP\n"
    "      parts := parts || one_row.j;\n"
    "      bytes := bytes + octet_length(one_row.j);\n"
    "      IF bytes >= 8388608 OR cardinality(parts) >= 1000 THEN\n"
    "        PERFORM pg_logical_emit_message(true, p, '{\"v\": 2, \"rows\": '\n"
    "          || left(header::text, -1) || ', \"values\": ['\n"
    "          || array_to_string(parts, ',') || ']}}')\n"
    "          FROM unnest(prefixes) p;\n"
    "        parts := '{}';\n"
    "        bytes := 0;\n"
    "      END IF;\n"
    "    END LOOP;\n"
    "    IF cardinality(parts) > 0 THEN\n"
    "      PERFORM pg_logical_emit_message(true, p, '{\"v\": 2, \"rows\": '\n"
    "        || left(header::text, -1) || ', \"values\": ['\n"
    "        || array_to_string(parts, ',') || ']}}')\n"
    "        FROM unnest(prefixes) p;\n"
    "    END IF;\n"
    "  END LOOP;\n"
    "  PERFORM set_config('pgtt.capture', 'on', true);\n"
    "END\n"
    "$pgtt$;\n"
    /*
     * This one runs as the role that ran the DDL, with its search_path:
     * schema-qualified calls only and no operator, so nothing that role
     * created can stand in for them and change what is recorded.
     */
    "CREATE OR REPLACE FUNCTION pgtt.ddl_capture() RETURNS event_trigger\n"
    "LANGUAGE plpgsql AS $pgtt$\n"
    "BEGIN\n"
    "  IF pg_catalog.to_regprocedure('pgtt.ddl_record(pg_catalog.text,'\n"
    "      'pg_catalog.text,pg_catalog.json)')\n"
    "      IS NOT NULL THEN\n"
    "    PERFORM pgtt.ddl_record(tg_tag, tg_event,\n"
    "      pg_catalog.json_build_object(\n"
    "        'search_path', pg_catalog.current_setting('search_path'),\n"
    "        'standard_conforming_strings',\n"
    "          pg_catalog.current_setting('standard_conforming_strings'),\n"
    "        'check_function_bodies',\n"
    "          pg_catalog.current_setting('check_function_bodies'),\n"
    "        'default_tablespace',\n"
    "          pg_catalog.current_setting('default_tablespace'),\n"
    "        'default_table_access_method',\n"
    "          pg_catalog.current_setting('default_table_access_method'),\n"
    "        'client_encoding',\n"
    "          pg_catalog.current_setting('client_encoding'),\n"
    "        'session_replication_role',\n"
    "          pg_catalog.current_setting('session_replication_role'),\n"
    "        'DateStyle', pg_catalog.current_setting('DateStyle'),\n"
    "        'IntervalStyle', pg_catalog.current_setting('IntervalStyle'),\n"
    "        'TimeZone', pg_catalog.current_setting('TimeZone')));\n"
    "  END IF;\n"
    "END\n"
    "$pgtt$;\n";

/* The event triggers and the functions they call, by name. */
static const char *const ddl_triggers[][2] = {
	{ "pgtt_ddl_capture", "ddl_command_end" },
	{ "pgtt_ddl_drop", "sql_drop" },
	{ "pgtt_ddl_rewrite", "table_rewrite" },
};

/*
 * The prefix the capture writes its messages under: "pgtt.ddl." and a
 * random part only the setup role (and so pgtt.ddl_record) can read.
 * pg_logical_emit_message() may be called by any role, so a message
 * under the plain "pgtt.ddl" prefix proves nothing; one under this
 * prefix was written by the capture.
 */
static int
read_ddl_prefix(struct setup_ctx *sc)
{
	PGresult	*res;
	const char	*param = sc->cfg->source.publication;

	if ((res = pg_exec(sc->conn, sc->err, "SELECT ddl_prefix FROM "
	    "pgtt.publication_settings WHERE publication = $1", 1,
	    &param)) == NULL)
		return sc->err->code;
	free(sc->rep->ddl_prefix);
	sc->rep->ddl_prefix = PQntuples(res) == 1 && pg_value(res, 0, 0) !=
	    NULL ? xstrdup(PQgetvalue(res, 0, 0)) : NULL;
	PQclear(res);
	return 0;
}

/* Install the functions and triggers, or bring them up to date. */
static int
ddl_capture_refresh(struct setup_ctx *sc, const char *inserts)
{
	const struct config	*cfg = sc->cfg;
	PGresult		*res;
	char			*sql;
	const char		*params[5];
	size_t			 i;
	int			 objects_same, settings_same, ret;

	/* The functions are current when their whole text matches ours. */
	params[0] = ddl_objects_sql;
	params[1] = cfg->source.publication;
	params[2] = sc->all_tables ? "t" : "f";
	params[3] = cfg->source.full_row_images ? "t" : "f";
	params[4] = inserts;
	res = pg_exec(sc->conn, sc->err,
	    "SELECT (SELECT count(*) FROM pg_proc p"
	    "  WHERE p.pronamespace = to_regnamespace('pgtt')"
	    "  AND strpos($1, p.prosrc) > 0"
	    "  AND p.proname IN ('ddl_record', 'ddl_capture')) = 2"
	    "  AND (SELECT count(*) FROM pg_event_trigger WHERE evtname IN"
	    "  ('pgtt_ddl_capture', 'pgtt_ddl_drop', 'pgtt_ddl_rewrite')"
	    "  AND evtenabled <> 'D') = 3"
	    "  AND to_regclass('pgtt.publication_settings') IS NOT NULL", 1,
	    params);
	if (res == NULL)
		return sc->err->code;
	objects_same = pg_bool(res, 0, 0);
	PQclear(res);
	/* The settings table may not exist yet: ask separately. */
	settings_same = 0;
	if (objects_same) {
		res = pg_exec(sc->conn, sc->err,
		    "SELECT EXISTS (SELECT 1 FROM pgtt.publication_settings"
		    " WHERE publication = $1 AND all_tables = $2::boolean"
		    " AND full_row_images = $3::boolean"
		    " AND inserts_publication IS NOT DISTINCT FROM $4"
		    " AND ddl_prefix IS NOT NULL)", 4, params + 1);
		if (res == NULL)
			return sc->err->code;
		settings_same = pg_bool(res, 0, 0);
		PQclear(res);
	}
	if (objects_same && settings_same) {
		setup_step(sc, SETUP_EXISTS, NULL, "DDL capture (event triggers "
		    "\"pgtt_ddl_capture\", \"pgtt_ddl_drop\", "
		    "\"pgtt_ddl_rewrite\")");
		return read_ddl_prefix(sc);
	}

	if ((ret = setup_sql(sc, "BEGIN")) != 0 ||
	    (ret = setup_sql(sc, ddl_objects_sql)) != 0)
		goto fail;
	for (i = 0; i < sizeof ddl_triggers / sizeof ddl_triggers[0]; i++) {
		xasprintf(&sql, "DROP EVENT TRIGGER IF EXISTS %s;"
		    " CREATE EVENT TRIGGER %s ON %s"
		    " EXECUTE PROCEDURE pgtt.ddl_capture()", ddl_triggers[i][0],
		    ddl_triggers[i][0], ddl_triggers[i][1]);
		ret = setup_sql(sc, sql);
		free(sql);
		if (ret != 0)
			goto fail;
	}
	if (!sc->dry_run) {
		res = pg_exec(sc->conn, sc->err,
		    "INSERT INTO pgtt.publication_settings (publication,"
		    " all_tables, full_row_images, inserts_publication,"
		    " ddl_prefix) VALUES ($1, $2::boolean, $3::boolean, $4,"
		    " 'pgtt.ddl.' || replace(gen_random_uuid()::text, '-', ''))"
		    " ON CONFLICT (publication) DO UPDATE SET all_tables ="
		    " EXCLUDED.all_tables, full_row_images ="
		    " EXCLUDED.full_row_images, inserts_publication ="
		    " EXCLUDED.inserts_publication, ddl_prefix = coalesce("
		    "publication_settings.ddl_prefix, EXCLUDED.ddl_prefix)", 4,
		    params + 1);
		if (res == NULL)
			goto fail;
		PQclear(res);
	}
	if ((ret = setup_sql(sc, "COMMIT")) != 0 ||
	    (!sc->dry_run && (ret = read_ddl_prefix(sc)) != 0))
		goto fail;
	setup_step(sc, objects_same ? SETUP_CHANGED : SETUP_CREATED, "schema "
	    "\"pgtt\" with table \"publication_settings\" and functions "
	    "\"ddl_record\", \"ddl_capture\": each DDL statement becomes a "
	    "logical message with prefix \"pgtt.ddl\", and the rows DDL "
	    "wrote unpublished become messages too", "DDL capture (event "
	    "triggers \"pgtt_ddl_capture\", \"pgtt_ddl_drop\", "
	    "\"pgtt_ddl_rewrite\")");
	return 0;

fail:
	if (!sc->dry_run)
		PQclear(PQexec(sc->conn, "ROLLBACK"));
	return sc->err->code;
}

int
source_ddl_capture(struct setup_ctx *sc)
{
	const struct config	*cfg = sc->cfg;
	char			*inserts;
	int			 ret;

	if (!cfg->source.capture_ddl) {
		setup_step(sc, SETUP_SKIPPED, "source.capture_ddl is false",
		    "DDL capture");
		return 0;
	}
	if (sc->rep->server_version < 140000) {
		setup_step(sc, SETUP_SKIPPED, "pgoutput sends logical messages only "
		    "from PostgreSQL 14 on; DDL will not be captured",
		    "DDL capture");
		return 0;
	}
	if (!sc->superuser) {
		setup_step(sc, SETUP_SKIPPED, "creating an event trigger needs a "
		    "superuser; DDL will not be captured", "DDL capture");
		return 0;
	}
	inserts = source_inserts_publication(cfg->source.publication);
	ret = ddl_capture_refresh(sc, inserts);
	free(inserts);
	return ret;
}
