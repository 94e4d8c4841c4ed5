/*
 * rowhist.h: one row's history: every change that touched it, oldest
 * first, each with the whole row after it.  The row is named by the
 * values of its row key (record.h, relation_row_key) and found through
 * the journal's row index, so the cost follows the row's changes, not
 * the history.  A change of key is followed both ways: the row's changes
 * under its earlier and its later keys are part of its history.  Columns
 * are carried by name across migrations; an unchanged TOASTed value is
 * carried forward from the row before it.  A row that predates capture
 * (its first change is not an insert, or it has none) starts from its
 * value in the baseline dump, read with pg_restore.
 */
#ifndef PGTT_ROWHIST_H
#define PGTT_ROWHIST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "journal.h"
#include "lsn.h"
#include "record.h"
#include "verb.h"

/* COLUMN=VALUE as the user typed it: the value in PostgreSQL's text form. */
struct rowhist_key {
	const char	*column;
	const char	*value;
};

struct rowhist_opts {
	pgtt_lsn	 from;		/* commit LSNs in [from, to) */
	pgtt_lsn	 to;
	/*
	 * Look for the row in the baseline dump where it predates capture:
	 * that runs pg_restore (from pitr.bindir, else as proc.h finds it)
	 * over the table's data.
	 */
	int		 baseline;
};

struct rowhist_item {
	/*
	 * NULL: the row as the baseline dump at lsn shows it, before its
	 * first change (txn NULL too); unread, when not NULL, says why the
	 * dump could not be read (present 0, row NULL).
	 */
	const struct pgtt_change	*ch;
	const struct pgtt_txn		*txn;
	pgtt_lsn			 lsn;	/* commit LSN, or baseline's */
	const char			*unread;
	const struct pgtt_relation	*rel;	/* the version it is read with */
	/* A truncate: the version of each table it names (NULL unknown). */
	const struct pgtt_relation	**trels;
	/*
	 * The row after the change, one value per column of rel (COL_TOAST:
	 * not known, the row predating capture); present is 0 after a delete.
	 */
	int				 present;
	const struct pgtt_col		*row;
};

/* Called for each change, oldest first; a non-zero return stops. */
typedef int rowhist_fn(void *, const struct rowhist_item *);

/*
 * The changes of the row of schema.table (schema NULL: any) whose row key
 * has the given values, in the window opts gives.  PGTT_ENOTFOUND when no
 * such table is in the journal; PGTT_EUSAGE when the keys are not
 * exactly the row key's columns.  A row with no changes and not in the
 * baseline calls fn never.
 */
int	rowhist_run(const struct verb_ctx *, const struct rowhist_opts *,
	    const char *schema, const char *table,
	    const struct rowhist_key *, size_t nkeys, rowhist_fn *, void *,
	    struct pgtt_err *);

/* The same for the row the change at (lsn, seq) touched, all of it. */
int	rowhist_run_change(const struct verb_ctx *,
	    const struct rowhist_opts *, pgtt_lsn, uint32_t seq, rowhist_fn *,
	    void *, struct pgtt_err *);

/* One version of a row, as a list keeps it: its own copies. */
struct rowhist_version {
	pgtt_lsn	  lsn;
	int64_t		  commit_time;	/* 0 for the baseline */
	int		  baseline;	/* the row as the baseline shows it */
	enum change_kind  kind;		/* when not the baseline */
	int		  present;	/* a row after it */
	size_t		  ncols;
	char		**names;
	struct pgtt_col	 *cols;		/* values NUL-terminated */
};

struct rowhist_list {
	char			*schema;	/* of the newest version */
	char			*table;
	struct rowhist_version	*v;
	size_t			 n;
	char			*unread;	/* the baseline's, or NULL */
};

/*
 * rowhist_run_change into a list that owns its values, for a reader on
 * another thread (the TUI's worker).
 */
int	rowhist_collect_change(const struct verb_ctx *,
	    const struct rowhist_opts *,
	    pgtt_lsn, uint32_t seq, struct rowhist_list *, struct pgtt_err *);
void	rowhist_list_free(struct rowhist_list *);

#endif
