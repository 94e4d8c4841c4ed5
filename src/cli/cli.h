/*
 * cli.h: the headless face.  Each command gathers its arguments, calls
 * core, and prints the result as text or JSON; it holds no logic of its
 * own.  The command table is the one list `--help` and the man page follow.
 */
#ifndef PGTT_CLI_H
#define PGTT_CLI_H

#include <jansson.h>
#include <signal.h>

#include "core/config.h"
#include "core/err.h"
#include "core/record.h"
#include "core/verb.h"

struct cli_ctx {
	const char	*config_path;	/* -c, or NULL to search */
	int		 json;		/* --json */
	int		 verbosity;	/* -q: -1, default 0, -v: 1 */
	const char	*database;	/* -d, or NULL */
	struct config	 cfg;		/* loaded by cli_run when needed */
	struct pgtt_err	 err;
};

/*
 * What a command's config is a view of when source.databases lists
 * several (config_select_database).
 */
enum cli_scope {
	CLI_NO_CONFIG,
	CLI_DATABASE,	/* the one -d names, or the only one */
	CLI_CLUSTER,	/* every database unless -d names one: the command
			   goes over them itself */
	CLI_PITR,	/* the first database, which keeps the cluster's
			   backups and restores */
};

/* One per verb, in --help's order: its name and flags are verb_table's. */
struct cli_command {
	const char	*args;		/* usage after the name */
	const char	*summary;	/* one line for --help */
	enum cli_scope	 scope;
	int		(*run)(struct cli_ctx *, int, char **);
};

extern const struct cli_command cli_commands[VERB_COUNT];

static inline const char *
cli_command_name(const struct cli_command *c)
{
	return verb_table[c - cli_commands].name;
}

/* Find and load the config (CLI.md's search); an exit status on failure. */
int	 cli_load_config(struct cli_ctx *);
/*
 * Load the config again as the view of database name, into cfg (for a
 * command that goes over every database); 0 or an error in ctx->err.
 */
int	 cli_database_config(struct cli_ctx *, const char *name,
	    struct config *cfg);
/* Is ctx->cfg one database of several, none selected (CLI_CLUSTER)? */
int	 cli_all_databases(const struct cli_ctx *);
struct journal;
/*
 * Open the configured journal (flags as journal_open takes them); a
 * missing one gets the hint to run setup.
 */
int	 cli_open_journal(struct cli_ctx *, int flags, struct journal **);
/*
 * A verb run from the command line (cli-verb.c): its context, with the
 * journal opened as verb_table says, SIGINT and SIGTERM setting its
 * cancel flag when it may be stopped, and a progress line on stderr for
 * a long one when progress is wanted and stderr is a terminal.
 */
struct cli_verb {
	struct verb_ctx	 vc;
	struct journal	*j;
	int		 bar;		/* a progress line is on stderr */
	int		 signals;	/* ours are installed */
	struct sigaction old_int, old_term;
};
int	 cli_verb_begin(struct cli_ctx *, enum verb_id, int progress,
	    struct cli_verb *);
/* Put back the signals, end the progress line, close the journal. */
void	 cli_verb_end(struct cli_verb *);
/* --table names a table the journal has seen, or a usage error says not. */
int	 cli_check_table(struct cli_ctx *, const struct cli_command *,
	    struct journal *, const char *schema, const char *table);
/* Run argv[0] with its arguments; returns the process exit status. */
int	 cli_run(struct cli_ctx *, int, char **);
/* Print the failure in ctx->err to stderr (text or JSON). */
void	 cli_print_error(const struct cli_ctx *);
/* Write one JSON object as one line to stdout; steals the reference. */
void	 cli_emit_json(json_t *);
/* Bytes of a text value as a JSON string; non-UTF-8 bytes become '?'. */
json_t	*cli_json_text(const char *, size_t);
/* Write what a formatter put in b to out, and empty b. */
void	 cli_put_buf(FILE *, struct buf *);
/* The command table as --help shows it. */
void	 cli_print_commands(FILE *);
/* A bash completion script for the same table (completion.c). */
void	 cli_print_bash_completion(FILE *);

/* Usage error for a command: fills ctx->err, returns PGTT_EUSAGE. */
int	 cli_usage_error(struct cli_ctx *, const struct cli_command *,
	    const char *, ...) __attribute__((format(printf, 3, 4)));
const struct cli_command *cli_find(const char *);

struct journal;
/*
 * The object `status --json` prints, without the DSNs (for /status),
 * reading the journal through j when it is open (NULL: opened here).
 */
json_t	*cli_status_json(const struct config *, struct journal *,
	    int *source_reachable);

int	 cmd_backup(struct cli_ctx *, int, char **);
int	 cmd_checkpoint(struct cli_ctx *, int, char **);
int	 cmd_listen(struct cli_ctx *, int, char **);
int	 cmd_session(struct cli_ctx *, int, char **);
int	 cmd_diff(struct cli_ctx *, int, char **);
int	 cmd_history(struct cli_ctx *, int, char **);
int	 cmd_log(struct cli_ctx *, int, char **);
int	 cmd_prune(struct cli_ctx *, int, char **);
int	 cmd_replay(struct cli_ctx *, int, char **);
int	 cmd_restore(struct cli_ctx *, int, char **);
int	 cmd_setup(struct cli_ctx *, int, char **);
int	 cmd_status(struct cli_ctx *, int, char **);
int	 cmd_verify(struct cli_ctx *, int, char **);

/*
 * A change as `log` prints it: one JSON object (its shape in CLI.md), or
 * one text line to out (b is scratch).  rel and trels may be NULL.
 */
json_t	*cli_change_json(const struct pgtt_change *, const struct pgtt_txn *,
	    const struct pgtt_relation *, const struct pgtt_relation *const *);
void	 cli_change_text(const struct pgtt_change *, const struct pgtt_txn *,
	    const struct pgtt_relation *, const struct pgtt_relation *const *,
	    struct buf *, FILE *);

struct backup_info;
/* A backup as JSON, the shape `backup` and `backup list` print. */
json_t	*backup_json(const struct config *, const struct backup_info *);

/*
 * Whether everything printed reached standard output (a full disk, a
 * closed pipe): 0, or PGTT_EIO in ctx->err.
 */
int	cli_check_output(struct cli_ctx *);

#endif
