/*
 * capture.c: the listener and the archiver, started and stopped as one,
 * with retention applied beside them once an hour.  The archiver and the
 * pruner each poll a pipe of their own, written once the listener has
 * returned, so they stop whether the caller stopped all or the listener
 * failed alone.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup.h"
#include "capture.h"
#include "logfile.h"
#include "prune.h"

#define PRUNE_FIRST_MS	(60 * 1000)		/* after the start */
#define PRUNE_EVERY_MS	(3600 * 1000)

struct pruner_job {
	const struct capture_opts	*o;
	int				 stop_fd;
};

/* Sleep ms, or less when stop_fd becomes readable: 1 then. */
static int
stopped_within(int fd, int ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	int		ret;

	while ((ret = poll(&pfd, 1, ms)) == -1 && errno == EINTR)
		;
	return ret > 0;
}

static void *
pruner_main(void *arg)
{
	struct pruner_job	*job = arg;
	struct verb_ctx		 vc = { .cfg = job->o->cfg,
				        .j = job->o->journal };
	struct prune_opts	 po = { .dry_run = 0 };
	struct prune_plan	 p;
	struct pgtt_err		 err;
	const char		*first = getenv("PGTT_TEST_PRUNE_FIRST_MS");
	int			 ms = PRUNE_FIRST_MS;

	/* Tests see the first run without waiting a minute. */
	if (first != NULL && atoi(first) > 0)
		ms = atoi(first);
	while (!stopped_within(job->stop_fd, ms)) {
		ms = PRUNE_EVERY_MS;
		err_clear(&err);
		/* prune.c logs what it removes. */
		if (prune_run(&vc, &po, &p, &err) != 0)
			log_msg(err.code == PGTT_EBUSY ? LOG_LEVEL_INFO :
			    LOG_LEVEL_WARNING, "prune: %s; trying again in an "
			    "hour", err.msg);
		prune_plan_free(&p);
	}
	return NULL;
}

struct archiver_job {
	const struct capture_opts	*o;
	struct archiver_opts		 aopts;
};

static void *
archiver_main(void *arg)
{
	struct archiver_job	*job = arg;
	struct pgtt_err		 err;

	err_clear(&err);
	if (archiver_run(&job->aopts, &err) != 0) {
		log_msg(LOG_LEVEL_ERROR, "archiver: %s: %s", err.msg,
		    err.detail);
		if (job->o->on_archiver_failed != NULL)
			job->o->on_archiver_failed(job->o->arg, &err);
	}
	return NULL;
}

int
capture_run(const struct capture_opts *o, struct listener_progress *progress,
    struct pgtt_err *err)
{
	struct listener_opts	 lopts;
	struct archiver_job	 job;
	struct pruner_job	 pjob;
	pthread_t		 archiver, pruner;
	int			 stop[2] = { -1, -1 }, pstop[2] = { -1, -1 };
	int			 archiving = 0, pruning = 0, ret;
	char			 c = 0;

	memset(&lopts, 0, sizeof lopts);
	lopts.dsn = o->cfg->source.dsn;
	lopts.slot = o->cfg->source.slot;
	lopts.publication = o->cfg->source.publication;
	lopts.sequence_interval_ms = o->cfg->source.sequence_interval * 1000;
	lopts.journal = o->journal;
	lopts.writer_nice = o->cfg->storage.writer_nice;
	lopts.stop_fd = o->stop_fd;
	lopts.until = o->until;
	lopts.on_commit = o->on_commit;
	lopts.on_state = o->on_state;
	lopts.arg = o->arg;

	/* --until only catches up: the archive is for a running capture. */
	if (o->cfg->pitr.enabled && o->until == LSN_INVALID) {
		if (pipe(stop) == -1)
			return err_set(err, PGTT_EIO, "could not create pipe: "
			    "%s", strerror(errno));
		memset(&job, 0, sizeof job);
		job.o = o;
		job.aopts.cfg = o->cfg;
		job.aopts.major = backup_server_major(o->journal);
		job.aopts.stop_fd = stop[0];
		job.aopts.on_state = o->on_archiver;
		job.aopts.arg = o->arg;
		archiving = pthread_create(&archiver, NULL, archiver_main,
		    &job) == 0;
		if (!archiving)
			log_msg(LOG_LEVEL_ERROR, "could not start the WAL "
			    "archiver's thread");
	}
	if (o->cfg->pitr.enabled && o->until == LSN_INVALID &&
	    (o->cfg->retention.backups > 0 || o->cfg->retention.archive > 0)) {
		if (pipe(pstop) == -1) {
			log_msg(LOG_LEVEL_ERROR, "could not create pipe: %s; "
			    "retention is not applied", strerror(errno));
			pstop[0] = pstop[1] = -1;
		} else {
			pjob.o = o;
			pjob.stop_fd = pstop[0];
			pruning = pthread_create(&pruner, NULL, pruner_main,
			    &pjob) == 0;
			if (!pruning)
				log_msg(LOG_LEVEL_ERROR, "could not start the "
				    "pruner's thread");
		}
	}
	ret = listener_run(&lopts, progress, err);
	if (pruning) {
		if (write(pstop[1], &c, 1) == -1)
			log_msg(LOG_LEVEL_WARNING, "pruner stop pipe: %s",
			    strerror(errno));
		pthread_join(pruner, NULL);
	}
	if (pstop[0] != -1) {
		close(pstop[0]);
		close(pstop[1]);
	}
	if (archiving) {
		if (write(stop[1], &c, 1) == -1)
			log_msg(LOG_LEVEL_WARNING, "archiver stop pipe: %s",
			    strerror(errno));
		pthread_join(archiver, NULL);
	}
	if (stop[0] != -1) {
		close(stop[0]);
		close(stop[1]);
	}
	return ret;
}
