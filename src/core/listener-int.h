/*
 * listener-int.h: what the two halves of the listener share: the
 * connection (listener.c: the replication protocol, flushing and
 * confirming) and the ingest (listener-ingest.c: pgoutput events into the
 * write batch and the row index).
 */
#ifndef PGTT_LISTENER_INT_H
#define PGTT_LISTENER_INT_H

#include <libpq-fe.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "journal.h"
#include "listener.h"
#include "pgoutput.h"
#include "record.h"

struct ingest_rel {
	uint32_t	 relid;
	uint8_t		*enc;		/* encoding of the newest version */
	size_t		 len;
	uint8_t		*keys;		/* its row key (relation_row_key) */
	uint16_t	 ncols;
};

struct committer;

struct listener {
	struct listener_opts	 o;
	PGconn			*conn;
	struct pgo_decoder	*dec;
	struct jbatch		*batch;
	/*
	 * The commit in flight on the committer's thread: what it confirms
	 * once durable, and the counts it adds.  spare: the other batch,
	 * NULL while it is in flight.
	 */
	struct committer	*committer;
	struct jbatch		*spare;
	int			 in_flight;
	int			 flight_confirms;
	pgtt_lsn		 flight_confirm;
	uint64_t		 flight_txns, flight_changes;
	struct listener_progress progress;
	int			 fatal;		/* no reconnect can help */
	int			 held;		/* has streamed from the slot */
	int			 busy_tries;	/* slot held by another process */

	pgtt_lsn		 last_commit;	/* newest commit LSN journaled or batched */
	pgtt_lsn		 batch_end;	/* end LSN of the last whole txn batched */
	pgtt_lsn		 keepalive_end;	/* a WAL end not yet confirmable */
	uint64_t		 batch_txns, batch_changes;
	int64_t			 batch_started;	/* µs; 0 = batch empty */
	int64_t			 last_flush;	/* µs of the last journal commit */
	int64_t			 last_status;
	/*
	 * Reading in gulps (stream): how long to let the socket fill after a
	 * gulp, and what the current gulp has brought so far, in bytes as
	 * the kernel charges them.  The stream's bytes and messages give the
	 * mean message size that turns what the socket holds into that.
	 */
	int			 gulp_us;
	size_t			 gulp_cost;
	uint64_t		 stream_bytes, stream_msgs;
	long			 test_delay_us;	/* PGTT_TEST_INGEST_DELAY_US */

	PGconn			*plainconn;	/* listener_plain_conn */
	struct pgtt_seqsample	*last_sample;	/* the newest journaled */
	int64_t			 last_seq_try;	/* µs; 0 = at the first chance */

	int			 in_txn;
	int			 skip_txn;
	struct pgtt_txn		 txn;

	char			*ddl_prefix;	/* the capture's secret one */

	struct ingest_rel		*rels;
	size_t			 nrels;
	size_t			 rel_last;	/* index of the last one found */
	struct pgtt_col		*cols;		/* scratch: old then new */
	size_t			 cols_cap;
	struct buf		 enc;
	struct buf		 ident;		/* scratch: row identities */
};

static inline int64_t
listener_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * One decoded pgoutput message into the batch: transactions, rows (filed
 * in the row index), relation versions, truncates, messages and the
 * capture's DDL.  A resent transaction is skipped whole.  Sets l->fatal
 * when no reconnect can help.
 */
int	listener_ingest(struct listener *, const struct pgo_event *,
	    struct pgtt_err *);
/*
 * A plain connection to the source, made when first needed, for what the
 * replication protocol does not carry: sequence samples, row keys.  NULL,
 * with err, when it cannot be made; listener_plain_lost drops one that
 * failed so the next call connects again.
 */
PGconn	*listener_plain_conn(struct listener *, struct pgtt_err *);
void	 listener_plain_lost(struct listener *);
/*
 * Commit the batch and confirm what it covers (inside a transaction too:
 * a large one spans several commits).  Sets l->fatal when it fails.
 */
int	 listener_flush(struct listener *, struct pgtt_err *);

/*
 * The journal commits, on a thread of their own (listener-commit.c): one
 * batch in flight at most; committer_wait returns once it is durable (0)
 * or failed, and gives the batch back.
 */
struct committer *committer_new(struct journal *, int, struct pgtt_err *);
void	 committer_start(struct committer *, struct jbatch *);
int	 committer_fd(const struct committer *);
int	 committer_done(struct committer *);
int	 committer_wait(struct committer *, struct jbatch **,
	    struct pgtt_err *);
void	 committer_free(struct committer *);

#endif
