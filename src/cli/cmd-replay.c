/*
 * cmd-replay.c: replay --to POINT [--session S] [--target DSN]
 * [--on-error stop|skip] [--mode auto|txn|net] [--dry-run] [--reset]
 *
 * SIGINT and SIGTERM stop the replay: the statement running on the
 * replica is cancelled (it may be waiting for a lock) and its transaction
 * rolled back, so the replica stands at the last boundary replayed, which
 * the summary names; the exit status is 1, short of the target.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/journal.h"
#include "core/point.h"
#include "core/replay.h"

static json_t *
result_json(const struct replay_result *r, int dry_run)
{
	char		 a[LSN_BUFSIZE], b[LSN_BUFSIZE];
	json_t		*o, *dropped, *partial;
	size_t		 i;

	dropped = json_array();
	for (i = 0; i < r->ndropped; i++)
		json_array_append_new(dropped, json_string(r->dropped[i]));
	partial = json_array();
	for (i = 0; i < r->npartial; i++)
		json_array_append_new(partial, json_string(r->partial[i]));
	o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:b, s:b, "
	    "s:s, s:s, s:o, s:b, s:b, s:o, s:I}",
	    "from", lsn_format(r->from, a), "to", lsn_format(r->to, b),
	    "direction", replay_direction_name(r->direction),
	    "transactions", (json_int_t)r->transactions,
	    "changes", (json_int_t)r->changes,
	    "failures", (json_int_t)r->failures,
	    "elapsed_ms", (json_int_t)r->elapsed_ms,
	    "first_error", r->first_error != NULL ?
	    json_string(r->first_error) : json_null(),
	    "dry_run", dry_run, "cancelled", r->cancelled,
	    "target", r->target != NULL ? r->target : "",
	    "reason", r->reason != NULL ? r->reason : "",
	    "dropped", dropped,
	    "replication_role", r->replica_role,
	    "privileges", r->privileges, "partial", partial,
	    "sequences_raised", (json_int_t)r->sequences_raised);
	if (r->to == LSN_INVALID)	/* stopped before the first change */
		json_object_set_new(o, "to", json_null());
	json_object_set_new(o, "mode", r->mode != REPLAY_MODE_AUTO ?
	    json_string(replay_mode_name(r->mode)) : json_null());
	json_object_set_new(o, "mode_reason", r->mode_reason != NULL ?
	    json_string(r->mode_reason) : json_null());
	json_object_set_new(o, "sequences_set",
	    json_integer((json_int_t)r->sequences_set));
	json_object_set_new(o, "sequences_error", r->sequences_error != NULL ?
	    json_string(r->sequences_error) : json_null());
	json_object_set_new(o, "sequences_sampled_at",
	    r->sequences_sampled_at != LSN_INVALID ?
	    json_string(lsn_format(r->sequences_sampled_at, a)) : json_null());
	return o;
}

static void
result_text(const struct replay_result *r, int dry_run, int failed,
    enum replay_on_error on_error)
{
	char	a[LSN_BUFSIZE], b[LSN_BUFSIZE];
	size_t	i;

	if (dry_run) {
		printf("would replay %s from %s to %s on %s: %llu changes in "
		    "%llu transactions\n", replay_direction_name(r->direction),
		    lsn_format(r->from, a), lsn_format(r->to, b), r->target,
		    (unsigned long long)r->changes,
		    (unsigned long long)r->transactions);
		if (r->reason != NULL)
			printf("why: %s\n", r->reason);
		return;
	}
	if (r->cancelled && r->to == LSN_INVALID) {
		printf("stopped before it changed %s\n", r->target);
		return;
	}
	if (r->direction == REPLAY_NONE) {
		printf("the replica stands at %s already; nothing to do\n",
		    lsn_format(r->to, a));
		return;
	}
	if (r->direction == REPLAY_RESET) {
		printf("reset %s to the baseline (%s)\n", r->target, r->reason);
		for (i = 0; i < r->ndropped; i++)
			printf("  dropped %s: not in the baseline\n",
			    r->dropped[i]);
		if (!r->privileges)
			printf("note: a role the baseline names is missing "
			    "here, so it was restored without owners and "
			    "grants; DDL run as such a role is refused\n");
	}
	printf("%s %s %s from %s to %s: %llu changes in %llu transactions, "
	    "%.1f s\n", r->cancelled ? "stopped; replayed" : failed ?
	    "failed; replayed" : "replayed",
	    replay_direction_name(r->direction), r->target,
	    lsn_format(r->from, a), lsn_format(r->to, b),
	    (unsigned long long)r->changes,
	    (unsigned long long)r->transactions, r->elapsed_ms / 1000.0);
	if (r->mode == REPLAY_MODE_NET)
		printf("applied by net effect: each row's net change, in one "
		    "transaction\n");
	if (r->failures > 0 && on_error == REPLAY_ON_ERROR_SKIP &&
	    !failed)
		printf("skipped %llu failing change%s; the first: %s\n",
		    (unsigned long long)r->failures, r->failures == 1 ? "" :
		    "s", r->first_error);
	else if (r->failures > 0)
		printf("stopped before the failing change: %s\n",
		    r->first_error);
	if (!r->replica_role)
		printf("note: the replica's role may not set "
		    "session_replication_role, so its triggers ran\n");
	for (i = 0; i < r->npartial; i++)
		printf("note: %s: captured in part, its updates and deletes "
		    "are not in the history\n", r->partial[i]);
	if (r->sequences_set > 0)
		printf("set %zu sequences to the source's values sampled at "
		    "%s\n", r->sequences_set,
		    lsn_format(r->sequences_sampled_at, a));
	if (r->sequences_error != NULL)
		printf("note: a sequence kept its value; the first: %s\n",
		    r->sequences_error);
	if (r->sequences_raised > 0)
		printf("raised %zu serial and identity sequences to their "
		    "columns' largest values\n", r->sequences_raised);
}

static int	replay_one(struct cli_ctx *, const struct replay_opts *,
		    const char *);
static int	replay_every_database(struct cli_ctx *,
		    const struct replay_opts *, const char *);

int
cmd_replay(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "session", required_argument, NULL, 's' },
		{ "target", required_argument, NULL, 'T' },
		{ "on-error", required_argument, NULL, 'e' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "reset", no_argument, NULL, 'r' },
		{ "mode", required_argument, NULL, 'm' },
		{ "all", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*cmd = &cli_commands[VERB_REPLAY];
	struct replay_opts		 o;
	const char			*to = NULL;
	int				 ch, all = 0;

	memset(&o, 0, sizeof o);
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			to = optarg;
			break;
		case 's':
			o.session = optarg;
			break;
		case 'T':
			o.target_dsn = optarg;
			break;
		case 'e':
			if (strcmp(optarg, "stop") == 0)
				o.on_error = REPLAY_ON_ERROR_STOP;
			else if (strcmp(optarg, "skip") == 0)
				o.on_error = REPLAY_ON_ERROR_SKIP;
			else
				return cli_usage_error(ctx, cmd, "--on-error: "
				    "\"%s\" is not stop or skip", optarg);
			break;
		case 'n':
			o.dry_run = 1;
			break;
		case 'r':
			o.reset = 1;
			break;
		case 'A':
			all = 1;
			break;
		case 'm':
			if (strcmp(optarg, "auto") == 0)
				o.mode = REPLAY_MODE_AUTO;
			else if (strcmp(optarg, "txn") == 0)
				o.mode = REPLAY_MODE_TXN;
			else if (strcmp(optarg, "net") == 0)
				o.mode = REPLAY_MODE_NET;
			else
				return cli_usage_error(ctx, cmd, "--mode: \"%s\" "
				    "is not auto, txn or net", optarg);
			break;
		default:
			return cli_usage_error(ctx, cmd, "unknown option \"%s\" "
			    "for replay", argv[optind - 1]);
		}
	}
	if (to == NULL)
		return cli_usage_error(ctx, cmd, "replay needs --to POINT");
	if (optind < argc)
		return cli_usage_error(ctx, cmd, "unexpected argument \"%s\"",
		    argv[optind]);

	if (all)
		return replay_every_database(ctx, &o, to);
	if (cli_all_databases(ctx))
		return cli_usage_error(ctx, cmd, "replay brings one database's "
		    "replica: name the database with -d, or give --all");
	return replay_one(ctx, &o, to);
}

/*
 * replay --all: each database of source.databases onto its replica,
 * replica.dsn (or --target) naming it with "{database}", to the one LSN
 * --to names in the first database's journal.  Stops at the first that
 * fails.
 */
static int
replay_every_database(struct cli_ctx *ctx, const struct replay_opts *op,
    const char *to)
{
	const struct cli_command	*cmd = &cli_commands[VERB_REPLAY];
	struct config			 saved = ctx->cfg, view;
	struct replay_opts		 o = *op;
	struct journal			*j;
	char				*target = NULL, lsn[LSN_BUFSIZE];
	pgtt_lsn			 at;
	size_t				 i;
	int				 ret = 0;

	if (saved.source.ndatabases == 0)
		return cli_usage_error(ctx, cmd, "--all: source.databases is "
		    "not set; pgtt records the one database source.dsn names");
	if (ctx->database != NULL)
		return cli_usage_error(ctx, cmd, "--all goes over every "
		    "database: leave out -d %s", ctx->database);
	if (o.session != NULL)
		return cli_usage_error(ctx, cmd, "--all: a session belongs to "
		    "one database; name it with -d instead");
	/* The config's replica.dsn was checked when it was read. */
	if (saved.source.ndatabases > 1 && o.target_dsn != NULL &&
	    strstr(o.target_dsn, "{database}") == NULL)
		return cli_usage_error(ctx, cmd, "--all needs a replica per "
		    "database: write \"{database}\" in --target (\"dbname="
		    "{database}_replica\")");
	/* One instant for all: --to as the first database reads it. */
	if ((ret = cli_database_config(ctx, saved.source.databases[0],
	    &view)) != 0)
		return ret;
	ret = journal_open(&j, view.storage.path, view.storage.map_size,
	    JOURNAL_READONLY, &ctx->err);
	if (ret == 0) {
		ret = point_resolve_journaled(j, view.source.dsn, to, &at,
		    &ctx->err);
		if (ret != 0)
			err_where(&ctx->err, "--to");
		journal_close(j);
	}
	config_free(&view);
	if (ret != 0)
		return ret;
	lsn_format(at, lsn);
	for (i = 0; ret == 0 && i < saved.source.ndatabases; i++) {
		if ((ret = cli_database_config(ctx, saved.source.databases[i],
		    &view)) != 0)
			break;
		if (op->target_dsn != NULL) {
			target = config_expand_database(op->target_dsn,
			    saved.source.databases[i]);
			o.target_dsn = target;
		}
		ctx->cfg = view;
		ret = replay_one(ctx, &o, lsn);
		if (ret != 0)
			err_detail_add(&ctx->err, "database \"%s\"",
			    saved.source.databases[i]);
		ctx->cfg = saved;
		config_free(&view);
		free(target);
		target = NULL;
	}
	return ret;
}

/* Replay ctx->cfg's database to to, and say how it went. */
static int
replay_one(struct cli_ctx *ctx, const struct replay_opts *op, const char *to)
{
	struct replay_opts		 o = *op;
	struct replay_result		 r;
	struct cli_verb			 cv;
	int				 ret;

	memset(&r, 0, sizeof r);
	if ((ret = cli_verb_begin(ctx, VERB_REPLAY, !o.dry_run, &cv)) != 0)
		return ret;
	if ((ret = point_resolve_journaled(cv.j, ctx->cfg.source.dsn, to,
	    &o.to, &ctx->err)) != 0) {
		err_where(&ctx->err, "--to");
		goto out;
	}
	ret = replay_run(&cv.vc, &o, &r, &ctx->err);
	cli_verb_end(&cv);

	/* Stopped short of the target is not done, whatever stopped it. */
	if (r.cancelled && r.to == LSN_INVALID) {
		err_set(&ctx->err, PGTT_ESTOPPED, "replay was stopped before "
		    "it changed the replica");
		ret = ctx->err.code;
	} else if (r.cancelled && r.to != o.to) {
		char	a[LSN_BUFSIZE], b[LSN_BUFSIZE];

		err_set(&ctx->err, PGTT_ESTOPPED, "replay was stopped at %s, "
		    "short of %s", lsn_format(r.to, a), lsn_format(o.to, b));
		err_hint(&ctx->err, "the replica stands at a transaction "
		    "boundary; run replay again to go on");
		ret = ctx->err.code;
	}
	/* A replay that ran and failed still says how far it got. */
	if (ret == 0 || (ret == PGTT_EDB && r.target != NULL) || r.started) {
		if (ctx->json) {
			json_t	*res = result_json(&r, o.dry_run);

			if (ctx->cfg.source.database != NULL)
				json_object_set_new(res, "database",
				    json_string(ctx->cfg.source.database));
			cli_emit_json(res);
		} else {
			if (ctx->cfg.source.database != NULL)
				printf("database %s: ",
				    ctx->cfg.source.database);
			result_text(&r, o.dry_run, ret != 0, o.on_error);
		}
		fflush(stdout);
	}
out:
	cli_verb_end(&cv);
	replay_result_done(&r);
	return ret;
}
