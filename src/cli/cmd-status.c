/*
 * cmd-status.c: `pgtt --headless status`.  Reports every part it can reach
 * and says plainly which it cannot; exits 1 when the source is unreachable
 * so scripts can use it as a health check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/archive.h"
#include "core/journal.h"
#include "core/listener.h"
#include "core/era.h"
#include "core/prune.h"
#include "core/source.h"
#include "core/xmalloc.h"

struct journal_view {
	int			 exists;
	char			*error;
	struct journal_stats	 stats;
	pgtt_lsn		 creation_lsn;
	struct eras		 eras;		/* n == 0: not read */
	struct listener_record	 listener;
	int			 window_known;
	struct pitr_window	 window;
	struct archiver_status	 archiver;
};

/*
 * The journal as open already (a listener's own: LMDB must not be opened
 * twice in one process), or opened here for the moment.
 */
static void
read_journal(const struct config *cfg, struct journal *open,
    struct journal_view *jv)
{
	struct journal	*j = open;
	struct pgtt_err	 err;

	memset(jv, 0, sizeof *jv);
	if (j == NULL && !journal_exists(cfg->storage.path))
		return;
	jv->exists = 1;
	err_clear(&err);
	if (j == NULL && journal_open(&j, cfg->storage.path,
	    cfg->storage.map_size, JOURNAL_READONLY, &err) != 0) {
		jv->error = xstrdup(err.msg);
		return;
	}
	if (journal_stats(j, &jv->stats, &err) != 0)
		jv->error = xstrdup(err.msg);
	else if (journal_meta_get_lsn(j, "creation_lsn", &jv->creation_lsn,
	    &err) != 0)
		jv->creation_lsn = LSN_INVALID;
	if (jv->error == NULL && eras_read(j, &jv->eras, &err) != 0)
		memset(&jv->eras, 0, sizeof jv->eras);
	listener_record_read(j, &jv->listener);
	if (cfg->pitr.enabled) {
		archiver_status_read(cfg, &jv->archiver);
		jv->window_known = archive_window(cfg, j, &jv->window,
		    &err) == 0;
	}
	if (open == NULL)
		journal_close(j);
}

/*
 * The listener as far as this process can tell: a pgtt listener whose pid
 * is alive is "running" (its last state and error say more); a slot held
 * by anything else is "external".
 */
static const char *
listener_state(const struct source_status *st, const struct journal_view *jv)
{
	if (listener_record_running(&jv->listener))
		return "running";
	return st->slot.active ? "external" : "stopped";
}

static int
listener_running(const struct source_status *st, const struct journal_view *jv)
{
	return strcmp(listener_state(st, jv), "running") == 0;
}

static json_t *
lsn_json(pgtt_lsn lsn)
{
	char	buf[LSN_BUFSIZE];

	return lsn != LSN_INVALID ? json_string(lsn_format(lsn, buf)) :
	    json_null();
}

/* Each break: where what was lost starts and where the history goes on. */
static json_t *
breaks_json(const struct eras *es)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 1; i < es->n; i++)
		json_array_append_new(a, json_pack("{s:o, s:o, s:s}",
		    "gap_from", lsn_json(es->v[i].gap_from), "baseline_lsn",
		    lsn_json(es->v[i].start), "baseline", es->v[i].dump));
	return a;
}

static json_t *
db_json(const struct db_status *db, int with_dsn)
{
	json_t	*o;

	o = json_pack("{s:b, s:b}", "configured", db->configured,
	    "connected", db->reachable);
	if (db->dsn != NULL && with_dsn)
		json_object_set_new(o, "dsn", json_string(db->dsn));
	if (db->error != NULL)
		json_object_set_new(o, "error", json_string(db->error));
	if (db->reachable) {
		json_object_set_new(o, "version", json_string(db->version));
		json_object_set_new(o, "version_num",
		    json_integer(db->version_num));
		json_object_set_new(o, "database", json_string(db->database));
		json_object_set_new(o, "user", json_string(db->user));
		json_object_set_new(o, "system_identifier",
		    json_string(db->system_id));
		json_object_set_new(o, "wal_level", json_string(db->wal_level));
		json_object_set_new(o, "in_recovery",
		    json_boolean(db->in_recovery));
		json_object_set_new(o, "current_lsn", lsn_json(db->current_lsn));
	}
	return o;
}

/* The archive and the recoverable window; null when PITR is off. */
static void
pitr_json(json_t *o, const struct config *cfg, const struct journal_view *jv)
{
	const struct archiver_status	*a = &jv->archiver;
	const struct pitr_window	*w = &jv->window;
	json_t				*arch, *win;

	if (!cfg->pitr.enabled || !jv->exists) {
		json_object_set_new(o, "archive", json_null());
		json_object_set_new(o, "window", json_null());
		return;
	}
	arch = json_pack("{s:s, s:s, s:i}", "dir", cfg->pitr.archive_dir,
	    "receiver", archiver_state_name(a->state), "restarts",
	    (int)a->restarts);
	if (a->state != ARCHIVER_STOPPED)
		json_object_set_new(arch, "pid", json_integer(a->pid));
	json_object_set_new(arch, "receiver_pid", a->receiver_pid > 0 ?
	    json_integer(a->receiver_pid) : json_null());
	json_object_set_new(arch, "error", a->error[0] != '\0' ?
	    json_string(a->error) : json_null());
	json_object_set_new(arch, "segments",
	    json_integer((json_int_t)w->segments));
	json_object_set_new(arch, "newest_segment", w->newest_segment[0] ?
	    json_string(w->newest_segment) : json_null());
	json_object_set_new(arch, "archived_lsn", lsn_json(w->latest));
	win = json_pack("{s:I, s:o, s:o}", "backups", (json_int_t)w->backups,
	    "earliest", lsn_json(w->earliest), "latest", lsn_json(w->latest));
	if (w->note[0] != '\0')
		json_object_set_new(win, "note", json_string(w->note));
	json_object_set_new(o, "archive", arch);
	json_object_set_new(o, "window", win);
}

static void
pitr_text(const struct config *cfg, const struct journal_view *jv)
{
	const struct archiver_status	*a = &jv->archiver;
	const struct pitr_window	*w = &jv->window;
	char				 x[LSN_BUFSIZE], y[LSN_BUFSIZE];

	if (!cfg->pitr.enabled && cfg->source.database != NULL &&
	    strcmp(cfg->source.database, cfg->source.databases[0]) != 0) {
		printf("%-12s the cluster's: see database %s\n", "archive",
		    cfg->source.databases[0]);
		return;
	}
	if (!cfg->pitr.enabled) {
		printf("%-12s off (pitr.enabled: false)\n", "archive");
		return;
	}
	if (!jv->exists)
		return;
	printf("%-12s %s: pg_receivewal %s", "archive", cfg->pitr.archive_dir,
	    archiver_state_name(a->state));
	if (a->receiver_pid > 0)
		printf(" (pid %ld)", a->receiver_pid);
	if (w->segments > 0)
		printf(", %llu segments to %s", (unsigned long long)w->segments,
		    w->newest_segment);
	if (a->restarts > 0)
		printf(", %u restarts", a->restarts);
	if (a->error[0] != '\0' && a->state == ARCHIVER_RESTARTING)
		printf(": %s", a->error);
	putchar('\n');
	if (w->latest != LSN_INVALID)
		printf("%-12s restore to any point from %s to %s (%zu base "
		    "backups)\n", "window", lsn_format(w->earliest, x),
		    lsn_format(w->latest, y), w->backups);
	else
		printf("%-12s empty: %s\n", "window", w->note);
}

static json_t *
gaps_json(const struct capture_gap *g, size_t n)
{
	json_t	*a = json_array();
	size_t	 i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "table",
		    g[i].table, "reason", g[i].reason));
	return a;
}

static json_t *
status_json(const struct config *cfg, const struct source_status *st,
    const struct journal_view *jv, int with_dsn)
{
	json_t	*slot, *journal, *pub, *o;

	/* What an unreachable source would say is unknown, not false. */
	slot = json_pack("{s:s, s:o}", "name", cfg->source.slot, "exists",
	    st->source.reachable ? json_boolean(st->slot.exists) :
	    json_null());
	if (st->slot.exists) {
		json_object_set_new(slot, "active", json_boolean(st->slot.active));
		json_object_set_new(slot, "lag_bytes",
		    json_integer(st->slot.lag_bytes));
		json_object_set_new(slot, "confirmed_flush_lsn",
		    lsn_json(st->slot.confirmed_flush_lsn));
		json_object_set_new(slot, "restart_lsn",
		    lsn_json(st->slot.restart_lsn));
		json_object_set_new(slot, "wal_status", st->slot.wal_status ?
		    json_string(st->slot.wal_status) : json_null());
	}
	if (st->source.reachable)
		pub = json_pack("{s:s, s:b, s:i, s:b}", "name",
		    cfg->source.publication, "exists", st->publication_exists,
		    "tables", st->publication_tables, "ddl_capture",
		    st->ddl_trigger);
	else
		pub = json_pack("{s:s, s:n}", "name", cfg->source.publication,
		    "exists");
	journal = json_pack("{s:s, s:b}", "path", cfg->storage.path,
	    "exists", jv->exists);
	if (jv->error != NULL)
		json_object_set_new(journal, "error", json_string(jv->error));
	else if (jv->exists) {
		const struct journal_stats	*js = &jv->stats;

		json_object_set_new(journal, "size_bytes",
		    json_integer((json_int_t)js->file_size));
		json_object_set_new(journal, "transactions",
		    json_integer((json_int_t)js->transactions));
		json_object_set_new(journal, "changes",
		    json_integer((json_int_t)js->changes));
		json_object_set_new(journal, "checkpoints",
		    json_integer((json_int_t)js->checkpoints));
		json_object_set_new(journal, "creation_lsn",
		    lsn_json(jv->creation_lsn));
		json_object_set_new(journal, "breaks", breaks_json(&jv->eras));
		json_object_set_new(journal, "first_lsn", lsn_json(js->first_lsn));
		json_object_set_new(journal, "last_lsn", lsn_json(js->last_lsn));
	}
	o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:s}", "source",
	    db_json(&st->source, with_dsn), "replica", db_json(&st->replica,
	    with_dsn), "slot",
	    slot, "publication", pub, "journal", journal, "listener",
	    listener_state(st, jv));
	if (listener_running(st, jv))
		json_object_set_new(o, "listener_detail", json_pack(
		    "{s:I, s:s, s:s?}", "pid", (json_int_t)jv->listener.pid,
		    "state", jv->listener.state, "error", jv->listener.error));
	if (st->source.reachable)
		json_object_set_new(o, "capture", json_pack("{s:o, s:o}",
		    "partial", gaps_json(st->partial, st->npartial), "none",
		    gaps_json(st->missing, st->nmissing)));
	pitr_json(o, cfg, jv);
	{
		char	 w[PRUNE_WARN_MAX][200];
		size_t	 i, n = storage_warnings(cfg, jv->stats.file_size, w);
		json_t	*a = json_array();

		for (i = 0; i < n; i++)
			json_array_append_new(a, json_string(w[i]));
		json_object_set_new(o, "warnings", a);
	}
	/* One of source.databases: status gives one object per database. */
	if (cfg->source.database != NULL)
		json_object_set_new(o, "database",
		    json_string(cfg->source.database));
	return o;
}

static void
print_gaps(const char *label, const struct capture_gap *g, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		printf("%-12s %s (%s)\n", i == 0 ? label : "", g[i].table,
		    g[i].reason);
}

static void
print_db(const char *label, const struct db_status *db)
{
	char	lsnbuf[LSN_BUFSIZE];

	if (!db->configured) {
		printf("%-12s not configured\n", label);
		return;
	}
	printf("%-12s %s\n", label, db->dsn);
	if (!db->reachable) {
		printf("%-12s unreachable: %s\n", "", db->error);
		return;
	}
	printf("%-12s PostgreSQL %s, database \"%s\" as \"%s\", system %s\n",
	    "", db->version, db->database, db->user, db->system_id);
	printf("%-12s wal_level %s, %s at %s\n", "", db->wal_level,
	    db->in_recovery ? "standby" : "primary",
	    lsn_format(db->current_lsn, lsnbuf));
}

static void
print_text(const struct config *cfg, const struct source_status *st,
    const struct journal_view *jv)
{
	const struct journal_stats	*js = &jv->stats;
	char				 a[LSN_BUFSIZE], b[LSN_BUFSIZE];
	size_t				 i;

	print_db("source", &st->source);
	if (!st->source.reachable && st->source.configured)
		printf("%-12s unknown: the source is unreachable\n",
		    "slot");
	print_db("replica", &st->replica);
	if (st->source.reachable) {
		if (!st->slot.exists && jv->creation_lsn != LSN_INVALID)
			printf("%-12s \"%s\" is gone: the journal's history "
			    "cannot continue (see setup in pgtt(1))\n", "slot",
			    cfg->source.slot);
		else if (!st->slot.exists)
			printf("%-12s \"%s\" does not exist (run setup)\n",
			    "slot", cfg->source.slot);
		else
			printf("%-12s \"%s\" %s, confirmed %s, lag %lld "
			    "bytes%s%s\n", "slot", cfg->source.slot,
			    st->slot.active ? "active" : "inactive",
			    lsn_format(st->slot.confirmed_flush_lsn, a),
			    (long long)st->slot.lag_bytes,
			    st->slot.wal_status ? ", wal_status " : "",
			    st->slot.wal_status ? st->slot.wal_status : "");
		if (!st->publication_exists)
			printf("%-12s \"%s\" does not exist (run setup)\n",
			    "publication", cfg->source.publication);
		else
			printf("%-12s \"%s\" with %d tables, DDL capture %s\n",
			    "publication", cfg->source.publication,
			    st->publication_tables, st->ddl_trigger ? "on" :
			    "off");
		print_gaps("in part", st->partial, st->npartial);
		print_gaps("not captured", st->missing, st->nmissing);
	}
	if (!jv->exists)
		printf("%-12s %s does not exist (run setup)\n", "journal",
		    cfg->storage.path);
	else if (jv->error != NULL)
		printf("%-12s %s: %s\n", "journal", cfg->storage.path,
		    jv->error);
	else {
		printf("%-12s %s, %llu bytes, history from %s\n", "journal",
		    cfg->storage.path, (unsigned long long)js->file_size,
		    lsn_format(jv->creation_lsn, a));
		printf("%-12s %llu transactions, %llu changes, %llu "
		    "checkpoints", "", (unsigned long long)js->transactions,
		    (unsigned long long)js->changes,
		    (unsigned long long)js->checkpoints);
		if (js->transactions > 0)
			printf(", %s .. %s", lsn_format(js->first_lsn, a),
			    lsn_format(js->last_lsn, b));
		putchar('\n');
		for (i = 1; i < jv->eras.n; i++)
			printf("%-12s nothing between %s and %s was captured; "
			    "the history goes on from baseline %s\n",
			    i == 1 ? "breaks" : "",
			    lsn_format(jv->eras.v[i].gap_from, a),
			    lsn_format(jv->eras.v[i].start, b),
			    jv->eras.v[i].dump);
	}
	if (listener_running(st, jv))
		printf("%-12s running (pid %ld), %s%s%s\n", "listener",
		    jv->listener.pid, jv->listener.state,
		    jv->listener.error ? ": " : "",
		    jv->listener.error ? jv->listener.error : "");
	else
		printf("%-12s %s\n", "listener", listener_state(st, jv));
	pitr_text(cfg, jv);
	{
		char	w[PRUNE_WARN_MAX][200];
		size_t	n = storage_warnings(cfg, jv->stats.file_size, w);

		for (i = 0; i < n; i++)
			printf("%-12s %s\n", "warning", w[i]);
	}
}

/* The status of cfg's database; an error when its source is unreachable. */
static int
status_one(struct cli_ctx *ctx, const struct config *cfg)
{
	struct source_status	st;
	struct journal_view	jv;

	source_status(cfg, &st);
	read_journal(cfg, NULL, &jv);
	if (ctx->json)
		cli_emit_json(status_json(cfg, &st, &jv, 1));
	else {
		if (cfg->source.database != NULL)
			printf("%-12s %s\n", "database", cfg->source.database);
		print_text(cfg, &st, &jv);
	}
	if (!st.source.reachable)
		err_set(&ctx->err, PGTT_EDB, "the source database%s%s%s is "
		    "unreachable", cfg->source.database != NULL ? " \"" : "",
		    cfg->source.database != NULL ? cfg->source.database : "",
		    cfg->source.database != NULL ? "\"" : "");
	source_status_done(&st);
	free(jv.error);
	listener_record_done(&jv.listener);
	eras_done(&jv.eras);
	return ctx->err.code;
}

int
cmd_status(struct cli_ctx *ctx, int argc, char **argv)
{
	struct config	view;
	struct pgtt_err	first;
	size_t		i;
	int		ret = 0;

	(void)argv;
	if (argc > 1)
		return cli_usage_error(ctx, &cli_commands[VERB_STATUS],
		    "status takes no arguments");
	if (!cli_all_databases(ctx))
		return status_one(ctx, &ctx->cfg);
	/* Each database; the first failure is the one reported. */
	err_clear(&first);
	for (i = 0; i < ctx->cfg.source.ndatabases; i++) {
		if (cli_database_config(ctx, ctx->cfg.source.databases[i],
		    &view) != 0)
			return ctx->err.code;
		if (i > 0 && !ctx->json)
			putchar('\n');
		err_clear(&ctx->err);
		if (status_one(ctx, &view) != 0 && ret == 0) {
			ret = ctx->err.code;
			first = ctx->err;
		}
		config_free(&view);
	}
	ctx->err = first;
	return ret;
}

json_t *
cli_status_json(const struct config *cfg, struct journal *j,
    int *source_reachable)
{
	struct source_status	st;
	struct journal_view	jv;
	json_t			*o;

	source_status(cfg, &st);
	read_journal(cfg, j, &jv);
	/* Over the network: no DSN, even masked. */
	o = status_json(cfg, &st, &jv, 0);
	*source_reachable = st.source.reachable;
	source_status_done(&st);
	free(jv.error);
	listener_record_done(&jv.listener);
	eras_done(&jv.eras);
	return o;
}
