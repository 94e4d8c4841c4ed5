/*
 * cmd-restore.c: `pgtt --headless restore --to POINT` restores a new
 * cluster to the point and leaves it running; `restore --stop DIR` stops
 * one.  Progress goes to stderr, and only to a terminal.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/journal.h"
#include "core/pgtime.h"
#include "core/restore.h"

static json_t *
result_json(const struct restore_result *r)
{
	char	 lsn[LSN_BUFSIZE], when[PGTIME_BUFSIZE];
	json_t	*o;

	o = json_pack("{s:s, s:s, s:i, s:I, s:s, s:s}", "target_lsn",
	    lsn_format(r->target_lsn, lsn), "data_dir", r->data_dir, "port",
	    r->port, "elapsed_ms", (json_int_t)r->elapsed_ms, "base_backup",
	    r->base_backup, "conninfo", r->conninfo);
	if (r->is_time)
		json_object_set_new(o, "target_time",
		    json_string(pgtime_format(r->target_time, when)));
	if (r->os_user[0] != '\0')
		json_object_set_new(o, "os_user", json_string(r->os_user));
	if (r->note[0] != '\0')
		json_object_set_new(o, "note", json_string(r->note));
	return o;
}

int
cmd_restore(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option	 lopts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "data-dir", required_argument, NULL, 'D' },
		{ "port", required_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'f' },
		{ "stop", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*cmd = &cli_commands[VERB_RESTORE];
	struct restore_opts		 o;
	struct restore_result		 r;
	struct cli_verb			 cv;
	const char			*stop = NULL;
	char				*end, lsn[LSN_BUFSIZE];
	long				 port;
	int				 ch, ret;

	memset(&o, 0, sizeof o);
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", lopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			o.to = optarg;
			break;
		case 'D':
			o.data_dir = optarg;
			break;
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*end != '\0' || port < 1 || port > 65535) {
				cli_usage_error(ctx, cmd, "--port takes a port "
				    "number (1-65535), not \"%s\"", optarg);
				err_where(&ctx->err, "--port");
				return PGTT_EUSAGE;
			}
			o.port = (int)port;
			break;
		case 'f':
			o.force = 1;
			break;
		case 's':
			stop = optarg;
			break;
		default:
			return cli_usage_error(ctx, cmd, "unknown option \"%s\" "
			    "for restore", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error(ctx, cmd, "restore takes no arguments, "
		    "got \"%s\"", argv[optind]);
	if ((o.to == NULL) == (stop == NULL))
		return cli_usage_error(ctx, cmd, "restore needs --to POINT, or "
		    "--stop DIR");
	if ((ret = cli_verb_begin(ctx, VERB_RESTORE, 1, &cv)) != 0)
		return ret;
	if (stop != NULL) {
		ret = restore_stop(&ctx->cfg, cv.j, stop, &ctx->err);
		cli_verb_end(&cv);
		if (ret == 0 && ctx->json)
			cli_emit_json(json_pack("{s:s, s:b}", "data_dir", stop,
			    "stopped", 1));
		else if (ret == 0 && ctx->verbosity >= 0)
			printf("stopped the restored server in %s\n", stop);
		return ret;
	}
	ret = restore_run(&cv.vc, &o, &r, &ctx->err);
	cli_verb_end(&cv);
	if (ret != 0)
		return ret;
	if (ctx->json)
		cli_emit_json(result_json(&r));
	else if (ctx->verbosity >= 0) {
		printf("restored to %s%s%s from base backup \"%s\" in %.1f s\n",
		    lsn_format(r.target_lsn, lsn), r.is_time ? " (time " : "",
		    r.is_time ? o.to : "", r.base_backup,
		    (double)r.elapsed_ms / 1000.0);
		if (r.is_time)
			printf("(recovery stopped before the first commit at or "
			    "after that time)\n");
		printf("running on port %d, data directory %s\n", r.port,
		    r.data_dir);
		printf("connect: psql \"%s\"\n", r.conninfo);
		printf("stop it: pgtt --headless restore --stop %s\n",
		    r.data_dir);
		if (r.note[0] != '\0')
			printf("note: %s\n", r.note);
	}
	return 0;
}
