/*
 * cmd-listen.c: `pgtt --headless listen`.  Runs the listener in the
 * foreground until SIGINT or SIGTERM.  The signal handler only writes a
 * byte to a pipe the listener polls, so the stop happens at a point where
 * the journal can be flushed and the position confirmed.  With PITR on,
 * capture_run keeps the WAL archive beside it (not for --until, which
 * only catches up).  With --http (or http.listen) a monitor reads
 * /health, /status and /metrics from it while it runs.  With
 * source.databases it runs a listener thread per database, the first
 * keeping the cluster's archive, and the monitor answers for all.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pthread.h>
#include <stdlib.h>

#include "cli.h"
#include "core/capture.h"
#include "core/fsutil.h"
#include "core/health.h"
#include "core/httpd.h"
#include "core/journal.h"
#include "core/logfile.h"
#include "core/point.h"
#include "core/prune.h"
#include "core/xmalloc.h"

#define STATUS_CACHE_US	(5 * 1000000)	/* /status asks the source this often */

/* One database's capture, and what the monitor knows of it. */
struct db_listen {
	const struct cli_ctx	*ctx;
	const struct config	*cfg;		/* ctx->cfg, or view */
	struct config		 view;		/* with several databases */
	struct journal		*j;
	struct capture_opts	 opts;
	struct listener_progress progress;
	struct health		 health;
	struct health_extra	 extra;		/* archive_window runs */
	int64_t			 extra_at;	/* pg_waldump: cached */
	struct pgtt_err		 err;
	int			 ret;
	int			 started;
	pthread_t		 thread;
};

/* What the HTTP server's thread reads while the listeners run. */
struct monitor {
	const struct cli_ctx	*ctx;
	struct db_listen	*dbs;
	size_t			 n;
	int			 several;	/* answers name databases */
	pthread_mutex_t		 lock;		/* the cached answers */
	char			*status;
	int64_t			 status_at;
};

static int	stop_pipe[2] = { -1, -1 };

static void
on_stop_signal(int sig)
{
	int	saved = errno;
	char	c = (char)sig;

	/* A full pipe means a stop is already pending. */
	(void)write(stop_pipe[1], &c, 1);
	errno = saved;
}

/*
 * The archiver's trouble goes to the terminal too, once per reason: the
 * log alone is read too late.
 */
static void
archiver_state(void *arg, const struct archiver_status *st)
{
	static char		 said[sizeof st->error];
	struct db_listen	*d = arg;

	health_on_archiver(&d->health, st);
	if (st->state != ARCHIVER_RESTARTING || st->error[0] == '\0' ||
	    strcmp(said, st->error) == 0)
		return;
	snprintf(said, sizeof said, "%s", st->error);
	fprintf(stderr, "pgtt: WAL archive: %s\n", st->error);
}

static void
print_progress(void *arg, const struct listener_progress *p)
{
	struct db_listen	*d = arg;
	const struct cli_ctx	*ctx = d->ctx;
	char			 lsnbuf[LSN_BUFSIZE];

	health_on_listener(&d->health, p);
	if (ctx->verbosity > 0 && !ctx->json)
		fprintf(stderr, "%s%sjournaled up to %s: %llu transactions, "
		    "%llu changes\n", d->cfg->source.database != NULL ?
		    d->cfg->source.database : "", d->cfg->source.database !=
		    NULL ? ": " : "", lsn_format(p->flushed, lsnbuf),
		    (unsigned long long)p->transactions,
		    (unsigned long long)p->changes);
}

static void
listener_state(void *arg, const struct listener_progress *p)
{
	struct db_listen	*d = arg;

	health_on_listener(&d->health, p);
}

/*
 * The status object, asked of the source at most every few seconds; with
 * several databases, {"databases": [one object each]}.
 */
static void
serve_status(struct monitor *m, struct httpd_reply *r)
{
	json_t	*o = NULL, *all = NULL;
	int64_t	 now = health_now_us();
	size_t	 i;
	int	 reachable;

	pthread_mutex_lock(&m->lock);
	if (m->status == NULL || now - m->status_at >= STATUS_CACHE_US) {
		if (m->several)
			all = json_array();
		for (i = 0; i < m->n; i++) {
			o = cli_status_json(m->dbs[i].cfg, m->dbs[i].j,
			    &reachable);
			if (!m->several)
				break;
			json_array_append_new(all, o);
		}
		if (m->several)
			o = json_pack("{s:o}", "databases", all);
		free(m->status);
		if ((m->status = json_dumps(o, JSON_COMPACT)) == NULL)
			fatalx("out of memory");
		json_decref(o);
		m->status_at = now;
	}
	buf_append(&r->body, m->status, strlen(m->status));
	pthread_mutex_unlock(&m->lock);
	buf_append(&r->body, "\n", 1);
	r->type = "application/json";
}

/* The figures a database's metrics need beside its health. */
static void
db_extra(struct monitor *m, struct db_listen *d, int64_t now,
    struct health_extra *x)
{
	const struct config	*cfg = d->cfg;
	struct journal_stats	 st;
	struct pgtt_err		 err;

	pthread_mutex_lock(&m->lock);
	if (d->extra_at == 0 || now - d->extra_at >= STATUS_CACHE_US) {
		memset(x, 0, sizeof *x);
		if (cfg->pitr.enabled) {
			err_clear(&err);
			x->window_known = archive_window(cfg, d->j, &x->window,
			    &err) == 0;
			x->archive_bytes = fs_dir_bytes(cfg->pitr.archive_dir);
		}
		d->extra = *x;
		d->extra_at = now;
	}
	*x = d->extra;
	pthread_mutex_unlock(&m->lock);
	/* The journal's own figures cost a read: always current. */
	err_clear(&err);
	if (journal_stats(d->j, &st, &err) == 0) {
		x->journal_bytes = st.file_size;
		x->journal_changes = st.changes;
	}
}

static void
serve_metrics(struct monitor *m, struct httpd_reply *r)
{
	struct health_extra	*xs;
	struct health		**hs;
	const char		**names;
	int64_t			  now = health_now_us();
	size_t			  i;

	xs = xcalloc(m->n, sizeof *xs);
	hs = xcalloc(m->n, sizeof *hs);
	names = xcalloc(m->n, sizeof *names);
	for (i = 0; i < m->n; i++) {
		db_extra(m, &m->dbs[i], now, &xs[i]);
		hs[i] = &m->dbs[i].health;
		names[i] = m->dbs[i].cfg->source.database;
	}
	health_metrics_n(hs, xs, m->several ? names : NULL, m->n, &r->body);
	free(names);
	free(hs);
	free(xs);
	r->type = "text/plain; version=0.0.4; charset=utf-8";
}

/* 1 when d's capture is healthy; its /health object into out. */
static int
db_health(struct monitor *m, struct db_listen *d, struct buf *out)
{
	struct journal_stats	st;
	struct pgtt_err		err;
	char			w[PRUNE_WARN_MAX][200];
	size_t			nw = 0;

	err_clear(&err);
	if (journal_stats(d->j, &st, &err) == 0)
		nw = storage_warnings(d->cfg, st.file_size, w);
	return health_json(&d->health, m->ctx->cfg.http.max_lag, w, nw, out);
}

/*
 * /health: the one capture's object, or with several databases
 * {"status": "ok" or "unhealthy", "databases": {"NAME": object, ...}},
 * 200 only when every one is healthy.
 */
static void
serve_health(struct monitor *m, struct httpd_reply *r)
{
	struct buf	 one;
	json_t		*all, *o;
	char		*text;
	size_t		 i;
	int		 ok = 1;

	r->type = "application/json";
	if (!m->several) {
		r->status = db_health(m, &m->dbs[0], &r->body) ? 200 : 503;
		return;
	}
	all = json_object();
	buf_init(&one);
	for (i = 0; i < m->n; i++) {
		buf_reset(&one);
		ok &= db_health(m, &m->dbs[i], &one);
		o = json_loadb((const char *)one.data, one.len, 0, NULL);
		json_object_set_new(all, m->dbs[i].cfg->source.database,
		    o != NULL ? o : json_null());
	}
	buf_done(&one);
	o = json_pack("{s:s, s:o}", "status", ok ? "ok" : "unhealthy",
	    "databases", all);
	if ((text = json_dumps(o, JSON_COMPACT)) == NULL)
		fatalx("out of memory");
	buf_append(&r->body, text, strlen(text));
	buf_append(&r->body, "\n", 1);
	free(text);
	json_decref(o);
	r->status = ok ? 200 : 503;
}

/* On the HTTP server's thread. */
static void
serve(void *arg, const char *path, struct httpd_reply *r)
{
	struct monitor	*m = arg;

	if (strcmp(path, "/health") == 0)
		serve_health(m, r);
	else if (strcmp(path, "/status") == 0)
		serve_status(m, r);
	else if (strcmp(path, "/metrics") == 0)
		serve_metrics(m, r);
	else {
		r->status = 404;
		const char	*text = "not found: pgtt serves /health, "
		    "/status and /metrics\n";

		buf_append(&r->body, text, strlen(text));
	}
}

/*
 * An --until LSN the listener can reach: not before the journal's
 * creation (it would stop at once, or never), not beyond the source's
 * current position (it would wait for WAL that may never come).
 */
static int
until_reachable(struct journal *j, struct cli_ctx *ctx,
    const struct config *cfg, const char *text, pgtt_lsn until)
{
	pgtt_lsn	first, last, now;
	char		a[LSN_BUFSIZE], b[LSN_BUFSIZE];

	if (point_range(j, &first, &last, &ctx->err) != 0 ||
	    point_resolve(j, cfg->source.dsn, "now", &now,
	    &ctx->err) != 0)
		return ctx->err.code;
	if (until >= first && until <= now)
		return 0;
	err_set(&ctx->err, PGTT_EUSAGE, "%s is outside what the listener can "
	    "reach, %s (creation) to %s (the source now)", text,
	    lsn_format(first, a), lsn_format(now, b));
	return ctx->err.code;
}

/* --until for the journal j of cfg's database: "now" or a reachable LSN. */
static int
resolve_until(struct cli_ctx *ctx, const struct config *cfg,
    struct journal *j, const char *text, pgtt_lsn *until)
{
	if ((strcmp(text, "now") == 0 ? point_resolve(j, cfg->source.dsn,
	    text, until, &ctx->err) : until_reachable(j, ctx, cfg, text,
	    *until)) != 0) {
		err_where(&ctx->err, "--until");
		return ctx->err.code;
	}
	return 0;
}

/* SIGINT and SIGTERM write to stop_pipe, which every listener polls. */
static int
catch_stop_signals(struct cli_ctx *ctx)
{
	struct sigaction	sa;

	if (pipe(stop_pipe) == -1)
		return err_set(&ctx->err, PGTT_EIO, "could not create pipe: %s",
		    strerror(errno));
	fcntl(stop_pipe[1], F_SETFL, O_NONBLOCK);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return 0;
}

static void *
db_listen_main(void *arg)
{
	struct db_listen	*d = arg;
	char			 c = 0;

	err_clear(&d->err);
	d->ret = capture_run(&d->opts, &d->progress, &d->err);
	/* One that fails stops the others: a part-time capture misleads. */
	if (d->ret != 0 && write(stop_pipe[1], &c, 1) == -1)
		log_msg(LOG_LEVEL_WARNING, "listen: stop pipe: %s",
		    strerror(errno));
	return NULL;
}

/*
 * Open d's journal and fill its capture options.  The first database
 * resolves --until ("now" once for all: one instant); the others take
 * its LSN, checked against their own journals.
 */
static int
db_prepare(struct cli_ctx *ctx, struct db_listen *d, const char *until,
    pgtt_lsn *resolved)
{
	char	lsnbuf[LSN_BUFSIZE];
	int	ret;

	ret = journal_open(&d->j, d->cfg->storage.path,
	    d->cfg->storage.map_size, 0, &ctx->err);
	if (ret == PGTT_ENOTFOUND)
		err_hint(&ctx->err, "run setup first");
	if (ret == 0 && until != NULL) {
		if (*resolved != LSN_INVALID)
			until = lsn_format(*resolved, lsnbuf);
		if (strcmp(until, "now") != 0)
			(void)lsn_parse(until, &d->opts.until);
		if ((ret = resolve_until(ctx, d->cfg, d->j, until,
		    &d->opts.until)) == 0)
			*resolved = d->opts.until;
	}
	if (ret != 0 && d->cfg->source.database != NULL)
		err_detail_add(&ctx->err, "database \"%s\"",
		    d->cfg->source.database);
	if (ret != 0)
		return ret;
	health_init(&d->health, d->cfg->pitr.enabled &&
	    d->opts.until == LSN_INVALID);
	d->opts.cfg = d->cfg;
	d->opts.journal = d->j;
	d->opts.on_commit = print_progress;
	d->opts.on_state = listener_state;
	d->opts.on_archiver = archiver_state;
	d->opts.arg = d;
	return 0;
}

/*
 * How each listener that ran ended, in the log whatever happened; the
 * first failure becomes the command's unless ret already is one.
 */
static int
report(struct cli_ctx *ctx, struct db_listen *dbs, size_t n, int ret)
{
	char	lsnbuf[LSN_BUFSIZE], who[200];
	size_t	i;

	for (i = 0; i < n; i++) {
		struct db_listen	*d = &dbs[i];
		const char		*db = d->cfg->source.database;

		if (!d->started)
			continue;
		snprintf(who, sizeof who, "%s%s", db != NULL ? db : "",
		    db != NULL ? ": " : "");
		log_msg(LOG_LEVEL_INFO, "listen: %sstopped at %s after %llu "
		    "transactions, %llu changes", who,
		    lsn_format(d->progress.flushed, lsnbuf),
		    (unsigned long long)d->progress.transactions,
		    (unsigned long long)d->progress.changes);
		if (d->ret != 0 && ret == 0) {
			ctx->err = d->err;
			if (n > 1)
				err_detail_add(&ctx->err, "database \"%s\"",
				    db);
			ret = d->ret;
		}
	}
	/* The error, if any, is printed once, as for every command. */
	for (i = 0; ret == 0 && i < n; i++) {
		struct db_listen	*d = &dbs[i];
		const char		*db = d->cfg->source.database;
		json_t			*o;

		lsn_format(d->progress.flushed, lsnbuf);
		if (ctx->json) {
			o = json_pack("{s:s, s:I, s:I}", "flushed_lsn", lsnbuf,
			    "transactions",
			    (json_int_t)d->progress.transactions, "changes",
			    (json_int_t)d->progress.changes);
			if (db != NULL)
				json_object_set_new(o, "database",
				    json_string(db));
			cli_emit_json(o);
		} else if (ctx->verbosity >= 0)
			printf("%s%sstopped at %s: %llu transactions, %llu "
			    "changes journaled\n", db != NULL ? db : "",
			    db != NULL ? ": " : "", lsnbuf,
			    (unsigned long long)d->progress.transactions,
			    (unsigned long long)d->progress.changes);
	}
	return ret;
}

int
cmd_listen(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option	 lopts[] = {
		{ "until", required_argument, NULL, 'u' },
		{ "http", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct monitor		 m;
	struct httpd		*httpd = NULL;
	struct db_listen	*dbs;
	const char		*until = NULL, *http;
	char			*host, *port;
	pgtt_lsn		 check, resolved = LSN_INVALID;
	size_t			 i, n;
	int			 ch, ret = 0;

	optind = 0;
	opterr = 0;
	http = ctx->cfg.http.listen;
	while ((ch = getopt_long(argc, argv, "+", lopts, NULL)) != -1) {
		if (ch == 'u')
			until = optarg;
		else if (ch == 'h')
			http = optarg;
		else
			return cli_usage_error(ctx, &cli_commands[VERB_LISTEN],
			    "unknown option \"%s\" for listen",
			    argv[optind - 1]);
	}
	if (http != NULL && httpd_parse_listen(http, &host, &port,
	    &ctx->err) != 0)
		return cli_usage_error(ctx, &cli_commands[VERB_LISTEN], "--http: %s",
		    ctx->err.msg);
	if (http != NULL) {
		free(host);
		free(port);
	}
	if (optind != argc)
		return cli_usage_error(ctx, &cli_commands[VERB_LISTEN], "listen takes "
		    "no arguments, got \"%s\"", argv[optind]);
	/*
	 * Only positions known now: a time or a name could lie beyond what
	 * the journal holds yet, and would resolve to "already there".
	 */
	if (until != NULL && strcmp(until, "now") != 0 &&
	    lsn_parse(until, &check) != 0)
		return cli_usage_error(ctx, &cli_commands[VERB_LISTEN], "--until "
		    "takes an LSN or now, not \"%s\"", until);

	memset(&m, 0, sizeof m);
	m.ctx = ctx;
	m.several = cli_all_databases(ctx);
	n = m.several ? ctx->cfg.source.ndatabases : 1;
	dbs = xcalloc(n, sizeof *dbs);
	for (i = 0; ret == 0 && i < n; i++) {
		dbs[i].ctx = ctx;
		dbs[i].cfg = &ctx->cfg;
		if (m.several && (ret = cli_database_config(ctx,
		    ctx->cfg.source.databases[i], &dbs[i].view)) == 0)
			dbs[i].cfg = &dbs[i].view;
		if (ret == 0)
			ret = db_prepare(ctx, &dbs[i], until, &resolved);
	}
	if (ret == 0)
		ret = catch_stop_signals(ctx);
	if (ret != 0)
		goto out;

	m.dbs = dbs;
	m.n = n;
	pthread_mutex_init(&m.lock, NULL);
	/* Under systemd or a pipe, the events are the output. */
	if (!isatty(STDERR_FILENO))
		log_to_stderr(1);
	log_msg(LOG_LEVEL_INFO, "listen: started (pid %ld)%s", (long)getpid(),
	    m.several ? ", a listener for each database" : "");
	if (http != NULL && (ret = httpd_start(http, serve, &m, &httpd,
	    &ctx->err)) == 0)
		log_msg(LOG_LEVEL_INFO, "listen: serving /health, /status and "
		    "/metrics on %s (port %d)", http, httpd_port(httpd));
	for (i = 0; ret == 0 && i < n; i++) {
		dbs[i].opts.stop_fd = stop_pipe[0];
		if (n == 1) {
			dbs[i].started = 1;
			db_listen_main(&dbs[i]);
		} else if (pthread_create(&dbs[i].thread, NULL, db_listen_main,
		    &dbs[i]) == 0)
			dbs[i].started = 1;
		else {
			ret = err_set(&ctx->err, PGTT_EIO, "could not start the "
			    "listener of database \"%s\"",
			    dbs[i].cfg->source.database);
			on_stop_signal(SIGTERM);
		}
	}
	for (i = 0; n > 1 && i < n; i++) {
		if (dbs[i].started)
			pthread_join(dbs[i].thread, NULL);
	}
	httpd_stop(httpd);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	ret = report(ctx, dbs, n, ret);
	log_to_stderr(0);
	free(m.status);
	pthread_mutex_destroy(&m.lock);
out:
	for (i = 0; i < n; i++) {
		if (dbs[i].opts.cfg != NULL)
			health_done(&dbs[i].health);
		if (dbs[i].j != NULL)
			journal_close(dbs[i].j);
		config_free(&dbs[i].view);
	}
	free(dbs);
	return ret;
}
