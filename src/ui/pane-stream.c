/*
 * pane-stream.c: the WAL stream, one line per change.
 *
 * The pane holds only the rows on screen.  Its position is the key of its
 * top row; scrolling asks core for the rows just after the bottom or just
 * before the top, so millions of changes cost no more than a screenful.
 * In follow mode the window is the last page and moves as changes arrive;
 * moving up stops following, G or End resumes it.  With
 * source.databases, A shows every database's changes in one commit order,
 * each named; a change of another database is only shown (D opens it).
 */
#include <curses.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/history.h"
#include "core/checkpoint.h"
#include "core/session.h"
#include "core/ident.h"
#include "core/pgtime.h"
#include "core/xmalloc.h"
#include "ui.h"

#define MAX_ROWS	256
#define MAX_DATABASES	32	/* shown together by A */
/* Scan calls one key may cost when a filter rarely matches (x 10,000). */
#define MAX_SCANS	50

struct stream {
	struct history_row	 rows[MAX_ROWS];
	size_t			 nrows;
	size_t			 sel;
	struct history_pos	 top;
	int			 follow;
	int			 height;	/* rows the pane has room for */
	int			 journal;	/* there is one to show */
	int			 at_end;	/* the last row is the newest */
	struct history_filter	 filter;
	char			 filter_text[128];
	/*
	 * With no row to show, what the search back says: still looking,
	 * none before the end (the only time "nothing matches" is said), or
	 * stopped with Esc.
	 */
	enum { SEARCH_IDLE, SEARCH_RUNNING, SEARCH_NONE, SEARCH_STOPPED,
	    SEARCH_NEARBY }	 search;	/* NEARBY: all databases, none */
	struct history_pos	 search_from;	/* where the search started */
	unsigned		 search_gen;	/* app_search's number for it */
	struct history_pos	 none_until;	/* SEARCH_NONE: no match before */
	struct pgtt_checkpoint	**cps;		/* by LSN, for marker lines */
	size_t			 ncps;
	/*
	 * The journals a page reads: this database's, or with all (A) every
	 * database's, js[self] this one's.  Rows name theirs by index.
	 */
	int			 all;
	struct journal		*js[MAX_DATABASES];
	const char		*names[MAX_DATABASES];
	size_t			 njs, self;
};

static int
by_lsn(const void *a, const void *b)
{
	const struct pgtt_checkpoint	*x = *(struct pgtt_checkpoint *const *)a;
	const struct pgtt_checkpoint	*y = *(struct pgtt_checkpoint *const *)b;

	return x->lsn < y->lsn ? -1 : x->lsn > y->lsn;
}

/* The active session's checkpoints, for the marker lines. */
static void
load_marks(struct stream *s, struct ui *ui)
{
	struct journal	*j = app_journal(ui->app);
	struct pgtt_err	 err;

	record_free_list((void **)s->cps, s->ncps);
	s->cps = NULL;
	s->ncps = 0;
	err_clear(&err);
	if (j == NULL || checkpoint_list(j, journal_active_session(j), 0, &s->cps,
	    &s->ncps, &err) != 0)
		return;
	qsort(s->cps, s->ncps, sizeof *s->cps, by_lsn);
}

static void
clear_rows(struct stream *s)
{
	size_t	i;

	for (i = 0; i < s->nrows; i++)
		history_row_done(&s->rows[i]);
	s->nrows = 0;
}

static int
pos_before(const struct history_pos *a, const struct history_pos *b)
{
	return a->lsn < b->lsn || (a->lsn == b->lsn && a->seq < b->seq);
}

/* The key just after pos: where the rows after it start. */
static struct history_pos
after(const struct history_pos *pos)
{
	struct history_pos	next = *pos;

	if (next.seq == UINT32_MAX) {
		next.lsn++;
		next.seq = 0;
	} else
		next.seq++;
	return next;
}

/*
 * history_page, going on past changes the filter skipped until a row is
 * found or the edge reached, MAX_SCANS calls at the most; *scan (may be
 * NULL) says where the last call stopped and whether at the edge.
 */
static int
page(struct stream *s, const struct history_pos *from, int dir, size_t n,
    struct history_row *rows, size_t *got, struct history_scan *scan,
    struct pgtt_err *err)
{
	struct history_scan	local;
	struct history_pos	at = *from;
	int			calls, ret = 0;

	if (scan == NULL)
		scan = &local;
	for (calls = 0; calls < MAX_SCANS; calls++) {
		ret = s->njs > 1 ? history_page_merged(s->js, s->njs, &at, dir,
		    n, &s->filter, rows, got, scan, err) :
		    history_page_scan(s->js[0], &at, dir, n, &s->filter, rows,
		    got, scan, err);
		if (ret != 0 || *got > 0 || scan->edge)
			return ret;
		at = scan->resume;
	}
	return 0;
}

/*
 * The journals pages read now: 0 when there is none.  This database's
 * may appear (setup) or another's go, so it is asked before each page.
 */
static size_t
journals(struct stream *s, struct ui *ui)
{
	s->njs = 0;
	s->self = 0;
	if (s->all)
		s->njs = app_cluster(ui->app, s->js, s->names, MAX_DATABASES,
		    &s->self);
	if (s->njs <= 1) {
		s->self = 0;
		s->njs = (s->js[0] = app_journal(ui->app)) != NULL;
	}
	return s->njs;
}

/* The bounds of every journal shown: the first first, the last end. */
static int
bounds(struct stream *s, struct history_pos *first, struct history_pos *end,
    struct pgtt_err *err)
{
	struct history_pos	f, e;
	size_t			k;

	for (k = 0; k < s->njs; k++) {
		if (history_bounds(s->js[k], &f, &e, err) != 0)
			return err->code;
		if (k == 0 || pos_before(&f, first))
			*first = f;
		if (k == 0 || pos_before(end, &e))
			*end = e;
	}
	return 0;
}

/* Is this row another database's, shown with A? */
static int
foreign(const struct stream *s, const struct history_row *r)
{
	return s->njs > 1 && r->source != s->self;
}

/* Is the window's last row the newest committed change? */
static int
is_at_end(struct stream *s)
{
	struct history_pos	first, end;
	struct pgtt_err		err;

	if (s->nrows == 0)
		return 0;
	err_clear(&err);
	if (bounds(s, &first, &end, &err) != 0)
		return 0;
	return s->rows[s->nrows - 1].pos.lsn + 1 >= end.lsn;
}

static int
pos_le(const struct history_pos *a, const struct history_pos *b)
{
	return a->lsn < b->lsn || (a->lsn == b->lsn && a->seq <= b->seq);
}

/*
 * The page found no row.  Nothing in the changes looked at is not
 * nothing at all: unless the scan reached the start, or went back past
 * where an earlier search found none, the newest match is searched for
 * in a worker, from where the scan stopped.
 */
static void
no_rows(struct stream *s, struct ui *ui, const struct history_scan *scan)
{
	static const struct history_pos	end = { UINT64_MAX, UINT32_MAX };

	if (s->follow && scan->edge) {
		s->search = SEARCH_NONE;
		s->none_until = end;
		return;
	}
	if (s->search == SEARCH_RUNNING || (s->follow && s->search ==
	    SEARCH_NONE && pos_le(&scan->resume, &s->none_until)))
		return;
	/* The search worker reads this database's journal alone. */
	if (s->njs > 1) {
		s->search = SEARCH_NEARBY;
		return;
	}
	s->search = SEARCH_RUNNING;
	s->search_from = s->follow ? scan->resume : end;
	s->search_gen = app_search(ui->app, &s->filter, &s->search_from);
}

/* Load a screenful: the last page when following, else from top. */
static void
load(struct stream *s, struct ui *ui)
{
	struct history_pos	 end = { UINT64_MAX, UINT32_MAX };
	struct history_scan	 scan;
	struct pgtt_err		 err;
	size_t			 n = (size_t)(s->height > 0 ? s->height : 20);
	int			 ret;

	if (n > MAX_ROWS)
		n = MAX_ROWS;
	clear_rows(s);
	s->journal = journals(s, ui) > 0;
	s->at_end = 0;
	if (!s->journal)
		return;
	err_clear(&err);
	if (s->follow) {
		ret = page(s, &end, -1, n, s->rows, &s->nrows, &scan, &err);
		if (ret == 0 && s->nrows > 0) {
			s->top = s->rows[0].pos;
			s->sel = s->nrows - 1;
		}
	} else
		ret = page(s, &s->top, 1, n, s->rows, &s->nrows, &scan, &err);
	if (ret != 0)
		ui_message(ui, 1, "%s", err.msg);
	else if (s->nrows > 0) {
		if (s->search == SEARCH_RUNNING)
			app_search_cancel(ui->app);
		s->search = SEARCH_IDLE;
	} else
		no_rows(s, ui, &scan);
	if (s->sel >= s->nrows)
		s->sel = s->nrows > 0 ? s->nrows - 1 : 0;
	s->at_end = is_at_end(s);
}

/* Move the window by up to n rows; returns rows moved. */
static size_t
shift(struct stream *s, struct ui *ui, int dir, size_t n)
{
	struct history_row	 got[MAX_ROWS];
	struct history_pos	 from;
	struct pgtt_err		 err;
	size_t			 ngot = 0, i;

	if (journals(s, ui) == 0 || s->nrows == 0)
		return 0;
	if (n > MAX_ROWS)
		n = MAX_ROWS;
	err_clear(&err);
	if (dir < 0)
		from = s->top;
	else
		from = after(&s->rows[s->nrows - 1].pos);
	if (page(s, &from, dir, n, got, &ngot, NULL, &err) != 0) {
		ui_message(ui, 1, "%s", err.msg);
		return 0;
	}
	if (ngot == 0)
		return 0;
	if (dir < 0)
		s->top = got[0].pos;
	else
		s->top = ngot >= s->nrows ? got[ngot - s->nrows].pos :
		    s->rows[ngot].pos;
	for (i = 0; i < ngot; i++)
		history_row_done(&got[i]);
	load(s, ui);
	return ngot;
}

static int
op_color(enum change_kind kind)
{
	switch (kind) {
	case CHANGE_INSERT:
		return C_INSERT;
	case CHANGE_UPDATE:
		return C_UPDATE;
	case CHANGE_DELETE:
	case CHANGE_TRUNCATE:
		return C_DELETE;
	default:
		return C_DDL;
	}
}

static void	draw_lines(struct stream *, struct ui *, int, int, int, int,
		    int);
static void	draw_marker(const struct pgtt_checkpoint *, struct ui *, int,
		    int, int);
static void	draw_row(const struct history_row *, const char *, struct ui *,
		    int, int, int, int, int);

/* Why there is no row: only a search that reached the start says none. */
static void
draw_empty(const struct stream *s, struct ui *ui, int y, int x, int w)
{
	char	text[160];

	switch (s->search) {
	case SEARCH_RUNNING:
		snprintf(text, sizeof text, "searching back: %llu changes "
		    "looked at (Esc stops)",
		    (unsigned long long)ui->view.search_examined);
		break;
	case SEARCH_STOPPED:
		snprintf(text, sizeof text, "search stopped: no match in the "
		    "newest %llu changes",
		    (unsigned long long)ui->view.search_examined);
		break;
	case SEARCH_NEARBY:
		snprintf(text, sizeof text, "nothing matches the filter in "
		    "the %d changes nearest in each database (A: search this "
		    "database's whole history)", MAX_SCANS * HISTORY_SCAN_MAX);
		break;
	default:
		snprintf(text, sizeof text, "%s", s->filter_text[0] != '\0' ?
		    "nothing matches the filter" : "no changes journaled yet");
		break;
	}
	ui_text(y, x, w, text, A_DIM);
}

static void
stream_draw(struct pane *p, struct ui *ui, int y, int x, int h, int w,
    int focused)
{
	struct stream	*s = p->data;
	char		 title[256];

	snprintf(title, sizeof title, "Stream%s%s%s%s", s->all ?
	    " of all databases" : "", s->follow ? " (following)" : "",
	    s->filter_text[0] != '\0' ? " filter: " : "", s->filter_text);
	ui_box(y, x, h, w, title, focused, ui);
	if (!s->journal) {
		ui_text(y + 1, x + 2, w - 4, "no journal yet", A_DIM);
		return;
	}
	if (s->nrows == 0)
		draw_empty(s, ui, y + 1, x + 2, w - 4);
	draw_lines(s, ui, y, x, h, w, focused);
}

/*
 * Rows and marker lines: a checkpoint's line goes just before the first
 * row at or after its LSN, where the state it names ends.  When markers
 * push the selection below the pane, the lines scroll to keep it seen.
 */
static void
draw_lines(struct stream *s, struct ui *ui, int y, int x, int h, int w,
    int focused)
{
	struct line { int mark; size_t idx; } lines[MAX_ROWS * 2];
	size_t	n = 0, i, k = 0, first = 0, sel_line = 0;
	int	row;

	/* Markers before the window's first row stay above it. */
	while (k < s->ncps && s->nrows > 0 && s->cps[k]->lsn <=
	    s->rows[0].pos.lsn)
		k++;
	for (i = 0; i < s->nrows; i++) {
		while (k < s->ncps && s->cps[k]->lsn <= s->rows[i].pos.lsn &&
		    i > 0 && n < MAX_ROWS * 2) {
			lines[n].mark = 1;
			lines[n++].idx = k++;
		}
		if (i == s->sel)
			sel_line = n;
		lines[n].mark = 0;
		lines[n++].idx = i;
	}
	/* Checkpoints after the newest row, when it is the newest there is. */
	while (s->at_end && k < s->ncps && n < MAX_ROWS * 2) {
		lines[n].mark = 1;
		lines[n++].idx = k++;
	}
	if ((int)sel_line >= h - 2)
		first = sel_line - (size_t)(h - 3);
	for (i = first, row = y + 1; i < n && row < y + h - 1; i++, row++) {
		if (lines[i].mark)
			draw_marker(s->cps[lines[i].idx], ui, row, x, w);
		else
			draw_row(&s->rows[lines[i].idx], s->njs > 1 ?
			    s->names[s->rows[lines[i].idx].source] : NULL, ui,
			    row, x, w, lines[i].idx == s->sel, focused);
	}
}

static void
draw_marker(const struct pgtt_checkpoint *cp, struct ui *ui, int row, int x,
    int w)
{
	char	label[160], lsnbuf[LSN_BUFSIZE];

	attron((int)ui_attr(ui, C_TITLE));
	mvhline(row, x + 1, ACS_HLINE, w - 2);
	attroff((int)ui_attr(ui, C_TITLE));
	snprintf(label, sizeof label, " checkpoint %s at %s ", cp->name,
	    lsn_format(cp->lsn, lsnbuf));
	ui_text(row, x + 3, w - 6, label, ui_attr(ui, C_TITLE));
}

/* One change; database names its database when several are shown. */
static void
draw_row(const struct history_row *r, const char *database, struct ui *ui,
    int row, int x, int w, int sel, int focused)
{
	char	lsnbuf[LSN_BUFSIZE], when[PGTIME_BUFSIZE];
	attr_t	attr;
	int	cx;

	attr = sel ? (focused ? A_REVERSE : A_BOLD) : A_NORMAL;
	if (sel) {
		attron((int)attr);
		mvhline(row, x + 1, ' ', w - 2);
		attroff((int)attr);
	}
	pgtime_format(r->commit_time, when);
	when[19] = '\0';	/* "2026-11-20T10:00:01" */
	cx = x + 1;
	if (database != NULL) {
		cx += ui_text(row, cx, w - 2, database, attr | A_BOLD);
		cx += ui_text(row, cx, x + w - 1 - cx, " ", attr);
	}
	cx += ui_text(row, cx, x + w - 1 - cx, when + 11, attr);
	cx += ui_text(row, cx, x + w - 1 - cx, " ", attr);
	cx += ui_text(row, cx, x + w - 1 - cx, lsn_format(r->pos.lsn, lsnbuf),
	    attr);
	cx += ui_text(row, cx, x + w - 1 - cx, " ", attr);
	cx += ui_text(row, cx, x + w - 1 - cx, change_kind_name(r->kind),
	    attr | ui_attr(ui, op_color(r->kind)));
	cx += ui_text(row, cx, x + w - 1 - cx, " ", attr);
	if (r->table[0] != '\0') {
		cx += ui_text(row, cx, x + w - 1 - cx, r->table, attr | A_BOLD);
		cx += ui_text(row, cx, x + w - 1 - cx, " ", attr);
	}
	ui_text(row, cx, x + w - 1 - cx, r->summary, attr);
}

/* "users", "public.users insert,update", "delete": table and ops. */
static int
set_filter(struct stream *s, const char *text)
{
	static const char *const ops[] = { NULL, "insert", "update",
	    "delete", "truncate", "ddl", "message" };
	char	*copy, *tok, *save = NULL, *schema, *table, *sub, *save2;
	size_t	 k;
	int	 ret = 0;

	free(s->filter.schema);
	free(s->filter.table);
	memset(&s->filter, 0, sizeof s->filter);
	snprintf(s->filter_text, sizeof s->filter_text, "%s", text);
	copy = xstrdup(text);
	for (tok = strtok_r(copy, " ", &save); tok != NULL && ret == 0;
	    tok = strtok_r(NULL, " ", &save)) {
		unsigned	found = 0;
		char		*dup = xstrdup(tok);

		for (sub = strtok_r(dup, ",", &save2); sub != NULL;
		    sub = strtok_r(NULL, ",", &save2)) {
			for (k = 1; k < sizeof ops / sizeof ops[0]; k++)
				if (strcmp(sub, ops[k]) == 0)
					found |= 1u << k;
		}
		free(dup);
		if (found != 0) {
			s->filter.ops |= found;
			continue;
		}
		if (s->filter.table != NULL ||
		    ident_parse_table(tok, &schema, &table) != 0) {
			ret = -1;
			break;
		}
		s->filter.schema = schema;
		s->filter.table = table;
	}
	free(copy);
	return ret;
}

/* What / typed: the filter, then the newest rows that pass it. */
static void
filter_typed(struct ui *ui, const char *text, const char *arg)
{
	struct stream	*s = ui->stream->data;

	(void)arg;
	/* A search for the old filter answers nothing now. */
	if (s->search == SEARCH_RUNNING)
		app_search_cancel(ui->app);
	s->search = SEARCH_IDLE;
	if (set_filter(s, text) != 0)
		ui_message(ui, 1, "not a filter: \"%s\"", text);
	else
		ui_message(ui, 0, text[0] != '\0' ? "filter: %s" :
		    "no filter%s", text);
	s->follow = 1;
	load(s, ui);
}

static int
stream_action(struct pane *p, struct ui *ui, enum action a)
{
	struct stream		*s = p->data;
	struct history_pos	 first, end;
	struct pgtt_err		 err;
	size_t			 page = (size_t)(s->height > 1 ? s->height - 1 :
				    1);

	switch (a) {
	case ACT_UP:
		s->follow = 0;
		if (s->sel > 0)
			s->sel--;
		else
			shift(s, ui, -1, 1);
		return R_REDRAW;
	case ACT_DOWN:
		if (s->sel + 1 < s->nrows)
			s->sel++;
		else if (shift(s, ui, 1, 1) > 0)
			s->sel = s->nrows - 1;
		return R_REDRAW;
	case ACT_PAGE_UP:
		s->follow = 0;
		if (shift(s, ui, -1, page) == 0)
			s->sel = 0;
		return R_REDRAW;
	case ACT_PAGE_DOWN:
		if (shift(s, ui, 1, page) == 0)
			s->sel = s->nrows > 0 ? s->nrows - 1 : 0;
		return R_REDRAW;
	case ACT_TOP:
		s->follow = 0;
		err_clear(&err);
		if (journals(s, ui) > 0 && bounds(s, &first, &end, &err) == 0) {
			s->top = first;
			s->sel = 0;
			load(s, ui);
		}
		return R_REDRAW;
	case ACT_BOTTOM:
	case ACT_FOLLOW:
		s->follow = a == ACT_BOTTOM ? 1 : !s->follow;
		load(s, ui);
		return R_REDRAW;
	case ACT_ENTER:
		if (s->nrows > 0 && foreign(s, &s->rows[s->sel])) {
			ui_message(ui, 0, "a change of database %s: D opens it",
			    s->names[s->rows[s->sel].source]);
			return R_REDRAW;
		}
		return R_REDRAW | R_FOCUS_DETAIL;
	case ACT_ALL_DATABASES: {
		struct journal	*js[MAX_DATABASES];
		const char	*names[MAX_DATABASES];
		size_t		 self;

		if (app_cluster(ui->app, js, names, MAX_DATABASES, &self) < 2) {
			ui_message(ui, 0, "one database is recorded; "
			    "source.databases lists several");
			return R_REDRAW;
		}
		/* A search found its answer in this database's journal. */
		if (s->search == SEARCH_RUNNING)
			app_search_cancel(ui->app);
		s->search = SEARCH_IDLE;
		s->all = !s->all;
		s->follow = 1;
		load(s, ui);
		return R_REDRAW;
	}
	case ACT_FILTER:
		ui_prompt(ui, "filter (table and/or insert,update,delete,"
		    "truncate,ddl): ", NULL, filter_typed);
		return R_REDRAW;
	default:
		return R_NONE;
	}
}

/* The worker's answer: show the newest match, or say why there is none. */
static void
search_done(struct stream *s, struct ui *ui)
{
	struct history_pos	found;
	struct pgtt_err		err;
	unsigned		gen;
	int			ret;

	err_clear(&err);
	ret = app_search_result(ui->app, &found, &err, &gen);
	/* A search this one replaced, stopped or done before it began. */
	if (gen != s->search_gen)
		return;
	if (ret == 1) {
		s->search = SEARCH_IDLE;
		pane_stream_goto(ui->stream, ui, found.lsn + 1);
		ui_message(ui, 0, "the newest match is %llu changes back",
		    (unsigned long long)ui->view.search_examined);
	} else if (ret == 0) {
		s->search = SEARCH_NONE;
		s->none_until = s->search_from;
	}
	else if (ret == PGTT_ESTOPPED)
		s->search = SEARCH_STOPPED;
	else {
		s->search = SEARCH_STOPPED;
		ui_message(ui, 1, "search: %s", err.msg);
	}
}

int
pane_stream_stop_search(struct pane *p, struct ui *ui)
{
	struct stream	*s = p->data;

	if (s->search != SEARCH_RUNNING)
		return 0;
	app_search_cancel(ui->app);
	return 1;
}

static void
stream_event(struct pane *p, struct ui *ui, unsigned ev)
{
	struct stream	*s = p->data;

	if (ev & (APP_EV_STATUS | APP_EV_SETUP))
		load_marks(s, ui);
	if ((ev & APP_EV_SEARCH) && s->search == SEARCH_RUNNING)
		search_done(s, ui);
	/* Another database's journal says nothing: look each status. */
	if (s->all)
		ev |= (ev & APP_EV_STATUS) ? APP_EV_JOURNAL : 0;
	if ((ev & (APP_EV_JOURNAL | APP_EV_SETUP)) && (s->follow ||
	    s->nrows < (size_t)s->height))
		load(s, ui);
	else if ((ev & APP_EV_JOURNAL) && s->journal)
		s->at_end = is_at_end(s);
}

static void
stream_resize(struct pane *p, struct ui *ui, int h, int w)
{
	struct stream	*s = p->data;

	(void)w;
	s->height = h - 2;
	load(s, ui);
}

static void
stream_free(struct pane *p)
{
	struct stream	*s = p->data;

	clear_rows(s);
	record_free_list((void **)s->cps, s->ncps);
	free(s->filter.schema);
	free(s->filter.table);
	free(s);
	free(p);
}

const struct history_pos *
pane_stream_selected(struct pane *p)
{
	struct stream	*s = p->data;

	return s->nrows > 0 && !foreign(s, &s->rows[s->sel]) ?
	    &s->rows[s->sel].pos : NULL;
}

void
pane_stream_goto(struct pane *p, struct ui *ui, pgtt_lsn lsn)
{
	struct stream		*s = p->data;
	struct history_pos	 at = { lsn, 0 }, first, end;
	struct pgtt_err		 err;
	size_t			 n = (size_t)(s->height > 0 ? s->height : 20);

	s->follow = 0;
	clear_rows(s);
	err_clear(&err);
	if (journals(s, ui) == 0)
		return;
	if (n > MAX_ROWS)
		n = MAX_ROWS;
	if (page(s, &at, -1, n, s->rows, &s->nrows, NULL, &err) != 0) {
		ui_message(ui, 1, "%s", err.msg);
		return;
	}
	if (s->nrows > 0) {
		s->top = s->rows[0].pos;
		s->sel = s->nrows - 1;
	} else if (bounds(s, &first, &end, &err) == 0) {
		s->top = first;
		s->sel = 0;
	}
	load(s, ui);
	s->sel = s->nrows > 0 ? s->nrows - 1 : 0;
	/* The last change before lsn: count back from the top's window. */
	while (s->sel > 0 && s->rows[s->sel].pos.lsn >= lsn)
		s->sel--;
}

int
pane_stream_selected_end(struct pane *p, pgtt_lsn *end)
{
	struct stream	*s = p->data;

	if (s->nrows == 0 || foreign(s, &s->rows[s->sel]))
		return -1;
	*end = s->rows[s->sel].end_lsn;
	return 0;
}

struct pane *
pane_stream_new(void)
{
	struct pane	*p = xcalloc(1, sizeof *p);
	struct stream	*s = xcalloc(1, sizeof *s);

	s->follow = 1;
	p->name = "stream";
	p->title = "Stream";
	p->data = s;
	p->draw = stream_draw;
	p->action = stream_action;
	p->event = stream_event;
	p->resize = stream_resize;
	p->free = stream_free;
	return p;
}
