/*
 * archive.h: the WAL archive.  pg_receivewal, supervised by pgtt, streams
 * the source's WAL through the physical slot <source.slot>_wal into
 * pitr.archive_dir; together with the base backups it makes the
 * recoverable window: the points a restore can reach.
 */
#ifndef PGTT_ARCHIVE_H
#define PGTT_ARCHIVE_H

#include <stdint.h>

#include "config.h"
#include "err.h"
#include "journal.h"
#include "lsn.h"

enum archiver_state {
	ARCHIVER_STOPPED,
	ARCHIVER_STARTING,
	ARCHIVER_STREAMING,
	ARCHIVER_RESTARTING,	/* pg_receivewal died; waiting to restart */
};

struct archiver_status {
	enum archiver_state	 state;
	long			 pid;		/* the supervising pgtt */
	long			 receiver_pid;	/* pg_receivewal, 0: none */
	unsigned		 restarts;
	char			 error[256];	/* why it last stopped */
};

struct archiver_opts {
	const struct config	*cfg;
	int			 major;		/* source major, for bindir */
	int			 stop_fd;	/* readable: stop and return 0 */
	/* Each change of state; called from the archiver's thread. */
	void			(*on_state)(void *arg,
				    const struct archiver_status *);
	void			*arg;
};

/*
 * Run pg_receivewal --synchronous --no-loop into the archive and keep it
 * running: when it dies it is started again after a back-off (1 s,
 * doubling to 30 s; reset once it ran 30 s).  Its state is also written
 * to <storage.path>/archiver.state for `status` in other processes.
 * Returns 0 once stop_fd is readable and pg_receivewal has stopped (it
 * flushes what it received); fails only when it cannot start at all.
 */
int	archiver_run(const struct archiver_opts *, struct pgtt_err *);

/* The state file as the running archiver left it; stale ones read as stopped. */
void	archiver_status_read(const struct config *, struct archiver_status *);
const char *archiver_state_name(enum archiver_state);

struct pitr_window {
	size_t		 backups;
	pgtt_lsn	 earliest;	/* oldest backup's end LSN; 0: none */
	pgtt_lsn	 latest;	/* start of the last complete WAL record
					   in the unbroken archive from the
					   oldest backup on; 0: none */
	uint32_t	 timeline;
	uint64_t	 segments;	/* in the unbroken run */
	char		 newest_segment[40];	/* its last file's name */
	char		 note[256];	/* why the window is empty */
};

/*
 * The recoverable window from the journal's backups and the archive
 * directory: a restore to P works when earliest <= P <= latest.  latest
 * is found with pg_waldump (a complete record must start at or after a
 * target for recovery to stop there).  An empty window is not an error:
 * latest or earliest is 0 and note says why.
 */
int	archive_window(const struct config *, struct journal *,
	    struct pitr_window *, struct pgtt_err *);
struct backup_info;
/*
 * The same, handing over the backups it was read from (oldest end LSN
 * first, as backup_list gives them; free(*bs)): one look at pgBackRest
 * for both.
 */
int	archive_window_list(const struct config *, struct journal *,
	    struct pitr_window *, struct backup_info **bs, size_t *n,
	    struct pgtt_err *);

/*
 * A scratch directory (under storage.path) in which pg_waldump sees the
 * archive's unbroken run of timeline tli from segment from on, the
 * .partial one under its final name.  PGTT_ENOTFOUND if the archive has
 * no segment from there.  archive_probe_done removes and frees it.
 */
int	archive_probe_dir(const struct config *, uint32_t tli,
	    uint32_t seg_size, uint64_t from, char **dir, struct pgtt_err *);
void	archive_probe_done(char *dir);

/*
 * With the WAL of timeline tli in dir (final names only): the LSN of the
 * first complete record that starts at or after lsn, in *found.
 * PGTT_ENOTFOUND when there is none.
 */
int	archive_record_after(const struct config *, int major, const char *dir,
	    uint32_t tli, uint32_t seg_size, pgtt_lsn lsn, pgtt_lsn *found,
	    struct pgtt_err *);

#endif
