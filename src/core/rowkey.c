/*
 * rowkey.c: a table's row key from the source's catalog.  pgoutput flags
 * the replica identity columns, which under REPLICA IDENTITY FULL are all
 * of them; what names a row to a person reading a diff is the primary
 * key, and failing that a unique index no NULL can slip through.
 */
#include <stdio.h>
#include <string.h>

#include "pg.h"
#include "rowkey.h"

static const char ROWKEY_SQL[] =
    "SELECT a.attname FROM ("
    " SELECT i.indkey FROM pg_catalog.pg_index i"
    " WHERE i.indrelid = $1::pg_catalog.oid AND i.indisunique"
    " AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL"
    " AND (i.indisprimary OR (i.indimmediate AND NOT EXISTS ("
    "  SELECT 1 FROM pg_catalog.pg_attribute n"
    "  WHERE n.attrelid = i.indrelid AND n.attnum = ANY (i.indkey)"
    "  AND NOT n.attnotnull)))"
    " ORDER BY i.indisprimary DESC, i.indisreplident DESC, i.indexrelid"
    " LIMIT 1) k"
    " JOIN pg_catalog.pg_attribute a ON a.attrelid = $1::pg_catalog.oid"
    " AND a.attnum = ANY (k.indkey)";

int
rowkey_read(PGconn *conn, uint32_t relid, struct pgtt_column_def *cols,
    uint16_t ncols, struct pgtt_err *err)
{
	PGresult	*res;
	char		 oid[16];
	const char	*params[1] = { oid };
	int		 row, found;
	uint16_t	 i;

	for (i = 0; i < ncols; i++)
		cols[i].row_key = 0;
	snprintf(oid, sizeof oid, "%u", relid);
	if ((res = pg_exec(conn, err, ROWKEY_SQL, 1, params)) == NULL)
		return err->code;
	for (row = 0; row < PQntuples(res); row++) {
		for (i = 0, found = 0; i < ncols && !found; i++)
			if (strcmp(cols[i].name, PQgetvalue(res, row, 0)) == 0)
				found = cols[i].row_key = 1;
		if (!found) {
			/* A key the version cannot show names no row. */
			for (i = 0; i < ncols; i++)
				cols[i].row_key = 0;
			break;
		}
	}
	PQclear(res);
	return 0;
}
