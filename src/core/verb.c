/*
 * verb.c: the table of verbs and what every verb's context offers.
 */
#include <stdio.h>
#include <string.h>

#include "backup.h"
#include "replay.h"
#include "restore.h"
#include "verb.h"
#include "verify.h"

const struct verb_info verb_table[VERB_COUNT] = {
	[VERB_SETUP] =		{ "setup", VERB_WRITES_JOURNAL },
	/* listen stops on its own pipe (capture.h), not verb_ctx.cancel. */
	[VERB_LISTEN] =		{ "listen", VERB_WRITES_JOURNAL },
	[VERB_STATUS] =		{ "status", 0 },
	[VERB_CHECKPOINT] =	{ "checkpoint", VERB_WRITES_JOURNAL },
	[VERB_SESSION] =	{ "session", VERB_WRITES_JOURNAL },
	[VERB_LOG] =		{ "log", 0 },
	[VERB_DIFF] =		{ "diff", VERB_CANCELLABLE },
	[VERB_HISTORY] =	{ "history", 0 },
	[VERB_REPLAY] =		{ "replay", VERB_LONG | VERB_CANCELLABLE |
				  VERB_WRITES_JOURNAL },
	[VERB_BACKUP] =		{ "backup", VERB_LONG | VERB_WRITES_JOURNAL },
	[VERB_RESTORE] =	{ "restore", VERB_LONG | VERB_WRITES_JOURNAL },
	[VERB_VERIFY] =		{ "verify", VERB_LONG | VERB_WRITES_JOURNAL },
	[VERB_PRUNE] =		{ "prune", VERB_WRITES_JOURNAL },
};

void
verb_progress_to(const struct verb_ctx *vc, enum verb_id verb, int phase,
    uint64_t done, uint64_t total)
{
	struct verb_progress	p = { verb, phase, done, total };

	if (vc->progress != NULL)
		vc->progress(vc->arg, &p);
}

struct verb_ctx
verb_ctx_quiet(const struct verb_ctx *vc)
{
	struct verb_ctx	quiet;

	memset(&quiet, 0, sizeof quiet);
	quiet.cfg = vc->cfg;
	quiet.j = vc->j;
	return quiet;
}

void
verb_progress_words(const struct verb_progress *p, char *buf, size_t size)
{
	switch (p->verb) {
	case VERB_REPLAY:
		snprintf(buf, size, "%s %llu/%llu", replay_phase_name(
		    (enum replay_phase)p->phase), (unsigned long long)p->done,
		    (unsigned long long)p->total);
		break;
	case VERB_BACKUP:
		if (p->phase == BACKUP_PHASE_PGBACKREST)
			snprintf(buf, size, "pgbackrest backup runs");
		else
			snprintf(buf, size, "%d%%, %llu MB", verb_percent(p),
			    (unsigned long long)(p->done / 1024));
		break;
	case VERB_RESTORE:
		snprintf(buf, size, "%d%% %s", verb_percent(p),
		    restore_phase_name((enum restore_phase)p->phase));
		break;
	case VERB_VERIFY:
		snprintf(buf, size, "%s",
		    verify_phase_name((enum verify_phase)p->phase));
		break;
	default:
		snprintf(buf, size, "%llu/%llu", (unsigned long long)p->done,
		    (unsigned long long)p->total);
		break;
	}
}
