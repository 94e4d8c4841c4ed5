/*
 * pitrlock.c: flock(2) on <storage.path>/pitr.lock (pitrlock.h).
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pitrlock.h"
#include "xmalloc.h"

static int
lock(const struct config *cfg, int how, struct pgtt_err *err)
{
	char	*path;
	int	 fd;

	xasprintf(&path, "%s/pitr.lock", cfg->storage.path);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		err_set(err, PGTT_EIO, "could not open \"%s\": %s", path,
		    strerror(errno));
		free(path);
		return -1;
	}
	while (flock(fd, how) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			err_set(err, PGTT_EBUSY, "a base backup or a restore "
			    "is running");
		else
			err_set(err, PGTT_EIO, "could not lock \"%s\": %s",
			    path, strerror(errno));
		close(fd);
		fd = -1;
		break;
	}
	free(path);
	return fd;
}

int
pitr_lock_shared(const struct config *cfg, struct pgtt_err *err)
{
	return lock(cfg, LOCK_SH, err);
}

int
pitr_lock_alone(const struct config *cfg, struct pgtt_err *err)
{
	return lock(cfg, LOCK_EX | LOCK_NB, err);
}

void
pitr_unlock(int fd)
{
	if (fd != -1)
		close(fd);
}
