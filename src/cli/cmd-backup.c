/*
 * cmd-backup.c: `pgtt --headless backup` takes a base backup for PITR;
 * `backup list` shows the ones recorded.  Progress goes to stderr, and
 * only to a terminal, so scripts reading stdout get the result alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/backup.h"
#include "core/journal.h"
#include "core/pgtime.h"

json_t *
backup_json(const struct config *cfg, const struct backup_info *b)
{
	char	 s[LSN_BUFSIZE], e[LSN_BUFSIZE], ts[PGTIME_BUFSIZE];
	char	 te[PGTIME_BUFSIZE], *path;
	json_t	*o;

	path = backup_path(cfg, b);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I}", "name",
	    b->name, "path", path, "start_lsn", lsn_format(b->start_lsn, s),
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

	if ((ret = backup_list(j, &bs, &n, &ctx->err)) != 0)
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
	const struct cli_command	*cmd = &cli_commands[VERB_BACKUP];
	struct backup_info		 b;
	struct cli_verb			 cv;
	char				 s[LSN_BUFSIZE], e[LSN_BUFSIZE], *path;
	int				 ret;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "list") != 0))
		return cli_usage_error(ctx, cmd, "unknown argument \"%s\" for "
		    "backup", argv[1]);
	if (!ctx->cfg.pitr.enabled && argc == 1)
		return err_set(&ctx->err, PGTT_ECONFIG, "PITR is turned off "
		    "(pitr.enabled: false), so there is nothing to back up "
		    "for");
	if ((ret = cli_verb_begin(ctx, VERB_BACKUP, argc == 1, &cv)) != 0)
		return ret;
	if (argc == 2) {
		ret = list(ctx, cv.j);
		cli_verb_end(&cv);
		return ret;
	}
	ret = backup_take(&cv.vc, &b, &ctx->err);
	cli_verb_end(&cv);
	if (ret != 0)
		return ret;
	if (ctx->json)
		cli_emit_json(backup_json(&ctx->cfg, &b));
	else if (ctx->verbosity >= 0) {
		path = backup_path(&ctx->cfg, &b);
		printf("base backup \"%s\" in %s: WAL %s .. %s, %.1f MB, "
		    "%.1f s; restores to any point from %s on\n", b.name, path,
		    lsn_format(b.start_lsn, s), lsn_format(b.end_lsn, e),
		    (double)b.bytes / 1048576.0,
		    (double)(b.end_time - b.start_time) / 1e6, e);
		free(path);
	}
	return 0;
}
