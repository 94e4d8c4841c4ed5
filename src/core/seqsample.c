/*
 * seqsample.c: read, compare and apply samples of the source's sequences
 * (seqsample.h).
 */
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "pgtime.h"
#include "seqsample.h"
#include "xmalloc.h"

/*
 * The LSN comes from a scan and the values from the projection above the
 * join, so every value is read after the position: a sample is never
 * behind the state at its own LSN.  pg_sequence_last_value is NULL for a
 * sequence nextval has not touched yet; its start value is what the first
 * nextval returns.  The LEFT JOIN keeps the position when there are no
 * sequences at all.
 */
static const char sample_sql[] =
    "SELECT l.lsn::pg_catalog.text, n.nspname, c.relname,"
    " CASE WHEN c.relkind = 'S' THEN CASE WHEN"
    "  pg_catalog.has_sequence_privilege(c.oid, 'SELECT, USAGE')"
    "  THEN pg_catalog.pg_sequence_last_value(c.oid)::pg_catalog.text END END,"
    " s.seqstart::pg_catalog.text"
    " FROM (SELECT pg_catalog.pg_current_wal_insert_lsn() AS lsn OFFSET 0) l"
    " LEFT JOIN (pg_catalog.pg_class c"
    "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    "  JOIN pg_catalog.pg_sequence s ON s.seqrelid = c.oid)"
    " ON c.relkind = 'S' AND c.relpersistence = 'p'"
    "  AND n.nspname <> ALL (ARRAY['pg_catalog', 'information_schema',"
    "   'pgtt'])"
    "  AND CASE WHEN c.relkind = 'S' THEN"
    "   pg_catalog.has_sequence_privilege(c.oid, 'SELECT, USAGE') END"
    " ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"";

/*
 * pg_sequence_last_value locks each sequence as nextval does; a migration
 * holding one in an open transaction must not hold the sampler (and the
 * listener thread it runs on) for longer than this.
 */
#define SAMPLE_LOCK_TIMEOUT	"2s"

static void
end_transaction(PGconn *conn, int ok)
{
	PGresult	*res;

	res = PQexec(conn, ok ? "COMMIT" : "ROLLBACK");
	PQclear(res);
}

int
seqsample_read(PGconn *conn, struct pgtt_seqsample **out,
    struct pgtt_err *err)
{
	struct pgtt_seqsample	 smp;
	PGresult		*res;
	struct buf		 b;
	const char		*v;
	int			 i, nrows;

	*out = NULL;
	if ((res = pg_exec(conn, err, "BEGIN; SET LOCAL lock_timeout TO "
	    "'" SAMPLE_LOCK_TIMEOUT "'", 0, NULL)) != NULL) {
		PQclear(res);
		res = pg_exec(conn, err, sample_sql, 0, NULL);
	}
	end_transaction(conn, res != NULL);
	if (res == NULL) {
		err_hint(err, "pgtt reads the source's sequences with "
		    "pg_sequence_last_value()");
		return err->code;
	}
	memset(&smp, 0, sizeof smp);
	nrows = PQntuples(res);
	if (nrows < 1 || (smp.lsn = pg_lsn(res, 0, 0)) == LSN_INVALID) {
		PQclear(res);
		return err_set(err, PGTT_EDB, "the source returned no WAL "
		    "position");
	}
	smp.taken_at = pgtime_now();
	smp.seqs = xcalloc((size_t)nrows, sizeof *smp.seqs);
	for (i = 0; i < nrows; i++) {
		struct pgtt_seqval	*sv = &smp.seqs[smp.n];

		if (pg_value(res, i, 1) == NULL)
			continue;	/* the LEFT JOIN's lone row */
		sv->schema = pg_value(res, i, 1);
		sv->name = pg_value(res, i, 2);
		sv->is_called = (v = pg_value(res, i, 3)) != NULL;
		if (v == NULL)
			v = pg_value(res, i, 4);
		sv->last_value = strtoll(v, NULL, 10);
		smp.n++;
	}
	/* Encoding and decoding again makes it one block, like a record. */
	buf_init(&b);
	record_encode_seqsample(&b, &smp);
	*out = record_decode_seqsample(b.data, b.len, err);
	buf_done(&b);
	free(smp.seqs);
	PQclear(res);
	if (*out == NULL)
		return err->code;
	(*out)->lsn = smp.lsn;
	return 0;
}

static int
seqval_cmp_name(const struct pgtt_seqval *a, const struct pgtt_seqval *b)
{
	int	c;

	if ((c = strcmp(a->schema, b->schema)) != 0)
		return c;
	return strcmp(a->name, b->name);
}

static int
seqval_same(const struct pgtt_seqval *a, const struct pgtt_seqval *b)
{
	return a->last_value == b->last_value && a->is_called == b->is_called;
}

int
seqsample_same_values(const struct pgtt_seqsample *a,
    const struct pgtt_seqsample *b)
{
	uint32_t	i;

	if (a == NULL || b == NULL || a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (seqval_cmp_name(&a->seqs[i], &b->seqs[i]) != 0 ||
		    !seqval_same(&a->seqs[i], &b->seqs[i]))
			return 0;
	return 1;
}

/*
 * The sequence is found by name in the catalog and setval gets its oid:
 * names travel as parameters, and setval runs no user code.
 */
int
seqsample_apply(PGconn *conn, const struct pgtt_seqsample *smp, size_t *set,
    struct pgtt_err *err)
{
	static const char	 sql[] =
	    "SELECT pg_catalog.setval(c.oid, $3::pg_catalog.int8,"
	    " $4::pg_catalog.bool)"
	    " FROM pg_catalog.pg_class c"
	    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	    " WHERE n.nspname OPERATOR(pg_catalog.=) $1"
	    "  AND c.relname OPERATOR(pg_catalog.=) $2 AND c.relkind = 'S'";
	PGresult	*res;
	const char	*params[4];
	char		 value[32];
	uint32_t	 i;

	*set = 0;
	for (i = 0; i < smp->n; i++) {
		const struct pgtt_seqval	*sv = &smp->seqs[i];

		snprintf(value, sizeof value, "%lld",
		    (long long)sv->last_value);
		params[0] = sv->schema;
		params[1] = sv->name;
		params[2] = value;
		params[3] = sv->is_called ? "true" : "false";
		if ((res = pg_exec(conn, err, sql, 4, params)) == NULL) {
			err_where(err, "sequence %s.%s", sv->schema, sv->name);
			err_hint(err, "replay sets each sequence to the source's "
			    "value sampled at or before the point");
			return err->code;
		}
		*set += (size_t)PQntuples(res);
		PQclear(res);
	}
	return 0;
}

size_t
seqsample_moves(const struct pgtt_seqsample *a,
    const struct pgtt_seqsample *b, struct seq_move **out)
{
	struct seq_move	*moves;
	uint32_t	 na = a != NULL ? a->n : 0, nb = b != NULL ? b->n : 0;
	uint32_t	 i = 0, k = 0;
	size_t		 n = 0;
	int		 c;

	moves = xcalloc((size_t)na + nb + 1, sizeof *moves);
	while (i < na || k < nb) {
		const struct pgtt_seqval *x = i < na ? &a->seqs[i] : NULL;
		const struct pgtt_seqval *y = k < nb ? &b->seqs[k] : NULL;

		c = x == NULL ? 1 : y == NULL ? -1 : seqval_cmp_name(x, y);
		if (c <= 0)
			i++;
		if (c >= 0)
			k++;
		if (c < 0)
			y = NULL;
		else if (c > 0)
			x = NULL;
		else if (seqval_same(x, y))
			continue;
		moves[n].schema = x != NULL ? x->schema : y->schema;
		moves[n].name = x != NULL ? x->name : y->name;
		moves[n].from = x;
		moves[n].to = y;
		n++;
	}
	*out = moves;
	return n;
}
