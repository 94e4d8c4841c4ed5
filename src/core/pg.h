/*
 * pg.h: thin helpers over libpq so every caller reports a server's refusal
 * the same way: pgtt's primary message, PostgreSQL's message and SQLSTATE
 * as the detail.  libpq's own connection errors name host and port and
 * never the password, so they are passed on as they are.
 */
#ifndef PGTT_PG_H
#define PGTT_PG_H

#include <libpq-fe.h>

#include "err.h"
#include "lsn.h"

/*
 * Connect to dsn.  what names the database for messages ("source",
 * "replica").  replication adds replication=database for the walsender
 * protocol.  Returns NULL and fills err (PGTT_EDB) on failure.
 */
PGconn	*pg_connect(const char *dsn, const char *what, int replication,
	    struct pgtt_err *);

/*
 * Run sql (with nparams text parameters, may be 0) and return the result
 * when its status is COMMAND_OK or TUPLES_OK; otherwise NULL with err
 * filled from the server's error.  The caller PQclear()s the result.
 */
PGresult *pg_exec(PGconn *, struct pgtt_err *, const char *sql, int nparams,
	    const char *const *params);

/* Value of row, col or NULL when SQL NULL; lives as long as the result. */
const char *pg_value(const PGresult *, int row, int col);
/* "t" -> 1, anything else 0. */
int	 pg_bool(const PGresult *, int row, int col);
/* LSN text -> pgtt_lsn; LSN_INVALID for NULL or junk. */
pgtt_lsn pg_lsn(const PGresult *, int row, int col);

/* Identifier quoted for SQL ("Order Items" -> "\"Order Items\""); malloc'd. */
/*
 * The server's "now": the WAL insert position, after every commit that
 * has returned to any client, also one made with synchronous_commit =
 * off whose WAL is not written yet (pg_current_wal_lsn() is the write
 * position and can lie before it).
 */
int	 pg_now_lsn(PGconn *, pgtt_lsn *, struct pgtt_err *);

#endif
