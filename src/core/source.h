/*
 * source.h: what pgtt asks of the source database, read-only: the names of
 * the objects setup (setup.h) makes there, and their state now.
 */
#ifndef PGTT_SOURCE_H
#define PGTT_SOURCE_H

#include <stdint.h>

#include "config.h"
#include "err.h"
#include "lsn.h"

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
