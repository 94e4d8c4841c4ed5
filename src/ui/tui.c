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
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/history.h"
#include "core/logfile.h"
#include "core/xmalloc.h"
#include "ui.h"

#define MIN_COLS	80
#define MIN_LINES	24
#define FRAME_MS	50
#define SIDE_WIDTH	34

static int			signal_pipe[2] = { -1, -1 };
/*
 * Set by the handler, which may run on any thread (a worker waiting for
 * a child, say): atomics, lock-free and so safe in a handler, not
 * sig_atomic_t, which orders nothing between threads.
 */
static atomic_int		got_resize, got_quit;

static int			curses_on;

static void
on_signal(int sig)
{
	int	saved = errno;
	char	c = 1;

	if (sig == SIGWINCH)
		atomic_store(&got_resize, 1);
	else
		atomic_store(&got_quit, 1);
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


/*
 * The length of the next line of text wrapped at width: up to the last
 * space that fits, or width when no space does.
 */
static size_t
wrap_len(const char *text, size_t width)
{
	size_t	len = strlen(text), cut;

	if (len <= width)
		return len;
	for (cut = width; cut > 0 && text[cut] != ' '; cut--)
		;
	return cut > 0 ? cut : width;
}

/* Rows a help text takes at width. */
static int
wrapped_rows(const char *text, size_t width)
{
	int	rows = 0;
	size_t	n;

	do {
		n = wrap_len(text, width);
		text += n;
		while (*text == ' ')
			text++;
		rows++;
	} while (*text != '\0');
	return rows;
}

/*
 * Every bound key and what it does, as wide as its content needs: one
 * column, descriptions wrapped, when the screen is tall enough; else two
 * columns, each description cut to one line.
 */
static void
draw_help(struct ui *ui)
{
	const struct key_binding	*b;
	char				 names[64], line[256];
	int				 n = 0, ncol, per, colw, h, w, y, x;
	int				 row, i = 0, name_w = 0, ctx_w = 0;
	int				 help_w = 0, rows = 0;
	size_t				 len;

	for (b = key_table; b->name != NULL; b++) {
		if (keys_names(b, names, sizeof names) == NULL)
			continue;
		n++;
		if ((int)strlen(names) + 2 > name_w)
			name_w = (int)strlen(names) + 2;
		if (strcmp(b->context, "global") != 0 &&
		    (int)strlen(b->context) + 2 > ctx_w)
			ctx_w = (int)strlen(b->context) + 2;
		if ((int)strlen(b->help) > help_w)
			help_w = (int)strlen(b->help);
	}
	w = name_w + ctx_w + help_w + 4;
	if (w > COLS - 4)
		w = COLS - 4;
	help_w = w - name_w - ctx_w - 4;
	for (b = key_table; b->name != NULL; b++)
		if (keys_names(b, names, sizeof names) != NULL)
			rows += wrapped_rows(b->help, (size_t)help_w);
	ncol = help_w >= 20 && rows + 2 <= LINES - 2 ? 1 : 2;
	if (ncol == 2) {
		w = COLS - 4 < 76 ? COLS - 4 : 76;
		rows = n;
	}
	per = ncol == 1 ? rows : (n + 1) / 2;
	colw = (w - 2) / ncol;
	h = per + 2 < LINES - 2 ? per + 2 : LINES - 2;
	y = (LINES - h) / 2;
	x = (COLS - w) / 2;
	for (row = y; row < y + h; row++)
		mvhline(row, x, ' ', w);
	ui_box(y, x, h, w, "Keys (any key closes)", 1, ui);
	row = y + 1;
	for (b = key_table; b->name != NULL; b++) {
		const char	*text = b->help;
		int		 cx;

		if (keys_names(b, names, sizeof names) == NULL)
			continue;
		if (ncol == 2) {
			cx = x + 2 + (i / per) * colw;
			if (y + 1 + i % per < y + h - 1) {
				ui_text(y + 1 + i % per, cx, 9, names, A_BOLD);
				ui_text(y + 1 + i % per, cx + 9, colw - 10,
				    text, A_NORMAL);
			}
			i++;
			continue;
		}
		cx = x + 2;
		if (row >= y + h - 1)
			break;
		ui_text(row, cx, name_w, names, A_BOLD);
		if (strcmp(b->context, "global") != 0)
			ui_text(row, cx + name_w, ctx_w, b->context,
			    ui_attr(ui, C_DIM));
		do {
			len = wrap_len(text, (size_t)help_w);
			snprintf(line, sizeof line, "%.*s", (int)len, text);
			ui_text(row++, cx + name_w + ctx_w, help_w, line,
			    A_NORMAL);
			text += len;
			while (*text == ' ')
				text++;
		} while (*text != '\0' && row < y + h - 1);
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
	snprintf(buf, sizeof buf, " pgtt%s%s%s  %s  listener %s  %llu changes",
	    ui->cfg->source.database != NULL ? "  [" : "",
	    ui->cfg->source.database != NULL ? ui->cfg->source.database : "",
	    ui->cfg->source.database != NULL ? "; D next]" : "",
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
		ui_draw_offer(ui);
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
	else if (ui->rowview != NULL)
		rowview_draw(ui);
	draw_message(ui);
	ui_draw_work(ui);
	if (help)
		draw_help(ui);
	ui_prompt_draw(ui);
	refresh();
}

void
ui_broadcast(struct ui *ui, unsigned ev)
{
	size_t	i;

	for (i = 0; i < ui->npanes; i++)
		if (ui->panes[i]->event != NULL)
			ui->panes[i]->event(ui->panes[i], ui, ev);
}

static int
handle_key(struct ui *ui, int ch, int *help)
{
	struct pane	*p = ui->panes[ui->focus];
	enum action	 a = keys_lookup(p->name, ch);
	int		 r = R_NONE;
	pgtt_lsn	 from, to;

	if (ui->offer != UI_OFFER_NONE)
		return ui_offer_key(ui, ch);
	if (ui->prompt.active)
		return ui_prompt_key(ui, ch);
	if (*help) {
		*help = 0;
		return R_REDRAW;
	}
	if (ui_replay_key(ui, ch) || ui_restore_key(ui, ch))
		return R_REDRAW;
	if (ui->diffview != NULL) {
		if (keys_lookup("diff", ch) == ACT_HELP)
			*help = 1;
		else
			diffview_action(ui, keys_lookup("diff", ch));
		return R_REDRAW;
	}
	if (ui->rowview != NULL) {
		a = keys_lookup("history", ch);
		/* r and R act on the selected version (work.c). */
		if (a == ACT_HELP)
			*help = 1;
		else if (a == ACT_REPLAY)
			ui_start_replay_plan(ui);
		else if (a == ACT_RESTORE)
			ui_start_restore(ui);
		else
			rowview_action(ui, a);
		return R_REDRAW;
	}
	switch (a) {
	case ACT_QUIT:
		return R_QUIT;
	case ACT_NEXT_DATABASE:
		if (ui->cfg->source.ndatabases < 2) {
			ui_message(ui, 0, "one database is configured; "
			    "source.databases lists several");
			return R_REDRAW;
		}
		ui->next_database = 1;
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
		if (!pane_stream_stop_search(ui->stream, ui))
			ui->message[0] = '\0';
		return R_REDRAW;
	case ACT_FILTER:
	case ACT_FOLLOW:
		/* The stream's keys work from any pane. */
		p = ui->stream;
		break;
	case ACT_CHECKPOINT:
		ui_new_checkpoint(ui);
		return R_REDRAW;
	case ACT_SESSION:
		ui_new_session(ui);
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
		ui_start_replay_plan(ui);
		return R_REDRAW;
	case ACT_RESTORE:
		ui_start_restore(ui);
		return R_REDRAW;
	case ACT_BACKUP:
		ui_start_backup(ui);
		return R_REDRAW;
	case ACT_VERIFY:
		ui_start_verify(ui);
		return R_REDRAW;
	case ACT_GOTO:
		ui_go_to_point(ui);
		return R_REDRAW;
	case ACT_ROW_HISTORY: {
		const struct history_pos	*pos;

		if ((pos = pane_stream_selected(ui->stream)) == NULL)
			ui_message(ui, 1, "select a row change in the stream, "
			    "then press h");
		else
			rowview_request(ui, pos->lsn, pos->seq);
		return R_REDRAW;
	}
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
		ui_broadcast(ui, APP_EV_SETUP);
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
		if (atomic_load(&got_quit) || ui->quit) {
			/* Stopped before setup was done: not a success. */
			if (ui->offer == UI_OFFER_ASKING ||
			    ui->offer == UI_OFFER_RUNNING)
				ui->exit_status = 1;
			break;
		}
		if (atomic_exchange(&got_resize, 0)) {
			resize();
			dirty = 1;
		}
		if (pfd[1].revents & POLLIN) {
			struct app_message	msg;

			ev = app_take_events(ui->app, &ui->view, &msg);
			if (ev & APP_EV_MESSAGE)
				ui_message(ui, msg.error, "%s", msg.text);
			if ((ev & APP_EV_SETUP) && ui->offer != UI_OFFER_NONE)
				ui_offer_setup_done(ui);
			if (ev & APP_EV_DIFF)
				ui_take_diff(ui);
			if (ev & APP_EV_ROWHIST)
				rowview_take(ui);
			if (ev & APP_EV_REPLAY) {
				ui_take_replay(ui);
				ev |= APP_EV_SETUP;	/* replayed_to moved */
			}
			if (ev & APP_EV_RESTORE)
				ui_take_restore(ui);
			if (ev & APP_EV_BACKUP)
				ui_take_backup(ui);
			ui_broadcast(ui, ev);
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

static int	screen_made;

int
tui_run(const struct config *cfg, const struct config *const *views,
    size_t nviews, size_t self)
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
	/*
	 * initscr() once per process: the next database's app (D) comes
	 * back to the screen endwin() left with a refresh.
	 */
	if (!screen_made) {
		initscr();
		screen_made = 1;
	} else
		refresh();
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

	if (nviews > 1)
		app_open_cluster(ui.app, views, nviews, self);
	if (ret == PGTT_ENOTFOUND) {
		ui.offer = UI_OFFER_ASKING;
		app_setup(ui.app, 1);
	} else
		ui_broadcast(&ui, APP_EV_STATUS | APP_EV_JOURNAL);
	loop(&ui);
	status = ui.exit_status;
	free(ui.offer_report);

	diffview_close(&ui);
	rowview_close(&ui);
	for (i = 0; i < ui.npanes; i++)
		ui.panes[i]->free(ui.panes[i]);
	restore_terminal();
	app_close(ui.app);
	close(signal_pipe[0]);
	close(signal_pipe[1]);
	if (ui.message_error && status != 0)
		fprintf(stderr, "pgtt: %s\n", ui.message);
	log_msg(LOG_LEVEL_INFO, "terminal UI closed");
	return ui.next_database && status == 0 ? TUI_NEXT_DATABASE : status;
}
