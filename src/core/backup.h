/*
 * backup.h: base backups for PITR.  pg_basebackup copies the source
 * cluster, with the WAL it needs streamed alongside (-X stream), into one
 * directory per backup under pitr.backup_dir.  The journal keeps a record
 * of each (meta key "backups", one line per backup) so restore can pick
 * one without reading every directory.
 */
#ifndef PGTT_BACKUP_H
#define PGTT_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "journal.h"
#include "lsn.h"
#include "verb.h"

struct backup_info {
	char		name[64];	/* its directory under backup_dir */
	pgtt_lsn	start_lsn;	/* backup_label START WAL LOCATION */
	pgtt_lsn	end_lsn;	/* manifest WAL-Ranges End-LSN: the
					   earliest point it can restore to */
	int64_t		start_time;	/* µs since 2000-01-01 */
	int64_t		end_time;
	uint32_t	timeline;
	uint32_t	seg_size;	/* WAL segment size, bytes */
	uint64_t	bytes;		/* size on disk */
};

/*
 * Take a base backup of the source into a new directory under
 * pitr.backup_dir (written as NAME.partial and renamed when complete),
 * record it in the journal, and describe it in *out.  The connection is
 * cfg's source DSN; a password travels in PGPASSWORD.  Its progress
 * counts kB copied of the total pg_basebackup estimates (phase 0).
 */
int	backup_take(const struct verb_ctx *, struct backup_info *out,
	    struct pgtt_err *);

/* The recorded backups, oldest end LSN first; free(*out). */
int	backup_list(struct journal *, struct backup_info **out, size_t *n,
	    struct pgtt_err *);

/*
 * Strike the named backups from the journal's record (prune.h: before
 * their directories go, so no restore picks one half removed).
 */
int	backup_forget(struct journal *, char (*names)[64], size_t n,
	    struct pgtt_err *);

/* Directory of backup b; malloc'd. */
char	*backup_path(const struct config *, const struct backup_info *);

/* The source's major version as setup recorded it; 0 if unknown. */
int	backup_server_major(struct journal *);

#endif
