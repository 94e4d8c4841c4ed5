/*
 * pgbackrest.h: pgBackRest as the PITR engine (pitr.engine: pgbackrest).
 *
 * pgBackRest keeps the base backups and the WAL archive, in a repository
 * that may sit in object storage; pgtt chooses the point.  Every command
 * runs as the cluster's OS user (pitr.os_user), with pitr.pgbackrest's
 * stanza and config file, and fails in pgBackRest's own words.
 */
#ifndef PGTT_PGBACKREST_H
#define PGTT_PGBACKREST_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "lsn.h"

struct backup_info;

/* What `pgbackrest info` says of the stanza. */
struct pgbr_info {
	struct backup_info *backups;	/* oldest first */
	size_t		 nbackups;
	char		 archive_min[25];	/* WAL segment names; "" */
	char		 archive_max[25];	/* when none is archived */
	uint32_t	 seg_size;	/* WAL segment size, from a backup */
};

/* `pgbackrest check`: the stanza exists and archiving works. */
int	pgbr_check(const struct config *, struct pgtt_err *);

/*
 * `pgbackrest info --output=json` for the stanza: the backups of the
 * cluster as it is now (its newest database id).  seg_size is the
 * source's WAL segment size (backup_seg_size); 0, unknown, lets the
 * segment names tell it where only one size fits.
 */
int	pgbr_info(const struct config *, uint32_t seg_size,
	    struct pgbr_info *, struct pgtt_err *);
void	pgbr_info_done(struct pgbr_info *);

/*
 * `pgbackrest backup` of type ("full", "diff", "incr"; NULL lets
 * pgBackRest choose: incremental once a full one exists).  on_line gets
 * each line it logs (may be NULL).
 */
int	pgbr_backup(const struct config *, const char *type,
	    void (*on_line)(void *, const char *), void *arg,
	    struct pgtt_err *);

/*
 * `pgbackrest restore` of the backup labelled label into dir (absent or
 * empty, owned by the OS user).  The restore_command it writes is
 * overridden by the one restore.c appends (pgbr_restore_command), with
 * the recovery target.
 */
int	pgbr_restore(const struct config *, const char *label,
	    const char *dir, struct pgtt_err *);

/*
 * The restore_command that fetches a segment from the repository, then
 * from dir/subdir (the newest WAL pgtt streamed itself); malloc'd.
 */
char	*pgbr_restore_command(const struct config *, const char *dir,
	    const char *subdir);

#endif
