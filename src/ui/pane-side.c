/*
 * pane-side.c: the three narrow panes on the left: sessions, checkpoints
 * and the status of the databases.  The lists are read again from the
 * journal when the app says something changed (a short read each time,
 * never a scan of the history); the status pane draws the snapshot the
 * status thread keeps.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/journal.h"
#include "core/checkpoint.h"
#include "core/session.h"
#include "core/xmalloc.h"
#include "ui.h"

struct list {
	char	**items;
	char	**keys;		/* sessions: the names, for Enter */
	pgtt_lsn *lsns;		/* checkpoints: where they point, for Enter */
	pgtt_lsn  marked[2];	/* checkpoints marked with space, for d */
	size_t	  nmarked;
	int	 *colors;
	size_t	  n;
	size_t	  sel;
	size_t	  scroll;
	int	  height;
	int	  is_checkpoints;
};

static void
list_clear(struct list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++) {
		free(l->items[i]);
		if (l->keys != NULL)
			free(l->keys[i]);
	}
	free(l->items);
	free(l->keys);
	free(l->lsns);
	l->lsns = NULL;
	free(l->colors);
	l->keys = NULL;
	l->items = NULL;
	l->colors = NULL;
	l->n = 0;
}

static void
list_add(struct list *l, int color, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
list_add(struct list *l, int color, const char *fmt, ...)
{
	va_list	ap;
	char	buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	l->items = xreallocarray(l->items, l->n + 1, sizeof *l->items);
	l->colors = xreallocarray(l->colors, l->n + 1, sizeof *l->colors);
	l->items[l->n] = xstrdup(buf);
	l->colors[l->n] = color;
	l->n++;
}

static int
is_marked(const struct list *l, pgtt_lsn lsn)
{
	size_t	i;

	for (i = 0; i < l->nmarked; i++)
		if (l->marked[i] == lsn)
			return 1;
	return 0;
}

/* The active session's checkpoints, fixed ones marked apart. */
static void
load_checkpoints(struct list *l, struct ui *ui)
{
	struct journal		 *j = app_journal(ui->app);
	struct pgtt_checkpoint	**cps;
	struct pgtt_err		  err;
	char			  lsnbuf[LSN_BUFSIZE];
	size_t			  n, i;

	list_clear(l);
	if (j == NULL)
		return;
	err_clear(&err);
	if (checkpoint_list(j, journal_active_session(j), 0, &cps, &n, &err) != 0) {
		ui_message(ui, 1, "%s", err.msg);
		return;
	}
	for (i = 0; i < n; i++) {
		list_add(l, cps[i]->fixed ? C_TITLE : C_NORMAL, "%s%s %-12s %s",
		    is_marked(l, cps[i]->lsn) ? "+" : " ",
		    cps[i]->fixed ? "#" : " ", cps[i]->name,
		    cps[i]->lsn != LSN_INVALID ? lsn_format(cps[i]->lsn,
		    lsnbuf) : "-");
		l->lsns = xreallocarray(l->lsns, l->n, sizeof *l->lsns);
		l->lsns[l->n - 1] = cps[i]->lsn;
		l->keys = xreallocarray(l->keys, l->n, sizeof *l->keys);
		l->keys[l->n - 1] = xstrdup(cps[i]->name);
	}
	record_free_list((void **)cps, n);
}

/* The sessions, the active one marked; keys hold their names. */
static void
load_sessions(struct list *l, struct ui *ui)
{
	struct journal		 *j = app_journal(ui->app);
	struct pgtt_session	**ss;
	struct pgtt_err		  err;
	uint32_t		  active;
	size_t			  n, i;

	list_clear(l);
	if (j == NULL)
		return;
	err_clear(&err);
	if (journal_sessions(j, &ss, &n, &err) != 0) {
		ui_message(ui, 1, "%s", err.msg);
		return;
	}
	active = journal_active_session(j);
	for (i = 0; i < n; i++) {
		list_add(l, ss[i]->id == active ? C_TITLE : C_NORMAL,
		    "%s %s", ss[i]->id == active ? "*" : " ", ss[i]->name);
		l->keys = xreallocarray(l->keys, l->n, sizeof *l->keys);
		l->keys[l->n - 1] = xstrdup(ss[i]->name);
	}
	record_free_list((void **)ss, n);
}

static void
list_resize(struct pane *p, struct ui *ui, int h, int w)
{
	struct list	*l = p->data;

	(void)ui;
	(void)w;
	l->height = h - 2;
}

static void
list_draw(struct pane *p, struct ui *ui, int y, int x, int h, int w,
    int focused)
{
	struct list	*l = p->data;
	size_t		 i;
	attr_t		 attr;

	ui_box(y, x, h, w, p->title, focused, ui);
	if (l->n == 0) {
		ui_text(y + 1, x + 2, w - 4, l->is_checkpoints ? "none" :
		    "no sessions", A_DIM);
		return;
	}
	if (l->sel < l->scroll)
		l->scroll = l->sel;
	if (l->height > 0 && l->sel >= l->scroll + (size_t)l->height)
		l->scroll = l->sel - (size_t)l->height + 1;
	for (i = 0; i < (size_t)l->height && l->scroll + i < l->n; i++) {
		size_t	k = l->scroll + i;

		attr = ui_attr(ui, l->colors[k]);
		if (k == l->sel && focused)
			attr |= A_REVERSE;
		ui_text(y + 1 + (int)i, x + 1, w - 2, l->items[k], attr);
	}
}

static int
list_action(struct pane *p, struct ui *ui, enum action a)
{
	struct list	*l = p->data;
	struct pgtt_err	 err;

	switch (a) {
	case ACT_UP:
		if (l->sel > 0)
			l->sel--;
		return R_REDRAW;
	case ACT_DOWN:
		if (l->sel + 1 < l->n)
			l->sel++;
		return R_REDRAW;
	case ACT_TOP:
	case ACT_PAGE_UP:
		l->sel = 0;
		return R_REDRAW;
	case ACT_BOTTOM:
	case ACT_PAGE_DOWN:
		l->sel = l->n > 0 ? l->n - 1 : 0;
		return R_REDRAW;
	case ACT_MARK:
		if (l->lsns == NULL || l->n == 0)
			return R_NONE;
		if (is_marked(l, l->lsns[l->sel])) {
			if (l->nmarked == 2 && l->marked[0] == l->lsns[l->sel])
				l->marked[0] = l->marked[1];
			l->nmarked--;
		} else {
			/* A third mark replaces the oldest. */
			if (l->nmarked == 2)
				l->marked[0] = l->marked[1];
			l->marked[l->nmarked < 2 ? l->nmarked++ : 1] =
			    l->lsns[l->sel];
		}
		load_checkpoints(l, ui);
		return R_REDRAW;
	case ACT_ENTER:
		if (l->lsns != NULL && l->n > 0) {
			pane_stream_goto(ui->stream, ui, l->lsns[l->sel]);
			return R_REDRAW | R_FOCUS_STREAM;
		}
		if (l->keys == NULL || l->n == 0)
			return R_NONE;
		err_clear(&err);
		if (session_switch(app_journal(ui->app), l->keys[l->sel],
		    &err) != 0)
			ui_message(ui, 1, "%s", err.msg);
		else
			ui_message(ui, 0, "active session: %s",
			    l->keys[l->sel]);
		return R_REDRAW | R_LISTS;
	default:
		return R_NONE;
	}
}

static void
list_event(struct pane *p, struct ui *ui, unsigned ev)
{
	struct list	*l = p->data;

	if (!(ev & (APP_EV_STATUS | APP_EV_SETUP | APP_EV_JOURNAL)))
		return;
	if (l->is_checkpoints)
		load_checkpoints(l, ui);
	else
		load_sessions(l, ui);
	if (l->sel >= l->n)
		l->sel = l->n > 0 ? l->n - 1 : 0;
}

static void
list_free(struct pane *p)
{
	list_clear(p->data);
	free(p->data);
	free(p);
}

static struct pane *
list_new(const char *name, const char *title, int is_checkpoints)
{
	struct pane	*p = xcalloc(1, sizeof *p);
	struct list	*l = xcalloc(1, sizeof *l);

	l->is_checkpoints = is_checkpoints;
	p->name = name;
	p->title = title;
	p->data = l;
	p->draw = list_draw;
	p->action = list_action;
	p->event = list_event;
	p->resize = list_resize;
	p->free = list_free;
	return p;
}

int
pane_checkpoints_marked(struct pane *p, pgtt_lsn *a, pgtt_lsn *b)
{
	struct list	*l = p->data;

	if (l->nmarked != 2)
		return -1;
	*a = l->marked[0] < l->marked[1] ? l->marked[0] : l->marked[1];
	*b = l->marked[0] < l->marked[1] ? l->marked[1] : l->marked[0];
	return 0;
}

int
pane_checkpoints_selected(struct pane *p, pgtt_lsn *lsn, const char **name)
{
	struct list	*l = p->data;

	if (l->n == 0 || l->lsns[l->sel] == LSN_INVALID)
		return -1;
	*lsn = l->lsns[l->sel];
	*name = l->keys[l->sel];
	return 0;
}

struct pane *
pane_checkpoints_new(void)
{
	return list_new("checkpoints", "Checkpoints", 1);
}

struct pane *
pane_sessions_new(void)
{
	return list_new("sessions", "Sessions", 0);
}

/* A status line: "label value", the value in colour when it matters. */
static int
status_line(struct ui *ui, int y, int x, int w, const char *label,
    const char *value, int color)
{
	int	used;

	used = ui_text(y, x, w, label, A_BOLD);
	ui_text(y, x + used, w - used, value, ui_attr(ui, color));
	return y + 1;
}

/* "PostgreSQL 15.18, app as bob" when up, else why not. */
static int
db_line(struct ui *ui, int y, int x, int w, const struct app_db *db)
{
	char	buf[256];

	ui_db_text(buf, sizeof buf, db);
	return status_line(ui, y, x, w, " ", buf, db->up ? C_NORMAL : C_ERROR);
}

/*
 * Below the window: a base backup or a restore under way, else where
 * the last restore runs and, if there is room, how to reach it.
 */
static void
status_pitr_work(struct ui *ui, int row, int end, int x, int w)
{
	const struct app_view	*v = &ui->view;
	char			 buf[128], lsnbuf[LSN_BUFSIZE];

	if (row < end && v->backup_active) {
		verb_progress_words(&v->progress[VERB_BACKUP], buf, sizeof buf);
		row = status_line(ui, row, x, w, " backup ", buf, C_UPDATE);
	}
	if (row < end && v->verify_active) {
		verb_progress_words(&v->progress[VERB_VERIFY], buf, sizeof buf);
		row = status_line(ui, row, x, w, " verifying ", buf, C_UPDATE);
	}
	if (row < end && v->restore_active) {
		verb_progress_words(&v->progress[VERB_RESTORE], buf, sizeof buf);
		row = status_line(ui, row, x, w, " restoring ", buf, C_UPDATE);
	} else if (row < end && v->restored_lsn != LSN_INVALID) {
		snprintf(buf, sizeof buf, "%s on :%d",
		    lsn_format(v->restored_lsn, lsnbuf), v->restored_port);
		row = status_line(ui, row, x, w, " restored ", buf, C_INSERT);
		if (row < end)
			status_line(ui, row, x, w, " ", v->restored_conninfo,
			    C_DIM);
	}
}

static void
status_draw(struct pane *p, struct ui *ui, int y, int x, int h, int w,
    int focused)
{
	const struct app_view	*v = &ui->view;
	char			 buf[256], lsnbuf[LSN_BUFSIZE];
	size_t			 i;
	int			 row = y + 1, end = y + h - 1;

	(void)p;
	ui_box(y, x, h, w, "Status", focused, ui);
	x += 1;
	w -= 2;
	if (!v->status_known) {
		ui_text(row, x, w, "asking the databases...", A_DIM);
		return;
	}
	if (row < end)
		row = status_line(ui, row, x, w, "source  ", v->source.up ?
		    "up" : "DOWN", v->source.up ? C_INSERT : C_ERROR);
	if (row < end)
		row = db_line(ui, row, x, w, &v->source);
	if (row < end)
		row = status_line(ui, row, x, w, "replica ",
		    !v->replica_configured ? "not configured" : v->replica.up ?
		    "up" : "DOWN", !v->replica_configured ? C_DIM :
		    v->replica.up ? C_INSERT : C_ERROR);
	if (row < end && v->replica_configured && !v->replica.up)
		row = status_line(ui, row, x, w, " ", v->replica.error,
		    C_ERROR);
	if (row < end && v->replay_active) {
		verb_progress_words(&v->progress[VERB_REPLAY], buf, sizeof buf);
		row = status_line(ui, row, x, w, " replay ", buf, C_UPDATE);
	} else if (row < end && v->replay_end != APP_REPLAY_NONE) {
		snprintf(buf, sizeof buf, "%s %s",
		    v->replay_end == APP_REPLAY_STOPPED ? "stopped at" :
		    v->replay_end == APP_REPLAY_FAILED ? "failed, at" : "at",
		    lsn_format(v->replay_at, lsnbuf));
		row = status_line(ui, row, x, w, " replay ", buf,
		    v->replay_end == APP_REPLAY_FAILED ? C_ERROR : C_NORMAL);
	}
	if (row < end && v->source.up) {
		if (v->slot_exists)
			snprintf(buf, sizeof buf, "%s, lag %lld B%s%s",
			    v->slot_active ? "active" : "inactive",
			    (long long)v->lag_bytes, v->wal_status[0] != '\0' ?
			    ", " : "", v->wal_status);
		else
			snprintf(buf, sizeof buf, "missing");
		row = status_line(ui, row, x, w, "slot    ", buf,
		    v->slot_exists && !v->slot_lost ? C_NORMAL : C_ERROR);
	}
	if (row < end)
		row = status_line(ui, row, x, w, "listener ",
		    ui_listener_word(v->listener), v->listener ==
		    APP_LISTENER_FAILED || v->listener ==
		    APP_LISTENER_RECONNECTING ? C_ERROR : C_INSERT);
	if (row < end && v->listener_error[0] != '\0')
		row = status_line(ui, row, x, w, " ", v->listener_error,
		    C_ERROR);
	if (row < end) {
		snprintf(buf, sizeof buf, "%llu txns, %llu changes",
		    (unsigned long long)v->transactions,
		    (unsigned long long)v->changes);
		row = status_line(ui, row, x, w, "journal ", buf, C_NORMAL);
	}
	if (row < end) {
		snprintf(buf, sizeof buf, "%.1f MB, at %s",
		    (double)v->journal_bytes / 1048576.0,
		    lsn_format(v->flushed, lsnbuf));
		row = status_line(ui, row, x, w, " ", buf, C_DIM);
	}
	for (i = 0; i < v->nwarnings && row < end; i++)
		row = status_line(ui, row, x, w, " ", v->warnings[i], C_ERROR);
	if (row < end && v->source.up) {
		snprintf(buf, sizeof buf, "%d tables, DDL %s",
		    v->publication_tables, v->ddl_capture ? "on" : "off");
		row = status_line(ui, row, x, w, "capture ", buf, C_NORMAL);
	}
	if (row < end && v->source.up && v->capture_gaps[0] != '\0')
		row = status_line(ui, row, x, w, " ", v->capture_gaps,
		    C_ERROR);
	if (row < end) {
		snprintf(buf, sizeof buf, "%s%s", !v->archive_enabled ? "off" :
		    archiver_state_name(v->archive), v->archive_restarts > 0 ?
		    ", restarted" : "");
		row = status_line(ui, row, x, w, "archive ", buf,
		    !v->archive_enabled ? C_DIM : v->archive ==
		    ARCHIVER_RESTARTING ? C_ERROR : v->archive ==
		    ARCHIVER_STREAMING ? C_INSERT : C_DIM);
	}
	if (row < end && v->archive_enabled &&
	    v->archive == ARCHIVER_RESTARTING)
		row = status_line(ui, row, x, w, " ", v->archive_error,
		    C_ERROR);
	if (row < end && v->archive_enabled) {
		char	to[LSN_BUFSIZE];

		if (v->window_to != LSN_INVALID)
			snprintf(buf, sizeof buf, "%s .. %s",
			    lsn_format(v->window_from, lsnbuf),
			    lsn_format(v->window_to, to));
		else
			snprintf(buf, sizeof buf, "empty: %s", v->window_note);
		row = status_line(ui, row, x, w, "restore ", buf,
		    v->window_to != LSN_INVALID ? C_NORMAL : C_DIM);
	}
	status_pitr_work(ui, row, end, x, w);
}

static void
status_free(struct pane *p)
{
	free(p);
}

static int
status_action(struct pane *p, struct ui *ui, enum action a)
{
	(void)p;
	(void)ui;
	(void)a;
	return R_NONE;
}

struct pane *
pane_status_new(void)
{
	struct pane	*p = xcalloc(1, sizeof *p);

	p->name = "status";
	p->title = "Status";
	p->draw = status_draw;
	p->action = status_action;
	p->free = status_free;
	return p;
}
