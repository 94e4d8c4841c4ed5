/*
 * diffview.c: the diff between two marked checkpoints, over the panes.
 * Tables first, one line each with their counts; Enter shows the rows of
 * the selected table below it (+ inserted, - deleted, ~ updated with the
 * changed columns old -> new).  The view owns the diff it was given and
 * frees it on close.  The lines are laid out once per expand, not per
 * frame.
 */
#include <errno.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/diff.h"
#include "core/history.h"
#include "core/xmalloc.h"
#include "ui.h"

#define VALUE_MAX	40

struct diffview {
	struct diff	 *d;
	size_t		  sel;		/* selected table */
	int		  expanded;
	char		**rows;		/* lines of the expanded table */
	int		 *colors;
	size_t		  nrows;
	size_t		  scroll;
};

static void
clear_rows(struct diffview *v)
{
	size_t	i;

	for (i = 0; i < v->nrows; i++)
		free(v->rows[i]);
	free(v->rows);
	free(v->colors);
	v->rows = NULL;
	v->colors = NULL;
	v->nrows = 0;
}

static void
add_row(struct diffview *v, int color, struct buf *b)
{
	buf_append(b, "", 1);
	v->rows = xreallocarray(v->rows, v->nrows + 1, sizeof *v->rows);
	v->colors = xreallocarray(v->colors, v->nrows + 1, sizeof *v->colors);
	v->rows[v->nrows] = xstrdup((char *)b->data);
	v->colors[v->nrows++] = color;
	buf_reset(b);
}

/* "name=value ..." of vals; keys_only keeps the identity columns. */
static void
put_vals(struct buf *b, const struct diff_vals *vals, int keys_only)
{
	struct pgtt_col	c;
	size_t		i;

	for (i = 0; i < vals->ncols; i++) {
		const struct diff_col	*dc = &vals->cols[i];

		if (keys_only && !dc->is_key)
			continue;
		buf_append(b, " ", 1);
		buf_append(b, dc->name, strlen(dc->name));
		buf_append(b, "=", 1);
		c.kind = dc->kind;
		c.len = dc->len;
		c.val = dc->val;
		history_format_value(b, &c, VALUE_MAX);
	}
}

/* The rows of the selected table as lines. */
static void
expand(struct diffview *v)
{
	const struct diff_table	*t = &v->d->tables[v->sel];
	struct diff_row		 row = { .op = DIFF_NONE }, *r = &row;
	struct pgtt_col		 c;
	struct buf		 b;
	size_t			 i, k;

	clear_rows(v);
	buf_init(&b);
	for (i = 0; i < t->nrows; i++) {
		diff_row_load(v->d, t->rows[i], r);

		switch (r->op) {
		case DIFF_INSERTED:
			buf_append(&b, "+", 1);
			put_vals(&b, &r->after, 0);
			add_row(v, C_INSERT, &b);
			break;
		case DIFF_DELETED:
			buf_append(&b, "-", 1);
			put_vals(&b, &r->before, !r->before.present ||
			    r->before_unknown);
			add_row(v, C_DELETE, &b);
			break;
		case DIFF_UPDATED:
			buf_append(&b, "~", 1);
			put_vals(&b, &r->after, 1);
			buf_append(&b, ":", 1);
			for (k = 0; k < r->after.ncols; k++) {
				const struct diff_col	*a = &r->after.cols[k];
				const struct diff_col	*o;

				if (r->changed == NULL || !r->changed[k])
					continue;
				buf_append(&b, " ", 1);
				buf_append(&b, a->name, strlen(a->name));
				buf_append(&b, " ", 1);
				o = diff_vals_col(&r->before, a->name);
				if (o != NULL && !r->before_unknown) {
					c.kind = o->kind;
					c.len = o->len;
					c.val = o->val;
					history_format_value(&b, &c, VALUE_MAX);
				} else
					buf_append(&b, "?", 1);
				buf_append(&b, " -> ", 4);
				c.kind = a->kind;
				c.len = a->len;
				c.val = a->val;
				history_format_value(&b, &c, VALUE_MAX);
			}
			add_row(v, C_UPDATE, &b);
			break;
		default:
			break;
		}
	}
	diff_row_done(&row);
	buf_done(&b);
	v->scroll = 0;
}

/* A sampled value: "41", "1 (not called)", or "?" when not sampled. */
static void
seqval_text(const struct pgtt_seqval *v, char *out, size_t size)
{
	if (v == NULL)
		snprintf(out, size, "?");
	else
		snprintf(out, size, "%lld%s", (long long)v->last_value,
		    v->is_called ? "" : " (not called)");
}

void
diffview_open(struct ui *ui, struct diff *d)
{
	diffview_close(ui);
	ui->diffview = xcalloc(1, sizeof *ui->diffview);
	ui->diffview->d = d;
}

void
diffview_close(struct ui *ui)
{
	struct diffview	*v = ui->diffview;

	if (v == NULL)
		return;
	clear_rows(v);
	diff_free(v->d);
	free(v);
	ui->diffview = NULL;
}

void
diffview_draw(struct ui *ui)
{
	struct diffview		*v = ui->diffview;
	const struct diff	*d = v->d;
	char			 line[512], a[LSN_BUFSIZE], b[LSN_BUFSIZE];
	size_t			 i;
	int			 y = 1, h = LINES - 2, row, list_h;

	for (row = y; row < y + h; row++)
		mvhline(row, 0, ' ', COLS);
	snprintf(line, sizeof line, "Diff %s .. %s: %zu tables changed, "
	    "%llu changes folded", lsn_format(d->from, a),
	    lsn_format(d->to, b), d->ntables, (unsigned long long)d->changes);
	ui_box(y, 0, h, COLS, line, 1, ui);
	row = y + 1;
	if (d->ntables == 0)
		ui_text(row++, 2, COLS - 4, "no row differs between the two "
		    "points", A_DIM);
	/* The table list takes what it needs, up to half when expanded. */
	list_h = v->expanded ? (h - 2) / 2 : h - 2;
	for (i = 0; i < d->ntables && row < y + 1 + list_h; i++) {
		const struct diff_table	*t = &d->tables[i];

		snprintf(line, sizeof line, "%s.%s  +%zu  -%zu  ~%zu%s",
		    t->schema, t->name, t->ninserted, t->ndeleted, t->nupdated,
		    t->truncated ? "  (truncated)" : "");
		ui_text(row++, 2, COLS - 4, line, i == v->sel ? A_REVERSE :
		    A_NORMAL);
	}
	if (d->nddl > 0 && row < y + h - 1) {
		snprintf(line, sizeof line, "%zu DDL statements in between",
		    d->nddl);
		ui_text(row++, 2, COLS - 4, line, ui_attr(ui, C_DDL));
	}
	for (i = 0; i < d->nseqs && row < y + 1 + list_h; i++) {
		const struct seq_move	*m = &d->seqs[i];
		char			 from[32], to[32];

		seqval_text(m->from, from, sizeof from);
		seqval_text(m->to, to, sizeof to);
		snprintf(line, sizeof line, "sequence %s.%s  %s -> %s",
		    m->schema, m->name, from, to);
		ui_text(row++, 2, COLS - 4, line, ui_attr(ui, C_UPDATE));
	}
	if (!v->expanded)
		return;
	row++;
	for (i = v->scroll; i < v->nrows && row < y + h - 1; i++)
		ui_text(row++, 2, COLS - 4, v->rows[i], ui_attr(ui,
		    v->colors[i]));
}

/*
 * The diff as SQL, as `diff --format sql` prints it, into
 * pgtt-diff-A-B.sql here: a name the points make, so writing the same
 * diff again replaces the file rather than piling up copies.
 */
static void
write_sql(struct ui *ui, const struct diff *d)
{
	char	 path[96], a[LSN_BUFSIZE], b[LSN_BUFSIZE], *p;
	FILE	*f;
	int	 failed;

	lsn_format(d->from, a);
	lsn_format(d->to, b);
	for (p = a; *p != '\0'; p++)
		if (*p == '/')
			*p = '-';
	for (p = b; *p != '\0'; p++)
		if (*p == '/')
			*p = '-';
	snprintf(path, sizeof path, "pgtt-diff-%s-%s.sql", a, b);
	if ((f = fopen(path, "w")) == NULL) {
		ui_message(ui, 1, "could not write %s: %s", path,
		    strerror(errno));
		return;
	}
	diff_write_sql(d, f);
	failed = ferror(f);
	if (fclose(f) != 0 || failed)
		ui_message(ui, 1, "could not write %s: %s", path,
		    strerror(errno));
	else
		ui_message(ui, 0, "wrote the diff as SQL to %s", path);
}

int
diffview_action(struct ui *ui, enum action a)
{
	struct diffview	*v = ui->diffview;

	switch (a) {
	case ACT_CANCEL:
	case ACT_QUIT:
		diffview_close(ui);
		return 1;
	case ACT_UP:
		if (v->expanded && v->scroll > 0)
			v->scroll--;
		else if (!v->expanded && v->sel > 0)
			v->sel--;
		break;
	case ACT_DOWN:
		if (v->expanded && v->scroll + 1 < v->nrows)
			v->scroll++;
		else if (!v->expanded && v->sel + 1 < v->d->ntables)
			v->sel++;
		break;
	case ACT_ENTER:
		if (v->d->ntables == 0)
			break;
		v->expanded = !v->expanded;
		if (v->expanded)
			expand(v);
		break;
	case ACT_WRITE_SQL:
		write_sql(ui, v->d);
		break;
	default:
		break;
	}
	return 0;
}
