/*
 * app-jobs.c: the jobs the UI starts: setup, diff, replay, base backup,
 * restore, verify, the stream's search and a row's history.  Each has a
 * take half, run by the UI thread with the lock held, that copies its
 * inputs, and a run half, run by its worker without the lock, that calls
 * its verb with the context job_ctx gives (the worker's stop flag, one
 * progress callback into the view) and posts the outcome with its event.
 * The app_* functions are the UI's side (app.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app-int.h"
#include "buf.h"
#include "logfile.h"
#include "setup.h"
#include "verify.h"
#include "xmalloc.h"

/* From a job's thread: where its verb is, into the view. */
static void
on_progress(void *arg, const struct verb_progress *p)
{
	struct app	*app = arg;

	pthread_mutex_lock(&app->lock);
	app->view.progress[p->verb] = *p;
	app_post(app, APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
}

/* What the replay's thread cancels its statement with; NULL once gone. */
static void
on_cancel_ready(void *arg, PGcancel *canceller)
{
	struct app	*app = arg;

	pthread_mutex_lock(&app->cancel_lock);
	app->replay_canceller = canceller;
	pthread_mutex_unlock(&app->cancel_lock);
}

/* The context a job's verb runs in, from the job's thread. */
static struct verb_ctx
job_ctx(struct app *app, enum worker_kind k)
{
	enum verb_id	verb = app_jobs[k].verb;
	struct verb_ctx	vc;

	memset(&vc, 0, sizeof vc);
	vc.cfg = app->cfg;
	vc.j = app_journal_of(app);
	vc.progress = on_progress;
	vc.arg = app;
	if (verb_table[verb].flags & VERB_CANCELLABLE)
		vc.cancel = &app->workers[k].cancel;
	/* Replay alone runs a statement Esc cancels (app_replay_cancel). */
	if (k == W_REPLAY)
		vc.cancel_ready = on_cancel_ready;
	return vc;
}

/* A job about to start shows no progress yet; the lock is held. */
static void
progress_reset(struct app *app, enum verb_id verb)
{
	memset(&app->view.progress[verb], 0, sizeof app->view.progress[verb]);
	app->view.progress[verb].verb = verb;
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
	struct verb_ctx		 vc = { .cfg = app->cfg };
	struct setup_opts	 o = { .dry_run = app->setup_job_dry };
	struct setup_report	 rep;
	struct journal		*j = NULL;
	struct pgtt_err		 err;
	char			*text;
	int			 ret;

	err_clear(&err);
	ret = setup_run(&vc, &o, &rep, &err);
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
	app_post(app, APP_EV_SETUP);
	pthread_mutex_unlock(&app->lock);
}

static void
diff_take(struct app *app)
{
	app->diff_job_from = app->diff_from;
	app->diff_job_to = app->diff_to;
	atomic_store(&app->workers[W_DIFF].cancel, 0);
}

static void
diff_job(struct app *app)
{
	struct verb_ctx		 vc = job_ctx(app, W_DIFF);
	struct diff_opts	 o = { .from = app->diff_job_from,
				       .to = app->diff_job_to };
	struct diff		*d = NULL;
	struct pgtt_err		 err;
	int			 ret;

	err_clear(&err);
	app_slow_for_tests(app, "PGTT_TEST_DIFF_DELAY_MS");
	ret = diff_run(&vc, &o, &d, &err);
	pthread_mutex_lock(&app->lock);
	if (app->workers[W_DIFF].pending) {
		/* Asked for another meanwhile: this one is not wanted. */
		diff_free(d);
	} else {
		diff_free(app->diff);
		app->diff = d;
		app->diff_ret = ret;
		app->diff_err = err;
		app_post(app, APP_EV_DIFF);
	}
	pthread_mutex_unlock(&app->lock);
}

void
app_diff(struct app *app, pgtt_lsn from, pgtt_lsn to)
{
	pthread_mutex_lock(&app->lock);
	/* A diff still running stops unseen: the newest one is shown. */
	if (app->j != NULL) {
		app->diff_from = from;
		app->diff_to = to;
		atomic_store(&app->workers[W_DIFF].cancel, 1);
		(void)app_submit(app, W_DIFF);
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

static void
replay_take(struct app *app)
{
	app->replay_job_opts = app->replay_opts;
}

static void
replay_job(struct app *app)
{
	struct verb_ctx		 vc = job_ctx(app, W_REPLAY);
	struct replay_result	 r;
	struct pgtt_err		 err;
	int			 ret;

	err_clear(&err);
	ret = replay_run(&vc, &app->replay_job_opts, &r, &err);
	pthread_mutex_lock(&app->lock);
	/* A plan never set it: a replay queued behind one keeps it. */
	if (!app->replay_job_opts.dry_run)
		app->view.replay_active = 0;
	/* Stopped before any change: the replica stands as it stood. */
	if (!app->replay_job_opts.dry_run && r.target != NULL &&
	    !(r.cancelled && r.to == LSN_INVALID)) {
		app->view.replay_end = r.cancelled ? APP_REPLAY_STOPPED :
		    ret != 0 ? APP_REPLAY_FAILED : APP_REPLAY_DONE;
		app->view.replay_at = r.to;
	}
	replay_result_done(&app->replay_res);
	app->replay_res = r;
	app->replay_ret = ret;
	app->replay_err = err;
	app_post(app, APP_EV_REPLAY | APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
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
	atomic_store(&app->workers[W_REPLAY].cancel, 0);
	if ((ret = app_submit(app, W_REPLAY)) != 0)
		goto out;
	app->view.replay_active = !dry_run;
	progress_reset(app, VERB_REPLAY);
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

	atomic_store(&app->workers[W_REPLAY].cancel, 1);
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

static void
backup_job(struct app *app)
{
	struct verb_ctx		 vc = job_ctx(app, W_BACKUP);
	struct backup_info	 b;
	struct pgtt_err		 err;
	int			 ret;

	err_clear(&err);
	memset(&b, 0, sizeof b);
	ret = backup_take(&vc, &(struct backup_opts){ NULL }, &b, &err);
	/* The new backup may move the window: show it with the result. */
	if (ret == 0)
		app_read_window(app);
	pthread_mutex_lock(&app->lock);
	app->view.backup_active = 0;
	app->backup_res = b;
	app->backup_ret = ret;
	app->backup_err = err;
	app_post(app, APP_EV_BACKUP | APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
}

int
app_backup(struct app *app)
{
	int	ret = -1;

	pthread_mutex_lock(&app->lock);
	if (app->j != NULL && (ret = app_claim_and_submit(app,
	    &app->view.backup_active, W_BACKUP)) == 0)
		progress_reset(app, VERB_BACKUP);
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
	size_t			 i;
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
	/*
	 * As restore_run chooses: the newest backup ending before it, from
	 * the list the window was read with (app_read_window).
	 */
	pthread_mutex_lock(&app->lock);
	for (i = 0; i < app->window_nbackups; i++)
		if (app->window_backups[i].end_lsn <= to)
			chosen = (int)i;
	if (chosen >= 0) {
		snprintf(plan->base_backup, sizeof plan->base_backup, "%s",
		    app->window_backups[chosen].name);
		plan->backup_end = app->window_backups[chosen].end_lsn;
	}
	pthread_mutex_unlock(&app->lock);
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
	struct verb_ctx		 vc = job_ctx(app, W_RESTORE);
	struct restore_result	 r;
	struct pgtt_err		 err;
	int			 ret;

	err_clear(&err);
	ret = restore_run(&vc, &app->restore_job_opts, &r, &err);
	if (ret == 0 && r.note[0] != '\0')
		log_msg(LOG_LEVEL_INFO, "restore: %s", r.note);
	pthread_mutex_lock(&app->lock);
	app->view.restore_active = 0;
	if (ret == 0) {
		app->view.restored_lsn = r.target_lsn;
		app->view.restored_port = r.port;
		app_set_text(app->view.restored_conninfo,
		    sizeof app->view.restored_conninfo, "%s", r.conninfo);
	}
	app->restore_res = r;
	app->restore_ret = ret;
	app->restore_err = err;
	app_post(app, APP_EV_RESTORE | APP_EV_STATUS);
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
	if ((ret = app_claim_and_submit(app, &app->view.restore_active,
	    W_RESTORE)) != 0)
		goto out;
	progress_reset(app, VERB_RESTORE);
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

static void
verify_take(struct app *app)
{
	memcpy(app->verify_job_to, app->verify_to, sizeof app->verify_job_to);
}

static void
verify_job(struct app *app)
{
	struct verb_ctx		 vc = job_ctx(app, W_VERIFY);
	struct verify_opts	 o;
	struct verify_result	 r;
	struct pgtt_err		 err;
	int			 ret;

	memset(&o, 0, sizeof o);
	o.point = app->verify_job_to;
	err_clear(&err);
	ret = verify_run(&vc, &o, &r, &err);
	if (ret != 0)
		app_post_message(app, 1, "verify failed at %s: %s%s%s", o.point,
		    err.msg, err.detail[0] != '\0' ? ": " : "", err.detail);
	else if (r.first_diff != NULL)
		app_post_message(app, 1, "verify failed at %s: %s.%s differs: %s",
		    o.point, r.first_diff->schema, r.first_diff->name,
		    r.first_diff->why);
	else if (!r.equal)
		app_post_message(app, 1, "verify failed at %s: sequences differ by "
		    "more than %d increments", o.point, VERIFY_SEQ_SLACK);
	else
		app_post_message(app, 0, "verify at %s: equal, %zu tables and %zu "
		    "sequences, the replica by replay and a restore by PITR",
		    o.point, r.ntables, r.nseqs);
	verify_result_done(&r);
	pthread_mutex_lock(&app->lock);
	app->view.verify_active = 0;
	app_post(app, APP_EV_STATUS);
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
	if ((ret = app_claim_and_submit(app, &app->view.verify_active,
	    W_VERIFY)) != 0)
		goto out;
	progress_reset(app, VERB_VERIFY);
out:
	pthread_mutex_unlock(&app->lock);
	return ret;
}

/* One thread per kind of job, waiting for its first. */

void
app_setup(struct app *app, int dry_run)
{
	pthread_mutex_lock(&app->lock);
	app->setup_dry = dry_run;
	(void)app_submit(app, W_SETUP);
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

static void
filter_copy(struct history_filter *dst, const struct history_filter *src)
{
	free(dst->schema);
	free(dst->table);
	dst->schema = src->schema != NULL ? xstrdup(src->schema) : NULL;
	dst->table = src->table != NULL ? xstrdup(src->table) : NULL;
	dst->ops = src->ops;
}

static void
search_take(struct app *app)
{
	filter_copy(&app->search_job_filter, &app->search_filter);
	app->search_job_from = app->search_from;
	app->search_job_gen = app->search_gen;
	atomic_store(&app->workers[W_SEARCH].cancel, 0);
}

static void
on_search_progress(void *arg, uint64_t examined)
{
	struct app	*app = arg;

	pthread_mutex_lock(&app->lock);
	app->view.search_examined = examined;
	app_post(app, APP_EV_STATUS);
	pthread_mutex_unlock(&app->lock);
}

static void
search_job(struct app *app)
{
	struct history_pos	found = { 0, 0 };
	struct pgtt_err		err;
	int			ret;

	err_clear(&err);
	ret = history_search_back(app_journal_of(app), &app->search_job_from,
	    &app->search_job_filter, &app->workers[W_SEARCH].cancel,
	    on_search_progress, app, &found, &err);
	pthread_mutex_lock(&app->lock);
	/* Asked for another meanwhile: that one's outcome is the one shown. */
	if (!app->workers[W_SEARCH].pending) {
		app->view.search_active = 0;
		app->search_ret = ret;
		app->search_found = found;
		app->search_err = err;
		app->search_result_gen = app->search_job_gen;
		app_post(app, APP_EV_SEARCH | APP_EV_STATUS);
	}
	pthread_mutex_unlock(&app->lock);
}

unsigned
app_search(struct app *app, const struct history_filter *f,
    const struct history_pos *from)
{
	unsigned	gen;

	pthread_mutex_lock(&app->lock);
	gen = ++app->search_gen;
	if (app->j != NULL) {
		filter_copy(&app->search_filter, f);
		app->search_from = *from;
		atomic_store(&app->workers[W_SEARCH].cancel, 1);	/* the one running */
		if (app_submit(app, W_SEARCH) == 0) {
			app->view.search_active = 1;
			app->view.search_examined = 0;
		}
	}
	pthread_mutex_unlock(&app->lock);
	return gen;
}

void
app_search_cancel(struct app *app)
{
	atomic_store(&app->workers[W_SEARCH].cancel, 1);
}

int
app_search_result(struct app *app, struct history_pos *found,
    struct pgtt_err *err, unsigned *gen)
{
	int	ret;

	pthread_mutex_lock(&app->lock);
	*gen = app->search_result_gen;
	*found = app->search_found;
	*err = app->search_err;
	ret = app->search_ret;
	pthread_mutex_unlock(&app->lock);
	return ret;
}

static void
rowhist_take(struct app *app)
{
	app->rowhist_job_at = app->rowhist_at;
}

static void
rowhist_job(struct app *app)
{
	struct verb_ctx		 vc = job_ctx(app, W_ROWHIST);
	struct rowhist_opts	 opts = { 0, UINT64_MAX, 1 };
	struct rowhist_list	*l = xcalloc(1, sizeof *l);
	struct pgtt_err		 err;
	int			 ret;

	err_clear(&err);
	ret = rowhist_collect_change(&vc, &opts,
	    app->rowhist_job_at.lsn, app->rowhist_job_at.seq, l, &err);
	pthread_mutex_lock(&app->lock);
	if (ret != 0 || app->workers[W_ROWHIST].pending) {
		rowhist_list_free(l);
		free(l);
		l = NULL;
	}
	/* Asked for another meanwhile: that one's is the one shown. */
	if (!app->workers[W_ROWHIST].pending) {
		if (app->rowhist != NULL) {
			rowhist_list_free(app->rowhist);
			free(app->rowhist);
		}
		app->rowhist = l;
		app->rowhist_ret = ret;
		app->rowhist_err = err;
		app_post(app, APP_EV_ROWHIST);
	}
	pthread_mutex_unlock(&app->lock);
}

void
app_rowhist(struct app *app, pgtt_lsn lsn, uint32_t seq)
{
	pthread_mutex_lock(&app->lock);
	if (app->j != NULL) {
		app->rowhist_at.lsn = lsn;
		app->rowhist_at.seq = seq;
		(void)app_submit(app, W_ROWHIST);
	}
	pthread_mutex_unlock(&app->lock);
}

int
app_rowhist_result(struct app *app, struct rowhist_list **out,
    struct pgtt_err *err)
{
	int	ret;

	pthread_mutex_lock(&app->lock);
	*out = app->rowhist;
	app->rowhist = NULL;
	*err = app->rowhist_err;
	ret = app->rowhist_ret;
	pthread_mutex_unlock(&app->lock);
	return ret;
}

const struct app_job app_jobs[W_NKINDS] = {
	[W_SETUP] = { VERB_SETUP, "setup", setup_take, setup_job },
	[W_DIFF] = { VERB_DIFF, "the diff", diff_take, diff_job },
	[W_REPLAY] = { VERB_REPLAY, "the replay", replay_take, replay_job },
	[W_BACKUP] = { VERB_BACKUP, "the base backup", NULL, backup_job },
	[W_RESTORE] = { VERB_RESTORE, "the restore", restore_take,
	    restore_job },
	[W_VERIFY] = { VERB_VERIFY, "the verify", verify_take, verify_job },
	/* The stream's filter searches what log prints. */
	[W_SEARCH] = { VERB_LOG, "the search", search_take, search_job },
	[W_ROWHIST] = { VERB_HISTORY, "the row's history", rowhist_take,
	    rowhist_job },
};
