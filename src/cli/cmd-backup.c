/*
 * cmd-backup.c: `pgtt --headless backup [--type T]` takes a base backup
 * for PITR; `backup list` shows the ones a restore may start from.
 * Progress goes to stderr, and only to a terminal, so scripts reading
 * stdout get the result alone.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/backup.h"
#include "core/journal.h"
#include "core/pgtime.h"
#include "core/xmalloc.h"

json_t *
backup_json(const struct config *cfg, const struct backup_info *b)
{
	char	 s[LSN_BUFSIZE], e[LSN_BUFSIZE], ts[PGTIME_BUFSIZE];
	char	 te[PGTIME_BUFSIZE], *path;
	json_t	*o;

	/* pgBackRest's backups live in its repository, not in a path. */
	path = cfg->pitr.engine == PITR_ENGINE_PGTT ? backup_path(cfg, b) :
	    NULL;
	o = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:i, s:I}",
	    "name", b->name, "engine", cfg->pitr.engine == PITR_ENGINE_PGTT ?
	    "pgtt" : "pgbackrest", "path", path != NULL ? json_string(path) :
	    json_null(), "start_lsn", lsn_format(b->start_lsn, s),
	    "end_lsn", lsn_format(b->end_lsn, e), "start_time",
	    pgtime_format(b->start_time, ts), "end_time",
	    pgtime_format(b->end_time, te), "timeline", (int)b->timeline,
	    "bytes", (json_int_t)b->bytes);
	free(path);
	return o;
}

static void
backup_text(const struct backup_info *b)
{
	char	s[LSN_BUFSIZE], e[LSN_BUFSIZE], t[PGTIME_BUFSIZE];

	printf("%-20s %-14s %-14s %s %8.1f MB\n", b->name,
	    lsn_format(b->start_lsn, s), lsn_format(b->end_lsn, e),
	    pgtime_format(b->end_time, t), (double)b->bytes / 1048576.0);
}

static int
list(struct cli_ctx *ctx, struct journal *j)
{
	struct backup_info	*bs;
	size_t			 n, i;
	int			 ret;

	if ((ret = backup_list(&ctx->cfg, j, &bs, &n, &ctx->err)) != 0)
		return ret;
	if (!ctx->json && n > 0 && ctx->verbosity >= 0)
		printf("%-20s %-14s %-14s %-27s %11s\n", "name", "start",
		    "end", "finished", "size");
	for (i = 0; i < n; i++) {
		if (ctx->json)
			cli_emit_json(backup_json(&ctx->cfg, &bs[i]));
		else
			backup_text(&bs[i]);
	}
	if (!ctx->json && n == 0 && ctx->verbosity >= 0)
		printf("no base backups (take one with: pgtt --headless "
		    "backup)\n");
	free(bs);
	return 0;
}

int
cmd_backup(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*cmd = &cli_commands[VERB_BACKUP];
	struct backup_opts		 o = { NULL };
	struct backup_info		 b;
	struct cli_verb			 cv;
	char				 s[LSN_BUFSIZE], e[LSN_BUFSIZE], *path;
	int				 ch, ret, listing;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (ch != 't')
			return cli_usage_error(ctx, cmd, "unknown option "
			    "\"%s\" for backup", argv[optind - 1]);
		if (strcmp(optarg, "full") != 0 && strcmp(optarg, "diff") !=
		    0 && strcmp(optarg, "incr") != 0) {
			ret = cli_usage_error(ctx, cmd, "--type: \"%s\" is not "
			    "full, diff or incr", optarg);
			err_where(&ctx->err, "--type");
			return ret;
		}
		o.type = optarg;
	}
	listing = optind < argc && strcmp(argv[optind], "list") == 0;
	if (argc - optind > 1 || (optind < argc && !listing))
		return cli_usage_error(ctx, cmd, "unknown argument \"%s\" for "
		    "backup", argv[argc - 1]);
	if (listing && o.type != NULL)
		return cli_usage_error(ctx, cmd, "--type is for taking a "
		    "backup, not for listing them");
	if (o.type != NULL && ctx->cfg.pitr.engine != PITR_ENGINE_PGBACKREST) {
		ret = cli_usage_error(ctx, cmd, "--type is pgBackRest's, and "
		    "pitr.engine is pgtt, whose backups are all full");
		err_where(&ctx->err, "--type");
		return ret;
	}
	if (!ctx->cfg.pitr.enabled && !listing)
		return err_set(&ctx->err, PGTT_ECONFIG, "PITR is turned off "
		    "(pitr.enabled: false), so there is nothing to back up "
		    "for");
	if ((ret = cli_verb_begin(ctx, VERB_BACKUP, !listing, &cv)) != 0)
		return ret;
	if (listing) {
		ret = list(ctx, cv.j);
		cli_verb_end(&cv);
		return ret;
	}
	ret = backup_take(&cv.vc, &o, &b, &ctx->err);
	cli_verb_end(&cv);
	if (ret != 0)
		return ret;
	if (ctx->json)
		cli_emit_json(backup_json(&ctx->cfg, &b));
	else if (ctx->verbosity >= 0) {
		if (ctx->cfg.pitr.engine == PITR_ENGINE_PGTT)
			path = backup_path(&ctx->cfg, &b);
		else
			xasprintf(&path, "pgBackRest stanza \"%s\"",
			    ctx->cfg.pitr.pgbackrest.stanza);
		printf("base backup \"%s\" in %s: WAL %s .. %s, %.1f MB, "
		    "%.1f s; restores to any point from %s on\n", b.name, path,
		    lsn_format(b.start_lsn, s), lsn_format(b.end_lsn, e),
		    (double)b.bytes / 1048576.0,
		    (double)(b.end_time - b.start_time) / 1e6, e);
		free(path);
	}
	return 0;
}
