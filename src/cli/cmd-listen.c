/*
 * cmd-listen.c: `pgtt --headless listen`.  Runs the listener in the
 * foreground until SIGINT or SIGTERM.  The signal handler only writes a
 * byte to a pipe the listener polls, so the stop happens at a point where
 * the journal can be flushed and the position confirmed.  With PITR on,
 * capture_run keeps the WAL archive beside it (not for --until, which
 * only catches up).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "core/capture.h"
#include "core/journal.h"
#include "core/logfile.h"
#include "core/point.h"

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

	(void)arg;
	if (st->state != ARCHIVER_RESTARTING || st->error[0] == '\0' ||
	    strcmp(said, st->error) == 0)
		return;
	snprintf(said, sizeof said, "%s", st->error);
	fprintf(stderr, "pgtt: WAL archive: %s\n", st->error);
}

static void
print_progress(void *arg, const struct listener_progress *p)
{
	const struct cli_ctx	*ctx = arg;
	char			 lsnbuf[LSN_BUFSIZE];

	if (ctx->verbosity > 0 && !ctx->json)
		fprintf(stderr, "journaled up to %s: %llu transactions, %llu "
		    "changes\n", lsn_format(p->flushed, lsnbuf),
		    (unsigned long long)p->transactions,
		    (unsigned long long)p->changes);
}

/*
 * An --until LSN the listener can reach: not before the journal's
 * creation (it would stop at once, or never), not beyond the source's
 * current position (it would wait for WAL that may never come).
 */
static int
until_reachable(struct journal *j, struct cli_ctx *ctx, const char *text,
    pgtt_lsn until)
{
	pgtt_lsn	first, last, now;
	char		a[LSN_BUFSIZE], b[LSN_BUFSIZE];

	if (point_range(j, &first, &last, &ctx->err) != 0 ||
	    point_resolve(j, ctx->cfg.source.dsn, "now", &now,
	    &ctx->err) != 0)
		return ctx->err.code;
	if (until >= first && until <= now)
		return 0;
	err_set(&ctx->err, PGTT_EUSAGE, "%s is outside what the listener can "
	    "reach, %s (creation) to %s (the source now)", text,
	    lsn_format(first, a), lsn_format(now, b));
	return ctx->err.code;
}

int
cmd_listen(struct cli_ctx *ctx, int argc, char **argv)
{
	struct capture_opts	 opts;
	struct listener_progress progress;
	struct sigaction	 sa;
	static const struct option	 lopts[] = {
		{ "until", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	struct journal		*j;
	const char		*until = NULL;
	char			 lsnbuf[LSN_BUFSIZE];
	int			 ch, ret;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", lopts, NULL)) != -1) {
		if (ch == 'u')
			until = optarg;
		else
			return cli_usage_error(ctx, cli_find("listen"),
			    "unknown option \"%s\" for listen",
			    argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error(ctx, cli_find("listen"), "listen takes "
		    "no arguments, got \"%s\"", argv[optind]);
	if ((ret = cli_open_journal(ctx, 0, &j)) != 0)
		return ret;
	memset(&opts, 0, sizeof opts);
	/*
	 * Only positions known now: a time or a name could lie beyond what
	 * the journal holds yet, and would resolve to "already there".
	 */
	if (until != NULL && strcmp(until, "now") != 0 &&
	    lsn_parse(until, &opts.until) != 0) {
		journal_close(j);
		return cli_usage_error(ctx, cli_find("listen"), "--until "
		    "takes an LSN or now, not \"%s\"", until);
	}
	if (until != NULL && (strcmp(until, "now") == 0 ?
	    point_resolve(j, ctx->cfg.source.dsn, until, &opts.until,
	    &ctx->err) : until_reachable(j, ctx, until, opts.until)) != 0) {
		err_where(&ctx->err, "--until");
		journal_close(j);
		return ctx->err.code;
	}
	if (pipe(stop_pipe) == -1) {
		journal_close(j);
		return err_set(&ctx->err, PGTT_EIO, "could not create pipe: %s",
		    strerror(errno));
	}
	fcntl(stop_pipe[1], F_SETFL, O_NONBLOCK);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	opts.cfg = &ctx->cfg;
	opts.journal = j;
	opts.stop_fd = stop_pipe[0];
	opts.on_commit = print_progress;
	opts.on_archiver = archiver_state;
	opts.arg = ctx;
	/* Under systemd or a pipe, the events are the output. */
	if (!isatty(STDERR_FILENO))
		log_to_stderr(1);
	log_msg(LOG_LEVEL_INFO, "listen: started (pid %ld)", (long)getpid());
	memset(&progress, 0, sizeof progress);
	ret = capture_run(&opts, &progress, &ctx->err);

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	close(stop_pipe[0]);
	close(stop_pipe[1]);
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
