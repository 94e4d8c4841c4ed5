/*
 * archive.c: the WAL archive's supervisor and the recoverable window.
 *
 * pg_receivewal runs with --no-loop, so every failure comes back here to
 * be seen, logged and retried with a back-off, and with --synchronous, so
 * what it received is flushed at once and the physical slot lets the
 * server recycle only what is safely archived.  The child dies with its
 * supervising thread (proc_spawn), so a killed pgtt leaves no receiver
 * holding the slot.
 *
 * The window: recovery to P stops before the first record that starts at
 * or after P, so it must read that record whole.  The latest reachable P
 * is therefore the start of the last complete record in the archive,
 * found by asking pg_waldump for "the first record at or after X" in a
 * binary search over the newest segments (the .partial one included,
 * seen under its final name through a symlink in a scratch directory).
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "pgbackrest.h"
#include "pgtime.h"
#include "backup.h"
#include "dsn.h"
#include "fsutil.h"
#include "logfile.h"
#include "proc.h"
#include "source.h"
#include "wal.h"
#include "xmalloc.h"

#define BACKOFF_MIN_MS	1000
#define BACKOFF_MAX_MS	30000
#define STOP_WAIT_MS	10000

const char *
archiver_state_name(enum archiver_state s)
{
	switch (s) {
	case ARCHIVER_STOPPED:
		return "stopped";
	case ARCHIVER_STARTING:
		return "starting";
	case ARCHIVER_STREAMING:
		return "streaming";
	case ARCHIVER_RESTARTING:
		return "restarting";
	}
	return "?";
}

static char *
state_path(const struct config *cfg)
{
	char	*p;

	xasprintf(&p, "%s/archiver.state", cfg->storage.path);
	return p;
}

static void
publish(const struct archiver_opts *o, const struct archiver_status *st)
{
	struct pgtt_err	 err;
	char		*path, text[512];

	snprintf(text, sizeof text, "pid %ld\nreceiver_pid %ld\nstate %s\n"
	    "restarts %u\nerror %s\n", st->pid, st->receiver_pid,
	    archiver_state_name(st->state), st->restarts, st->error);
	path = state_path(o->cfg);
	err_clear(&err);
	if (fs_write_file(path, text, &err) != 0)
		log_msg(LOG_LEVEL_WARNING, "archiver: %s", err.msg);
	free(path);
	if (o->on_state != NULL)
		o->on_state(o->arg, st);
}

void
archiver_status_read(const struct config *cfg, struct archiver_status *st)
{
	char	*path, *text, *line, *save = NULL, state[32] = "";

	memset(st, 0, sizeof *st);
	path = state_path(cfg);
	text = fs_read_file(path);
	free(path);
	if (text == NULL)
		return;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "error ", 6) == 0)
			snprintf(st->error, sizeof st->error, "%s", line + 6);
		else if (sscanf(line, "pid %ld", &st->pid) == 1 ||
		    sscanf(line, "receiver_pid %ld", &st->receiver_pid) == 1 ||
		    sscanf(line, "restarts %u", &st->restarts) == 1 ||
		    sscanf(line, "state %31s", state) == 1)
			continue;
	}
	free(text);
	if (strcmp(state, "streaming") == 0)
		st->state = ARCHIVER_STREAMING;
	else if (strcmp(state, "starting") == 0)
		st->state = ARCHIVER_STARTING;
	else if (strcmp(state, "restarting") == 0)
		st->state = ARCHIVER_RESTARTING;
	/* A supervisor that is gone supervises nothing. */
	if (st->pid <= 0 || (kill((pid_t)st->pid, 0) == -1 && errno != EPERM)) {
		st->state = ARCHIVER_STOPPED;
		st->receiver_pid = 0;
	}
}

/* Sleep ms unless stop_fd becomes readable; 1 if it did. */
static int
wait_or_stop(int stop_fd, int ms)
{
	struct pollfd	pfd;

	pfd.fd = stop_fd;
	pfd.events = POLLIN;
	return poll(&pfd, 1, ms) > 0;
}

/*
 * Read what the child wrote; keep its last line, unless an earlier one
 * said what is missing ("replication slot ... does not exist", followed
 * by "error: disconnected").
 */
static void
keep_line(char *last, size_t size, const char *line)
{
	if (strstr(last, "replication slot") == NULL ||
	    strstr(last, "does not exist") == NULL)
		snprintf(last, size, "%.*s", (int)size - 1, line);
}

static void
drain(int fd, char *last, size_t size)
{
	char	buf[1024], *nl, *start;
	ssize_t	n;

	while ((n = read(fd, buf, sizeof buf - 1)) > 0) {
		buf[n] = '\0';
		for (start = buf; *start != '\0'; start = nl + 1) {
			if ((nl = strchr(start, '\n')) == NULL) {
				keep_line(last, size, start);
				break;
			}
			*nl = '\0';
			if (*start != '\0') {
				keep_line(last, size, start);
				log_msg(LOG_LEVEL_INFO, "archiver: %s", start);
			}
		}
	}
}

/* Stop the receiver in order (it flushes on SIGINT), or kill it. */
static void
stop_child(pid_t pid)
{
	int64_t	deadline = pgtime_elapsed_ms() + STOP_WAIT_MS;
	int	status;

	kill(pid, SIGINT);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (pgtime_elapsed_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return;
		}
		usleep(20000);
	}
}

/*
 * Run one pg_receivewal until it exits (1) or stop_fd is readable (0, the
 * child stopped).  why says how it ended.
 */
static int
supervise_one(const struct archiver_opts *o, struct archiver_status *st,
    const char *const argv[], const char *password, char *why, size_t size)
{
	struct proc_opts	 popts;
	struct pgtt_err		 err;
	struct pollfd		 pfd[2];
	pid_t			 pid;
	int			 efd, status;

	memset(&popts, 0, sizeof popts);
	popts.password = password;
	err_clear(&err);
	why[0] = '\0';
	if (proc_spawn(argv, &popts, &pid, &efd, &err) != 0) {
		snprintf(why, size, "%.*s", (int)size - 1, err.msg);
		return 1;
	}
	st->state = ARCHIVER_STREAMING;
	st->receiver_pid = pid;
	publish(o, st);
	log_msg(LOG_LEVEL_INFO, "archiver: pg_receivewal started (pid %ld)",
	    (long)pid);
	for (;;) {
		pfd[0].fd = efd;
		pfd[1].fd = o->stop_fd;
		pfd[0].events = pfd[1].events = POLLIN;
		if (poll(pfd, 2, 1000) == -1 && errno != EINTR)
			break;
		if (pfd[1].revents != 0) {
			stop_child(pid);
			drain(efd, why, size);
			close(efd);
			return 0;
		}
		if (pfd[0].revents != 0)
			drain(efd, why, size);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
	}
	drain(efd, why, size);
	close(efd);
	if (why[0] == '\0' && WIFSIGNALED(status))
		snprintf(why, size, "pg_receivewal was terminated by signal %d",
		    WTERMSIG(status));
	else if (why[0] == '\0')
		snprintf(why, size, "pg_receivewal exited with status %d",
		    WEXITSTATUS(status));
	return 1;
}

/*
 * pg_receivewal fills a new segment's .partial file with zeros before it
 * writes WAL into it; killed in between, it leaves a file of neither 0
 * nor a whole segment's size, and refuses to start again on it ("should
 * be 0 or 16777216"), for ever.  Such a file holds no WAL that was
 * confirmed (the position reported to the server lies before it or is
 * fetched again from the slot), so it is removed.  A segment's size is
 * that of the archive's complete segments; with none yet, any file that
 * is not a power of two is a torn one.
 */
static void
repair_partial(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 sb;
	char		*path, *torn = NULL;
	off_t		 seg = 0, size = 0;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t	len = strlen(e->d_name);

		if (len < 24 || strspn(e->d_name, "0123456789ABCDEF") != 24)
			continue;
		xasprintf(&path, "%s/%s", dir, e->d_name);
		if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			if (len == 24)
				seg = sb.st_size;
			else if (strcmp(e->d_name + 24, ".partial") == 0 &&
			    torn == NULL) {
				torn = path;
				size = sb.st_size;
				path = NULL;
			}
		}
		free(path);
	}
	closedir(d);
	if (torn != NULL && size != 0 && (seg != 0 ? size != seg :
	    (size & (size - 1)) != 0)) {
		log_msg(LOG_LEVEL_WARNING, "archiver: removing \"%s\" (%lld "
		    "bytes): pg_receivewal stopped while it prepared it, and "
		    "would not start on it", torn, (long long)size);
		unlink(torn);
	}
	free(torn);
}

int
archiver_run(const struct archiver_opts *o, struct pgtt_err *err)
{
	const struct config	*cfg = o->cfg;
	struct archiver_status	 st;
	char			*dsn = NULL, *password = NULL, *slot, *bin;
	char			*dir_arg, *slot_arg, *dsn_arg, why[256];
	int64_t			 started;
	int			 backoff = BACKOFF_MIN_MS, ret;

	if ((ret = fs_mkdirs(cfg->pitr.archive_dir, err)) != 0 ||
	    (ret = dsn_split_password(cfg->source.dsn, &dsn, &password,
	    err)) != 0)
		return ret;
	slot = source_wal_slot(cfg);
	bin = proc_find_pgbin(cfg->pitr.bindir, o->major, "pg_receivewal");
	xasprintf(&dir_arg, "--directory=%s", cfg->pitr.archive_dir);
	xasprintf(&slot_arg, "--slot=%s", slot);
	xasprintf(&dsn_arg, "--dbname=%s", dsn);
	{
		const char	*argv[] = { bin, dir_arg, slot_arg,
		    "--synchronous", "--no-loop", "--no-password", dsn_arg,
		    NULL };

		memset(&st, 0, sizeof st);
		st.pid = (long)getpid();
		for (;;) {
			st.state = ARCHIVER_STARTING;
			st.receiver_pid = 0;
			publish(o, &st);
			repair_partial(cfg->pitr.archive_dir);
			started = pgtime_elapsed_ms();
			if (supervise_one(o, &st, argv, password, why,
			    sizeof why) == 0)
				break;
			st.restarts++;
			st.state = ARCHIVER_RESTARTING;
			st.receiver_pid = 0;
			/*
			 * A slot that is gone does not come back by itself,
			 * and WAL from then on is lost to restores: say what
			 * to do, and try again only now and then.
			 */
			if (strstr(why, "replication slot") != NULL &&
			    strstr(why, "does not exist") != NULL) {
				snprintf(st.error, sizeof st.error, "slot \"%s\" "
				    "is gone, so the WAL archive stopped: make it "
				    "again (SELECT pg_create_physical_"
				    "replication_slot('%s', true)) and take a base "
				    "backup; points between are lost to restore",
				    slot, slot);
				backoff = BACKOFF_MAX_MS;
				log_msg(LOG_LEVEL_ERROR, "archiver: %s",
				    st.error);
			} else
				snprintf(st.error, sizeof st.error, "%s", why);
			publish(o, &st);
			if (pgtime_elapsed_ms() - started >= BACKOFF_MAX_MS)
				backoff = BACKOFF_MIN_MS;
			log_msg(LOG_LEVEL_WARNING, "archiver: %s; restarting "
			    "in %d ms", why, backoff);
			if (wait_or_stop(o->stop_fd, backoff))
				break;
			if ((backoff *= 2) > BACKOFF_MAX_MS)
				backoff = BACKOFF_MAX_MS;
		}
	}
	st.state = ARCHIVER_STOPPED;
	st.receiver_pid = 0;
	publish(o, &st);
	log_msg(LOG_LEVEL_INFO, "archiver: stopped");
	free(slot);
	free(bin);
	free(dir_arg);
	free(slot_arg);
	free(dsn_arg);
	free(dsn);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return 0;
}

int
archive_record_after(const struct config *cfg, int major, const char *dir,
    uint32_t tli, uint32_t seg_size, pgtt_lsn lsn, pgtt_lsn *found,
    struct pgtt_err *err)
{
	struct proc_opts	 opts;
	struct buf		 out;
	struct pgtt_err		 ignored;
	char			*bin, path_arg[4200], tli_arg[32], start_arg[48];
	char			 lsnbuf[LSN_BUFSIZE], *p, text[LSN_BUFSIZE];
	char			 seg[WAL_NAME_LEN + 1];
	int			 ret = PGTT_ENOTFOUND;

	bin = proc_find_pgbin(cfg->pitr.bindir, major, "pg_waldump");
	snprintf(path_arg, sizeof path_arg, "--path=%s", dir);
	snprintf(tli_arg, sizeof tli_arg, "--timeline=%u", tli);
	snprintf(start_arg, sizeof start_arg, "--start=%s",
	    lsn_format(lsn, lsnbuf));
	/*
	 * The segment is named: without it pg_waldump learns the segment
	 * size from whichever file it lists first, maybe the empty sentinel.
	 */
	wal_seg_name(tli, wal_segno(lsn, seg_size), seg_size, seg);
	{
		const char	*argv[] = { bin, path_arg, tli_arg, start_arg,
		    "--limit=1", seg, NULL };

		memset(&opts, 0, sizeof opts);
		buf_init(&out);
		opts.out = &out;
		err_clear(&ignored);
		/* It fails at the end of the WAL: that is the answer "none". */
		(void)proc_exec(argv, &opts, &ignored);
	}
	buf_append(&out, "", 1);
	if ((p = strstr((char *)out.data, " lsn: ")) != NULL &&
	    sscanf(p, " lsn: %19[0-9A-F/],", text) == 1 &&
	    lsn_parse(text, found) == 0)
		ret = 0;
	else
		err_set(err, PGTT_ENOTFOUND, "no complete WAL record at or "
		    "after %s", lsnbuf);
	buf_done(&out);
	free(bin);
	return ret;
}

/*
 * Symlink segments from..last under their final names into dir, and put
 * an empty file where the next one would be: pg_waldump waits for a
 * missing segment (it expects a streaming writer), but fails at once on
 * an empty one.
 */
static int
link_segments(const struct config *cfg, const char *dir, uint32_t tli,
    uint32_t seg_size, uint64_t from, uint64_t last, int partial,
    struct pgtt_err *err)
{
	char		 name[WAL_NAME_LEN + 1], *src, *dst;
	uint64_t	 s;
	int		 ret = 0, fd;

	for (s = from; s <= last && ret == 0; s++) {
		wal_seg_name(tli, s, seg_size, name);
		xasprintf(&src, "%s/%s%s", cfg->pitr.archive_dir, name,
		    s == last && partial ? ".partial" : "");
		xasprintf(&dst, "%s/%s", dir, name);
		if (symlink(src, dst) == -1)
			ret = err_set(err, PGTT_EIO, "could not link \"%s\": %s",
			    dst, strerror(errno));
		free(src);
		free(dst);
	}
	if (ret != 0)
		return ret;
	wal_seg_name(tli, last + 1, seg_size, name);
	xasprintf(&dst, "%s/%s", dir, name);
	if ((fd = open(dst, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		ret = err_set(err, PGTT_EIO, "could not create \"%s\": %s", dst,
		    strerror(errno));
	else
		close(fd);
	free(dst);
	return ret;
}

int
archive_probe_dir(const struct config *cfg, uint32_t tli, uint32_t seg_size,
    uint64_t from, char **dir, struct pgtt_err *err)
{
	uint64_t	last;
	int		partial, ret;

	*dir = NULL;
	if ((ret = wal_scan(cfg->pitr.archive_dir, tli, seg_size, from, &last,
	    &partial, err)) != 0)
		return ret;
	if (last + 1 == from)
		return err_set(err, PGTT_ENOTFOUND, "the WAL archive has no "
		    "segment from %s on", "the target");
	xasprintf(dir, "%s/waldump.XXXXXX", cfg->storage.path);
	if (mkdtemp(*dir) == NULL) {
		ret = err_set(err, PGTT_EIO, "could not create a directory "
		    "in \"%s\": %s", cfg->storage.path, strerror(errno));
		free(*dir);
		*dir = NULL;
		return ret;
	}
	if ((ret = link_segments(cfg, *dir, tli, seg_size, from, last,
	    partial, err)) != 0) {
		archive_probe_done(*dir);
		*dir = NULL;
	}
	return ret;
}

void
archive_probe_done(char *dir)
{
	struct pgtt_err	ignored;

	if (dir == NULL)
		return;
	fs_remove_tree(dir, &ignored);
	free(dir);
}

/*
 * The start of the last complete WAL record in the archive's run of
 * segments first..last of timeline tli, at or after floor: found with
 * pg_waldump over the last two segments.  PGTT_ENOTFOUND when none is.
 */
static int
last_record(const struct config *cfg, int major, uint32_t tli,
    uint32_t seg_size, uint64_t first, uint64_t last, pgtt_lsn floor,
    pgtt_lsn *latest, struct pgtt_err *err)
{
	char		*tmp = NULL;
	uint64_t	 from = last > first ? last - 1 : first;
	pgtt_lsn	 lo, hi, mid, found;
	int		 ret;

	if ((ret = archive_probe_dir(cfg, tli, seg_size, from, &tmp,
	    err)) != 0)
		return ret;
	lo = wal_seg_start(from, seg_size);
	if (lo < floor)
		lo = floor;
	hi = wal_seg_start(last + 1, seg_size);
	if (archive_record_after(cfg, major, tmp, tli, seg_size, lo, &found,
	    err) != 0) {
		archive_probe_done(tmp);
		err_clear(err);
		return err_set(err, PGTT_ENOTFOUND, "no complete record");
	}
	/* found(lo) holds; find the last record start below hi. */
	lo = found;
	while (lo + 1 < hi) {
		mid = lo + 1 + (hi - lo - 1) / 2;
		if (archive_record_after(cfg, major, tmp, tli, seg_size, mid,
		    &found, err) == 0)
			lo = found;
		else
			hi = mid;
	}
	err_clear(err);
	archive_probe_done(tmp);
	*latest = lo;
	return 0;
}

/*
 * Under pgBackRest: its archive up to its newest segment, then pgtt's
 * own streamed WAL where it goes on from the next one without a gap.
 * Recovery to a point in pgBackRest's newest segment may need a record
 * that ends in the next, so its part of the window ends where that
 * segment starts.
 */
static int
window_pgbackrest(const struct config *cfg, struct journal *j,
    struct pitr_window *w, struct backup_info **bs, size_t *n,
    struct pgtt_err *err)
{
	struct pgbr_info	 in;
	const struct backup_info *b;
	uint64_t		 max, last, segno;
	uint32_t		 tli;
	pgtt_lsn		 local;
	int			 partial, ret;

	if ((ret = pgbr_info(cfg, backup_seg_size(j), &in, err)) != 0)
		return ret;
	w->backups = in.nbackups;
	if (in.nbackups == 0) {
		snprintf(w->note, sizeof w->note, "pgBackRest holds no backup "
		    "(take one with: pgtt --headless backup)");
		goto out;
	}
	b = &in.backups[0];
	w->earliest = b->end_lsn;
	w->timeline = b->timeline;
	if (in.archive_max[0] == '\0' || wal_parse_name(in.archive_max,
	    b->seg_size, &tli, &max, &partial) != 0 ||
	    max < wal_segno(w->earliest, b->seg_size)) {
		snprintf(w->note, sizeof w->note, "pgBackRest's archive holds "
		    "no WAL past its oldest backup yet");
		goto out;
	}
	w->latest = wal_seg_start(max, b->seg_size);
	if (w->latest < w->earliest)
		w->latest = w->earliest;
	w->segments = max - wal_segno(w->earliest, b->seg_size) + 1;
	snprintf(w->newest_segment, sizeof w->newest_segment, "%s",
	    in.archive_max);
	err_clear(err);
	if (wal_scan(cfg->pitr.archive_dir, w->timeline, b->seg_size, max + 1,
	    &last, &partial, err) != 0 || last < max + 1) {
		err_clear(err);
		goto out;
	}
	if (last_record(cfg, backup_server_major(j), w->timeline, b->seg_size,
	    max + 1, last, w->latest, &local, err) == 0 &&
	    local > w->latest) {
		w->latest = local;
		w->segments += last - max;
		segno = last;
		wal_seg_name(w->timeline, segno, b->seg_size,
		    w->newest_segment);
		if (partial)
			strcat(w->newest_segment, ".partial");
	}
	err_clear(err);
out:
	if (bs != NULL) {
		*bs = in.backups;
		*n = in.nbackups;
		in.backups = NULL;
	}
	pgbr_info_done(&in);
	return 0;
}

int
archive_window(const struct config *cfg, struct journal *j,
    struct pitr_window *w, struct pgtt_err *err)
{
	return archive_window_list(cfg, j, w, NULL, NULL, err);
}

int
archive_window_list(const struct config *cfg, struct journal *j,
    struct pitr_window *w, struct backup_info **bsp, size_t *np,
    struct pgtt_err *err)
{
	struct backup_info	*bs = NULL;
	uint64_t		 first, last;
	int			 partial, ret;

	memset(w, 0, sizeof *w);
	if (bsp != NULL) {
		*bsp = NULL;
		*np = 0;
	}
	if (cfg->pitr.engine == PITR_ENGINE_PGBACKREST)
		return window_pgbackrest(cfg, j, w, bsp, np, err);
	if ((ret = backup_list(cfg, j, &bs, &w->backups, err)) != 0)
		return ret;
	if (w->backups == 0) {
		snprintf(w->note, sizeof w->note, "no base backup (take one "
		    "with: pgtt --headless backup)");
		goto out;
	}
	w->earliest = bs[0].end_lsn;
	w->timeline = bs[0].timeline;
	first = wal_segno(w->earliest, bs[0].seg_size);
	err_clear(err);
	if (wal_scan(cfg->pitr.archive_dir, w->timeline, bs[0].seg_size, first,
	    &last, &partial, err) != 0 || last + 1 == first) {
		err_clear(err);
		snprintf(w->note, sizeof w->note, "the WAL archive holds no "
		    "segment from the oldest backup on (is listen running?)");
		goto out;
	}
	w->segments = last - first + 1;
	wal_seg_name(w->timeline, last, bs[0].seg_size, w->newest_segment);
	if (partial)
		strcat(w->newest_segment, ".partial");
	ret = last_record(cfg, backup_server_major(j), w->timeline,
	    bs[0].seg_size, first, last, w->earliest, &w->latest, err);
	if (ret == PGTT_ENOTFOUND) {
		err_clear(err);
		snprintf(w->note, sizeof w->note, "the WAL archive holds no "
		    "complete record after the oldest backup yet");
		ret = 0;
	}
out:
	if (bsp != NULL && ret == 0) {
		*bsp = bs;
		*np = w->backups;
	} else
		free(bs);
	return ret;
}
