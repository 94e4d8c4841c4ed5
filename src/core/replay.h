/*
 * replay.h: bring the replica database to a point in history
 * (DESIGN.md, "Replay to a replica").
 *
 * The replica stands at the LSN in its pgtt.replay_state: it holds every
 * source transaction committed before it.  Forward, replay applies the
 * journaled transactions from there up to the target, several source
 * transactions to a replica transaction, each of which also moves
 * replay_state, so an interrupted replay resumes and applies nothing
 * twice.  Backward, when every change in between carries its whole old
 * row, it applies their inverses newest first; otherwise it resets the
 * replica to the baseline (creation) and goes forward from there.
 *
 * Nothing here writes to the source: the replica is refused when it is
 * the source itself (same system identifier and database).
 */
#ifndef PGTT_REPLAY_H
#define PGTT_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "journal.h"
#include "lsn.h"
#include "verb.h"

enum replay_direction {
	REPLAY_NONE = 0,	/* already there */
	REPLAY_FORWARD,
	REPLAY_BACKWARD,
	REPLAY_RESET,		/* reset to the baseline, then forward */
};

enum replay_on_error {
	REPLAY_ON_ERROR_STOP = 0,	/* roll back, report, stop */
	REPLAY_ON_ERROR_SKIP,		/* leave the change out, go on */
};

/*
 * How a forward window is applied: a source transaction at a time, by
 * its net effect (replay-net.c), or as replay sees fit (auto): net
 * effect for a window of at least REPLAY_NET_MIN changes that it can
 * take, else a transaction at a time.
 */
enum replay_mode {
	REPLAY_MODE_AUTO = 0,
	REPLAY_MODE_TXN,
	REPLAY_MODE_NET,
};

#define REPLAY_NET_MIN	2000	/* by bench/replay.sh, net wins from ~1,000 */

enum replay_phase {
	REPLAY_PHASE_STARTING,
	REPLAY_PHASE_RESETTING,	/* to the baseline */
	REPLAY_PHASE_APPLYING,
};

struct replay_opts {
	pgtt_lsn	 to;
	const char	*target_dsn;	/* NULL: the session's, else config */
	const char	*session;	/* NULL: the active one */
	enum replay_on_error on_error;
	int		 dry_run;
	int		 reset;		/* reset first; also takes over a
					   replica of another source */
	enum replay_mode mode;
};

struct replay_result {
	pgtt_lsn	 from;
	pgtt_lsn	 to;		/* reached; stopped: where the replica
					   stands, LSN_INVALID if unchanged */
	enum replay_direction direction;
	uint64_t	 transactions;	/* applied (or planned, dry run) */
	uint64_t	 changes;
	uint64_t	 failures;	/* skipped with --on-error skip */
	int64_t		 elapsed_ms;
	char		*first_error;	/* NULL when none */
	char		*target;	/* masked DSN */
	char		*reason;	/* why this direction, for people */
	char		**dropped;	/* by the reset, "public.t (table)" */
	size_t		 ndropped;
	char		**partial;	/* tables captured in part that the
					   replay touched, "public.t: why" */
	size_t		 npartial;
	size_t		 sequences_set;		/* to the source's sample */
	pgtt_lsn	 sequences_sampled_at;	/* that sample; 0 = none */
	char		*sequences_error;	/* the first it could not set */
	size_t		 sequences_raised;	/* to their columns' largest */
	int		 cancelled;
	int		 replica_role;	/* session_replication_role = replica */
	int		 privileges;	/* owners and grants follow the source */
	int		 started;	/* it changed, or began to change, the
					   replica: worth a summary on failure */
	enum replay_mode mode;		/* how it went forward: TXN or NET;
					   AUTO: it did not */
	char		*mode_reason;	/* why not NET, when not; NULL */
};

/*
 * Replay to o->to.  vc's cancel stops it at the next transaction boundary,
 * its cancel_ready gets what stops the statement running on the replica;
 * progress phases are enum replay_phase, counting changes.
 */
int	replay_run(const struct verb_ctx *, const struct replay_opts *,
	    struct replay_result *, struct pgtt_err *);
void	replay_result_done(struct replay_result *);
/* The DSN replay_run would write to with these options; malloc'd. */
char	*replay_target_dsn(struct journal *, const struct config *,
	    const struct replay_opts *, struct pgtt_err *);
const char *replay_direction_name(enum replay_direction);
/* "auto", "txn", "net". */
const char *replay_mode_name(enum replay_mode);

/* "starting", "resetting", "applying": for progress printed in words. */
const char *replay_phase_name(enum replay_phase);

#endif
