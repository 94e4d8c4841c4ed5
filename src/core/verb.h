/*
 * verb.h: what every verb is handed, and the one table of verbs both
 * faces follow.
 *
 * A verb that runs for a while is a core function of one shape:
 *
 *	int X_run(const struct verb_ctx *, const struct X_opts *,
 *	    struct X_result *, struct pgtt_err *);
 *
 * The context carries the config, the open journal, the flag that asks
 * the verb to stop and the one progress callback; the opts say what to
 * do, the result what was done, in numbers and enums rather than text.
 * The headless face parses arguments into opts and formats the result;
 * the TUI runs the same function in a worker.  Which of them may be
 * stopped, shows progress or writes the journal, both read from
 * verb_table rather than each deciding on its own.
 */
#ifndef PGTT_VERB_H
#define PGTT_VERB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct journal;
struct pg_cancel;

enum verb_id {
	VERB_SETUP,
	VERB_LISTEN,
	VERB_STATUS,
	VERB_CHECKPOINT,
	VERB_SESSION,
	VERB_LOG,
	VERB_DIFF,
	VERB_HISTORY,
	VERB_REPLAY,
	VERB_BACKUP,
	VERB_RESTORE,
	VERB_VERIFY,
	VERB_PRUNE,
	VERB_COUNT
};

enum verb_flag {
	VERB_LONG		= 1 << 1,	/* reports progress; a worker */
	VERB_CANCELLABLE	= 1 << 2,	/* honours verb_ctx.cancel */
	VERB_WRITES_JOURNAL	= 1 << 3,	/* opens the journal to write */
};

struct verb_info {
	const char	*name;		/* as the command line spells it */
	int		 flags;		/* enum verb_flag */
};

extern const struct verb_info verb_table[VERB_COUNT];

/*
 * Where a verb is.  phase is the verb's own enum (replay_phase,
 * restore_phase, ...), which each face puts in its own words; done and
 * total count the verb's unit (changes, kB, percent), total 0 when it is
 * not known.
 */
struct verb_progress {
	enum verb_id	 verb;
	int		 phase;
	uint64_t	 done;
	uint64_t	 total;
};

struct verb_ctx {
	const struct config	*cfg;
	struct journal		*j;
	/* Set from a signal or another thread; NULL: it runs to its end. */
	const atomic_int	*cancel;
	/* Called from the verb's thread; may be NULL. */
	void			(*progress)(void *, const struct verb_progress *);
	/*
	 * May be NULL.  Called from the verb's thread with what PQcancel()
	 * needs to stop the statement it runs (one waiting for a lock), and
	 * with NULL before that is freed: from then on it must not be used.
	 */
	void			(*cancel_ready)(void *, struct pg_cancel *);
	void			*arg;		/* of progress, cancel_ready */
};

/* Whether the verb was asked to stop. */
static inline int
verb_stop_requested(const struct verb_ctx *vc)
{
	return vc->cancel != NULL && atomic_load(vc->cancel);
}

/* Percent done, 0 when the total is not known. */
static inline int
verb_percent(const struct verb_progress *p)
{
	return p->total > 0 ? (int)(p->done * 100 / p->total) : 0;
}

/* Tell vc's progress callback, if any, where the verb is. */
void	verb_progress_to(const struct verb_ctx *, enum verb_id, int phase,
	    uint64_t done, uint64_t total);

/* Where a verb is, in words: "applying 40/100", "12%, 3 MB". */
void	verb_progress_words(const struct verb_progress *, char *,
	    size_t);

/* A context for a verb run inside another: same config and journal. */
struct verb_ctx verb_ctx_quiet(const struct verb_ctx *);

#endif
