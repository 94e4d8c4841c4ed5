/*
 * capture.c: the listener and the archiver, started and stopped as one.
 * The archiver polls a pipe of its own, written once the listener has
 * returned, so it stops whether the caller stopped both or the listener
 * failed alone.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "backup.h"
#include "capture.h"
#include "logfile.h"

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
	pthread_t		 archiver;
	int			 stop[2] = { -1, -1 }, archiving = 0, ret;
	char			 c = 0;

	memset(&lopts, 0, sizeof lopts);
	lopts.dsn = o->cfg->source.dsn;
	lopts.slot = o->cfg->source.slot;
	lopts.publication = o->cfg->source.publication;
	lopts.sequence_interval_ms = o->cfg->source.sequence_interval * 1000;
	lopts.journal = o->journal;
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
	ret = listener_run(&lopts, progress, err);
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
