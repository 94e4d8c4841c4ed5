/*
 * capture.h: what `listen` and the TUI both run to capture the source:
 * the listener, and with PITR on the WAL archiver beside it.
 */
#ifndef PGTT_CAPTURE_H
#define PGTT_CAPTURE_H

#include "archive.h"
#include "config.h"
#include "err.h"
#include "journal.h"
#include "listener.h"
#include "lsn.h"

struct capture_opts {
	const struct config	*cfg;
	struct journal		*journal;
	int			 stop_fd;	/* readable: stop both */
	pgtt_lsn		 until;		/* listener_opts.until */
	/* On the listener's thread, after each journal commit. */
	void			(*on_commit)(void *,
				    const struct listener_progress *);
	/* listener_opts.on_state; may be NULL. */
	void			(*on_state)(void *,
				    const struct listener_progress *);
	/* On the archiver's thread, each change of its state. */
	void			(*on_archiver)(void *,
				    const struct archiver_status *);
	/* When the archiver cannot run at all; may be NULL. */
	void			(*on_archiver_failed)(void *,
				    const struct pgtt_err *);
	void			*arg;
};

/*
 * Run the listener on this thread until stop_fd is readable or it fails
 * (listener_run), and with pitr.enabled and no until, the archiver on a
 * thread of its own, stopped and waited for before this returns.
 */
int	capture_run(const struct capture_opts *, struct listener_progress *,
	    struct pgtt_err *);

#endif
