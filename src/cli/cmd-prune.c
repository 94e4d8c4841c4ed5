/*
 * cmd-prune.c: `pgtt prune [--dry-run]`: apply retention (prune.h) and
 * list what it removes, or with --dry-run what it would.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/journal.h"
#include "core/prune.h"

static void
print_json(const struct prune_plan *p, int dry_run)
{
	char	 lsn[LSN_BUFSIZE];
	json_t	*backups = json_array(), *wal;
	size_t	 i;

	for (i = 0; i < p->nbackups; i++)
		json_array_append_new(backups, json_string(p->backups[i]));
	wal = json_pack("{s:I, s:s?, s:s?}", "segments", (json_int_t)p->nwal,
	    "first", p->nwal > 0 ? p->wal[0] : NULL, "last", p->nwal > 0 ?
	    p->wal[p->nwal - 1] : NULL);
	cli_emit_json(json_pack("{s:b, s:b, s:o, s:o, s:I, s:I, s:s?}",
	    "configured", p->configured, "dry_run", dry_run, "backups",
	    backups, "wal", wal, "bytes", (json_int_t)p->bytes,
	    "backups_kept", (json_int_t)p->backups_kept, "wal_kept_from",
	    p->keep_from != LSN_INVALID ? lsn_format(p->keep_from, lsn) :
	    NULL));
}

static void
print_text(const struct cli_ctx *ctx, const struct prune_plan *p,
    int dry_run)
{
	const char	*verb = dry_run ? "would remove" : "removed";
	char		 lsn[LSN_BUFSIZE];
	size_t		 i;

	if (!ctx->cfg.pitr.enabled) {
		printf("PITR is off (pitr.enabled: false): nothing to prune\n");
		return;
	}
	if (!p->configured) {
		printf("no retention is set (retention.backups, "
		    "retention.archive): nothing to prune\n");
		return;
	}
	for (i = 0; i < p->nbackups; i++)
		printf("%s base backup %s\n", verb, p->backups[i]);
	if (p->nwal > 0)
		printf("%s %zu WAL segment%s, %s to %s\n", verb, p->nwal,
		    p->nwal == 1 ? "" : "s", p->wal[0], p->wal[p->nwal - 1]);
	if (p->nbackups == 0 && p->nwal == 0)
		printf("nothing to prune\n");
	else
		printf("%s %.1f MB\n", dry_run ? "would free" : "freed",
		    (double)p->bytes / 1048576.0);
	printf("kept %zu base backup%s", p->backups_kept,
	    p->backups_kept == 1 ? "" : "s");
	if (p->keep_from != LSN_INVALID)
		printf(", and the WAL from %s on", lsn_format(p->keep_from,
		    lsn));
	printf("\n");
}

int
cmd_prune(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*cmd = &cli_commands[VERB_PRUNE];
	struct prune_plan		 p;
	struct cli_verb			 cv;
	struct prune_opts		 po = { .dry_run = 0 };
	int				 ch, ret;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (ch != 'n')
			return cli_usage_error(ctx, cmd, "unknown option "
			    "\"%s\" for prune", argv[optind - 1]);
		po.dry_run = 1;
	}
	if (optind != argc)
		return cli_usage_error(ctx, cmd, "prune takes no arguments, "
		    "got \"%s\"", argv[optind]);
	if ((ret = cli_verb_begin(ctx, VERB_PRUNE, 0, &cv)) != 0)
		return ret;
	ret = prune_run(&cv.vc, &po, &p, &ctx->err);
	cli_verb_end(&cv);
	if (ret == PGTT_EBUSY)
		err_hint(&ctx->err, "prune again once it is done");
	if (ret == 0) {
		if (ctx->json)
			print_json(&p, po.dry_run);
		else if (ctx->verbosity >= 0)
			print_text(ctx, &p, po.dry_run);
	}
	prune_plan_free(&p);
	return ret;
}
