/*
 * work.c: what the TUI starts and the dialogs around it: the setup offer,
 * prompts for checkpoints, sessions and points, and the diff, replay,
 * restore, backup and verify jobs with their confirmations and progress
 * lines.  Each job runs in the app's workers (app.h); the start_*
 * functions submit it, the take_* ones show its outcome when its event
 * comes, and nothing here waits.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backup.h"
#include "core/checkpoint.h"
#include "core/diff.h"
#include "core/logfile.h"
#include "core/point.h"
#include "core/replay.h"
#include "core/restore.h"
#include "core/session.h"
#include "core/xmalloc.h"
#include "ui.h"

/*
 * The first start on a source setup has not prepared: what setup would
 * create, asked of a dry run; y runs it.  A mode of the loop, so the
 * screen is drawn again on a resize and a signal ends it at any step.
 */
void
ui_draw_offer(struct ui *ui)
{
	char	*copy, *line, *save = NULL;
	int	 row;

	switch (ui->offer) {
	case UI_OFFER_ASKING:
		ui_text(1, 2, COLS - 4, "The source is not set up for pgtt "
		    "yet. Asking what setup would do...", A_BOLD);
		break;
	case UI_OFFER_SHOWING:
		ui_text(1, 2, COLS - 4, "The source is not set up for pgtt "
		    "yet. Setup would do this on it:", A_BOLD);
		row = 3;
		copy = xstrdup(ui->offer_report != NULL ? ui->offer_report :
		    "");
		for (line = strtok_r(copy, "\n", &save); line != NULL &&
		    row < LINES - 3; line = strtok_r(NULL, "\n", &save))
			ui_text(row++, 2, COLS - 4, line, A_NORMAL);
		free(copy);
		ui_text(row + 1, 2, COLS - 4, "Run setup now? [y/n]", A_BOLD);
		break;
	case UI_OFFER_RUNNING:
		ui_text(1, 2, COLS - 4, "Running setup (the baseline dump may "
		    "take a while)...", A_BOLD);
		break;
	case UI_OFFER_FAILED:
		ui_text(1, 2, COLS - 4, "pgtt cannot set up this source:",
		    A_BOLD);
		ui_text(3, 2, COLS - 4, ui->offer_err.msg, ui_attr(ui,
		    C_ERROR));
		ui_text(4, 2, COLS - 4, ui->offer_err.detail, A_NORMAL);
		ui_text(5, 2, COLS - 4, ui->offer_err.hint, A_NORMAL);
		ui_text(7, 2, COLS - 4, "press any key to quit", A_DIM);
		break;
	case UI_OFFER_NONE:
		break;
	}
}

/* The setup worker is done: on to the next step of the offer. */
void
ui_offer_setup_done(struct ui *ui)
{
	free(ui->offer_report);
	ui->offer_report = NULL;
	err_clear(&ui->offer_err);
	if (app_setup_result(ui->app, &ui->offer_report,
	    &ui->offer_err) != 0) {
		if (ui->offer == UI_OFFER_ASKING)
			ui->offer = UI_OFFER_FAILED;
		else {
			ui_message(ui, 1, "setup failed: %s",
			    ui->offer_err.msg);
			ui->exit_status = 1;
			ui->quit = 1;
		}
		return;
	}
	if (ui->offer == UI_OFFER_ASKING) {
		ui->offer = UI_OFFER_SHOWING;
		return;
	}
	ui->offer = UI_OFFER_NONE;
	ui_message(ui, 0, "setup done: capturing");
	ui_broadcast(ui, APP_EV_STATUS | APP_EV_JOURNAL);
}

/* A key while the offer is up; returns R_*. */
int
ui_offer_key(struct ui *ui, int ch)
{
	switch (ui->offer) {
	case UI_OFFER_SHOWING:
		if (ch == 'y') {
			ui->offer = UI_OFFER_RUNNING;
			app_setup(ui->app, 0);
		} else if (ch == 'n' || ch == 'q' || ch == 27)
			return R_QUIT;
		break;
	case UI_OFFER_FAILED:
		ui->exit_status = 1;
		return R_QUIT;
	default:
		break;
	}
	return R_REDRAW;
}


/*
 * c: a checkpoint after the selected change, or at the newest journaled
 * one.  Both are local: the UI thread never waits on the source.
 */
static void
checkpoint_named(struct ui *ui, const char *name, const char *at)
{
	struct journal			*j = app_journal(ui->app);
	struct pgtt_checkpoint		*cp = NULL;
	struct checkpoint_report	 rep;
	struct pgtt_err			 err;
	pgtt_lsn			 lsn;
	char				 lsnbuf[LSN_BUFSIZE];

	if (j == NULL)
		return;
	err_clear(&err);
	/*
	 * With several databases a checkpoint is the cluster's, as without
	 * -d: the point as this database reads it, in every journal.
	 */
	if (app_has_cluster(ui->app)) {
		if (point_resolve_journaled(j, ui->cfg->source.dsn, at, &lsn,
		    &err) == 0)
			(void)app_checkpoint_all(ui->app, name,
			    lsn_format(lsn, lsnbuf), &cp, &err);
	} else
		(void)checkpoint_create(j, ui->cfg, name, at, NULL,
		    journal_active_session(j), &cp, &rep, &err);
	if (err.code != 0)
		ui_message(ui, 1, "%s", err.msg);
	else {
		ui_message(ui, 0, "checkpoint \"%s\" at %s%s", cp->name,
		    lsn_format(cp->lsn, lsnbuf), app_has_cluster(ui->app) ?
		    " in every database" : "");
		free(cp);
	}
	ui_broadcast(ui, APP_EV_SETUP);
}

/* The point is taken when c is pressed, not when the name is done. */
void
ui_new_checkpoint(struct ui *ui)
{
	pgtt_lsn	end;
	char		at[LSN_BUFSIZE];

	if (app_journal(ui->app) == NULL)
		return;
	if (pane_stream_selected_end(ui->stream, &end) == 0)
		lsn_format(end, at);
	else
		snprintf(at, sizeof at, "head");
	ui_prompt(ui, "checkpoint name: ", at, checkpoint_named);
}

/*
 * ":": the stream up to a typed point.  "now" is taken as head, the
 * newest journaled change: the UI thread does not ask the source.
 */
static void
point_typed(struct ui *ui, const char *text, const char *arg)
{
	struct journal	*j = app_journal(ui->app);
	struct pgtt_err	 err;
	pgtt_lsn	 lsn;
	char		 lsnbuf[LSN_BUFSIZE];

	(void)arg;
	for (ui->focus = 0; ui->panes[ui->focus] != ui->stream; ui->focus++)
		;
	if (j == NULL)
		return;
	err_clear(&err);
	if (point_resolve(j, NULL, strcmp(text, "now") == 0 ? "head" : text,
	    &lsn, &err) != 0) {
		ui_message(ui, 1, "%s%s%s", err.msg, err.hint[0] != '\0' ?
		    ": " : "", err.hint);
		return;
	}
	pane_stream_goto(ui->stream, ui, lsn);
	ui_message(ui, 0, "%s is %s: the stream shows what came before it",
	    text, lsn_format(lsn, lsnbuf));
}

void
ui_go_to_point(struct ui *ui)
{
	if (app_journal(ui->app) != NULL)
		ui_prompt(ui, "go to point: ", NULL, point_typed);
}

/* s: a new session, made the active one. */
static void
session_named(struct ui *ui, const char *name, const char *arg)
{
	struct journal		*j = app_journal(ui->app);
	struct pgtt_session	*s;
	struct pgtt_err		 err;

	(void)arg;
	if (j == NULL)
		return;
	err_clear(&err);
	if (session_create(j, name, NULL, NULL, &s, &err) != 0)
		ui_message(ui, 1, "%s", err.msg);
	else {
		free(s);
		if (session_switch(j, name, &err) != 0)
			ui_message(ui, 1, "%s", err.msg);
		else
			ui_message(ui, 0, "session \"%s\" created and active",
			    name);
	}
	ui_broadcast(ui, APP_EV_SETUP);
}

void
ui_new_session(struct ui *ui)
{
	if (app_journal(ui->app) != NULL)
		ui_prompt(ui, "session name: ", NULL, session_named);
}

/* A diff the worker finished: open the view, or say why not. */
void
ui_take_diff(struct ui *ui)
{
	struct diff	*d = NULL;
	struct pgtt_err	 err;

	err_clear(&err);
	if (app_diff_result(ui->app, &d, &err) != 0 || d == NULL)
		ui_message(ui, 1, "diff failed: %s", err.msg);
	else {
		if (d->warning[0] != '\0')
			ui_message(ui, 1, "%s", d->warning);
		else
			ui_message(ui, 0, "Enter: rows of a table; Esc: back");
		diffview_open(ui, d);
	}
}

/*
 * The point r and R act on: the selected checkpoint in the checkpoints
 * pane, or the end of the selected change's transaction in the stream
 * ("after this change").  -1, saying what to do, when neither has one.
 */
static int
selected_point(struct ui *ui, char key, pgtt_lsn *lsn, char *label,
    size_t size)
{
	const char	*name;
	char		 buf[LSN_BUFSIZE];

	if (rowview_selected(ui->rowview, lsn) == 0)
		snprintf(label, size, "just before the selected version (%s)",
		    lsn_format(*lsn, buf));
	else if (ui->panes[ui->focus] == ui->checkpoints &&
	    pane_checkpoints_selected(ui->checkpoints, lsn, &name) == 0)
		snprintf(label, size, "checkpoint %s", name);
	else if (ui->panes[ui->focus] == ui->stream &&
	    pane_stream_selected_end(ui->stream, lsn) == 0)
		snprintf(label, size, "after the selected change (%s)",
		    lsn_format(*lsn, buf));
	else {
		ui_message(ui, 1, "select a checkpoint, or a change in the "
		    "stream, then press %c", key);
		return -1;
	}
	return 0;
}

/*
 * r: replay to the selected checkpoint, or to after the selected change.
 * The plan comes from a dry run in the worker (it asks the replica where
 * it stands); the dialog shows it and y starts the real run.
 */
void
ui_start_replay_plan(struct ui *ui)
{
	pgtt_lsn	 lsn;

	if (ui->replay != UI_REPLAY_IDLE) {
		ui_message(ui, 1, "a replay is under way");
		return;
	}
	if (selected_point(ui, 'r', &lsn, ui->replay_label,
	    sizeof ui->replay_label) != 0)
		return;
	if (app_replay(ui->app, lsn, 1) != 0)
		return;
	ui->replay = UI_REPLAY_PLANNING;
	ui->replay_to = lsn;
	ui_message(ui, 0, "asking the replica where it stands...");
}

/* The worker finished a plan or a run. */
void
ui_take_replay(struct ui *ui)
{
	struct replay_result	r;
	struct pgtt_err		err;
	char			a[LSN_BUFSIZE], b[LSN_BUFSIZE];
	int			ret;

	err_clear(&err);
	ret = app_replay_result(ui->app, &r, &err);
	if (ui->replay == UI_REPLAY_PLANNING && ret == 0) {
		ui->replay = UI_REPLAY_CONFIRM;
		snprintf(ui->dialog[0], sizeof ui->dialog[0],
		    "Replay the replica to %s?", ui->replay_label);
		snprintf(ui->dialog[1], sizeof ui->dialog[1], "replica: %s",
		    r.target);
		snprintf(ui->dialog[2], sizeof ui->dialog[2],
		    "%s from %s to %s: %llu changes in %llu transactions",
		    replay_direction_name(r.direction), lsn_format(r.from, a),
		    lsn_format(r.to, b), (unsigned long long)r.changes,
		    (unsigned long long)r.transactions);
		snprintf(ui->dialog[3], sizeof ui->dialog[3], "why: %s",
		    r.reason);
		snprintf(ui->dialog[4], sizeof ui->dialog[4], "%s",
		    r.direction == REPLAY_RESET ? "The reset drops everything "
		    "in the replica database first." : "");
		ui->message[0] = '\0';
	} else if (r.cancelled && r.to == LSN_INVALID) {
		ui->replay = UI_REPLAY_IDLE;
		ui_message(ui, 0, "replay stopped before it changed the "
		    "replica");
	} else if (r.cancelled) {
		/* Esc may have cancelled a statement: stopped, not failed. */
		ui->replay = UI_REPLAY_IDLE;
		ui_message(ui, 0, "replay stopped: the replica stands at %s",
		    lsn_format(r.to, a));
	} else if (ret != 0) {
		ui->replay = UI_REPLAY_IDLE;
		ui_message(ui, 1, "replay failed: %s%s%s", r.first_error !=
		    NULL ? r.first_error : err.msg, err.hint[0] != '\0' ?
		    ": " : "", err.hint);
	} else {
		ui->replay = UI_REPLAY_IDLE;
		ui_message(ui, r.failures > 0, "replayed %s to %s: "
		    "%llu changes in %.1f s%s%s", replay_direction_name(
		    r.direction), ui->replay_label,
		    (unsigned long long)r.changes, r.elapsed_ms / 1000.0,
		    r.mode == REPLAY_MODE_NET ? ", by net effect" : "",
		    r.failures > 0 ? ", some failed" : "");
	}
	replay_result_done(&r);
}

/* Keys while the replay dialog is up or a replay runs; 1 if taken. */
int
ui_replay_key(struct ui *ui, int ch)
{
	if (ui->replay == UI_REPLAY_CONFIRM) {
		if (ch == 'y' || ch == 'Y') {
			if (app_replay(ui->app, ui->replay_to, 0) == 0) {
				ui->replay = UI_REPLAY_RUNNING;
				ui_message(ui, 0, "replaying to %s (Esc stops)",
				    ui->replay_label);
			} else
				ui->replay = UI_REPLAY_IDLE;
		} else {
			ui->replay = UI_REPLAY_IDLE;
			ui_message(ui, 0, "replay not started");
		}
		return 1;
	}
	if (ui->replay == UI_REPLAY_RUNNING && ch == 27) {
		app_replay_cancel(ui->app);
		ui_message(ui, 0, "stopping the replay at the next transaction "
		    "boundary...");
		return 1;
	}
	return 0;
}

/*
 * R: check the point against the window the status pane shows, the
 * backups and the data directory (quick, here); then the dialog says
 * what the restore will do, and y starts it in the worker.
 */
void
ui_start_restore(struct ui *ui)
{
	struct app_restore_plan	 plan;
	struct pgtt_err		 err;
	pgtt_lsn		 lsn;
	char			 at[LSN_BUFSIZE], from[LSN_BUFSIZE];

	if (ui->restore != UI_RESTORE_IDLE) {
		ui_message(ui, 1, "a restore is under way");
		return;
	}
	/* Its plan would open a second dialog over this one. */
	if (ui->replay == UI_REPLAY_PLANNING) {
		ui_message(ui, 1, "wait for the replay's plan first");
		return;
	}
	if (selected_point(ui, 'R', &lsn, ui->restore_label,
	    sizeof ui->restore_label) != 0)
		return;
	err_clear(&err);
	if (app_restore_check(ui->app, lsn, &plan, &err) != 0) {
		ui_message(ui, 1, "%s", err.msg);
		return;
	}
	ui->restore = UI_RESTORE_CONFIRM;
	ui->restore_to = lsn;
	ui->restore_force = plan.replaces;
	snprintf(ui->dialog[0], sizeof ui->dialog[0],
	    "Restore a new cluster to %s?", ui->restore_label);
	snprintf(ui->dialog[1], sizeof ui->dialog[1], "point %s, from base "
	    "backup \"%s\" (restores from %s on) and the WAL archive",
	    lsn_format(lsn, at), plan.base_backup,
	    lsn_format(plan.backup_end, from));
	snprintf(ui->dialog[2], sizeof ui->dialog[2], "data directory %s, "
	    "port %d", plan.data_dir, plan.port);
	snprintf(ui->dialog[3], sizeof ui->dialog[3], "It runs until "
	    "stopped: pgtt --headless restore --stop %s", plan.data_dir);
	snprintf(ui->dialog[4], sizeof ui->dialog[4], "%s", plan.replaces ?
	    "A previous restore there will be stopped and replaced." : "");
	ui->message[0] = '\0';
}

/* The worker finished a restore. */
void
ui_take_restore(struct ui *ui)
{
	struct restore_result	r;
	struct pgtt_err		err;

	err_clear(&err);
	ui->restore = UI_RESTORE_IDLE;
	if (app_restore_result(ui->app, &r, &err) != 0)
		ui_message(ui, 1, "restore failed: %s%s%s", err.msg,
		    err.hint[0] != '\0' ? ": " : "", err.hint);
	else
		ui_message(ui, 0, "restored to %s in %.1f s; connect: psql "
		    "\"%s\"", ui->restore_label, r.elapsed_ms / 1000.0,
		    r.conninfo);
}

/* Keys while the restore dialog is up; 1 if taken. */
int
ui_restore_key(struct ui *ui, int ch)
{
	if (ui->restore != UI_RESTORE_CONFIRM)
		return 0;
	if (ch != 'y' && ch != 'Y') {
		ui->restore = UI_RESTORE_IDLE;
		ui_message(ui, 0, "restore not started");
	} else if (app_restore(ui->app, ui->restore_to,
	    ui->restore_force) == 0) {
		ui->restore = UI_RESTORE_RUNNING;
		ui_message(ui, 0, "restoring to %s...", ui->restore_label);
	} else
		ui->restore = UI_RESTORE_IDLE;
	return 1;
}

/* B: a base backup in the worker; the status pane shows its progress. */
void
ui_start_backup(struct ui *ui)
{
	if (!ui->cfg->pitr.enabled)
		ui_message(ui, 1, "PITR is turned off (pitr.enabled: false), so "
		    "there is nothing to back up for");
	else if (!app_has_journal(ui->app))
		ui_message(ui, 1, "no journal: run setup first");
	else if (app_backup(ui->app) != 0)
		ui_message(ui, 1, "a base backup is under way");
	else
		ui_message(ui, 0, "taking a base backup...");
}

/* V: verify at the selected point in the worker; a message says how. */
void
ui_start_verify(struct ui *ui)
{
	pgtt_lsn	lsn;
	char		label[96];

	if (!ui->cfg->pitr.enabled) {
		ui_message(ui, 1, "verify compares with a restore, and PITR is "
		    "turned off (pitr.enabled: false)");
		return;
	}
	if (selected_point(ui, 'V', &lsn, label, sizeof label) != 0)
		return;
	if (app_verify(ui->app, lsn) != 0)
		ui_message(ui, 1, "a verify, a replay or a restore is under way");
	else
		ui_message(ui, 0, "verifying %s: replay, restore, compare...",
		    label);
}

void
ui_take_backup(struct ui *ui)
{
	struct backup_info	b;
	struct pgtt_err		err;
	char			end[LSN_BUFSIZE];

	err_clear(&err);
	if (app_backup_result(ui->app, &b, &err) != 0)
		ui_message(ui, 1, "base backup failed: %s%s%s", err.msg,
		    err.hint[0] != '\0' ? ": " : "", err.hint);
	else
		ui_message(ui, 0, "base backup \"%s\": %.1f MB in %.1f s; it "
		    "restores to any point from %s on", b.name,
		    (double)b.bytes / 1048576.0,
		    (double)(b.end_time - b.start_time) / 1e6,
		    lsn_format(b.end_lsn, end));
}

/* The confirm dialog over the panes: ui->dialog, then the keys. */
static void
draw_dialog(struct ui *ui, const char *title, const char *keys)
{
	int	n = (int)(sizeof ui->dialog / sizeof ui->dialog[0]);
	int	h = n + 4, w = COLS - 8 < 90 ? COLS - 8 : 90;
	int	y = (LINES - h) / 2, x = (COLS - w) / 2, row, i;

	for (row = y; row < y + h; row++)
		mvhline(row, x, ' ', w);
	ui_box(y, x, h, w, title, 1, ui);
	for (i = 0; i < n; i++)
		ui_text(y + 1 + i, x + 2, w - 4, ui->dialog[i], i == 0 ?
		    A_BOLD : i == n - 1 ? ui_attr(ui, C_ERROR) : A_NORMAL);
	ui_text(y + h - 2, x + 2, w - 4, keys, A_BOLD);
}

/* "label [####......] tail" across row, over the message line. */
static void
draw_progress(struct ui *ui, int row, const char *label, uint64_t done,
    uint64_t total, const char *tail)
{
	char	bar[32], line[256];
	int	width = 30, filled;

	filled = total > 0 ? (int)(done * (uint64_t)width / total) : 0;
	if (filled > width)
		filled = width;
	memset(bar, '#', filled);
	memset(bar + filled, '.', width - filled);
	bar[width] = '\0';
	snprintf(line, sizeof line, "%s [%s] %s", label, bar, tail);
	move(row, 0);
	clrtoeol();
	ui_text(row, 0, COLS - 1, line, ui_attr(ui, C_UPDATE));
}

/*
 * Long work: a dialog waiting for y, and a progress line for each job
 * running, from the message line upwards.
 */
void
ui_draw_work(struct ui *ui)
{
	const struct app_view	*v = &ui->view;
	const struct verb_progress *p;
	char			 label[64], tail[128];
	int			 row = LINES - 1;

	if (ui->replay == UI_REPLAY_CONFIRM)
		draw_dialog(ui, "Replay", "y: replay   any other key: cancel");
	else if (ui->restore == UI_RESTORE_CONFIRM)
		draw_dialog(ui, "Restore", "y: restore   any other key: "
		    "cancel");
	if (ui->replay == UI_REPLAY_RUNNING && v->replay_active) {
		p = &v->progress[VERB_REPLAY];
		snprintf(label, sizeof label, "replay %s",
		    replay_phase_name((enum replay_phase)p->phase));
		snprintf(tail, sizeof tail, "%llu/%llu changes  Esc stops",
		    (unsigned long long)p->done, (unsigned long long)p->total);
		draw_progress(ui, row--, label, p->done, p->total, tail);
	}
	if (ui->restore == UI_RESTORE_RUNNING && v->restore_active) {
		p = &v->progress[VERB_RESTORE];
		verb_progress_words(p, tail, sizeof tail);
		draw_progress(ui, row--, "restore", p->done, p->total, tail);
	}
	if (v->backup_active) {
		p = &v->progress[VERB_BACKUP];
		verb_progress_words(p, tail, sizeof tail);
		draw_progress(ui, row, "base backup", p->done, p->total, tail);
	}
}

/* One key: help and pane focus are the loop's, the rest the pane's. */
