/*
 * app.h: the running application behind the terminal UI.  It owns the
 * journal, the listener thread and a status thread, so the UI thread never
 * waits on the network: it polls app_wake_fd() and takes snapshots.
 *
 * Threads: app_* functions are called from the UI thread only.  The
 * listener and status threads reach the UI through a locked snapshot and
 * one byte on the wake-up pipe.
 */
#ifndef PGTT_APP_H
#define PGTT_APP_H

#include <stdint.h>

#include "config.h"
#include "err.h"
#include "journal.h"
#include "archive.h"
#include "lsn.h"
#include "replay.h"
#include "verb.h"

enum {
	APP_EV_JOURNAL = 0x01,	/* new transactions were journaled */
	APP_EV_STATUS = 0x02,	/* the status snapshot changed */
	APP_EV_MESSAGE = 0x04,	/* a message for the message line */
	APP_EV_SETUP = 0x08,	/* a setup run finished */
	APP_EV_DIFF = 0x10,	/* a diff finished */
	APP_EV_REPLAY = 0x20,	/* a replay (or its plan) finished */
	APP_EV_BACKUP = 0x40,	/* a base backup finished */
	APP_EV_RESTORE = 0x80,	/* a restore finished */
	APP_EV_SEARCH = 0x100,	/* a stream search finished */
	APP_EV_ROWHIST = 0x200,	/* a row's history was read */
};

/* Where the capture stands, as the status thread last saw it. */
enum app_listener {
	APP_LISTENER_STOPPED,	/* no journal yet */
	APP_LISTENER_STARTING,
	APP_LISTENER_STREAMING,
	APP_LISTENER_RECONNECTING,	/* lost the source; retrying */
	APP_LISTENER_EXTERNAL,	/* another process holds the slot */
	APP_LISTENER_FAILED,	/* stopped on an error: listener_error */
};

/* How the last replay of this run ended. */
enum app_replay_end {
	APP_REPLAY_NONE,	/* none ran */
	APP_REPLAY_DONE,
	APP_REPLAY_STOPPED,	/* cancelled */
	APP_REPLAY_FAILED,
};

/* A database as the status probe found it. */
struct app_db {
	int		 up;
	char		 version[32];	/* "15.18": the server's number */
	char		 database[64];
	char		 user[64];
	char		 error[256];	/* why it is not up */
};

/*
 * Everything the status pane shows, as facts: the UI puts them in words.
 * Plain arrays so it copies whole.
 */
struct app_view {
	struct app_db	 source;
	int		 replica_configured;
	struct app_db	 replica;
	int		 slot_exists;
	int		 slot_active;
	int		 slot_lost;	/* the server removed WAL it needs */
	int64_t		 lag_bytes;
	char		 wal_status[16];	/* the server's word, or "" */
	int		 publication_tables;
	int		 ddl_capture;
	char		 capture_gaps[256];	/* tables not captured whole */
	enum app_listener listener;
	char		 listener_error[256];
	uint64_t	 transactions;	/* in the journal */
	uint64_t	 changes;
	uint64_t	 journal_bytes;
	/* retention.journal_warn passed, a disk nearly full (prune.h). */
	size_t		 nwarnings;
	char		 warnings[2][200];
	pgtt_lsn	 flushed;	/* the listener's confirmed position */
	int		 archive_enabled;	/* pitr.enabled */
	enum archiver_state archive;	/* pg_receivewal */
	unsigned	 archive_restarts;
	char		 archive_error[256];
	pgtt_lsn	 window_from;	/* recoverable window; 0: empty */
	pgtt_lsn	 window_to;
	char		 window_note[128];	/* why it is empty */
	int		 status_known;	/* the first probe has come back */
	/* Where each running verb is; the UI puts it in words. */
	struct verb_progress progress[VERB_COUNT];
	int		 replay_active;	/* a replay is running */
	enum app_replay_end replay_end;	/* the last one, stopped at: */
	pgtt_lsn	 replay_at;
	int		 backup_active;	/* a base backup is being taken */
	int		 restore_active;	/* a restore is running */
	pgtt_lsn	 restored_lsn;	/* the last restore; 0: none */
	int		 restored_port;
	char		 restored_conninfo[256];	/* how to reach it */
	int		 search_active;	/* a stream search is running */
	uint64_t	 search_examined;	/* changes looked at so far */
	int		 verify_active;	/* a verify is running */
};

/* A line for the message line; error says how to show it. */
struct app_message {
	int		 error;
	char		 text[512];
};

struct app;

/*
 * Open the journal of cfg (PGTT_ENOTFOUND when setup has not run: the UI
 * then offers app_setup) and start the status thread, which starts the
 * listener once it knows the slot is free.
 */
int	 app_open(struct app **, const struct config *, struct pgtt_err *);
void	 app_close(struct app *);
/* Readable when app_take_events has something. */
int	 app_wake_fd(const struct app *);
/* Drain the wake-up pipe; copy the snapshot and the pending message. */
unsigned app_take_events(struct app *, struct app_view *,
	    struct app_message *);
/* The journal, for core read functions (history, checkpoints). */
struct journal *app_journal(struct app *);
/*
 * With source.databases: the journals of every database (views[i], this
 * app's at self), the others opened read-only, for a stream that shows
 * them all.  One that cannot be opened is left out.  Once, after
 * app_open.
 */
void	 app_open_cluster(struct app *, const struct config *const *views,
	    size_t n, size_t self);
/*
 * Up to max journals of app_open_cluster that are open, in the config's
 * order, with their databases' names; *self is this app's index.  0
 * without app_open_cluster.
 */
size_t	 app_cluster(struct app *, struct journal **, const char **names,
	    size_t max, size_t *self);
/*
 * A checkpoint named name at at (an LSN, no source asked) in every
 * database's journal, each in its active session, as `checkpoint
 * create` without -d makes it; *out is this database's (free() it).
 */
int	 app_checkpoint_all(struct app *, const char *name, const char *at,
	    struct pgtt_checkpoint **, struct pgtt_err *);
/* Does app_open_cluster hold several databases? */
int	 app_has_cluster(struct app *);

/*
 * Run setup in a worker: dry_run lists what it would create (text lines
 * in *report once APP_EV_SETUP arrives); a real run also opens the journal
 * and starts capture.  app_setup_result hands the report over (malloc'd).
 */
void	 app_setup(struct app *, int dry_run);
int	 app_setup_result(struct app *, char **report, struct pgtt_err *);
struct diff;
/*
 * Fold the changes in [from, to) in a worker (a wide window takes a
 * while); APP_EV_DIFF says when app_diff_result has it (diff_free it).
 */
void	 app_diff(struct app *, pgtt_lsn from, pgtt_lsn to);
int	 app_diff_result(struct app *, struct diff **, struct pgtt_err *);
struct history_filter;
struct history_pos;
/*
 * Search back from `from` for the newest change the filter keeps, in a
 * worker, as far as it takes: the stream says "nothing matches" only once
 * the start of history has said so.  The changes examined show in the
 * view; a new search stops the one running.  APP_EV_SEARCH says
 * app_search_result has the outcome: 1 with *found, 0 for none,
 * PGTT_ESTOPPED when stopped, or an error; *gen says which search it
 * is, as app_search numbered it (an event may come from one replaced
 * since).
 */
unsigned app_search(struct app *, const struct history_filter *,
	    const struct history_pos *from);
void	 app_search_cancel(struct app *);
int	 app_search_result(struct app *, struct history_pos *found,
	    struct pgtt_err *, unsigned *gen);
struct rowhist_list;
/*
 * Read the history of the row the change at (lsn, seq) touched, from the
 * baseline on, in a worker (the baseline is read with pg_restore);
 * APP_EV_ROWHIST says when app_rowhist_result has it (rowhist_list_free
 * and free it).  The newest request's is the one kept.
 */
void	 app_rowhist(struct app *, pgtt_lsn, uint32_t seq);
int	 app_rowhist_result(struct app *, struct rowhist_list **,
	    struct pgtt_err *);
struct replay_result;
/*
 * Replay the replica to `to` in a worker, or only plan it (dry_run).
 * Progress shows in the view; APP_EV_REPLAY says when app_replay_result
 * has the outcome (replay_result_done it).  -1 when one is running.
 */
int	 app_replay(struct app *, pgtt_lsn to, int dry_run);
/* Stop the running replay at its next transaction boundary. */
void	 app_replay_cancel(struct app *);
int	 app_replay_result(struct app *, struct replay_result *,
	    struct pgtt_err *);
struct backup_info;
/*
 * Take a base backup in a worker; progress shows in the view, and the
 * window is read again before APP_EV_BACKUP says app_backup_result has
 * the outcome.  -1 when one is running or there is no journal.
 */
int	 app_backup(struct app *);
int	 app_backup_result(struct app *, struct backup_info *,
	    struct pgtt_err *);

/* What a restore to a point would do, for the UI to ask about. */
struct app_restore_plan {
	char		 data_dir[1024];
	int		 port;
	char		 base_backup[64];	/* the newest ending before it */
	pgtt_lsn	 backup_end;
	int		 replaces;	/* the data directory holds a previous
					   pgtt restore: it is stopped and
					   replaced (force) */
};
/*
 * Check a restore to `to` against the window the view last saw, the
 * recorded backups and the data directory, without running anything
 * (quick: a journal read and a stat).  PGTT_EUSAGE or PGTT_ENOTFOUND
 * with the reason when it cannot work.
 */
int	 app_restore_check(struct app *, pgtt_lsn to, struct app_restore_plan *,
	    struct pgtt_err *);
struct restore_result;
/*
 * Restore a new cluster to `to` in a worker, replacing a previous pgtt
 * restore only with force; progress shows in the view, APP_EV_RESTORE
 * says when app_restore_result has the outcome.  It cannot be stopped.
 * -1 when one is running or there is no journal.
 */
int	 app_restore(struct app *, pgtt_lsn to, int force);
int	 app_restore_result(struct app *, struct restore_result *,
	    struct pgtt_err *);
/*
 * Verify at `to` in the worker (verify.h): replay the session's replica
 * and restore a scratch cluster there, and compare them.  Its step shows
 * in the view; the outcome comes as a message.  -1 when one is running,
 * a replay or restore is, or there is no journal.
 */
int	 app_verify(struct app *, pgtt_lsn to);
/* Open a journal created since app_open (after a real setup). */
int	 app_has_journal(struct app *);

#endif
