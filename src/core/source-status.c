/*
 * source-status.c: what the source, the replica and the slot look like now.
 * Read-only queries only.  Unreachable databases are a state to report,
 * not an error: status is what a user runs when something is wrong.
 */
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "pg.h"
#include "record.h"
#include "setup-int.h"
#include "source.h"
#include "xmalloc.h"

/* Connect and fill what any server can tell; returns the connection. */
static PGconn *
probe(const char *dsn, const char *what, struct db_status *st)
{
	struct pgtt_err	 err;
	PGconn		*conn;
	PGresult	*res;

	memset(st, 0, sizeof *st);
	if (dsn == NULL || dsn[0] == '\0')
		return NULL;
	st->configured = 1;
	st->dsn = dsn_mask(dsn);
	err_clear(&err);
	if ((conn = pg_connect(dsn, what, 0, &err)) == NULL) {
		st->error = xstrdup(err.detail[0] != '\0' ? err.detail :
		    err.msg);
		return NULL;
	}
	res = pg_exec(conn, &err,
	    "SELECT current_setting('server_version'),"
	    " current_setting('server_version_num')::int, current_database(),"
	    " current_user, (SELECT system_identifier FROM"
	    " pg_control_system())::text, current_setting('wal_level'),"
	    " pg_is_in_recovery(), CASE WHEN pg_is_in_recovery()"
	    " THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END",
	    0, NULL);
	if (res == NULL) {
		st->error = xstrdup(err.detail[0] != '\0' ? err.detail :
		    err.msg);
		PQfinish(conn);
		return NULL;
	}
	st->reachable = 1;
	st->version = xstrdup(PQgetvalue(res, 0, 0));
	st->version_num = atoi(PQgetvalue(res, 0, 1));
	st->database = xstrdup(PQgetvalue(res, 0, 2));
	st->user = xstrdup(PQgetvalue(res, 0, 3));
	st->system_id = xstrdup(PQgetvalue(res, 0, 4));
	st->wal_level = xstrdup(PQgetvalue(res, 0, 5));
	st->in_recovery = pg_bool(res, 0, 6);
	st->current_lsn = pg_lsn(res, 0, 7);
	PQclear(res);
	return conn;
}

static void
slot_status(PGconn *conn, const struct config *cfg, struct source_status *st)
{
	struct pgtt_err	 err;
	PGresult	*res;
	const char	*params[2];

	params[0] = cfg->source.slot;
	params[1] = cfg->source.publication;
	err_clear(&err);
	res = pg_exec(conn, &err,
	    "SELECT s.active, s.active_pid, s.plugin, s.database,"
	    " to_jsonb(s)->>'wal_status', s.restart_lsn,"
	    " s.confirmed_flush_lsn,"
	    " pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery()"
	    "  THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_insert_lsn() END,"
	    "  s.confirmed_flush_lsn)::bigint"
	    " FROM pg_replication_slots s WHERE s.slot_name = $1", 1, params);
	if (res != NULL && PQntuples(res) == 1) {
		st->slot.exists = 1;
		st->slot.active = pg_bool(res, 0, 0);
		if (pg_value(res, 0, 1) != NULL)
			st->slot.active_pid = atoi(PQgetvalue(res, 0, 1));
		if (pg_value(res, 0, 2) != NULL)
			st->slot.plugin = xstrdup(PQgetvalue(res, 0, 2));
		if (pg_value(res, 0, 3) != NULL)
			st->slot.database = xstrdup(PQgetvalue(res, 0, 3));
		if (pg_value(res, 0, 4) != NULL)
			st->slot.wal_status = xstrdup(PQgetvalue(res, 0, 4));
		st->slot.restart_lsn = pg_lsn(res, 0, 5);
		st->slot.confirmed_flush_lsn = pg_lsn(res, 0, 6);
		if (pg_value(res, 0, 7) != NULL)
			st->slot.lag_bytes = strtoll(PQgetvalue(res, 0, 7),
			    NULL, 10);
	}
	PQclear(res);

	res = pg_exec(conn, &err,
	    "SELECT (SELECT count(*) FROM pg_publication_tables"
	    "  WHERE pubname = $1)::int,"
	    " EXISTS (SELECT 1 FROM pg_event_trigger"
	    "  WHERE evtname = 'pgtt_ddl_capture' AND evtenabled <> 'D')"
	    " FROM pg_publication WHERE pubname = $1", 1, params + 1);
	if (res != NULL && PQntuples(res) == 1) {
		st->publication_exists = 1;
		st->publication_tables = atoi(PQgetvalue(res, 0, 0));
		st->ddl_trigger = pg_bool(res, 0, 1);
	}
	PQclear(res);
}

static void
gap_add(struct capture_gap **list, size_t *n, const char *schema,
    const char *name, const char *reason)
{
	struct capture_gap	*g;

	*list = xreallocarray(*list, *n + 1, sizeof **list);
	g = &(*list)[(*n)++];
	xasprintf(&g->table, "%s.%s", schema, name);
	g->reason = xstrdup(reason);
}

/*
 * Every table in scope that is captured in part or not at all, with the
 * reason: no count without names.
 */
static void
coverage_status(PGconn *conn, const struct config *cfg,
    struct source_status *st)
{
	struct pgtt_err	 err;
	PGresult	*res;
	char		*why;
	int		 i;

	err_clear(&err);
	if ((res = source_tables(conn, cfg, &err)) == NULL)
		return;
	for (i = 0; i < PQntuples(res); i++) {
		const char	*schema = PQgetvalue(res, i, 0);
		const char	*name = PQgetvalue(res, i, 1);
		char		 replident = PQgetvalue(res, i, 3)[0];

		if (pg_bool(res, i, 5))
			continue;
		if (pg_bool(res, i, 6)) {
			xasprintf(&why, "%s: INSERT and TRUNCATE only",
			    source_partial_reason(replident));
			gap_add(&st->partial, &st->npartial, schema, name, why);
			free(why);
		} else
			gap_add(&st->missing, &st->nmissing, schema, name,
			    PQgetvalue(res, i, 7)[0] == 'u' ? "unlogged: not "
			    "written to the WAL" : "not in the publication: run "
			    "setup");
	}
	PQclear(res);
}

void
source_status(const struct config *cfg, struct source_status *st)
{
	PGconn	*conn;

	memset(st, 0, sizeof *st);
	if ((conn = probe(cfg->source.dsn, "source", &st->source)) != NULL) {
		slot_status(conn, cfg, st);
		if (st->publication_exists)
			coverage_status(conn, cfg, st);
		PQfinish(conn);
	}
	if ((conn = probe(cfg->replica.dsn, "replica", &st->replica)) != NULL)
		PQfinish(conn);
}

static void
db_status_done(struct db_status *db)
{
	free(db->dsn);
	free(db->error);
	free(db->version);
	free(db->database);
	free(db->user);
	free(db->system_id);
	free(db->wal_level);
}

static void
gaps_free(struct capture_gap *g, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(g[i].table);
		free(g[i].reason);
	}
	free(g);
}

void
source_status_done(struct source_status *st)
{
	db_status_done(&st->source);
	db_status_done(&st->replica);
	free(st->slot.plugin);
	free(st->slot.database);
	free(st->slot.wal_status);
	gaps_free(st->partial, st->npartial);
	gaps_free(st->missing, st->nmissing);
	memset(st, 0, sizeof *st);
}

const char *
source_partial_reason(char relreplident)
{
	return record_identity_gap(relreplident, 0);
}

char *
source_inserts_publication(const char *publication)
{
	char	*name;

	xasprintf(&name, "%s_inserts", publication);
	return name;
}

char *
source_wal_slot(const struct config *cfg)
{
	char	*name;

	xasprintf(&name, "%s_wal", cfg->source.slot);
	return name;
}
