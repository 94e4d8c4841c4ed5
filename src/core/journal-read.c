/*
 * journal-read.c: lookups in a journal, each in a read transaction of its
 * own: a transaction by LSN, a relation version by name or by the change
 * it applies to, the transaction nearest an LSN or a time, sequence
 * samples, checkpoints and sessions.
 */
#include <stdlib.h>
#include <string.h>

#include "journal-lmdb.h"
#include "xmalloc.h"

/* One transaction by its exact commit LSN, inside txn. */
int
jl_txn_get_in(struct journal *j, MDB_txn *txn, pgtt_lsn lsn,
    struct pgtt_txn **out, struct pgtt_err *e)
{
	struct pgtt_txn	*t = NULL;
	MDB_val		 k, v;
	uint8_t		 key[8];
	char		 text[LSN_BUFSIZE];
	int		 rc;

	be64_put(key, lsn);
	k.mv_data = key;
	k.mv_size = sizeof key;
	if ((rc = mdb_get(txn, j->dbi[DB_TXN], &k, &v)) == 0)
		t = record_decode_txn(v.mv_data, v.mv_size, e);
	if (rc == MDB_NOTFOUND) {
		return err_set(e, PGTT_ENOTFOUND,
		    "no transaction committed at %s", lsn_format(lsn, text));
	}
	if (rc != 0)
		return jl_err(j, e, PGTT_EJOURNAL, rc, "read");
	if (t == NULL)
		return jl_decode_failed(j, e, DB_TXN);
	t->commit_lsn = lsn;
	*out = t;
	return 0;
}

/* One transaction by its exact commit LSN. */
int
journal_txn_get(struct journal *j, pgtt_lsn lsn, struct pgtt_txn **out,
    struct pgtt_err *e)
{
	MDB_txn	*txn;
	int	 rc;

	if ((rc = jl_txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	rc = jl_txn_get_in(j, txn, lsn, out, e);
	jl_txn_end(j, txn);
	return rc;
}

/*
 * Put cur on the least key >= key, the greatest key < key or the greatest
 * key <= key.  SET_RANGE finds the least key >= key; for the other two the
 * one before it is the answer unless it matched exactly.
 */
int
jl_cursor_seek(MDB_cursor *cur, const uint8_t *key, size_t klen,
    enum seek_mode mode, MDB_val *k, MDB_val *v)
{
	int	rc;

	k->mv_data = (void *)key;
	k->mv_size = klen;
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (mode == SEEK_GE)
		return rc;
	if (mode == SEEK_LE && rc == 0 && k->mv_size == klen &&
	    memcmp(k->mv_data, key, klen) == 0)
		return 0;
	if (rc == 0)
		return mdb_cursor_get(cur, k, v, MDB_PREV);
	if (rc == MDB_NOTFOUND)
		return mdb_cursor_get(cur, k, v, MDB_LAST);
	return rc;
}

/*
 * The version of a relation the change (lsn, seq) must be read with, in
 * txn: the greatest key <= (relid, lsn, seq).  A version carries the seq
 * of the first change it applies to, so an ALTER TABLE in the middle of a
 * transaction splits that transaction's changes correctly.
 */
int
jl_relation_at_in(struct journal *j, MDB_txn *txn, uint32_t relid,
    pgtt_lsn lsn, uint32_t seq, struct pgtt_relation **out,
    struct pgtt_err *e)
{
	struct pgtt_relation	*rel = NULL;
	MDB_cursor		*cur;
	MDB_val			 k, v;
	uint8_t			 key[16];
	char			 text[LSN_BUFSIZE];
	int			 rc;

	be32_put(key, relid);
	be64_put(key + 4, lsn);
	be32_put(key + 12, seq);
	if ((rc = mdb_cursor_open(txn, j->dbi[DB_RELATION], &cur)) == 0) {
		rc = jl_cursor_seek(cur, key, sizeof key, SEEK_LE, &k, &v);
		if (rc == 0 && (k.mv_size != sizeof key ||
		    be32_get(k.mv_data) != relid))
			rc = MDB_NOTFOUND;
		if (rc == 0 && (rel = record_decode_relation(v.mv_data,
		    v.mv_size, e)) != NULL) {
			rel->lsn = be64_get((uint8_t *)k.mv_data + 4);
			rel->seq = be32_get((uint8_t *)k.mv_data + 12);
			/* Where it stops applying, so readers can cache it. */
			rel->next_lsn = UINT64_MAX;
			rel->next_seq = UINT32_MAX;
			if (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0 &&
			    k.mv_size == sizeof key &&
			    be32_get(k.mv_data) == relid) {
				rel->next_lsn = be64_get((uint8_t *)k.mv_data +
				    4);
				rel->next_seq = be32_get((uint8_t *)k.mv_data +
				    12);
			}
		}
		mdb_cursor_close(cur);
	}
	if (rc == MDB_NOTFOUND) {
		return err_set(e, PGTT_ENOTFOUND, "no relation %u known at %s",
		    relid, lsn_format(lsn, text));
	}
	if (rc != 0)
		return jl_err(j, e, PGTT_EJOURNAL, rc, "read");
	if (rel == NULL)
		return jl_decode_failed(j, e, DB_RELATION);
	rel->relid = relid;
	*out = rel;
	return 0;
}

/* Each relation version named schema.name (schema NULL: any) to fn. */
static int
scan_named(struct journal *j, const char *schema, const char *name,
    void (*fn)(void *, uint32_t relid, pgtt_lsn), void *arg,
    struct pgtt_err *e)
{
	struct pgtt_relation	*rel;
	MDB_txn			*txn;
	MDB_cursor		*cur;
	MDB_val			 k, v;
	int			 rc, bad = 0;

	if ((rc = jl_txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, j->dbi[DB_RELATION], &cur)) == 0) {
		while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
			if (k.mv_size < 12 || (rel = record_decode_relation(
			    v.mv_data, v.mv_size, e)) == NULL) {
				bad = 1;
				break;
			}
			if (strcmp(rel->name, name) == 0 && (schema == NULL ||
			    strcmp(rel->schema, schema) == 0))
				fn(arg, be32_get(k.mv_data),
				    be64_get((uint8_t *)k.mv_data + 4));
			free(rel);
		}
		mdb_cursor_close(cur);
	}
	jl_txn_end(j, txn);
	if (bad)
		return k.mv_size < 12 ? jl_bad_key(j, e, DB_RELATION) : e->code;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return jl_err(j, e, PGTT_EJOURNAL, rc, "read");
	return 0;
}

struct newest_named {
	int		 found;
	pgtt_lsn	 lsn;
	uint32_t	 relid;
};

/* A name used again: the newest table that had it. */
static void
keep_newest(void *arg, uint32_t relid, pgtt_lsn lsn)
{
	struct newest_named	*n = arg;

	if (!n->found || lsn >= n->lsn) {
		n->found = 1;
		n->lsn = lsn;
		n->relid = relid;
	}
}

int
journal_relation_find(struct journal *j, const char *schema,
    const char *name, uint32_t *relid, struct pgtt_err *e)
{
	struct newest_named	n = { 0, 0, 0 };
	int			rc;

	if ((rc = scan_named(j, schema, name, keep_newest, &n, e)) != 0)
		return rc;
	if (n.found && relid != NULL)
		*relid = n.relid;
	return n.found;
}

struct all_named {
	uint32_t	*v;
	size_t		 n;
};

static void
keep_all(void *arg, uint32_t relid, pgtt_lsn lsn)
{
	struct all_named	*a = arg;
	size_t			 i;

	(void)lsn;
	for (i = 0; i < a->n; i++)
		if (a->v[i] == relid)
			return;
	a->v = xreallocarray(a->v, a->n + 1, sizeof *a->v);
	a->v[a->n++] = relid;
}

int
journal_relation_find_all(struct journal *j, const char *schema,
    const char *name, uint32_t **relids, size_t *n, struct pgtt_err *e)
{
	struct all_named	a = { NULL, 0 };
	int			rc;

	if ((rc = scan_named(j, schema, name, keep_all, &a, e)) != 0) {
		free(a.v);
		a.v = NULL;
		a.n = 0;
	}
	*relids = a.v;
	*n = a.n;
	return rc;
}

int
journal_relation_named(struct journal *j, const char *schema,
    const char *name, struct pgtt_err *e)
{
	return journal_relation_find(j, schema, name, NULL, e);
}

int
journal_relation_at(struct journal *j, uint32_t relid, pgtt_lsn lsn,
    uint32_t seq, struct pgtt_relation **out, struct pgtt_err *e)
{
	MDB_txn	*txn;
	int	 rc;

	if ((rc = jl_txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	rc = jl_relation_at_in(j, txn, relid, lsn, seq, out, e);
	jl_txn_end(j, txn);
	return rc;
}

/*
 * The seeks: probe is an LSN for txn and a time for bytime, whose keys end
 * in the commit LSN.
 */
static int
seek(struct journal *j, int db, uint64_t probe, enum seek_mode mode,
    pgtt_lsn *commit_lsn, struct pgtt_err *e)
{
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	uint8_t		 key[16];
	size_t		 klen = db == DB_BYTIME ? 16 : 8;
	char		 text[LSN_BUFSIZE];
	int		 rc;

	be64_put(key, db == DB_BYTIME ? time_key((int64_t)probe) : probe);
	be64_put(key + 8, 0);
	if ((rc = jl_txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, j->dbi[db], &cur)) == 0) {
		rc = jl_cursor_seek(cur, key, klen, mode, &k, &v);
		if (rc == 0 && k.mv_size == klen)
			*commit_lsn = be64_get((uint8_t *)k.mv_data + klen - 8);
		else if (rc == 0)
			rc = MDB_CORRUPTED;
		mdb_cursor_close(cur);
	}
	jl_txn_end(j, txn);
	if (rc == MDB_NOTFOUND && db == DB_BYTIME) {
		return err_set(e, PGTT_ENOTFOUND, "no transaction committed "
		    "at or after time %lld", (long long)probe);
	}
	if (rc == MDB_NOTFOUND) {
		return err_set(e, PGTT_ENOTFOUND, "no transaction committed "
		    "%s %s", mode == SEEK_GE ? "at or after" : "before",
		    lsn_format(probe, text));
	}
	if (rc == MDB_CORRUPTED)
		return jl_bad_key(j, e, db);
	if (rc != 0)
		return jl_err(j, e, PGTT_EJOURNAL, rc, "read");
	return 0;
}

/* Where "goto LSN" lands: the first commit at or after it. */
int
journal_seek_lsn(struct journal *j, pgtt_lsn lsn, pgtt_lsn *commit_lsn,
    struct pgtt_err *e)
{
	return seek(j, DB_TXN, lsn, SEEK_GE, commit_lsn, e);
}

/* Stepping back: the last commit strictly before lsn. */
int
journal_seek_before_lsn(struct journal *j, pgtt_lsn lsn,
    pgtt_lsn *commit_lsn, struct pgtt_err *e)
{
	return seek(j, DB_TXN, lsn, SEEK_LT, commit_lsn, e);
}

/* Where "goto time" lands: the first commit at or after t. */
int
journal_seek_time(struct journal *j, int64_t t, pgtt_lsn *commit_lsn,
    struct pgtt_err *e)
{
	return seek(j, DB_BYTIME, (uint64_t)t, SEEK_GE, commit_lsn, e);
}

/* The newest sequence sample taken at or before lsn. */
int
journal_seqsample_at(struct journal *j, pgtt_lsn lsn,
    struct pgtt_seqsample **out, struct pgtt_err *e)
{
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	uint8_t		 key[8];
	char		 text[LSN_BUFSIZE];
	int		 rc;

	*out = NULL;
	if (!j->has_seqval)
		return err_set(e, PGTT_ENOTFOUND, "this journal holds no "
		    "sequence samples");
	be64_put(key, lsn);
	if ((rc = jl_txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, j->dbi[DB_SEQVAL], &cur)) == 0) {
		rc = jl_cursor_seek(cur, key, sizeof key, SEEK_LE, &k, &v);
		if (rc == 0 && k.mv_size != sizeof key)
			rc = MDB_CORRUPTED;
		if (rc == 0 && (*out = record_decode_seqsample(v.mv_data,
		    v.mv_size, e)) != NULL)
			(*out)->lsn = be64_get(k.mv_data);
		else if (rc == 0)
			rc = -1;
		mdb_cursor_close(cur);
	}
	jl_txn_end(j, txn);
	if (rc == -1)
		return jl_decode_failed(j, e, DB_SEQVAL);
	if (rc == MDB_NOTFOUND)
		return err_set(e, PGTT_ENOTFOUND, "no sequence sample at or "
		    "before %s", lsn_format(lsn, text));
	if (rc == MDB_CORRUPTED)
		return jl_bad_key(j, e, DB_SEQVAL);
	if (rc != 0)
		return jl_err(j, e, PGTT_EJOURNAL, rc, "read");
	return 0;
}

/* Decode a checkpoint and take its id from the key. */
static void *
checkpoint_from(const MDB_val *k, const MDB_val *v, struct pgtt_err *e)
{
	struct pgtt_checkpoint	*c;

	if ((c = record_decode_checkpoint(v->mv_data, v->mv_size, e)) != NULL)
		c->id = be32_get(k->mv_data);
	return c;
}

/* Decode a session and take its id from the key. */
static void *
session_from(const MDB_val *k, const MDB_val *v, struct pgtt_err *e)
{
	struct pgtt_session	*s;

	if ((s = record_decode_session(v->mv_data, v->mv_size, e)) != NULL)
		s->id = be32_get(k->mv_data);
	return s;
}

/* Every record of an id-keyed db, in id order; all or nothing. */
static int
list_ids(struct journal *j, int db,
    void *(*from)(const MDB_val *, const MDB_val *, struct pgtt_err *),
    void ***out, size_t *n, struct pgtt_err *e)
{
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	void		**list = NULL, *one;
	size_t		 len = 0, cap = 0, i;
	int		 rc, op = MDB_FIRST;

	if ((rc = jl_txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, j->dbi[db], &cur)) == 0) {
		while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
			op = MDB_NEXT;
			if (k.mv_size != 4) {
				rc = MDB_CORRUPTED;
				break;
			}
			if ((one = from(&k, &v, e)) == NULL) {
				rc = PGTT_ECORRUPT;
				break;
			}
			if (len == cap) {
				cap = cap == 0 ? 16 : cap * 2;
				list = xreallocarray(list, cap, sizeof *list);
			}
			list[len++] = one;
		}
		if (rc == MDB_NOTFOUND)
			rc = 0;
		mdb_cursor_close(cur);
	}
	jl_txn_end(j, txn);
	if (rc != 0) {
		for (i = 0; i < len; i++)
			free(list[i]);
		free(list);
		if (rc == PGTT_ECORRUPT)
			return jl_decode_failed(j, e, db);
		if (rc == MDB_CORRUPTED)
			return jl_bad_key(j, e, db);
		return jl_err(j, e, PGTT_EJOURNAL, rc, "read");
	}
	*out = list;
	*n = len;
	return 0;
}

/* All checkpoints, for the checkpoint pane and "checkpoint list". */
int
journal_checkpoints(struct journal *j, struct pgtt_checkpoint ***out,
    size_t *n, struct pgtt_err *e)
{
	void	**list;
	size_t	  i;
	int	  rc;

	if ((rc = list_ids(j, DB_CHECKPOINT, checkpoint_from, &list, n, e)) != 0)
		return rc;
	*out = xreallocarray(NULL, *n, sizeof **out);
	for (i = 0; i < *n; i++)
		(*out)[i] = list[i];
	free(list);
	return 0;
}

/* All sessions, for the session pane and "session list". */
int
journal_sessions(struct journal *j, struct pgtt_session ***out, size_t *n,
    struct pgtt_err *e)
{
	void	**list;
	size_t	  i;
	int	  rc;

	if ((rc = list_ids(j, DB_SESSION, session_from, &list, n, e)) != 0)
		return rc;
	*out = xreallocarray(NULL, *n, sizeof **out);
	for (i = 0; i < *n; i++)
		(*out)[i] = list[i];
	free(list);
	return 0;
}

uint32_t
journal_active_session(struct journal *j)
{
	struct pgtt_err	 err;
	char		*v;
	uint32_t	 id = 0;

	err_clear(&err);
	if (journal_meta_get(j, "active_session", &v, &err) == 0) {
		id = (uint32_t)strtoul(v, NULL, 10);
		free(v);
	}
	return id;
}
