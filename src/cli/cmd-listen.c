/*
 * cmd-listen.c: `pgtt --headless listen`.  Runs the listener in the
 * foreground until SIGINT or SIGTERM.  The signal handler only writes a
 * byte to a pipe the listener polls, so the stop happens at a point where
 * the journal can be flushed and the position confirmed.  With PITR on,
 * capture_run keeps the WAL archive beside it (not for --until, which
 * only catches up).  With --http (or http.listen) a monitor reads
 * /health, /status and /metrics from it while it runs.
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

/* What the HTTP server's thread reads while the listener runs. */
struct monitor {
	const struct cli_ctx	*ctx;
	struct journal		*j;
	struct health		 health;
	pthread_mutex_t		 lock;		/* the cached answers */
	char			*status;
	int64_t			 status_at;
	struct health_extra	 extra;		/* archive_window runs */
	int64_t			 extra_at;	/* pg_waldump: cached too */
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
	static char	said[sizeof st->error];
	struct monitor	*m = arg;

	health_on_archiver(&m->health, st);
	if (st->state != ARCHIVER_RESTARTING || st->error[0] == '\0' ||
	    strcmp(said, st->error) == 0)
		return;
	snprintf(said, sizeof said, "%s", st->error);
	fprintf(stderr, "pgtt: WAL archive: %s\n", st->error);
}

static void
print_progress(void *arg, const struct listener_progress *p)
{
	struct monitor		*m = arg;
	const struct cli_ctx	*ctx = m->ctx;
	char			 lsnbuf[LSN_BUFSIZE];

	health_on_listener(&m->health, p);
	if (ctx->verbosity > 0 && !ctx->json)
		fprintf(stderr, "journaled up to %s: %llu transactions, %llu "
		    "changes\n", lsn_format(p->flushed, lsnbuf),
		    (unsigned long long)p->transactions,
		    (unsigned long long)p->changes);
}

static void
listener_state(void *arg, const struct listener_progress *p)
{
	struct monitor	*m = arg;

	health_on_listener(&m->health, p);
}

/* The status object, asked of the source at most every few seconds. */
static void
serve_status(struct monitor *m, struct httpd_reply *r)
{
	json_t	*o;
	int64_t	 now = health_now_us();
	int	 reachable;

	pthread_mutex_lock(&m->lock);
	if (m->status == NULL || now - m->status_at >= STATUS_CACHE_US) {
		o = cli_status_json(&m->ctx->cfg, m->j, &reachable);
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

static void
serve_metrics(struct monitor *m, struct httpd_reply *r)
{
	const struct config	*cfg = &m->ctx->cfg;
	struct health_extra	 x;
	struct journal_stats	 st;
	struct pgtt_err		 err;

	int64_t			 now = health_now_us();

	pthread_mutex_lock(&m->lock);
	if (m->extra_at == 0 || now - m->extra_at >= STATUS_CACHE_US) {
		memset(&x, 0, sizeof x);
		if (cfg->pitr.enabled) {
			err_clear(&err);
			x.window_known = archive_window(cfg, m->j, &x.window,
			    &err) == 0;
			x.archive_bytes = fs_dir_bytes(cfg->pitr.archive_dir);
		}
		m->extra = x;
		m->extra_at = now;
	}
	x = m->extra;
	pthread_mutex_unlock(&m->lock);
	/* The journal's own figures cost a read: always current. */
	err_clear(&err);
	if (journal_stats(m->j, &st, &err) == 0) {
		x.journal_bytes = st.file_size;
		x.journal_changes = st.changes;
	}
	health_metrics(&m->health, &x, &r->body);
	r->type = "text/plain; version=0.0.4; charset=utf-8";
}

/* On the HTTP server's thread. */
static void
serve(void *arg, const char *path, struct httpd_reply *r)
{
	struct monitor	*m = arg;

	if (strcmp(path, "/health") == 0) {
		struct journal_stats	st;
		struct pgtt_err		err;
		char			w[PRUNE_WARN_MAX][200];
		size_t			nw = 0;

		err_clear(&err);
		if (journal_stats(m->j, &st, &err) == 0)
			nw = storage_warnings(&m->ctx->cfg, st.file_size, w);
		r->status = health_json(&m->health, m->ctx->cfg.http.max_lag,
		    w, nw, &r->body) ? 200 : 503;
		r->type = "application/json";
	} else if (strcmp(path, "/status") == 0)
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

/* One database's listener when listen goes over several. */
struct db_listen {
	struct config		 cfg;
	struct journal		*j;
	struct capture_opts	 opts;
	struct listener_progress progress;
	struct pgtt_err		 err;
	int			 ret;
	const struct cli_ctx	*ctx;
	pthread_t		 thread;
	int			 started;
};

static void
db_progress(void *arg, const struct listener_progress *p)
{
	struct db_listen	*d = arg;
	char			 lsnbuf[LSN_BUFSIZE];

	if (d->ctx->verbosity > 0 && !d->ctx->json)
		fprintf(stderr, "%s: journaled up to %s: %llu transactions, "
		    "%llu changes\n", d->cfg.source.database,
		    lsn_format(p->flushed, lsnbuf),
		    (unsigned long long)p->transactions,
		    (unsigned long long)p->changes);
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
 * Every database of source.databases, one listener thread each, in one
 * process; each keeps the durability contract of its own slot.  The
 * first database's capture keeps the cluster's WAL archive.
 */
static int
listen_every_database(struct cli_ctx *ctx, const char *until)
{
	struct db_listen	*dbs;
	size_t			 i, n = ctx->cfg.source.ndatabases;
	char			 lsnbuf[LSN_BUFSIZE];
	int			 ret = 0;

	dbs = xcalloc(n, sizeof *dbs);
	for (i = 0; ret == 0 && i < n; i++) {
		struct db_listen	*d = &dbs[i];

		d->ctx = ctx;
		if ((ret = cli_database_config(ctx,
		    ctx->cfg.source.databases[i], &d->cfg)) != 0)
			break;
		ret = journal_open(&d->j, d->cfg.storage.path,
		    d->cfg.storage.map_size, 0, &ctx->err);
		if (ret == PGTT_ENOTFOUND)
			err_hint(&ctx->err, "run setup first");
		if (ret == 0 && until != NULL && strcmp(until, "now") != 0)
			(void)lsn_parse(until, &d->opts.until);
		if (ret == 0 && until != NULL)
			ret = resolve_until(ctx, &d->cfg, d->j, until,
			    &d->opts.until);
		if (ret != 0)
			err_detail(&ctx->err, "database \"%s\"",
			    ctx->cfg.source.databases[i]);
		d->opts.cfg = &d->cfg;
		d->opts.journal = d->j;
		d->opts.on_commit = db_progress;
		d->opts.arg = d;
	}
	if (ret == 0)
		ret = catch_stop_signals(ctx);
	if (ret == 0) {
		if (!isatty(STDERR_FILENO))
			log_to_stderr(1);
		log_msg(LOG_LEVEL_INFO, "listen: started (pid %ld), %zu "
		    "databases", (long)getpid(), n);
		for (i = 0; i < n; i++) {
			dbs[i].opts.stop_fd = stop_pipe[0];
			if (pthread_create(&dbs[i].thread, NULL, db_listen_main,
			    &dbs[i]) != 0) {
				ret = err_set(&ctx->err, PGTT_EIO, "could not "
				    "start the listener of database \"%s\"",
				    dbs[i].cfg.source.database);
				on_stop_signal(SIGTERM);
				break;
			}
			dbs[i].started = 1;
		}
		for (i = 0; i < n; i++) {
			if (dbs[i].started)
				pthread_join(dbs[i].thread, NULL);
		}
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		close(stop_pipe[0]);
		close(stop_pipe[1]);
	}
	for (i = 0; i < n; i++) {
		struct db_listen	*d = &dbs[i];

		if (d->started) {
			log_msg(LOG_LEVEL_INFO, "listen: %s: stopped at %s "
			    "after %llu transactions, %llu changes",
			    d->cfg.source.database,
			    lsn_format(d->progress.flushed, lsnbuf),
			    (unsigned long long)d->progress.transactions,
			    (unsigned long long)d->progress.changes);
		}
		if (d->started && d->ret != 0 && ret == 0) {
			ctx->err = d->err;
			err_detail(&ctx->err, "%s%sdatabase \"%s\"",
			    d->err.detail, d->err.detail[0] != '\0' ? "; " :
			    "", d->cfg.source.database);
			ret = d->ret;
		} else if (d->started && ret == 0 && ctx->json)
			cli_emit_json(json_pack("{s:s, s:s, s:I, s:I}",
			    "database", d->cfg.source.database, "flushed_lsn",
			    lsn_format(d->progress.flushed, lsnbuf),
			    "transactions",
			    (json_int_t)d->progress.transactions, "changes",
			    (json_int_t)d->progress.changes));
		else if (d->started && ret == 0 && ctx->verbosity >= 0)
			printf("%s: stopped at %s: %llu transactions, %llu "
			    "changes journaled\n", d->cfg.source.database,
			    lsn_format(d->progress.flushed, lsnbuf),
			    (unsigned long long)d->progress.transactions,
			    (unsigned long long)d->progress.changes);
		if (d->j != NULL)
			journal_close(d->j);
		config_free(&d->cfg);
	}
	log_to_stderr(0);
	free(dbs);
	return ret;
}

int
cmd_listen(struct cli_ctx *ctx, int argc, char **argv)
{
	struct capture_opts	 opts;
	struct listener_progress progress;
	static const struct option	 lopts[] = {
		{ "until", required_argument, NULL, 'u' },
		{ "http", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct monitor		 m;
	struct httpd		*httpd = NULL;
	struct journal		*j;
	const char		*until = NULL, *http;
	char			*host, *port;
	char			 lsnbuf[LSN_BUFSIZE];
	int			 ch, ret;

	memset(&opts, 0, sizeof opts);

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
	    lsn_parse(until, &opts.until) != 0)
		return cli_usage_error(ctx, &cli_commands[VERB_LISTEN], "--until "
		    "takes an LSN or now, not \"%s\"", until);
	if (cli_all_databases(ctx)) {
		if (http != NULL)
			return cli_usage_error(ctx,
			    &cli_commands[VERB_LISTEN], "--http serves one "
			    "database's listener; with several, run listen "
			    "without it");
		return listen_every_database(ctx, until);
	}
	if ((ret = cli_open_journal(ctx, 0, &j)) != 0)
		return ret;
	memset(&opts, 0, sizeof opts);
	if (until != NULL && resolve_until(ctx, &ctx->cfg, j, until,
	    &opts.until) != 0) {
		journal_close(j);
		return ctx->err.code;
	}
	if (catch_stop_signals(ctx) != 0) {
		journal_close(j);
		return ctx->err.code;
	}

	memset(&m, 0, sizeof m);
	m.ctx = ctx;
	m.j = j;
	health_init(&m.health, ctx->cfg.pitr.enabled && opts.until ==
	    LSN_INVALID);
	pthread_mutex_init(&m.lock, NULL);
	opts.cfg = &ctx->cfg;
	opts.journal = j;
	opts.stop_fd = stop_pipe[0];
	opts.on_commit = print_progress;
	opts.on_state = listener_state;
	opts.on_archiver = archiver_state;
	opts.arg = &m;
	/* Under systemd or a pipe, the events are the output. */
	if (!isatty(STDERR_FILENO))
		log_to_stderr(1);
	log_msg(LOG_LEVEL_INFO, "listen: started (pid %ld)", (long)getpid());
	memset(&progress, 0, sizeof progress);
	if (http != NULL) {
		if (httpd_start(http, serve, &m, &httpd, &ctx->err) != 0) {
			ret = ctx->err.code;
			goto out;
		}
		log_msg(LOG_LEVEL_INFO, "listen: serving /health, /status and "
		    "/metrics on %s (port %d)", http, httpd_port(httpd));
	}
	ret = capture_run(&opts, &progress, &ctx->err);
	httpd_stop(httpd);
out:

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	free(m.status);
	pthread_mutex_destroy(&m.lock);
	health_done(&m.health);
	journal_close(j);
	log_msg(LOG_LEVEL_INFO, "listen: stopped at %s after %llu "
	    "transactions, %llu changes", lsn_format(progress.flushed, lsnbuf),
	    (unsigned long long)progress.transactions,
	    (unsigned long long)progress.changes);
	/* The error, if any, is printed once, as for every command. */
	log_to_stderr(0);
	if (ret != 0)
		return ret;
	if (ctx->json)
		cli_emit_json(json_pack("{s:s, s:I, s:I}", "flushed_lsn",
		    lsn_format(progress.flushed, lsnbuf), "transactions",
		    (json_int_t)progress.transactions, "changes",
		    (json_int_t)progress.changes));
	else if (ctx->verbosity >= 0)
		printf("stopped at %s: %llu transactions, %llu changes "
		    "journaled\n", lsnbuf,
		    (unsigned long long)progress.transactions,
		    (unsigned long long)progress.changes);
	return 0;
}
