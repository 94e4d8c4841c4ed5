/*
 * seqsample.c: read, compare and apply samples of the source's sequences
 * (seqsample.h).
 */
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "pg.h"
#include "pgtime.h"
#include "seqsample.h"
#include "xmalloc.h"

/*
 * The position, and the sequences the role may read, in one statement;
 * the values come after, from the sequences themselves, so each is read
 * after the position: a sample is never behind the state at its own LSN.
 * (pg_sequence_last_value cannot tell a sequence restarted with
 * is_called false from one never called.)  The LEFT JOIN keeps the
 * position when there are no sequences at all; the CASE keeps
 * has_sequence_privilege, which fails on anything else, to sequences.
 * A sequence the role may not read is listed with no value
 * (SEQVAL_UNKNOWN): nothing compares it or sets it.
 */
static const char list_sql[] =
    "SELECT l.lsn::pg_catalog.text, n.nspname, c.relname,"
    " CASE WHEN c.relkind = 'S' THEN"
    "  pg_catalog.has_sequence_privilege(c.oid, 'SELECT') END"
    " FROM (SELECT pg_catalog.pg_current_wal_insert_lsn() AS lsn OFFSET 0) l"
    " LEFT JOIN (pg_catalog.pg_class c"
    "  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace)"
    " ON c.relkind = 'S' AND c.relpersistence = 'p'"
    "  AND n.nspname <> ALL (ARRAY['pg_catalog', 'information_schema',"
    "   'pgtt'])"
    " ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"";

/*
 * A migration holding a sequence in an open transaction must not hold
 * the sampler (and the listener thread it runs on) for longer than this.
 * Values are read this many sequences to a transaction, so the locks a
 * sample holds at once stay few.
 */
#define SAMPLE_SETTINGS	"SET LOCAL lock_timeout TO '2s';" \
			" SET LOCAL statement_timeout TO '10s'"
#define SAMPLE_CHUNK	200

/* Run sql in a transaction of its own under SAMPLE_SETTINGS. */
static PGresult *
exec_sampling(PGconn *conn, const char *sql, struct pgtt_err *err)
{
	PGresult	*res;

	if ((res = pg_exec(conn, err, "BEGIN; " SAMPLE_SETTINGS, 0,
	    NULL)) == NULL)
		return NULL;
	PQclear(res);
	res = pg_exec(conn, err, sql, 0, NULL);
	PQclear(PQexec(conn, res != NULL ? "COMMIT" : "ROLLBACK"));
	return res;
}

/* last_value and is_called of list rows first..first+n-1 into smp. */
static int
read_values(PGconn *conn, PGresult *list, int first, int n,
    struct pgtt_seqsample *smp, struct pgtt_err *err)
{
	PGresult	*res;
	struct buf	 sql;
	char		*qual, num[32];
	int		 i;

	buf_init(&sql);
	for (i = 0; i < n; i++) {
		snprintf(num, sizeof num, "%sSELECT %d AS i, ", i > 0 ?
		    " UNION ALL " : "", i);
		buf_append(&sql, num, strlen(num));
		if (!pg_bool(list, first + i, 3)) {
			buf_append(&sql, "NULL::pg_catalog.text, NULL::pg_catalog."
			    "bool", strlen("NULL::pg_catalog.text, NULL::"
			    "pg_catalog.bool"));
			continue;
		}
		qual = ident_qualified(PQgetvalue(list, first + i, 1),
		    PQgetvalue(list, first + i, 2));
		buf_append(&sql, "last_value::pg_catalog.text, is_called FROM ",
		    strlen("last_value::pg_catalog.text, is_called FROM "));
		buf_append(&sql, qual, strlen(qual));
		free(qual);
	}
	buf_append(&sql, " ORDER BY 1", strlen(" ORDER BY 1") + 1);
	res = exec_sampling(conn, (const char *)sql.data, err);
	buf_done(&sql);
	if (res == NULL)
		return err->code;
	if (PQntuples(res) != n) {
		PQclear(res);
		return err_set(err, PGTT_EDB, "the source returned %d sequence "
		    "values for %d sequences", PQntuples(res), n);
	}
	for (i = 0; i < n; i++) {
		struct pgtt_seqval	*sv = &smp->seqs[first + i];

		sv->schema = PQgetvalue(list, first + i, 1);
		sv->name = PQgetvalue(list, first + i, 2);
		if (pg_value(res, i, 1) == NULL) {
			sv->is_called = SEQVAL_UNKNOWN;
			continue;
		}
		sv->last_value = strtoll(PQgetvalue(res, i, 1), NULL, 10);
		sv->is_called = pg_bool(res, i, 2);
	}
	PQclear(res);
	return 0;
}

int
seqsample_read(PGconn *conn, struct pgtt_seqsample **out,
    struct pgtt_err *err)
{
	struct pgtt_seqsample	 smp;
	PGresult		*list;
	struct buf		 b;
	int			 first, n, ret = 0;

	*out = NULL;
	if ((list = exec_sampling(conn, list_sql, err)) == NULL) {
		err_hint(err, "pgtt reads the source's sequences to keep them "
		    "with the history");
		return err->code;
	}
	memset(&smp, 0, sizeof smp);
	if (PQntuples(list) < 1 || (smp.lsn = pg_lsn(list, 0, 0)) ==
	    LSN_INVALID) {
		PQclear(list);
		return err_set(err, PGTT_EDB, "the source returned no WAL "
		    "position");
	}
	smp.taken_at = pgtime_now();
	/* The LEFT JOIN's lone row when there is no sequence: none. */
	if (pg_value(list, 0, 1) != NULL)
		smp.n = (uint32_t)PQntuples(list);
	smp.seqs = xcalloc((size_t)smp.n + 1, sizeof *smp.seqs);
	for (first = 0; ret == 0 && first < (int)smp.n; first += n) {
		n = (int)smp.n - first;
		if (n > SAMPLE_CHUNK)
			n = SAMPLE_CHUNK;
		ret = read_values(conn, list, first, n, &smp, err);
	}
	if (ret == 0) {
		/* Encoding and decoding again makes it one block. */
		buf_init(&b);
		record_encode_seqsample(&b, &smp);
		if ((*out = record_decode_seqsample(b.data, b.len, err)) ==
		    NULL)
			ret = err->code;
		else
			(*out)->lsn = smp.lsn;
		buf_done(&b);
	}
	free(smp.seqs);
	PQclear(list);
	return ret;
}

size_t
seqsample_known(const struct pgtt_seqsample *smp)
{
	size_t		n = 0;
	uint32_t	i;

	for (i = 0; i < smp->n; i++)
		n += smp->seqs[i].is_called != SEQVAL_UNKNOWN;
	return n;
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
 * names travel as parameters, and setval runs no user code.  Each runs
 * on its own, so one that fails (a sequence since recreated with other
 * bounds, a privilege missing) costs only itself.
 */
int
seqsample_apply(PGconn *conn, const struct pgtt_seqsample *smp, size_t *set,
    char **first_failure, struct pgtt_err *err)
{
	static const char	 sql[] =
	    "SELECT pg_catalog.setval(c.oid, $3::pg_catalog.int8,"
	    " $4::pg_catalog.bool)"
	    " FROM pg_catalog.pg_class c"
	    " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
	    " WHERE n.nspname OPERATOR(pg_catalog.=) $1"
	    "  AND c.relname OPERATOR(pg_catalog.=) $2 AND c.relkind = 'S'";
	PGresult	*res;
	struct pgtt_err	 one;
	const char	*params[4];
	char		 value[32];
	uint32_t	 i;

	*set = 0;
	*first_failure = NULL;
	for (i = 0; i < smp->n; i++) {
		const struct pgtt_seqval	*sv = &smp->seqs[i];

		if (sv->is_called == SEQVAL_UNKNOWN)
			continue;
		snprintf(value, sizeof value, "%lld",
		    (long long)sv->last_value);
		params[0] = sv->schema;
		params[1] = sv->name;
		params[2] = value;
		params[3] = sv->is_called ? "true" : "false";
		err_clear(&one);
		if ((res = pg_exec(conn, &one, sql, 4, params)) != NULL) {
			*set += (size_t)PQntuples(res);
			PQclear(res);
			continue;
		}
		if (PQstatus(conn) != CONNECTION_OK) {
			*err = one;
			return err->code;
		}
		if (*first_failure == NULL)
			xasprintf(first_failure, "%s.%s: %s", sv->schema,
			    sv->name, one.detail[0] != '\0' ? one.detail :
			    one.msg);
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
		/* Not read on one side: nothing is known to have moved. */
		if ((x != NULL && x->is_called == SEQVAL_UNKNOWN) ||
		    (y != NULL && y->is_called == SEQVAL_UNKNOWN))
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
