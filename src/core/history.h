/*
 * history.h: the journal as rows to show.  A window of one-line rows
 * around any position, walked forward and backward; every column of one
 * change; and the one text formatter for values, shared by the TUI and
 * `log`.  No LMDB, libpq or ncurses here: callers need only this header.
 *
 * Transactions: history_page, history_page_scan, history_bounds and
 * history_detail each open their own short read transaction(s) and close
 * them before returning; nothing is held between calls, so a screen that
 * sits idle never pins the journal's pages.  The formatters touch no
 * journal.  Any thread may call them, on a journal handle it shares with
 * others (journal.h); a call waits for no other reader, only (briefly)
 * for a map resize under way.
 *
 * What is shown: only changes of whole transactions, those whose txn
 * record exists.  A transaction still being written (the listener writes
 * a large one change by change and its record at Commit) is invisible
 * until its record is committed, whatever the direction.
 *
 * Costs: a page costs O(rows examined x log(history)), never a scan from
 * the start.  The commit record is read once per transaction met, a
 * relation version once per (relation, transaction).  A filter may have to
 * pass over many changes to fill a page: one call examines at most
 * HISTORY_SCAN_MAX changes and returns what it found; history_page_scan
 * says where to go on from.  Skipping a transaction still being written
 * costs a seek or two, not a walk through it.
 */
#ifndef PGTT_HISTORY_H
#define PGTT_HISTORY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "journal.h"
#include "lsn.h"
#include "record.h"

#define HISTORY_SCAN_MAX	10000	/* changes examined per page call */
#define HISTORY_VALUE_MAX	60	/* characters of one value in a row */
#define HISTORY_SUMMARY_MAX	400	/* characters of a row's summary */

/*
 * A change's key: commit LSN and order inside the transaction.  Any pair
 * is a valid position, whether a change has that key or not;
 * { UINT64_MAX, UINT32_MAX } is past every change ("the end").
 */
struct history_pos {
	pgtt_lsn	 lsn;
	uint32_t	 seq;
};

/*
 * Which rows to show.  schema and table as `log --table` takes them
 * (ident_parse_table), NULL for any; ops has bit 1u << CHANGE_* set for
 * each kind wanted, 0 for all.  The strings are the caller's: history
 * only reads them.  Unlike `log --table`, a table filter also keeps a
 * truncate that names the table among others.  DDL and messages belong to
 * no table: a table filter drops them.
 */
struct history_filter {
	char		*schema;
	char		*table;
	unsigned	 ops;
};

/*
 * One display row.  The strings are malloc'd, owned by the row, freed by
 * history_row_done, and safe to print: control characters are spaces,
 * values are cut (HISTORY_VALUE_MAX) and the summary too
 * (HISTORY_SUMMARY_MAX), never inside a UTF-8 sequence.
 *
 * table	"schema.name" (the relation id in digits if its definition
 *		is unknown); for a truncate every table, ", " between; ""
 *		for ddl and message
 * key		the replica identity columns, "id=4" or "w=1 n=2", from the
 *		new row (the old one for a delete); "" when not known (the
 *		relation is unknown) and for truncate, ddl and message.
 *		Under REPLICA IDENTITY FULL every column is identity.
 * summary	insert: the new row, "id=4 name='Ann Lee'";
 *		update: the new row, a column whose old value is known and
 *		differs as "v: 'a' -> 'b'", an unsent TOASTed one as
 *		"big=(unchanged toast)";
 *		delete: the old row (only its key unless REPLICA IDENTITY
 *		FULL);
 *		truncate: its options, "cascade, restart identity", or "";
 *		ddl: the statement on one line;
 *		message: "prefix content".
 *		Values are as history_format_value prints them.
 */
struct history_row {
	struct history_pos	 pos;
	pgtt_lsn		 end_lsn;	/* the transaction's end */
	int64_t			 commit_time;	/* µs since 2000-01-01 UTC */
	uint32_t		 xid;
	enum change_kind	 kind;
	uint32_t		 relid;		/* row changes, else 0 */
	char			*table;
	char			*key;
	char			*summary;
	uint32_t		 source;	/* its journal, in a merged page */
};

/*
 * Up to n rows that pass filter (NULL: all), in ascending key order
 * whichever the direction: dir > 0 the first rows with key >= *from, dir
 * < 0 the last rows with key < *from.  rows must have room for n; *got is
 * set to the rows filled.  Fewer than n rows means the start or end of
 * history was reached, or HISTORY_SCAN_MAX changes were examined (then
 * history_page_scan tells where to go on).  On error no row is left to
 * free and *got is 0.  Typical calls: the rows after a shown row r are
 * dir > 0 from r.pos + 1 (seq + 1, or lsn + 1 and seq 0 when seq is
 * UINT32_MAX); the rows before the top row t are dir < 0 from t.pos; the
 * last page is dir < 0 from { UINT64_MAX, UINT32_MAX }.
 */
int	 history_page(struct journal *, const struct history_pos *from,
	    int dir, size_t n, const struct history_filter *,
	    struct history_row *rows, size_t *got, struct pgtt_err *);
void	 history_row_done(struct history_row *);

/*
 * Where a page call stopped.  resume: pass it as from, same direction, to
 * go on past every change this call examined; when the page filled it is
 * the position just after the last row (dir > 0) or that of the first row
 * (dir < 0), as a UI would compute it.  edge: the call reached the start
 * (dir < 0) or the end of committed history (dir > 0); 0 when it stopped
 * because the page was full or HISTORY_SCAN_MAX changes were examined.
 * Going forward, a transaction still being written at the end stops the
 * walk with resume on it, so calling again later shows it once committed.
 */
struct history_scan {
	struct history_pos	 resume;
	int			 edge;
	uint64_t		 examined;	/* changes looked at */
};

/* history_page, also saying where it stopped; scan may be NULL. */
int	 history_page_scan(struct journal *, const struct history_pos *from,
	    int dir, size_t n, const struct history_filter *,
	    struct history_row *rows, size_t *got, struct history_scan *,
	    struct pgtt_err *);

/*
 * history_page_scan over the journals of several databases of one
 * cluster, in one key order (an LSN is the cluster's: keys of two
 * databases never tie); each row's source is the index of its journal.
 * The rows are the ones every journal has examined up to, so resume and
 * edge mean what they mean for one journal.
 */
int	 history_page_merged(struct journal *const *, size_t njournals,
	    const struct history_pos *from, int dir, size_t n,
	    const struct history_filter *, struct history_row *rows,
	    size_t *got, struct history_scan *, struct pgtt_err *);

/*
 * The newest change before from that the filter keeps, however far back:
 * 1 with its key in *found, 0 when there is none before from (absence
 * established), PGTT_ESTOPPED when *cancel was set, or an error.  It
 * goes one page call (HISTORY_SCAN_MAX changes) at a time, reporting the
 * changes examined so far to progress (may be NULL) after each.
 */
int	 history_search_back(struct journal *, const struct history_pos *from,
	    const struct history_filter *, const atomic_int *cancel,
	    void (*progress)(void *, uint64_t examined), void *arg,
	    struct history_pos *found, struct pgtt_err *);
struct walk_item;
/* Does the change the walk gave pass the filter (NULL: any)? */
int	 history_wanted(const struct history_filter *,
	    const struct walk_item *);

/*
 * The bounds of committed history, in two short lookups: *first is at or
 * before the first shown change (the first transaction's LSN, seq 0),
 * *end just after the newest one (the last commit LSN + 1, seq 0), so
 * dir < 0 from *end is the last page.  Both { 0, 0 } when nothing is
 * committed.  For follow mode, compare *end with the last one seen.
 */
int	 history_bounds(struct journal *, struct history_pos *first,
	    struct history_pos *end, struct pgtt_err *);

/*
 * One column of a change in full.  Strings are malloc'd, owned by the
 * detail; old and new are the whole text value, NUL-terminated (old_len
 * and new_len count the bytes, should a value hold a NUL), raw: control
 * characters are kept, format them with history_format_value or escape
 * them before drawing.
 *
 * has_old	the old value is known: an old row was sent (REPLICA
 *		IDENTITY FULL, or a key change) holding this column, and it
 *		was not an unsent TOASTed value
 * has_new	a new row was sent: insert and update
 * old_null, new_null  the value is SQL NULL (old is then NULL)
 * toast	the new row did not send this value: an unchanged TOASTed
 *		value (new is then NULL; it equals old when has_old)
 * changed	has_old and has_new and not toast, and the values differ;
 *		0 when the old value is not known
 * is_key	a column of the row key (relation_row_key in record.h)
 */
struct history_col {
	char		*name;
	uint32_t	 type_oid;	/* 0 when the relation is unknown */
	int32_t		 typmod;
	int		 is_key;
	int		 has_old, has_new;
	int		 old_null, new_null, toast, changed;
	char		*old, *new;
	size_t		 old_len, new_len;
};

/*
 * A change in full: its row, every column of its relation (insert, update,
 * delete; ncols 0 otherwise) and for ddl the statement as written with
 * its search_path (the message's raw content when it is not pgtt's JSON),
 * for a message its prefix and whole content.  One malloc'd object, made
 * in one read transaction: free it with history_detail_free.
 */
struct history_detail {
	struct history_row	 row;
	size_t			 ncols;
	struct history_col	*cols;
	char			*sql;		/* ddl, else NULL */
	char			*search_path;	/* ddl, if recorded */
	char			*prefix;	/* message, else NULL */
	char			*content;	/* message, else NULL */
	size_t			 content_len;
};

/*
 * The change with key *pos.  PGTT_ENOTFOUND when there is none, or its
 * transaction is not committed yet.
 */
int	 history_detail(struct journal *, const struct history_pos *,
	    struct history_detail **, struct pgtt_err *);
void	 history_detail_free(struct history_detail *);

/*
 * A break in the history (era.h), which setup writes as a message: shown
 * whole, as the sentence it is.  A source may send a message under the
 * same prefix; it reads the same, and no verb acts on either.
 */
int	 history_is_break(const struct pgtt_change *);
/*
 * The formatters: append to a buf, touch no journal.  max counts
 * characters (a UTF-8 sequence, or a byte that cannot be part of one;
 * SIZE_MAX: no cut); a cut value ends in "...".  Control characters (C0,
 * DEL and C1) become spaces.
 *
 * history_format_value: NULL, (unchanged toast), or the text, between
 * single quotes when it is empty or its shown part holds a space or a
 * quote.
 * history_format_tuple: "name=value" per column, one space between;
 * keys_only keeps only replica identity columns.  rel may be NULL: the
 * columns are then col1, col2, ... and keys_only keeps them all.
 * history_format_line: text on one line, cut at max.
 */
void	 history_format_value(struct buf *, const struct pgtt_col *,
	    size_t max);
void	 history_format_tuple(struct buf *, const struct pgtt_tuple *,
	    const struct pgtt_relation *, int keys_only, size_t max);
void	 history_format_line(struct buf *, const char *, size_t len,
	    size_t max);

#endif
