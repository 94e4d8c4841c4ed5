/*
 * config.h: pgtt's configuration, read from config.yaml with libyaml into
 * one typed struct.  Every string is owned by the struct (config_free).
 * Relative paths in the file are resolved against the file's directory, so
 * a config works from any working directory.
 */
#ifndef PGTT_CONFIG_H
#define PGTT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Who keeps the base backups and the WAL archive (config.yaml pitr.engine). */
enum pitr_engine {
	PITR_ENGINE_PGTT,	/* pg_basebackup and pg_receivewal, on disk */
	PITR_ENGINE_PGBACKREST,	/* a pgBackRest stanza; pgtt streams the
				   newest WAL beside it */
};

struct config {
	char		*path;		/* the file read, or NULL if none */

	struct {
		char	*dsn;		/* required (or PGTT_SOURCE_DSN) */
		char	*slot;		/* default "pgtt" */
		char	*publication;	/* default "pgtt" */
		char   **tables;	/* NULL-terminated; NULL = all tables */
		size_t	 ntables;
		int	 capture_ddl;	/* default 1 */
		int	 full_row_images; /* default 0: REPLICA IDENTITY FULL */
		int	 sequence_interval; /* s between samples; 0 = only
					     at checkpoints; default 10 */
		/*
		 * Several databases of the cluster the DSN names, each with
		 * its slot and journal (config_select_database).  NULL: the
		 * DSN's own database, as with one.
		 */
		char   **databases;	/* NULL-terminated */
		size_t	 ndatabases;
		char	*database;	/* the one selected; NULL: none */
	} source;

	struct {
		char	*dsn;		/* optional (or PGTT_REPLICA_DSN) */
		int	 lock_timeout;	/* s replay waits for a lock; 0 = for
					   ever; default 30 */
	} replica;

	struct {
		char	*path;		/* default "pgtt-data" */
		uint64_t map_size;	/* bytes; default 1 GiB; "512MB" etc. */
		int	 writer_nice;	/* the journal writer's nice above the
					   rest of pgtt; default 10 */
	} storage;

	struct {
		int	 enabled;	/* default 1 */
		char	*bindir;	/* default: found at run time */
		char	*archive_dir;	/* default <storage.path>/wal */
		char	*backup_dir;	/* default <storage.path>/base */
		char	*restore_data_dir; /* default <storage.path>/restore */
		int	 restore_port;	/* default 5499 */
		char	*os_user;	/* user to run servers as; NULL = auto */
		enum pitr_engine engine;	/* default PITR_ENGINE_PGTT */
		struct {
			char	*stanza;	/* needed with that engine */
			char	*config;	/* pgbackrest.conf; NULL: its
						   default */
		} pgbackrest;
	} pitr;

	struct {
		int	 backups;	/* keep the newest N; 0: all */
		int64_t	 archive;	/* s of WAL to keep; 0: all */
		uint64_t journal_warn;	/* bytes; 0: no warning */
	} retention;

	struct {
		char	*listen;	/* HOST:PORT for listen; NULL: off */
		int	 max_lag;	/* s of lag /health allows; default 60 */
	} http;

	struct {
		char	*file;		/* default <storage.path>/pgtt.log */
		enum log_level level;	/* default info */
	} log;
};

/*
 * Load path (NULL: no file, defaults and environment only).  Applies the
 * environment overrides PGTT_SOURCE_DSN and PGTT_REPLICA_DSN, then checks
 * that a source DSN is set.  On error returns PGTT_ECONFIG with err->where
 * holding "file:line:col" when the fault is in the file.
 */
int	config_load(struct config *, const char *path, struct pgtt_err *);
/*
 * Same as config_load but from a string (tests, fuzzing).  name stands for
 * the file: it appears in errors and relative paths resolve against its
 * directory (NULL: the working directory, and no config->path).  Both
 * loaders zero the struct first and free it again on error, so config_free
 * is always safe afterwards.
 */
int	config_load_string(struct config *, const char *text, size_t len,
	    const char *name, struct pgtt_err *);
/* Free every string and zero the struct; safe on a zeroed struct. */
void	config_free(struct config *);

/*
 * Find the config file as CLI.md says: explicit, $PGTT_CONFIG, ./config.yaml,
 * $XDG_CONFIG_HOME/pgtt/config.yaml (~/.config when unset).  Returns a
 * malloc'd path, or NULL when none exists (explicit paths and $PGTT_CONFIG
 * are returned even if missing, so the loader reports them).
 */
char	*config_find(const char *explicit_path);

/*
 * Make cfg the view of one of source.databases: its DSN names that
 * database, its slot is "<slot>_<name>", its journal lives in
 * "<storage.path>/<name>", and "{database}" in replica.dsn becomes the
 * name (a name that is not lowercase letters, digits and underscores is
 * written with those and a hash of it).  The PITR directories and the
 * log stay the cluster's, and PITR is the first database's: the others
 * have pitr.enabled off.  PGTT_EUSAGE, listing the names, when name is
 * not one of them.
 */
int	config_select_database(struct config *, const char *name,
	    struct pgtt_err *);
/*
 * The database a command on one acts on: name when given (checked),
 * else the only one configured.  NULL, with err listing the names, when
 * several are configured and none is named.
 */
const char *config_pick_database(const struct config *, const char *name,
	    struct pgtt_err *);

/* dsn with "{database}" replaced by name wherever it appears; malloc'd. */
char	*config_expand_database(const char *dsn, const char *name);

/* Parse "1GB", "512MiB", "1048576", "64k" into bytes; -1 if malformed. */
int	config_parse_size(const char *, uint64_t *);
/* Parse "7d", "12h", "30m", "90s" or "90" into seconds; -1 if malformed. */
int	config_parse_duration(const char *, int64_t *);

#endif
