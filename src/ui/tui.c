/*
 * tui.c: the terminal UI's loop.
 *
 * One thread owns ncurses.  It polls the terminal, the app's wake-up fd
 * and a self-pipe its signal handlers write to (SIGWINCH, SIGTERM,
 * SIGINT), then hands input to the focused pane through the key table and
 * app events to every pane, and draws once per iteration, at most every
 * FRAME_MS while the stream is busy.  The terminal is given back on quit,
 * on SIGTERM and on a fatal error (the xmalloc hook).
 */
#include <sys/ioctl.h>

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/backup.h"
#include "core/logfile.h"
#include "core/checkpoint.h"
#include "core/session.h"
#include "core/point.h"
#include "core/replay.h"
#include "core/restore.h"
#include "core/xmalloc.h"
#include "ui.h"

#define MIN_COLS	80
#define MIN_LINES	24
#define FRAME_MS	50
#define SIDE_WIDTH	34

static int			signal_pipe[2] = { -1, -1 };
static volatile sig_atomic_t	got_resize, got_quit;

static void	broadcast(struct ui *, unsigned);
static void	draw_offer(struct ui *);
static int			curses_on;

static void
on_signal(int sig)
{
	int	saved = errno;
	char	c = 1;

	if (sig == SIGWINCH)
		got_resize = 1;
	else
		got_quit = 1;
	(void)write(signal_pipe[1], &c, 1);
	errno = saved;
}

/* The fatal hook: give the terminal back before dying. */
static void
restore_terminal(void)
{
	if (curses_on) {
		endwin();
		curses_on = 0;
	}
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void	draw_work(struct ui *);

/*
 * The key table in a box; in two columns when one does not fit the
 * height, so every key is listed even at 80x24.
 */
static void
draw_help(struct ui *ui)
{
	const struct key_binding	*b;
	char				 names[64];
	int				 n = 0, ncol, per, colw, h, w = 76, y, x;
	int				 row, i = 0;

	for (b = key_table; b->name != NULL; b++)
		n += keys_names(b, names, sizeof names) != NULL;
	ncol = n + 2 <= LINES - 2 ? 1 : 2;
	per = (n + ncol - 1) / ncol;
	colw = (w - 2) / ncol;
	h = per + 2 < LINES - 2 ? per + 2 : LINES - 2;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	for (row = y; row < y + h; row++)
		mvhline(row, x, ' ', w);
	ui_box(y, x, h, w, "Keys (any key closes)", 1, ui);
	for (b = key_table; b->name != NULL; b++) {
		int	cx, name_w = ncol == 1 ? 16 : 9;

		if (keys_names(b, names, sizeof names) == NULL)
			continue;
		row = y + 1 + i % per;
		cx = x + 1 + (i / per) * colw + 1;
		i++;
		if (row >= y + h - 1)
			continue;
		ui_text(row, cx, name_w, names, A_BOLD);
		if (ncol == 1 && strcmp(b->context, "global") != 0)
			ui_text(row, cx + 16, 7, b->context, ui_attr(ui,
			    C_DIM));
		if (ncol == 1)
			ui_text(row, cx + 23, w - 27, b->help, A_NORMAL);
		else
			ui_text(row, cx + name_w, colw - name_w - 1, b->help,
			    A_NORMAL);
	}
}

static void
draw_title(struct ui *ui)
{
	const struct app_view	*v = &ui->view;
	char			 buf[256], db[160];
	int			 used;

	attron(A_REVERSE);
	mvhline(0, 0, ' ', COLS);
	attroff(A_REVERSE);
	ui_db_text(db, sizeof db, &v->source);
	snprintf(buf, sizeof buf, " pgtt  %s  listener %s  %llu changes",
	    v->source.up ? db : "source unreachable",
	    ui_listener_word(v->listener), (unsigned long long)v->changes);
	used = ui_text(0, 0, COLS - 20, buf, A_REVERSE | A_BOLD);
	(void)used;
	ui_text(0, COLS - 18, 18, "  ? help  q quit ", A_REVERSE);
}

static void
draw_message(struct ui *ui)
{
	move(LINES - 1, 0);
	clrtoeol();
	if (ui->message[0] != '\0')
		ui_text(LINES - 1, 0, COLS - 1, ui->message,
		    ui_attr(ui, ui->message_error ? C_ERROR : C_NORMAL));
	else
		ui_text(LINES - 1, 0, COLS - 1, "Tab pane  j/k move  Enter "
		    "detail  / filter  f follow  G end  ? help  q quit",
		    ui_attr(ui, C_DIM));
}

/*
 * Left: sessions, checkpoints, status.  Right: stream over detail.  The
 * side column keeps SIDE_WIDTH; the stream gets the larger share of the
 * height, since it is what people watch.  A pane whose size changed
 * fetches what fills it now, before the frame is drawn.
 */
static void
place(struct ui *ui, size_t i, int y, int x, int h, int w)
{
	struct pane	*p = ui->panes[i];
	int		 changed = p->h != h || p->w != w;

	p->y = y;
	p->x = x;
	p->h = h;
	p->w = w;
	if (changed && p->resize != NULL)
		p->resize(p, ui, h, w);
}

static void
layout(struct ui *ui)
{
	int	top = 1, h = LINES - 2, side = SIDE_WIDTH, right = COLS - side;
	int	ses_h = 4, cp_h, st_h, stream_h;

	if (COLS < MIN_COLS || LINES < MIN_LINES)
		return;
	cp_h = (h - ses_h) / 2 > 6 ? (h - ses_h) / 2 - 1 : 6;
	st_h = h - ses_h - cp_h;
	stream_h = h * 3 / 5;
	place(ui, 0, top, 0, ses_h, side);
	place(ui, 1, top + ses_h, 0, cp_h, side);
	place(ui, 2, top + ses_h + cp_h, 0, st_h, side);
	place(ui, 3, top, side, stream_h, right);
	place(ui, 4, top + stream_h, side, h - stream_h, right);
}

/* What the panes show, brought up to date for the next frame. */
static void
update_panes(struct ui *ui)
{
	size_t	i;

	layout(ui);
	for (i = 0; i < ui->npanes; i++)
		if (ui->panes[i]->update != NULL)
			ui->panes[i]->update(ui->panes[i], ui);
}

static void
draw_all(struct ui *ui, int help)
{
	size_t	i;

	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		char	buf[128];

		snprintf(buf, sizeof buf, "terminal too small: %dx%d, pgtt "
		    "needs %dx%d", COLS, LINES, MIN_COLS, MIN_LINES);
		ui_text(LINES / 2, 0, COLS, buf, A_BOLD);
		refresh();
		return;
	}
	if (ui->offer != UI_OFFER_NONE) {
		draw_offer(ui);
		refresh();
		return;
	}
	draw_title(ui);
	for (i = 0; i < ui->npanes; i++) {
		struct pane	*p = ui->panes[i];

		p->draw(p, ui, p->y, p->x, p->h, p->w, ui->focus == i);
	}
	if (ui->diffview != NULL)
		diffview_draw(ui);
	draw_message(ui);
	draw_work(ui);
	if (help)
		draw_help(ui);
	ui_prompt_draw(ui);
	refresh();
}

/*
 * The first start on a source setup has not prepared: what setup would
 * create, asked of a dry run; y runs it.  A mode of the loop, so the
 * screen is drawn again on a resize and a signal ends it at any step.
 */
static void
draw_offer(struct ui *ui)
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
static void
offer_setup_done(struct ui *ui)
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
			got_quit = 1;
		}
		return;
	}
	if (ui->offer == UI_OFFER_ASKING) {
		ui->offer = UI_OFFER_SHOWING;
		return;
	}
	ui->offer = UI_OFFER_NONE;
	ui_message(ui, 0, "setup done: capturing");
	broadcast(ui, APP_EV_STATUS | APP_EV_JOURNAL);
}

/* A key while the offer is up; returns R_*. */
static int
offer_key(struct ui *ui, int ch)
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

static void
broadcast(struct ui *ui, unsigned ev)
{
	size_t	i;

	for (i = 0; i < ui->npanes; i++)
		if (ui->panes[i]->event != NULL)
			ui->panes[i]->event(ui->panes[i], ui, ev);
}

/*
 * c: a checkpoint after the selected change, or at the newest journaled
 * one.  Both are local: the UI thread never waits on the source.
 */
static void
checkpoint_named(struct ui *ui, const char *name, const char *at)
{
	struct journal			*j = app_journal(ui->app);
	struct pgtt_checkpoint		*cp;
	struct checkpoint_report	 rep;
	struct pgtt_err			 err;
	char				 lsnbuf[LSN_BUFSIZE];

	if (j == NULL)
		return;
	err_clear(&err);
	if (checkpoint_create(j, ui->cfg, name, at, NULL,
	    journal_active_session(j), &cp, &rep, &err) != 0)
		ui_message(ui, 1, "%s", err.msg);
	else {
		ui_message(ui, 0, "checkpoint \"%s\" at %s", cp->name,
		    lsn_format(cp->lsn, lsnbuf));
		free(cp);
	}
	broadcast(ui, APP_EV_SETUP);
}

/* The point is taken when c is pressed, not when the name is done. */
static void
new_checkpoint(struct ui *ui)
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

static void
go_to_point(struct ui *ui)
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
	broadcast(ui, APP_EV_SETUP);
}

static void
new_session(struct ui *ui)
{
	if (app_journal(ui->app) != NULL)
		ui_prompt(ui, "session name: ", NULL, session_named);
}

/* A diff the worker finished: open the view, or say why not. */
static void
take_diff(struct ui *ui)
{
	struct diff	*d = NULL;
	struct pgtt_err	 err;

	err_clear(&err);
	if (app_diff_result(ui->app, &d, &err) != 0 || d == NULL)
		ui_message(ui, 1, "diff failed: %s", err.msg);
	else {
		diffview_open(ui, d);
		ui_message(ui, 0, "Enter: rows of a table; Esc: back");
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

	if (ui->panes[ui->focus] == ui->checkpoints &&
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
static void
start_replay_plan(struct ui *ui)
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
static void
take_replay(struct ui *ui)
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
		    "%llu changes in %.1f s%s", replay_direction_name(
		    r.direction), ui->replay_label,
		    (unsigned long long)r.changes, r.elapsed_ms / 1000.0,
		    r.failures > 0 ? ", some failed" : "");
	}
	replay_result_done(&r);
}

/* Keys while the replay dialog is up or a replay runs; 1 if taken. */
static int
replay_key(struct ui *ui, int ch)
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
static void
start_restore(struct ui *ui)
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
static void
take_restore(struct ui *ui)
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
static int
restore_key(struct ui *ui, int ch)
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
static void
start_backup(struct ui *ui)
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
static void
start_verify(struct ui *ui)
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

static void
take_backup(struct ui *ui)
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
static void
draw_work(struct ui *ui)
{
	const struct app_view	*v = &ui->view;
	char			 label[64], tail[128];
	int			 row = LINES - 1;

	if (ui->replay == UI_REPLAY_CONFIRM)
		draw_dialog(ui, "Replay", "y: replay   any other key: cancel");
	else if (ui->restore == UI_RESTORE_CONFIRM)
		draw_dialog(ui, "Restore", "y: restore   any other key: "
		    "cancel");
	if (ui->replay == UI_REPLAY_RUNNING && v->replay_active) {
		snprintf(label, sizeof label, "replay %s",
		    replay_phase_name(v->replay_phase));
		snprintf(tail, sizeof tail, "%llu/%llu changes  Esc stops",
		    (unsigned long long)v->replay_done,
		    (unsigned long long)v->replay_total);
		draw_progress(ui, row--, label, v->replay_done,
		    v->replay_total, tail);
	}
	if (ui->restore == UI_RESTORE_RUNNING && v->restore_active) {
		snprintf(tail, sizeof tail, "%d%% %s", v->restore_percent,
		    v->restore_step);
		draw_progress(ui, row--, "restore", (uint64_t)
		    v->restore_percent, 100, tail);
	}
	if (v->backup_active) {
		snprintf(tail, sizeof tail, "%d%% (%llu MB)",
		    v->backup_percent,
		    (unsigned long long)(v->backup_kb / 1024));
		draw_progress(ui, row, "base backup", (uint64_t)
		    v->backup_percent, 100, tail);
	}
}

/* One key: help and pane focus are the loop's, the rest the pane's. */
static int
handle_key(struct ui *ui, int ch, int *help)
{
	struct pane	*p = ui->panes[ui->focus];
	enum action	 a = keys_lookup(p->name, ch);
	int		 r = R_NONE;
	pgtt_lsn	 from, to;

	if (ui->offer != UI_OFFER_NONE)
		return offer_key(ui, ch);
	if (ui->prompt.active)
		return ui_prompt_key(ui, ch);
	if (*help) {
		*help = 0;
		return R_REDRAW;
	}
	if (replay_key(ui, ch) || restore_key(ui, ch))
		return R_REDRAW;
	if (ui->diffview != NULL) {
		if (keys_lookup("diff", ch) == ACT_HELP)
			*help = 1;
		else
			diffview_action(ui, keys_lookup("diff", ch));
		return R_REDRAW;
	}
	switch (a) {
	case ACT_QUIT:
		return R_QUIT;
	case ACT_HELP:
		*help = 1;
		return R_REDRAW;
	case ACT_NEXT_PANE:
		ui->focus = (ui->focus + 1) % ui->npanes;
		return R_REDRAW;
	case ACT_PREV_PANE:
		ui->focus = (ui->focus + ui->npanes - 1) % ui->npanes;
		return R_REDRAW;
	case ACT_REDRAW:
		clearok(curscr, TRUE);
		return R_REDRAW;
	case ACT_CANCEL:
		ui->message[0] = '\0';
		return R_REDRAW;
	case ACT_FILTER:
	case ACT_FOLLOW:
		/* The stream's keys work from any pane. */
		p = ui->stream;
		break;
	case ACT_CHECKPOINT:
		new_checkpoint(ui);
		return R_REDRAW;
	case ACT_SESSION:
		new_session(ui);
		return R_REDRAW;
	case ACT_DIFF:
		if (pane_checkpoints_marked(ui->checkpoints, &from, &to) != 0)
			ui_message(ui, 1, "mark two checkpoints with Space in "
			    "the checkpoints pane first");
		else {
			app_diff(ui->app, from, to);
			ui_message(ui, 0, "computing the diff...");
		}
		return R_REDRAW;
	case ACT_REPLAY:
		start_replay_plan(ui);
		return R_REDRAW;
	case ACT_RESTORE:
		start_restore(ui);
		return R_REDRAW;
	case ACT_BACKUP:
		start_backup(ui);
		return R_REDRAW;
	case ACT_VERIFY:
		start_verify(ui);
		return R_REDRAW;
	case ACT_GOTO:
		go_to_point(ui);
		return R_REDRAW;
	default:
		break;
	}
	ui->message[0] = '\0';
	r = p->action(p, ui, a);
	if (r & R_FOCUS_STREAM) {
		for (ui->focus = 0; ui->panes[ui->focus] != ui->stream;
		    ui->focus++)
			;
	}
	if (r & R_LISTS)
		broadcast(ui, APP_EV_SETUP);
	if (r & R_FOCUS_DETAIL) {
		for (ui->focus = 0; ui->panes[ui->focus] != ui->detail;
		    ui->focus++)
			;
	}
	return r | R_REDRAW;
}

static void
resize(void)
{
	struct winsize	ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	clearok(curscr, TRUE);
}

static void
loop(struct ui *ui)
{
	struct pollfd	 pfd[3];
	int64_t		 last_draw = 0, now;
	int		 dirty = 1, help = 0, ch, r, timeout;
	unsigned	 ev;

	for (;;) {
		now = now_ms();
		if (dirty && now - last_draw >= FRAME_MS) {
			update_panes(ui);
			draw_all(ui, help);
			last_draw = now;
			dirty = 0;
		}
		timeout = dirty ? (int)(FRAME_MS - (now - last_draw)) : 1000;
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = app_wake_fd(ui->app);
		pfd[1].events = POLLIN;
		pfd[2].fd = signal_pipe[0];
		pfd[2].events = POLLIN;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		if (poll(pfd, 3, timeout < 0 ? 0 : timeout) == -1 &&
		    errno != EINTR)
			break;
		/*
		 * The terminal is gone (its window closed, tmux killed):
		 * poll would report that forever, so leave, as on SIGHUP.
		 */
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			log_msg(LOG_LEVEL_INFO, "the terminal went away");
			break;
		}
		if (pfd[2].revents & POLLIN) {
			char	buf[16];

			while (read(signal_pipe[0], buf, sizeof buf) > 0)
				;
		}
		if (got_quit) {
			/* Stopped before setup was done: not a success. */
			if (ui->offer == UI_OFFER_ASKING ||
			    ui->offer == UI_OFFER_RUNNING)
				ui->exit_status = 1;
			break;
		}
		if (got_resize) {
			got_resize = 0;
			resize();
			dirty = 1;
		}
		if (pfd[1].revents & POLLIN) {
			struct app_message	msg;

			ev = app_take_events(ui->app, &ui->view, &msg);
			if (ev & APP_EV_MESSAGE)
				ui_message(ui, msg.error, "%s", msg.text);
			if ((ev & APP_EV_SETUP) && ui->offer != UI_OFFER_NONE)
				offer_setup_done(ui);
			if (ev & APP_EV_DIFF)
				take_diff(ui);
			if (ev & APP_EV_REPLAY) {
				take_replay(ui);
				ev |= APP_EV_SETUP;	/* replayed_to moved */
			}
			if (ev & APP_EV_RESTORE)
				take_restore(ui);
			if (ev & APP_EV_BACKUP)
				take_backup(ui);
			broadcast(ui, ev);
			dirty = 1;
		}
		while ((ch = getch()) != ERR) {
			if (ch == KEY_RESIZE) {
				dirty = 1;
				continue;
			}
			r = handle_key(ui, ch, &help);
			if (r & R_QUIT)
				return;
			if (r & R_REDRAW)
				dirty = 1;
		}
	}
}

int
tui_run(const struct config *cfg)
{
	struct ui		 ui;
	struct sigaction	 sa;
	struct pgtt_err		 err;
	size_t			 i;
	int			 ret, status = 0;

	memset(&ui, 0, sizeof ui);
	ui.cfg = cfg;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "pgtt: the terminal UI needs a terminal; use "
		    "pgtt --headless COMMAND in scripts\n");
		return 2;
	}
	if (pipe(signal_pipe) == -1) {
		fprintf(stderr, "pgtt: could not create a pipe: %s\n",
		    strerror(errno));
		return 1;
	}
	fcntl(signal_pipe[0], F_SETFL, O_NONBLOCK);
	fcntl(signal_pipe[1], F_SETFL, O_NONBLOCK);

	err_clear(&err);
	ret = app_open(&ui.app, cfg, &err);
	if (ret != 0 && ret != PGTT_ENOTFOUND) {
		fprintf(stderr, "pgtt: %s\n", err.msg);
		if (err.detail[0] != '\0')
			fprintf(stderr, "DETAIL: %s\n", err.detail);
		return err_exit_status(&err);
	}

	setlocale(LC_ALL, "");
	if (getenv("ESCDELAY") == NULL)
		set_escdelay(25);
	xmalloc_set_fatal_hook(restore_terminal);
	initscr();
	curses_on = 1;
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	ui_colors_init(&ui);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	ui.panes[0] = pane_sessions_new();
	ui.panes[1] = ui.checkpoints = pane_checkpoints_new();
	ui.panes[2] = pane_status_new();
	ui.panes[3] = ui.stream = pane_stream_new();
	ui.panes[4] = ui.detail = pane_detail_new();
	ui.npanes = 5;
	ui.focus = 3;

	if (ret == PGTT_ENOTFOUND) {
		ui.offer = UI_OFFER_ASKING;
		app_setup(ui.app, 1);
	} else
		broadcast(&ui, APP_EV_STATUS | APP_EV_JOURNAL);
	loop(&ui);
	status = ui.exit_status;
	free(ui.offer_report);

	diffview_close(&ui);
	for (i = 0; i < ui.npanes; i++)
		ui.panes[i]->free(ui.panes[i]);
	restore_terminal();
	app_close(ui.app);
	close(signal_pipe[0]);
	close(signal_pipe[1]);
	if (ui.message_error && status != 0)
		fprintf(stderr, "pgtt: %s\n", ui.message);
	log_msg(LOG_LEVEL_INFO, "terminal UI closed");
	return status;
}
