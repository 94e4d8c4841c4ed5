/*
 * listener.h: the replication connection that streams pgoutput into the
 * journal.  Runs in the foreground (`pgtt --headless listen`) or on a
 * thread of the TUI; it keeps no global state, so each run builds its own.
 *
 * Durability contract: a position is confirmed to the server only after
 * the LMDB commit that holds everything before it.  Killed at any instant,
 * a restart loses nothing and stores nothing twice.
 */
#ifndef PGTT_LISTENER_H
#define PGTT_LISTENER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "journal.h"
#include "lsn.h"

enum listener_state {
	LISTENER_STARTING,
	LISTENER_STREAMING,
	LISTENER_RECONNECTING,	/* the connection failed: why says how */
	LISTENER_STOPPED,
};

struct listener_progress {
	pgtt_lsn	 flushed;	/* confirmed to the server */
	uint64_t	 transactions;	/* journaled by this run */
	uint64_t	 changes;
	pgtt_lsn	 server_end;	/* the newest WAL end the server sent */
	enum listener_state state;
	uint64_t	 restarts;	/* connections lost and made again */
	char		 why[256];	/* the last failure; "" for none */
};

struct listener_opts {
	const char	*dsn;
	const char	*slot;
	const char	*publication;
	struct journal	*journal;
	int		 stop_fd;	/* readable: flush, confirm, return 0 */
	pgtt_lsn	 until;		/* stop once confirmed here; 0 = never */
	int		 status_interval_ms;	/* default 10000 */
	size_t		 batch_bytes;	/* group commit bound; default 8 MiB */
	int		 batch_ms;	/* group commit bound; default 200 */
	int		 writer_nice;	/* nice levels the journal writer yields */
	/*
	 * Sample the source's sequences this often, over a connection of
	 * its own, and journal the sample when a value moved; 0 = never.
	 */
	int		 sequence_interval_ms;
	/* Called on the listener's thread after each journal commit. */
	void		(*on_commit)(void *, const struct listener_progress *);
	/*
	 * Called on the listener's thread at each change of state and each
	 * confirmation of an idle source's WAL end.  May be NULL.
	 */
	void		(*on_state)(void *, const struct listener_progress *);
	void		*arg;
};

/*
 * Stream until stop_fd becomes readable (returns 0) or a failure that a
 * reconnect cannot cure: the slot is missing or held by another process,
 * the journal cannot be written, the server sent bytes that do not decode.
 * Lost connections are retried with backoff, and the state is written to
 * the journal's meta for `status` to show.  progress may be NULL.
 */
int	listener_run(const struct listener_opts *, struct listener_progress *,
	    struct pgtt_err *);

/*
 * What the listener that last held the slot recorded in the journal, for
 * another process to read.
 */
struct listener_record {
	long		 pid;		/* 0: none recorded */
	char		*state;		/* "streaming", ...; NULL: none */
	char		*error;		/* NULL: none */
};

void	listener_record_read(struct journal *, struct listener_record *);
void	listener_record_done(struct listener_record *);
/* Its process is alive, and it did not record that it stopped. */
int	listener_record_running(const struct listener_record *);

#endif
