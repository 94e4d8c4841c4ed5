/*
 * draw.c: what every pane draws with.  Text is UTF-8: widths come from
 * wcwidth, so a wide or combining character is never cut in half and a
 * line never runs into the next pane.  Control characters are shown as
 * spaces.  Colours are used only when the terminal has them and NO_COLOR
 * is not set; otherwise attributes stand in.
 */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "core/xmalloc.h"
#include "ui.h"

void
ui_colors_init(struct ui *ui)
{
	const char	*nc = getenv("NO_COLOR");

	ui->colors = has_colors() && (nc == NULL || nc[0] == '\0');
	if (!ui->colors)
		return;
	start_color();
	use_default_colors();
	init_pair(C_INSERT, COLOR_GREEN, -1);
	init_pair(C_UPDATE, COLOR_YELLOW, -1);
	init_pair(C_DELETE, COLOR_RED, -1);
	init_pair(C_DDL, COLOR_MAGENTA, -1);
	init_pair(C_TITLE, COLOR_CYAN, -1);
	init_pair(C_ERROR, COLOR_RED, -1);
	init_pair(C_DIM, COLOR_BLUE, -1);
}

attr_t
ui_attr(const struct ui *ui, enum ui_color c)
{
	if (c == C_NORMAL)
		return A_NORMAL;
	if (ui->colors)
		return COLOR_PAIR(c) | (c == C_ERROR || c == C_TITLE ?
		    A_BOLD : 0);
	switch (c) {
	case C_DELETE:
	case C_ERROR:
	case C_TITLE:
		return A_BOLD;
	case C_DDL:
		return A_UNDERLINE;
	case C_DIM:
		return A_DIM;
	default:
		return A_NORMAL;
	}
}

int
ui_text(int y, int x, int w, const char *s, attr_t attr)
{
	mbstate_t	 st;
	wchar_t		 wc;
	size_t		 n;
	int		 used = 0, cw;

	memset(&st, 0, sizeof st);
	move(y, x);
	attron((int)attr);
	while (*s != '\0' && used < w) {
		n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
		if (n == (size_t)-1 || n == (size_t)-2) {
			/* Not UTF-8 here: show the byte as '?' and resync. */
			memset(&st, 0, sizeof st);
			wc = L'?';
			n = 1;
		}
		if (wc < L' ' || wc == 0x7f)
			wc = L' ';
		if ((cw = wcwidth(wc)) < 0)
			cw = 1, wc = L'?';
		if (used + cw > w)
			break;
		if (cw > 0 || used > 0)
			addnwstr(&wc, 1);
		used += cw;
		s += n;
	}
	attroff((int)attr);
	return used;
}

void
ui_box(int y, int x, int h, int w, const char *title, int focused,
    const struct ui *ui)
{
	attr_t	attr = focused ? ui_attr(ui, C_TITLE) : A_NORMAL;

	attron((int)attr);
	mvhline(y, x + 1, ACS_HLINE, w - 2);
	mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
	mvvline(y + 1, x, ACS_VLINE, h - 2);
	mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
	mvaddch(y, x, ACS_ULCORNER);
	mvaddch(y, x + w - 1, ACS_URCORNER);
	mvaddch(y + h - 1, x, ACS_LLCORNER);
	mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
	attroff((int)attr);
	if (title != NULL && w > 6) {
		mvaddch(y, x + 1, ' ');
		ui_text(y, x + 2, w - 5, title, attr | (focused ? A_BOLD : 0));
		addch(' ');
	}
}

void
ui_message(struct ui *ui, int error, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(ui->message, sizeof ui->message, fmt, ap);
	va_end(ap);
	ui->message_error = error;
}

void
ui_prompt(struct ui *ui, const char *label, const char *arg,
    prompt_done_fn *done)
{
	struct prompt	*pr = &ui->prompt;

	memset(pr, 0, sizeof *pr);
	snprintf(pr->label, sizeof pr->label, "%s", label);
	snprintf(pr->arg, sizeof pr->arg, "%s", arg != NULL ? arg : "");
	pr->done = done;
	pr->active = 1;
	curs_set(1);
}

int
ui_prompt_key(struct ui *ui, int ch)
{
	struct prompt	*pr = &ui->prompt;
	char		 text[sizeof pr->text], arg[sizeof pr->arg];

	if (ch == 27) {
		pr->active = 0;
		curs_set(0);
	} else if (ch == '\r' || ch == '\n' || ch == KEY_ENTER) {
		pr->active = 0;
		curs_set(0);
		/* done may start another prompt: it gets copies. */
		memcpy(text, pr->text, sizeof text);
		memcpy(arg, pr->arg, sizeof arg);
		text[pr->len] = '\0';
		pr->done(ui, text, arg);
	} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) &&
	    pr->len > 0)
		pr->text[--pr->len] = '\0';
	else if (ch >= ' ' && ch < 256 && pr->len + 1 < sizeof pr->text)
		pr->text[pr->len++] = (char)ch;
	return R_REDRAW;
}

void
ui_prompt_draw(struct ui *ui)
{
	const struct prompt	*pr = &ui->prompt;
	int			 y = LINES - 1, x = (int)strlen(pr->label);

	if (!pr->active)
		return;
	move(y, 0);
	clrtoeol();
	ui_text(y, 0, COLS - 1, pr->label, A_BOLD);
	ui_text(y, x, COLS - 1 - x, pr->text, A_NORMAL);
	x += (int)pr->len;
	move(y, x < COLS - 1 ? x : COLS - 1);
}

/* The listener's state, as the status line says it. */
const char *
ui_listener_word(enum app_listener state)
{
	switch (state) {
	case APP_LISTENER_STOPPED:
		return "stopped";
	case APP_LISTENER_STARTING:
		return "starting";
	case APP_LISTENER_STREAMING:
		return "streaming";
	case APP_LISTENER_RECONNECTING:
		return "reconnecting";
	case APP_LISTENER_EXTERNAL:
		return "external";
	case APP_LISTENER_FAILED:
		return "failed";
	}
	return "?";
}

void
ui_db_text(char *buf, size_t len, const struct app_db *db)
{
	if (db->up)
		snprintf(buf, len, "PostgreSQL %s, %s as %s", db->version,
		    db->database, db->user);
	else
		snprintf(buf, len, "%s", db->error);
}
