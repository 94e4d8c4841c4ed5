/*
 * prune.h: retention for the PITR store.  retention.backups keeps the
 * newest N base backups; retention.archive keeps WAL that new, and never
 * less than the oldest kept backup needs (the WAL before a kept backup's
 * start is of no use to any restore: no backup starts from it).  What a
 * prune removes moves the recoverable window (archive_window): points
 * before it are no longer restorable, and a restore to any point inside
 * it is exactly as before.
 */
#ifndef PGTT_PRUNE_H
#define PGTT_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "journal.h"
#include "lsn.h"
#include "verb.h"

struct prune_plan {
	char		(*backups)[64];	/* names of the backups to remove */
	size_t		  nbackups;
	size_t		  backups_kept;
	char		(*wal)[40];	/* segment files to remove, in order */
	size_t		  nwal;
	uint64_t	  bytes;	/* what both free */
	pgtt_lsn	  keep_from;	/* WAL kept from here; 0: all */
	int		  configured;	/* retention says anything at all */
};

/*
 * What retention removes now, and (unless dry_run) remove it: backups
 * first, struck from the journal's record before their directories go,
 * then WAL segments, oldest first.  PGTT_EBUSY, removing nothing, while
 * a base backup or a restore runs.  prune_plan_free the plan.
 */
struct prune_opts {
	int		 dry_run;	/* plan only */
};

int	prune_run(const struct verb_ctx *, const struct prune_opts *,
	    struct prune_plan *, struct pgtt_err *);
void	prune_plan_free(struct prune_plan *);

/*
 * What an operator should hear about the storage: a journal past
 * retention.journal_warn, a disk under storage.path less than 10% free.
 * Up to PRUNE_WARN_MAX lines into w; returns how many.
 */
#define PRUNE_WARN_MAX	2
size_t	storage_warnings(const struct config *, uint64_t journal_bytes,
	    char w[PRUNE_WARN_MAX][200]);

#endif
