/*
 * main.c: global options, then either one headless command or the TUI.
 * Option parsing stops at the command name so each command parses its own.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/logfile.h"
#include "core/xmalloc.h"
#include "ui/ui.h"

#define PGTT_VERSION	"0.1.0"

static void
usage(FILE *f)
{
	fprintf(f,
	    "pgtt " PGTT_VERSION ": a time-travel debugger for PostgreSQL\n"
	    "\n"
	    "usage: pgtt [-c FILE] [-d DB] [--json] [-v|-q]              "
	    "start the terminal UI\n"
	    "       pgtt [-c FILE] [-d DB] [--json] [-v|-q] COMMAND [ARGS] "
	    "run one command and exit\n"
	    "       pgtt --version | --help\n"
	    "\n"
	    "options:\n"
	    "  -c, --config FILE  configuration file (default: $PGTT_CONFIG,\n"
	    "                     ./config.yaml, "
	    "$XDG_CONFIG_HOME/pgtt/config.yaml)\n"
	    "  -d, --database DB  with source.databases: the database a "
	    "command\n"
	    "                     acts on (default: the only one; setup, "
	    "listen,\n"
	    "                     status, checkpoint and log go over all)\n"
	    "      --json         JSON output: one object per result\n"
	    "  -v, --verbose      log at debug level\n"
	    "  -q, --quiet        print only errors and requested data\n"
	    "      --headless     accepted before COMMAND, which runs without "
	    "it too\n"
	    "  -h, --help         show this help\n"
	    "  -V, --version      show the version\n"
	    "\n"
	    "commands:\n");
	cli_print_commands(f);
	fprintf(f,
	    "\n"
	    "environment: PGTT_CONFIG, PGTT_SOURCE_DSN, PGTT_REPLICA_DSN, and\n"
	    "libpq's (PGPASSWORD, PGPASSFILE, PGSERVICE, ...)\n"
	    "exit status: 0 success, 1 the command failed, 2 bad usage or "
	    "configuration\n"
	    "see pgtt(1) for details\n");
}

/* 0, or 1 when what was printed could not be written, saying so. */
static int
output_status(struct cli_ctx *ctx)
{
	if (cli_check_output(ctx) == 0)
		return 0;
	cli_print_error(ctx);
	return 1;
}

/*
 * The TUI needs the config too; errors are printed before curses starts.
 * With source.databases it shows one database at a time, -d's or the
 * first, and D in it comes back here for the next.
 */
static int
run_tui(struct cli_ctx *ctx)
{
	struct config	*views = NULL;
	const struct config **vp = NULL;
	const char	*name;
	size_t		 i = 0, k, n;
	int		 ret;

	if ((ret = cli_load_config(ctx)) != 0)
		return ret;
	log_open(ctx->cfg.log.file, ctx->verbosity > 0 ? LOG_LEVEL_DEBUG :
	    ctx->cfg.log.level);
	if (ctx->cfg.source.ndatabases == 0 && ctx->database == NULL) {
		ret = tui_run(&ctx->cfg, NULL, 0, 0);
		goto out;
	}
	if ((name = config_pick_database(&ctx->cfg, ctx->database != NULL ?
	    ctx->database : ctx->cfg.source.databases[0], &ctx->err)) == NULL) {
		cli_print_error(ctx);
		ret = err_exit_status(&ctx->err);
		goto out;
	}
	n = ctx->cfg.source.ndatabases;
	views = xcalloc(n, sizeof *views);
	vp = xcalloc(n, sizeof *vp);
	for (k = 0; k < n; k++) {
		vp[k] = &views[k];
		if (cli_database_config(ctx, ctx->cfg.source.databases[k],
		    &views[k]) != 0) {
			cli_print_error(ctx);
			ret = err_exit_status(&ctx->err);
			goto out;
		}
	}
	while (strcmp(ctx->cfg.source.databases[i], name) != 0)
		i++;
	/* D comes back here for the next database. */
	while ((ret = tui_run(&views[i], vp, n, i)) == TUI_NEXT_DATABASE)
		i = (i + 1) % n;
out:
	for (k = 0; views != NULL && k < ctx->cfg.source.ndatabases; k++)
		config_free(&views[k]);
	free(views);
	free(vp);
	log_close();
	config_free(&ctx->cfg);
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "database", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "headless", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "keys-mdoc", no_argument, NULL, 'K' },
		{ "bash-completion", no_argument, NULL, 'C' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_ctx			 ctx;
	int				 ch, headless = 0;

	memset(&ctx, 0, sizeof ctx);
	while ((ch = getopt_long(argc, argv, "+c:d:vqhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctx.config_path = optarg;
			break;
		case 'd':
			ctx.database = optarg;
			break;
		case 'j':
			ctx.json = 1;
			break;
		case 'v':
			ctx.verbosity = 1;
			break;
		case 'q':
			ctx.verbosity = -1;
			break;
		case 'H':
			headless = 1;
			break;
		case 'h':
			usage(stdout);
			return output_status(&ctx);
		case 'V':
			printf("pgtt " PGTT_VERSION "\n");
			return output_status(&ctx);
		case 'C':
			/* make install writes this where bash finds it. */
			cli_print_bash_completion(stdout);
			return output_status(&ctx);
		case 'K':
			/* The man page's KEYS section is made from this. */
			keys_print_mdoc();
			return output_status(&ctx);
		default:
			fprintf(stderr, "pgtt: try \"pgtt --help\"\n");
			return 2;
		}
	}
	argc -= optind;
	argv += optind;

	/* A command runs headless whether --headless was given or not. */
	if (!headless && argc == 0)
		return run_tui(&ctx);
	if (argc == 0) {
		fprintf(stderr, "pgtt: --headless needs a COMMAND\n");
		usage(stderr);
		return 2;
	}
	return cli_run(&ctx, argc, argv);
}
