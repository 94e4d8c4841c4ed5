/*
 * rowkey.h: the columns that name a row of a table, as the source's
 * catalog defines them (relation_row_key in record.h says how they are
 * used).
 */
#ifndef PGTT_ROWKEY_H
#define PGTT_ROWKEY_H

#include <libpq-fe.h>
#include <stdint.h>

#include "err.h"
#include "record.h"

/*
 * Flag row_key on the columns of cols that make the primary key of
 * relid, else a unique index on NOT NULL columns (not partial, not on
 * expressions).  None is flagged when the table has no such key, or when
 * one of its columns is not among cols.  conn is a plain connection to
 * the source; the catalog read is the current one.
 */
int	rowkey_read(PGconn *, uint32_t relid, struct pgtt_column_def *cols,
	    uint16_t ncols, struct pgtt_err *);

#endif
