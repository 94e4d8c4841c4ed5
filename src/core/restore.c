/*
 * restore.c: PITR into a new cluster.
 *
 * The model (DESIGN.md): the state at P holds every transaction whose
 * commit record starts before P.  Recovery with recovery_target_lsn = P
 * and recovery_target_inclusive = off stops before the first record that
 * starts at or after P, which is exactly that state; a timestamp T is
 * passed on as recovery_target_time = T, inclusive off, which stops before
 * the first commit whose time is at or after T.  Either way recovery must
 * read that first record whole, or PostgreSQL fails late ("recovery ended
 * before configured recovery target was reached"); so before anything is
 * copied, pg_waldump must find a complete record at or after the target
 * in the archive.
 *
 * The archive belongs to pgtt's user and sits in its private storage, so
 * the server (another OS user) cannot read it: the segments recovery
 * needs are copied into pgtt_wal/ inside the new data directory, the
 * newest .partial one under its final name (the archive itself is never
 * renamed), and restore_command is a plain cp from there that fails for
 * a missing file, as restore_command must.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "archive.h"
#include "backup.h"
#include "dsn.h"
#include "fsutil.h"
#include "logfile.h"
#include "pg.h"
#include "pgtime.h"
#include "point.h"
#include "proc.h"
#include "pitrlock.h"
#include "pgbackrest.h"
#include "restore.h"
#include "wal.h"
#include "xmalloc.h"

#define WAL_SUBDIR	"pgtt_wal"
#define SERVER_LOG	"pgtt_restore.log"
#define POLL_MS		50
#define START_TIMEOUT_S	3600

struct restore_ctx {
	const struct verb_ctx		*vc;
	const struct config		*cfg;
	struct journal			*j;
	const struct restore_opts	*o;
	struct restore_result		*r;
	struct pgtt_err			*err;
	struct backup_info		 backup;
	char				*user;	/* server's OS user, or NULL */
	uid_t				 uid;
	gid_t				 gid;
	int				 major;
	int				 phase_logged;	/* -1: none yet */
};

/* Add to what the result tells about choices pgtt made. */
static void
add_note(struct restore_result *r, const char *text)
{
	size_t	len = strlen(r->note);

	snprintf(r->note + len, sizeof r->note - len, "%s%s", len > 0 ?
	    "; " : "", text);
}
const char *
restore_phase_name(enum restore_phase phase)
{
	switch (phase) {
	case RESTORE_PHASE_CHECKING:
		return "checking the target against the window";
	case RESTORE_PHASE_STOPPING:
		return "stopping the previous restore";
	case RESTORE_PHASE_COPYING_BACKUP:
		return "copying the base backup";
	case RESTORE_PHASE_COPYING_WAL:
		return "copying WAL";
	case RESTORE_PHASE_STARTING:
		return "starting the server";
	case RESTORE_PHASE_RECOVERING:
		return "replaying WAL";
	case RESTORE_PHASE_DONE:
		return "done";
	}
	return "?";
}

static void
progress(struct restore_ctx *rc, enum restore_phase phase, int percent)
{
	/* The log says each step once, not each segment copied. */
	if ((int)phase != rc->phase_logged) {
		log_msg(LOG_LEVEL_INFO, "restore: %s",
		    restore_phase_name(phase));
		rc->phase_logged = (int)phase;
	}
	verb_progress_to(rc->vc, VERB_RESTORE, phase, (uint64_t)percent, 100);
}

/* "restore to any point from X to Y", for messages. */
static void
window_hint(struct restore_ctx *rc)
{
	struct pitr_window	w;
	struct pgtt_err		e;
	char			a[LSN_BUFSIZE], b[LSN_BUFSIZE];

	err_clear(&e);
	if (archive_window(rc->cfg, rc->j, &w, &e) != 0)
		return;
	if (w.latest != LSN_INVALID)
		err_hint(rc->err, "the recoverable window is %s .. %s; see "
		    "pgtt --headless status", lsn_format(w.earliest, a),
		    lsn_format(w.latest, b));
	else
		err_hint(rc->err, "the recoverable window is empty: %s",
		    w.note);
}

/* The point as an LSN; a timestamp also kept as such. */
static int
resolve(struct restore_ctx *rc)
{
	struct restore_result	*r = rc->r;
	pgtt_lsn		 first;
	char			 when[PGTIME_BUFSIZE];

	if (pgtime_parse(rc->o->to, &r->target_time) == 0) {
		r->is_time = 1;
		/*
		 * Recovery to T stops at the first commit at or after T: one
		 * must exist, or it would run off the end of the WAL.
		 */
		if (journal_seek_time(rc->j, r->target_time, &first,
		    rc->err) != 0) {
			if (rc->err->code != PGTT_ENOTFOUND)
				return rc->err->code;
			err_set(rc->err, PGTT_ENOTFOUND, "no transaction committed "
			    "at or after %s has been captured yet",
			    pgtime_format(r->target_time, when));
			err_detail(rc->err, "recovery to a time stops before "
			    "the first commit at or after it");
			err_hint(rc->err, "restore to an LSN or a checkpoint, "
			    "or to \"head\"");
			err_where(rc->err, "--to");
			return rc->err->code;
		}
	}
	if (point_resolve(rc->j, rc->cfg->source.dsn, rc->o->to,
	    &r->target_lsn, rc->err) != 0) {
		err_where(rc->err, "--to");
		return rc->err->code;
	}
	return 0;
}

/*
 * Under pgBackRest the window says how far its archive and pgtt's own
 * streamed WAL reach together (archive_window).
 */
static int
check_reach_pgbackrest(struct restore_ctx *rc, const struct pitr_window *w)
{
	char	a[LSN_BUFSIZE];

	if (w->latest != LSN_INVALID && rc->r->target_lsn <= w->latest)
		return 0;
	err_set(rc->err, PGTT_ENOTFOUND, "point %s is past the end of the WAL "
	    "pgBackRest and pgtt's own archive hold",
	    lsn_format(rc->r->target_lsn, a));
	err_detail(rc->err, "recovery must read the first WAL record at or "
	    "after its target to stop there");
	err_where(rc->err, "--to");
	window_hint(rc);
	return rc->err->code;
}

/*
 * Pick the newest backup ending at or before the target and check the
 * archive holds an unbroken run from it to a complete record at or after
 * the target.
 */
static int
check_window(struct restore_ctx *rc)
{
	struct backup_info	*bs;
	struct pitr_window	 w;
	struct pgtt_err		 e;
	size_t			 n, i;
	uint64_t		 last;
	pgtt_lsn		 found, target = rc->r->target_lsn;
	char			 a[LSN_BUFSIZE], b[LSN_BUFSIZE], *probe = NULL;
	int			 partial, ret, chosen = -1;
	int			 pgbr = rc->cfg->pitr.engine ==
				    PITR_ENGINE_PGBACKREST;

	/* Under pgBackRest, one look at it gives the backups and the reach. */
	if ((ret = pgbr ? archive_window_list(rc->cfg, rc->j, &w, &bs, &n,
	    rc->err) : backup_list(rc->cfg, rc->j, &bs, &n, rc->err)) != 0)
		return ret;
	for (i = 0; i < n; i++)
		if (bs[i].end_lsn <= target)
			chosen = (int)i;
	if (chosen < 0) {
		if (n == 0)
			err_set(rc->err, PGTT_ENOTFOUND, "there is no base backup "
			    "to restore from");
		else
			err_set(rc->err, PGTT_ENOTFOUND, "point %s is before the "
			    "oldest base backup, which restores from %s on",
			    lsn_format(target, a), lsn_format(bs[0].end_lsn, b));
		err_where(rc->err, "--to");
		free(bs);
		if (n == 0)
			err_hint(rc->err, "take one with: pgtt --headless "
			    "backup");
		else
			window_hint(rc);
		return rc->err->code;
	}
	rc->backup = bs[chosen];
	free(bs);
	snprintf(rc->r->base_backup, sizeof rc->r->base_backup, "%s",
	    rc->backup.name);
	if (pgbr)
		return check_reach_pgbackrest(rc, &w);

	err_clear(&e);
	if (wal_scan(rc->cfg->pitr.archive_dir, rc->backup.timeline,
	    rc->backup.seg_size, wal_segno(rc->backup.end_lsn,
	    rc->backup.seg_size), &last, &partial, &e) != 0 ||
	    last + 1 <= wal_segno(target, rc->backup.seg_size) ||
	    archive_probe_dir(rc->cfg, rc->backup.timeline,
	    rc->backup.seg_size, wal_segno(target, rc->backup.seg_size),
	    &probe, &e) != 0 ||
	    archive_record_after(rc->cfg, rc->major, probe,
	    rc->backup.timeline, rc->backup.seg_size, target, &found,
	    &e) != 0) {
		archive_probe_done(probe);
		err_set(rc->err, PGTT_ENOTFOUND, "point %s is past the end of "
		    "the WAL archive", lsn_format(target, a));
		err_detail(rc->err, "recovery must read the first WAL record "
		    "at or after its target to stop there");
		err_where(rc->err, "--to");
		window_hint(rc);
		return rc->err->code;
	}
	archive_probe_done(probe);
	return 0;
}

/* An absolute path, without a trailing slash. */
static char *
absolute(const char *path)
{
	char	cwd[PATH_MAX], *p;
	size_t	len;

	if (path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		p = xstrdup(path);
	else
		xasprintf(&p, "%s/%s", cwd, path);
	len = strlen(p);
	while (len > 1 && p[len - 1] == '/')
		p[--len] = '\0';
	return p;
}

/* Can uid:gid search (x) directory path? */
static int
searchable(const struct stat *st, uid_t uid, gid_t gid)
{
	if (uid == 0)
		return 1;
	if (st->st_uid == uid)
		return (st->st_mode & S_IXUSR) != 0;
	if (st->st_gid == gid)
		return (st->st_mode & S_IXGRP) != 0;
	return (st->st_mode & S_IXOTH) != 0;
}

/*
 * The server's OS user must reach the data directory.  pgtt's own
 * storage.path is private (0700); when the data directory lies inside it
 * (the default), it is opened for search only (0711: nothing in it can be
 * listed, and its files stay 0600).  Any other closed parent is an error.
 */
static int
check_reachable(struct restore_ctx *rc, const char *dir)
{
	struct stat	 st;
	char		*p, *slash, *storage;
	int		 ret = 0;

	if (rc->user == NULL)
		return 0;
	storage = absolute(rc->cfg->storage.path);
	p = xstrdup(dir);
	while ((slash = strrchr(p, '/')) != NULL && slash != p) {
		*slash = '\0';
		if (stat(p, &st) == -1 || searchable(&st, rc->uid, rc->gid))
			continue;
		if (strcmp(p, storage) == 0 && chmod(p, st.st_mode | 0011) ==
		    0) {
			char	note[256];

			snprintf(note, sizeof note, "made storage.path \"%.120s\" "
			    "searchable (mode %o) for OS user \"%.32s\"", p,
			    (unsigned)((st.st_mode | 0011) & 07777), rc->user);
			add_note(rc->r, note);
			continue;
		}
		ret = err_set(rc->err, PGTT_EUSAGE, "OS user \"%s\", who runs "
		    "the restored server, cannot reach \"%s\": \"%s\" is "
		    "closed to it", rc->user, dir, p);
		err_hint(rc->err, "choose a data directory elsewhere "
		    "(--data-dir or pitr.restore_data_dir)");
		err_where(rc->err, "--data-dir");
		break;
	}
	free(p);
	free(storage);
	return ret;
}

/* Run a tool as the server's user; its chatter on stdout is dropped. */
static int
user_run(struct restore_ctx *rc, const char *const argv[])
{
	struct proc_opts	opts;
	struct buf		out;
	int			ret;

	memset(&opts, 0, sizeof opts);
	buf_init(&out);
	opts.user = rc->user;
	opts.out = &out;
	ret = proc_exec(argv, &opts, rc->err);
	buf_done(&out);
	return ret;
}


static int
pg_ctl_stop(struct restore_ctx *rc, const char *dir)
{
	char	*bin, *pidfile;
	int	 ret = 0;

	xasprintf(&pidfile, "%s/postmaster.pid", dir);
	if (access(pidfile, F_OK) == 0) {
		const char	*argv[] = { NULL, "stop", "-D", dir, "-m", "fast",
		    "-w", NULL };

		bin = proc_find_pgbin(rc->cfg->pitr.bindir, rc->major, "pg_ctl");
		argv[0] = bin;
		ret = user_run(rc, argv);
		free(bin);
	}
	free(pidfile);
	return ret;
}

enum restore_dir
restore_dir_state(const char *dir)
{
	char	*marker;
	int	 ours;

	if (fs_dir_empty(dir))
		return RESTORE_DIR_EMPTY;
	xasprintf(&marker, "%s/%s", dir, RESTORE_MARKER);
	ours = access(marker, F_OK) == 0;
	free(marker);
	return ours ? RESTORE_DIR_PREVIOUS : RESTORE_DIR_FOREIGN;
}

/* An empty data directory owned by the server's user. */
static int
prepare_dir(struct restore_ctx *rc, const char *dir)
{
	char		*parent, *slash;
	struct stat	 st;
	int		 ret;

	if (strpbrk(dir, "'\"\\%\n$`") != NULL) {
		err_set(rc->err, PGTT_EUSAGE, "data directory \"%s\" holds a "
		    "quote, backslash, %%, $, ` or newline, which a "
		    "restore_command cannot carry", dir);
		err_where(rc->err, "--data-dir");
		return rc->err->code;
	}
	switch (restore_dir_state(dir)) {
	case RESTORE_DIR_EMPTY:
		break;
	case RESTORE_DIR_FOREIGN:
		err_set(rc->err, PGTT_EUSAGE, "data directory \"%s\" is not "
		    "empty and is not a pgtt restore", dir);
		err_hint(rc->err, "give an empty or absent directory");
		err_where(rc->err, "--data-dir");
		return rc->err->code;
	case RESTORE_DIR_PREVIOUS:
		if (!rc->o->force) {
			err_set(rc->err, PGTT_EUSAGE, "data directory \"%s\" holds "
			    "a previous restore", dir);
			err_hint(rc->err, "--force stops its server and replaces "
			    "it");
			err_where(rc->err, "--data-dir");
			return rc->err->code;
		}
		progress(rc, RESTORE_PHASE_STOPPING, 0);
		if ((ret = pg_ctl_stop(rc, dir)) != 0 ||
		    (ret = fs_remove_tree(dir, rc->err)) != 0)
			return ret;
		break;
	}
	parent = xstrdup(dir);
	if ((slash = strrchr(parent, '/')) != NULL && slash != parent) {
		*slash = '\0';
		if (stat(parent, &st) == -1 && (ret = fs_mkdirs(parent,
		    rc->err)) != 0) {
			free(parent);
			return ret;
		}
	}
	free(parent);
	if ((mkdir(dir, 0700) == -1 && errno != EEXIST) || chmod(dir, 0700) ==
	    -1 || (rc->user != NULL && chown(dir, rc->uid, rc->gid) == -1))
		return err_set(rc->err, PGTT_EIO, "could not create data "
		    "directory \"%s\": %s", dir, strerror(errno));
	return check_reachable(rc, dir);
}

/*
 * Segment segno in the local archive: whole, else the .partial one
 * pg_receivewal still writes; NULL when it holds neither.
 */
static char *
archived_segment(struct restore_ctx *rc, uint64_t segno)
{
	char	 name[WAL_NAME_LEN + 1], *path;

	wal_seg_name(rc->backup.timeline, segno, rc->backup.seg_size, name);
	xasprintf(&path, "%s/%s", rc->cfg->pitr.archive_dir, name);
	if (access(path, F_OK) == 0)
		return path;
	free(path);
	xasprintf(&path, "%s/%s.partial", rc->cfg->pitr.archive_dir, name);
	if (access(path, F_OK) == 0)
		return path;
	free(path);
	return NULL;
}

/* Copy segment segno into wal/, the .partial one under its final name. */
static int
copy_segment(struct restore_ctx *rc, const char *wal, uint64_t segno)
{
	char	 name[WAL_NAME_LEN + 1], *src, *dst;
	uid_t	 uid = rc->user != NULL ? rc->uid : (uid_t)-1;
	int	 ret;

	wal_seg_name(rc->backup.timeline, segno, rc->backup.seg_size, name);
	xasprintf(&dst, "%s/%s", wal, name);
	/* Missing: the copy fails naming the whole segment. */
	if ((src = archived_segment(rc, segno)) == NULL)
		xasprintf(&src, "%s/%s", rc->cfg->pitr.archive_dir, name);
	ret = fs_copy_file(src, dst, uid, rc->gid, rc->err);
	free(src);
	free(dst);
	return ret;
}

/*
 * Under pgBackRest, recovery asks its repository first and falls back
 * on the segments staged here: those of first..want the local archive
 * holds, which reach past what pgBackRest has archived yet.
 */
static int
stage_local_wal(struct restore_ctx *rc, const char *wal, uint64_t first,
    uint64_t want)
{
	uint64_t	 s;
	char		*src;
	int		 ret = 0;

	for (s = first; s <= want && ret == 0; s++) {
		if ((src = archived_segment(rc, s)) != NULL) {
			free(src);
			ret = copy_segment(rc, wal, s);
		}
		progress(rc, RESTORE_PHASE_COPYING_WAL, 40 + (int)(20 *
		    (s - first + 1) / (want - first + 1)));
	}
	return ret;
}

/*
 * The WAL recovery needs beyond what the backup holds: from the segment
 * of its end LSN to the one after the target's (the first record at or
 * after the target may reach into it), as far as the archive goes.
 */
static int
stage_wal(struct restore_ctx *rc, const char *dir)
{
	struct pgtt_err	 e;
	uint64_t	 first, last, s, want;
	char		*wal;
	int		 partial, ret;

	xasprintf(&wal, "%s/%s", dir, WAL_SUBDIR);
	if (mkdir(wal, 0700) == -1 || (rc->user != NULL &&
	    chown(wal, rc->uid, rc->gid) == -1)) {
		ret = err_set(rc->err, PGTT_EIO, "could not create \"%s\": %s",
		    wal, strerror(errno));
		free(wal);
		return ret;
	}
	first = wal_segno(rc->backup.end_lsn, rc->backup.seg_size);
	want = wal_segno(rc->r->target_lsn, rc->backup.seg_size) + 1;
	if (rc->cfg->pitr.engine == PITR_ENGINE_PGBACKREST) {
		ret = stage_local_wal(rc, wal, first, want);
		free(wal);
		return ret;
	}
	err_clear(&e);
	if ((ret = wal_scan(rc->cfg->pitr.archive_dir, rc->backup.timeline,
	    rc->backup.seg_size, first, &last, &partial, rc->err)) != 0) {
		free(wal);
		return ret;
	}
	if (last > want)
		last = want;
	for (s = first; s <= last && ret == 0; s++) {
		ret = copy_segment(rc, wal, s);
		progress(rc, RESTORE_PHASE_COPYING_WAL, 40 + (int)(20 * (s - first + 1) /
		    (last - first + 1)));
	}
	free(wal);
	return ret;
}

static int
append_text(const char *path, const char *text, struct pgtt_err *err)
{
	FILE	*f;

	if ((f = fopen(path, "a")) == NULL)
		return err_set(err, PGTT_EIO, "could not open \"%s\": %s", path,
		    strerror(errno));
	fputs(text, f);
	if (fclose(f) != 0)
		return err_set(err, PGTT_EIO, "could not write \"%s\": %s", path,
		    strerror(errno));
	return 0;
}

/*
 * A time as recovery_target_time takes it: PostgreSQL's GUC check does
 * not accept the ISO "T...Z" form pgtime_format writes.
 */
static const char *
server_time(int64_t t, char *buf)
{
	char	*p;

	pgtime_format(t, buf);
	if ((p = strchr(buf, 'T')) != NULL)
		*p = ' ';
	if ((p = strchr(buf, 'Z')) != NULL)
		strcpy(p, "+00");
	return buf;
}

/* postgresql.auto.conf, recovery.signal and the marker. */
static int
write_settings(struct restore_ctx *rc, const char *dir)
{
	struct restore_result	*r = rc->r;
	char			*path, *text, target[128], lsn[LSN_BUFSIZE];
	char			 when[PGTIME_BUFSIZE], *marker, *command;
	int			 ret;

	if (r->is_time)
		snprintf(target, sizeof target, "recovery_target_time = '%s'",
		    server_time(r->target_time, when));
	else
		snprintf(target, sizeof target, "recovery_target_lsn = '%s'",
		    lsn_format(r->target_lsn, lsn));
	if (rc->cfg->pitr.engine == PITR_ENGINE_PGBACKREST)
		command = pgbr_restore_command(rc->cfg, dir, WAL_SUBDIR);
	else
		xasprintf(&command, "cp \"%s/" WAL_SUBDIR "/%%f\" \"%%p\"",
		    dir);
	if (strchr(command, '\'') != NULL) {
		ret = err_set(rc->err, PGTT_ECONFIG, "restore_command would "
		    "hold a quote: %s", command);
		free(command);
		return ret;
	}
	/* Later lines win: these override what the source's config says. */
	xasprintf(&text, "\n# written by pgtt restore\n"
	    "restore_command = '%s'\n"
	    "%s\n"
	    "recovery_target_inclusive = off\n"
	    "recovery_target_action = 'promote'\n"
	    "recovery_target_timeline = 'current'\n"
	    "port = %d\n"
	    "listen_addresses = ''\n"
	    "unix_socket_directories = '%s'\n"
	    "primary_conninfo = ''\n"
	    "primary_slot_name = ''\n"
	    "archive_mode = off\n"
	    "hot_standby = on\n", command, target, r->port, dir);
	free(command);
	xasprintf(&path, "%s/postgresql.auto.conf", dir);
	ret = append_text(path, text, rc->err);
	free(path);
	free(text);
	if (ret != 0)
		return ret;

	xasprintf(&path, "%s/standby.signal", dir);
	unlink(path);
	free(path);
	xasprintf(&path, "%s/recovery.signal", dir);
	if ((ret = fs_write_file(path, "", rc->err)) == 0 && rc->user != NULL)
		(void)chown(path, rc->uid, rc->gid);
	free(path);
	if (ret != 0)
		return ret;

	xasprintf(&marker, "{\"target\":\"%s\",\"base_backup\":\"%s\","
	    "\"port\":%d}\n", r->is_time ? pgtime_format(r->target_time, when) :
	    lsn_format(r->target_lsn, lsn), rc->backup.name, r->port);
	xasprintf(&path, "%s/%s", dir, RESTORE_MARKER);
	ret = fs_write_file(path, marker, rc->err);
	if (ret == 0 && rc->user != NULL)
		(void)chown(path, rc->uid, rc->gid);
	free(path);
	free(marker);
	return ret;
}

/* The last lines of the server's log, for an error's detail. */
static void
log_tail(const char *dir, struct pgtt_err *err)
{
	char	*path, *text, *p;
	size_t	 len;
	int	 lines = 0;

	xasprintf(&path, "%s/" SERVER_LOG, dir);
	text = fs_read_file(path);
	free(path);
	if (text == NULL)
		return;
	len = strlen(text);
	for (p = text + len; p > text; p--)
		if (*p == '\n' && p[1] != '\0' && ++lines == 4)
			break;
	err_detail(err, "%s", p);
	free(text);
}

/* The server's postmaster pid, or 0 while it has none / after it left. */
static long
postmaster_pid(const char *dir)
{
	char	*path, *text;
	long	 pid = 0;

	xasprintf(&path, "%s/postmaster.pid", dir);
	if ((text = fs_read_file(path)) != NULL) {
		pid = strtol(text, NULL, 10);
		free(text);
	}
	free(path);
	return pid;
}

/* Connection to the restored server, as the source's user and database. */
static PGconn *
connect_restored(struct restore_ctx *rc, const char *dir)
{
	const char	*keys[] = { "dbname", "host", "port", "connect_timeout",
	    NULL };
	const char	*vals[5];
	char		 port[16];

	snprintf(port, sizeof port, "%d", rc->r->port);
	vals[0] = rc->cfg->source.dsn;
	vals[1] = dir;
	vals[2] = port;
	vals[3] = "5";
	vals[4] = NULL;
	return PQconnectdbParams(keys, vals, 1);
}

/* Start the server and wait until it has promoted. */
static int
start_and_wait(struct restore_ctx *rc, const char *dir)
{
	char		*bin, *log_arg;
	PGconn		*conn;
	PGresult	*res;
	int64_t		 deadline;
	long		 pid = 0;
	int		 ret, done = 0, seen_pid = 0;

	bin = proc_find_pgbin(rc->cfg->pitr.bindir, rc->major, "pg_ctl");
	xasprintf(&log_arg, "--log=%s/" SERVER_LOG, dir);
	{
		/*
		 * -w: pg_ctl says at once when the server fails to start
		 * (with hot_standby it is ready once consistent); promotion
		 * is awaited below.
		 */
		const char	*argv[] = { bin, "start", "-D", dir, log_arg,
		    "-w", "--timeout=3600", NULL };

		ret = user_run(rc, argv);
	}
	free(bin);
	free(log_arg);
	if (ret != 0) {
		log_tail(dir, rc->err);
		return ret;
	}
	progress(rc, RESTORE_PHASE_RECOVERING, 70);
	deadline = pgtime_elapsed_ms() + (int64_t)START_TIMEOUT_S * 1000;
	while (!done) {
		if ((pid = postmaster_pid(dir)) > 0)
			seen_pid = 1;
		if (seen_pid && (pid <= 0 || (kill((pid_t)pid, 0) == -1 &&
		    errno == ESRCH))) {
			err_set(rc->err, PGTT_EDB, "the restored server stopped "
			    "during recovery");
			log_tail(dir, rc->err);
			err_hint(rc->err, "its log is \"%s/" SERVER_LOG "\"",
			    dir);
			return rc->err->code;
		}
		if (pgtime_elapsed_ms() > deadline) {
			err_set(rc->err, PGTT_EDB, "the restored server did not "
			    "finish recovery in %d s", START_TIMEOUT_S);
			log_tail(dir, rc->err);
			return rc->err->code;
		}
		conn = connect_restored(rc, dir);
		if (PQstatus(conn) == CONNECTION_OK) {
			res = PQexec(conn, "SELECT pg_is_in_recovery()");
			done = PQresultStatus(res) == PGRES_TUPLES_OK &&
			    strcmp(PQgetvalue(res, 0, 0), "f") == 0;
			PQclear(res);
		}
		PQfinish(conn);
		if (!done)
			usleep(POLL_MS * 1000);
	}
	return 0;
}

/* "host=DIR port=N dbname=DB user=U": how to reach it, no password. */
static void
make_conninfo(struct restore_ctx *rc, const char *dir)
{
	PQconninfoOption	*opts, *o;
	const char		*db = NULL, *user = NULL;

	opts = PQconninfoParse(rc->cfg->source.dsn, NULL);
	for (o = opts; o != NULL && o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "dbname") == 0 && o->val != NULL)
			db = o->val;
		if (strcmp(o->keyword, "user") == 0 && o->val != NULL)
			user = o->val;
	}
	snprintf(rc->r->conninfo, sizeof rc->r->conninfo, "host=%s port=%d%s%s"
	    "%s%s", dir, rc->r->port, db != NULL ? " dbname=" : "",
	    db != NULL ? db : "", user != NULL ? " user=" : "",
	    user != NULL ? user : "");
	PQconninfoFree(opts);
}

int
restore_run(const struct verb_ctx *vc, const struct restore_opts *o,
    struct restore_result *r, struct pgtt_err *err)
{
	const struct config	*cfg = vc->cfg;
	struct journal		*j = vc->j;
	struct restore_ctx	 rc;
	char			*dir = NULL, *backup = NULL, *wal;
	int64_t			 started = pgtime_elapsed_ms();
	int			 defaulted, ret, lock = -1;
	const char *const	 skip[] = { "backup_manifest", NULL };

	memset(r, 0, sizeof *r);
	memset(&rc, 0, sizeof rc);
	rc.vc = vc;
	rc.cfg = cfg;
	rc.j = j;
	rc.o = o;
	rc.phase_logged = -1;
	rc.r = r;
	rc.err = err;
	rc.major = backup_server_major(j);
	r->port = o->port > 0 ? o->port : cfg->pitr.restore_port;

	if (!cfg->pitr.enabled)
		return err_set(err, PGTT_ECONFIG, "PITR is turned off "
		    "(pitr.enabled: false)");
	if ((ret = proc_server_user(cfg->pitr.os_user, &rc.user, &defaulted,
	    err)) != 0)
		return ret;
	if (rc.user != NULL) {
		proc_user_ids(rc.user, &rc.uid, &rc.gid);
		snprintf(r->os_user, sizeof r->os_user, "%s", rc.user);
	}
	if (defaulted)
		add_note(r, "the server runs as OS user \"postgres\", since "
		    "PostgreSQL refuses root (set pitr.os_user to choose)");

	/* Until its WAL is copied, no prune may take what it uses. */
	if ((lock = pitr_lock_shared(cfg, err)) == -1) {
		ret = err->code;
		goto out;
	}
	progress(&rc, RESTORE_PHASE_CHECKING, 0);
	if ((ret = resolve(&rc)) != 0 || (ret = check_window(&rc)) != 0)
		goto out;
	dir = absolute(o->data_dir != NULL ? o->data_dir :
	    cfg->pitr.restore_data_dir);
	snprintf(r->data_dir, sizeof r->data_dir, "%s", dir);
	if ((ret = prepare_dir(&rc, dir)) != 0)
		goto out;

	progress(&rc, RESTORE_PHASE_COPYING_BACKUP, 5);
	if (cfg->pitr.engine == PITR_ENGINE_PGBACKREST)
		ret = pgbr_restore(cfg, rc.backup.name, dir, err);
	else {
		backup = backup_path(cfg, &rc.backup);
		ret = fs_copy_tree(backup, dir, rc.user != NULL ? rc.uid :
		    (uid_t)-1, rc.gid, skip, err);
	}
	if (ret != 0 || (ret = stage_wal(&rc, dir)) != 0 ||
	    (ret = write_settings(&rc, dir)) != 0)
		goto out;
	pitr_unlock(lock);
	lock = -1;
	make_conninfo(&rc, dir);
	progress(&rc, RESTORE_PHASE_STARTING, 65);
	if ((ret = start_and_wait(&rc, dir)) != 0)
		goto out;

	/* Promoted: the copied WAL has served. */
	xasprintf(&wal, "%s/%s", dir, WAL_SUBDIR);
	(void)fs_remove_tree(wal, err);
	free(wal);
	err_clear(err);
	r->elapsed_ms = pgtime_elapsed_ms() - started;
	progress(&rc, RESTORE_PHASE_DONE, 100);
out:
	pitr_unlock(lock);
	free(dir);
	free(backup);
	free(rc.user);
	return ret;
}

int
restore_stop(const struct config *cfg, struct journal *j, const char *dir,
    struct pgtt_err *err)
{
	struct restore_ctx	 rc;
	struct restore_result	 r;
	struct restore_opts	 o;
	char			*abs, *marker;
	int			 defaulted, ret;

	memset(&rc, 0, sizeof rc);
	memset(&o, 0, sizeof o);
	rc.cfg = cfg;
	rc.j = j;
	rc.o = &o;
	rc.r = &r;
	rc.err = err;
	rc.major = j != NULL ? backup_server_major(j) : 0;
	abs = absolute(dir);
	xasprintf(&marker, "%s/%s", abs, RESTORE_MARKER);
	if (access(marker, F_OK) != 0) {
		ret = err_set(err, PGTT_EUSAGE, "\"%s\" is not a pgtt restore",
		    abs);
		err_where(err, "--stop");
	} else if ((ret = proc_server_user(cfg->pitr.os_user, &rc.user,
	    &defaulted, err)) == 0) {
		if (rc.user != NULL)
			proc_user_ids(rc.user, &rc.uid, &rc.gid);
		if (postmaster_pid(abs) <= 0)
			ret = err_set(err, PGTT_EUSAGE, "the restore in \"%s\" is "
			    "not running", abs);
		else
			ret = pg_ctl_stop(&rc, abs);
	}
	free(rc.user);
	free(marker);
	free(abs);
	return ret;
}
