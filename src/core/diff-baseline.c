/*
 * diff-baseline.c: values at A that only the baseline holds.  A row no
 * change touched between the era's baseline and A is in no journal
 * record before A: the look-back finds nothing for it, so an update in
 * the window would show its old values unknown and a truncate could not
 * list it.  The baseline dump has it.  Each table that needs it is read
 * once (pg_restore of its data, as rowhist does for one row), and each
 * row is matched to the fold's entries by its identity, the way the fold
 * names rows (the row key of the version at B).  A dump row counts only
 * when the row index, complete over the era, has no change of it before
 * A.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "diff-int.h"
#include "era.h"
#include "xmalloc.h"

struct bl {
	struct diff		*d;
	struct journal_iter	*it;
	const struct relv	*rv;		/* the version at B */
	uint32_t		 relid;
	int			 create;	/* a truncate: rows not yet seen */
	pgtt_lsn		 era_start;
	struct pgtt_tuple	 t;
	int			*map;		/* rv column -> dump column */
	struct pgtt_err		*err;
};

/* Does the row index have a change of the row in f->ident before A? */
static int
changed_before(struct bl *b)
{
	struct diff_fold	*f = b->d->fold;
	pgtt_lsn		 lsn = b->d->from;
	uint32_t		 seq = 0;
	int			 r;

	r = journal_iter_row_prev(b->it, b->relid, f->ident.data,
	    f->ident.len, &lsn, &seq, b->err);
	if (r < 0)
		return r;
	return r == 1 && lsn >= b->era_start;
}

/* The dump's row as a tuple of the version at B, columns by name. */
static void
to_tuple(struct bl *b, const struct baseline_row *row)
{
	size_t	i, k;

	if (b->map == NULL) {
		b->map = xcalloc((size_t)b->rv->rel->ncols + 1,
		    sizeof *b->map);
		for (i = 0; i < b->rv->rel->ncols; i++) {
			b->map[i] = -1;
			for (k = 0; k < row->ncols; k++)
				if (strcmp(row->names[k],
				    b->rv->rel->cols[i].name) == 0)
					b->map[i] = (int)k;
		}
	}
	for (i = 0; i < b->t.ncols; i++) {
		struct pgtt_col	*c = &b->t.cols[i];
		const char	*v = b->map[i] >= 0 ? row->values[b->map[i]] :
				    NULL;

		memset(c, 0, sizeof *c);
		if (b->map[i] < 0)
			c->kind = COL_TOAST;	/* a column added since */
		else if (v == NULL)
			c->kind = COL_NULL;
		else {
			c->kind = COL_TEXT;
			c->val = v;
			c->len = (uint32_t)strlen(v);
		}
	}
}

static int
one_row(void *arg, const struct baseline_row *row)
{
	struct bl		*b = arg;
	struct diff_fold	*f = b->d->fold;
	struct diff_entry		*e;
	int			 r;

	to_tuple(b, row);
	fold_ident_of(f, &b->t, b->rv);
	e = fold_lookup(f, b->relid, f->ident.data, f->ident.len,
	    fold_hash_id(b->relid, f->ident.data, f->ident.len));
	/* Only a row the journal has no word of before A is the dump's. */
	if (b->create ? e != NULL : (e == NULL || !e->lookback))
		return 0;
	if ((r = changed_before(b)) != 0)
		return r < 0 ? r : 0;
	if (e == NULL)
		(void)fold_truncated_row(f, b->relid, &b->t, b->rv);
	else {
		fold_fill_before(f, e, &b->t, b->rv);
	}
	return 0;
}

/*
 * The era of A and what reading its dump takes, once per diff: 0 when
 * the dump can serve (*era set), 1 when it cannot (a journal without
 * one, or a row index that does not cover the era), or an error.
 */
static int
era_of_a(struct diff *d, struct baseline_src *src, struct pgtt_err *err)
{
	struct journal	*j = d->fold->j;
	const struct era *era;
	char		*version = NULL;
	int		 ret;

	if (src->state != 0)
		return src->state > 0 ? 0 : 1;
	src->state = -1;
	if (eras_read(j, &src->eras, err) != 0) {
		err_clear(err);
		return 1;
	}
	era = era_at(&src->eras, d->from);
	/* The index must tell, over the whole era, what changed a row. */
	if (journal_rowidx_since(j) > era->start ||
	    journal_truncidx_since(j) > era->start)
		return 1;
	if ((ret = journal_meta_get(j, "server_version", &version,
	    err)) != 0) {
		err_clear(err);
		return 1;
	}
	src->major = atoi(version) / 10000;
	free(version);
	src->era_start = era->start;
	src->dump = era->dump;
	src->list = era->list;
	src->state = 1;
	return 0;
}

/*
 * Was the table truncated between the baseline and A?  Then none of the
 * dump's rows was there at A: the ones it had were gone, and any row put
 * back is the journal's.
 */
static int
truncated_since_baseline(struct bl *b)
{
	pgtt_lsn	lsn = b->d->from;
	uint32_t	seq = 0;
	int		r;

	r = journal_iter_row_prev(b->it, b->relid, JOURNAL_TRUNCATE_IDENT,
	    JOURNAL_TRUNCATE_IDENT_LEN, &lsn, &seq, b->err);
	if (r < 0)
		return r;
	return r == 1 && lsn >= b->era_start;
}

/* Read relid's rows from the dump into the fold, as create says. */
static int
read_table(struct diff *d, uint32_t relid, int create, struct pgtt_err *err)
{
	struct diff_fold	*f = d->fold;
	struct baseline_src	*src = &f->baseline;
	struct bl		 b;
	char			*path = NULL;
	int			 ret;

	if ((ret = era_of_a(d, src, err)) != 0)
		return ret > 0 ? 0 : ret;
	if (baseline_holds_table(src->list, relid) == 0)
		return 0;
	memset(&b, 0, sizeof b);
	b.d = d;
	b.relid = relid;
	b.create = create;
	b.era_start = src->era_start;
	b.err = err;
	if ((ret = journal_iter_open(f->j, 0, &b.it, err)) != 0)
		return ret;
	if ((b.rv = fold_relv_for(f, b.it, relid, d->to, 0)) == NULL ||
	    (ret = truncated_since_baseline(&b)) != 0) {
		journal_iter_close(b.it);
		return ret < 0 ? ret : 0;
	}
	/* No read transaction while pg_restore runs: it would pin the map. */
	journal_iter_close(b.it);
	b.it = NULL;
	if ((ret = baseline_extract(src->bindir, src->major, src->dump,
	    b.rv->rel->schema, b.rv->rel->name, &path, err)) != 0)
		return ret;
	relcache_new_snapshot(&f->rels);
	if ((ret = journal_iter_open(f->j, 0, &b.it, err)) == 0) {
		b.t.ncols = b.rv->rel->ncols;
		b.t.cols = xcalloc((size_t)b.t.ncols + 1, sizeof *b.t.cols);
		ret = baseline_read(path, one_row, &b, err);
		free(b.t.cols);
		free(b.map);
		journal_iter_close(b.it);
	}
	unlink(path);
	free(path);
	return ret;
}

int
diff_baseline_truncated(struct diff *d, uint32_t relid, struct pgtt_err *err)
{
	return read_table(d, relid, 1, err);
}

int
diff_look_baseline(struct diff *d, struct pgtt_err *err)
{
	struct diff_fold	*f = d->fold;
	uint8_t			*looking;
	size_t			 i, k;
	int			 ret = 0;

	/* One pass over the entries: which tables still look for values. */
	looking = xcalloc(f->ntbls + 1, 1);
	for (i = 0; i < f->nentries; i++) {
		if (!f->all[i]->lookback)
			continue;
		for (k = 0; k < f->ntbls && f->tbls[k].relid !=
		    f->all[i]->relid; k++)
			;
		if (k < f->ntbls)
			looking[k] = 1;
	}
	for (i = 0; i < f->ntbls && ret == 0; i++)
		if (looking[i])
			ret = read_table(d, f->tbls[i].relid, 0, err);
	free(looking);
	return ret;
}
