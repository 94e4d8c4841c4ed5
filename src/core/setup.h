/*
 * setup.h: setup of the source, the one part of pgtt that writes to it:
 * it creates exactly the objects its report lists.
 */
#ifndef PGTT_SETUP_H
#define PGTT_SETUP_H

#include <stdint.h>

#include "config.h"
#include "err.h"
#include "lsn.h"
#include "verb.h"

enum setup_state {
	SETUP_EXISTS,	/* already as wanted: nothing done */
	SETUP_CREATED,
	SETUP_CHANGED,
	SETUP_SKIPPED,	/* left alone on purpose; the note says why */
	SETUP_PARTIAL,	/* captured in part; the note says what and why */
	SETUP_PLANNED,	/* --dry-run: would be created or changed */
};

struct setup_step {
	char			*object;	/* `publication "pgtt"` */
	enum setup_state	 state;
	char			*note;		/* may be NULL */
};

struct setup_report {
	struct setup_step	*steps;
	size_t			 nsteps;
	char			*system_id;
	char			*database;
	int			 server_version;	/* e.g. 150018 */
	char			*slot;
	char			*publication;
	char			*ddl_prefix;		/* secret; NULL: no capture */
	char			*journal;		/* directory */
	char			*baseline;		/* dump file */
	char			*baseline_list;		/* pg_restore -L list */
	pgtt_lsn		 creation_lsn;
	pgtt_lsn		 baseline_lsn;	/* the newest baseline's point */
};

struct setup_opts {
	int		 dry_run;	/* report what it would do; change
					   nothing */
	int		 no_backup;	/* no first base backup */
	int		 new_baseline;	/* go on after a break (era.h) */
};

/* The one way on when the slot a history streams from is lost. */
#define NEW_BASELINE_HINT "run \"pgtt --headless setup --new-baseline\": " \
	"it keeps this history readable, marks the break in it and goes on " \
	"from a new baseline"

/*
 * Prepare the source for capture: publication, DDL trigger, logical slot
 * with an exported snapshot and the baseline dump taken under it, and the
 * journal with its `creation` checkpoint; with PITR on (pitr.enabled), the
 * physical slot the WAL archive streams from and the first base backup.
 * Idempotent.  With dry_run, fills the report with what it would do and
 * changes nothing.  Setup opens the journal it may have to make: vc->j
 * is not used.
 */
int	setup_run(const struct verb_ctx *, const struct setup_opts *,
	    struct setup_report *, struct pgtt_err *);
void	setup_report_done(struct setup_report *);
const char *setup_state_name(enum setup_state);

#endif
