/*
 * app-int.h: what app.c (threads, status, capture, events) and
 * app-jobs.c (the jobs the UI starts) share: the app itself and its
 * workers.  The lock guards every field the threads share; atomics are
 * used only for the replay's cancel flag, which the replaying thread
 * reads between transactions.
 */
#ifndef PGTT_APP_INT_H
#define PGTT_APP_INT_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>

#include "app.h"
#include "backup.h"
#include "diff.h"
#include "history.h"
#include "replay.h"
#include "restore.h"
#include "rowhist.h"

enum worker_kind {
	W_SETUP, W_DIFF, W_REPLAY, W_BACKUP, W_RESTORE, W_VERIFY, W_SEARCH,
	W_ROWHIST, W_NKINDS
};

/* One kind of job, and the thread that runs it. */
struct worker {
	struct app	*app;
	const char	*what;			/* "the diff" */
	void		(*take)(struct app *);	/* with the lock: inputs */
	void		(*run)(struct app *);	/* without it */
	pthread_t	 thread;
	int		 started;
	pthread_cond_t	 cond;
	int		 pending;		/* under the lock */
	atomic_int	 cancel;		/* asks its job to stop */
};

struct app {
	const struct config	*cfg;
	struct journal		*j;
	/*
	 * With source.databases, every database's journal, for a stream of
	 * them all and checkpoints in each: this app's is j (its slot here
	 * stays NULL), the others NULL when they could not be opened.
	 */
	struct journal		**cluster;
	char			**cluster_names;
	const struct config	**cluster_cfgs;	/* the caller's, for the run */
	size_t			 ncluster, cluster_self;
	int			 wake[2];
	int			 stop[2];

	pthread_mutex_t		 lock;
	unsigned		 events;
	struct app_view		 view;
	struct app_message	 msg;

	pthread_t		 status_thread;
	int			 status_running;
	pthread_t		 capture_thread;
	int			 listener_running;
	int			 listener_done;
	int			 closing;	/* workers: finish */
	struct worker		 workers[W_NKINDS];

	int			 setup_dry, setup_job_dry;
	int			 setup_ret;
	char			*setup_report;
	struct pgtt_err		 setup_err;

	struct replay_opts	 replay_opts, replay_job_opts;
	PGcancel		*replay_canceller;	/* under cancel_lock */
	pthread_mutex_t		 cancel_lock;
	struct replay_result	 replay_res;
	int			 replay_ret;
	struct pgtt_err		 replay_err;

	struct backup_info	 backup_res;
	/*
	 * The backups as the window was last read (under the lock): the
	 * restore dialog picks from them without running pgbackrest info
	 * on the UI thread.
	 */
	struct backup_info	*window_backups;
	size_t			 window_nbackups;
	int			 backup_ret;
	struct pgtt_err		 backup_err;

	char			 verify_to[LSN_BUFSIZE],
				 verify_job_to[LSN_BUFSIZE];
	char			 restore_to[LSN_BUFSIZE],
				 restore_job_to[LSN_BUFSIZE];
	struct restore_opts	 restore_opts, restore_job_opts;
	struct restore_result	 restore_res;
	int			 restore_ret;
	struct pgtt_err		 restore_err;

	pgtt_lsn		 diff_from, diff_to;
	pgtt_lsn		 diff_job_from, diff_job_to;
	struct diff		*diff;
	int			 diff_ret;
	struct pgtt_err		 diff_err;

	struct history_filter	 search_filter, search_job_filter;
	struct history_pos	 search_from, search_job_from;
	unsigned		 search_gen, search_job_gen, search_result_gen;
	int			 search_ret;
	struct history_pos	 search_found;
	struct pgtt_err		 search_err;

	struct history_pos	 rowhist_at, rowhist_job_at;
	struct rowhist_list	*rowhist;
	int			 rowhist_ret;
	struct pgtt_err		 rowhist_err;
};

/* A kind of job: its name in messages, and its two halves. */
struct app_job {
	enum verb_id	 verb;			/* what it runs: verb_table */
	const char	*what;			/* "the diff" */
	void		(*take)(struct app *);	/* with the lock: inputs */
	void		(*run)(struct app *);	/* without it */
};

/* One per worker kind (app-jobs.c). */
extern const struct app_job app_jobs[W_NKINDS];

/* Fill a bounded view field; cutting a long message short is intended. */
void	 app_set_text(char *dst, size_t size, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Tell the UI thread; called with app->lock held. */
void	 app_post(struct app *, unsigned events);
/* A message for the message line and the log; takes the lock. */
void	 app_post_message(struct app *, int error, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The journal, which the setup worker may open while others read it. */
struct journal *app_journal_of(struct app *);
/* For tests: the job takes the milliseconds in environment var longer. */
void	 app_slow_for_tests(struct app *, const char *var);
/*
 * Hand a job to its worker; called with the lock held.  -1, with a
 * message, when that worker could not be started.
 */
int	 app_submit(struct app *, enum worker_kind);
/* Set *active and submit, unless *active is set already: -1 then. */
int	 app_claim_and_submit(struct app *, int *active, enum worker_kind);
/* The recoverable window into the view, read without the lock. */
void	 app_read_window(struct app *);

#endif
