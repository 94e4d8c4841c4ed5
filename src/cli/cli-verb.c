/*
 * cli-verb.c: what running a verb from the command line shares, as the
 * verb table says: the journal opened to read or to write, SIGINT and
 * SIGTERM stopping a verb that may be stopped, and one progress line on
 * a terminal for a long one.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cli.h"
#include "core/journal.h"

/* Lock-free, so a signal handler may set it. */
static atomic_int		cancel_requested;
/* The verb runs on this thread: the handler interrupts it, never races. */
static PGcancel *volatile	canceller;

static void
cancel_ready(void *arg, PGcancel *c)
{
	(void)arg;
	canceller = c;
}

/* PQcancel() is safe in a signal handler; it is made for one. */
static void
on_signal(int sig)
{
	char	errbuf[256];
	int	saved = errno;

	(void)sig;
	atomic_store(&cancel_requested, 1);
	if (canceller != NULL)
		(void)PQcancel(canceller, errbuf, sizeof errbuf);
	errno = saved;
}

/* A bar on stderr, redrawn in place, for people watching a terminal. */
static void
show_progress(void *arg, const struct verb_progress *p)
{
	enum { WIDTH = 30 };
	char	bar[WIDTH + 1], words[128];
	int	filled = p->total > 0 ? (int)(p->done * WIDTH / p->total) : 0;

	(void)arg;
	if (filled > WIDTH)
		filled = WIDTH;
	memset(bar, '#', filled);
	memset(bar + filled, '.', WIDTH - filled);
	bar[WIDTH] = '\0';
	verb_progress_words(p, words, sizeof words);
	fprintf(stderr, "\r%s [%s] %-44s", verb_table[p->verb].name, bar,
	    words);
	fflush(stderr);
}

int
cli_verb_begin(struct cli_ctx *ctx, enum verb_id verb, int progress,
    struct cli_verb *cv)
{
	int		 flags = verb_table[verb].flags, ret;
	struct sigaction sa;

	memset(cv, 0, sizeof *cv);
	if ((ret = cli_open_journal(ctx, flags & VERB_WRITES_JOURNAL ? 0 :
	    JOURNAL_READONLY, &cv->j)) != 0)
		return ret;
	cv->vc.cfg = &ctx->cfg;
	cv->vc.j = cv->j;
	if ((flags & VERB_LONG) && progress && !ctx->json &&
	    ctx->verbosity >= 0 && isatty(STDERR_FILENO)) {
		cv->vc.progress = show_progress;
		cv->bar = 1;
	}
	if (flags & VERB_CANCELLABLE) {
		atomic_store(&cancel_requested, 0);
		canceller = NULL;
		cv->vc.cancel = &cancel_requested;
		cv->vc.cancel_ready = cancel_ready;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, &cv->old_int);
		sigaction(SIGTERM, &sa, &cv->old_term);
		cv->signals = 1;
	}
	return 0;
}

void
cli_verb_end(struct cli_verb *cv)
{
	if (cv->signals) {
		sigaction(SIGINT, &cv->old_int, NULL);
		sigaction(SIGTERM, &cv->old_term, NULL);
		cv->signals = 0;
	}
	if (cv->bar) {
		fputc('\n', stderr);
		cv->bar = 0;
	}
	if (cv->j != NULL) {
		journal_close(cv->j);
		cv->j = NULL;
	}
}
