/*
 * apply-pipe.c: the pipeline that carries replay's statements to the
 * replica (libpq's pipeline mode): what was sent waits in a ring of
 * INFLIGHT_MAX, its results are read as the ring fills and at each sync,
 * and the first failure since the last commit is kept with the change it
 * came from.
 */
#include <stdio.h>
#include <string.h>

#include "apply-int.h"


static void
note_failure(struct applier *a, const struct pending *p, const PGresult *r)
{
	struct apply_failure	*f = &a->failure;
	const char		*state, *msg;

	if (a->failed)
		return;
	a->failed = 1;
	f->lsn = p->lsn;
	f->seq = p->seq;
	snprintf(f->what, sizeof f->what, "%s", p->what);
	state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	msg = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	snprintf(f->sqlstate, sizeof f->sqlstate, "%s",
	    state != NULL ? state : "?????");
	snprintf(f->message, sizeof f->message, "%s", msg != NULL ? msg :
	    PQerrorMessage(a->conn));
}

/* A failure of what is not in the ring: a COPY. */
static void
note_copy_failure(struct applier *a, const PGresult *r)
{
	struct pending	p;

	memset(&p, 0, sizeof p);
	p.lsn = a->copy_lsn;
	p.what = a->copy_what;
	note_failure(a, &p, r);
}

static int
lost_connection(struct applier *a, struct pgtt_err *err)
{
	return err_set(err, PGTT_EDB, "lost the connection to the replica: %s",
	    PQerrorMessage(a->conn));
}

/* Read the results of the oldest pending command. */
static int
read_one(struct applier *a, struct pgtt_err *err)
{
	struct pending	*p = &a->fifo[a->head];
	PGresult	*r;

	if (!a->flushed) {
		if (PQsendFlushRequest(a->conn) != 1 || PQflush(a->conn) != 0)
			return lost_connection(a, err);
		a->flushed = 1;
	}
	if (p->kind == PEND_SYNC) {
		r = PQgetResult(a->conn);
		if (r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
			PQclear(r);
			return lost_connection(a, err);
		}
		PQclear(r);
	} else {
		for (;;) {
			r = PQgetResult(a->conn);
			if (r == NULL)
				break;
			switch (PQresultStatus(r)) {
			case PGRES_COMMAND_OK:
			case PGRES_TUPLES_OK:
			case PGRES_PIPELINE_ABORTED:
				break;
			case PGRES_FATAL_ERROR:
				if (PQstatus(a->conn) == CONNECTION_BAD) {
					PQclear(r);
					return lost_connection(a, err);
				}
				note_failure(a, p, r);
				break;
			default:
				note_failure(a, p, r);
				break;
			}
			PQclear(r);
		}
	}
	a->head = (a->head + 1) % FIFO_SIZE;
	a->count--;
	return 0;
}

static int
drain(struct applier *a, size_t keep, struct pgtt_err *err)
{
	int	ret;

	while (a->count > keep)
		if ((ret = read_one(a, err)) != 0)
			return ret;
	return 0;
}

/* Record a command just sent; read old results when too many are out. */
int
apply_sent(struct applier *a, int ok, enum pend_kind kind, pgtt_lsn lsn,
    uint32_t seq, const char *what, struct pgtt_err *err)
{
	struct pending	*p;
	int		 ret;

	if (!ok)
		return lost_connection(a, err);
	p = &a->fifo[(a->head + a->count) % FIFO_SIZE];
	p->kind = kind;
	p->lsn = lsn;
	p->seq = seq;
	p->what = what;
	a->count++;
	a->flushed = 0;
	/* Keep half in flight so the server has work while we read. */
	if (a->count >= INFLIGHT_MAX &&
	    (ret = drain(a, INFLIGHT_MAX / 2, err)) != 0)
		return ret;
	return 0;
}

int
apply_send_sql(struct applier *a, const char *sql, int nparams,
    const char *const *values, pgtt_lsn lsn, uint32_t seq, const char *what,
    struct pgtt_err *err)
{
	return apply_sent(a, PQsendQueryParams(a->conn, sql, nparams, NULL,
	    values, NULL, NULL, 0), PEND_CMD, lsn, seq, what, err);
}

int
apply_send_sync(struct applier *a, struct pgtt_err *err)
{
	return apply_sent(a, PQpipelineSync(a->conn), PEND_SYNC, 0, 0, "sync",
	    err);
}

/* Sync, and read everything up to it. */
int
apply_sync_all(struct applier *a, struct pgtt_err *err)
{
	int	ret;

	if ((ret = apply_send_sync(a, err)) != 0)
		return ret;
	return drain(a, 0, err);
}

/*
 * COPY runs outside pipeline mode: everything sent is read first.  0 and
 * *copying when the server takes the data; 0 and not *copying when a
 * failure is already pending or COPY itself failed (noted: the commit
 * reports it).
 */
int
apply_copy_begin(struct applier *a, const char *sql, pgtt_lsn lsn,
    const char *what, int *copying, struct pgtt_err *err)
{
	PGresult	*r;
	int		 ret;

	*copying = 0;
	if ((ret = apply_sync_all(a, err)) != 0)
		return ret;
	if (a->failed)
		return 0;
	if (PQexitPipelineMode(a->conn) != 1)
		return lost_connection(a, err);
	a->copy_lsn = lsn;
	snprintf(a->copy_what, sizeof a->copy_what, "%s", what);
	r = PQexec(a->conn, sql);
	if (PQresultStatus(r) == PGRES_COPY_IN)
		*copying = 1;
	else
		note_copy_failure(a, r);
	PQclear(r);
	if (!*copying && PQenterPipelineMode(a->conn) != 1)
		return lost_connection(a, err);
	return 0;
}

int
apply_copy_data(struct applier *a, const void *data, size_t len,
    struct pgtt_err *err)
{
	if (PQputCopyData(a->conn, data, (int)len) != 1)
		return lost_connection(a, err);
	return 0;
}

int
apply_copy_end(struct applier *a, const char *abort_why, struct pgtt_err *err)
{
	PGresult	*r;

	if (PQputCopyEnd(a->conn, abort_why) != 1)
		return lost_connection(a, err);
	while ((r = PQgetResult(a->conn)) != NULL) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			note_copy_failure(a, r);
		PQclear(r);
	}
	if (PQstatus(a->conn) == CONNECTION_BAD ||
	    PQenterPipelineMode(a->conn) != 1)
		return lost_connection(a, err);
	return 0;
}
