/*
 * cmd-verify.c: `pgtt --headless verify POINT [--table T]` replays the
 * replica and restores a scratch cluster to the point, compares them and
 * exits 0 when they agree, 1 when not, naming the first table that
 * differs.  Progress goes to stderr, and only to a terminal.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/ident.h"
#include "core/journal.h"
#include "core/verify.h"

static json_t *
result_json(const struct verify_opts *o, const struct verify_result *r)
{
	json_t	*tables = json_array(), *seqs = json_array(), *t;
	char	 lsn[LSN_BUFSIZE];
	size_t	 i;

	for (i = 0; i < r->ntables; i++) {
		const struct verify_table *vt = &r->tables[i];

		t = json_pack("{s:s++, s:b}", "table", vt->schema, ".",
		    vt->name, "equal", vt->equal);
		if (vt->rows_replica >= 0 && vt->rows_replica ==
		    vt->rows_restored)
			json_object_set_new(t, "rows",
			    json_integer(vt->rows_replica));
		else {
			json_object_set_new(t, "rows_replica",
			    vt->rows_replica >= 0 ?
			    json_integer(vt->rows_replica) : json_null());
			json_object_set_new(t, "rows_restored",
			    vt->rows_restored >= 0 ?
			    json_integer(vt->rows_restored) : json_null());
		}
		if (vt->why != NULL)
			json_object_set_new(t, "why", json_string(vt->why));
		json_array_append_new(tables, t);
	}
	for (i = 0; i < r->nseqs; i++) {
		const struct verify_seq *vs = &r->seqs[i];

		json_array_append_new(seqs, json_pack("{s:s++, s:o, s:o, s:b}",
		    "sequence", vs->schema, ".", vs->name, "replica_next",
		    vs->on_replica ? json_integer(vs->replica_next) :
		    json_null(), "restored_next", vs->on_restored ?
		    json_integer(vs->restored_next) : json_null(), "equal",
		    vs->equal));
	}
	return json_pack("{s:s, s:s, s:b, s:o, s:o, s:s, s:I}", "point",
	    o->point, "lsn", lsn_format(r->lsn, lsn), "equal", r->equal,
	    "tables", tables, "sequences", seqs, "base_backup",
	    r->base_backup, "elapsed_ms", (json_int_t)r->elapsed_ms);
}

static void
result_text(const struct verify_opts *o, const struct verify_result *r)
{
	char	lsn[LSN_BUFSIZE];
	size_t	i, nbad = 0;

	for (i = 0; i < r->ntables; i++) {
		const struct verify_table *vt = &r->tables[i];

		if (vt->equal)
			printf("  equal    %s.%s: %lld rows\n", vt->schema,
			    vt->name, (long long)vt->rows_replica);
		else
			printf("  DIFFERS  %s.%s: %s\n", vt->schema, vt->name,
			    vt->why);
	}
	for (i = 0; i < r->nseqs; i++) {
		const struct verify_seq *vs = &r->seqs[i];

		if (!vs->equal)
			nbad++;
		if (!vs->on_replica || !vs->on_restored)
			printf("  DIFFERS  sequence %s.%s: missing on the %s\n",
			    vs->schema, vs->name, vs->on_replica ?
			    "restored cluster" : "replica");
		else if (!vs->equal || vs->replica_next != vs->restored_next)
			printf("  %s sequence %s.%s: next value %lld on the "
			    "replica, %lld restored\n", vs->equal ? "equal   " :
			    "DIFFERS ", vs->schema, vs->name,
			    (long long)vs->replica_next,
			    (long long)vs->restored_next);
	}
	printf("%s at %s (%s): %zu tables and %zu sequences compared, "
	    "replica by replay, restored from base backup \"%s\", %.1f s\n",
	    r->equal ? "equal" : "NOT equal", o->point, lsn_format(r->lsn, lsn),
	    r->ntables, r->nseqs, r->base_backup, r->elapsed_ms / 1000.0);
	if (nbad > 0)
		printf("%zu sequences differ by more than %d increments\n",
		    nbad, VERIFY_SEQ_SLACK);
}

int
cmd_verify(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "table", required_argument, NULL, 't' },
		{ "session", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*cmd = &cli_commands[VERB_VERIFY];
	struct verify_opts		 o;
	struct verify_result		 r;
	struct cli_verb			 cv;
	char				*schema = NULL, *table = NULL;
	const char			*table_arg = NULL;
	int				 ch, ret;

	memset(&o, 0, sizeof o);
	memset(&r, 0, sizeof r);
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			table_arg = optarg;
			break;
		case 's':
			o.session = optarg;
			break;
		default:
			return cli_usage_error(ctx, cmd, "unknown option \"%s\" "
			    "for verify", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(ctx, cmd, optind == argc ? "verify "
		    "needs a POINT" : "verify takes one POINT, got \"%s\" "
		    "too", argv[argc - 1]);
	o.point = argv[optind];
	if (table_arg != NULL) {
		if (ident_parse_table(table_arg, &schema, &table) != 0) {
			ret = cli_usage_error(ctx, cmd, "--table: \"%s\" is not "
			    "a table name", table_arg);
			err_where(&ctx->err, "--table");
			return ret;
		}
		o.schema = schema;
		o.table = table;
	}
	if ((ret = cli_verb_begin(ctx, VERB_VERIFY, 1, &cv)) != 0)
		goto out;
	ret = verify_run(&cv.vc, &o, &r, &ctx->err);
	cli_verb_end(&cv);
	if (ret != 0) {
		if (r.replay.first_error != NULL && ctx->err.detail[0] == '\0')
			err_detail(&ctx->err, "%s", r.replay.first_error);
		goto out;
	}
	if (ctx->json)
		cli_emit_json(result_json(&o, &r));
	else if (ctx->verbosity >= 0)
		result_text(&o, &r);
	if (!r.equal) {
		ret = err_set(&ctx->err, PGTT_EMISMATCH, "the replica and the "
		    "restore differ at %s", o.point);
		if (r.first_diff != NULL)
			err_detail(&ctx->err, "first differing table: %s.%s: %s",
			    r.first_diff->schema, r.first_diff->name,
			    r.first_diff->why);
		else
			err_detail(&ctx->err, "their sequences differ by more "
			    "than %d increments", VERIFY_SEQ_SLACK);
	}
out:
	verify_result_done(&r);
	free(schema);
	free(table);
	return ret;
}
