/*
 * diff-truncate.c: the rows a truncate inside the window removed.  Every
 * row there was at A is listed, the ones the window never touched too:
 * the row index gives each row's last change before A, and the rows no
 * change since capture has touched come from the baseline
 * (diff-baseline.c).  They are added to the fold at the truncate, so a
 * row put back after it is an update, or no change.
 */
#include <stdlib.h>
#include <string.h>

#include "diff-int.h"

struct present {
	struct diff		*d;
	struct journal_iter	*it;
	uint32_t		 relid;
	pgtt_lsn		 trunc_lsn;	/* the last truncate before A */
	uint32_t		 trunc_seq;
	int			 truncated;	/* there is one */
	struct pgtt_err		*err;
};

struct diff_entry *
fold_truncated_row(struct diff_fold *f, uint32_t relid,
    const struct pgtt_tuple *t, const struct relv *rv)
{
	struct diff_entry	*e;
	int		 made;

	e = fold_entry_of(f, relid, &made);
	if (!made)
		return NULL;
	e->before = fold_pack_tuple(f, t, rv, 0);
	e->lookback = fold_packed_unknown(e->before);
	e->after = NULL;
	e->after_set = 1;
	return e;
}

/*
 * A row the row index knows, by its last change before A.  When that
 * change left the row in place (an insert, an update that kept its key)
 * the row was there at A with that change's values, and a truncate in
 * the window removed it, unless the window has touched it already.
 */
static int
present_row(void *arg, const uint8_t *prefix, size_t plen, pgtt_lsn lsn,
    uint32_t seq)
{
	struct present		*p = arg;
	struct diff_fold	*f = p->d->fold;
	struct pgtt_change	*ch = NULL;
	struct relv		*rv;
	struct diff_entry		*e;
	uint8_t			 key[JOURNAL_ROWKEY_MAX];
	int			 ret;

	/*
	 * A transaction never committed (the listener stopped inside it)
	 * decides nothing: the row's change before it does.  A long
	 * identity is filed under a hash, which cannot be looked up again.
	 */
	while (!journal_iter_txn_exists(p->it, lsn)) {
		if (plen <= 4 || prefix[4] == 0)
			return 0;
		ret = journal_iter_row_prev(p->it, p->relid, prefix + 4,
		    plen - 4, &lsn, &seq, p->err);
		if (ret != 1)
			return ret;
	}
	/* Before a break the row's state after it is unknown. */
	if (lsn < f->era_start)
		return 0;
	/* An earlier truncate removed it: it was not there at A. */
	if (p->truncated && (lsn < p->trunc_lsn || (lsn == p->trunc_lsn &&
	    seq < p->trunc_seq)))
		return 0;
	if ((ret = journal_iter_change_get(p->it, lsn, seq, &ch,
	    p->err)) == PGTT_ENOTFOUND) {
		err_clear(p->err);
		return 0;
	}
	if (ret != 0)
		return ret;
	if ((ch->kind != CHANGE_INSERT && ch->kind != CHANGE_UPDATE) ||
	    (rv = fold_relv_for(f, p->it, p->relid, lsn, seq)) == NULL) {
		free(ch);
		return 0;
	}
	fold_ident_of(f, &ch->new, rv);
	if (journal_row_prefix(key, p->relid, f->ident.data, f->ident.len) !=
	    plen || memcmp(key, prefix, plen) != 0) {
		free(ch);
		return 0;	/* an update that gave the row another key */
	}
	if ((e = fold_truncated_row(f, p->relid, &ch->new, rv)) != NULL) {
		e->lb_lsn = lsn;
		e->lb_seq = seq;
	}
	free(ch);
	return 0;
}

/*
 * A truncate inside the window removed every row of relid there was at A,
 * the ones the window never touched too: the row index lists them.  Rows
 * no change since capture has touched are not in the journal (the
 * baseline holds them).
 */
int
diff_truncated_rows(struct diff *d, uint32_t relid, struct pgtt_err *err)
{
	struct present	p;
	int		ret;

	memset(&p, 0, sizeof p);
	p.d = d;
	p.relid = relid;
	p.err = err;
	if ((ret = journal_iter_open(d->fold->j, d->from, &p.it, err)) != 0)
		return ret;
	p.trunc_lsn = d->from;
	if ((ret = journal_iter_row_prev(p.it, relid, JOURNAL_TRUNCATE_IDENT,
	    JOURNAL_TRUNCATE_IDENT_LEN, &p.trunc_lsn, &p.trunc_seq,
	    err)) < 0) {
		journal_iter_close(p.it);
		return ret;
	}
	p.truncated = ret == 1;
	ret = journal_iter_rows_before(p.it, relid, d->from, 0, present_row,
	    &p, err);
	journal_iter_close(p.it);
	return ret;
}
