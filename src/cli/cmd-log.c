/*
 * cmd-log.c: `pgtt --headless log`: journaled changes in commit order,
 * as text lines or JSON Lines (CLI.md).
 *
 * Only whole transactions are shown, as walk.h reads them: a large
 * transaction still being written never shows half, and a pager that
 * stops reading never pins the journal's pages while the listener writes.
 * With source.databases and no -d, every database's changes come in one
 * commit order (an LSN is the cluster's), each named.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/ddl.h"
#include "core/history.h"
#include "core/ident.h"
#include "core/journal.h"
#include "core/logfile.h"
#include "core/point.h"
#include "core/pgtime.h"
#include "core/walk.h"
#include "core/xmalloc.h"

#define FOLLOW_MS	200
#define SHOW_MAX	60	/* characters of a value in text output */

struct log_opts {
	pgtt_lsn	 from, to;	/* commit LSN in [from, to) */
	char		*schema, *table;	/* NULL: any */
	unsigned	 ops;		/* bit per change_kind; 0 = all */
	long		 limit;		/* 0 = no limit */
	int		 follow;
	int		 from_given;	/* --from was given */
};

static volatile sig_atomic_t	interrupted;

static void
on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* --follow runs until one of these, then ends the output cleanly. */
static void
catch_interrupts(void)
{
	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	signal(SIGPIPE, on_interrupt);
}

static int
parse_ops(const char *text, unsigned *ops)
{
	static const char *const names[] = { NULL, "insert", "update",
	    "delete", "truncate", "ddl", "message" };
	char	*copy, *tok, *save = NULL;
	size_t	 k;
	int	 ret = 0;

	copy = xstrdup(text);
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		for (k = 1; k < sizeof names / sizeof names[0]; k++)
			if (strcmp(tok, names[k]) == 0)
				break;
		if (k == sizeof names / sizeof names[0]) {
			ret = -1;
			break;
		}
		*ops |= 1u << k;
	}
	free(copy);
	return ret;
}

static const char *
col_name(const struct pgtt_relation *rel, size_t i, char *buf)
{
	if (rel != NULL && i < rel->ncols)
		return rel->cols[i].name;
	snprintf(buf, 16, "col%zu", i + 1);
	return buf;
}

/* "schema.name" of a truncated table, or its relid when none is known. */
static char *
relation_name(const struct pgtt_relation *rel, uint32_t relid)
{
	char	*name;

	if (rel == NULL)
		xasprintf(&name, "%u", relid);
	else
		xasprintf(&name, "%s.%s", rel->schema, rel->name);
	return name;
}

/* A tuple as a JSON object; keys_only keeps replica identity columns. */
static json_t *
tuple_json(const struct pgtt_tuple *t, const struct pgtt_relation *rel,
    int keys_only)
{
	json_t	*o = json_object();
	char	 buf[16];
	size_t	 i;

	for (i = 0; i < t->ncols; i++) {
		const struct pgtt_col	*c = &t->cols[i];

		if (keys_only && rel != NULL && i < rel->ncols &&
		    !rel->cols[i].is_key)
			continue;
		if (c->kind == COL_TOAST)
			continue;
		json_object_set_new(o, col_name(rel, i, buf),
		    c->kind == COL_NULL ? json_null() :
		    cli_json_text(c->val, c->len));
	}
	return o;
}

json_t *
cli_change_json(const struct pgtt_change *ch, const struct pgtt_txn *txn,
    const struct pgtt_relation *rel,
    const struct pgtt_relation *const *trels)
{
	json_t	*o, *toast;
	char	 lsnbuf[LSN_BUFSIZE], timebuf[PGTIME_BUFSIZE], buf[16];
	size_t	 i;

	o = json_pack("{s:s, s:i, s:I, s:s, s:s}", "lsn",
	    lsn_format(ch->commit_lsn, lsnbuf), "seq", (int)ch->seq, "xid",
	    (json_int_t)txn->xid, "commit_time",
	    pgtime_format(txn->commit_time, timebuf), "op",
	    change_kind_name(ch->kind));
	switch (ch->kind) {
	case CHANGE_INSERT:
	case CHANGE_UPDATE:
	case CHANGE_DELETE:
		json_object_set_new(o, "schema", json_string(rel != NULL ?
		    rel->schema : "?"));
		json_object_set_new(o, "table", json_string(rel != NULL ?
		    rel->name : "?"));
		if (ch->old_kind != OLD_NONE)
			json_object_set_new(o, "old", tuple_json(&ch->old, rel,
			    ch->old_kind == OLD_KEY));
		if (ch->kind != CHANGE_DELETE) {
			json_object_set_new(o, "new", tuple_json(&ch->new, rel,
			    0));
			toast = json_array();
			for (i = 0; i < ch->new.ncols; i++)
				if (ch->new.cols[i].kind == COL_TOAST)
					json_array_append_new(toast,
					    json_string(col_name(rel, i, buf)));
			json_object_set_new(o, "unchanged_toast", toast);
		}
		break;
	case CHANGE_TRUNCATE: {
		json_t	*tables = json_array();

		for (i = 0; i < ch->nrelids; i++) {
			char	*name = relation_name(trels[i], ch->relids[i]);

			json_array_append_new(tables, json_string(name));
			free(name);
		}
		json_object_set_new(o, "tables", tables);
		json_object_set_new(o, "cascade",
		    json_boolean(ch->truncate_flags & 1));
		json_object_set_new(o, "restart_identity",
		    json_boolean(ch->truncate_flags & 2));
		break;
	}
	case CHANGE_DDL: {
		struct ddl_message	 m;
		struct pgtt_err		 perr;
		char			*text;

		if (ddl_message_parse(ch->content, ch->content_len, &m,
		    &perr) != 0) {
			json_object_set_new(o, "sql", cli_json_text(ch->content,
			    ch->content_len));
			break;
		}
		text = ddl_message_text(&m);
		json_object_set_new(o, "sql", json_string(text));
		json_object_set_new(o, "search_path",
		    json_string(m.search_path));
		json_object_set_new(o, "tag", json_string(m.tag));
		if (m.role != NULL)
			json_object_set_new(o, "role", json_string(m.role));
		free(text);
		ddl_message_done(&m);
		break;
	}
	case CHANGE_MESSAGE:
		json_object_set_new(o, "prefix", json_string(ch->prefix));
		json_object_set_new(o, "content", cli_json_text(ch->content,
		    ch->content_len));
		break;
	}
	return o;
}

/* One text line; values go through history's formatter, as in the TUI. */
void
cli_change_text(const struct pgtt_change *ch, const struct pgtt_txn *txn,
    const struct pgtt_relation *rel,
    const struct pgtt_relation *const *trels, struct buf *b,
    FILE *out)
{
	char	lsnbuf[LSN_BUFSIZE], timebuf[PGTIME_BUFSIZE];
	size_t	i;

	pgtime_format(txn->commit_time, timebuf);
	timebuf[10] = ' ';
	timebuf[23] = '\0';	/* milliseconds are enough on a terminal */
	fprintf(out, "%s %-12s %-8s", timebuf, lsn_format(ch->commit_lsn, lsnbuf),
	    change_kind_name(ch->kind));
	switch (ch->kind) {
	case CHANGE_INSERT:
	case CHANGE_UPDATE:
	case CHANGE_DELETE:
		fprintf(out, " %s.%s", rel != NULL ? rel->schema : "?",
		    rel != NULL ? rel->name : "?");
		if (ch->kind == CHANGE_DELETE)
			history_format_tuple(b, &ch->old, rel,
			    ch->old_kind == OLD_KEY, SHOW_MAX);
		else
			history_format_tuple(b, &ch->new, rel, 0, SHOW_MAX);
		if (b->len > 0)
			fputc(' ', out);
		cli_put_buf(out, b);
		break;
	case CHANGE_TRUNCATE:
		for (i = 0; i < ch->nrelids; i++) {
			char	*name = relation_name(trels[i], ch->relids[i]);

			fprintf(out, " %s", name);
			free(name);
		}
		break;
	case CHANGE_DDL:
	case CHANGE_MESSAGE: {
		struct pgtt_col	c = { COL_TEXT, ch->content_len, ch->content };
		char		*q;

		if (ch->kind == CHANGE_DDL && (q = ddl_describe(ch->content,
		    ch->content_len, NULL)) != NULL) {
			/* The statement whole, on one line. */
			fputc(' ', out);
			history_format_line(b, q, strlen(q), SIZE_MAX);
			cli_put_buf(out, b);
			free(q);
			break;
		}
		fprintf(out, " %s ", ch->prefix);
		if (history_is_break(ch))
			history_format_line(b, ch->content, ch->content_len,
			    SIZE_MAX);
		else
			history_format_value(b, &c, SHOW_MAX);
		cli_put_buf(out, b);
		break;
	}
	}
	fputc('\n', out);
}

/* Does the change pass --table and --op? */
static int
wanted(const struct log_opts *lo, const struct pgtt_change *ch,
    const struct pgtt_relation *rel)
{
	if (lo->ops != 0 && !(lo->ops & (1u << ch->kind)))
		return 0;
	if (lo->table == NULL)
		return 1;
	if (rel == NULL)
		return 0;
	return strcmp(rel->name, lo->table) == 0 && (lo->schema == NULL ||
	    strcmp(rel->schema, lo->schema) == 0);
}

/* One JSON object as one line. */
static void
emit_json(FILE *out, json_t *obj)
{
	char	*text;

	if ((text = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII)) == NULL)
		fatalx("could not encode JSON output");
	fprintf(out, "%s\n", text);
	free(text);
	json_decref(obj);
}

/*
 * Print the changes from (*lsn, *seq) up to lo->to, and move the position
 * past them.  Returns 0 or a negative error; *done is set when the limit
 * or --to was reached.
 */
static int
print_walk(struct cli_ctx *ctx, struct journal *j, const struct log_opts *lo,
    pgtt_lsn *lsn, uint32_t *seq, long *printed, int *done)
{
	struct walk		*w;
	const struct walk_item	*it;
	struct buf		 b;
	int			 ret;

	if (walk_open(j, *lsn, *seq, lo->to != LSN_INVALID ? lo->to :
	    UINT64_MAX, 0, NULL, &w, &ctx->err) != 0)
		return ctx->err.code;
	buf_init(&b);
	while ((ret = walk_next(w, &it, &ctx->err)) == 1) {
		if (wanted(lo, it->ch, it->rel)) {
			if (ctx->json)
				emit_json(stdout, cli_change_json(it->ch, &it->txn,
				    it->rel, it->trels));
			else
				cli_change_text(it->ch, &it->txn, it->rel,
				    it->trels, &b, stdout);
			(*printed)++;
		}
		if (lo->limit > 0 && *printed >= lo->limit) {
			*done = 1;
			break;
		}
		/* Output nobody can read is no reason to read on. */
		if (ferror(stdout))
			break;
	}
	walk_resume(w, lsn, seq);
	if (ret == 0 && walk_complete(w))
		*done = 1;
	walk_close(w);
	buf_done(&b);
	fflush(stdout);
	return ret < 0 ? ret : 0;
}

/* One database's walk in a log of several, and its change at hand. */
struct db_walk {
	struct journal		*j;
	const char		*name;
	struct walk		*w;
	const struct walk_item	*it;		/* NULL: ended */
};

static int
key_before(const struct pgtt_change *a, const struct pgtt_change *b)
{
	return a->commit_lsn < b->commit_lsn || (a->commit_lsn ==
	    b->commit_lsn && a->seq < b->seq);
}

/*
 * print_walk over several databases: each database's changes from (*lsn,
 * *seq) up to to, the one with the smallest key printed first.  *lsn
 * moves to to, where the next call goes on.
 */
static int
print_merged(struct cli_ctx *ctx, struct db_walk *dbs, size_t n,
    const struct log_opts *lo, pgtt_lsn *lsn, uint32_t *seq, pgtt_lsn to,
    long *printed, int *done)
{
	struct db_walk	*d;
	struct buf	 b;
	json_t		*o;
	size_t		 k;
	int		 ret = 0, failed = 0;

	for (k = 0; k < n; k++) {
		dbs[k].w = NULL;
		dbs[k].it = NULL;
		if (walk_open(dbs[k].j, *lsn, *seq, to, 0, NULL, &dbs[k].w,
		    &ctx->err) != 0 || (ret = walk_next(dbs[k].w, &dbs[k].it,
		    &ctx->err)) < 0) {
			failed = 1;
			goto out;
		}
		if (ret == 0)
			dbs[k].it = NULL;
	}
	buf_init(&b);
	for (;;) {
		d = NULL;
		for (k = 0; k < n; k++) {
			if (dbs[k].it != NULL && (d == NULL ||
			    key_before(dbs[k].it->ch, d->it->ch)))
				d = &dbs[k];
		}
		if (d == NULL)
			break;
		if (wanted(lo, d->it->ch, d->it->rel)) {
			if (ctx->json) {
				o = cli_change_json(d->it->ch, &d->it->txn,
				    d->it->rel, d->it->trels);
				json_object_set_new(o, "database",
				    json_string(d->name));
				emit_json(stdout, o);
			} else {
				printf("%s ", d->name);
				cli_change_text(d->it->ch, &d->it->txn,
				    d->it->rel, d->it->trels, &b, stdout);
			}
			(*printed)++;
		}
		if ((lo->limit > 0 && *printed >= lo->limit) || ferror(stdout)) {
			*done = 1;
			break;
		}
		if ((ret = walk_next(d->w, &d->it, &ctx->err)) < 0) {
			failed = 1;
			break;
		}
		if (ret == 0)
			d->it = NULL;
	}
	buf_done(&b);
	fflush(stdout);
	*lsn = to;
	*seq = 0;
	if (!failed && lo->to != LSN_INVALID && to >= lo->to)
		*done = 1;
out:
	for (k = 0; k < n; k++)
		walk_close(dbs[k].w);
	return failed ? ctx->err.code : 0;
}

/*
 * What every database's journal holds for sure: the least of their
 * confirmed positions.  A later commit of a database whose listener lags
 * may still come below another's newest, so following stops here.
 */
static pgtt_lsn
merged_bound(struct cli_ctx *ctx, struct db_walk *dbs, size_t n)
{
	pgtt_lsn	first, last, bound = UINT64_MAX;
	size_t		k;

	for (k = 0; k < n; k++) {
		if (point_range(dbs[k].j, &first, &last, &ctx->err) != 0)
			return 0;
		if (last < bound)
			bound = last;
	}
	return bound;
}

static int	parse_args(struct cli_ctx *, struct journal *, int, char **,
		    struct log_opts *);

/* log without -d over source.databases. */
static int
log_every_database(struct cli_ctx *ctx, int argc, char **argv)
{
	size_t		 n = ctx->cfg.source.ndatabases, k;
	struct config	*views;
	struct db_walk	*dbs;
	struct log_opts	 lo;
	pgtt_lsn	 lsn, to;
	uint32_t	 seq = 0;
	long		 printed = 0;
	int		 done = 0, ret = 0;

	views = xcalloc(n, sizeof *views);
	dbs = xcalloc(n, sizeof *dbs);
	memset(&lo, 0, sizeof lo);
	for (k = 0; ret == 0 && k < n; k++) {
		if ((ret = cli_database_config(ctx, ctx->cfg.source.databases[k],
		    &views[k])) != 0)
			break;
		dbs[k].name = views[k].source.database;
		ret = journal_open(&dbs[k].j, views[k].storage.path,
		    views[k].storage.map_size, JOURNAL_READONLY, &ctx->err);
		if (ret == PGTT_ENOTFOUND)
			err_hint(&ctx->err, "run setup first");
		if (ret != 0)
			err_detail_add(&ctx->err, "database \"%s\"",
			    dbs[k].name);
	}
	/* Points read as the first database's journal reads them. */
	if (ret == 0)
		ret = parse_args(ctx, dbs[0].j, argc, argv, &lo);
	/* --table names a table one of the databases has seen. */
	for (k = 0; ret == 0 && lo.table != NULL && !lo.follow && k < n; k++) {
		int	seen = journal_relation_named(dbs[k].j, lo.schema,
			    lo.table, &ctx->err);

		if (seen < 0)
			ret = seen;
		else if (seen > 0)
			break;
		else if (k + 1 == n)
			ret = cli_check_table(ctx, &cli_commands[VERB_LOG],
			    dbs[0].j, lo.schema, lo.table);
	}
	if (ret != 0)
		goto out;
	if (lo.follow)
		catch_interrupts();
	/* Without --from, every database's history from its start. */
	lsn = lo.from_given ? lo.from : 0;
	while (!done && !interrupted) {
		to = lo.to != LSN_INVALID ? lo.to : UINT64_MAX;
		if (lo.follow) {
			pgtt_lsn	bound = merged_bound(ctx, dbs, n);

			if (ctx->err.code != 0) {
				ret = ctx->err.code;
				break;
			}
			if (bound != UINT64_MAX && bound + 1 < to)
				to = bound + 1;
		}
		if (to > lsn && (ret = print_merged(ctx, dbs, n, &lo, &lsn,
		    &seq, to, &printed, &done)) != 0)
			break;
		if (ferror(stdout) && (ret = cli_check_output(ctx)) != 0)
			break;
		if (done || !lo.follow)
			break;
		poll(NULL, 0, FOLLOW_MS);
	}
out:
	for (k = 0; k < n; k++) {
		if (dbs[k].j != NULL)
			journal_close(dbs[k].j);
		config_free(&views[k]);
	}
	free(dbs);
	free(views);
	free(lo.schema);
	free(lo.table);
	return ret;
}

static int
parse_args(struct cli_ctx *ctx, struct journal *j, int argc, char **argv,
    struct log_opts *lo)
{
	static const struct option	 opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "table", required_argument, NULL, 'T' },
		{ "op", required_argument, NULL, 'o' },
		{ "limit", required_argument, NULL, 'l' },
		{ "follow", no_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	const struct cli_command	*cmd = &cli_commands[VERB_LOG];
	const char			*from = "creation", *to = NULL;
	char				*end;
	int				 ch;

	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			from = optarg;
			lo->from_given = 1;
			break;
		case 't':
			to = optarg;
			break;
		case 'T':
			free(lo->schema);
			free(lo->table);
			if (ident_parse_table(optarg, &lo->schema,
			    &lo->table) != 0)
				return cli_usage_error(ctx, cmd, "--table: "
				    "\"%s\" is not a table name", optarg);
			break;
		case 'o':
			if (parse_ops(optarg, &lo->ops) != 0)
				return cli_usage_error(ctx, cmd, "--op: \"%s\" "
				    "is not a list of insert, update, delete, "
				    "truncate, ddl, message", optarg);
			break;
		case 'l':
			errno = 0;
			lo->limit = strtol(optarg, &end, 10);
			if (*end != '\0' || lo->limit <= 0 || errno == ERANGE)
				return cli_usage_error(ctx, cmd, "--limit: "
				    "\"%s\" is not a positive number", optarg);
			break;
		case 'F':
			lo->follow = 1;
			break;
		default:
			return cli_usage_error(ctx, cmd, "unknown option "
			    "\"%s\" for log", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error(ctx, cmd, "log takes no arguments, got "
		    "\"%s\"", argv[optind]);
	if (point_resolve_journaled(j, ctx->cfg.source.dsn, from,
	    &lo->from, &ctx->err) != 0 || (to != NULL &&
	    point_resolve_journaled(j, ctx->cfg.source.dsn, to, &lo->to,
	    &ctx->err) != 0)) {
		err_where(&ctx->err, "%s", to != NULL && lo->from != 0 ?
		    "--to" : "--from");
		return ctx->err.code;
	}
	/* Followed, a table may yet come; over several, it is checked there. */
	if (!lo->follow && !cli_all_databases(ctx))
		return cli_check_table(ctx, cmd, j, lo->schema, lo->table);
	return 0;
}

int
cmd_log(struct cli_ctx *ctx, int argc, char **argv)
{
	struct log_opts	 lo;
	struct journal	*j;
	struct cli_verb	 cv;
	pgtt_lsn	 lsn;
	uint32_t	 seq = 0;
	long		 printed = 0;
	int		 done = 0, ret = 0;

	if (cli_all_databases(ctx))
		return log_every_database(ctx, argc, argv);
	memset(&lo, 0, sizeof lo);
	if ((ret = cli_verb_begin(ctx, VERB_LOG, 0, &cv)) != 0)
		return ret;
	j = cv.j;
	if ((ret = parse_args(ctx, j, argc, argv, &lo)) != 0)
		goto out;
	if (lo.follow)
		catch_interrupts();
	lsn = lo.from;
	while (!done && !interrupted) {
		if ((ret = print_walk(ctx, j, &lo, &lsn, &seq, &printed,
		    &done)) != 0)
			break;
		if (ferror(stdout) && (ret = cli_check_output(ctx)) != 0)
			break;
		if (done || !lo.follow)
			break;
		poll(NULL, 0, FOLLOW_MS);
	}
out:
	cli_verb_end(&cv);
	free(lo.schema);
	free(lo.table);
	return ret;
}
