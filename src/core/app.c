/*
 * app.c: the threads behind the terminal UI.
 *
 * The status thread probes the databases about once a second and keeps
 * the snapshot the status pane draws; the first time it sees the slot
 * free it starts the listener thread, and while another process holds the
 * slot it reports "external" and watches the journal that process writes.
 * The capture thread runs what `listen` runs (capture_run: the listener,
 * and with PITR on the WAL archiver) until the stop pipe is written, and
 * the status thread reads the recoverable window every few seconds (it
 * runs pg_waldump).
 * Workers run what the UI asks for and would keep it waiting: setup, a
 * diff, a replay, a base backup, a restore, a verify.  One thread per
 * kind, as redis's bio.c has: the UI thread hands it a job under the lock
 * and signals; the worker copies the job's inputs while it holds the
 * lock, runs the job without it and posts the result.  The UI thread
 * never waits for a worker; app_close does, once.
 *
 * Everything the UI may read is behind one mutex, and every change ends
 * with one byte on the wake-up pipe (non-blocking: a full pipe already
 * means "wake up").  The stop pipe is never read: once written it stays
 * readable, so every thread polling it sees the stop.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "app.h"
#include "archive.h"
#include "backup.h"
#include "capture.h"
#include "diff.h"
#include "listener.h"
#include "logfile.h"
#include "record.h"
#include "replay.h"
#include "restore.h"
#include "verify.h"
#include "setup.h"
#include "source.h"
#include "xmalloc.h"

#define STATUS_INTERVAL_MS	1000
#define WINDOW_EVERY		5	/* status rounds between window reads */

enum worker_kind {
	W_SETUP, W_DIFF, W_REPLAY, W_BACKUP, W_RESTORE, W_VERIFY, W_NKINDS
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
};

struct app {
	const struct config	*cfg;
	struct journal		*j;
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
	atomic_int		 replay_cancel;
	PGcancel		*replay_canceller;	/* under cancel_lock */
	pthread_mutex_t		 cancel_lock;
	struct replay_result	 replay_res;
	int			 replay_ret;
	struct pgtt_err		 replay_err;

	struct backup_info	 backup_res;
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
};

/* Fill a bounded view field; cutting a long message short is intended. */
static void
set_text(char *dst, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_text(char *dst, size_t size, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* Tell the UI thread; called with app->lock held. */
static void
post(struct app *app, unsigned events)
{
	char	c = 1;

	app->events |= events;
	if (write(app->wake[1], &c, 1) == -1 && errno != EAGAIN)
		log_msg(LOG_LEVEL_WARNING, "wake-up pipe: %s", strerror(errno));
}

/* A message for the message line and the log. */
static void
post_message(struct app *app, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
post_message(struct app *app, int error, const char *fmt, ...)
{
	va_list	ap;

	pthread_mutex_lock(&app->lock);
	va_start(ap, fmt);
	vsnprintf(app->msg.text, sizeof app->msg.text, fmt, ap);
	va_end(ap);
	app->msg.error = error;
	log_msg(error ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO, "%s", app->msg.text);
	post(app, APP_EV_MESSAGE);
	pthread_mutex_unlock(&app->lock);
}

static int
stopped(const struct app *app, int wait_ms)
{
	struct pollfd	pfd;

	pfd.fd = app->stop[0];
	pfd.events = POLLIN;
	return poll(&pfd, 1, wait_ms) > 0;
}

/*
 * For tests of a UI that must never wait for a worker: the job takes
 * this long more, when the environment asks for it.
 */
static void
slow_for_tests(struct app *app, const char *var)
{
	const char	*v = getenv(var);

	if (v != NULL && atoi(v) > 0)
		(void)stopped(app, atoi(v));
}

/* The journal, which the setup worker may open while others read it. */
static struct journal *
journal_of(struct app *app)
{
	struct journal	*j;

	pthread_mutex_lock(&app->lock);
	j = app->j;
	pthread_mutex_unlock(&app->lock);
	return j;
}

static void *
worker_main(void *arg)
{
	struct worker	*w = arg;
	struct app	*app = w->app;

	pthread_mutex_lock(&app->lock);
	for (;;) {
		while (!w->pending && !app->closing)
			pthread_cond_wait(&w->cond, &app->lock);
		if (app->closing)
			break;
		w->pending = 0;
		if (w->take != NULL)
			w->take(app);
		pthread_mutex_unlock(&app->lock);
		w->run(app);
		pthread_mutex_lock(&app->lock);
	}
	pthread_mutex_unlock(&app->lock);
	return NULL;
}

/*
 * Hand the worker of kind k its job, whose inputs the caller has set;
 * called with the lock held.  -1, with a message, when that worker
 * could not be started.
 */
static int
submit(struct app *app, enum worker_kind k)
{
	struct worker	*w = &app->workers[k];

	if (!w->started) {
		set_text(app->msg.text, sizeof app->msg.text,
		    "could not start %s", w->what);
		app->msg.error = 1;
		post(app, APP_EV_MESSAGE);
		return -1;
	}
	w->pending = 1;
	pthread_cond_signal(&w->cond);
	return 0;
}

/*
 * A job the view reports with *active (a backup, a restore, a verify):
 * claim it and hand it over, both under the lock, so two cannot start;
 * -1 when one runs already.  Its worker clears *active, with the lock,
 * as it finishes.
 */
static int
claim_and_submit(struct app *app, int *active, enum worker_kind k)
{
	int	ret = -1;

	if (!*active && (ret = submit(app, k)) == 0)
		*active = 1;
	return ret;
}

static void
on_commit(void *arg, const struct listener_progress *p)
{
	struct app	*app = arg;

	pthread_mutex_lock(&app->lock);
	app->view.flushed = p->flushed;
	post(app, APP_EV_JOURNAL);
	pthread_mutex_unlock(&app->lock);
}

static void
on_archiver_state(void *arg, const struct archiver_status *st)
{
	struct app	*app = arg;

	pthread_mutex_lock(&app->lock);
	app->view.archive = st->state;
	app->view.archive_restarts = st->restarts;
	snprintf(app->view.archive_error, sizeof app->view.archive_error,
	    "%s", st->error);
	post(app, APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
}

static void
on_archiver_failed(void *arg, const struct pgtt_err *err)
{
	post_message(arg, 1, "WAL archive: %s", err->msg);
}

/* The listener and the archiver, as `listen` runs them. */
static void *
capture_main(void *arg)
{
	struct app		*app = arg;
	struct capture_opts	 opts;
	struct pgtt_err		 err;
	int			 ret;

	memset(&opts, 0, sizeof opts);
	opts.cfg = app->cfg;
	opts.journal = journal_of(app);
	opts.stop_fd = app->stop[0];
	opts.on_commit = on_commit;
	opts.on_archiver = on_archiver_state;
	opts.on_archiver_failed = on_archiver_failed;
	opts.arg = app;
	err_clear(&err);
	ret = capture_run(&opts, NULL, &err);
	pthread_mutex_lock(&app->lock);
	app->listener_done = 1;
	if (ret != 0) {
		app->view.listener = APP_LISTENER_FAILED;
		set_text(app->view.listener_error,
		    sizeof app->view.listener_error, "%s%s%s", err.msg,
		    err.detail[0] != '\0' ? ": " : "", err.detail);
		set_text(app->msg.text, sizeof app->msg.text,
		    "listener stopped: %s", err.msg);
		app->msg.error = 1;
		log_msg(LOG_LEVEL_ERROR, "listener: %s: %s", err.msg,
		    err.detail);
		post(app, APP_EV_STATUS | APP_EV_MESSAGE);
	}
	pthread_mutex_unlock(&app->lock);
	return NULL;
}

/* The recoverable window, read without the lock (it runs pg_waldump). */
static void
read_window(struct app *app)
{
	struct pitr_window	w;
	struct pgtt_err		err;
	struct journal		*j = journal_of(app);

	if (!app->cfg->pitr.enabled || j == NULL)
		return;
	err_clear(&err);
	if (archive_window(app->cfg, j, &w, &err) != 0)
		set_text(w.note, sizeof w.note, "%s", err.msg);
	pthread_mutex_lock(&app->lock);
	app->view.window_from = w.latest != LSN_INVALID ? w.earliest : 0;
	app->view.window_to = w.latest;
	set_text(app->view.window_note, sizeof app->view.window_note, "%s",
	    w.note);
	post(app, APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
}

/* "in part: a, b; not: c" for the status pane, cut to fit. */
static void
gaps_text(char *out, size_t size, const struct source_status *st)
{
	size_t	i, len = 0;

	out[0] = '\0';
	for (i = 0; i < st->npartial && len < size; i++)
		len += snprintf(out + len, size - len, "%s%s", i == 0 ?
		    "in part: " : ", ", st->partial[i].table);
	for (i = 0; i < st->nmissing && len < size; i++)
		len += snprintf(out + len, size - len, "%s%s", i == 0 ?
		    (len > 0 ? "; not: " : "not: ") : ", ",
		    st->missing[i].table);
}

/* "15.18 (Debian 15.18-0+deb12u1)": the number is enough here. */
static void
fill_db(struct app_db *d, const struct db_status *s)
{
	d->up = s->reachable;
	set_text(d->version, sizeof d->version, "%.*s",
	    s->version != NULL ? (int)strcspn(s->version, " ") : 0,
	    s->version != NULL ? s->version : "");
	set_text(d->database, sizeof d->database, "%s",
	    s->database != NULL ? s->database : "");
	set_text(d->user, sizeof d->user, "%s", s->user != NULL ? s->user : "");
	set_text(d->error, sizeof d->error, "%s",
	    s->error != NULL ? s->error : "");
}

/* Copy a status into the view's plain arrays; called with the lock held. */
static void
fill_view(struct app *app, const struct source_status *st)
{
	struct app_view		*v = &app->view;

	v->status_known = 1;
	fill_db(&v->source, &st->source);
	v->replica_configured = st->replica.configured;
	fill_db(&v->replica, &st->replica);
	v->slot_exists = st->slot.exists;
	v->slot_active = st->slot.active;
	v->lag_bytes = st->slot.lag_bytes;
	snprintf(v->wal_status, sizeof v->wal_status, "%s",
	    st->slot.wal_status != NULL ? st->slot.wal_status : "");
	v->slot_lost = st->slot.wal_status != NULL &&
	    strcmp(st->slot.wal_status, "lost") == 0;
	v->publication_tables = st->publication_tables;
	v->ddl_capture = st->ddl_trigger;
	gaps_text(v->capture_gaps, sizeof v->capture_gaps, st);
}

/*
 * The listener's state, from its thread or from the journal's meta, where
 * the listener writes it in words (another process may be the listener).
 */
static void
fill_listener(struct app *app, int slot_active)
{
	struct app_view	*v = &app->view;
	struct pgtt_err	 err;
	char		*state = NULL, *why = NULL;

	if (app->listener_done)
		return;		/* failed, set by the thread */
	if (!app->listener_running) {
		v->listener = slot_active ? APP_LISTENER_EXTERNAL :
		    app->j == NULL ? APP_LISTENER_STOPPED :
		    APP_LISTENER_STARTING;
		v->listener_error[0] = '\0';
		return;
	}
	err_clear(&err);
	if (journal_meta_get(app->j, "listener_state", &state, &err) == 0)
		v->listener = strcmp(state, "streaming") == 0 ?
		    APP_LISTENER_STREAMING : strcmp(state, "reconnecting") == 0 ?
		    APP_LISTENER_RECONNECTING : strcmp(state, "stopped") == 0 ?
		    APP_LISTENER_STOPPED : APP_LISTENER_STARTING;
	if (journal_meta_get(app->j, "listener_error", &why, &err) == 0)
		snprintf(v->listener_error, sizeof v->listener_error, "%s",
		    why);
	free(state);
	free(why);
}

static void *
status_main(void *arg)
{
	struct app		*app = arg;
	struct source_status	 st;
	struct journal_stats	 js;
	struct pgtt_err		 err;
	uint64_t		 seen_txns = 0;
	unsigned		 ev, round = 0;

	do {
		if (round++ % WINDOW_EVERY == 0)
			read_window(app);
		source_status(app->cfg, &st);
		pthread_mutex_lock(&app->lock);
		fill_view(app, &st);
		ev = APP_EV_STATUS;
		err_clear(&err);
		if (app->j != NULL && journal_stats(app->j, &js, &err) == 0) {
			app->view.transactions = js.transactions;
			app->view.changes = js.changes;
			app->view.journal_bytes = js.file_size;
			/* Another process may be writing: tell the stream. */
			if (js.transactions != seen_txns)
				ev |= APP_EV_JOURNAL;
			seen_txns = js.transactions;
		}
		if (app->j != NULL && !app->listener_running &&
		    st.source.reachable && st.slot.exists && !st.slot.active) {
			if (pthread_create(&app->capture_thread, NULL,
			    capture_main, app) == 0)
				app->listener_running = 1;
		}
		fill_listener(app, st.slot.active);
		post(app, ev);
		pthread_mutex_unlock(&app->lock);
		source_status_done(&st);
	} while (!stopped(app, STATUS_INTERVAL_MS));
	return NULL;
}

/* Setup's report as text lines, the way `setup` prints them. */
static char *
report_text(const struct setup_report *rep)
{
	struct buf	 b;
	char		 line[1024];
	size_t		 i;

	buf_init(&b);
	for (i = 0; i < rep->nsteps; i++) {
		snprintf(line, sizeof line, "%-8s %s%s%s\n",
		    setup_state_name(rep->steps[i].state), rep->steps[i].object,
		    rep->steps[i].note != NULL ? ": " : "",
		    rep->steps[i].note != NULL ? rep->steps[i].note : "");
		buf_append(&b, line, strlen(line));
	}
	buf_append(&b, "", 1);
	return (char *)b.data;
}

static void
setup_take(struct app *app)
{
	app->setup_job_dry = app->setup_dry;
}

static void
setup_job(struct app *app)
{
	struct setup_report	 rep;
	struct journal		*j = NULL;
	struct pgtt_err		 err;
	char			*text;
	int			 ret;

	err_clear(&err);
	ret = source_setup(app->cfg, app->setup_job_dry, &rep, &err);
	text = report_text(&rep);
	setup_report_done(&rep);
	if (ret == 0 && !app->setup_job_dry)
		ret = journal_open(&j, app->cfg->storage.path,
		    app->cfg->storage.map_size, 0, &err);
	pthread_mutex_lock(&app->lock);
	app->setup_ret = ret;
	app->setup_err = err;
	free(app->setup_report);
	app->setup_report = text;
	if (j != NULL && app->j == NULL)
		app->j = j;
	else if (j != NULL)
		journal_close(j);
	post(app, APP_EV_SETUP);
	pthread_mutex_unlock(&app->lock);
}

static void
diff_take(struct app *app)
{
	app->diff_job_from = app->diff_from;
	app->diff_job_to = app->diff_to;
}

static void
diff_job(struct app *app)
{
	struct diff	*d = NULL;
	struct pgtt_err	 err;
	int		 ret;

	err_clear(&err);
	slow_for_tests(app, "PGTT_TEST_DIFF_DELAY_MS");
	ret = diff_compute(journal_of(app), app->diff_job_from,
	    app->diff_job_to, NULL, NULL, &d, &err);
	pthread_mutex_lock(&app->lock);
	if (app->workers[W_DIFF].pending) {
		/* Asked for another meanwhile: this one is not wanted. */
		diff_free(d);
	} else {
		diff_free(app->diff);
		app->diff = d;
		app->diff_ret = ret;
		app->diff_err = err;
		post(app, APP_EV_DIFF);
	}
	pthread_mutex_unlock(&app->lock);
}

void
app_diff(struct app *app, pgtt_lsn from, pgtt_lsn to)
{
	pthread_mutex_lock(&app->lock);
	/* A diff still running finishes unseen: the newest one is shown. */
	if (app->j != NULL) {
		app->diff_from = from;
		app->diff_to = to;
		(void)submit(app, W_DIFF);
	}
	pthread_mutex_unlock(&app->lock);
}

int
app_diff_result(struct app *app, struct diff **out, struct pgtt_err *err)
{
	int	ret;

	pthread_mutex_lock(&app->lock);
	*out = app->diff;
	app->diff = NULL;
	*err = app->diff_err;
	ret = app->diff_ret;
	pthread_mutex_unlock(&app->lock);
	return ret;
}

/* From the replaying thread: copy the figures into the view. */
static void
on_replay_progress(void *arg, const struct replay_progress *p)
{
	struct app	*app = arg;

	pthread_mutex_lock(&app->lock);
	app->view.replay_phase = p->phase;
	app->view.replay_done = p->done;
	app->view.replay_total = p->total;
	post(app, APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
}

static void
replay_take(struct app *app)
{
	app->replay_job_opts = app->replay_opts;
}

static void
replay_job(struct app *app)
{
	struct replay_result	 r;
	struct pgtt_err		 err;
	int			 ret;

	err_clear(&err);
	ret = replay_run(journal_of(app), app->cfg, &app->replay_job_opts, &r,
	    &err);
	pthread_mutex_lock(&app->lock);
	/* A plan never set it: a replay queued behind one keeps it. */
	if (!app->replay_job_opts.dry_run)
		app->view.replay_active = 0;
	if (!app->replay_job_opts.dry_run && r.target != NULL) {
		app->view.replay_end = r.cancelled ? APP_REPLAY_STOPPED :
		    ret != 0 ? APP_REPLAY_FAILED : APP_REPLAY_DONE;
		app->view.replay_at = r.to;
	}
	replay_result_done(&app->replay_res);
	app->replay_res = r;
	app->replay_ret = ret;
	app->replay_err = err;
	post(app, APP_EV_REPLAY | APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
}

/* What stops the replay's running statement; NULL once it is gone. */
static void
on_replay_cancel_ready(void *arg, PGcancel *canceller)
{
	struct app	*app = arg;

	pthread_mutex_lock(&app->cancel_lock);
	app->replay_canceller = canceller;
	pthread_mutex_unlock(&app->cancel_lock);
}

int
app_replay(struct app *app, pgtt_lsn to, int dry_run)
{
	int	ret = -1;

	pthread_mutex_lock(&app->lock);
	/* A verify replays the same replica; a plan waits for a replay. */
	if (app->j == NULL || app->view.replay_active ||
	    app->view.verify_active || app->workers[W_REPLAY].pending)
		goto out;
	memset(&app->replay_opts, 0, sizeof app->replay_opts);
	app->replay_opts.to = to;
	app->replay_opts.dry_run = dry_run;
	app->replay_opts.progress = on_replay_progress;
	app->replay_opts.arg = app;
	atomic_store(&app->replay_cancel, 0);
	app->replay_opts.cancel = &app->replay_cancel;
	app->replay_opts.cancel_ready = on_replay_cancel_ready;
	if ((ret = submit(app, W_REPLAY)) != 0)
		goto out;
	app->view.replay_active = !dry_run;
	app->view.replay_done = app->view.replay_total = 0;
	app->view.replay_phase = REPLAY_PHASE_STARTING;
out:
	pthread_mutex_unlock(&app->lock);
	return ret;
}

/*
 * Stop the replay now: its running statement, one waiting for a lock on
 * the replica too, is cancelled and its transaction rolled back.
 */
void
app_replay_cancel(struct app *app)
{
	char	errbuf[256];

	atomic_store(&app->replay_cancel, 1);
	/* Its own lock: PQcancel connects, and may take its time. */
	pthread_mutex_lock(&app->cancel_lock);
	if (app->replay_canceller != NULL)
		(void)PQcancel(app->replay_canceller, errbuf, sizeof errbuf);
	pthread_mutex_unlock(&app->cancel_lock);
}

int
app_replay_result(struct app *app, struct replay_result *out,
    struct pgtt_err *err)
{
	int	ret;

	pthread_mutex_lock(&app->lock);
	*out = app->replay_res;
	memset(&app->replay_res, 0, sizeof app->replay_res);
	*err = app->replay_err;
	ret = app->replay_ret;
	pthread_mutex_unlock(&app->lock);
	return ret;
}

/* From pg_basebackup's progress lines, in the backup's thread. */
static void
on_backup_progress(void *arg, int percent, uint64_t kb)
{
	struct app	*app = arg;

	pthread_mutex_lock(&app->lock);
	app->view.backup_percent = percent;
	app->view.backup_kb = kb;
	post(app, APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
}

static void
backup_job(struct app *app)
{
	struct backup_info	 b;
	struct pgtt_err		 err;
	int			 ret;

	err_clear(&err);
	memset(&b, 0, sizeof b);
	ret = backup_take(app->cfg, journal_of(app), on_backup_progress, app,
	    &b, &err);
	/* The new backup may move the window: show it with the result. */
	if (ret == 0)
		read_window(app);
	pthread_mutex_lock(&app->lock);
	app->view.backup_active = 0;
	app->backup_res = b;
	app->backup_ret = ret;
	app->backup_err = err;
	post(app, APP_EV_BACKUP | APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
}

int
app_backup(struct app *app)
{
	int	ret = -1;

	pthread_mutex_lock(&app->lock);
	if (app->j != NULL && (ret = claim_and_submit(app,
	    &app->view.backup_active, W_BACKUP)) == 0) {
		app->view.backup_percent = 0;
		app->view.backup_kb = 0;
	}
	pthread_mutex_unlock(&app->lock);
	return ret;
}

int
app_backup_result(struct app *app, struct backup_info *out,
    struct pgtt_err *err)
{
	int	ret;

	pthread_mutex_lock(&app->lock);
	*out = app->backup_res;
	*err = app->backup_err;
	ret = app->backup_ret;
	pthread_mutex_unlock(&app->lock);
	return ret;
}

/* "point X is outside the window A .. B", from the view's window. */
static int
check_in_window(struct app *app, pgtt_lsn to, struct pgtt_err *err)
{
	struct app_view	 view, *v = &view;
	char		 p[LSN_BUFSIZE], a[LSN_BUFSIZE], b[LSN_BUFSIZE];

	pthread_mutex_lock(&app->lock);
	view = app->view;
	pthread_mutex_unlock(&app->lock);
	if (v->window_to == LSN_INVALID)
		return err_set(err, PGTT_ENOTFOUND, "cannot restore: the "
		    "recoverable window is empty%s%s", v->window_note[0] !=
		    '\0' ? ": " : "", v->window_note);
	if (to < v->window_from || to > v->window_to)
		return err_set(err, PGTT_EUSAGE, "cannot restore to %s: it is "
		    "outside the recoverable window, %s .. %s",
		    lsn_format(to, p), lsn_format(v->window_from, a),
		    lsn_format(v->window_to, b));
	return 0;
}

int
app_restore_check(struct app *app, pgtt_lsn to, struct app_restore_plan *plan,
    struct pgtt_err *err)
{
	const struct config	*cfg = app->cfg;
	struct backup_info	*bs;
	size_t			 n, i;
	int			 ret, chosen = -1;

	memset(plan, 0, sizeof *plan);
	if (!cfg->pitr.enabled)
		return err_set(err, PGTT_ECONFIG, "PITR is turned off "
		    "(pitr.enabled: false)");
	if (app->j == NULL)
		return err_set(err, PGTT_ENOTFOUND, "no journal: run setup "
		    "first");
	if ((ret = check_in_window(app, to, err)) != 0)
		return ret;
	/* As restore_run chooses: the newest backup ending before it. */
	if ((ret = backup_list(app->j, &bs, &n, err)) != 0)
		return ret;
	for (i = 0; i < n; i++)
		if (bs[i].end_lsn <= to)
			chosen = (int)i;
	if (chosen >= 0) {
		snprintf(plan->base_backup, sizeof plan->base_backup, "%s",
		    bs[chosen].name);
		plan->backup_end = bs[chosen].end_lsn;
	}
	free(bs);
	if (chosen < 0)
		return err_set(err, PGTT_ENOTFOUND, "no base backup ends before "
		    "that point");
	snprintf(plan->data_dir, sizeof plan->data_dir, "%s",
	    cfg->pitr.restore_data_dir);
	plan->port = cfg->pitr.restore_port;
	switch (restore_dir_state(plan->data_dir)) {
	case RESTORE_DIR_EMPTY:
		break;
	case RESTORE_DIR_PREVIOUS:
		plan->replaces = 1;
		break;
	case RESTORE_DIR_FOREIGN:
		return err_set(err, PGTT_EUSAGE, "data directory \"%s\" is not "
		    "empty and is not a pgtt restore (pitr.restore_data_dir)",
		    plan->data_dir);
	}
	return 0;
}

/* From the restoring thread: its step and percent into the view. */
static void
on_restore_progress(void *arg, const char *step, int percent)
{
	struct app	*app = arg;

	pthread_mutex_lock(&app->lock);
	set_text(app->view.restore_step, sizeof app->view.restore_step, "%s",
	    step);
	app->view.restore_percent = percent;
	post(app, APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
}

static void
restore_take(struct app *app)
{
	memcpy(app->restore_job_to, app->restore_to,
	    sizeof app->restore_job_to);
	app->restore_job_opts = app->restore_opts;
	app->restore_job_opts.to = app->restore_job_to;
}

static void
restore_job(struct app *app)
{
	struct restore_result	 r;
	struct pgtt_err		 err;
	int			 ret;

	err_clear(&err);
	ret = restore_run(app->cfg, journal_of(app), &app->restore_job_opts,
	    &r, &err);
	if (ret == 0 && r.note[0] != '\0')
		log_msg(LOG_LEVEL_INFO, "restore: %s", r.note);
	pthread_mutex_lock(&app->lock);
	app->view.restore_active = 0;
	if (ret == 0) {
		app->view.restored_lsn = r.target_lsn;
		app->view.restored_port = r.port;
		set_text(app->view.restored_conninfo,
		    sizeof app->view.restored_conninfo, "%s", r.conninfo);
	}
	app->restore_res = r;
	app->restore_ret = ret;
	app->restore_err = err;
	post(app, APP_EV_RESTORE | APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
}

int
app_restore(struct app *app, pgtt_lsn to, int force)
{
	int	ret = -1;

	pthread_mutex_lock(&app->lock);
	if (app->j == NULL || app->view.restore_active)
		goto out;
	lsn_format(to, app->restore_to);
	memset(&app->restore_opts, 0, sizeof app->restore_opts);
	app->restore_opts.force = force;
	app->restore_opts.progress = on_restore_progress;
	app->restore_opts.arg = app;
	if ((ret = claim_and_submit(app, &app->view.restore_active,
	    W_RESTORE)) != 0)
		goto out;
	app->view.restore_percent = 0;
	set_text(app->view.restore_step, sizeof app->view.restore_step,
	    "starting");
out:
	pthread_mutex_unlock(&app->lock);
	return ret;
}

int
app_restore_result(struct app *app, struct restore_result *out,
    struct pgtt_err *err)
{
	int	ret;

	pthread_mutex_lock(&app->lock);
	*out = app->restore_res;
	*err = app->restore_err;
	ret = app->restore_ret;
	pthread_mutex_unlock(&app->lock);
	return ret;
}

/* From the verifying thread: its step into the view. */
static void
on_verify_step(void *arg, const char *step)
{
	struct app	*app = arg;

	pthread_mutex_lock(&app->lock);
	set_text(app->view.verify_step, sizeof app->view.verify_step, "%s",
	    step);
	post(app, APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
}

static void
verify_take(struct app *app)
{
	memcpy(app->verify_job_to, app->verify_to, sizeof app->verify_job_to);
}

static void
verify_job(struct app *app)
{
	struct verify_opts	 o;
	struct verify_result	 r;
	struct pgtt_err		 err;
	int			 ret;

	memset(&o, 0, sizeof o);
	o.point = app->verify_job_to;
	o.progress = on_verify_step;
	o.arg = app;
	err_clear(&err);
	ret = verify_run(journal_of(app), app->cfg, &o, &r, &err);
	if (ret != 0)
		post_message(app, 1, "verify failed at %s: %s%s%s", o.point,
		    err.msg, err.detail[0] != '\0' ? ": " : "", err.detail);
	else if (r.first_diff != NULL)
		post_message(app, 1, "verify failed at %s: %s.%s differs: %s",
		    o.point, r.first_diff->schema, r.first_diff->name,
		    r.first_diff->why);
	else if (!r.equal)
		post_message(app, 1, "verify failed at %s: sequences differ by "
		    "more than %d increments", o.point, VERIFY_SEQ_SLACK);
	else
		post_message(app, 0, "verify at %s: equal, %zu tables and %zu "
		    "sequences, the replica by replay and a restore by PITR",
		    o.point, r.ntables, r.nseqs);
	verify_result_done(&r);
	pthread_mutex_lock(&app->lock);
	app->view.verify_active = 0;
	post(app, APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
}

int
app_verify(struct app *app, pgtt_lsn to)
{
	int	ret = -1;

	pthread_mutex_lock(&app->lock);
	if (app->j == NULL || app->view.replay_active ||
	    app->view.restore_active || app->view.verify_active)
		goto out;
	lsn_format(to, app->verify_to);
	if ((ret = claim_and_submit(app, &app->view.verify_active,
	    W_VERIFY)) != 0)
		goto out;
	set_text(app->view.verify_step, sizeof app->view.verify_step,
	    "starting");
out:
	pthread_mutex_unlock(&app->lock);
	return ret;
}

/* One thread per kind of job, waiting for its first. */
static void
start_workers(struct app *app)
{
	static const struct {
		const char	*what;
		void		(*take)(struct app *);
		void		(*run)(struct app *);
	} kinds[W_NKINDS] = {
		[W_SETUP] = { "setup", setup_take, setup_job },
		[W_DIFF] = { "the diff", diff_take, diff_job },
		[W_REPLAY] = { "the replay", replay_take, replay_job },
		[W_BACKUP] = { "the base backup", NULL, backup_job },
		[W_RESTORE] = { "the restore", restore_take, restore_job },
		[W_VERIFY] = { "the verify", verify_take, verify_job },
	};
	struct worker	*w;
	int		 k;

	for (k = 0; k < W_NKINDS; k++) {
		w = &app->workers[k];
		w->app = app;
		w->what = kinds[k].what;
		w->take = kinds[k].take;
		w->run = kinds[k].run;
		pthread_cond_init(&w->cond, NULL);
		w->started = pthread_create(&w->thread, NULL, worker_main,
		    w) == 0;
		if (!w->started)
			log_msg(LOG_LEVEL_WARNING, "could not start the "
			    "worker for %s", w->what);
	}
}

/* Each worker finishes the job it runs, if any, and exits. */
static void
stop_workers(struct app *app)
{
	int	k;

	pthread_mutex_lock(&app->lock);
	app->closing = 1;
	for (k = 0; k < W_NKINDS; k++)
		pthread_cond_signal(&app->workers[k].cond);
	pthread_mutex_unlock(&app->lock);
	for (k = 0; k < W_NKINDS; k++) {
		if (app->workers[k].started)
			pthread_join(app->workers[k].thread, NULL);
		if (app->workers[k].app != NULL)
			pthread_cond_destroy(&app->workers[k].cond);
	}
}

static int
make_pipe(int fds[2])
{
	if (pipe(fds) == -1)
		return -1;
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

int
app_open(struct app **out, const struct config *cfg, struct pgtt_err *err)
{
	struct app	*app;
	int		 ret = 0;

	app = xcalloc(1, sizeof *app);
	app->cfg = cfg;
	pthread_mutex_init(&app->lock, NULL);
	pthread_mutex_init(&app->cancel_lock, NULL);
	app->wake[0] = app->wake[1] = app->stop[0] = app->stop[1] = -1;
	if (make_pipe(app->wake) == -1 || make_pipe(app->stop) == -1) {
		ret = err_set(err, PGTT_EIO, "could not create a pipe: %s",
		    strerror(errno));
		app_close(app);
		return ret;
	}
	app->view.listener = APP_LISTENER_STARTING;
	app->view.archive_enabled = cfg->pitr.enabled;
	app->view.archive = ARCHIVER_STOPPED;
	if (journal_exists(cfg->storage.path))
		ret = journal_open(&app->j, cfg->storage.path,
		    cfg->storage.map_size, 0, err);
	else
		ret = err_set(err, PGTT_ENOTFOUND, "no journal in \"%s\"",
		    cfg->storage.path);
	if (ret != 0 && ret != PGTT_ENOTFOUND) {
		app_close(app);
		return ret;
	}
	start_workers(app);
	if (pthread_create(&app->status_thread, NULL, status_main, app) != 0) {
		ret = err_set(err, PGTT_EIO, "could not start the status "
		    "thread");
		app_close(app);
		return ret;
	}
	app->status_running = 1;
	*out = app;
	return ret;
}

void
app_close(struct app *app)
{
	char	c = 1;
	int	i;

	if (app == NULL)
		return;
	if (app->stop[1] != -1 && write(app->stop[1], &c, 1) == -1)
		log_msg(LOG_LEVEL_WARNING, "stop pipe: %s", strerror(errno));
	/*
	 * A running replay is cancelled; a backup or a restore cannot be
	 * stopped half way (pg_basebackup, pg_ctl run on): those are waited
	 * for.  A job not started yet is dropped.
	 */
	app_replay_cancel(app);
	stop_workers(app);
	diff_free(app->diff);
	replay_result_done(&app->replay_res);
	if (app->status_running)
		pthread_join(app->status_thread, NULL);
	/* Only the status thread starts the listener: no race here. */
	if (app->listener_running)
		pthread_join(app->capture_thread, NULL);
	if (app->j != NULL)
		journal_close(app->j);
	for (i = 0; i < 2; i++) {
		if (app->wake[i] != -1)
			close(app->wake[i]);
		if (app->stop[i] != -1)
			close(app->stop[i]);
	}
	pthread_mutex_destroy(&app->lock);
	pthread_mutex_destroy(&app->cancel_lock);
	free(app->setup_report);
	free(app);
}

int
app_wake_fd(const struct app *app)
{
	return app->wake[0];
}

unsigned
app_take_events(struct app *app, struct app_view *view,
    struct app_message *msg)
{
	char		buf[64];
	unsigned	ev;

	while (read(app->wake[0], buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&app->lock);
	ev = app->events;
	app->events = 0;
	*view = app->view;
	if ((ev & APP_EV_MESSAGE) && msg != NULL)
		*msg = app->msg;
	pthread_mutex_unlock(&app->lock);
	return ev;
}

struct journal *
app_journal(struct app *app)
{
	return journal_of(app);
}

int
app_has_journal(struct app *app)
{
	return journal_of(app) != NULL;
}

void
app_setup(struct app *app, int dry_run)
{
	pthread_mutex_lock(&app->lock);
	app->setup_dry = dry_run;
	(void)submit(app, W_SETUP);
	pthread_mutex_unlock(&app->lock);
}

int
app_setup_result(struct app *app, char **report, struct pgtt_err *err)
{
	int	ret;

	pthread_mutex_lock(&app->lock);
	*report = app->setup_report;
	app->setup_report = NULL;
	*err = app->setup_err;
	ret = app->setup_ret;
	pthread_mutex_unlock(&app->lock);
	return ret;
}
