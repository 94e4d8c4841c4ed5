/*
 * cmd-diff.c: `pgtt --headless diff A B`: the net per-row difference
 * between two points (core/diff.h), as text, JSON (CLI.md) or SQL.
 *
 * The window is that of `log --from A --to B`: the transactions with
 * A <= commit LSN < B.  SQL output holds statements that, run on a
 * database in state A, leave it in state B: all deletes, then updates,
 * then inserts, in one transaction.  DDL inside the window is not
 * replayed: it is listed as comments.  A table truncated inside the
 * window is truncated again, then every row it holds at B is inserted.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/diff.h"
#include "core/history.h"
#include "core/ident.h"
#include "core/journal.h"
#include "core/point.h"
#include "core/xmalloc.h"

#define SHOW_MAX	60	/* characters of a value in text output */

enum diff_format {
	FORMAT_TEXT,
	FORMAT_JSON,
	FORMAT_SQL,
};

/* A column's value as JSON. */
static json_t *
col_json(const struct diff_col *c)
{
	return c->kind == COL_NULL ? json_null() : cli_json_text(c->val, c->len);
}

/*
 * The known columns of v as an object: all, keys only, or (changed not
 * NULL) those changed[] marks.
 */
static json_t *
vals_json(const struct diff_vals *v, int keys_only, const uint8_t *changed)
{
	json_t	*o = json_object();
	size_t	 i;

	for (i = 0; i < v->ncols; i++) {
		if (v->cols[i].kind == COL_TOAST ||
		    (keys_only && !v->cols[i].is_key) ||
		    (changed != NULL && !changed[i]))
			continue;
		json_object_set_new(o, v->cols[i].name, col_json(&v->cols[i]));
	}
	return o;
}

/* One JSON value, compact, as cli_emit_json writes them; takes j. */
static void
put_json(FILE *out, json_t *j)
{
	if (json_dumpf(j, out, JSON_COMPACT | JSON_ENSURE_ASCII |
	    JSON_ENCODE_ANY) != 0)
		fatalx("could not encode JSON output");
	json_decref(j);
}

/* "key": */
static void
put_json_key(FILE *out, const char *key)
{
	put_json(out, json_string(key));
	fputc(':', out);
}

/* An updated row: its key, the changed columns before and after. */
static json_t *
updated_json(const struct diff_row *r)
{
	const struct diff_col	*bc;
	json_t			*u, *b, *unk;
	size_t			 c;

	b = json_object();
	unk = json_array();
	for (c = 0; c < r->after.ncols; c++) {
		if (!r->changed[c])
			continue;
		bc = diff_vals_col(&r->before, r->after.cols[c].name);
		if (bc == NULL || bc->kind == COL_TOAST)
			json_array_append_new(unk,
			    json_string(r->after.cols[c].name));
		else
			json_object_set_new(b, bc->name, col_json(bc));
	}
	u = json_pack("{s:o, s:o, s:o}", "key", vals_json(&r->before, 1,
	    NULL), "before", b, "after", vals_json(&r->after, 0, r->changed));
	if (json_array_size(unk) > 0)
		json_object_set_new(u, "before_unknown", unk);
	else
		json_decref(unk);
	return u;
}

/* The rows of t with net change op, as a JSON array; r is room. */
static void
put_rows_json(FILE *out, const struct diff *d, const struct diff_table *t,
    enum diff_op op, struct diff_row *r)
{
	size_t	k, n = 0;

	fputc('[', out);
	for (k = 0; k < t->nrows; k++) {
		if (diff_entry_op(t->rows[k]) != op)
			continue;
		diff_row_load(d, t->rows[k], r);
		if (n++ > 0)
			fputc(',', out);
		if (op == DIFF_INSERTED)
			put_json(out, vals_json(&r->after, 0, NULL));
		else if (op == DIFF_DELETED)
			put_json(out, vals_json(&r->before, 0, NULL));
		else
			put_json(out, updated_json(r));
	}
	fputc(']', out);
}

/*
 * The diff as the one JSON object of CLI.md, written a row at a time so
 * that a million-row window never exists twice in memory.  stat: counts
 * in place of the rows, and the number of changes folded.
 */
static json_t *
seqval_json(const struct pgtt_seqval *v)
{
	if (v == NULL)
		return json_null();
	return json_pack("{s:I, s:b}", "last_value", (json_int_t)v->last_value,
	    "is_called", v->is_called);
}

/* Sequences that moved, with the samples they were read from. */
static json_t *
sequences_json(const struct diff *d)
{
	json_t	*list = json_array();
	char	 from[LSN_BUFSIZE], to[LSN_BUFSIZE];
	size_t	 i;

	lsn_format(d->seq_from, from);
	lsn_format(d->seq_to, to);
	for (i = 0; i < d->nseqs; i++)
		json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:o, "
		    "s:o}", "schema", d->seqs[i].schema, "sequence",
		    d->seqs[i].name, "from", seqval_json(d->seqs[i].from),
		    "to", seqval_json(d->seqs[i].to), "sampled_at",
		    json_pack("{s:o, s:o}", "from", d->seq_from !=
		    LSN_INVALID ? json_string(from) : json_null(), "to",
		    d->seq_to != LSN_INVALID ? json_string(to) :
		    json_null())));
	return list;
}

static void
put_diff_json(const struct diff *d, int stat, FILE *out)
{
	static const struct {
		const char	*name;
		enum diff_op	 op;
	} groups[] = {
		{ "inserted", DIFF_INSERTED },
		{ "deleted", DIFF_DELETED },
		{ "updated", DIFF_UPDATED },
	};
	const struct diff_table	*t;
	struct diff_row		 r = { .op = DIFF_NONE };
	char			 lsnbuf[LSN_BUFSIZE];
	size_t			 i, g, count;
	json_t			*ddl;

	fputc('{', out);
	put_json_key(out, "from");
	put_json(out, json_string(lsn_format(d->from, lsnbuf)));
	fputc(',', out);
	put_json_key(out, "to");
	put_json(out, json_string(lsn_format(d->to, lsnbuf)));
	if (stat) {
		fputc(',', out);
		put_json_key(out, "changes");
		put_json(out, json_integer((json_int_t)d->changes));
	}
	fputc(',', out);
	put_json_key(out, "tables");
	fputc('[', out);
	for (i = 0; i < d->ntables; i++) {
		t = &d->tables[i];
		fputs(i > 0 ? ",{" : "{", out);
		put_json_key(out, "schema");
		put_json(out, json_string(t->schema));
		fputc(',', out);
		put_json_key(out, "table");
		put_json(out, json_string(t->name));
		for (g = 0; g < sizeof groups / sizeof groups[0]; g++) {
			fputc(',', out);
			put_json_key(out, groups[g].name);
			count = groups[g].op == DIFF_INSERTED ? t->ninserted :
			    groups[g].op == DIFF_DELETED ? t->ndeleted :
			    t->nupdated;
			if (stat)
				put_json(out, json_integer((json_int_t)count));
			else
				put_rows_json(out, d, t, groups[g].op, &r);
		}
		if (t->truncated) {
			fputc(',', out);
			put_json_key(out, "truncated");
			put_json(out, json_true());
		}
		if (t->partial != NULL) {
			fputc(',', out);
			put_json_key(out, "partial");
			put_json(out, json_sprintf("%s: INSERT and TRUNCATE "
			    "only", t->partial));
		}
		fputc('}', out);
	}
	fputc(']', out);
	if (d->nddl > 0) {
		fputc(',', out);
		put_json_key(out, "ddl");
		ddl = json_array();
		for (i = 0; i < d->nddl; i++)
			json_array_append_new(ddl, json_pack("{s:s, s:i, s:o}",
			    "lsn", lsn_format(d->ddl[i].lsn, lsnbuf), "seq",
			    (int)d->ddl[i].seq, "sql", cli_json_text(d->ddl[i].sql,
			    strlen(d->ddl[i].sql))));
		put_json(out, ddl);
	}
	if (d->nseqs > 0) {
		fputc(',', out);
		put_json_key(out, "sequences");
		put_json(out, sequences_json(d));
	}
	fputs("}\n", out);
	diff_row_done(&r);
}

/* One value as history shows it. */
static void
put_val(FILE *out, struct buf *b, const struct diff_col *c)
{
	struct pgtt_col	pc = { c->kind, c->len, c->val };

	if (c->kind == COL_TOAST) {
		fputs("(unknown)", out);
		return;
	}
	history_format_value(b, &pc, SHOW_MAX);
	cli_put_buf(out, b);
}

/* "name=value ..." of v: all known columns, or the key ones. */
static void
put_vals(FILE *out, struct buf *b, const struct diff_vals *v, int keys_only)
{
	size_t	i;
	int	first = 1;

	for (i = 0; i < v->ncols; i++) {
		if (keys_only && !v->cols[i].is_key)
			continue;
		fprintf(out, "%s%s=", first ? "" : " ", v->cols[i].name);
		put_val(out, b, &v->cols[i]);
		first = 0;
	}
}

static void
put_seqval_text(FILE *out, const struct pgtt_seqval *v)
{
	if (v == NULL)
		fputs("(not sampled)", out);
	else
		fprintf(out, "%lld%s", (long long)v->last_value, v->is_called ?
		    "" : " (not yet called)");
}

/* "sequence public.s: 41 -> 57", from the samples at the two points. */
static void
put_sequence_text(FILE *out, const struct seq_move *m)
{
	fprintf(out, "sequence %s.%s: ", m->schema, m->name);
	put_seqval_text(out, m->from);
	fputs(" -> ", out);
	put_seqval_text(out, m->to);
	fputc('\n', out);
}

/* The summary: per table, how many rows changed which way. */
static void
diff_text_stat(const struct diff *d, FILE *out)
{
	char	lsnbuf[LSN_BUFSIZE];
	size_t	i;

	fprintf(out, "from %s", lsn_format(d->from, lsnbuf));
	fprintf(out, " to %s: %zu tables changed\n", lsn_format(d->to, lsnbuf),
	    d->ntables);
	for (i = 0; i < d->ntables; i++) {
		fprintf(out, "%s.%s: %zu inserted, %zu deleted, %zu updated%s\n",
		    d->tables[i].schema, d->tables[i].name,
		    d->tables[i].ninserted, d->tables[i].ndeleted,
		    d->tables[i].nupdated, d->tables[i].truncated ?
		    " (truncated in the window)" : "");
		if (d->tables[i].partial != NULL)
			fprintf(out, "  captured in part (%s): its updates and "
			    "deletes are not in the history\n",
			    d->tables[i].partial);
	}
	for (i = 0; i < d->nseqs; i++)
		put_sequence_text(out, &d->seqs[i]);
	if (d->skipped > 0)
		fprintf(out, "%llu row changes left out: their table's "
		    "definition or the row's identity is not in the journal\n",
		    (unsigned long long)d->skipped);
}

static void
diff_text(const struct diff *d, FILE *out)
{
	const struct diff_col	*bc;
	struct diff_row		 row = { .op = DIFF_NONE }, *r = &row;
	struct buf		 b;
	char			 lsnbuf[LSN_BUFSIZE];
	size_t			 i, k, c;

	buf_init(&b);
	diff_text_stat(d, out);
	for (i = 0; i < d->ntables; i++) {
		fprintf(out, "\n%s.%s\n", d->tables[i].schema,
		    d->tables[i].name);
		for (k = 0; k < d->tables[i].nrows; k++) {
			diff_row_load(d, d->tables[i].rows[k], r);

			switch (r->op) {
			case DIFF_INSERTED:
				fputs("  + ", out);
				put_vals(out, &b, &r->after, 0);
				break;
			case DIFF_DELETED:
				fputs("  - ", out);
				put_vals(out, &b, &r->before, 0);
				break;
			case DIFF_UPDATED:
				fputs("  ~ ", out);
				put_vals(out, &b, &r->before, 1);
				fputc(':', out);
				for (c = 0; c < r->after.ncols; c++) {
					if (!r->changed[c])
						continue;
					fprintf(out, " %s: ",
					    r->after.cols[c].name);
					bc = diff_vals_col(&r->before,
					    r->after.cols[c].name);
					if (bc == NULL)
						fputs("(unknown)", out);
					else
						put_val(out, &b, bc);
					fputs(" -> ", out);
					put_val(out, &b, &r->after.cols[c]);
				}
				break;
			default:
				continue;
			}
			if (r->before_unknown)
				fputs("  (values before unknown: the row "
				    "predates capture)", out);
			fputc('\n', out);
		}
	}
	for (i = 0; i < d->nddl; i++) {
		fprintf(out, "%sddl %s ", i == 0 ? "\n" : "",
		    lsn_format(d->ddl[i].lsn, lsnbuf));
		history_format_line(&b, d->ddl[i].sql, strlen(d->ddl[i].sql),
		    SIZE_MAX);
		cli_put_buf(out, &b);
		fputc('\n', out);
	}
	diff_row_done(&row);
	buf_done(&b);
}

/* diff POINT POINT [--table T] [--format text|json|sql] [--stat] */
int
cmd_diff(struct cli_ctx *ctx, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "table", required_argument, NULL, 'T' },
		{ "format", required_argument, NULL, 'f' },
		{ "stat", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*cmd = &cli_commands[VERB_DIFF];
	enum diff_format		 format;
	struct journal			*j = NULL;
	struct cli_verb			 cv = { .j = NULL };
	struct diff_opts		 o = { .keys_only = 0 };
	struct diff			*d = NULL;
	char				*schema = NULL, *table = NULL;
	pgtt_lsn			 from, to;
	int				 ch, ret, stat = 0;

	format = ctx->json ? FORMAT_JSON : FORMAT_TEXT;
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'T':
			free(schema);
			free(table);
			schema = table = NULL;
			if (ident_parse_table(optarg, &schema, &table) != 0) {
				ret = cli_usage_error(ctx, cmd, "--table: \"%s\" "
				    "is not a table name", optarg);
				goto out;
			}
			break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				format = FORMAT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				format = FORMAT_JSON;
			else if (strcmp(optarg, "sql") == 0)
				format = FORMAT_SQL;
			else {
				ret = cli_usage_error(ctx, cmd, "--format: "
				    "\"%s\" is not text, json or sql", optarg);
				goto out;
			}
			break;
		case 's':
			stat = 1;
			break;
		default:
			ret = cli_usage_error(ctx, cmd, "unknown option \"%s\" "
			    "for diff", argv[optind - 1]);
			goto out;
		}
	}
	if (argc - optind != 2) {
		ret = cli_usage_error(ctx, cmd, "diff takes two points, got %d",
		    argc - optind);
		goto out;
	}
	if (stat && format == FORMAT_SQL) {
		ret = cli_usage_error(ctx, cmd, "--stat counts rows: it goes "
		    "with --format text or json, not sql");
		goto out;
	}
	if ((ret = cli_verb_begin(ctx, VERB_DIFF, 0, &cv)) != 0)
		goto out;
	j = cv.j;
	if ((ret = point_resolve_journaled(j, ctx->cfg.source.dsn,
	    argv[optind], &from, &ctx->err)) != 0) {
		err_where(&ctx->err, "the first point");
		goto out;
	}
	if ((ret = point_resolve_journaled(j, ctx->cfg.source.dsn,
	    argv[optind + 1], &to, &ctx->err)) != 0) {
		err_where(&ctx->err, "the second point");
		goto out;
	}
	if (to < from) {
		ret = cli_usage_error(ctx, cmd, "the second point (%s) comes "
		    "before the first (%s)", argv[optind + 1], argv[optind]);
		goto out;
	}
	o.from = from;
	o.to = to;
	o.counts_only = stat;
	o.schema = schema;
	o.table = table;
	if ((ret = cli_check_table(ctx, cmd, j, schema, table)) != 0 ||
	    (ret = diff_run(&cv.vc, &o, &d, &ctx->err)) != 0)
		goto out;
	if (d->warning[0] != '\0')
		fprintf(stderr, "pgtt: warning: %s\n", d->warning);
	switch (format) {
	case FORMAT_JSON:
		put_diff_json(d, stat, stdout);
		break;
	case FORMAT_SQL:
		diff_write_sql(d, stdout);
		break;
	case FORMAT_TEXT:
		if (stat)
			diff_text_stat(d, stdout);
		else
			diff_text(d, stdout);
		break;
	}
	fflush(stdout);
out:
	diff_free(d);
	cli_verb_end(&cv);
	free(schema);
	free(table);
	return ret;
}
