/*
 * pane-detail.c: the selected change, column by column.  The change is
 * fetched once per selection and laid out into lines for the pane's
 * width: a column whose value is long wraps onto the next lines, and the
 * pane scrolls with the movement keys when it has the focus.  Changed
 * columns stand out; an unchanged TOASTed value says so rather than
 * pretending to be empty.
 */
#include <curses.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/history.h"
#include "core/pgtime.h"
#include "core/xmalloc.h"
#include "ui.h"

struct line {
	char	*text;
	int	 color;
	int	 bold;
};

struct detail {
	struct history_pos	 pos;
	int			 have;
	struct history_detail	*d;
	struct line		*lines;
	size_t			 nlines, cap;
	int			 width;		/* the lines were laid out for */
	size_t			 scroll;
	int			 height;
};

static void
clear_lines(struct detail *dt)
{
	size_t	i;

	for (i = 0; i < dt->nlines; i++)
		free(dt->lines[i].text);
	dt->nlines = 0;
}

static void
add_line(struct detail *dt, const char *text, size_t len, int color,
    int bold)
{
	if (dt->nlines == dt->cap) {
		dt->cap = dt->cap == 0 ? 64 : dt->cap * 2;
		dt->lines = xreallocarray(dt->lines, dt->cap,
		    sizeof *dt->lines);
	}
	dt->lines[dt->nlines].text = xstrndup(text, len);
	dt->lines[dt->nlines].color = color;
	dt->lines[dt->nlines].bold = bold;
	dt->nlines++;
}

/* Bytes of s that fit in max without splitting a UTF-8 sequence. */
static size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	size_t	n = len < max ? len : max;

	while (n > 0 && n < len && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n > 0 ? n : (len < max ? len : max);
}

/*
 * One labelled value, wrapped to width, continuation lines indented.
 * Bytes stand in for columns: wide text wraps early, never late.
 */
static void
add_wrapped(struct detail *dt, const char *label, const char *value,
    int color, int bold)
{
	char	*text, *cont;
	size_t	 len, off, n, step, indent = strlen(label);

	step = (size_t)(dt->width > 10 ? dt->width : 10);
	if (indent + 8 > step)
		indent = 2;
	xasprintf(&text, "%s%s", label, value);
	len = strlen(text);
	n = utf8_cut(text, len, step);
	add_line(dt, text, n, color, bold);
	for (off = n; off < len; off += n) {
		n = utf8_cut(text + off, len - off, step - indent);
		xasprintf(&cont, "%*s%.*s", (int)indent, "", (int)n,
		    text + off);
		add_line(dt, cont, strlen(cont), color, bold);
		free(cont);
	}
	free(text);
}

/* A raw value made fit to draw: one line, control characters as spaces. */
static char *
safe_text(const char *s, size_t len)
{
	struct buf	b;

	buf_init(&b);
	if (s != NULL)
		history_format_line(&b, s, len, SIZE_MAX);
	buf_append(&b, "", 1);
	return (char *)b.data;
}

/* Lay the change out for the pane's width. */
static void
layout(struct detail *dt)
{
	const struct history_detail	*d = dt->d;
	char				 head[256], lsnbuf[LSN_BUFSIZE];
	char				 when[PGTIME_BUFSIZE], label[96];
	size_t				 i, namew = 0;

	clear_lines(dt);
	if (d == NULL)
		return;
	snprintf(head, sizeof head, "%s %s  at %s seq %u  xid %u  %s",
	    change_kind_name(d->row.kind), d->row.table,
	    lsn_format(d->row.pos.lsn, lsnbuf), d->row.pos.seq, d->row.xid,
	    pgtime_format(d->row.commit_time, when));
	add_wrapped(dt, "", head, C_TITLE, 1);
	if (d->sql != NULL) {
		char	*sql = safe_text(d->sql, strlen(d->sql));

		add_wrapped(dt, "", sql, C_DDL, 0);
		free(sql);
	}
	for (i = 0; i < d->ncols; i++)
		if (strlen(d->cols[i].name) > namew)
			namew = strlen(d->cols[i].name);
	if (namew > 24)
		namew = 24;
	for (i = 0; i < d->ncols; i++) {
		const struct history_col	*c = &d->cols[i];
		const char			*newv, *oldv;
		char				*value, *safe_old, *safe_new;

		snprintf(label, sizeof label, "%s%-*.*s  ", c->is_key ? "*" :
		    " ", (int)namew, (int)namew, c->name);
		/* Values are raw: no escape sequence of theirs may reach us. */
		safe_old = safe_text(c->old, c->old_len);
		safe_new = safe_text(c->new, c->new_len);
		newv = c->toast ? "(unchanged toast)" : c->new_null ? "NULL" :
		    safe_new;
		oldv = c->old_null ? "NULL" : safe_old;
		if (c->has_old && (c->changed || d->row.kind == CHANGE_DELETE))
			xasprintf(&value, "%s -> %s", oldv,
			    d->row.kind == CHANGE_DELETE ? "(deleted)" : newv);
		else
			value = xstrdup(newv);
		add_wrapped(dt, label, value, c->changed ? C_UPDATE :
		    c->toast ? C_DIM : C_NORMAL, c->changed);
		free(value);
		free(safe_old);
		free(safe_new);
	}
}

/* Fetch the stream's selection if it moved. */
static void
refresh_detail(struct detail *dt, struct ui *ui)
{
	const struct history_pos	*pos = pane_stream_selected(ui->stream);
	struct pgtt_err			 err;

	if (pos == NULL || app_journal(ui->app) == NULL) {
		history_detail_free(dt->d);
		dt->d = NULL;
		dt->have = 0;
		clear_lines(dt);
		return;
	}
	if (dt->have && dt->pos.lsn == pos->lsn && dt->pos.seq == pos->seq)
		return;
	history_detail_free(dt->d);
	dt->d = NULL;
	err_clear(&err);
	if (history_detail(app_journal(ui->app), pos, &dt->d, &err) != 0)
		ui_message(ui, 1, "%s", err.msg);
	dt->pos = *pos;
	dt->have = 1;
	dt->scroll = 0;
	layout(dt);
}

/* The detail follows the stream's selection. */
static void
detail_update(struct pane *p, struct ui *ui)
{
	refresh_detail(p->data, ui);
}

static void
detail_resize(struct pane *p, struct ui *ui, int h, int w)
{
	struct detail	*dt = p->data;

	(void)ui;
	dt->height = h - 2;
	dt->width = w - 4;
	layout(dt);
}

static void
detail_draw(struct pane *p, struct ui *ui, int y, int x, int h, int w,
    int focused)
{
	struct detail	*dt = p->data;
	size_t		 i;

	ui_box(y, x, h, w, "Detail", focused, ui);
	if (dt->d == NULL) {
		ui_text(y + 1, x + 2, w - 4, "select a change in the stream",
		    A_DIM);
		return;
	}
	if (dt->scroll + (size_t)dt->height > dt->nlines)
		dt->scroll = dt->nlines > (size_t)dt->height ?
		    dt->nlines - (size_t)dt->height : 0;
	for (i = 0; i < (size_t)dt->height && dt->scroll + i < dt->nlines;
	    i++) {
		const struct line	*l = &dt->lines[dt->scroll + i];

		ui_text(y + 1 + (int)i, x + 2, w - 4, l->text,
		    ui_attr(ui, l->color) | (l->bold ? A_BOLD : 0));
	}
}

static int
detail_action(struct pane *p, struct ui *ui, enum action a)
{
	struct detail	*dt = p->data;
	size_t		 page = (size_t)(dt->height > 1 ? dt->height - 1 : 1);

	(void)ui;
	switch (a) {
	case ACT_UP:
		if (dt->scroll > 0)
			dt->scroll--;
		return R_REDRAW;
	case ACT_DOWN:
		dt->scroll++;
		return R_REDRAW;
	case ACT_PAGE_UP:
		dt->scroll = dt->scroll > page ? dt->scroll - page : 0;
		return R_REDRAW;
	case ACT_PAGE_DOWN:
		dt->scroll += page;
		return R_REDRAW;
	case ACT_TOP:
		dt->scroll = 0;
		return R_REDRAW;
	case ACT_BOTTOM:
		dt->scroll = dt->nlines;
		return R_REDRAW;
	default:
		return R_NONE;
	}
}

static void
detail_free(struct pane *p)
{
	struct detail	*dt = p->data;

	clear_lines(dt);
	free(dt->lines);
	history_detail_free(dt->d);
	free(dt);
	free(p);
}

struct pane *
pane_detail_new(void)
{
	struct pane	*p = xcalloc(1, sizeof *p);

	p->name = "detail";
	p->title = "Detail";
	p->data = xcalloc(1, sizeof(struct detail));
	p->draw = detail_draw;
	p->action = detail_action;
	p->update = detail_update;
	p->resize = detail_resize;
	p->free = detail_free;
	return p;
}
