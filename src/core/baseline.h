/*
 * baseline.h: the baseline dump setup takes under the slot's snapshot, and
 * the restore list beside it.  The dump holds pgtt's own DDL trigger (it
 * existed before the snapshot, so that no DDL escapes capture); the list
 * is the dump's table of contents without it, for pg_restore -L.
 */
#ifndef PGTT_BASELINE_H
#define PGTT_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * Write list_path from dump_path with pg_restore (found as proc.h says),
 * leaving out pgtt's own objects.  The file appears whole or not at all.
 */
int	baseline_write_list(const char *bindir, int major,
	    const char *dump_path, const char *list_path, struct pgtt_err *);

/* A row of a table as a baseline dump holds it, in COPY's column order. */
struct baseline_row {
	size_t	  ncols;
	char	**names;
	char	**values;	/* text form; NULL for SQL NULL */
};

/*
 * Find in the dump the row of schema.table whose columns keycols hold
 * keyvals (text form as PostgreSQL prints it; NULL for SQL NULL).  The
 * table's data is read with pg_restore into a private temporary file and
 * read up to the row, so it costs the table, not the dump.  Returns 1
 * with *row filled (baseline_row_free it), 0 when the dump holds no such
 * row, or an error.
 */
int	baseline_find_row(const char *bindir, int major, const char *dump_path,
	    const char *schema, const char *table, size_t nkeys,
	    const char *const *keycols, const char *const *keyvals,
	    struct baseline_row *row, struct pgtt_err *);
void	baseline_row_free(struct baseline_row *);

/*
 * Each row of schema.table in the dump to fn, read as baseline_find_row
 * reads them (the row is fn's only for the call); a non-zero return from
 * fn stops and is returned.
 */
typedef int baseline_row_fn(void *arg, const struct baseline_row *);
int	baseline_each_row(const char *bindir, int major, const char *dump_path,
	    const char *schema, const char *table, baseline_row_fn *, void *,
	    struct pgtt_err *);
/*
 * The same in two steps, for a caller that must not hold a journal read
 * transaction while pg_restore runs (it pins the map): the table's data
 * into a private temporary file (*path: unlink and free it), then its
 * rows read from there.
 */
int	baseline_extract(const char *bindir, int major, const char *dump_path,
	    const char *schema, const char *table, char **path,
	    struct pgtt_err *);
int	baseline_read(const char *path, baseline_row_fn *, void *,
	    struct pgtt_err *);

/*
 * Does the dump hold the data of the table whose OID is relid (its
 * restore list names each TABLE DATA entry with the table's OID)?  1 or
 * 0; -1 when the list cannot be read.  A table dropped and made again
 * under the same name is another table: its rows are not the dump's.
 */
int	baseline_holds_table(const char *list_path, uint32_t relid);

#endif
