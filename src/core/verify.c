/*
 * verify.c: replay the replica and restore a scratch cluster to one
 * point, then compare them table by table and sequence by sequence
 * (verify.h).  Each server computes its own counts and hashes, so only
 * a line per table crosses the wire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "logfile.h"
#include "ident.h"
#include "pg.h"
#include "pgtime.h"
#include "point.h"
#include "restore.h"
#include "seqsample.h"
#include "verify.h"
#include "xmalloc.h"

/*
 * The text form of a row depends on these settings: both sides get the
 * same.  search_path keeps every function call to pg_catalog's.
 */
static const char settings_sql[] =
    "SET datestyle TO ISO, YMD; SET intervalstyle TO postgres;"
    " SET timezone TO 'UTC'; SET extra_float_digits TO 3;"
    " SET bytea_output TO hex; SET lc_monetary TO 'C';"
    " SET row_security TO off; SET statement_timeout TO 0;"
    " SET search_path TO pg_catalog, pg_temp";

/*
 * Permanent tables with storage (partitions, not their parents); with a
 * publication ($3), only those it captures, themselves or through their
 * partition root.
 */
static const char tables_sql[] =
    "SELECT n.nspname, c.relname, c.oid::pg_catalog.text"
    " FROM pg_catalog.pg_class c"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'r' AND c.relpersistence = 'p'"
    "  AND n.nspname <> ALL (ARRAY['pg_catalog', 'information_schema',"
    "   'pgtt'])"
    "  AND n.nspname !~ '^pg_(toast|temp_)'"
    "  AND ($1::pg_catalog.text IS NULL OR n.nspname = $1)"
    "  AND ($2::pg_catalog.text IS NULL OR c.relname = $2)"
    "  AND ($3::pg_catalog.text IS NULL OR EXISTS (SELECT"
    "   FROM pg_catalog.pg_publication_tables p"
    "   LEFT JOIN pg_catalog.pg_class rc"
    "    ON rc.oid = pg_catalog.pg_partition_root(c.oid)"
    "   LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace"
    "   WHERE p.pubname IN ($3, $3 || '_inserts')"
    "    AND ((p.schemaname = n.nspname AND p.tablename = c.relname)"
    "     OR (p.schemaname = rn.nspname AND p.tablename = rc.relname))))"
    " ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"";

/* The columns in table order, and sorted to compare them as a set. */
static const char columns_sql[] =
    "SELECT COALESCE(pg_catalog.string_agg(pg_catalog.quote_ident(attname),"
    "  ', ' ORDER BY attnum), ''),"
    " COALESCE(pg_catalog.string_agg(pg_catalog.quote_ident(attname),"
    "  ', ' ORDER BY attname COLLATE \"C\"), '')"
    " FROM pg_catalog.pg_attribute"
    " WHERE attrelid = $1::pg_catalog.oid AND attnum > 0"
    "  AND NOT attisdropped";

static const char increments_sql[] =
    "SELECT n.nspname, c.relname, s.seqincrement::pg_catalog.text"
    " FROM pg_catalog.pg_sequence s"
    " JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid"
    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    " ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"";

struct side {
	PGconn		*conn;
	const char	*what;		/* "replica", "restored cluster" */
	PGresult	*tables;
};

const char *
verify_phase_name(enum verify_phase phase)
{
	switch (phase) {
	case VERIFY_PHASE_REPLAYING:
		return "replaying the replica";
	case VERIFY_PHASE_RESTORING:
		return "restoring a scratch cluster";
	case VERIFY_PHASE_COMPARING:
		return "comparing";
	}
	return "?";
}

static void
add_table(struct verify_result *r, const char *schema, const char *name)
{
	struct verify_table	*t;

	r->tables = xreallocarray(r->tables, r->ntables + 1,
	    sizeof *r->tables);
	t = &r->tables[r->ntables++];
	memset(t, 0, sizeof *t);
	t->schema = xstrdup(schema);
	t->name = xstrdup(name);
	t->rows_replica = t->rows_restored = -1;
}

/* The quoted column names of table oid: in table order, and sorted. */
static PGresult *
columns(struct side *s, const char *oid, struct pgtt_err *err)
{
	const char	*params[1] = { oid };
	PGresult	*res;

	if ((res = pg_exec(s->conn, err, columns_sql, 1, params)) == NULL)
		err_where(err, "the columns of a table on the %s", s->what);
	return res;
}

/*
 * Rows and hash of one table on one side, with the restored side's
 * column list: the sums of the two halves of each row's md5 (of its text
 * form), which no row order changes and which need neither a sort nor
 * memory that grows with the table.
 */
static int
table_hash(struct side *s, const char *schema, const char *name,
    const char *cols, int64_t *rows, char *hash, size_t hashlen,
    struct pgtt_err *err)
{
	PGresult	*res;
	char		*qual, *sql;

	qual = ident_qualified(schema, name);
	xasprintf(&sql, "SELECT pg_catalog.count(*)::pg_catalog.text,"
	    " COALESCE(pg_catalog.sum(('x' OPERATOR(pg_catalog.||)"
	    " pg_catalog.substr(h, 1, 16))::pg_catalog.bit(64)::pg_catalog.int8"
	    "::pg_catalog.numeric), 0)::pg_catalog.text OPERATOR(pg_catalog.||)"
	    " '/' OPERATOR(pg_catalog.||) COALESCE(pg_catalog.sum(('x'"
	    " OPERATOR(pg_catalog.||) pg_catalog.substr(h, 17, 16))::pg_catalog."
	    "bit(64)::pg_catalog.int8::pg_catalog.numeric), 0)::pg_catalog.text"
	    " FROM (SELECT pg_catalog.md5(ROW(%s)::pg_catalog.text) AS h"
	    " FROM ONLY %s) s", cols, qual);
	res = pg_exec(s->conn, err, sql, 0, NULL);
	free(sql);
	free(qual);
	if (res == NULL) {
		err_where(err, "table %s.%s on the %s", schema, name, s->what);
		return err->code;
	}
	*rows = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	snprintf(hash, hashlen, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	return 0;
}

/* One table present on both sides. */
static int
compare_table(struct side *rep, struct side *res, int ri, int pi,
    struct verify_table *t, struct pgtt_err *err)
{
	PGresult	*cres, *crep;
	char		 hrep[128], hres[128];
	int		 ret = 0;

	if ((cres = columns(res, PQgetvalue(res->tables, pi, 2), err)) == NULL)
		return err->code;
	if ((crep = columns(rep, PQgetvalue(rep->tables, ri, 2), err)) ==
	    NULL) {
		PQclear(cres);
		return err->code;
	}
	t->equal = 1;
	if (strcmp(PQgetvalue(cres, 0, 1), PQgetvalue(crep, 0, 1)) != 0) {
		t->equal = 0;
		xasprintf(&t->why, "its columns differ: (%s) on the replica, "
		    "(%s) restored", PQgetvalue(crep, 0, 0),
		    PQgetvalue(cres, 0, 0));
		goto out;
	}
	/* The restored order for both, so the rows' text forms match. */
	if ((ret = table_hash(res, t->schema, t->name, PQgetvalue(cres, 0, 0),
	    &t->rows_restored, hres, sizeof hres, err)) != 0 ||
	    (ret = table_hash(rep, t->schema, t->name, PQgetvalue(cres, 0, 0),
	    &t->rows_replica, hrep, sizeof hrep, err)) != 0)
		goto out;
	if (t->rows_replica != t->rows_restored) {
		t->equal = 0;
		xasprintf(&t->why, "%lld rows on the replica, %lld restored",
		    (long long)t->rows_replica, (long long)t->rows_restored);
	} else if (strcmp(hrep, hres) != 0) {
		t->equal = 0;
		xasprintf(&t->why, "the same number of rows, %lld, but their "
		    "values differ", (long long)t->rows_replica);
	}
out:
	PQclear(cres);
	PQclear(crep);
	return ret;
}

static int
list_tables(struct side *s, const struct verify_opts *o,
    const char *publication, struct pgtt_err *err)
{
	const char	*params[3] = { o->schema, o->table, publication };

	if ((s->tables = pg_exec(s->conn, err, tables_sql, 3, params)) == NULL)
		err_where(err, "listing the tables of the %s", s->what);
	return s->tables != NULL ? 0 : err->code;
}

/* Merge the two sorted lists; compare what both have. */
static int
compare_tables(struct side *rep, struct side *res,
    const struct verify_opts *o, const char *publication,
    struct verify_result *r, struct pgtt_err *err)
{
	int	 i = 0, k = 0, nr, np, c, ret;

	/*
	 * With source.tables set, only what it captures is compared: the
	 * restored cluster holds the source's publication.
	 */
	if ((ret = list_tables(rep, o, NULL, err)) != 0 ||
	    (ret = list_tables(res, o, publication, err)) != 0)
		return ret;
	nr = PQntuples(rep->tables);
	np = PQntuples(res->tables);
	while (i < nr || k < np) {
		struct verify_table	*t;

		if (i >= nr)
			c = 1;
		else if (k >= np)
			c = -1;
		else if ((c = strcmp(PQgetvalue(rep->tables, i, 0),
		    PQgetvalue(res->tables, k, 0))) == 0)
			c = strcmp(PQgetvalue(rep->tables, i, 1),
			    PQgetvalue(res->tables, k, 1));
		if (c < 0 && publication != NULL) {
			i++;	/* out of the captured set */
			continue;
		}
		if (c < 0)
			add_table(r, PQgetvalue(rep->tables, i, 0),
			    PQgetvalue(rep->tables, i, 1));
		else
			add_table(r, PQgetvalue(res->tables, k, 0),
			    PQgetvalue(res->tables, k, 1));
		t = &r->tables[r->ntables - 1];
		if (c < 0) {
			t->why = xstrdup("it is on the replica only");
			i++;
		} else if (c > 0) {
			t->why = xstrdup("it is missing on the replica");
			k++;
		} else {
			if ((ret = compare_table(rep, res, i, k, t, err)) != 0)
				return ret;
			i++;
			k++;
		}
	}
	return 0;
}

/*
 * What nextval would return: past a sequence's limit it fails, so the
 * sum is kept in long double and clamped, never overflowed.
 */
static long double
next_value(const struct pgtt_seqval *v, int64_t inc)
{
	return (long double)v->last_value + (v->is_called ? inc : 0);
}

static int64_t
clamp64(long double v)
{
	if (v >= (long double)INT64_MAX)
		return INT64_MAX;
	if (v <= (long double)INT64_MIN)
		return INT64_MIN;
	return (int64_t)v;
}

/* The increment of schema.name in the restored cluster, else 1. */
static int64_t
increment(PGresult *incs, const char *schema, const char *name)
{
	int	i;

	for (i = 0; i < PQntuples(incs); i++)
		if (strcmp(PQgetvalue(incs, i, 0), schema) == 0 &&
		    strcmp(PQgetvalue(incs, i, 1), name) == 0)
			return strtoll(PQgetvalue(incs, i, 2), NULL, 10);
	return 1;
}

static int
compare_sequences(struct side *rep, struct side *res,
    struct verify_result *r, struct pgtt_err *err)
{
	struct pgtt_seqsample	*a = NULL, *b = NULL;
	struct seq_move		*moves;
	PGresult		*incs;
	size_t			 n, i;
	uint32_t		 k;
	long double		 replica, restored, gap;
	int64_t			 inc;

	if (seqsample_read(rep->conn, &a, err) != 0 ||
	    seqsample_read(res->conn, &b, err) != 0 ||
	    (incs = pg_exec(res->conn, err, increments_sql, 0, NULL)) == NULL) {
		free(a);
		free(b);
		return err->code;
	}
	/* Every sequence gets a line: those that moved, then the rest. */
	n = seqsample_moves(a, b, &moves);
	r->seqs = xcalloc(b->n + n + 1, sizeof *r->seqs);
	for (i = 0; i < n; i++) {
		struct verify_seq	*s = &r->seqs[r->nseqs++];

		s->schema = xstrdup(moves[i].schema);
		s->name = xstrdup(moves[i].name);
		inc = increment(incs, s->schema, s->name);
		s->on_replica = moves[i].from != NULL;
		s->on_restored = moves[i].to != NULL;
		replica = s->on_replica ? next_value(moves[i].from, inc) : 0;
		restored = s->on_restored ? next_value(moves[i].to, inc) : 0;
		s->replica_next = clamp64(replica);
		s->restored_next = clamp64(restored);
		gap = replica > restored ? replica - restored :
		    restored - replica;
		s->equal = s->on_replica && s->on_restored &&
		    gap <= (long double)VERIFY_SEQ_SLACK *
		    (inc < 0 ? -(long double)inc : (long double)inc);
	}
	for (k = 0; k < b->n; k++) {
		struct verify_seq	*s;

		for (i = 0; i < n; i++)
			if (moves[i].to == &b->seqs[k])
				break;
		if (i < n || b->seqs[k].is_called == SEQVAL_UNKNOWN)
			continue;
		s = &r->seqs[r->nseqs++];
		s->schema = xstrdup(b->seqs[k].schema);
		s->name = xstrdup(b->seqs[k].name);
		s->on_replica = s->on_restored = s->equal = 1;
		s->replica_next = s->restored_next = clamp64(next_value(
		    &b->seqs[k], increment(incs, s->schema, s->name)));
	}
	free(moves);
	PQclear(incs);
	free(a);
	free(b);
	return 0;
}

static PGconn *
open_side(const char *dsn, const char *what, struct pgtt_err *err)
{
	PGconn		*conn;
	PGresult	*res;

	if ((conn = pg_connect(dsn, what, 0, err)) == NULL)
		return NULL;
	if ((res = pg_exec(conn, err, settings_sql, 0, NULL)) == NULL) {
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);
	return conn;
}

int
verify_run(const struct verb_ctx *vc, const struct verify_opts *o,
    struct verify_result *r, struct pgtt_err *err)
{
	/* Its replay and restore report as verify's phases, not their own. */
	struct verb_ctx		 inner = verb_ctx_quiet(vc);
	struct journal		*j = vc->j;
	const struct config	*cfg = vc->cfg;
	struct replay_opts	 ro;
	struct restore_opts	 so;
	struct restore_result	 rr;
	struct side		 rep = { NULL, "replica", NULL };
	struct side		 res = { NULL, "restored cluster", NULL };
	struct pgtt_err		 stop_err;
	char			 lsn[LSN_BUFSIZE], *dir = NULL, *dsn = NULL;
	int64_t			 started = pgtime_elapsed_ms();
	int			 restored = 0, ret;
	size_t			 i;

	memset(r, 0, sizeof *r);
	if (!cfg->pitr.enabled && cfg->source.database != NULL &&
	    strcmp(cfg->source.database, cfg->source.databases[0]) != 0) {
		err_set(err, PGTT_EUSAGE, "verify compares with a restore, and "
		    "the cluster's backups are kept with database %s",
		    cfg->source.databases[0]);
		err_hint(err, "verify the first database: -d %s",
		    cfg->source.databases[0]);
		return err->code;
	}
	if (!cfg->pitr.enabled)
		return err_set(err, PGTT_ECONFIG, "verify compares with a "
		    "restore, and pitr.enabled is off");
	if ((ret = point_resolve_journaled(j, cfg->source.dsn, o->point,
	    &r->lsn, err)) != 0)
		return ret;
	lsn_format(r->lsn, lsn);

	memset(&ro, 0, sizeof ro);
	ro.to = r->lsn;
	ro.session = o->session;
	if ((dsn = replay_target_dsn(j, cfg, &ro, err)) == NULL)
		return err->code;
	verb_progress_to(vc, VERB_VERIFY, VERIFY_PHASE_REPLAYING, 0, 0);
	if ((ret = replay_run(&inner, &ro, &r->replay, err)) != 0)
		goto out;

	/* Our own scratch directory: a leftover of a killed run is ours. */
	xasprintf(&dir, "%s/verify", cfg->storage.path);
	memset(&so, 0, sizeof so);
	so.to = lsn;
	so.data_dir = dir;
	so.force = restore_dir_state(dir) == RESTORE_DIR_PREVIOUS;
	verb_progress_to(vc, VERB_VERIFY, VERIFY_PHASE_RESTORING, 0, 0);
	ret = restore_run(&inner, &so, &rr, err);
	/* A restore that failed after it started a server leaves it ours. */
	restored = ret == 0 || restore_dir_state(dir) == RESTORE_DIR_PREVIOUS;
	if (ret != 0)
		goto out;
	snprintf(r->base_backup, sizeof r->base_backup, "%s", rr.base_backup);

	verb_progress_to(vc, VERB_VERIFY, VERIFY_PHASE_COMPARING, 0, 0);
	if ((rep.conn = open_side(dsn, "replica", err)) == NULL ||
	    (res.conn = open_side(rr.conninfo, "restored cluster", err)) ==
	    NULL) {
		ret = err->code;
		goto out;
	}
	if ((ret = compare_tables(&rep, &res, o, cfg->source.tables != NULL ?
	    cfg->source.publication : NULL, r, err)) != 0)
		goto out;
	if (o->table == NULL && (ret = compare_sequences(&rep, &res, r,
	    err)) != 0)
		goto out;
	r->equal = 1;
	for (i = 0; i < r->ntables; i++)
		if (!r->tables[i].equal && r->first_diff == NULL) {
			r->first_diff = &r->tables[i];
			r->equal = 0;
		}
	for (i = 0; i < r->nseqs; i++)
		if (!r->seqs[i].equal)
			r->equal = 0;
out:
	if (rep.tables != NULL)
		PQclear(rep.tables);
	if (res.tables != NULL)
		PQclear(res.tables);
	if (rep.conn != NULL)
		PQfinish(rep.conn);
	if (res.conn != NULL)
		PQfinish(res.conn);
	if (restored) {
		err_clear(&stop_err);
		if (restore_stop(cfg, j, dir, &stop_err) != 0 ||
		    fs_remove_tree(dir, &stop_err) != 0)
			log_msg(LOG_LEVEL_WARNING, "verify: could not remove the "
			    "scratch cluster in %s: %s", dir, stop_err.msg);
	}
	free(dir);
	free(dsn);
	r->elapsed_ms = pgtime_elapsed_ms() - started;
	return ret;
}

void
verify_result_done(struct verify_result *r)
{
	size_t	i;

	for (i = 0; i < r->ntables; i++) {
		free(r->tables[i].schema);
		free(r->tables[i].name);
		free(r->tables[i].why);
	}
	free(r->tables);
	for (i = 0; i < r->nseqs; i++) {
		free(r->seqs[i].schema);
		free(r->seqs[i].name);
	}
	free(r->seqs);
	replay_result_done(&r->replay);
	memset(r, 0, sizeof *r);
}
