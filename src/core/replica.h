/*
 * replica.h: the database replay rewrites.  pgtt owns its contents: a
 * reset drops every schema, table, routine, type and extension in it and
 * restores the baseline.  Its position lives in pgtt.replay_state, one
 * row written in the same transaction as the changes it accounts for.
 */
#ifndef PGTT_REPLICA_H
#define PGTT_REPLICA_H

#include <libpq-fe.h>
#include <stddef.h>

#include "err.h"
#include "lsn.h"

struct replica_state {
	int		 present;	/* pgtt.replay_state has its row */
	char		 system_id[32];	/* of the source it follows */
	char		 database[128];
	pgtt_lsn	 lsn;		/* holds every commit before this */
	int		 privileges;	/* restored with owners and grants */
};

/* The server's system identifier and the current database (malloc'd). */
int	replica_identify(PGconn *, char **system_id, char **database,
	    struct pgtt_err *);
int	replica_state_read(PGconn *, struct replica_state *, struct pgtt_err *);

struct replica_baseline {
	const char	*bindir;	/* pitr.bindir, may be NULL */
	int		 major;		/* the source's major version */
	const char	*dump;		/* baseline.dump */
	const char	*list;		/* baseline.list */
	const char	*system_id;	/* the source's */
	const char	*database;
	pgtt_lsn	 creation;
};

/*
 * Empty the replica database, restore the baseline into it with
 * pg_restore and set its position to creation.  The source's owners and
 * privileges are restored when every role they name exists here
 * (*privileges = 1); else none are, and the replay role owns everything
 * (*privileges = 0).  *dropped lists the relations it held that the
 * baseline does not ("public.t (table)"), malloc'd.
 */
int	replica_reset(PGconn *, const char *dsn, const struct replica_baseline *,
	    char ***dropped, size_t *ndropped, int *privileges,
	    struct pgtt_err *);

/*
 * Create or refresh pgtt.replay_run_as(role, was_superuser, statement,
 * search_path), through which replay runs captured DDL as the role that
 * ran it (see replica.c).  The connection must be idle.
 */
int	replica_install_run_as(PGconn *, struct pgtt_err *);
/* Drop the row functions a replay made (pgtt.row_*); idle connection. */
int	replica_drop_row_functions(PGconn *, struct pgtt_err *);

/*
 * Logical decoding carries no sequence changes.  Raise every sequence
 * owned by an integer column (serial, identity) to that column's largest
 * value, so the application's next INSERT on the replica does not
 * collide with a replayed row; *raised counts those moved.  Never lowers
 * one.  The connection must be idle, outside a transaction.
 */
int	replica_sequence_floor(PGconn *, size_t *raised, struct pgtt_err *);

#endif
