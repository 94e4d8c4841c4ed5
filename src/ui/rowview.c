/*
 * rowview.c: one row's history over the panes (h on a change in the
 * stream): its versions, oldest first, one line each with what changed;
 * Enter shows the selected version's columns, the changed ones
 * highlighted.  r and R work on the selected version as on a change in
 * the stream, to just before it.  A worker reads the history (core's
 * rowhist_collect_change, with the baseline read by pg_restore); the view
 * builds its lines from that list when it arrives.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/history.h"
#include "core/pgtime.h"
#include "core/rowhist.h"
#include "core/xmalloc.h"
#include "ui.h"

#define VALUE_MAX	60

struct version {
	pgtt_lsn	  lsn;		/* its commit LSN: replay stops before */
	char		 *line;		/* time, LSN, op and what changed */
	int		  present;	/* a row after it (not a delete) */
	size_t		  ncols;
	char		**cols;		/* "name  value", one per column */
	uint8_t		 *changed;
};

struct rowview {
	char		 title[256];
	struct version	*v;
	size_t		 n;
	size_t		 sel;
	int		 expanded;
};

/* What the previous version of the row held, to see what changed. */
struct build {
	struct rowview	*rv;
	struct buf	 b;
	size_t		 prev_n;
	char		**prev_names;
	char		**prev_vals;	/* NULL: SQL NULL or unknown */
};

static char *
value_text(struct buf *b, const struct pgtt_col *c)
{
	buf_reset(b);
	if (c->kind == COL_TOAST)
		buf_append(b, "?", 1);
	else
		history_format_value(b, c, VALUE_MAX);
	buf_append(b, "", 1);
	return xstrdup((const char *)b->data);
}

static const char *
prev_value(const struct build *bd, const char *name, int *found)
{
	size_t	i;

	for (i = 0; i < bd->prev_n; i++)
		if (strcmp(bd->prev_names[i], name) == 0) {
			*found = 1;
			return bd->prev_vals[i];
		}
	*found = 0;
	return NULL;
}

static void
prev_free(struct build *bd)
{
	size_t	i;

	for (i = 0; i < bd->prev_n; i++) {
		free(bd->prev_names[i]);
		free(bd->prev_vals[i]);
	}
	free(bd->prev_names);
	free(bd->prev_vals);
	bd->prev_names = bd->prev_vals = NULL;
	bd->prev_n = 0;
}

static void
add_version(struct build *bd, const struct rowhist_version *it)
{
	struct rowview	*rv = bd->rv;
	struct version	*v;
	struct buf	 line;
	char		 when[PGTIME_BUFSIZE], lsn[LSN_BUFSIZE], head[128];
	char		**vals;
	size_t		 i;
	int		 found;

	rv->v = xreallocarray(rv->v, rv->n + 1, sizeof *rv->v);
	v = &rv->v[rv->n++];
	memset(v, 0, sizeof *v);
	v->lsn = it->lsn;
	v->present = it->present;
	if (it->baseline)
		snprintf(when, sizeof when, "%-19s", "(capture began)");
	else {
		pgtime_format(it->commit_time, when);
		when[10] = ' ';
		when[19] = '\0';
	}
	snprintf(head, sizeof head, "%s  %-12s %-8s", when,
	    lsn_format(v->lsn, lsn), it->baseline ? "baseline" :
	    change_kind_name(it->kind));
	vals = xcalloc(it->ncols + 1, sizeof *vals);
	v->ncols = it->ncols;
	v->cols = xcalloc(v->ncols + 1, sizeof *v->cols);
	v->changed = xcalloc(v->ncols + 1, 1);
	/* The line: what changed, old -> new, as the diff view says it. */
	buf_init(&line);
	buf_append(&line, head, strlen(head));
	for (i = 0; i < it->ncols; i++) {
		const char	*name = it->names[i];
		const char	*old;
		char		*cell;

		vals[i] = value_text(&bd->b, &it->cols[i]);
		old = prev_value(bd, name, &found);
		v->changed[i] = !found || old == NULL ||
		    strcmp(old, vals[i]) != 0;
		xasprintf(&cell, "%-20s %s", name, vals[i]);
		v->cols[i] = cell;
		if (!v->changed[i] || bd->prev_n == 0)
			continue;
		buf_append(&line, " ", 1);
		buf_append(&line, name, strlen(name));
		buf_append(&line, ": ", 2);
		buf_append(&line, found && old != NULL ? old : "-",
		    strlen(found && old != NULL ? old : "-"));
		buf_append(&line, " -> ", 4);
		buf_append(&line, vals[i], strlen(vals[i]));
	}
	if (!it->present)
		buf_append(&line, " (the row is gone)", 18);
	else if (it->baseline)
		buf_append(&line, " (the row when capture began)", 29);
	else if (bd->prev_n == 0)
		buf_append(&line, " (the row as it came)", 21);
	buf_append(&line, "", 1);
	v->line = xstrdup((const char *)line.data);
	buf_done(&line);
	prev_free(bd);
	if (it->present) {
		bd->prev_n = it->ncols;
		bd->prev_names = xcalloc(bd->prev_n + 1, sizeof *bd->prev_names);
		bd->prev_vals = vals;
		for (i = 0; i < bd->prev_n; i++)
			bd->prev_names[i] = xstrdup(it->names[i]);
	} else
		free(vals);
}

static void
rowview_free(struct rowview *rv)
{
	size_t	i, k;

	for (i = 0; i < rv->n; i++) {
		free(rv->v[i].line);
		for (k = 0; k < rv->v[i].ncols; k++)
			free(rv->v[i].cols[k]);
		free(rv->v[i].cols);
		free(rv->v[i].changed);
	}
	free(rv->v);
	free(rv);
}

void
rowview_request(struct ui *ui, pgtt_lsn lsn, uint32_t seq)
{
	app_rowhist(ui->app, lsn, seq);
	ui_message(ui, 0, "reading the row's history...");
}

void
rowview_take(struct ui *ui)
{
	struct rowhist_list	*l = NULL;
	struct rowview		*rv;
	struct build		 bd;
	struct pgtt_err		 err;
	size_t			 i;

	err_clear(&err);
	if (app_rowhist_result(ui->app, &l, &err) != 0 || l == NULL ||
	    l->n == 0) {
		ui_message(ui, 1, "no row history: %s", l == NULL ? err.msg :
		    "the row index has no change of it");
		goto out;
	}
	rv = xcalloc(1, sizeof *rv);
	snprintf(rv->title, sizeof rv->title, "Row history: %s.%s",
	    l->schema, l->table);
	memset(&bd, 0, sizeof bd);
	bd.rv = rv;
	buf_init(&bd.b);
	for (i = 0; i < l->n; i++)
		add_version(&bd, &l->v[i]);
	prev_free(&bd);
	buf_done(&bd.b);
	rv->sel = rv->n - 1;
	rowview_close(ui);
	ui->rowview = rv;
	if (l->unread != NULL)
		ui_message(ui, 1, "the row when capture began is not known: %s",
		    l->unread);
	else
		ui->message[0] = '\0';
out:
	if (l != NULL) {
		rowhist_list_free(l);
		free(l);
	}
}

void
rowview_close(struct ui *ui)
{
	if (ui->rowview != NULL)
		rowview_free(ui->rowview);
	ui->rowview = NULL;
}

void
rowview_draw(struct ui *ui)
{
	const struct rowview	*rv = ui->rowview;
	const struct version	*v = &rv->v[rv->sel];
	char			 title[400];
	int			 y = 1, h = LINES - 2, row, list_h, first;
	size_t			 i;

	for (row = y; row < y + h; row++)
		mvhline(row, 0, ' ', COLS);
	snprintf(title, sizeof title, "%s, %zu versions (Enter: columns, "
	    "r/R: to just before one)", rv->title, rv->n);
	ui_box(y, 0, h, COLS, title, 1, ui);
	list_h = rv->expanded ? (h - 2) / 2 : h - 2;
	first = (int)rv->sel >= list_h ? (int)rv->sel - list_h + 1 : 0;
	row = y + 1;
	for (i = (size_t)first; i < rv->n && row < y + 1 + list_h; i++)
		ui_text(row++, 2, COLS - 4, rv->v[i].line, i == rv->sel ?
		    A_REVERSE : A_NORMAL);
	if (!rv->expanded)
		return;
	row++;
	if (!v->present)
		ui_text(row++, 2, COLS - 4, "no row after this change",
		    A_DIM);
	for (i = 0; i < v->ncols && row < y + h - 1; i++)
		ui_text(row++, 2, COLS - 4, v->cols[i], v->changed[i] ?
		    ui_attr(ui, C_UPDATE) | A_BOLD : A_NORMAL);
}

int
rowview_action(struct ui *ui, enum action a)
{
	struct rowview	*rv = ui->rowview;

	switch (a) {
	case ACT_CANCEL:
	case ACT_QUIT:
		rowview_close(ui);
		return 1;
	case ACT_UP:
		if (rv->sel > 0)
			rv->sel--;
		break;
	case ACT_DOWN:
		if (rv->sel + 1 < rv->n)
			rv->sel++;
		break;
	case ACT_TOP:
		rv->sel = 0;
		break;
	case ACT_BOTTOM:
		rv->sel = rv->n - 1;
		break;
	case ACT_ENTER:
		rv->expanded = !rv->expanded;
		break;
	default:
		break;
	}
	return 0;
}

int
rowview_selected(const struct rowview *rv, pgtt_lsn *lsn)
{
	if (rv == NULL || rv->n == 0)
		return -1;
	*lsn = rv->v[rv->sel].lsn;
	return 0;
}
