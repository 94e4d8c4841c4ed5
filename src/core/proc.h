/*
 * proc.h: running PostgreSQL's own tools (pg_dump, pg_basebackup, pg_ctl,
 * pg_receivewal, ...) as children.  A password goes to the child in
 * PGPASSWORD, never on its command line where any user could read it in
 * ps.  What a child writes to stderr is kept (its tail) so a failure is
 * reported in the tool's own words.
 */
#ifndef PGTT_PROC_H
#define PGTT_PROC_H

#include <sys/types.h>

#include "err.h"
#include "record.h"

struct proc_opts {
	const char	*password;	/* PGPASSWORD for the child, or NULL */
	/* libpq's PGTZ for the child (the session's time zone), or NULL. */
	const char	*pgtz;
	/*
	 * Run as this OS user (pgtt must be root; PostgreSQL refuses to
	 * run as root), in "/" so no unreadable working directory matters;
	 * NULL: as ourselves, where we are.
	 */
	const char	*user;
	struct buf	*out;		/* collect stdout; NULL: inherited */
	/* Each line of stderr as it comes (ended by \n or \r: progress). */
	void		(*on_line)(void *arg, const char *line);
	void		*arg;
};

/*
 * Run argv[0] (looked up in PATH unless it holds a slash) with argv and
 * wait for it.  On a non-zero exit or a signal, fail with PGTT_EIO: the
 * primary message says which tool, the detail holds the last lines it
 * wrote to stderr.  opts may be NULL.
 */
int	 proc_exec(const char *const argv[], const struct proc_opts *,
	    struct pgtt_err *);
/* proc_exec with only a password. */
int	 proc_run(const char *const argv[], const char *password, struct pgtt_err *);

/*
 * Start argv without waiting: stdout goes to /dev/null, stderr to a pipe
 * whose non-blocking, close-on-exec read end is *errfd (read it, or the
 * child blocks once the pipe is full).  The child gets its own process
 * group, so a terminal's Ctrl-C reaches pgtt, which stops it in order.
 */
int	 proc_spawn(const char *const argv[], const struct proc_opts *,
	    pid_t *, int *errfd, struct pgtt_err *);

/*
 * Find a PostgreSQL program: in bindir when given, else in the server
 * packages' directory for major (/usr/lib/postgresql/MAJOR/bin), else the
 * newest such directory, else PATH.  Returns a malloc'd path or name.
 */
char	*proc_find_pgbin(const char *bindir, int major, const char *tool);

/*
 * The OS user to run a PostgreSQL server as: the configured one; else,
 * when pgtt runs as root (which PostgreSQL refuses), "postgres" if that
 * user exists (*defaulted set, so the caller can say so); else NULL: run
 * as ourselves.  Fails with PGTT_ECONFIG for an unknown configured user,
 * or as root with none configured and no "postgres" user.
 */
int	 proc_server_user(const char *configured, char **user, int *defaulted,
	    struct pgtt_err *);
/* uid and gid of an OS user; -1 if unknown. */
int	 proc_user_ids(const char *user, uid_t *, gid_t *);

#endif
