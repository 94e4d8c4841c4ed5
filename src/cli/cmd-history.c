/*
 * cmd-history.c: `pgtt history TABLE COLUMN=VALUE...`: one row's changes,
 * oldest first, each as `log` prints it with the whole row after it
 * (rowhist.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/buf.h"
#include "core/history.h"
#include "core/ident.h"
#include "core/journal.h"
#include "core/point.h"
#include "core/rowhist.h"
#include "core/xmalloc.h"

struct printer {
	struct cli_ctx	*ctx;
	struct buf	 b;
};

/* The row after a change: every column, null for SQL NULL or unknown. */
static json_t *
row_json(const struct rowhist_item *it, json_t **unknown)
{
	json_t	*o = json_object();
	size_t	 i;

	*unknown = json_array();
	for (i = 0; i < it->rel->ncols; i++) {
		const struct pgtt_col	*c = &it->row[i];
		const char		*name = it->rel->cols[i].name;

		if (c->kind == COL_TOAST)
			json_array_append_new(*unknown, json_string(name));
		json_object_set_new(o, name, c->kind == COL_TEXT ?
		    cli_json_text(c->val, c->len) : json_null());
	}
	return o;
}

/* The baseline's place in a history: where the row was when capture began. */
static json_t *
baseline_json(const struct rowhist_item *it)
{
	char	lsn[LSN_BUFSIZE];

	return json_pack("{s:s, s:s, s:s, s:s}", "lsn", lsn_format(it->lsn,
	    lsn), "op", "baseline", "schema", it->rel->schema, "table",
	    it->rel->name);
}

static int
print_item(void *arg, const struct rowhist_item *it)
{
	struct printer	*p = arg;
	json_t		*o, *unknown;
	struct pgtt_tuple t;
	char		 lsn[LSN_BUFSIZE];

	if (it->unread != NULL) {
		/* The history goes on; what it starts from is not known. */
		fprintf(stderr, "pgtt: warning: the row's value in the "
		    "baseline (%s) is not known: %s\n", lsn_format(it->lsn,
		    lsn), it->unread);
		return 0;
	}
	if (p->ctx->json) {
		o = it->ch == NULL ? baseline_json(it) :
		    cli_change_json(it->ch, it->txn, it->rel, it->trels);
		if (it->present) {
			json_object_set_new(o, "row", row_json(it, &unknown));
			if (json_array_size(unknown) > 0)
				json_object_set_new(o, "row_unknown", unknown);
			else
				json_decref(unknown);
		} else
			json_object_set_new(o, "row", json_null());
		cli_emit_json(o);
	} else {
		if (it->ch == NULL)
			printf("%s baseline %s.%s: the row when capture "
			    "began\n", lsn_format(it->lsn, lsn), it->rel->schema,
			    it->rel->name);
		else
			cli_change_text(it->ch, it->txn, it->rel, it->trels,
			    &p->b, stdout);
		if (it->present) {
			t.ncols = it->rel->ncols;
			t.cols = (struct pgtt_col *)it->row;
			history_format_tuple(&p->b, &t, it->rel, 0,
			    HISTORY_VALUE_MAX);
			fputs("    row: ", stdout);
			cli_put_buf(stdout, &p->b);
			fputc('\n', stdout);
		} else
			fputs("    row: (none)\n", stdout);
	}
	return ferror(stdout) ? cli_check_output(p->ctx) : 0;
}

int
cmd_history(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*cmd = &cli_commands[VERB_HISTORY];
	const char			*from = NULL, *to = NULL;
	struct rowhist_key		*keys = NULL;
	struct printer			 p;
	struct rowhist_opts		 ropts;
	struct journal			*j;
	struct cli_verb			 cv;
	pgtt_lsn			 lo = 0, hi = UINT64_MAX;
	char				*schema = NULL, *table = NULL, *eq;
	size_t				 nkeys = 0;
	int				 ch, i, ret;

	optind = 0;
	opterr = 0;
	/* Options may follow the row's key, as people type them. */
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		default:
			return cli_usage_error(ctx, cmd, "unknown option "
			    "\"%s\" for history", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error(ctx, cmd, "history takes a table and "
		    "the row's key as COLUMN=VALUE");
	if (ident_parse_table(argv[optind], &schema, &table) != 0)
		return cli_usage_error(ctx, cmd, "\"%s\" is not a table name",
		    argv[optind]);
	for (i = optind + 1; i < argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL || eq == argv[i]) {
			ret = cli_usage_error(ctx, cmd, "\"%s\" is not "
			    "COLUMN=VALUE", argv[i]);
			goto out_args;
		}
		keys = xreallocarray(keys, nkeys + 1, sizeof *keys);
		*eq = '\0';
		keys[nkeys].column = argv[i];
		keys[nkeys++].value = eq + 1;
	}
	if (nkeys == 0) {
		ret = cli_usage_error(ctx, cmd, "history needs the row's key "
		    "as COLUMN=VALUE after the table");
		goto out_args;
	}
	if ((ret = cli_verb_begin(ctx, VERB_HISTORY, 0, &cv)) != 0)
		goto out_args;
	j = cv.j;
	if (from != NULL && point_resolve_journaled(j, ctx->cfg.source.dsn,
	    from, &lo, &ctx->err) != 0) {
		err_where(&ctx->err, "--from");
		ret = ctx->err.code;
		goto out;
	}
	if (to != NULL && point_resolve_journaled(j, ctx->cfg.source.dsn, to,
	    &hi, &ctx->err) != 0) {
		err_where(&ctx->err, "--to");
		ret = ctx->err.code;
		goto out;
	}
	memset(&p, 0, sizeof p);
	p.ctx = ctx;
	buf_init(&p.b);
	ropts.from = lo;
	ropts.to = hi;
	ropts.baseline = 1;
	ret = rowhist_run(&cv.vc, &ropts, schema, table, keys, nkeys, print_item,
	    &p, &ctx->err);
	buf_done(&p.b);
	/* No such table, or not its key: what was typed is wrong. */
	if (ret == PGTT_ENOTFOUND || ret == PGTT_EUSAGE) {
		char	msg[sizeof ctx->err.msg];

		snprintf(msg, sizeof msg, "%s", ctx->err.msg);
		ret = cli_usage_error(ctx, cmd, "%s", msg);
	}
	if (ret == 0)
		ret = cli_check_output(ctx);
out:
	cli_verb_end(&cv);
out_args:
	free(keys);
	free(schema);
	free(table);
	return ret;
}
