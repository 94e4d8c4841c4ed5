/*
 * baseline.h: the baseline dump setup takes under the slot's snapshot, and
 * the restore list beside it.  The dump holds pgtt's own DDL trigger (it
 * existed before the snapshot, so that no DDL escapes capture); the list
 * is the dump's table of contents without it, for pg_restore -L.
 */
#ifndef PGTT_BASELINE_H
#define PGTT_BASELINE_H

#include "err.h"

/*
 * Write list_path from dump_path with pg_restore (found as proc.h says),
 * leaving out pgtt's own objects.  The file appears whole or not at all.
 */
int	baseline_write_list(const char *bindir, int major,
	    const char *dump_path, const char *list_path, struct pgtt_err *);

#endif
