/*
 * proc.c: fork/exec with stderr captured into a bounded buffer, so a
 * failing tool's own explanation ("pg_dump: error: ...") reaches the user
 * instead of being lost or scribbled over a terminal UI.  Everything that
 * is not async-signal-safe (user lookup, allocation) happens before the
 * fork: pgtt has threads, and a child of a threaded process may only call
 * such functions until it execs.
 */
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "xmalloc.h"

#define STDERR_KEEP	2048	/* the tail of a child's stderr we keep */

/* What the child does between fork and exec; only safe calls. */
struct child_setup {
	const char	*password;
	const char	*pgtz;
	int		 switch_user;
	uid_t		 uid;
	gid_t		 gid;
	int		 new_group;
	pid_t		 parent;	/* for a supervised child */
};

static void
child_exec(const char *const argv[], const struct child_setup *cs, int outfd,
    int errfd)
{
	static const char	msg[] = "could not switch to the server's OS "
	    "user\n";

	if (outfd != -1 && outfd != STDOUT_FILENO)
		dup2(outfd, STDOUT_FILENO);
	dup2(errfd, STDERR_FILENO);
	/*
	 * Only 1 and 2 may hold our pipes: a server that pg_ctl starts would
	 * keep any other copy open, and we would wait for its EOF forever.
	 */
	if (outfd > STDERR_FILENO)
		close(outfd);
	if (errfd > STDERR_FILENO)
		close(errfd);
	/*
	 * A supervised child (pg_receivewal) must not outlive a pgtt that
	 * was killed: an orphan would hold the slot its successor needs.
	 * Linux only; the signal goes when the forking thread ends, and the
	 * supervising thread outlives its child.
	 */
	if (cs->new_group) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != cs->parent)
			_exit(1);
	}
	if (cs->password != NULL)
		setenv("PGPASSWORD", cs->password, 1);
	if (cs->pgtz != NULL)
		setenv("PGTZ", cs->pgtz, 1);
	if (cs->switch_user && (setgroups(1, &cs->gid) == -1 ||
	    setgid(cs->gid) == -1 || setuid(cs->uid) == -1 ||
	    chdir("/") == -1)) {
		(void)write(STDERR_FILENO, msg, sizeof msg - 1);
		_exit(126);
	}
	/* What the tools write (dumps, backups, WAL) holds the data. */
	umask(077);
	execvp(argv[0], (char *const *)argv);
	fprintf(stderr, "could not execute \"%s\": %s\n", argv[0],
	    strerror(errno));
	_exit(127);
}

static int
prepare(const struct proc_opts *opts, struct child_setup *cs,
    struct pgtt_err *err)
{
	memset(cs, 0, sizeof *cs);
	if (opts == NULL)
		return 0;
	cs->password = opts->password;
	cs->pgtz = opts->pgtz;
	if (opts->user != NULL) {
		if (proc_user_ids(opts->user, &cs->uid, &cs->gid) != 0)
			return err_set(err, PGTT_ECONFIG, "no OS user \"%s\"",
			    opts->user);
		cs->switch_user = cs->uid != geteuid();
	}
	return 0;
}

int
proc_user_ids(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd	pw, *res = NULL;
	char		buf[4096];

	if (getpwnam_r(user, &pw, buf, sizeof buf, &res) != 0 || res == NULL)
		return -1;
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

int
proc_server_user(const char *configured, char **user, int *defaulted,
    struct pgtt_err *err)
{
	uid_t	uid;
	gid_t	gid;

	*user = NULL;
	*defaulted = 0;
	if (configured != NULL && configured[0] != '\0') {
		if (proc_user_ids(configured, &uid, &gid) != 0) {
			err_set(err, PGTT_ECONFIG, "pitr.os_user \"%s\" is not "
			    "a user of this system", configured);
			err_where(err, "pitr.os_user");
			return err->code;
		}
		if (uid == 0) {
			err_set(err, PGTT_ECONFIG, "pitr.os_user is root; "
			    "PostgreSQL refuses to run as root");
			err_where(err, "pitr.os_user");
			return err->code;
		}
		if (uid != geteuid() && geteuid() != 0) {
			err_set(err, PGTT_ECONFIG, "pitr.os_user is \"%s\", "
			    "but only root may run a server as another user",
			    configured);
			err_where(err, "pitr.os_user");
			return err->code;
		}
		*user = xstrdup(configured);
		return 0;
	}
	if (geteuid() != 0)
		return 0;
	if (proc_user_ids("postgres", &uid, &gid) != 0) {
		err_set(err, PGTT_ECONFIG, "pgtt runs as root, which PostgreSQL "
		    "refuses, and there is no \"postgres\" OS user to run the "
		    "server as");
		err_hint(err, "set pitr.os_user to an unprivileged user");
		return err->code;
	}
	*user = xstrdup("postgres");
	*defaulted = 1;
	return 0;
}

/* Keep the newest STDERR_KEEP bytes of a child's stderr. */
static void
tail_add(char *tail, size_t *tail_len, const char *chunk, size_t n)
{
	if (n > STDERR_KEEP) {
		chunk += n - STDERR_KEEP;
		n = STDERR_KEEP;
	}
	if (*tail_len + n > STDERR_KEEP) {
		size_t	drop = *tail_len + n - STDERR_KEEP;

		memmove(tail, tail + drop, *tail_len - drop);
		*tail_len -= drop;
	}
	memcpy(tail + *tail_len, chunk, n);
	*tail_len += n;
}

/* Hand complete lines of stderr to on_line; keep a started one. */
static void
lines_feed(const struct proc_opts *opts, struct buf *line, const char *chunk,
    size_t n)
{
	size_t	i;

	if (opts == NULL || opts->on_line == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (chunk[i] != '\n' && chunk[i] != '\r') {
			buf_append(line, &chunk[i], 1);
			continue;
		}
		if (line->len == 0)
			continue;
		buf_append(line, "", 1);
		opts->on_line(opts->arg, (char *)line->data);
		buf_reset(line);
	}
}

int
proc_exec(const char *const argv[], const struct proc_opts *opts,
    struct pgtt_err *err)
{
	struct child_setup	 cs;
	struct pollfd		 pfd[2];
	struct buf		 line;
	int			 efds[2], ofds[2] = { -1, -1 }, status, open_fds;
	pid_t			 pid;
	char			 tail[STDERR_KEEP + 1], chunk[4096];
	size_t			 tail_len = 0;
	ssize_t			 n;
	int			 i;

	if (prepare(opts, &cs, err) != 0)
		return err->code;
	if (pipe(efds) == -1)
		return err_set(err, PGTT_EIO, "could not create pipe: %s",
		    strerror(errno));
	if (opts != NULL && opts->out != NULL && pipe(ofds) == -1) {
		close(efds[0]);
		close(efds[1]);
		return err_set(err, PGTT_EIO, "could not create pipe: %s",
		    strerror(errno));
	}
	if ((pid = fork()) == -1) {
		close(efds[0]);
		close(efds[1]);
		if (ofds[0] != -1) {
			close(ofds[0]);
			close(ofds[1]);
		}
		return err_set(err, PGTT_EIO, "could not fork: %s",
		    strerror(errno));
	}
	if (pid == 0) {
		close(efds[0]);
		if (ofds[0] != -1)
			close(ofds[0]);
		child_exec(argv, &cs, ofds[1], efds[1]);
	}
	close(efds[1]);
	if (ofds[1] != -1)
		close(ofds[1]);

	buf_init(&line);
	pfd[0].fd = efds[0];
	pfd[1].fd = ofds[0];
	pfd[0].events = pfd[1].events = POLLIN;
	open_fds = ofds[0] != -1 ? 2 : 1;
	while (open_fds > 0) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			n = read(pfd[i].fd, chunk, sizeof chunk);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;	/* poll skips it */
				open_fds--;
				continue;
			}
			if (i == 1)
				buf_append(opts->out, chunk, (size_t)n);
			else {
				tail_add(tail, &tail_len, chunk, (size_t)n);
				lines_feed(opts, &line, chunk, (size_t)n);
			}
		}
	}
	buf_done(&line);
	tail[tail_len] = '\0';

	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR)
			return err_set(err, PGTT_EIO, "could not wait for "
			    "\"%s\": %s", argv[0], strerror(errno));
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		err_set(err, PGTT_EIO, "\"%s\" was terminated by signal %d",
		    argv[0], WTERMSIG(status));
	else
		err_set(err, PGTT_EIO, "\"%s\" failed with exit status %d",
		    argv[0], WEXITSTATUS(status));
	err_detail(err, "%s", tail);
	return err->code;
}

int
proc_run(const char *const argv[], const char *password, struct pgtt_err *err)
{
	struct proc_opts	opts;

	memset(&opts, 0, sizeof opts);
	opts.password = password;
	return proc_exec(argv, &opts, err);
}

int
proc_spawn(const char *const argv[], const struct proc_opts *opts, pid_t *out,
    int *errfd, struct pgtt_err *err)
{
	struct child_setup	 cs;
	int			 efds[2], devnull;
	pid_t			 pid;

	if (prepare(opts, &cs, err) != 0)
		return err->code;
	cs.new_group = 1;
	cs.parent = getpid();
	if ((devnull = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		return err_set(err, PGTT_EIO, "could not open /dev/null: %s",
		    strerror(errno));
	if (pipe(efds) == -1) {
		close(devnull);
		return err_set(err, PGTT_EIO, "could not create pipe: %s",
		    strerror(errno));
	}
	if ((pid = fork()) == -1) {
		close(devnull);
		close(efds[0]);
		close(efds[1]);
		return err_set(err, PGTT_EIO, "could not fork: %s",
		    strerror(errno));
	}
	if (pid == 0) {
		close(efds[0]);
		child_exec(argv, &cs, devnull, efds[1]);
	}
	close(devnull);
	close(efds[1]);
	fcntl(efds[0], F_SETFL, O_NONBLOCK);
	fcntl(efds[0], F_SETFD, FD_CLOEXEC);
	*out = pid;
	*errfd = efds[0];
	return 0;
}

/* Newest /usr/lib/postgresql/N/bin holding tool, or NULL. */
static char *
newest_pgbin(const char *tool)
{
	DIR		*d;
	struct dirent	*de;
	int		 best = -1, v;
	char		*path = NULL;

	if ((d = opendir("/usr/lib/postgresql")) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		char	*cand;

		v = atoi(de->d_name);
		if (v <= best)
			continue;
		xasprintf(&cand, "/usr/lib/postgresql/%d/bin/%s", v, tool);
		if (access(cand, X_OK) == 0) {
			free(path);
			path = cand;
			best = v;
		} else
			free(cand);
	}
	closedir(d);
	return path;
}

char *
proc_find_pgbin(const char *bindir, int major, const char *tool)
{
	char	*path;

	if (bindir != NULL && bindir[0] != '\0') {
		xasprintf(&path, "%s/%s", bindir, tool);
		return path;
	}
	if (major > 0) {
		xasprintf(&path, "/usr/lib/postgresql/%d/bin/%s", major, tool);
		if (access(path, X_OK) == 0)
			return path;
		free(path);
	}
	if ((path = newest_pgbin(tool)) != NULL)
		return path;
	return xstrdup(tool);
}
