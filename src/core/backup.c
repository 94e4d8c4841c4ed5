/*
 * backup.c: pg_basebackup in plain format with WAL streamed (-X stream),
 * so every backup restores on its own up to its end LSN; the WAL archive
 * takes over from there.  The start LSN is read from backup_label, the end
 * LSN from backup_manifest's WAL-Ranges: both are written by the server
 * itself, so nothing here guesses.  The journal record is one text line
 * per backup under meta key "backups":
 *
 *	name start_lsn end_lsn start_time end_time timeline seg_size bytes
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup.h"
#include "logfile.h"
#include "pgbackrest.h"
#include "pitrlock.h"
#include "dsn.h"
#include "fsutil.h"
#include "pgtime.h"
#include "proc.h"
#include "wal.h"
#include "xmalloc.h"

/* "  1234/56789 kB (2%), 0/1 tablespace": pg_basebackup --progress. */
static void
on_line(void *arg, const char *line)
{
	const struct verb_ctx	*vc = arg;
	unsigned long long	 done, total;

	if (sscanf(line, " %llu/%llu kB", &done, &total) == 2)
		verb_progress_to(vc, VERB_BACKUP, BACKUP_PHASE_COPYING, done,
		    total);
}

int
backup_server_major(struct journal *j)
{
	struct pgtt_err	 err;
	char		*v;
	int		 major;

	err_clear(&err);
	if (journal_meta_get(j, "server_version", &v, &err) != 0)
		return 0;
	major = atoi(v) / 10000;
	free(v);
	return major;
}

uint32_t
backup_seg_size(struct journal *j)
{
	struct pgtt_err	 err;
	char		*v;
	uint32_t	 size;

	err_clear(&err);
	if (j == NULL || journal_meta_get(j, "wal_segment_size", &v, &err) != 0)
		return 0;
	size = (uint32_t)strtoul(v, NULL, 10);
	free(v);
	return size;
}

char *
backup_path(const struct config *cfg, const struct backup_info *b)
{
	char	*p;

	xasprintf(&p, "%s/%s", cfg->pitr.backup_dir, b->name);
	return p;
}

/* START WAL LOCATION and START TIMELINE from backup_label. */
static int
read_label(const char *dir, struct backup_info *b, struct pgtt_err *err)
{
	char	*path, line[512], lsn[LSN_BUFSIZE + 4];
	FILE	*f;
	int	 found = 0;

	xasprintf(&path, "%s/backup_label", dir);
	if ((f = fopen(path, "r")) == NULL) {
		err_set(err, PGTT_EIO, "could not open \"%s\": %s", path,
		    strerror(errno));
		free(path);
		return err->code;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "START WAL LOCATION: %20s", lsn) == 1 &&
		    lsn_parse(lsn, &b->start_lsn) == 0)
			found |= 1;
		else if (sscanf(line, "START TIMELINE: %" SCNu32,
		    &b->timeline) == 1)
			found |= 2;
	}
	fclose(f);
	if (found != 3)
		err_set(err, PGTT_ECORRUPT, "\"%s\" names no start WAL "
		    "location and timeline", path);
	free(path);
	return found == 3 ? 0 : err->code;
}

/* The last WAL-Ranges End-LSN of backup_manifest. */
static int
read_manifest(const char *dir, struct backup_info *b, struct pgtt_err *err)
{
	json_error_t	 jerr;
	json_t		*m, *ranges, *last;
	const char	*end;
	char		*path;
	int		 ret = 0;

	xasprintf(&path, "%s/backup_manifest", dir);
	if ((m = json_load_file(path, 0, &jerr)) == NULL) {
		ret = err_set(err, PGTT_ECORRUPT, "could not read \"%s\": %s",
		    path, jerr.text);
		free(path);
		return ret;
	}
	ranges = json_object_get(m, "WAL-Ranges");
	last = json_array_get(ranges, json_array_size(ranges) - 1);
	end = json_string_value(json_object_get(last, "End-LSN"));
	if (end == NULL || lsn_parse(end, &b->end_lsn) != 0)
		ret = err_set(err, PGTT_ECORRUPT, "\"%s\" has no WAL-Ranges "
		    "End-LSN", path);
	json_decref(m);
	free(path);
	return ret;
}

/* The segment size from the size of a segment file in pg_wal. */
static uint32_t
read_seg_size(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		*wal, *p;
	uint32_t	 size = WAL_DEFAULT_SEG;

	xasprintf(&wal, "%s/pg_wal", dir);
	if ((d = opendir(wal)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strlen(de->d_name) != WAL_NAME_LEN ||
			    strspn(de->d_name, "0123456789ABCDEF") !=
			    WAL_NAME_LEN)
				continue;
			xasprintf(&p, "%s/%s", wal, de->d_name);
			if (stat(p, &st) == 0 && st.st_size > 0)
				size = (uint32_t)st.st_size;
			free(p);
			break;
		}
		closedir(d);
	}
	free(wal);
	return size;
}

static uint64_t	du_total;

static int
du_add(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	if (type == FTW_F)
		du_total += (uint64_t)st->st_size;
	return 0;
}

/* nftw has no context argument; only one thread sums at a time. */
static uint64_t
disk_usage(const char *dir)
{
	static pthread_mutex_t	lock = PTHREAD_MUTEX_INITIALIZER;
	uint64_t		total;

	pthread_mutex_lock(&lock);
	du_total = 0;
	nftw(dir, du_add, 16, FTW_PHYS);
	total = du_total;
	pthread_mutex_unlock(&lock);
	return total;
}

static void
format_backup(struct buf *out, const struct backup_info *b)
{
	char	line[512], s[LSN_BUFSIZE], e[LSN_BUFSIZE];

	snprintf(line, sizeof line, "%s %s %s %" PRId64 " %" PRId64 " %"
	    PRIu32 " %" PRIu32 " %" PRIu64 "\n", b->name,
	    lsn_format(b->start_lsn, s), lsn_format(b->end_lsn, e),
	    b->start_time, b->end_time, b->timeline, b->seg_size, b->bytes);
	buf_append(out, line, strlen(line));
}

static int
parse_backup(const char *line, struct backup_info *b)
{
	char	s[32], e[32];

	memset(b, 0, sizeof *b);
	if (sscanf(line, "%63s %31s %31s %" SCNd64 " %" SCNd64 " %" SCNu32
	    " %" SCNu32 " %" SCNu64, b->name, s, e, &b->start_time,
	    &b->end_time, &b->timeline, &b->seg_size, &b->bytes) != 8 ||
	    lsn_parse(s, &b->start_lsn) != 0 || lsn_parse(e, &b->end_lsn) != 0 ||
	    b->seg_size == 0)
		return -1;
	return 0;
}

int
backup_cmp_end(const void *a, const void *b)
{
	const struct backup_info *x = a, *y = b;

	return x->end_lsn < y->end_lsn ? -1 : x->end_lsn > y->end_lsn;
}

/* The journal's record of the pgtt engine's backups. */
static int
list_recorded(struct journal *j, struct backup_info **out, size_t *n,
    struct pgtt_err *err)
{
	char	*text, *line, *save = NULL;
	size_t	 cap = 0;

	*out = NULL;
	*n = 0;
	if (journal_meta_get(j, "backups", &text, err) != 0) {
		if (err->code != PGTT_ENOTFOUND)
			return err->code;
		err_clear(err);
		return 0;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (*n == cap) {
			cap = cap == 0 ? 8 : cap * 2;
			*out = xreallocarray(*out, cap, sizeof **out);
		}
		if (parse_backup(line, &(*out)[*n]) != 0) {
			err_set(err, PGTT_ECORRUPT, "journal meta key "
			    "\"backups\" holds a line that is no backup: "
			    "\"%.80s\"", line);
			free(text);
			free(*out);
			*out = NULL;
			*n = 0;
			return err->code;
		}
		(*n)++;
	}
	free(text);
	if (*n > 0)
		qsort(*out, *n, sizeof **out, backup_cmp_end);
	return 0;
}

int
backup_list(const struct config *cfg, struct journal *j,
    struct backup_info **out, size_t *n, struct pgtt_err *err)
{
	struct pgbr_info	in;
	int			ret;

	if (cfg->pitr.engine != PITR_ENGINE_PGBACKREST)
		return list_recorded(j, out, n, err);
	if ((ret = pgbr_info(cfg, backup_seg_size(j), &in, err)) != 0) {
		*out = NULL;
		*n = 0;
		return ret;
	}
	*out = in.backups;
	*n = in.nbackups;
	return 0;
}

/* The journal's list of backups, one line each, is now text. */
static int
put_record(struct journal *j, struct buf *text, struct pgtt_err *err)
{
	struct jbatch	*batch;
	int		 ret;

	buf_append(text, "", 1);
	batch = jbatch_new();
	jbatch_put_meta(batch, "backups", (char *)text->data);
	ret = journal_commit(j, batch, err);
	jbatch_free(batch);
	return ret;
}

/* Append b to the journal's list (only backup_take writes it). */
static int
record_backup(struct journal *j, const struct backup_info *b,
    struct pgtt_err *err)
{
	struct buf	 text;
	char		*old = NULL;
	int		 ret;

	buf_init(&text);
	if (journal_meta_get(j, "backups", &old, err) == 0) {
		buf_append(&text, old, strlen(old));
		free(old);
	} else if (err->code != PGTT_ENOTFOUND) {
		buf_done(&text);
		return err->code;
	}
	err_clear(err);
	format_backup(&text, b);
	ret = put_record(j, &text, err);
	buf_done(&text);
	return ret;
}

int
backup_forget(struct journal *j, char (*names)[64], size_t n,
    struct pgtt_err *err)
{
	struct backup_info	*bs;
	struct buf		 text;
	size_t			 nb, i, k;
	int			 ret;

	if ((ret = list_recorded(j, &bs, &nb, err)) != 0)
		return ret;
	buf_init(&text);
	for (i = 0; i < nb; i++) {
		for (k = 0; k < n && strcmp(bs[i].name, names[k]) != 0; k++)
			;
		if (k == n)
			format_backup(&text, &bs[i]);
	}
	ret = put_record(j, &text, err);
	buf_done(&text);
	free(bs);
	return ret;
}

/* 1 if backup_dir already holds name, finished or not. */
static int
name_taken(const struct config *cfg, const char *name)
{
	char	*p;
	int	 taken;

	xasprintf(&p, "%s/%s", cfg->pitr.backup_dir, name);
	taken = access(p, F_OK) == 0;
	free(p);
	xasprintf(&p, "%s/%s.partial", cfg->pitr.backup_dir, name);
	taken |= access(p, F_OK) == 0;
	free(p);
	return taken;
}

/* A new directory name: the UTC time, made unique with a suffix. */
static void
new_name(const struct config *cfg, char *name, size_t size)
{
	struct tm	 tm;
	time_t		 now = time(NULL);
	char		 base[32];
	int		 i;

	gmtime_r(&now, &tm);
	strftime(base, sizeof base, "%Y%m%dT%H%M%SZ", &tm);
	snprintf(name, size, "%s", base);
	for (i = 2; name_taken(cfg, name); i++)
		snprintf(name, size, "%s-%d", base, i);
}

/* pgBackRest's log line, for pgtt's log. */
static void
on_pgbr_line(void *arg, const char *line)
{
	(void)arg;
	if (strstr(line, "INFO:") != NULL || strstr(line, "WARN:") != NULL)
		log_msg(LOG_LEVEL_INFO, "pgbackrest: %s", line);
}

/* pgbackrest backup, then its newest backup as pgtt describes one. */
static int
take_pgbackrest(const struct verb_ctx *vc, const struct backup_opts *o,
    struct backup_info *out, struct pgtt_err *err)
{
	struct pgbr_info	in;
	int			ret;

	verb_progress_to(vc, VERB_BACKUP, BACKUP_PHASE_PGBACKREST, 0, 0);
	if ((ret = pgbr_backup(vc->cfg, o->type, on_pgbr_line, NULL,
	    err)) != 0 || (ret = pgbr_info(vc->cfg, backup_seg_size(vc->j),
	    &in, err)) != 0)
		return ret;
	if (in.nbackups == 0)
		ret = err_set(err, PGTT_EIO, "pgbackrest backup ended, and its "
		    "info lists no backup");
	else {
		/* The one just taken: the one that ended last. */
		*out = in.backups[0];
		for (size_t i = 1; i < in.nbackups; i++)
			if (in.backups[i].end_time > out->end_time)
				*out = in.backups[i];
	}
	pgbr_info_done(&in);
	return ret;
}

int
backup_take(const struct verb_ctx *vc, const struct backup_opts *o,
    struct backup_info *out, struct pgtt_err *err)
{
	const struct config	*cfg = vc->cfg;
	struct journal		*j = vc->j;
	struct proc_opts	 opts;
	struct verb_ctx		 prog = *vc;	/* on_line's argument */
	struct backup_info	 b;
	char			*dir, *tmp, *dsn = NULL, *password = NULL;
	char			*bin, *dir_arg, *dsn_arg;
	int			 ret, lock;

	if (!cfg->pitr.enabled)
		return err_set(err, PGTT_ECONFIG, "PITR is turned off "
		    "(pitr.enabled: false)");
	if (cfg->pitr.engine == PITR_ENGINE_PGBACKREST)
		return take_pgbackrest(vc, o, out, err);
	if (o->type != NULL)
		return err_set(err, PGTT_EUSAGE, "a backup type is "
		    "pgBackRest's to choose, and pitr.engine is pgtt, whose "
		    "backups are all full");
	if ((ret = fs_mkdirs(cfg->pitr.backup_dir, err)) != 0)
		return ret;
	/* No prune while it is taken and recorded (pitrlock.h). */
	if ((lock = pitr_lock_shared(cfg, err)) == -1)
		return err->code;
	memset(&b, 0, sizeof b);
	new_name(cfg, b.name, sizeof b.name);
	dir = backup_path(cfg, &b);
	xasprintf(&tmp, "%s.partial", dir);
	if ((ret = dsn_split_password(cfg->source.dsn, &dsn, &password,
	    err)) != 0)
		goto out;

	bin = proc_find_pgbin(cfg->pitr.bindir, backup_server_major(j),
	    "pg_basebackup");
	xasprintf(&dir_arg, "--pgdata=%s", tmp);
	xasprintf(&dsn_arg, "--dbname=%s", dsn);
	{
		const char	*argv[] = { bin, dir_arg, dsn_arg,
		    "--format=plain", "--wal-method=stream",
		    "--checkpoint=fast", "--progress", "--no-password",
		    "--label=pgtt", NULL };

		memset(&opts, 0, sizeof opts);
		opts.password = password;
		opts.on_line = on_line;
		opts.arg = &prog;
		b.start_time = pgtime_now();
		ret = proc_exec(argv, &opts, err);
		b.end_time = pgtime_now();
	}
	free(bin);
	free(dir_arg);
	free(dsn_arg);
	if (ret != 0) {
		err_hint(err, "the incomplete backup is in \"%s\"; remove it",
		    tmp);
		goto out;
	}
	if ((ret = read_label(tmp, &b, err)) != 0 ||
	    (ret = read_manifest(tmp, &b, err)) != 0)
		goto out;
	b.seg_size = read_seg_size(tmp);
	b.bytes = disk_usage(tmp);
	if (rename(tmp, dir) == -1) {
		ret = err_set(err, PGTT_EIO, "could not rename \"%s\": %s",
		    tmp, strerror(errno));
		goto out;
	}
	if ((ret = record_backup(j, &b, err)) != 0)
		goto out;
	verb_progress_to(vc, VERB_BACKUP, BACKUP_PHASE_COPYING, b.bytes / 1024,
	    b.bytes / 1024);
	*out = b;
out:
	pitr_unlock(lock);
	free(dir);
	free(tmp);
	free(dsn);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return ret;
}
