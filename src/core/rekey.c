/*
 * rekey.c: a table's rows filed again under a new row key (rekey.h).
 *
 * The row index already has each row under the identity it had: a pass
 * over the table's part of it finds every row, by the newest change filed
 * under each identity.  A row is still there when that change left it
 * under that identity (an insert, or an update that kept it); it is then
 * filed under its identity by the new key, with every change filed under
 * the old one, back to its insert or to the update that brought it from
 * another key (history follows that one on its own).  The pass reads in
 * rounds of REKEY_BATCH_MAX rows, each in its own read transaction, and
 * commits between them: a journal commit may have to grow the map, which
 * it cannot do while this thread holds a read transaction.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rekey.h"
#include "walk.h"
#include "xmalloc.h"

struct rekey {
	struct journal_iter		*it;
	struct relcache			 rels;
	const struct pgtt_relation	*next;
	uint32_t			 relid;
	struct jbatch			*b;
	size_t				 round;	/* rows filed this round */
	size_t				 nrows;
	uint8_t				 last[JOURNAL_ROWKEY_MAX];
	size_t				 lastlen;
	struct buf			 own, fresh, tmp;
	struct pgtt_err			*err;
};

#define ROUND_FULL	1	/* rows_after's fn: stop, go on later */

static int
same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

int
rekey_needed(const struct pgtt_relation *prev,
    const struct pgtt_relation *next)
{
	uint8_t	*own, *as;
	int	 differ;

	own = xcalloc((size_t)prev->ncols + 1, 1);
	as = xcalloc((size_t)prev->ncols + 1, 1);
	relation_row_key(prev, own);
	relation_row_key_as(prev, next, as);
	differ = memcmp(own, as, prev->ncols) != 0;
	/* No flag at all names a row by all its columns. */
	if (differ && memchr(own, 1, prev->ncols) == NULL &&
	    memchr(as, 0, prev->ncols) == NULL)
		differ = 0;
	free(own);
	free(as);
	return differ;
}

/* The change at (lsn, seq) and its version; 0 when it is not a row's. */
static int
read_change(struct rekey *r, pgtt_lsn lsn, uint32_t seq,
    struct pgtt_change **ch, const struct pgtt_relation **rel)
{
	int	ret;

	*ch = NULL;
	if ((ret = journal_iter_change_get(r->it, lsn, seq, ch,
	    r->err)) == PGTT_ENOTFOUND) {
		err_clear(r->err);
		return 0;
	}
	if (ret != 0)
		return ret;
	if ((*ch)->kind < CHANGE_INSERT || (*ch)->kind > CHANGE_DELETE ||
	    relcache_at(&r->rels, r->it, r->relid, lsn, seq, rel,
	    r->err) != 0) {
		err_clear(r->err);
		free(*ch);
		*ch = NULL;
		return 0;
	}
	return 1;
}

/* Does ch, read with rel, find or leave the row r->own names? */
static int
names_own(struct rekey *r, const struct pgtt_change *ch,
    const struct pgtt_relation *rel)
{
	if (ch->kind != CHANGE_DELETE) {
		record_row_ident_as(&r->tmp, &ch->new, rel, NULL);
		if (same(&r->tmp, &r->own))
			return 1;
	}
	if (ch->old_kind != OLD_NONE) {
		record_row_ident_as(&r->tmp, &ch->old, rel, NULL);
		if (same(&r->tmp, &r->own))
			return 1;
	}
	return 0;
}

/* Is a column of the new key a value ch did not carry (TOASTed)? */
static int
key_unknown(const struct pgtt_change *ch, const struct pgtt_relation *rel,
    const struct pgtt_relation *next)
{
	uint8_t		*flags = xcalloc((size_t)rel->ncols + 1, 1);
	uint16_t	 i;
	int		 unknown = 0;

	relation_row_key_as(rel, next, flags);
	for (i = 0; i < rel->ncols; i++)
		if (flags[i] && (i >= ch->new.ncols ||
		    ch->new.cols[i].kind == COL_TOAST))
			unknown = 1;
	free(flags);
	return unknown;
}

/* One row of the old filing, by its newest change. */
static int
one_row(void *arg, const uint8_t *prefix, size_t plen, pgtt_lsn lsn,
    uint32_t seq)
{
	struct rekey			*r = arg;
	struct pgtt_change		*ch;
	const struct pgtt_relation	*rel;
	uint8_t				 key[JOURNAL_ROWKEY_MAX];
	int				 ret, moved_in;

	memcpy(r->last, prefix, plen);
	r->lastlen = plen;
	if ((ret = read_change(r, lsn, seq, &ch, &rel)) <= 0)
		return ret;
	if (ch->kind == CHANGE_DELETE)
		goto done;
	/* Filed here, but an update that moved the row away: not here. */
	record_row_ident_as(&r->own, &ch->new, rel, NULL);
	if (journal_row_prefix(key, r->relid, r->own.data, r->own.len) !=
	    plen || memcmp(key, prefix, plen) != 0)
		goto done;
	record_row_ident_as(&r->fresh, &ch->new, rel, r->next);
	if (same(&r->fresh, &r->own) || key_unknown(ch, rel, r->next))
		goto done;
	r->nrows++;
	for (;;) {
		jbatch_put_row(r->b, r->relid, r->fresh.data, r->fresh.len,
		    lsn, seq);
		moved_in = ch->kind == CHANGE_UPDATE &&
		    ch->old_kind != OLD_NONE;
		if (moved_in) {
			record_row_ident_as(&r->tmp, &ch->old, rel, NULL);
			moved_in = !same(&r->tmp, &r->own);
		}
		if (ch->kind == CHANGE_INSERT)
			break;
		/*
		 * Brought from another identity: by the new key, the same
		 * row still (a row named by all its columns changes identity
		 * at every update), whose past lies under the old one; else
		 * another row's, which history follows by itself.
		 */
		if (moved_in) {
			record_row_ident_as(&r->tmp, &ch->old, rel, r->next);
			if (!same(&r->tmp, &r->fresh))
				break;
			record_row_ident_as(&r->own, &ch->old, rel, NULL);
		}
		/* The row's earlier changes; a hashed filing may hold others'. */
		do {
			free(ch);
			ch = NULL;
			if ((ret = journal_iter_row_prev(r->it, r->relid,
			    r->own.data, r->own.len, &lsn, &seq, r->err)) <= 0)
				goto done;
			if ((ret = read_change(r, lsn, seq, &ch, &rel)) < 0)
				goto done;
		} while (ret == 0 || !names_own(r, ch, rel));
	}
done:
	free(ch);
	if (ret < 0)
		return ret;
	return ++r->round >= REKEY_BATCH_MAX ? ROUND_FULL : 0;
}

int
rekey_rows(struct journal *j, const struct pgtt_relation *next,
    struct jbatch *b, size_t *nrows, struct pgtt_err *err)
{
	struct rekey	r;
	int		ret;

	memset(&r, 0, sizeof r);
	r.next = next;
	r.relid = next->relid;
	r.b = b;
	r.err = err;
	relcache_init(&r.rels);
	buf_init(&r.own);
	buf_init(&r.fresh);
	buf_init(&r.tmp);
	for (;;) {
		r.round = 0;
		relcache_new_snapshot(&r.rels);
		if ((ret = journal_iter_open(j, 0, &r.it, err)) != 0)
			break;
		ret = journal_iter_rows_after(r.it, r.relid, r.lastlen > 0 ?
		    r.last : NULL, r.lastlen, UINT64_MAX, UINT32_MAX, one_row,
		    &r, err);
		journal_iter_close(r.it);
		r.it = NULL;
		if (ret != ROUND_FULL)
			break;
		if ((ret = journal_commit(j, b, err)) != 0)
			break;
	}
	relcache_free(&r.rels);
	buf_done(&r.own);
	buf_done(&r.fresh);
	buf_done(&r.tmp);
	*nrows = r.nrows;
	return ret;
}
