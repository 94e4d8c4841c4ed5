/*
 * rekey.h: a table's rows filed again in the row index when the columns
 * that name them change.
 *
 * pg_dump and every tool like it load a table's data first and add its
 * primary key after.  While the listener streams such a load, the rows
 * arrive without a key and are filed under all their columns; the first
 * change after the key is made names them by the key, and a reader that
 * asks for row id=2 would find only what came after.  So when a new
 * relation version names rows by other columns than the one before it,
 * every row the table holds is filed under its new identity as well,
 * with each change it has had: diff, history and the look-back find a
 * row's past by the key it has now.
 */
#ifndef PGTT_REKEY_H
#define PGTT_REKEY_H

#include <stddef.h>

#include "err.h"
#include "journal.h"
#include "record.h"

/* Do rows of prev's time have another identity under next's row key? */
int	rekey_needed(const struct pgtt_relation *prev,
	    const struct pgtt_relation *next);

/*
 * File the rows of next's table, as the journal holds them now (commit
 * the batch before), under their identities by next's row key, into b.
 * Past REKEY_BATCH_MAX entries b is committed on the way, which is safe:
 * an entry names a change the journal holds, and a second pass after a
 * crash writes the same keys.  *nrows says how many rows were filed.
 */
#define REKEY_BATCH_MAX	100000
int	rekey_rows(struct journal *, const struct pgtt_relation *next,
	    struct jbatch *b, size_t *nrows, struct pgtt_err *);

#endif
