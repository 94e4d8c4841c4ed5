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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "app-int.h"
#include "checkpoint.h"
#include "archive.h"
#include "backup.h"
#include "capture.h"
#include "diff.h"
#include "listener.h"
#include "logfile.h"
#include "prune.h"
#include "record.h"
#include "replay.h"
#include "restore.h"
#include "verify.h"
#include "setup.h"
#include "source.h"
#include "xmalloc.h"

#define STATUS_INTERVAL_MS	1000
#define WINDOW_EVERY		5	/* status rounds between window reads */

/* Fill a bounded view field; cutting a long message short is intended. */
void
app_set_text(char *dst, size_t size, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(dst, size, fmt, ap);
	va_end(ap);
}

/* Tell the UI thread; called with app->lock held. */
void
app_post(struct app *app, unsigned events)
{
	char	c = 1;

	app->events |= events;
	if (write(app->wake[1], &c, 1) == -1 && errno != EAGAIN)
		log_msg(LOG_LEVEL_WARNING, "wake-up pipe: %s", strerror(errno));
}

/* A message for the message line and the log. */
void
app_post_message(struct app *app, int error, const char *fmt, ...)
{
	va_list	ap;

	pthread_mutex_lock(&app->lock);
	va_start(ap, fmt);
	vsnprintf(app->msg.text, sizeof app->msg.text, fmt, ap);
	va_end(ap);
	app->msg.error = error;
	log_msg(error ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO, "%s", app->msg.text);
	app_post(app, APP_EV_MESSAGE);
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
void
app_slow_for_tests(struct app *app, const char *var)
{
	const char	*v = getenv(var);

	if (v != NULL && atoi(v) > 0)
		(void)stopped(app, atoi(v));
}

/* The journal, which the setup worker may open while others read it. */
struct journal *
app_journal_of(struct app *app)
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
int
app_submit(struct app *app, enum worker_kind k)
{
	struct worker	*w = &app->workers[k];

	if (!w->started) {
		app_set_text(app->msg.text, sizeof app->msg.text,
		    "could not start %s", w->what);
		app->msg.error = 1;
		app_post(app, APP_EV_MESSAGE);
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
int
app_claim_and_submit(struct app *app, int *active, enum worker_kind k)
{
	int	ret = -1;

	if (!*active && (ret = app_submit(app, k)) == 0)
		*active = 1;
	return ret;
}

static void
on_commit(void *arg, const struct listener_progress *p)
{
	struct app	*app = arg;

	pthread_mutex_lock(&app->lock);
	app->view.flushed = p->flushed;
	app_post(app, APP_EV_JOURNAL);
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
	app_post(app, APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
}

static void
on_archiver_failed(void *arg, const struct pgtt_err *err)
{
	app_post_message(arg, 1, "WAL archive: %s", err->msg);
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
	opts.journal = app_journal_of(app);
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
		app_set_text(app->view.listener_error,
		    sizeof app->view.listener_error, "%s%s%s", err.msg,
		    err.detail[0] != '\0' ? ": " : "", err.detail);
		app_set_text(app->msg.text, sizeof app->msg.text,
		    "listener stopped: %s", err.msg);
		app->msg.error = 1;
		log_msg(LOG_LEVEL_ERROR, "listener: %s: %s", err.msg,
		    err.detail);
		app_post(app, APP_EV_STATUS | APP_EV_MESSAGE);
	}
	pthread_mutex_unlock(&app->lock);
	return NULL;
}

/*
 * The recoverable window and the backups, read without the lock (it runs
 * pg_waldump, and pgbackrest info under that engine).
 */
void
app_read_window(struct app *app)
{
	struct pitr_window	 w;
	struct pgtt_err		 err;
	struct journal		*j = app_journal_of(app);
	struct backup_info	*bs = NULL;
	size_t			 n = 0;

	if (!app->cfg->pitr.enabled || j == NULL)
		return;
	err_clear(&err);
	if (archive_window_list(app->cfg, j, &w, &bs, &n, &err) != 0)
		app_set_text(w.note, sizeof w.note, "%s", err.msg);
	pthread_mutex_lock(&app->lock);
	free(app->window_backups);
	app->window_backups = bs;
	app->window_nbackups = n;
	app->view.window_from = w.latest != LSN_INVALID ? w.earliest : 0;
	app->view.window_to = w.latest;
	app_set_text(app->view.window_note, sizeof app->view.window_note, "%s",
	    w.note);
	app_post(app, APP_EV_STATUS);
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
	app_set_text(d->version, sizeof d->version, "%.*s",
	    s->version != NULL ? (int)strcspn(s->version, " ") : 0,
	    s->version != NULL ? s->version : "");
	app_set_text(d->database, sizeof d->database, "%s",
	    s->database != NULL ? s->database : "");
	app_set_text(d->user, sizeof d->user, "%s", s->user != NULL ? s->user : "");
	app_set_text(d->error, sizeof d->error, "%s",
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

/*
 * The journal's figures into the view, before the source is probed: a
 * probe of an unreachable source can take its whole connect timeout, and
 * the journal's count does not depend on it.  Called with the lock held.
 */
static unsigned
fill_journal(struct app *app, uint64_t *seen_txns)
{
	struct journal_stats	js;
	struct pgtt_err		err;
	unsigned		ev = 0;

	err_clear(&err);
	if (app->j != NULL && journal_stats(app->j, &js, &err) == 0) {
		app->view.transactions = js.transactions;
		app->view.changes = js.changes;
		app->view.journal_bytes = js.file_size;
		app->view.nwarnings = storage_warnings(app->cfg, js.file_size,
		    app->view.warnings);
		/* Another process may be writing: tell the stream. */
		if (js.transactions != *seen_txns)
			ev |= APP_EV_JOURNAL;
		*seen_txns = js.transactions;
	}
	return ev;
}

static void *
status_main(void *arg)
{
	struct app		*app = arg;
	struct source_status	 st;
	uint64_t		 seen_txns = 0;
	unsigned		 ev, round = 0;

	do {
		pthread_mutex_lock(&app->lock);
		if ((ev = fill_journal(app, &seen_txns)) != 0)
			app_post(app, ev | APP_EV_STATUS);
		pthread_mutex_unlock(&app->lock);
		if (round++ % WINDOW_EVERY == 0)
			app_read_window(app);
		source_status(app->cfg, &st);
		pthread_mutex_lock(&app->lock);
		fill_view(app, &st);
		ev = APP_EV_STATUS | fill_journal(app, &seen_txns);
		if (app->j != NULL && !app->listener_running &&
		    st.source.reachable && st.slot.exists && !st.slot.active) {
			if (pthread_create(&app->capture_thread, NULL,
			    capture_main, app) == 0)
				app->listener_running = 1;
		}
		fill_listener(app, st.slot.active);
		app_post(app, ev);
		pthread_mutex_unlock(&app->lock);
		source_status_done(&st);
	} while (!stopped(app, STATUS_INTERVAL_MS));
	return NULL;
}

static void
start_workers(struct app *app)
{
	struct worker	*w;
	int		 k;

	for (k = 0; k < W_NKINDS; k++) {
		w = &app->workers[k];
		w->app = app;
		w->what = app_jobs[k].what;
		w->take = app_jobs[k].take;
		w->run = app_jobs[k].run;
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
	size_t	k;
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
	app_search_cancel(app);
	stop_workers(app);
	diff_free(app->diff);
	if (app->rowhist != NULL) {
		rowhist_list_free(app->rowhist);
		free(app->rowhist);
	}
	free(app->search_filter.schema);
	free(app->search_filter.table);
	free(app->search_job_filter.schema);
	free(app->search_job_filter.table);
	replay_result_done(&app->replay_res);
	if (app->status_running)
		pthread_join(app->status_thread, NULL);
	/* The status thread reads the window until it stops. */
	free(app->window_backups);
	/* Only the status thread starts the listener: no race here. */
	if (app->listener_running)
		pthread_join(app->capture_thread, NULL);
	if (app->j != NULL)
		journal_close(app->j);
	for (k = 0; k < app->ncluster; k++) {
		if (app->cluster[k] != NULL)
			journal_close(app->cluster[k]);
		free(app->cluster_names[k]);
	}
	free(app->cluster);
	free(app->cluster_names);
	free(app->cluster_cfgs);
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

void
app_open_cluster(struct app *app, const struct config *const *views,
    size_t n, size_t self)
{
	struct pgtt_err	err;
	size_t		k;

	app->cluster = xcalloc(n, sizeof *app->cluster);
	app->cluster_names = xcalloc(n, sizeof *app->cluster_names);
	app->cluster_cfgs = xcalloc(n, sizeof *app->cluster_cfgs);
	app->ncluster = n;
	app->cluster_self = self;
	for (k = 0; k < n; k++) {
		app->cluster_names[k] = xstrdup(views[k]->source.database);
		app->cluster_cfgs[k] = views[k];
		if (k == self)
			continue;
		/* Written only by checkpoints, which LMDB serializes. */
		err_clear(&err);
		if (journal_open(&app->cluster[k], views[k]->storage.path,
		    views[k]->storage.map_size, 0, &err) != 0) {
			app->cluster[k] = NULL;
			log_msg(LOG_LEVEL_INFO, "the stream of all databases "
			    "leaves out %s: %s", views[k]->source.database,
			    err.msg);
		}
	}
}

int
app_checkpoint_all(struct app *app, const char *name, const char *at,
    struct pgtt_checkpoint **out, struct pgtt_err *err)
{
	struct checkpoint_report	 rep;
	struct journal			**js;
	uint32_t			*sids;
	size_t				 k;
	int				 ret = 0;

	js = xcalloc(app->ncluster, sizeof *js);
	sids = xcalloc(app->ncluster, sizeof *sids);
	for (k = 0; ret == 0 && k < app->ncluster; k++) {
		js[k] = k == app->cluster_self ? app_journal_of(app) :
		    app->cluster[k];
		if (js[k] == NULL) {
			ret = err_set(err, PGTT_ENOTFOUND, "database %s has no "
			    "journal to hold the checkpoint",
			    app->cluster_names[k]);
			err_hint(err, "run setup");
		} else
			sids[k] = journal_active_session(js[k]);
	}
	if (ret == 0)
		ret = checkpoint_create_all(js, app->cluster_cfgs, sids,
		    app->ncluster, name, at, NULL, out, &rep, err);
	free(sids);
	free(js);
	return ret;
}

int
app_has_cluster(struct app *app)
{
	return app->ncluster > 1;
}

size_t
app_cluster(struct app *app, struct journal **js, const char **names,
    size_t max, size_t *self)
{
	size_t	k, n = 0;

	*self = SIZE_MAX;	/* none of them, while this one has no journal */
	for (k = 0; k < app->ncluster && n < max; k++) {
		js[n] = k == app->cluster_self ? app_journal_of(app) :
		    app->cluster[k];
		if (js[n] == NULL)
			continue;
		if (k == app->cluster_self)
			*self = n;
		names[n++] = app->cluster_names[k];
	}
	return n;
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
	return app_journal_of(app);
}

int
app_has_journal(struct app *app)
{
	return app_journal_of(app) != NULL;
}
