/*
 * pg.c: libpq helpers.  Errors from the server keep their SQLSTATE so a
 * user can look them up; messages are trimmed to one line each.
 */
#include <stdlib.h>
#include <string.h>

#include "logfile.h"
#include "dsn.h"
#include "pg.h"
#include "xmalloc.h"

/* Server notices go to the log: stderr may belong to a terminal UI. */
static void
log_notice(void *arg, const char *message)
{
	(void)arg;
	log_msg(LOG_LEVEL_INFO, "server: %.*s", (int)strcspn(message, "\n"),
	    message);
}

PGconn *
pg_connect(const char *dsn, const char *what, int replication,
    struct pgtt_err *err)
{
	const char		*keys[8], *vals[8];
	PGconn			*conn;
	PQconninfoOption	*parsed = NULL;
	char			*why = NULL;
	int			 n = 0;

	/*
	 * A DSN that cannot be read is a mistake in it, not a server down.
	 * (A bare database name, as libpq takes it too, is no key=value
	 * string to parse.)
	 */
	if ((strchr(dsn, '=') != NULL || strncmp(dsn, "postgresql://", 13) ==
	    0 || strncmp(dsn, "postgres://", 11) == 0) &&
	    (parsed = PQconninfoParse(dsn, &why)) == NULL) {
		err_set(err, PGTT_ECONFIG, "the %s database's connection "
		    "string is malformed", what);
		/* libpq's reason may quote the string, password and all. */
		if (why != NULL && !dsn_may_hold_password(dsn))
			err_detail(err, "%s", why);
		PQfreemem(why);
		return NULL;
	}
	if (parsed != NULL)
		PQconninfoFree(parsed);

	/*
	 * Defaults first, so the user's DSN overrides them: give up on a
	 * server that does not answer, and notice a peer that died silently
	 * in about a minute instead of TCP's quarter of an hour.
	 */
	keys[n] = "connect_timeout";
	vals[n++] = "10";
	keys[n] = "keepalives_idle";
	vals[n++] = "30";
	keys[n] = "keepalives_interval";
	vals[n++] = "10";
	keys[n] = "keepalives_count";
	vals[n++] = "3";
	keys[n] = "dbname";
	vals[n++] = dsn;
	if (replication) {
		keys[n] = "replication";
		vals[n++] = "database";
	}
	keys[n] = "fallback_application_name";
	vals[n++] = "pgtt";
	keys[n] = NULL;
	vals[n] = NULL;

	conn = PQconnectdbParams(keys, vals, 1);
	if (conn == NULL) {
		err_set(err, PGTT_EDB, "could not connect to the %s database",
		    what);
		err_detail(err, "out of memory");
		return NULL;
	}
	if (PQstatus(conn) != CONNECTION_OK) {
		err_set(err, PGTT_EDB, "could not connect to the %s database",
		    what);
		err_detail(err, "%s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeProcessor(conn, log_notice, NULL);
	return conn;
}

PGresult *
pg_exec(PGconn *conn, struct pgtt_err *err, const char *sql, int nparams,
    const char *const *params)
{
	PGresult	*res;
	const char	*state, *msg;

	if (nparams > 0)
		res = PQexecParams(conn, sql, nparams, NULL, params, NULL,
		    NULL, 0);
	else
		res = PQexec(conn, sql);
	if (res != NULL && (PQresultStatus(res) == PGRES_COMMAND_OK ||
	    PQresultStatus(res) == PGRES_TUPLES_OK))
		return res;

	state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
	    NULL;
	err_set(err, PGTT_EDB, "query failed on %s", PQdb(conn));
	if (msg != NULL)
		err_detail(err, "%s (SQLSTATE %s)", msg,
		    state != NULL ? state : "?????");
	else
		err_detail(err, "%s", PQerrorMessage(conn));
	if (res != NULL && PQresultErrorField(res, PG_DIAG_MESSAGE_HINT))
		err_hint(err, "%s",
		    PQresultErrorField(res, PG_DIAG_MESSAGE_HINT));
	PQclear(res);
	return NULL;
}

const char *
pg_value(const PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return PQgetvalue(res, row, col);
}

int
pg_bool(const PGresult *res, int row, int col)
{
	const char	*v = pg_value(res, row, col);

	return v != NULL && strcmp(v, "t") == 0;
}

pgtt_lsn
pg_lsn(const PGresult *res, int row, int col)
{
	const char	*v = pg_value(res, row, col);
	pgtt_lsn	 lsn;

	if (v == NULL || lsn_parse(v, &lsn) != 0)
		return LSN_INVALID;
	return lsn;
}

int
pg_now_lsn(PGconn *conn, pgtt_lsn *out, struct pgtt_err *err)
{
	PGresult	*res;

	if ((res = pg_exec(conn, err, "SELECT pg_current_wal_insert_lsn()", 0,
	    NULL)) == NULL)
		return err->code;
	*out = pg_lsn(res, 0, 0);
	PQclear(res);
	return 0;
}
