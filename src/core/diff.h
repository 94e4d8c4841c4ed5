/*
 * diff.h: the net effect of a window of history, per table and per row.
 *
 * The window (A, B] holds, as everywhere in pgtt (DESIGN.md, "The one
 * idea"), the changes of the transactions with A <= commit LSN < B: the
 * same changes `log --from A --to B` prints.  They are folded into one
 * entry per touched row, keyed by the table and the row's identity: the
 * values of its row key (record.h, relation_row_key: the primary key or a
 * unique NOT NULL index the capture found in the catalog, else the replica
 * identity columns; every column when none is flagged).  Each entry keeps the row as it was at A and as it is at B:
 * an insert later deleted leaves nothing, update chains merge, a change of
 * identity is a delete plus an insert.
 *
 * Values the window does not hold (REPLICA IDENTITY DEFAULT sends only the
 * key of an old row, an unchanged TOASTed value is not sent at all) come
 * from the row's last change before A, found through the journal's row
 * index (journal.h); a journal without a complete index is walked back
 * instead, at most DIFF_LOOKBACK_MAX changes.  What is not found (the row
 * predates capture) stays unknown.
 *
 * Memory: one entry per row touched in the window, holding its values at A
 * and at B packed, plus one line per DDL statement; the cost follows the
 * window, not the history.  No libpq, ncurses or LMDB here.
 */
#ifndef PGTT_DIFF_H
#define PGTT_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "journal.h"
#include "lsn.h"
#include "record.h"
#include "seqsample.h"
#include "verb.h"

#define DIFF_LOOKBACK_MAX	100000	/* without the row index */

/*
 * One column value.  kind is COL_NULL, COL_TEXT, or COL_TOAST for a value
 * that is not known (not sent, not found looking back).
 */
struct diff_col {
	const char	*name;
	const char	*val;		/* COL_TEXT; NUL-terminated too */
	uint32_t	 len;
	uint8_t		 kind;		/* enum col_kind */
	uint8_t		 is_key;
};

/* A row's values, or its absence. */
struct diff_vals {
	int		 present;
	size_t		 ncols;
	struct diff_col	*cols;
};

enum diff_op {
	DIFF_NONE = 0,
	DIFF_INSERTED,
	DIFF_DELETED,
	DIFF_UPDATED,
};

/* Room for unpacked values, reused from row to row. */
struct diff_colbuf {
	struct diff_col	*cols;
	size_t		 cap;
};

/*
 * A row with a net change, as diff_row_load unpacks it.  For
 * DIFF_UPDATED, changed[i] says whether after.cols[i] differs from the
 * row at A (or its old value is unknown).  before_unknown: some of the
 * row's values at A are not known.
 */
struct diff_row {
	enum diff_op	 op;
	struct diff_vals before;	/* at A */
	struct diff_vals after;		/* at B */
	uint8_t		*changed;
	int		 before_unknown;
	/* private: where the values above are unpacked */
	struct diff_colbuf bcols, acols;
	size_t		 changed_cap;
};

struct diff_entry;

/*
 * One table's net change; rows in the order the window first touched
 * them.  A row is read with diff_row_load.
 */
struct diff_table {
	uint32_t	  relid;
	char		 *schema, *name;	/* as of its last change */
	int		  truncated;		/* a truncate inside the window */
	const char	 *partial;		/* static; non-NULL: why its
						   updates and deletes are
						   not captured */
	size_t		  ninserted, ndeleted, nupdated;
	size_t		  nafter_unknown;	/* rows with values at B not
						   all known */
	size_t		  nrows;
	struct diff_entry **rows;
	/*
	 * Truncated: the rows it holds at B that are as they were at A (put
	 * back after the truncate), which SQL that truncates must insert.
	 */
	size_t		  nkept;
	struct diff_entry **kept;
};

/* A DDL statement inside the window. */
struct diff_ddl {
	pgtt_lsn	 lsn;
	uint32_t	 seq;
	char		*sql;
};

struct diff {
	pgtt_lsn	   from, to;
	/*
	 * Without a table filter: the sequences whose sampled values differ
	 * between the newest samples at or before from and to (seqsample.h),
	 * and those samples' LSNs (LSN_INVALID: none).
	 */
	pgtt_lsn	   seq_from, seq_to;
	size_t		   nseqs;
	struct seq_move	  *seqs;
	uint64_t	   changes;	/* changes folded */
	uint64_t	   transactions;	/* they came in */
	int64_t		   last_commit_time;	/* of the newest, µs since 2000 */
	uint64_t	   skipped;	/* row changes with no identity */
	size_t		   ntables;	/* tables with a net change, by name */
	struct diff_table *tables;
	size_t		   ntouched;	/* every table a row change of the */
	uint32_t	  *touched;	/* window touched, net change or not */
	size_t		   nddl;
	struct diff_ddl	  *ddl;
	/*
	 * Not empty: the baseline dump could not be read, so rows no change
	 * touched since capture are missing from what a truncate removed,
	 * and their values before an update are unknown.
	 */
	char		   warning[1024];
	struct diff_fold  *fold;	/* private */
	struct pgtt_seqsample *samples[2]; /* private */
};

struct diff_opts {
	pgtt_lsn	 from, to;	/* the window [from, to) */
	const char	*schema;	/* with table, keep only that one */
	const char	*table;		/* (ident_parse_table's parts) */
	/*
	 * Only the rows' keys at from are wanted (replay's net mode): no
	 * look-back, no baseline; other old values may stay unknown.
	 */
	int		 keys_only;
	/*
	 * Only each row's net change is wanted (--stat): a row gone at B
	 * was deleted whatever its values at A, so they are not looked for,
	 * unless a row that took a new key takes its unchanged ones.
	 */
	int		 counts_only;
};

/*
 * Fold the window of commit LSNs.  Only whole committed transactions
 * count, as for `log`.  Values at from that only the baseline holds are
 * read from it with pg_restore (from pitr.bindir, else as proc.h finds
 * it).  vc's cancel stops the fold: PGTT_ESTOPPED.
 */
int	 diff_run(const struct verb_ctx *, const struct diff_opts *,
	    struct diff **, struct pgtt_err *);
void	 diff_free(struct diff *);
/* The column named name in v, or NULL. */
const struct diff_col *diff_vals_col(const struct diff_vals *, const char *);

/*
 * The fold keeps each row's values packed; they are unpacked a row at a
 * time, into r, valid until r is loaded again or diff_row_done.  r starts
 * zeroed (or from diff_row_done).
 */
void	 diff_row_load(const struct diff *, const struct diff_entry *,
	    struct diff_row *r);
void	 diff_row_done(struct diff_row *);
/* A row's net change, without unpacking it. */
enum diff_op diff_entry_op(const struct diff_entry *);

/*
 * Write d as SQL to out (diff-sql.c): run on a database in the state at
 * A, it leaves the state at B, DDL aside (listed as comments).
 */
void	 diff_write_sql(const struct diff *, FILE *);

#endif
