/*
 * cmd-setup.c: `pgtt --headless setup`.  Prints one line per object setup
 * looked at, saying what it did, so a DBA sees exactly what was created on
 * the source.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/dsn.h"
#include "core/logfile.h"
#include "core/setup.h"
#include "core/xmalloc.h"

/* The steps taken; the closing line only when setup finished. */
static void
print_text(const struct setup_report *rep, int dry_run, int finished)
{
	char	lsnbuf[LSN_BUFSIZE], lsnbuf2[LSN_BUFSIZE];
	size_t	i;

	for (i = 0; i < rep->nsteps; i++) {
		const struct setup_step	*s = &rep->steps[i];

		printf("%-8s %s", setup_state_name(s->state), s->object);
		if (s->note != NULL)
			printf(": %s", s->note);
		putchar('\n');
	}
	if (!finished)
		return;
	if (dry_run)
		printf("dry run: nothing was changed\n");
	else if (rep->baseline_lsn != LSN_INVALID &&
	    rep->baseline_lsn != rep->creation_lsn)
		printf("source database \"%s\" (system %s) is ready; history "
		    "starts at %s and goes on from the baseline at %s\n",
		    rep->database, rep->system_id,
		    lsn_format(rep->creation_lsn, lsnbuf),
		    lsn_format(rep->baseline_lsn, lsnbuf2));
	else
		printf("source database \"%s\" (system %s) is ready; history "
		    "starts at %s\n", rep->database, rep->system_id,
		    lsn_format(rep->creation_lsn, lsnbuf));
}

/* On failure the steps done so far still print, with "completed": false. */
static void
print_json(const struct setup_report *rep, int dry_run, int finished)
{
	json_t	*steps, *o;
	char	 lsnbuf[LSN_BUFSIZE];
	size_t	 i;

	steps = json_array();
	for (i = 0; i < rep->nsteps; i++) {
		const struct setup_step	*s = &rep->steps[i];

		o = json_pack("{s:s, s:s}", "object", s->object, "state",
		    setup_state_name(s->state));
		if (s->note != NULL)
			json_object_set_new(o, "note", json_string(s->note));
		json_array_append_new(steps, o);
	}
	o = json_pack("{s:b, s:b, s:s?, s:s?, s:i, s:s, s:s, s:s, s:s, s:o}",
	    "completed", finished, "dry_run", dry_run, "database",
	    rep->database, "system_identifier", rep->system_id,
	    "server_version", rep->server_version, "slot", rep->slot,
	    "publication", rep->publication, "journal", rep->journal,
	    "baseline", rep->baseline, "steps", steps);
	json_object_set_new(o, "baseline_list", json_string(rep->baseline_list));
	json_object_set_new(o, "creation_lsn", rep->creation_lsn ?
	    json_string(lsn_format(rep->creation_lsn, lsnbuf)) : json_null());
	json_object_set_new(o, "baseline_lsn", rep->baseline_lsn ?
	    json_string(lsn_format(rep->baseline_lsn, lsnbuf)) : json_null());
	cli_emit_json(o);
}

static int	setup_one(struct cli_ctx *, const struct verb_ctx *,
		    const struct setup_opts *);
static int	setup_every_database(struct cli_ctx *,
		    const struct setup_opts *);

int
cmd_setup(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "no-backup", no_argument, NULL, 'B' },
		{ "new-baseline", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 }
	};
	struct setup_opts		 o = { 0, 0, 0 };
	struct verb_ctx			 vc = { .cfg = &ctx->cfg };
	int				 ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (ch == 'n')
			o.dry_run = 1;
		else if (ch == 'B')
			o.no_backup = 1;
		else if (ch == 'N')
			o.new_baseline = 1;
		else
			return cli_usage_error(ctx, &cli_commands[VERB_SETUP],
			    "unknown option \"%s\" for setup",
			    argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error(ctx, &cli_commands[VERB_SETUP],
		    "setup takes no arguments, got \"%s\"", argv[optind]);

	if (cli_all_databases(ctx))
		return setup_every_database(ctx, &o);
	return setup_one(ctx, &vc, &o);
}

/*
 * Each database of source.databases in turn, stopping at the first that
 * fails.  The cluster's WAL slot and first base backup come with the
 * first database (config_select_database).
 */
static int
setup_every_database(struct cli_ctx *ctx, const struct setup_opts *o)
{
	struct config	 view;
	struct verb_ctx	 vc;
	size_t		 i;
	int		 ret = 0;

	for (i = 0; ret == 0 && i < ctx->cfg.source.ndatabases; i++) {
		if ((ret = cli_database_config(ctx,
		    ctx->cfg.source.databases[i], &view)) != 0)
			break;
		memset(&vc, 0, sizeof vc);
		vc.cfg = &view;
		ret = setup_one(ctx, &vc, o);
		config_free(&view);
	}
	return ret;
}

static int
setup_one(struct cli_ctx *ctx, const struct verb_ctx *vcp,
    const struct setup_opts *op)
{
	struct setup_report	 rep;
	struct setup_opts	 o = *op;
	struct verb_ctx		 vc = *vcp;
	int			 ret;

	/* No cli_verb_begin: the journal is setup's to make. */
	ret = setup_run(&vc, &o, &rep, &ctx->err);
	for (size_t i = 0; i < rep.nsteps && !o.dry_run; i++)
		log_msg(LOG_LEVEL_INFO, "setup: %s %s%s%s",
		    setup_state_name(rep.steps[i].state), rep.steps[i].object,
		    rep.steps[i].note != NULL ? ": " : "",
		    rep.steps[i].note != NULL ? rep.steps[i].note : "");
	/* Even a failed setup says what it did before it failed. */
	if (ctx->json)
		print_json(&rep, o.dry_run, ret == 0);
	else if (!ctx->json && (ctx->verbosity >= 0 || ret != 0))
		print_text(&rep, o.dry_run, ret == 0);
	setup_report_done(&rep);
	return ret;
}
