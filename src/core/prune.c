/*
 * prune.c: retention (prune.h).  The plan is made and carried out under
 * the PITR lock held alone, so no backup is being taken or recorded and
 * no restore is copying while it looks and removes.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "fsutil.h"
#include "logfile.h"
#include "pitrlock.h"
#include "prune.h"
#include "wal.h"
#include "xmalloc.h"

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Which backups go: all but the newest retention.backups. */
static void
plan_backups(const struct config *cfg, const struct backup_info *bs,
    size_t nb, struct prune_plan *p)
{
	size_t	i, drop = 0;

	if (cfg->retention.backups > 0 && nb > (size_t)cfg->retention.backups)
		drop = nb - (size_t)cfg->retention.backups;
	p->backups = xcalloc(drop + 1, sizeof *p->backups);
	for (i = 0; i < drop; i++) {
		snprintf(p->backups[i], sizeof p->backups[i], "%s",
		    bs[i].name);
		p->bytes += bs[i].bytes;
	}
	p->nbackups = drop;
	p->backups_kept = nb - drop;
}

/*
 * Which WAL segments go.  Before the oldest kept backup's start, WAL
 * serves no restore; with retention.archive, only what is older than
 * that goes, and only before that backup still.
 */
static int
plan_wal(const struct config *cfg, const struct backup_info *oldest,
    struct prune_plan *p, struct pgtt_err *err)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	uint32_t	 seg_size = oldest != NULL ? oldest->seg_size :
			    WAL_DEFAULT_SEG, tli;
	uint64_t	 segno, keep_seg = 0;
	time_t		 cutoff = 0;
	size_t		 cap = 0;
	int		 partial;

	if (oldest != NULL) {
		keep_seg = wal_segno(oldest->start_lsn, seg_size);
		p->keep_from = wal_seg_start(keep_seg, seg_size);
	}
	/* Without a kept backup only age can say WAL is not needed. */
	if (oldest == NULL && cfg->retention.archive == 0)
		return 0;
	if (cfg->retention.archive > 0)
		cutoff = time(NULL) - (time_t)cfg->retention.archive;
	if ((d = opendir(cfg->pitr.archive_dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return err_set(err, PGTT_EIO, "could not read \"%s\": %s",
		    cfg->pitr.archive_dir, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (wal_parse_name(de->d_name, seg_size, &tli, &segno,
		    &partial) != 0 || partial)
			continue;
		if (oldest != NULL && (tli > oldest->timeline ||
		    segno >= keep_seg))
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		if (cutoff != 0 && sb.st_mtime >= cutoff)
			continue;
		if (p->nwal == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			p->wal = xreallocarray(p->wal, cap, sizeof *p->wal);
		}
		/* Its name, as parsed: no longer than a segment's. */
		wal_seg_name(tli, segno, seg_size, p->wal[p->nwal++]);
		p->bytes += (uint64_t)sb.st_size;
	}
	closedir(d);
	if (p->nwal > 0)
		qsort(p->wal, p->nwal, sizeof *p->wal, cmp_name);
	return 0;
}

static int
plan(const struct config *cfg, struct journal *j, struct prune_plan *p,
    struct pgtt_err *err)
{
	struct backup_info	*bs = NULL;
	size_t			 nb;
	int			 ret;

	if ((ret = backup_list(cfg, j, &bs, &nb, err)) != 0)
		return ret;
	/* pgBackRest expires its own (repo1-retention-*); WAL is ours. */
	if (cfg->pitr.engine == PITR_ENGINE_PGBACKREST)
		p->backups_kept = nb;
	else
		plan_backups(cfg, bs, nb, p);
	ret = plan_wal(cfg, p->backups_kept > 0 ? &bs[p->nbackups] : NULL, p,
	    err);
	free(bs);
	return ret;
}

/* Carry the plan out: the record first, so no restore picks a half-gone
 * backup; a directory that cannot be removed is said in the log. */
static int
apply(const struct config *cfg, struct journal *j,
    const struct prune_plan *p, struct pgtt_err *err)
{
	struct backup_info	 b;
	struct pgtt_err		 e;
	char			*path;
	size_t			 i;
	int			 ret;

	if (p->nbackups > 0 && (ret = backup_forget(j, p->backups,
	    p->nbackups, err)) != 0)
		return ret;
	memset(&b, 0, sizeof b);
	for (i = 0; i < p->nbackups; i++) {
		snprintf(b.name, sizeof b.name, "%s", p->backups[i]);
		path = backup_path(cfg, &b);
		err_clear(&e);
		if (fs_remove_tree(path, &e) != 0)
			log_msg(LOG_LEVEL_WARNING, "prune: %s", e.msg);
		else
			log_msg(LOG_LEVEL_INFO, "prune: removed base backup "
			    "%s", p->backups[i]);
		free(path);
	}
	for (i = 0; i < p->nwal; i++) {
		xasprintf(&path, "%s/%s", cfg->pitr.archive_dir, p->wal[i]);
		if (unlink(path) == -1 && errno != ENOENT) {
			ret = err_set(err, PGTT_EIO, "could not remove \"%s\": "
			    "%s", path, strerror(errno));
			free(path);
			return ret;
		}
		free(path);
	}
	if (p->nwal > 0)
		log_msg(LOG_LEVEL_INFO, "prune: removed %zu WAL segments, %s "
		    "to %s", p->nwal, p->wal[0], p->wal[p->nwal - 1]);
	return 0;
}

int
prune_run(const struct verb_ctx *vc, const struct prune_opts *o,
    struct prune_plan *p, struct pgtt_err *err)
{
	const struct config	*cfg = vc->cfg;
	struct journal		*j = vc->j;
	int			 lock = -1, ret;

	memset(p, 0, sizeof *p);
	p->configured = cfg->retention.backups > 0 ||
	    cfg->retention.archive > 0;
	if (!cfg->pitr.enabled || !p->configured)
		return 0;
	if (!o->dry_run && (lock = pitr_lock_alone(cfg, err)) == -1)
		return err->code;
	if ((ret = plan(cfg, j, p, err)) == 0 && !o->dry_run)
		ret = apply(cfg, j, p, err);
	pitr_unlock(lock);
	return ret;
}

void
prune_plan_free(struct prune_plan *p)
{
	free(p->backups);
	free(p->wal);
	memset(p, 0, sizeof *p);
}

size_t
storage_warnings(const struct config *cfg, uint64_t journal_bytes,
    char w[PRUNE_WARN_MAX][200])
{
	struct statvfs	sv;
	size_t		n = 0;
	double		free_ratio;

	if (cfg->retention.journal_warn > 0 &&
	    journal_bytes > cfg->retention.journal_warn)
		snprintf(w[n++], sizeof w[0], "the journal holds %.1f MB, past "
		    "retention.journal_warn (%.1f MB)",
		    (double)journal_bytes / 1048576.0,
		    (double)cfg->retention.journal_warn / 1048576.0);
	if (statvfs(cfg->storage.path, &sv) == 0 && sv.f_blocks > 0) {
		free_ratio = (double)sv.f_bavail / (double)sv.f_blocks;
		if (free_ratio < 0.10)
			snprintf(w[n++], sizeof w[0], "the disk under %s has "
			    "%.1f%% free", cfg->storage.path,
			    free_ratio * 100.0);
	}
	return n;
}
