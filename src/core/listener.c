/*
 * listener.c: pgoutput over a replication connection into the journal,
 * written after PostgreSQL's receivelog.c and pg_recvlogical.c.  This is
 * the connection half: the protocol, group commits and confirmations;
 * listener-ingest.c turns each decoded message into journal records.
 *
 * Model.  pgoutput sends each committed transaction whole, Begin to
 * Commit, in commit order, and Begin already names the commit record's
 * LSN.  So a change is keyed (commit LSN, sequence) the moment it arrives
 * and goes into the current write batch; a transaction larger than a batch
 * simply spans several LMDB commits, and memory stays bounded.  A
 * transaction exists for readers only once its `txn` record is written, at
 * Commit, together with meta "confirmed_lsn" = its end LSN.
 *
 * Invariants.  `flushed` (what the server is told) never passes what an
 * LMDB commit made durable.  A keepalive's WAL end is confirmed only when
 * nothing received is still pending, as PostgreSQL's own apply worker
 * does, so an idle database does not pin WAL and no data is skipped.
 * Delivery is at least once: a Begin whose commit LSN is not newer than
 * the newest journaled commit is a resend and is skipped whole; a resent
 * transaction that was only partly written is rewritten under the same
 * keys, since sequence numbers follow the server's order.
 */
#include <sys/ioctl.h>
#include <sys/select.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "listener-int.h"
#include "logfile.h"
#include "ident.h"
#include "pg.h"
#include "setup.h"
#include "source.h"
#include "pgoutput.h"
#include "pgtime.h"
#include "record.h"
#include "seqsample.h"
#include "xmalloc.h"

#define BACKOFF_MIN_MS		500
#define BACKOFF_MAX_MS		30000
#define BUSY_TRIES		5	/* ~15 s of backoff for a held slot */
/*
 * A dry socket is not always an idle source: while draining a backlog the
 * listener outruns the walsender and finds the socket empty between its
 * messages.  Committing at each of those moments would pay an fsync per
 * handful of rows, so after a commit the next dry-socket commit waits
 * this long for more to arrive.  After an idle spell it commits at once.
 * At 20 ms a drain made ~40 commits a second, each with two fsyncs and
 * a fresh copy of every tree's right edge, and drained ~5% slower.
 */
#define DRY_FLUSH_GAP_US	100000
/*
 * While a backlog drains, the walsender writes each message to the socket
 * as it decodes it, and a reader that wakes for every few messages makes
 * both sides pay a wakeup per handful: the walsender in its send, the
 * reader in poll and recv.  So while the source flows (a gulp of at least
 * GULP_FLOW), the reader sleeps a little before each read to let the
 * socket gather more, never so long that it fills: a full socket stops
 * the walsender until the reader has emptied most of it.  A unix socket
 * charges its send buffer (212,992 bytes by default) about GULP_MSG_COST
 * bytes per small write beyond the data, so what the socket holds after a
 * sleep is counted that way: at GULP_FULL the next sleep halves, below
 * half of it the sleep grows, up to GULP_MAX_US.  A trickle stops it.
 */
#define GULP_MSG_COST		640
#define GULP_FLOW		(16 * GULP_MSG_COST)
#define GULP_FULL		(96 * 1024)
#define GULP_START_US		20
#define GULP_MAX_US		2000

static void
put_be64(uint8_t *p, uint64_t v)
{
	int	i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
get_be64(const uint8_t *p)
{
	uint64_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* The one place that tells the server how far we are (receivelog.c). */
static int
send_status(struct listener *l, int reply_requested, struct pgtt_err *err)
{
	uint8_t	msg[1 + 8 * 4 + 1];

	/*
	 * write = flush: the walsender sends a keepalive only while our
	 * write position lags its own, and that keepalive is what lets an
	 * idle source's position be confirmed.
	 */
	msg[0] = 'r';
	put_be64(msg + 1, l->progress.flushed);
	put_be64(msg + 9, l->progress.flushed);
	put_be64(msg + 17, l->progress.flushed);
	put_be64(msg + 25, (uint64_t)pgtime_now());
	msg[33] = reply_requested ? 1 : 0;
	if (PQputCopyData(l->conn, (const char *)msg, sizeof msg) <= 0 ||
	    PQflush(l->conn) != 0) {
		return err_set(err, PGTT_EDB, "could not send status to the "
		    "source: %s", PQerrorMessage(l->conn));
	}
	l->last_status = listener_now_us();
	return 0;
}

/*
 * Record the listener's state for `status`, in the next journal commit.
 * Only a listener that has held the slot speaks for it: one refused
 * because another holds it must not overwrite that one's state.
 */
static void
put_state(struct listener *l, enum listener_state state, const char *why)
{
	static const char *const names[] = {
		[LISTENER_STARTING] = "starting",
		[LISTENER_STREAMING] = "streaming",
		[LISTENER_RECONNECTING] = "reconnecting",
		[LISTENER_STOPPED] = "stopped",
	};
	char	pid[16], beat[24];

	l->progress.state = state;
	snprintf(l->progress.why, sizeof l->progress.why, "%s",
	    why != NULL ? why : "");
	if (l->o.on_state != NULL)
		l->o.on_state(l->o.arg, &l->progress);
	if (!l->held)
		return;
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	snprintf(beat, sizeof beat, "%lld", (long long)pgtime_now());
	jbatch_put_meta(l->batch, "listener_pid", pid);
	jbatch_put_meta(l->batch, "listener_state", names[state]);
	jbatch_put_meta(l->batch, "listener_error", why != NULL ? why : "");
	jbatch_put_meta(l->batch, "listener_heartbeat", beat);
}

/*
 * Wait for the commit in flight, if any, then confirm what it made
 * durable.
 */
static int
flush_finish(struct listener *l, struct pgtt_err *err)
{
	if (!l->in_flight)
		return 0;
	l->in_flight = 0;
	if (committer_wait(l->committer, &l->spare, err) != 0) {
		l->fatal = 1;
		return err->code;
	}
	l->last_flush = listener_now_us();
	l->progress.transactions += l->flight_txns;
	l->progress.changes += l->flight_changes;
	if (l->flight_confirms) {
		l->progress.flushed = l->flight_confirm;
		if (l->conn != NULL && send_status(l, 0, err) != 0)
			return err->code;
	}
	if (l->o.on_commit != NULL)
		l->o.on_commit(l->o.arg, &l->progress);
	return 0;
}

/*
 * Hand the batch to the committer, once the one before it is durable and
 * confirmed, and go on with the spare batch: the connection reads and
 * decodes while the commit waits for the disk.
 */
static int
flush_start(struct listener *l, struct pgtt_err *err)
{
	struct jbatch	*b;
	pgtt_lsn	 confirm;

	if (flush_finish(l, err) != 0)
		return err->code;
	/* An empty batch still carries a keepalive's WAL end to confirm. */
	if (jbatch_count(l->batch) == 0 && (l->in_txn ||
	    l->keepalive_end <= l->progress.flushed)) {
		l->batch_started = 0;	/* nothing pending to wake up for */
		return 0;
	}
	confirm = l->batch_end;
	/* A keepalive that came while work was pending: its turn now. */
	if (!l->in_txn && l->keepalive_end > confirm)
		confirm = l->keepalive_end;
	/* The journal must say it covers what the server is told. */
	l->flight_confirms = confirm > l->progress.flushed;
	if (l->flight_confirms)
		jbatch_put_meta_lsn(l->batch, "confirmed_lsn", confirm);
	l->flight_confirm = confirm;
	l->flight_txns = l->batch_txns;
	l->flight_changes = l->batch_changes;
	l->batch_txns = l->batch_changes = 0;
	l->batch_started = 0;
	b = l->batch;
	l->batch = l->spare;
	l->spare = NULL;
	l->in_flight = 1;
	committer_start(l->committer, b);
	return 0;
}

/*
 * Make the batch durable, then confirm what it covers.  Called before
 * confirming a keepalive, on the way out, and by the ingest before it
 * reads what the journal holds; the group-commit bounds only start one.
 */
int
listener_flush(struct listener *l, struct pgtt_err *err)
{
	if (flush_start(l, err) != 0)
		return err->code;
	return flush_finish(l, err);
}

/* One CopyData message from the walsender. */
static int
on_copy_data(struct listener *l, const uint8_t *buf, size_t len,
    struct pgtt_err *err)
{
	struct pgo_event	ev;
	pgtt_lsn		wal_end;
	int			confirmable;

	if (len >= 25 && buf[0] == 'w') {
		if ((wal_end = get_be64(buf + 9)) > l->progress.server_end)
			l->progress.server_end = wal_end;
		if (pgo_decode(l->dec, buf + 25, len - 25, &ev, err) != 0) {
			l->fatal = 1;
			return err->code;
		}
		return listener_ingest(l, &ev, err);
	}
	if (len >= 18 && buf[0] == 'k') {
		/*
		 * Only a keepalive that may be confirmed, everything received
		 * being durable, waits for the commit in flight (all there is
		 * to confirm may be in it); inside a transaction or beside
		 * pending rows it just records its end, so a backlog's
		 * keepalives do not undo the overlap.
		 */
		confirmable = !l->in_txn && jbatch_count(l->batch) == 0;
		if (confirmable && flush_finish(l, err) != 0)
			return err->code;
		wal_end = get_be64(buf + 1);
		if (wal_end > l->progress.server_end)
			l->progress.server_end = wal_end;
		if (confirmable && wal_end > l->progress.flushed) {
			/*
			 * While a backlog drains, a keepalive follows nearly
			 * every commit, and a commit of its own for each would
			 * double the fsyncs: one that comes soon after a commit
			 * waits for the next flush, DRY_FLUSH_GAP_US away.
			 */
			if (listener_now_us() - l->last_flush <
			    DRY_FLUSH_GAP_US) {
				if (wal_end > l->keepalive_end)
					l->keepalive_end = wal_end;
				if (l->batch_started == 0)
					l->batch_started = listener_now_us();
				return buf[17] ? send_status(l, 0, err) : 0;
			}
			/*
			 * Else at once, so an idle or filtered database does
			 * not make the slot hold WAL back; the walsender sends
			 * such keepalives only while our position lags.  The
			 * journal says how far it covers too: a point taken
			 * while the source was idle is replayable once the
			 * listener has confirmed past it.
			 */
			jbatch_put_meta_lsn(l->batch, "confirmed_lsn", wal_end);
			if (journal_commit(l->o.journal, l->batch, err) != 0 ||
			    journal_check_on_disk(l->o.journal, err) != 0) {
				l->fatal = 1;
				return err->code;
			}
			l->last_flush = listener_now_us();
			l->progress.flushed = wal_end;
			l->batch_started = 0;	/* a deferred keepalive too */
			if (l->o.on_state != NULL)
				l->o.on_state(l->o.arg, &l->progress);
			return send_status(l, 0, err);
		}
		if (wal_end > l->keepalive_end)
			l->keepalive_end = wal_end;
		if (buf[17])
			return send_status(l, 0, err);
		return 0;
	}
	l->fatal = 1;
	return err_set(err, PGTT_ECORRUPT, "unexpected replication message "
	    "'%c' of %zu bytes", len > 0 ? buf[0] : '?', len);
}

/*
 * A history whose slot is gone, or was made again, cannot go on: what
 * happened in between was decoded by no slot this journal followed.
 */

/*
 * The slot must not be confirmed past the journal: it is when it was
 * dropped and made again under the same name (its consistent point comes
 * after the journal's end), or when another program consumed it.  The
 * server would start the stream at its own position and the changes in
 * between would be missing from the history without a word.
 */
static int
check_slot_continues(struct listener *l, pgtt_lsn journal_lsn,
    struct pgtt_err *err)
{
	PGresult	*res;
	pgtt_lsn	 slot_lsn;
	char		*lit, *sql, a[LSN_BUFSIZE], b[LSN_BUFSIZE];

	/* A walsender takes simple queries only: no parameters. */
	lit = sql_literal(l->o.slot);
	xasprintf(&sql, "SELECT confirmed_flush_lsn, active FROM "
	    "pg_catalog.pg_replication_slots WHERE slot_name = %s", lit);
	free(lit);
	res = PQexec(l->conn, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		err_set(err, PGTT_EDB, "could not read slot \"%s\" on the "
		    "source", l->o.slot);
		err_detail(err, "%s", PQerrorMessage(l->conn));
		PQclear(res);
		return err->code;
	}
	slot_lsn = PQntuples(res) == 1 ? pg_lsn(res, 0, 0) : LSN_INVALID;
	/*
	 * A slot in use is another listener's, which confirms past what we
	 * read of the journal: START_REPLICATION says it is busy.
	 */
	if (PQntuples(res) == 1 && pg_bool(res, 0, 1))
		slot_lsn = LSN_INVALID;
	PQclear(res);
	if (slot_lsn == LSN_INVALID || slot_lsn <= journal_lsn)
		return 0;	/* a missing slot: START_REPLICATION says so */
	l->fatal = 1;
	err_set(err, PGTT_EJOURNAL, "slot \"%s\" stands at %s, past the "
	    "journal's %s: it was dropped and made again, or another program "
	    "consumed it, and what the source committed between the two is "
	    "not in the history", l->o.slot, lsn_format(slot_lsn, a),
	    lsn_format(journal_lsn, b));
	err_hint(err, "%s", NEW_BASELINE_HINT);
	return err->code;
}

/* Open the replication stream at the journal's confirmed position. */
/*
 * The publication, and the insert-only one for tables without a usable
 * replica identity where setup made it (a journal set up by an older
 * pgtt has none): quoted, comma-separated, as pgoutput takes them.
 */
static char *
publication_names(struct listener *l)
{
	char		*inserts, *lit, *sql, *names, *q1, *q2;
	PGresult	*res;
	int		 has_inserts;

	inserts = source_inserts_publication(l->o.publication);
	lit = sql_literal(inserts);
	xasprintf(&sql, "SELECT 1 FROM pg_catalog.pg_publication WHERE "
	    "pubname = %s", lit);
	free(lit);
	res = PQexec(l->conn, sql);
	free(sql);
	has_inserts = PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1;
	PQclear(res);
	q1 = ident_quoted(l->o.publication);
	if (!has_inserts) {
		free(inserts);
		return q1;
	}
	q2 = ident_quoted(inserts);
	free(inserts);
	xasprintf(&names, "%s,%s", q1, q2);
	free(q1);
	free(q2);
	return names;
}

static int
start_stream(struct listener *l, struct pgtt_err *err)
{
	static const char *const output_settings[] = {
		"SET DateStyle = 'ISO, YMD'",
		"SET IntervalStyle = 'postgres'",
		"SET extra_float_digits = 3",
		"SET bytea_output = 'hex'",
		"SET TimeZone = 'UTC'",
		"SET lc_monetary = 'C'",
	};
	PGresult	*res;
	size_t		 i;
	pgtt_lsn	 start;
	char		*sql, *pubident, *publit, lsnbuf[LSN_BUFSIZE];
	const char	*state;

	if (journal_meta_get_lsn(l->o.journal, "confirmed_lsn", &start,
	    err) != 0) {
		l->fatal = 1;
		err_hint(err, "run \"pgtt --headless setup\" first");
		return err->code;
	}
	if (l->ddl_prefix == NULL) {
		struct pgtt_err	 none;

		if (journal_meta_get(l->o.journal, "ddl_prefix",
		    &l->ddl_prefix, &none) != 0)
			log_msg(LOG_LEVEL_WARNING, "the journal holds no DDL "
			    "prefix: DDL is not journaled until setup is run "
			    "again with this pgtt");
	}
	if ((l->conn = pg_connect(l->o.dsn, "source", 1, err)) == NULL)
		return err->code;
	/*
	 * pgoutput prints values with the walsender's settings, which the
	 * server's configuration may make ambiguous ('SQL, DMY' dates) or
	 * lossy (extra_float_digits = 0): the journal's text must read back
	 * the same on any replica.
	 */
	for (i = 0; i < sizeof output_settings / sizeof output_settings[0];
	    i++) {
		res = PQexec(l->conn, output_settings[i]);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			err_set(err, PGTT_EDB, "could not set up the "
			    "replication connection");
			err_detail(err, "%s: %s", output_settings[i],
			    PQerrorMessage(l->conn));
			PQclear(res);
			return err->code;
		}
		PQclear(res);
	}

	if (check_slot_continues(l, start, err) != 0)
		return err->code;
	pubident = publication_names(l);
	publit = sql_literal(pubident);
	xasprintf(&sql, "START_REPLICATION SLOT \"%s\" LOGICAL %s "
	    "(proto_version '1', publication_names %s%s)", l->o.slot,
	    lsn_format(start, lsnbuf), publit,
	    PQserverVersion(l->conn) >= 140000 ? ", messages 'true'" : "");
	free(pubident);
	free(publit);
	res = PQexec(l->conn, sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_COPY_BOTH) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		err_set(err, PGTT_EDB, "could not start replication from slot "
		    "\"%s\"", l->o.slot);
		err_detail(err, "%s", PQerrorMessage(l->conn));
		/*
		 * A missing slot is not cured by reconnecting.  A busy one may
		 * be: a killed listener's walsender lets go of it only once it
		 * notices, so try a few times before giving up.
		 */
		if (state != NULL && strcmp(state, "42704") == 0) {
			l->fatal = 1;
			err_hint(err, "%s", NEW_BASELINE_HINT);
		} else if (state != NULL && strcmp(state, "55000") == 0) {
			/* Invalidated: the WAL it needed is gone for good. */
			l->fatal = 1;
			err_hint(err, "the slot can no longer be used: %s",
			    NEW_BASELINE_HINT);
		} else if (state != NULL && strcmp(state, "55006") == 0 &&
		    ++l->busy_tries > BUSY_TRIES) {
			l->fatal = 1;
			err_hint(err, "another process streams from this slot: "
			    "stop it, or read the journal it writes");
		}
		PQclear(res);
		return err->code;
	}
	PQclear(res);
	l->busy_tries = 0;
	l->batch_end = start;
	if (start > l->progress.flushed)
		l->progress.flushed = start;
	l->keepalive_end = LSN_INVALID;
	l->in_txn = l->skip_txn = 0;
	log_msg(LOG_LEVEL_INFO, "streaming from slot \"%s\" at %s", l->o.slot,
	    lsnbuf);
	l->held = 1;
	put_state(l, LISTENER_STREAMING, NULL);
	return send_status(l, 0, err);
}

/* Milliseconds until the next deadline: status update or batch bound. */
static int
next_timeout(const struct listener *l)
{
	int64_t	now = listener_now_us(), wait, b;

	wait = l->last_status + (int64_t)l->o.status_interval_ms * 1000 - now;
	if (l->o.sequence_interval_ms > 0 && !l->in_txn) {
		b = l->last_seq_try + (int64_t)l->o.sequence_interval_ms *
		    1000 - now;
		if (b < wait)
			wait = b;
	}
	/* A commit in flight wakes the poll when it ends; the bounds wait. */
	if (l->batch_started != 0 && !l->in_flight) {
		b = l->batch_started + (int64_t)l->o.batch_ms * 1000 - now;
		if (b < wait)
			wait = b;
		/* Inside a transaction the dry flush does not run: no spin. */
		b = l->last_flush + DRY_FLUSH_GAP_US - now;
		if (!l->in_txn && b < wait)
			wait = b;
	}
	return wait <= 0 ? 0 : (int)(wait / 1000) + 1;
}

/* With --until: is everything up to the target durable and confirmed? */
static int
reached_until(const struct listener *l)
{
	return l->o.until != LSN_INVALID && l->progress.flushed >= l->o.until;
}

PGconn *
listener_plain_conn(struct listener *l, struct pgtt_err *err)
{
	if (l->plainconn == NULL)
		l->plainconn = pg_connect(l->o.dsn, "source", 0, err);
	return l->plainconn;
}

void
listener_plain_lost(struct listener *l)
{
	if (l->plainconn != NULL)
		PQfinish(l->plainconn);
	l->plainconn = NULL;
}

/*
 * Sample the source's sequences when it is time, and journal the sample
 * when a value moved since the last one.  A failure costs only this
 * sample: it is logged, and the next try opens a new connection.  The
 * sample commits on its own; the batch of changes is not touched.
 */
static int
sample_sequences(struct listener *l, struct pgtt_err *fatal)
{
	struct pgtt_seqsample	*smp = NULL;
	struct jbatch		*b;
	struct pgtt_err		 err;

	if (l->o.sequence_interval_ms <= 0 || (l->last_seq_try != 0 &&
	    listener_now_us() - l->last_seq_try <
	    (int64_t)l->o.sequence_interval_ms * 1000))
		return 0;
	l->last_seq_try = listener_now_us();
	err_clear(&err);
	if (listener_plain_conn(l, &err) == NULL)
		goto failed;
	if (seqsample_read(l->plainconn, &smp, &err) != 0) {
		listener_plain_lost(l);
		goto failed;
	}
	if (seqsample_same_values(smp, l->last_sample)) {
		free(smp);
		return 0;
	}
	/* One writer at a time, in order. */
	if (flush_finish(l, fatal) != 0) {
		free(smp);
		return fatal->code;
	}
	b = jbatch_new();
	jbatch_put_seqsample(b, smp);
	if (journal_commit(l->o.journal, b, fatal) != 0) {
		jbatch_free(b);
		free(smp);
		l->fatal = 1;
		return fatal->code;
	}
	jbatch_free(b);
	free(l->last_sample);
	l->last_sample = smp;
	return 0;
failed:
	log_msg(LOG_LEVEL_WARNING, "listener: no sequence sample: %s%s%s",
	    err.msg, err.detail[0] != '\0' ? ": " : "", err.detail);
	return 0;
}

static int
lost_connection(struct listener *l, struct pgtt_err *err)
{
	err_set(err, PGTT_EDB, "lost the connection to the source");
	err_detail(err, "%s", PQerrorMessage(l->conn));
	return err->code;
}

/* A gulp has ended: sleep before the next only while the source flows. */
static void
gulp_ended(struct listener *l)
{
	if (l->gulp_cost < GULP_FLOW)
		l->gulp_us /= 2;
	else if (l->gulp_us == 0)
		l->gulp_us = GULP_START_US;
	l->gulp_cost = 0;
}

/*
 * Let the socket gather the next gulp, then size the next sleep by what
 * this one gathered, as the kernel charges it.  Too short to watch the
 * stop pipe for: the poll after it does.
 */
static void
gather(struct listener *l)
{
	struct timespec	ts;
	uint64_t	avg_len, cost;
	int		queued;

	ts.tv_sec = 0;
	ts.tv_nsec = (long)l->gulp_us * 1000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	if (ioctl(PQsocket(l->conn), FIONREAD, &queued) == -1 || queued < 0)
		return;
	avg_len = l->stream_msgs > 0 ? l->stream_bytes / l->stream_msgs : 1;
	cost = (uint64_t)queued + (uint64_t)queued / (avg_len > 0 ? avg_len :
	    1) * GULP_MSG_COST;
	if (cost >= GULP_FULL) {
		l->gulp_us /= 2;
	} else if (cost < GULP_FULL / 2) {
		l->gulp_us += l->gulp_us / 4 + 1;
		if (l->gulp_us > GULP_MAX_US)
			l->gulp_us = GULP_MAX_US;
	}
}

/*
 * Tests make the reader slower than the walsender with this, so that the
 * socket never runs dry while a backlog drains.
 */
static void
test_delay(long us)
{
	struct timespec	ts;

	ts.tv_sec = us / 1000000;
	ts.tv_nsec = us % 1000000 * 1000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Stream until stopped (1), or the connection fails (negative).  Drains
 * everything the socket has before sleeping, and flushes the batch when
 * the socket runs dry, so group commits grow with the load.
 */
static int
stream(struct listener *l, struct pgtt_err *err)
{
	struct pollfd	 pfd[3];
	char		*buf;
	int		 n, ret, reread = 0, got = 0;

	for (;;) {
		n = PQgetCopyData(l->conn, &buf, 1);
		if (n > 0) {
			got = 1;
			l->gulp_cost += (size_t)n + GULP_MSG_COST;
			l->stream_bytes += (uint64_t)n;
			l->stream_msgs++;
			ret = on_copy_data(l, (const uint8_t *)buf, (size_t)n,
			    err);
			PQfreemem(buf);
			if (ret != 0)
				return ret;
			if (l->test_delay_us > 0)
				test_delay(l->test_delay_us);
			if (reached_until(l))
				return 1;
			/*
			 * The time bound is checked at every 64th message:
			 * reading the clock for each was 1.4% of the reader.
			 */
			if (jbatch_bytes(l->batch) >= l->o.batch_bytes ||
			    (l->batch_started != 0 && (l->stream_msgs & 63) ==
			    0 && listener_now_us() - l->batch_started >=
			    (int64_t)l->o.batch_ms * 1000)) {
				if ((ret = flush_start(l, err)) != 0)
					return ret;
			}
			continue;
		}
		if (n == -2 || n == -1) {
			PGresult	*res = PQgetResult(l->conn);

			err_set(err, PGTT_EDB, "replication stream from the "
			    "source ended");
			err_detail(err, "%s", res != NULL &&
			    PQresultErrorMessage(res)[0] != '\0' ?
			    PQresultErrorMessage(res) : PQerrorMessage(l->conn));
			PQclear(res);
			return err->code;
		}

		/*
		 * libpq's buffer is empty, and it reads at most its size at a
		 * time: once after each poll, read what more the socket holds
		 * before polling again (the poll watches for a stop too).
		 */
		if (reread) {
			if (PQconsumeInput(l->conn) == 0)
				return lost_connection(l, err);
			reread = got = 0;
			continue;
		}
		/* A read that brought nothing: the socket is empty. */
		if (!got)
			gulp_ended(l);

		/*
		 * The socket is dry, or two buffers came since the last poll:
		 * confirm a commit that has ended, and start making the rest
		 * durable while we wait; at once when it reaches the end
		 * --until asked for.  A commit still running is not waited
		 * for: the walsender may be a message away, and the commit's
		 * end wakes the poll below.
		 */
		if (l->in_flight && committer_done(l->committer) &&
		    (ret = flush_finish(l, err)) != 0)
			return ret;
		if (!l->in_txn && !l->in_flight &&
		    (listener_now_us() - l->last_flush >= DRY_FLUSH_GAP_US ||
		    (l->o.until != LSN_INVALID && (l->batch_end >= l->o.until ||
		    l->keepalive_end >= l->o.until))) &&
		    (ret = flush_start(l, err)) != 0)
			return ret;
		if (reached_until(l))
			return 1;
		if (listener_now_us() - l->last_status >=
		    (int64_t)l->o.status_interval_ms * 1000 &&
		    (ret = send_status(l, 0, err)) != 0)
			return ret;
		if (!l->in_txn && (ret = sample_sequences(l, err)) != 0)
			return ret;

		if (!got && l->gulp_us > 0)
			gather(l);

		pfd[0].fd = PQsocket(l->conn);
		pfd[0].events = POLLIN;
		pfd[1].fd = l->o.stop_fd;
		pfd[1].events = POLLIN;
		pfd[2].fd = l->in_flight ? committer_fd(l->committer) : -1;
		pfd[2].events = POLLIN;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		if (poll(pfd, 3, next_timeout(l)) == -1 && errno != EINTR)
			return err_set(err, PGTT_EIO, "poll: %s",
			    strerror(errno));
		if (pfd[1].revents & (POLLIN | POLLHUP))
			return 1;
		if (l->in_flight && committer_done(l->committer) &&
		    (ret = flush_finish(l, err)) != 0)
			return ret;
		if (!l->in_flight && l->batch_started != 0 &&
		    (listener_now_us() - l->batch_started >=
		    (int64_t)l->o.batch_ms * 1000 || (!l->in_txn &&
		    listener_now_us() - l->last_flush >= DRY_FLUSH_GAP_US)) &&
		    (ret = flush_start(l, err)) != 0)
			return ret;
		if (PQconsumeInput(l->conn) == 0)
			return lost_connection(l, err);
		reread = 1;
		got = 0;
	}
}

/* Sleep ms unless stop_fd becomes readable; 1 if it did. */
static int
wait_or_stop(int stop_fd, int ms)
{
	struct pollfd	pfd;

	int	ret;

	pfd.fd = stop_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	/* A signal that interrupts the wait is most likely the stop. */
	while ((ret = poll(&pfd, 1, ms)) == -1 && errno == EINTR)
		ms = 0;
	return ret > 0;
}

static void
close_conn(struct listener *l)
{
	if (l->conn == NULL)
		return;
	PQputCopyEnd(l->conn, NULL);
	PQflush(l->conn);
	PQfinish(l->conn);
	l->conn = NULL;
}

int
listener_run(const struct listener_opts *opts, struct listener_progress *out,
    struct pgtt_err *err)
{
	struct listener		 l;
	struct journal_stats	 st;
	int			 backoff = BACKOFF_MIN_MS, ret;
	size_t			 i;

	memset(&l, 0, sizeof l);
	l.o = *opts;
	if (l.o.status_interval_ms <= 0)
		l.o.status_interval_ms = 10000;
	if (l.o.batch_bytes == 0)
		l.o.batch_bytes = 8u << 20;
	if (l.o.batch_ms <= 0)
		l.o.batch_ms = 200;
	if (journal_stats(l.o.journal, &st, err) != 0)
		return err->code;
	l.last_commit = st.last_lsn;
	/* Without the last sample the next one is journaled anyway. */
	if (journal_seqsample_at(l.o.journal, UINT64_MAX, &l.last_sample,
	    err) != 0) {
		if (err->code != PGTT_ENOTFOUND)
			log_msg(LOG_LEVEL_WARNING, "listener: the last sequence "
			    "sample: %s", err->msg);
		err_clear(err);
	}
	if (getenv("PGTT_TEST_INGEST_DELAY_US") != NULL)
		l.test_delay_us = strtol(getenv("PGTT_TEST_INGEST_DELAY_US"),
		    NULL, 10);
	l.committer = committer_new(l.o.journal, l.o.writer_nice, err);
	if (l.committer == NULL) {
		free(l.last_sample);
		return err->code;
	}
	l.batch = jbatch_new();
	l.spare = jbatch_new();
	buf_init(&l.enc);
	buf_init(&l.ident);

	for (;;) {
		l.dec = pgo_decoder_new(1);
		ret = start_stream(&l, err);
		if (ret == 0) {
			backoff = BACKOFF_MIN_MS;
			ret = stream(&l, err);
		}
		pgo_decoder_free(l.dec);
		l.dec = NULL;

		if (ret == 1) {
			/* Stopped: make everything durable, confirm, leave. */
			put_state(&l, LISTENER_STOPPED, NULL);
			ret = listener_flush(&l, err);
			if (ret == 0 && l.conn != NULL)
				ret = send_status(&l, 0, err);
			close_conn(&l);
			break;
		}
		close_conn(&l);
		if (l.fatal)
			break;
		/* What was received in whole is kept; the rest comes again. */
		log_msg(LOG_LEVEL_WARNING, "listener: %s: %s; retrying in %d ms",
		    err->msg, err->detail, backoff);
		l.progress.restarts++;
		put_state(&l, LISTENER_RECONNECTING, err->detail[0] != '\0' ?
		    err->detail : err->msg);
		l.in_txn = 0;
		{
			struct pgtt_err	ferr;

			err_clear(&ferr);
			if (listener_flush(&l, &ferr) != 0) {
				*err = ferr;
				ret = ferr.code;
				break;
			}
		}
		if (wait_or_stop(l.o.stop_fd, backoff)) {
			err_clear(err);
			put_state(&l, LISTENER_STOPPED, NULL);
			ret = listener_flush(&l, err);
			break;
		}
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
		    backoff * 2;
	}

	if (out != NULL)
		*out = l.progress;
	for (i = 0; i < l.nrels; i++) {
		free(l.rels[i].enc);
		free(l.rels[i].keys);
	}
	free(l.rels);
	free(l.cols);
	free(l.ddl_prefix);
	free(l.last_sample);
	listener_plain_lost(&l);
	buf_done(&l.enc);
	buf_done(&l.ident);
	/* A failure may leave a commit in flight: its outcome is moot. */
	if (l.in_flight) {
		struct pgtt_err	ferr;

		(void)committer_wait(l.committer, &l.spare, &ferr);
	}
	committer_free(l.committer);
	jbatch_free(l.batch);
	jbatch_free(l.spare);
	return ret;
}

void
listener_record_read(struct journal *j, struct listener_record *rec)
{
	struct pgtt_err	 err;
	char		*pid;

	memset(rec, 0, sizeof *rec);
	err_clear(&err);
	if (journal_meta_get(j, "listener_pid", &pid, &err) == 0) {
		rec->pid = strtol(pid, NULL, 10);
		free(pid);
	}
	if (journal_meta_get(j, "listener_state", &rec->state, &err) != 0)
		rec->state = NULL;
	if (journal_meta_get(j, "listener_error", &rec->error, &err) != 0 ||
	    rec->error[0] == '\0') {
		free(rec->error);
		rec->error = NULL;
	}
}

void
listener_record_done(struct listener_record *rec)
{
	free(rec->state);
	free(rec->error);
	memset(rec, 0, sizeof *rec);
}

int
listener_record_running(const struct listener_record *rec)
{
	/* EPERM: alive, run by another user. */
	return rec->pid > 0 && rec->state != NULL &&
	    strcmp(rec->state, "stopped") != 0 &&
	    (kill((pid_t)rec->pid, 0) == 0 || errno == EPERM);
}
