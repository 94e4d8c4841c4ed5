/*
 * proc.c: fork/exec with stderr captured into a bounded buffer, so a
 * failing tool's own explanation ("pg_dump: error: ...") reaches the user
 * instead of being lost or scribbled over a terminal UI.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "xmalloc.h"

#define STDERR_KEEP	2048	/* the tail of a child's stderr we keep */

int
proc_run(const char *const argv[], const char *password, struct pgtt_err *err)
{
	int		 fds[2], status;
	pid_t		 pid;
	char		 tail[STDERR_KEEP + 1], chunk[512];
	size_t		 tail_len = 0;
	ssize_t		 n;

	if (pipe(fds) == -1)
		return err_set(err, PGTT_EIO, "could not create pipe: %s",
		    strerror(errno));
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return err_set(err, PGTT_EIO, "could not fork: %s",
		    strerror(errno));
	}
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		if (password != NULL)
			setenv("PGPASSWORD", password, 1);
		/* What the tools write (dumps, backups) holds the data. */
		umask(077);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "could not execute \"%s\": %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		n = read(fds[0], chunk, sizeof chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		/* chunk is smaller than the tail: drop the oldest bytes. */
		if (tail_len + (size_t)n > STDERR_KEEP) {
			size_t	drop = tail_len + (size_t)n - STDERR_KEEP;

			memmove(tail, tail + drop, tail_len - drop);
			tail_len -= drop;
		}
		memcpy(tail + tail_len, chunk, (size_t)n);
		tail_len += (size_t)n;
	}
	close(fds[0]);
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
