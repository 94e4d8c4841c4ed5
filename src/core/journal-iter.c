/*
 * journal-iter.c: walking the changes of a journal both ways from a
 * position, and the lookups made in the same snapshot (journal.h).  An
 * iterator is one read transaction and a cursor on change; the row
 * index's cursor opens on first use.
 */
#include <stdlib.h>
#include <string.h>

#include "journal-lmdb.h"
#include "xmalloc.h"

/* The read transaction lives until journal_iter_close. */
int
journal_iter_open(struct journal *j, pgtt_lsn from,
    struct journal_iter **out, struct pgtt_err *e)
{
	struct journal_iter	*it;
	int			 rc;

	it = xcalloc(1, sizeof *it);
	it->j = j;
	journal_iter_seek(it, from, 0, e);
	if ((rc = jl_txn_begin(j, MDB_RDONLY, &it->txn, e)) != 0) {
		free(it);
		return rc;
	}
	if ((rc = mdb_cursor_open(it->txn, j->dbi[DB_CHANGE], &it->cur)) != 0) {
		jl_txn_end(j, it->txn);
		free(it);
		return jl_err(j, e, PGTT_EJOURNAL, rc, "read");
	}
	*out = it;
	return 0;
}

/* Only the position moves: the cursor is placed by the next step. */
int
journal_iter_seek(struct journal_iter *it, pgtt_lsn lsn, uint32_t seq,
    struct pgtt_err *e)
{
	(void)e;
	be64_put(it->pos, lsn);
	be32_put(it->pos + 8, seq);
	it->past = 0;
	it->at = AT_NONE;
	return 0;
}

/*
 * Finish a step that left the cursor on (k, v): copy the change out and
 * move the position.  A next moves it one past the key, a prev onto it.
 */
static int
iter_take(struct journal_iter *it, int rc, const MDB_val *k,
    const MDB_val *v, enum iter_at at, struct pgtt_change **out,
    struct pgtt_err *e)
{
	struct pgtt_change	*ch;
	uint32_t		 seq;
	pgtt_lsn		 lsn;

	if (rc == MDB_NOTFOUND) {
		it->at = AT_NONE;
		return 0;
	}
	if (rc != 0) {
		it->at = AT_NONE;
		return jl_err(it->j, e, PGTT_EJOURNAL, rc, "read");
	}
	if (k->mv_size != sizeof it->pos) {
		it->at = AT_NONE;
		return jl_bad_key(it->j, e, DB_CHANGE);
	}
	if ((ch = record_decode_change(v->mv_data, v->mv_size, e)) == NULL) {
		it->at = AT_NONE;
		return jl_decode_failed(it->j, e, DB_CHANGE);
	}
	ch->commit_lsn = lsn = be64_get(k->mv_data);
	ch->seq = seq = be32_get((uint8_t *)k->mv_data + 8);
	if (at == AT_NEXT && seq == UINT32_MAX && lsn == UINT64_MAX)
		it->past = 1;
	else if (at == AT_NEXT && seq == UINT32_MAX)
		journal_iter_seek(it, lsn + 1, 0, e);
	else if (at == AT_NEXT)
		journal_iter_seek(it, lsn, seq + 1, e);
	else
		journal_iter_seek(it, lsn, seq, e);
	it->at = at;
	*out = ch;
	return 1;
}

/* The first change at or after the position, copied out of the map. */
int
journal_iter_next(struct journal_iter *it, struct pgtt_change **out,
    struct pgtt_err *e)
{
	MDB_val	k, v;
	int	rc;

	switch (it->at) {
	case AT_NEXT:
		rc = mdb_cursor_get(it->cur, &k, &v, MDB_NEXT);
		break;
	case AT_PREV:
		rc = mdb_cursor_get(it->cur, &k, &v, MDB_GET_CURRENT);
		break;
	default:
		if (it->past)
			return 0;
		k.mv_data = it->pos;
		k.mv_size = sizeof it->pos;
		rc = mdb_cursor_get(it->cur, &k, &v, MDB_SET_RANGE);
		break;
	}
	return iter_take(it, rc, &k, &v, AT_NEXT, out, e);
}

/* The last change before the position, copied out of the map. */
int
journal_iter_prev(struct journal_iter *it, struct pgtt_change **out,
    struct pgtt_err *e)
{
	MDB_val	k, v;
	int	rc;

	switch (it->at) {
	case AT_NEXT:
		rc = mdb_cursor_get(it->cur, &k, &v, MDB_GET_CURRENT);
		break;
	case AT_PREV:
		rc = mdb_cursor_get(it->cur, &k, &v, MDB_PREV);
		break;
	default:
		if (it->past) {
			rc = mdb_cursor_get(it->cur, &k, &v, MDB_LAST);
			break;
		}
		rc = jl_cursor_seek(it->cur, it->pos, sizeof it->pos, SEEK_LT,
		    &k, &v);
		break;
	}
	return iter_take(it, rc, &k, &v, AT_PREV, out, e);
}

/* A transaction seen in the iterator's snapshot. */
int
journal_iter_txn_get(struct journal_iter *it, pgtt_lsn lsn,
    struct pgtt_txn **out, struct pgtt_err *e)
{
	return jl_txn_get_in(it->j, it->txn, lsn, out, e);
}

/* A relation version seen in the iterator's snapshot. */
int
journal_iter_relation_at(struct journal_iter *it, uint32_t relid,
    pgtt_lsn lsn, uint32_t seq, struct pgtt_relation **out,
    struct pgtt_err *e)
{
	return jl_relation_at_in(it->j, it->txn, relid, lsn, seq, out, e);
}

/* One change by its key, in the iterator's snapshot. */
int
journal_iter_change_get(struct journal_iter *it, pgtt_lsn lsn, uint32_t seq,
    struct pgtt_change **out, struct pgtt_err *e)
{
	struct pgtt_change	*ch;
	MDB_val			 k, v;
	uint8_t			 key[12];
	char			 text[LSN_BUFSIZE];
	int			 rc;

	/*
	 * A cursor kept for these lookups looks on the page of the last one
	 * first: callers that ask in journal order (diff's look-back over
	 * rows a window touched in turn) mostly skip the descent from the
	 * root that mdb_get makes for each key.
	 */
	if (it->getcur == NULL && (rc = mdb_cursor_open(it->txn,
	    it->j->dbi[DB_CHANGE], &it->getcur)) != 0) {
		it->getcur = NULL;
		return jl_err(it->j, e, PGTT_EJOURNAL, rc, "read");
	}
	be64_put(key, lsn);
	be32_put(key + 8, seq);
	k.mv_data = key;
	k.mv_size = sizeof key;
	if ((rc = mdb_cursor_get(it->getcur, &k, &v, MDB_SET_KEY)) ==
	    MDB_NOTFOUND) {
		return err_set(e, PGTT_ENOTFOUND, "no change %s/%u",
		    lsn_format(lsn, text), seq);
	}
	if (rc != 0)
		return jl_err(it->j, e, PGTT_EJOURNAL, rc, "read");
	if ((ch = record_decode_change(v.mv_data, v.mv_size, e)) == NULL)
		return jl_decode_failed(it->j, e, DB_CHANGE);
	ch->commit_lsn = lsn;
	ch->seq = seq;
	*out = ch;
	return 0;
}

/* Whether a transaction committed at lsn, without copying it out. */
int
journal_iter_txn_exists(struct journal_iter *it, pgtt_lsn lsn)
{
	MDB_val	k, v;
	uint8_t	key[8];

	be64_put(key, lsn);
	k.mv_data = key;
	k.mv_size = sizeof key;
	return mdb_get(it->txn, it->j->dbi[DB_TXN], &k, &v) == 0;
}

/*
 * A row's entries are neighbours, in history order: the one before the
 * bound's place is the answer if it is the row's.  A longer identity that
 * begins with this one's bytes (another relation version's) may sit in
 * between; step over it.
 */
int
journal_iter_row_prev(struct journal_iter *it, uint32_t relid,
    const void *ident, size_t len, pgtt_lsn *lsn, uint32_t *seq,
    struct pgtt_err *e)
{
	MDB_val	k, v;
	uint8_t	key[ROWKEY_MAX];
	size_t	plen, klen;
	int	rc;

	if (!it->j->has_rowidx)
		return 0;
	if (it->rowcur == NULL && (rc = mdb_cursor_open(it->txn,
	    it->j->dbi[DB_ROWIDX], &it->rowcur)) != 0) {
		it->rowcur = NULL;
		return jl_err(it->j, e, PGTT_EJOURNAL, rc, "read");
	}
	klen = rowidx_key(key, relid, ident, len, *lsn, *seq);
	plen = klen - 12;
	rc = jl_cursor_seek(it->rowcur, key, klen, SEEK_LT, &k, &v);
	while (rc == 0 && k.mv_size >= klen &&
	    memcmp(k.mv_data, key, plen) == 0 && k.mv_size != klen)
		rc = mdb_cursor_get(it->rowcur, &k, &v, MDB_PREV);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return jl_err(it->j, e, PGTT_EJOURNAL, rc, "read");
	if (k.mv_size != klen || memcmp(k.mv_data, key, plen) != 0)
		return 0;
	*lsn = be64_get((uint8_t *)k.mv_data + plen);
	*seq = be32_get((uint8_t *)k.mv_data + plen + 8);
	return 1;
}

/*
 * One pass over relid's part of the row index, from the group after
 * `after` (NULL: the first).  Keys run by identity, then by change, so a
 * group ends where the part before the last twelve bytes changes; the
 * group's last change before the bound is handed on.
 */
int
journal_iter_rows_after(struct journal_iter *it, uint32_t relid,
    const uint8_t *after, size_t alen, pgtt_lsn lsn, uint32_t seq,
    journal_row_fn *fn, void *arg, struct pgtt_err *e)
{
	MDB_cursor	*cur;
	MDB_val		 k, v;
	uint8_t		 start[ROWKEY_MAX], bound[12], group[ROWKEY_MAX];
	size_t		 slen = 4, glen = 0, skip = 0;
	pgtt_lsn	 best_lsn = 0;
	uint32_t	 best_seq = 0;
	int		 rc, have = 0, ret = 0;

	if (!it->j->has_rowidx)
		return 0;
	/* A cursor of its own: fn may look rows up through it->rowcur. */
	if ((rc = mdb_cursor_open(it->txn, it->j->dbi[DB_ROWIDX], &cur)) != 0)
		return jl_err(it->j, e, PGTT_EJOURNAL, rc, "read");
	be32_put(start, relid);
	if (after != NULL && alen >= 4 && alen <= ROWKEY_MAX - 12) {
		/*
		 * That group's changes are passed over; a longer identity
		 * that begins with its bytes sorts after them.
		 */
		memcpy(start, after, alen);
		slen = skip = alen;
	}
	be64_put(bound, lsn);
	be32_put(bound + 8, seq);
	rc = jl_cursor_seek(cur, start, slen, SEEK_GE, &k, &v);
	for (; rc == 0 && ret == 0; rc = mdb_cursor_get(cur, &k, &v,
	    MDB_NEXT)) {
		const uint8_t	*key = k.mv_data;
		size_t		 plen;

		if (k.mv_size < 4 + 12 || memcmp(key, start, 4) != 0)
			break;
		plen = k.mv_size - 12;
		if (skip > 0 && plen == skip && memcmp(key, start, skip) == 0)
			continue;
		skip = 0;
		if (have && (plen != glen || memcmp(key, group, plen) != 0)) {
			ret = fn(arg, group, glen, best_lsn, best_seq);
			have = 0;
		}
		if (memcmp(key + plen, bound, 12) >= 0)
			continue;
		memcpy(group, key, plen);
		glen = plen;
		best_lsn = be64_get(key + plen);
		best_seq = be32_get(key + plen + 8);
		have = 1;
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return jl_err(it->j, e, PGTT_EJOURNAL, rc, "read");
	if (ret == 0 && have)
		ret = fn(arg, group, glen, best_lsn, best_seq);
	return ret;
}

int
journal_iter_rel_changes(struct journal_iter *it, uint32_t relid,
    pgtt_lsn lsn, uint32_t seq, journal_change_fn *fn, void *arg,
    struct pgtt_err *e)
{
	MDB_cursor	*cur;
	MDB_val		 k, v;
	uint8_t		 start[4], bound[12];
	int		 rc, ret = 0;

	if (!it->j->has_rowidx)
		return 0;
	if ((rc = mdb_cursor_open(it->txn, it->j->dbi[DB_ROWIDX], &cur)) != 0)
		return jl_err(it->j, e, PGTT_EJOURNAL, rc, "read");
	be32_put(start, relid);
	be64_put(bound, lsn);
	be32_put(bound + 8, seq);
	rc = jl_cursor_seek(cur, start, sizeof start, SEEK_GE, &k, &v);
	for (; rc == 0 && ret == 0; rc = mdb_cursor_get(cur, &k, &v,
	    MDB_NEXT)) {
		const uint8_t	*key = k.mv_data;
		size_t		 plen;

		if (k.mv_size < 4 + 12 || memcmp(key, start, 4) != 0)
			break;
		plen = k.mv_size - 12;
		if (memcmp(key + plen, bound, 12) < 0)
			ret = fn(arg, be64_get(key + plen),
			    be32_get(key + plen + 8));
	}
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return jl_err(it->j, e, PGTT_EJOURNAL, rc, "read");
	return ret;
}

int
journal_iter_rows_before(struct journal_iter *it, uint32_t relid,
    pgtt_lsn lsn, uint32_t seq, journal_row_fn *fn, void *arg,
    struct pgtt_err *e)
{
	return journal_iter_rows_after(it, relid, NULL, 0, lsn, seq, fn, arg,
	    e);
}

size_t
journal_row_prefix(uint8_t *key, uint32_t relid, const void *ident,
    size_t len)
{
	return rowidx_prefix(key, relid, ident, len);
}

/* Ends the read transaction so the map can grow again. */
void
journal_iter_close(struct journal_iter *it)
{
	if (it == NULL)
		return;
	if (it->rowcur != NULL)
		mdb_cursor_close(it->rowcur);
	if (it->getcur != NULL)
		mdb_cursor_close(it->getcur);
	mdb_cursor_close(it->cur);
	jl_txn_end(it->j, it->txn);
	free(it);
}
