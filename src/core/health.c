/*
 * health.c: a capture's own view of itself (health.h).  Lag is measured
 * against the WAL end the server last sent, so a request costs no round
 * trip to the source: bytes between that end and what the journal has
 * confirmed, and seconds since the listener last had confirmed all of it.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "health.h"
#include "xmalloc.h"

int64_t
health_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
health_init(struct health *h, int archive_enabled)
{
	memset(h, 0, sizeof *h);
	pthread_mutex_init(&h->lock, NULL);
	h->archive_enabled = archive_enabled;
	h->started_us = h->caught_up_us = health_now_us();
}

void
health_done(struct health *h)
{
	pthread_mutex_destroy(&h->lock);
}

void
health_on_listener(void *arg, const struct listener_progress *p)
{
	struct health	*h = arg;
	int64_t		 now = health_now_us();

	pthread_mutex_lock(&h->lock);
	if (p->restarts > h->listener.restarts ||
	    (p->why[0] != '\0' && strcmp(p->why, h->listener.why) != 0))
		h->last_error_us = now;
	h->listener = *p;
	if (p->state == LISTENER_STREAMING && p->flushed >= p->server_end)
		h->caught_up_us = now;
	pthread_mutex_unlock(&h->lock);
}

void
health_on_archiver(void *arg, const struct archiver_status *st)
{
	struct health	*h = arg;

	pthread_mutex_lock(&h->lock);
	if (st->error[0] != '\0' && strcmp(st->error, h->archiver.error) != 0)
		h->last_error_us = health_now_us();
	h->archiver = *st;
	pthread_mutex_unlock(&h->lock);
}

/* Lag in bytes and seconds; called with the lock held. */
static void
lag(const struct health *h, int64_t now, uint64_t *bytes, double *secs)
{
	const struct listener_progress	*p = &h->listener;

	*bytes = p->server_end > p->flushed ? p->server_end - p->flushed : 0;
	*secs = *bytes == 0 && p->state == LISTENER_STREAMING ? 0.0 :
	    (double)(now - h->caught_up_us) / 1e6;
}

/* Called with the lock held. */
static int
check(const struct health *h, int max_lag, char *why, size_t size)
{
	uint64_t	bytes;
	double		secs;

	switch (h->listener.state) {
	case LISTENER_STARTING:
		snprintf(why, size, "the listener is connecting to the source");
		return 0;
	case LISTENER_RECONNECTING:
		snprintf(why, size, "source unreachable: %s", h->listener.why);
		return 0;
	case LISTENER_STOPPED:
		snprintf(why, size, "the listener has stopped");
		return 0;
	case LISTENER_STREAMING:
		break;
	}
	lag(h, health_now_us(), &bytes, &secs);
	if (secs >= max_lag) {
		snprintf(why, size, "the listener is %.0f s behind the source "
		    "(%" PRIu64 " bytes); http.max_lag is %d s", secs, bytes,
		    max_lag);
		return 0;
	}
	if (h->archive_enabled && h->archiver.state != ARCHIVER_STREAMING &&
	    h->archiver.state != ARCHIVER_STARTING) {
		snprintf(why, size, "the WAL archiver is %s%s%s",
		    archiver_state_name(h->archiver.state),
		    h->archiver.error[0] != '\0' ? ": " : "",
		    h->archiver.error);
		return 0;
	}
	why[0] = '\0';
	return 1;
}

static const char *
listener_state_name(enum listener_state s)
{
	switch (s) {
	case LISTENER_STARTING:
		return "starting";
	case LISTENER_STREAMING:
		return "streaming";
	case LISTENER_RECONNECTING:
		return "reconnecting";
	case LISTENER_STOPPED:
		break;
	}
	return "stopped";
}

int
health_json(struct health *h, int max_lag, char (*warnings)[200],
    size_t nwarnings, struct buf *out)
{
	json_t		*o, *w;
	size_t		 i;
	char		 why[512], *text;
	uint64_t	 bytes;
	double		 secs;
	int		 ok;

	pthread_mutex_lock(&h->lock);
	ok = check(h, max_lag, why, sizeof why);
	lag(h, health_now_us(), &bytes, &secs);
	o = json_pack("{s:s, s:s, s:I, s:f, s:i}", "status", ok ? "ok" :
	    "unhealthy", "listener", listener_state_name(h->listener.state),
	    "lag_bytes", (json_int_t)bytes, "lag_seconds", secs, "max_lag",
	    max_lag);
	if (h->archive_enabled)
		json_object_set_new(o, "archiver", json_string(
		    archiver_state_name(h->archiver.state)));
	pthread_mutex_unlock(&h->lock);
	if (!ok)
		json_object_set_new(o, "reason", json_string(why));
	if (nwarnings > 0) {
		w = json_array();
		for (i = 0; i < nwarnings; i++)
			json_array_append_new(w, json_string(warnings[i]));
		json_object_set_new(o, "warnings", w);
	}
	if ((text = json_dumps(o, JSON_COMPACT)) == NULL)
		fatalx("out of memory");
	buf_append(out, text, strlen(text));
	buf_append(out, "\n", 1);
	free(text);
	json_decref(o);
	return ok;
}

/* A metric family's HELP and TYPE lines, before its samples. */
static void
family(struct buf *out, const char *name, const char *type, const char *help)
{
	char	line[512];
	int	n;

	n = snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n", name,
	    help, name, type);
	buf_append(out, line, (size_t)n < sizeof line ? (size_t)n :
	    sizeof line - 1);
}

static void
sample(struct buf *out, const char *name, const char *database,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* One sample, labelled with its database when there are several. */
static void
sample(struct buf *out, const char *name, const char *database,
    const char *fmt, ...)
{
	char	line[512], value[64];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	vsnprintf(value, sizeof value, fmt, ap);
	va_end(ap);
	if (database != NULL) {
		char		 label[200];
		const char	*p;
		size_t		 k = 0;

		/* The exposition format's escapes: backslash, quote, newline. */
		for (p = database; *p != '\0' && k + 3 < sizeof label; p++) {
			if (*p == '\\' || *p == '"' || *p == '\n')
				label[k++] = '\\';
			label[k++] = *p == '\n' ? 'n' : *p;
		}
		label[k] = '\0';
		n = snprintf(line, sizeof line, "%s{database=\"%s\"} %s\n",
		    name, label, value);
	} else
		n = snprintf(line, sizeof line, "%s %s\n", name, value);
	buf_append(out, line, (size_t)n < sizeof line ? (size_t)n :
	    sizeof line - 1);
}

/* What one capture's metrics say, read under its lock once. */
struct reading {
	struct health			 c;
	const struct health_extra	*x;
	const char			*database;
	uint64_t			 bytes;
	double				 secs;
	int				 ok;
};

/* A family, then a sample from each reading (e: one of its values). */
#define EACH(name, type, help, fmt, e) do {				\
	family(out, name, type, help);					\
	for (i = 0; i < n; i++) {					\
		const struct reading	*r = &rs[i];			\
		sample(out, name, r->database, fmt, e);			\
	}								\
} while (0)

void
health_metrics_n(struct health *const *hs, const struct health_extra *xs,
    const char *const *databases, size_t n, struct buf *out)
{
	struct reading	*rs;
	char		 why[512];
	size_t		 i, archives = 0, windows = 0;

	rs = xcalloc(n, sizeof *rs);
	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&hs[i]->lock);
		rs[i].c = *hs[i];
		rs[i].ok = check(hs[i], INT32_MAX, why, sizeof why);
		lag(hs[i], health_now_us(), &rs[i].bytes, &rs[i].secs);
		pthread_mutex_unlock(&hs[i]->lock);
		rs[i].x = &xs[i];
		rs[i].database = databases != NULL ? databases[i] : NULL;
		archives += rs[i].c.archive_enabled;
		windows += rs[i].c.archive_enabled && xs[i].window_known;
	}

	EACH("pgtt_up", "gauge", "1 while the listener streams from the "
	    "source.", "%d", r->c.listener.state == LISTENER_STREAMING);
	EACH("pgtt_changes_journaled_total", "counter", "Row changes, DDL "
	    "and messages journaled by this listener.", "%" PRIu64,
	    r->c.listener.changes);
	EACH("pgtt_transactions_journaled_total", "counter", "Transactions "
	    "journaled by this listener.", "%" PRIu64,
	    r->c.listener.transactions);
	EACH("pgtt_listener_restarts_total", "counter", "Times the "
	    "connection to the source was lost and made again.", "%" PRIu64,
	    r->c.listener.restarts);
	EACH("pgtt_lag_bytes", "gauge", "WAL the server has sent word of "
	    "that the journal has not confirmed.", "%" PRIu64, r->bytes);
	EACH("pgtt_lag_seconds", "gauge", "Seconds since the journal last "
	    "held all the server had sent.", "%.3f", r->secs);
	EACH("pgtt_confirmed_lsn_bytes", "gauge", "The position confirmed "
	    "to the source, as a WAL byte offset.", "%" PRIu64,
	    r->c.listener.flushed);
	EACH("pgtt_journal_size_bytes", "gauge", "Size of the journal file.",
	    "%" PRIu64, r->x->journal_bytes);
	EACH("pgtt_journal_changes", "gauge", "Changes the journal holds.",
	    "%" PRIu64, r->x->journal_changes);
	EACH("pgtt_last_error_timestamp_seconds", "gauge", "When the "
	    "listener or the archiver last failed; 0: never.", "%.3f",
	    (double)r->c.last_error_us / 1e6);
	EACH("pgtt_start_timestamp_seconds", "gauge", "When this listener "
	    "started.", "%.3f", (double)r->c.started_us / 1e6);
	/* The archive is the cluster's: only the capture that keeps it. */
	for (i = 0; i < n && archives > 0; i++) {
		const struct reading	*r = &rs[i];

		if (!r->c.archive_enabled)
			continue;
		family(out, "pgtt_archive_up", "gauge", "1 while pg_receivewal "
		    "streams WAL into the archive.");
		sample(out, "pgtt_archive_up", NULL, "%d",
		    r->c.archiver.state == ARCHIVER_STREAMING);
		family(out, "pgtt_archive_restarts_total", "counter", "Times "
		    "pg_receivewal was started again.");
		sample(out, "pgtt_archive_restarts_total", NULL, "%u",
		    r->c.archiver.restarts);
		family(out, "pgtt_archive_size_bytes", "gauge", "Bytes in the "
		    "WAL archive directory.");
		sample(out, "pgtt_archive_size_bytes", NULL, "%" PRIu64,
		    r->x->archive_bytes);
		if (windows == 0)
			break;
		family(out, "pgtt_backups", "gauge", "Base backups taken.");
		sample(out, "pgtt_backups", NULL, "%zu", r->x->window.backups);
		family(out, "pgtt_window_start_lsn_bytes", "gauge", "The oldest "
		    "point a restore can reach, as a WAL byte offset; 0: none.");
		sample(out, "pgtt_window_start_lsn_bytes", NULL, "%" PRIu64,
		    r->x->window.earliest);
		family(out, "pgtt_window_end_lsn_bytes", "gauge", "The newest "
		    "point a restore can reach, as a WAL byte offset; 0: none.");
		sample(out, "pgtt_window_end_lsn_bytes", NULL, "%" PRIu64,
		    r->x->window.latest);
		break;
	}
	EACH("pgtt_healthy", "gauge", "1 while /health answers 200 (lag "
	    "aside).", "%d", r->ok);
	free(rs);
}

#undef EACH

void
health_metrics(struct health *h, const struct health_extra *x,
    struct buf *out)
{
	health_metrics_n(&h, x, NULL, 1, out);
}
