/*
 * ui.h: the terminal UI, shared by its files.  Only the UI thread calls
 * ncurses.  Panes are small tables of functions over private state
 * (tmux's window_mode); actions come from one key table (keys.c) and
 * return reactions; the loop in tui.c draws once per iteration.
 */
#ifndef PGTT_UI_H
#define PGTT_UI_H

#include <curses.h>
#include <stddef.h>

#include "core/app.h"
#include "core/lsn.h"
#include "core/config.h"

enum action {
	ACT_NONE,
	ACT_QUIT,
	ACT_HELP,
	ACT_NEXT_PANE,
	ACT_PREV_PANE,
	ACT_UP,
	ACT_DOWN,
	ACT_PAGE_UP,
	ACT_PAGE_DOWN,
	ACT_TOP,
	ACT_BOTTOM,
	ACT_ENTER,
	ACT_FILTER,
	ACT_FOLLOW,
	ACT_REDRAW,
	ACT_CANCEL,
	ACT_CHECKPOINT,
	ACT_SESSION,
	ACT_GOTO,
	ACT_MARK,
	ACT_DIFF,
	ACT_REPLAY,
	ACT_BACKUP,
	ACT_VERIFY,
	ACT_RESTORE,
	ACT_WRITE_SQL,
	ACT_ROW_HISTORY,
	ACT_NEXT_DATABASE,
	ACT_ALL_DATABASES,
};

/* Reactions an action returns; the loop acts on them once. */
enum {
	R_NONE = 0,
	R_REDRAW = 0x01,
	R_QUIT = 0x02,
	R_FOCUS_DETAIL = 0x04,
	R_LISTS = 0x10,		/* sessions or checkpoints changed */
	R_FOCUS_STREAM = 0x20,
};

struct key_binding {
	int		 key;		/* ncurses key code */
	const char	*name;		/* as help and the man page show it */
	const char	*context;	/* "global", "stream", "detail", ... */
	enum action	 action;
	const char	*help;
};

extern const struct key_binding key_table[];

/* The action bound to key in context (falling back to "global"). */
enum action	 keys_lookup(const char *context, int key);
const char	*keys_names(const struct key_binding *, char *, size_t);
/* The key table as the man page's KEYS section (mdoc) on stdout. */
void		 keys_print_mdoc(void);

struct ui;

/*
 * A pane reads what it shows in its hooks, never in draw: the loop calls
 * resize when layout gives it another size, update before each frame
 * (where one pane follows another), event when the app posts something
 * and action on a key; draw only paints what the pane holds.
 */
struct pane {
	const char	*name;		/* also the key context */
	const char	*title;
	void		*data;
	int		 y, x, h, w;	/* where layout put it */
	void		(*draw)(struct pane *, struct ui *, int, int, int, int,
			    int);
	int		(*action)(struct pane *, struct ui *, enum action);
	void		(*event)(struct pane *, struct ui *, unsigned);
	void		(*resize)(struct pane *, struct ui *, int h, int w);
	void		(*update)(struct pane *, struct ui *);
	void		(*free)(struct pane *);
};

struct history_pos;
struct diff;
struct diffview;
struct rowview;

struct ui;

/* What a prompt does with the line typed, and the arg given at its start. */
typedef void prompt_done_fn(struct ui *, const char *text, const char *arg);

/* A line typed at the bottom while the loop goes on (draw.c). */
struct prompt {
	int		 active;
	char		 label[96];
	char		 text[256];
	size_t		 len;
	char		 arg[64];
	prompt_done_fn	*done;
};

struct ui {
	struct app		*app;
	const struct config	*cfg;
	struct app_view		 view;
	char			 message[512];
	int			 message_error;
	struct pane		*panes[5];
	size_t			 npanes;
	size_t			 focus;
	struct pane		*stream, *detail, *checkpoints;
	int			 colors;
	struct diffview		*diffview;	/* open over the panes */
	struct rowview		*rowview;	/* open over the panes */
	struct prompt		 prompt;	/* takes the keys while active */
	int			 exit_status;
	int			 next_database;	/* D: leave for the next one */
	int			 quit;		/* end the loop at its next turn */

	/*
	 * First start on a source setup has not prepared (tui.c): what
	 * setup would do, a y/n, then setup itself, all in the one loop.
	 */
	enum { UI_OFFER_NONE, UI_OFFER_ASKING, UI_OFFER_SHOWING,
	    UI_OFFER_RUNNING, UI_OFFER_FAILED } offer;
	char			*offer_report;
	struct pgtt_err		 offer_err;

	/* r: plan, confirm, run (tui.c). */
	enum { UI_REPLAY_IDLE, UI_REPLAY_PLANNING, UI_REPLAY_CONFIRM,
	    UI_REPLAY_RUNNING }	 replay;
	pgtt_lsn		 replay_to;
	char			 replay_label[96];	/* "checkpoint B" */

	/* R: check, confirm, run (tui.c). */
	enum { UI_RESTORE_IDLE, UI_RESTORE_CONFIRM, UI_RESTORE_RUNNING }
				 restore;
	pgtt_lsn		 restore_to;
	char			 restore_label[96];
	int			 restore_force;	/* replace a previous restore */

	/*
	 * The confirm dialog's lines (one dialog is up at a time): the
	 * question first, a warning (or "") last.
	 */
	char			 dialog[5][1200];	/* a data directory fits */
};

/* Draw helpers (draw.c). */
enum ui_color {
	C_NORMAL,
	C_INSERT,
	C_UPDATE,
	C_DELETE,
	C_DDL,
	C_TITLE,
	C_ERROR,
	C_DIM,
};

void	 ui_colors_init(struct ui *);
attr_t	 ui_attr(const struct ui *, enum ui_color);
/* Text at y, x, at most w columns wide; UTF-8 aware; returns columns used. */
int	 ui_text(int, int, int, const char *, attr_t);
void	 ui_box(int, int, int, int, const char *title, int focused,
	    const struct ui *);
void	 ui_message(struct ui *, int error, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* Panes. */
struct pane	*pane_stream_new(void);
struct pane	*pane_detail_new(void);
struct pane	*pane_checkpoints_new(void);
struct pane	*pane_sessions_new(void);
struct pane	*pane_status_new(void);
/* The change the stream has selected, for the detail pane; NULL if none. */
const struct history_pos *pane_stream_selected(struct pane *);
/* Show the last changes before lsn, the last one selected; stop following. */
void	 pane_stream_goto(struct pane *, struct ui *, pgtt_lsn);
/* Esc while the stream searches back for a filter's match: 1 if stopped. */
int	 pane_stream_stop_search(struct pane *, struct ui *);
/* Where the selected change's transaction ends: "after this change". */
int	 pane_stream_selected_end(struct pane *, pgtt_lsn *);

/* The selected checkpoint; -1 when there is none. */
int	 pane_checkpoints_selected(struct pane *, pgtt_lsn *, const char **);
/* The two marked checkpoints' LSNs, in order; -1 unless two are marked. */
int	 pane_checkpoints_marked(struct pane *, pgtt_lsn *, pgtt_lsn *);

/*
 * One row's history over the panes (rowview.c), for the change at (lsn,
 * seq): rowview_request asks the worker, rowview_take opens the view on
 * APP_EV_ROWHIST (or says why not).  rowview_action returns 1 when it
 * closed; rowview_selected gives the selected version's commit LSN (the
 * baseline's for the row when capture began), where replay and restore
 * stop just before it.
 */
void	 rowview_request(struct ui *, pgtt_lsn, uint32_t seq);
void	 rowview_take(struct ui *);
void	 rowview_draw(struct ui *);
int	 rowview_action(struct ui *, enum action);
void	 rowview_close(struct ui *);
int	 rowview_selected(const struct rowview *, pgtt_lsn *);

/* The diff view (diffview.c): takes d; returns 1 when it closed. */
void	 diffview_open(struct ui *, struct diff *);
void	 diffview_draw(struct ui *);
int	 diffview_action(struct ui *, enum action);
void	 diffview_close(struct ui *);

/*
 * Ask for one line at the bottom of the screen: the keys go to it until
 * Enter, which calls done with the text and arg (copied now), or Esc,
 * which drops it.  Drawing, events and signals go on meanwhile.
 */
void	 ui_prompt(struct ui *, const char *label, const char *arg,
	    prompt_done_fn *done);
/* A key while the prompt is up; returns R_*. */
int	 ui_prompt_key(struct ui *, int ch);
/* The prompt's line, and the cursor at its end; last thing drawn. */
void	 ui_prompt_draw(struct ui *);

/* Entry: the TUI on cfg; returns the process exit status. */
/*
 * The TUI on cfg.  With source.databases, views holds every database's
 * config (cfg is views[self]), for the stream of them all; else NULL.
 */
int	 tui_run(const struct config *, const struct config *const *views,
	    size_t nviews, size_t self);
/*
 * What tui_run returns when the user asked for the next database of
 * source.databases: the caller runs it again on that database's view.
 */
#define TUI_NEXT_DATABASE	(-1)

/* The app's facts in the UI's words (draw.c). */
const char *ui_listener_word(enum app_listener);
/* "PostgreSQL 15.18, app as bob" when up, else why it is not. */
void	ui_db_text(char *, size_t, const struct app_db *);

/* Every pane's event hook, with the app's events ev (tui.c). */
void	 ui_broadcast(struct ui *, unsigned ev);

/*
 * What the TUI starts (work.c).  The setup offer is a mode of the loop
 * while ui->offer is set; ui_offer_key takes its keys.
 */
void	 ui_draw_offer(struct ui *);
void	 ui_offer_setup_done(struct ui *);
int	 ui_offer_key(struct ui *, int);
void	 ui_new_checkpoint(struct ui *);
void	 ui_new_session(struct ui *);
void	 ui_go_to_point(struct ui *);
void	 ui_start_replay_plan(struct ui *);
void	 ui_start_restore(struct ui *);
void	 ui_start_backup(struct ui *);
void	 ui_start_verify(struct ui *);
/* A job's outcome, when its APP_EV_* event comes. */
void	 ui_take_diff(struct ui *);
void	 ui_take_replay(struct ui *);
void	 ui_take_restore(struct ui *);
void	 ui_take_backup(struct ui *);
/* The keys of a confirmation or a running job: 1 when taken. */
int	 ui_replay_key(struct ui *, int);
int	 ui_restore_key(struct ui *, int);
/* Confirmation dialogs and progress lines over the panes. */
void	 ui_draw_work(struct ui *);

#endif
