/*
 * source.h: what pgtt does to and asks of the source database.  Apart from
 * setup, which creates exactly the objects its report lists, nothing here
 * writes to the source.
 */
#ifndef PGTT_SOURCE_H
#define PGTT_SOURCE_H

#include <stdint.h>

#include "config.h"
#include "err.h"
#include "lsn.h"

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

enum {
	SETUP_DRY_RUN = 0x01,	/* report what would be done; change nothing */
	SETUP_NO_BACKUP = 0x02,	/* do not take the first base backup */
	SETUP_NEW_BASELINE = 0x04, /* go on after a break (era.h) */
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
 * Idempotent.  flags are SETUP_*; with SETUP_DRY_RUN, fills the report
 * with what it would do and changes nothing.
 */
int	source_setup(const struct config *, int flags, struct setup_report *,
	    struct pgtt_err *);
/* The physical slot of the WAL archive: "<source.slot>_wal"; malloc'd. */
char	*source_wal_slot(const struct config *);
/*
 * The publication of INSERT and TRUNCATE alone, for tables with no usable
 * replica identity (publishing their UPDATE and DELETE would make those
 * fail on the source): "<publication>_inserts"; malloc'd.
 */
char	*source_inserts_publication(const char *publication);
/* Why a table is captured in part, from its relreplident. */
const char *source_partial_reason(char relreplident);
void	setup_report_done(struct setup_report *);
const char *setup_state_name(enum setup_state);

struct db_status {
	int		 configured;
	int		 reachable;
	char		*dsn;		/* masked */
	char		*error;		/* why unreachable; NULL when reachable */
	char		*version;	/* server_version */
	int		 version_num;
	char		*database;
	char		*user;
	char		*system_id;
	char		*wal_level;
	int		 in_recovery;
	pgtt_lsn	 current_lsn;	/* insert or replay position */
};

struct slot_status {
	int		 exists;
	int		 active;
	int		 active_pid;
	char		*plugin;
	char		*database;
	char		*wal_status;	/* NULL before PostgreSQL 13 */
	pgtt_lsn	 restart_lsn;
	pgtt_lsn	 confirmed_flush_lsn;
	int64_t		 lag_bytes;	/* current WAL - confirmed flush */
};

/* A table in scope that is not captured whole, and why. */
struct capture_gap {
	char			*table;		/* "schema.name" */
	char			*reason;
};

struct source_status {
	struct db_status	source;
	struct db_status	replica;
	struct slot_status	slot;
	int			publication_exists;
	int			publication_tables;
	int			ddl_trigger;
	struct capture_gap	*partial;	/* INSERT and TRUNCATE only */
	size_t			 npartial;
	struct capture_gap	*missing;	/* not captured at all */
	size_t			 nmissing;
};

/* Never fails: what cannot be reached is reported as such. */
void	source_status(const struct config *, struct source_status *);
void	source_status_done(struct source_status *);

#endif
