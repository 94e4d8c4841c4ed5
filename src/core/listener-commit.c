/*
 * listener-commit.c: the listener's journal commits, on a thread of their
 * own.  A durable LMDB commit waits for fsync; meanwhile the connection
 * thread goes on reading and decoding the next batch instead of waiting
 * with it.  One batch at most is in flight, and listener.c confirms
 * nothing to the server before committer_wait has returned its commit, so
 * the durability contract is the one of a commit made in place.  The end
 * of each commit is also a byte on a pipe, so the connection thread can
 * wait for the socket and the commit in one poll instead of blocking on
 * either.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#ifdef __linux__
#include <sys/syscall.h>
#endif

#include "listener-int.h"
#include "xmalloc.h"

struct committer {
	pthread_t	 thread;
	pthread_mutex_t	 mtx;
	pthread_cond_t	 cond;
	struct journal	*journal;
	struct jbatch	*batch;		/* handed over, not yet committed */
	int		 busy;		/* a batch is handed over or in commit */
	int		 quit;
	int		 ret;		/* of the last commit */
	struct pgtt_err	 err;
	int		 done_pipe[2];	/* a byte per commit ended */
	int		 nice_step;	/* storage.writer_nice */
};

/*
 * The writer's CPU comes in bursts, one per batch, and it only has to keep
 * up on average; the connection thread, and on the source's own host the
 * walsender, have to keep up all the time, or the socket fills and the
 * walsender stops.  At the same priority, on a 2-CPU machine running both,
 * the walsender was busy 85-92% of a drain; with the writer 10 nice
 * levels down, 91-96%.  Niced, the writer runs on what the others leave,
 * and keeps a smaller share of a machine that nothing leaves idle, which
 * is why storage.writer_nice can undo it.  Linux sets the nice value of a
 * thread by its id, and any thread may raise its own; if it cannot, the
 * writer runs as before.
 */
static void
lower_priority(int step)
{
#ifdef __linux__
	id_t	tid = (id_t)syscall(SYS_gettid);
	int	prio;

	if (step <= 0)
		return;
	errno = 0;
	prio = getpriority(PRIO_PROCESS, tid);
	if (prio == -1 && errno != 0) {
		errno = 0;
		return;
	}
	prio += step;
	if (setpriority(PRIO_PROCESS, tid, prio > 19 ? 19 : prio) == -1)
		errno = 0;
#else
	(void)step;
#endif
}

static void *
committer_main(void *arg)
{
	struct committer	*cm = arg;
	struct pgtt_err		 err;
	int			 ret;

	lower_priority(cm->nice_step);
	pthread_mutex_lock(&cm->mtx);
	for (;;) {
		while (!cm->busy && !cm->quit)
			pthread_cond_wait(&cm->cond, &cm->mtx);
		if (!cm->busy)
			break;
		pthread_mutex_unlock(&cm->mtx);

		err_clear(&err);
		if ((ret = journal_commit(cm->journal, cm->batch, &err)) == 0)
			ret = journal_check_on_disk(cm->journal, &err);

		pthread_mutex_lock(&cm->mtx);
		/*
		 * Written before busy drops, under the lock: committer_wait,
		 * which drains the pipe once busy is 0, then finds every byte.
		 * The pipe cannot fill (a byte per commit, drained at each
		 * wait); were a byte lost, the confirm would wait for the
		 * listener's next timeout, and the commit is durable anyway.
		 */
		if (write(cm->done_pipe[1], "", 1) == -1)
			errno = 0;
		cm->ret = ret;
		cm->err = err;
		cm->busy = 0;
		pthread_cond_broadcast(&cm->cond);
	}
	pthread_mutex_unlock(&cm->mtx);
	return NULL;
}

/*
 * A committer for j, its thread started nice_step nice levels below the
 * caller's; NULL with err if it cannot be.
 */
struct committer *
committer_new(struct journal *j, int nice_step, struct pgtt_err *err)
{
	struct committer	*cm;
	int			 rc;

	cm = xcalloc(1, sizeof *cm);
	cm->journal = j;
	cm->nice_step = nice_step;
	if (pipe(cm->done_pipe) == -1) {
		err_set(err, PGTT_EIO, "could not make the journal writer's "
		    "pipe: %s", strerror(errno));
		free(cm);
		return NULL;
	}
	fcntl(cm->done_pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(cm->done_pipe[1], F_SETFL, O_NONBLOCK);
	fcntl(cm->done_pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(cm->done_pipe[1], F_SETFD, FD_CLOEXEC);
	pthread_mutex_init(&cm->mtx, NULL);
	pthread_cond_init(&cm->cond, NULL);
	if ((rc = pthread_create(&cm->thread, NULL, committer_main, cm)) != 0) {
		pthread_mutex_destroy(&cm->mtx);
		pthread_cond_destroy(&cm->cond);
		close(cm->done_pipe[0]);
		close(cm->done_pipe[1]);
		free(cm);
		err_set(err, PGTT_EIO, "could not start the journal writer "
		    "thread: %s", strerror(rc));
		return NULL;
	}
	return cm;
}

/* Readable once a commit has ended; committer_wait empties it. */
int
committer_fd(const struct committer *cm)
{
	return cm->done_pipe[0];
}

/* Has the commit committer_start began ended, so committer_wait won't block? */
int
committer_done(struct committer *cm)
{
	int	done;

	pthread_mutex_lock(&cm->mtx);
	done = !cm->busy;
	pthread_mutex_unlock(&cm->mtx);
	return done;
}

/* Commit b on the committer's thread; the caller waits before reusing b. */
void
committer_start(struct committer *cm, struct jbatch *b)
{
	pthread_mutex_lock(&cm->mtx);
	cm->batch = b;
	cm->busy = 1;
	pthread_cond_broadcast(&cm->cond);
	pthread_mutex_unlock(&cm->mtx);
}

/*
 * Wait for the commit committer_start began: 0 once it is durable, else
 * its error.  *b is the batch given back, emptied by a commit that went
 * through.
 */
int
committer_wait(struct committer *cm, struct jbatch **b, struct pgtt_err *err)
{
	char	drain[64];
	int	ret;

	pthread_mutex_lock(&cm->mtx);
	while (cm->busy)
		pthread_cond_wait(&cm->cond, &cm->mtx);
	while (read(cm->done_pipe[0], drain, sizeof drain) > 0)
		;
	*b = cm->batch;
	cm->batch = NULL;
	ret = cm->ret;
	if (ret != 0)
		*err = cm->err;
	pthread_mutex_unlock(&cm->mtx);
	return ret;
}

/* Stop the thread; a commit in flight is waited for first. */
void
committer_free(struct committer *cm)
{
	if (cm == NULL)
		return;
	pthread_mutex_lock(&cm->mtx);
	while (cm->busy)
		pthread_cond_wait(&cm->cond, &cm->mtx);
	cm->quit = 1;
	pthread_cond_broadcast(&cm->cond);
	pthread_mutex_unlock(&cm->mtx);
	pthread_join(cm->thread, NULL);
	pthread_mutex_destroy(&cm->mtx);
	pthread_cond_destroy(&cm->cond);
	close(cm->done_pipe[0]);
	close(cm->done_pipe[1]);
	free(cm);
}
