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

/* Its progress. */
enum backup_phase {
	BACKUP_PHASE_COPYING,	/* pg_basebackup: kB copied of its total */
	BACKUP_PHASE_PGBACKREST, /* pgbackrest backup runs: no count */
};

struct backup_opts {
	/* pgBackRest's backup type: "full", "diff", "incr"; NULL: its
	   choice.  The pgtt engine takes only NULL. */
	const char	*type;
};

/*
 * Take a base backup and describe it in *out.  The pgtt engine runs
 * pg_basebackup into a new directory under pitr.backup_dir (written as
 * NAME.partial and renamed when complete) and records it in the journal;
 * the connection is cfg's source DSN, a password travels in PGPASSWORD.
 * The pgbackrest engine runs pgbackrest backup, which records its own.
 */
int	backup_take(const struct verb_ctx *, const struct backup_opts *,
	    struct backup_info *out, struct pgtt_err *);

/*
 * The backups a restore may start from, oldest end LSN first: those the
 * journal records, or pgBackRest's; free(*out).
 */
int	backup_list(const struct config *, struct journal *,
	    struct backup_info **out, size_t *n, struct pgtt_err *);

/*
 * Strike the named backups from the journal's record (prune.h: before
 * their directories go, so no restore picks one half removed).
 */
int	backup_forget(struct journal *, char (*names)[64], size_t n,
	    struct pgtt_err *);

/* qsort's order of backups: by end LSN, oldest first. */
int	backup_cmp_end(const void *, const void *);

/* Directory of backup b; malloc'd. */
char	*backup_path(const struct config *, const struct backup_info *);

/* The source's WAL segment size as setup recorded it; 0 if unknown. */
uint32_t backup_seg_size(struct journal *);

/* The source's major version as setup recorded it; 0 if unknown. */
int	backup_server_major(struct journal *);

#endif
