/*
 * restore.h: point-in-time restore of the whole source cluster into a new
 * data directory, from a base backup and the WAL archive, left running on
 * its own port.
 */
#ifndef PGTT_RESTORE_H
#define PGTT_RESTORE_H

#include <stdint.h>

#include "config.h"
#include "err.h"
#include "journal.h"
#include "lsn.h"
#include "verb.h"

/* The file that marks a data directory as a pgtt restore. */
#define RESTORE_MARKER	"pgtt_restore.json"

/* Its progress: the phase, and percent done of the whole restore. */
enum restore_phase {
	RESTORE_PHASE_CHECKING,		/* the target against the window */
	RESTORE_PHASE_STOPPING,		/* the previous restore there */
	RESTORE_PHASE_COPYING_BACKUP,
	RESTORE_PHASE_COPYING_WAL,
	RESTORE_PHASE_STARTING,
	RESTORE_PHASE_RECOVERING,	/* the server replays WAL */
	RESTORE_PHASE_DONE,
};

struct restore_opts {
	const char	*to;		/* a POINT (CLI.md) */
	const char	*data_dir;	/* NULL: pitr.restore_data_dir */
	int		 port;		/* 0: pitr.restore_port */
	int		 force;		/* replace a previous pgtt restore */
};

struct restore_result {
	pgtt_lsn	 target_lsn;	/* the point, as an LSN */
	int		 is_time;	/* the point was a timestamp */
	int64_t		 target_time;	/* then: µs since 2000-01-01 */
	char		 data_dir[1024];
	int		 port;
	int64_t		 elapsed_ms;
	char		 base_backup[64];
	char		 conninfo[1400];	/* to reach it; no password */
	char		 os_user[64];	/* the server runs as; "" = us */
	char		 note[512];	/* what pgtt chose on its own */
};

/*
 * Restore to opts->to: check that the point lies inside the recoverable
 * window (PGTT_EUSAGE naming the window if not), pick the newest base
 * backup that ends at or before it, copy it into the data directory
 * (absent or empty; a previous pgtt restore only with force), give it
 * the WAL it needs and the recovery settings (recovery_target_lsn, or
 * recovery_target_time for a timestamp, inclusive off, action promote),
 * start it as the server's OS user and wait until it accepts writes.
 */
int	restore_run(const struct verb_ctx *, const struct restore_opts *,
	    struct restore_result *, struct pgtt_err *);
/* "copying WAL", ...: a phase in words. */
const char *restore_phase_name(enum restore_phase);

/* What a data directory holds, as far as a restore into it goes. */
enum restore_dir {
	RESTORE_DIR_EMPTY,	/* absent or empty: a restore may use it */
	RESTORE_DIR_PREVIOUS,	/* a previous pgtt restore: only with force */
	RESTORE_DIR_FOREIGN,	/* anything else: never */
};
enum restore_dir restore_dir_state(const char *dir);

/* Stop the server of a pgtt restore in dir (pg_ctl stop -m fast). */
int	restore_stop(const struct config *, struct journal *, const char *dir,
	    struct pgtt_err *);

#endif
