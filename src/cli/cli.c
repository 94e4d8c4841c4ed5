/*
 * cli.c: the command table and what every command shares: loading the
 * config, reporting errors, printing JSON.  Exit status follows CLI.md:
 * 0 success, 1 the command ran and failed, 2 bad usage or configuration.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/journal.h"
#include "core/logfile.h"
#include "core/xmalloc.h"

const struct cli_command cli_commands[VERB_COUNT] = {
	[VERB_SETUP] = {
	  "[--dry-run] [--no-backup] [--new-baseline]",
	  "create the publication, slots, baseline dump, DDL trigger and "
	  "first base backup",
	  CLI_CLUSTER, cmd_setup },
	[VERB_LISTEN] = {
	  "[--until LSN|now] [--http ADDR:PORT]",
	  "stream changes into the journal until SIGINT or SIGTERM",
	  CLI_CLUSTER, cmd_listen },
	[VERB_STATUS] = {
	  "",
	  "show source, replica, slot and journal", CLI_CLUSTER, cmd_status },
	[VERB_CHECKPOINT] = {
	  "create NAME [--at POINT] [--description TEXT] "
	  "[--session S] | list [--session S] [--all] | delete NAME",
	  "mark a point in history, list or delete marks", CLI_CLUSTER,
	  cmd_checkpoint },
	[VERB_SESSION] = {
	  "create NAME [--description TEXT] [--replica DSN] | "
	  "list | switch NAME | delete NAME",
	  "lines of investigation, each with its checkpoints", CLI_DATABASE,
	  cmd_session },
	[VERB_LOG] = {
	  "[--from POINT] [--to POINT] [--table T] [--op OPS] "
	  "[--limit N] [--follow]",
	  "print journaled changes in commit order", CLI_CLUSTER, cmd_log },
	[VERB_DIFF] = {
	  "POINT POINT [--table T] [--format text|json|sql] [--stat]",
	  "net per-row difference between two points", CLI_DATABASE, cmd_diff },
	[VERB_HISTORY] = {
	  "TABLE COLUMN=VALUE... [--from POINT] [--to POINT]",
	  "every change of one row, named by its key, with the row after "
	  "each", CLI_DATABASE, cmd_history },
	[VERB_REPLAY] = {
	  "--to POINT [--session S] [--target DSN] "
	  "[--on-error stop|skip] [--mode auto|txn|net] [--dry-run] "
	  "[--reset] [--all]",
	  "bring the replica to a point; DDL only as reported, as its role",
	  CLI_CLUSTER,
	  cmd_replay },
	[VERB_BACKUP] = {
	  "[--type full|diff|incr] | list",
	  "take a base backup for PITR, or list the ones taken", CLI_PITR,
	  cmd_backup },
	[VERB_RESTORE] = {
	  "--to POINT [--data-dir DIR] [--port N] [--force] | "
	  "--stop DIR",
	  "restore a new cluster to a point and leave it running, or stop "
	  "one", CLI_PITR, cmd_restore },
	[VERB_VERIFY] = {
	  "POINT [--table T] [--session S]",
	  "replay the replica and restore a scratch cluster to a point, "
	  "and compare them", CLI_DATABASE, cmd_verify },
	[VERB_PRUNE] = {
	  "[--dry-run]",
	  "remove base backups and WAL that retention no longer keeps", CLI_PITR,
	  cmd_prune },
};

const struct cli_command *
cli_find(const char *name)
{
	const struct cli_command	*c;

	for (c = cli_commands; c < cli_commands + VERB_COUNT; c++)
		if (strcmp(cli_command_name(c), name) == 0)
			return c;
	return NULL;
}

void
cli_print_commands(FILE *f)
{
	const struct cli_command	*c;
	char				 head[160];

	for (c = cli_commands; c < cli_commands + VERB_COUNT; c++) {
		snprintf(head, sizeof head, "%s %s", cli_command_name(c),
		    c->args);
		if (strlen(head) <= 22)
			fprintf(f, "  %-22s %s\n", head, c->summary);
		else
			fprintf(f, "  %s\n  %-22s %s\n", head, "", c->summary);
	}
}

int
cli_open_journal(struct cli_ctx *ctx, int flags, struct journal **j)
{
	int	ret;

	ret = journal_open(j, ctx->cfg.storage.path, ctx->cfg.storage.map_size,
	    flags, &ctx->err);
	if (ret == PGTT_ENOTFOUND)
		err_hint(&ctx->err, "run setup first");
	return ret;
}

int
cli_check_table(struct cli_ctx *ctx, const struct cli_command *cmd,
    struct journal *j, const char *schema, const char *table)
{
	int	seen;

	if (table == NULL)
		return 0;
	if ((seen = journal_relation_named(j, schema, table, &ctx->err)) < 0)
		return seen;
	if (seen == 0)
		return cli_usage_error(ctx, cmd, "--table: no table \"%s%s%s\" "
		    "is in the journal", schema != NULL ? schema : "",
		    schema != NULL ? "." : "", table);
	return 0;
}

int
cli_usage_error(struct cli_ctx *ctx, const struct cli_command *cmd,
    const char *fmt, ...)
{
	va_list	ap;
	char	msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	err_set(&ctx->err, PGTT_EUSAGE, "%s", msg);
	err_hint(&ctx->err, "usage: pgtt %s %s", cli_command_name(cmd),
	    cmd->args);
	return PGTT_EUSAGE;
}

void
cli_emit_json(json_t *obj)
{
	char	*text;

	text = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (text == NULL)
		fatalx("could not encode JSON output");
	puts(text);
	fflush(stdout);
	free(text);
	json_decref(obj);
}

/*
 * Text as JSON.  PostgreSQL's text form is in the database encoding;
 * bytes that are not UTF-8 are replaced rather than lose the whole line.
 */
json_t *
cli_json_text(const char *s, size_t len)
{
	json_t	*j;
	char	*fixed;
	size_t	 i;

	if ((j = json_stringn(s, len)) != NULL)
		return j;
	fixed = xmalloc(len + 1);
	for (i = 0; i < len; i++)
		fixed[i] = (unsigned char)s[i] < 0x80 && s[i] != '\0' ? s[i] :
		    '?';
	j = json_stringn(fixed, len);
	free(fixed);
	return j;
}

/* Write what a formatter put in b, and empty it. */
void
cli_put_buf(FILE *out, struct buf *b)
{
	if (b->len > 0)
		fwrite(b->data, 1, b->len, out);
	buf_reset(b);
}

void
cli_print_error(const struct cli_ctx *ctx)
{
	const struct pgtt_err	*e = &ctx->err;
	json_t			*o;
	char			*text;

	if (ctx->json) {
		o = json_pack("{s:s, s:i}", "message", e->msg, "exit_status",
		    err_exit_status(e));
		if (e->detail[0] != '\0')
			json_object_set_new(o, "detail", json_string(e->detail));
		if (e->hint[0] != '\0')
			json_object_set_new(o, "hint", json_string(e->hint));
		if (e->where[0] != '\0')
			json_object_set_new(o, "where", json_string(e->where));
		o = json_pack("{s:o}", "error", o);
		text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
		fprintf(stderr, "%s\n", text != NULL ? text : "{}");
		free(text);
		json_decref(o);
		return;
	}
	if (e->where[0] != '\0')
		fprintf(stderr, "pgtt: %s: %s\n", e->where, e->msg);
	else
		fprintf(stderr, "pgtt: %s\n", e->msg);
	if (e->detail[0] != '\0')
		fprintf(stderr, "DETAIL: %s\n", e->detail);
	if (e->hint[0] != '\0')
		fprintf(stderr, "HINT: %s\n", e->hint);
}

int
cli_load_config(struct cli_ctx *ctx)
{
	char	*path;
	int	 ret;

	path = config_find(ctx->config_path);
	ret = config_load(&ctx->cfg, path, &ctx->err);
	free(path);
	if (ret != 0) {
		cli_print_error(ctx);
		config_free(&ctx->cfg);
		return err_exit_status(&ctx->err);
	}
	return 0;
}

int
cli_database_config(struct cli_ctx *ctx, const char *name, struct config *cfg)
{
	char	*path;
	int	 ret;

	path = config_find(ctx->config_path);
	ret = config_load(cfg, path, &ctx->err);
	free(path);
	if (ret == 0 && (ret = config_select_database(cfg, name,
	    &ctx->err)) != 0)
		config_free(cfg);
	return ret;
}

int
cli_all_databases(const struct cli_ctx *ctx)
{
	return ctx->cfg.source.ndatabases > 0 &&
	    ctx->cfg.source.database == NULL;
}

/* Make ctx->cfg the view the command's scope asks for. */
static int
select_database(struct cli_ctx *ctx, const struct cli_command *cmd)
{
	const struct config	*cfg = &ctx->cfg;
	const char		*name = ctx->database;

	if (cfg->source.ndatabases == 0 || cmd->scope == CLI_NO_CONFIG) {
		/* config_pick_database says what is wrong with -d. */
		if (name != NULL && cmd->scope != CLI_NO_CONFIG)
			return config_pick_database(cfg, name, &ctx->err) ==
			    NULL ? ctx->err.code : 0;
		return 0;
	}
	if (cmd->scope == CLI_PITR) {
		if (name != NULL)
			return cli_usage_error(ctx, cmd, "-d %s: %s acts on the "
			    "cluster, whose backups are kept with its first "
			    "database (%s)", name, cli_command_name(cmd),
			    cfg->source.databases[0]);
		name = cfg->source.databases[0];
	}
	if (cmd->scope == CLI_CLUSTER && name == NULL &&
	    cfg->source.ndatabases > 1)
		return 0;
	if (config_select_database(&ctx->cfg, name, &ctx->err) != 0) {
		if (ctx->err.code == PGTT_EUSAGE && name == NULL)
			err_hint(&ctx->err, "%s acts on one database: name it "
			    "with -d NAME", cli_command_name(cmd));
		return ctx->err.code;
	}
	return 0;
}

int
cli_check_output(struct cli_ctx *ctx)
{
	int	saved;

	/* A flush that fails says why; an earlier failed write left ferror. */
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	saved = errno;
	if (saved == 0) {
		/*
		 * The write that failed was an earlier one, and stdio kept no
		 * reason: ask the file once more.  What it held is cut short
		 * already, so a newline more does no harm.
		 */
		clearerr(stdout);
		if (fputc('\n', stdout) == EOF || fflush(stdout) != 0)
			saved = errno;
	}
	err_set(&ctx->err, PGTT_EIO, "could not write to standard output%s%s",
	    saved != 0 ? ": " : "", saved != 0 ? strerror(saved) : "");
	if (saved == ENOSPC)
		err_hint(&ctx->err, "the file system the output goes to is "
		    "full");
	clearerr(stdout);
	return ctx->err.code;
}

/*
 * Does --name take a value in cmd's usage ("--to POINT", "--format
 * text|json|sql"), as opposed to a flag ("[--stat]")?
 */
static int
takes_value(const struct cli_command *cmd, const char *name, size_t len)
{
	const char	*p = cmd->args;

	while ((p = strstr(p, "--")) != NULL) {
		p += 2;
		if (strncmp(p, name, len) != 0 || (p[len] != ' ' &&
		    p[len] != ']' && p[len] != '\0'))
			continue;
		return p[len] == ' ' && p[len + 1] != '[' && p[len + 1] != '|';
	}
	return 0;
}

/*
 * The global options also after the command, as people type them
 * (pgtt status --json, pgtt log -c other.yaml): taken out of argv, which
 * is left with the command's own.  A command's option that takes a value
 * keeps it, whatever it looks like; "--" ends the options.
 */
static int
take_global_options(struct cli_ctx *ctx, const struct cli_command *cmd,
    int *argcp, char **argv)
{
	int	 argc = *argcp, i, out = 1;
	char	*a;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0) {
			while (i < argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strcmp(a, "--json") == 0)
			ctx->json = 1;
		else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0)
			ctx->verbosity = 1;
		else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)
			ctx->verbosity = -1;
		else if (strncmp(a, "--config=", 9) == 0)
			ctx->config_path = a + 9;
		else if (strncmp(a, "--database=", 11) == 0)
			ctx->database = a + 11;
		else if (strcmp(a, "-d") == 0 || strcmp(a, "--database") == 0) {
			if (i + 1 == argc)
				return cli_usage_error(ctx, cmd, "%s needs a "
				    "database name", a);
			ctx->database = argv[++i];
		}
		else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			if (i + 1 == argc)
				return cli_usage_error(ctx, cmd, "%s needs a "
				    "file", a);
			ctx->config_path = argv[++i];
		} else {
			argv[out++] = a;
			if (strncmp(a, "--", 2) == 0 && strchr(a, '=') ==
			    NULL && i + 1 < argc && takes_value(cmd, a + 2,
			    strlen(a + 2)))
				argv[out++] = argv[++i];
		}
	}
	argv[out] = NULL;
	*argcp = out;
	return 0;
}

int
cli_run(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_command	*cmd;
	int				 ret;

	err_clear(&ctx->err);
	if ((cmd = cli_find(argv[0])) == NULL) {
		err_set(&ctx->err, PGTT_EUSAGE, "unknown command \"%s\"",
		    argv[0]);
		err_hint(&ctx->err, "pgtt --help lists the commands");
		cli_print_error(ctx);
		return 2;
	}
	if (take_global_options(ctx, cmd, &argc, argv) != 0) {
		cli_print_error(ctx);
		return 2;
	}
	if (cmd->scope != CLI_NO_CONFIG && (ret = cli_load_config(ctx)) != 0)
		return ret;
	if (cmd->scope != CLI_NO_CONFIG &&
	    select_database(ctx, cmd) != 0) {
		cli_print_error(ctx);
		config_free(&ctx->cfg);
		return err_exit_status(&ctx->err);
	}
	if (cmd->scope != CLI_NO_CONFIG)
		log_open(ctx->cfg.log.file, ctx->verbosity > 0 ?
		    LOG_LEVEL_DEBUG : ctx->cfg.log.level);
	ret = cmd->run(ctx, argc, argv);
	if (ret == 0)
		ret = cli_check_output(ctx);
	if (ret != 0) {
		cli_print_error(ctx);
		log_msg(LOG_LEVEL_ERROR, "%s: %s%s%s", cli_command_name(cmd), ctx->err.msg,
		    ctx->err.detail[0] != '\0' ? ": " : "", ctx->err.detail);
	}
	log_close();
	config_free(&ctx->cfg);
	return ret == 0 ? 0 : err_exit_status(&ctx->err);
}
