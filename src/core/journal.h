/*
 * journal.h: the LMDB journal of one source (DESIGN.md, "The journal").
 * Only journal.c includes <lmdb.h>.
 *
 * Threads: one writer at a time (the listener); any number of readers.
 * Every read function opens and closes its own short read transaction and
 * returns copies, except an iterator, which holds one read transaction
 * between open and close: close it before blocking on anything.  Growing
 * the map waits until no transaction of this process is open, and holds
 * back new ones meanwhile (a thread that already has one may nest more).
 * A commit that must grow the map while its own thread holds an iterator
 * fails with PGTT_EMAPFULL rather than wait for itself.  Open a directory
 * at most once per process (an LMDB rule) and share the handle.
 */
#ifndef PGTT_JOURNAL_H
#define PGTT_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "lsn.h"
#include "record.h"

#define JOURNAL_FORMAT	3	/* bump on any incompatible change */

struct journal;
struct jbatch;
struct journal_iter;

enum {
	JOURNAL_READONLY = 0x01,	/* open for reading only */
	JOURNAL_CREATE = 0x02,		/* create the directory and env if absent */
};

/*
 * Open the journal in directory dir.  Without JOURNAL_CREATE a missing
 * journal is PGTT_ENOTFOUND.  A journal written by an incompatible pgtt is
 * PGTT_EVERSION with both format numbers in the message.  The directory is
 * made 0700 and the LMDB files 0600.  map_size is the initial map size; an
 * existing larger map is kept.
 */
int	 journal_open(struct journal **, const char *dir, uint64_t map_size,
	    int flags, struct pgtt_err *);
void	 journal_close(struct journal *);
const char *journal_dir(const struct journal *);
/*
 * Unmap the journal pages this process has read, which stay in the page
 * cache: a walk over a million changes maps hundreds of MB that count as
 * its memory until then.  Readers copy values out before their transaction
 * ends (see below), so nothing points into those pages; the next read maps
 * them again from the cache.
 */
void	 journal_forget_pages(struct journal *);
/* 1 if dir holds a journal (data.mdb exists), else 0. */
int	 journal_exists(const char *dir);

/* Meta values are text.  Missing key: PGTT_ENOTFOUND, *value untouched. */
int	 journal_meta_get(struct journal *, const char *key, char **value,
	    struct pgtt_err *);
int	 journal_meta_get_lsn(struct journal *, const char *key, pgtt_lsn *,
	    struct pgtt_err *);

/*
 * Writes go through a batch: the caller fills it, journal_commit writes it
 * in one LMDB write transaction.  On MDB_MAP_FULL the transaction is
 * aborted, the map doubled and the same batch retried, so a commit either
 * stores all of the batch or none of it.  The batch is emptied on success
 * and kept on failure.  Puts copy their input.
 */
struct jbatch *jbatch_new(void);
void	 jbatch_free(struct jbatch *);
void	 jbatch_clear(struct jbatch *);
size_t	 jbatch_count(const struct jbatch *);
size_t	 jbatch_bytes(const struct jbatch *);
void	 jbatch_put_meta(struct jbatch *, const char *key, const char *value);
void	 jbatch_put_meta_lsn(struct jbatch *, const char *key, pgtt_lsn);
/* Also writes the bytime index entry. */
void	 jbatch_put_txn(struct jbatch *, const struct pgtt_txn *);
void	 jbatch_put_change(struct jbatch *, const struct pgtt_change *);
void	 jbatch_put_relation(struct jbatch *, const struct pgtt_relation *);
/*
 * The row index: under the identity (record_row_ident) of each row an
 * insert, update or delete touched, the change's key.  The writer puts
 * one entry per identity the change names (an update of a row's key
 * names two), in the same batch as the change.
 */
void	 jbatch_put_row(struct jbatch *, uint32_t relid, const void *ident,
	    size_t len, pgtt_lsn, uint32_t seq);
/* id 0 gets the next free id at commit. */
void	 jbatch_put_checkpoint(struct jbatch *, const struct pgtt_checkpoint *);
void	 jbatch_put_session(struct jbatch *, const struct pgtt_session *);
/* Keyed by the sample's LSN (record.h, struct pgtt_seqsample). */
void	 jbatch_put_seqsample(struct jbatch *, const struct pgtt_seqsample *);
void	 jbatch_del_checkpoint(struct jbatch *, uint32_t id);
void	 jbatch_del_session(struct jbatch *, uint32_t id);
int	 journal_commit(struct journal *, struct jbatch *, struct pgtt_err *);
/*
 * Is the journal still the file on disk?  One deleted or replaced under
 * a writer takes commits that no one will ever read: PGTT_EJOURNAL then,
 * and nothing written since may be confirmed to the server.
 */
int	 journal_check_on_disk(struct journal *, struct pgtt_err *);

struct journal_stats {
	uint64_t	 transactions;
	uint64_t	 changes;
	uint64_t	 relations;	/* relation versions */
	uint64_t	 checkpoints;
	uint64_t	 sessions;
	pgtt_lsn	 first_lsn;	/* first commit LSN; 0 if none */
	pgtt_lsn	 last_lsn;	/* last commit LSN; 0 if none */
	uint64_t	 file_size;	/* bytes of data.mdb on disk */
	uint64_t	 map_size;
};
int	 journal_stats(struct journal *, struct journal_stats *,
	    struct pgtt_err *);

/* Transaction by exact commit LSN; PGTT_ENOTFOUND if absent. */
int	 journal_txn_get(struct journal *, pgtt_lsn, struct pgtt_txn **,
	    struct pgtt_err *);
/* The relation version change (lsn, seq) is read with: greatest key <= it. */
/*
 * Has any version of any relation had this name (schema NULL: in any
 * schema)?  1 or 0, or a negative PGTT_E* code.
 */
int	 journal_relation_named(struct journal *, const char *schema,
	    const char *name, struct pgtt_err *);
/* The same, and the table's relid: the newest table that had the name. */
int	 journal_relation_find(struct journal *, const char *schema,
	    const char *name, uint32_t *relid, struct pgtt_err *);
/* Every relid that had the name at some version; free(*relids). */
int	 journal_relation_find_all(struct journal *, const char *schema,
	    const char *name, uint32_t **relids, size_t *n,
	    struct pgtt_err *);
int	 journal_relation_at(struct journal *, uint32_t relid, pgtt_lsn,
	    uint32_t seq, struct pgtt_relation **, struct pgtt_err *);
/*
 * The newest sequence sample at or before lsn (free() it); PGTT_ENOTFOUND
 * if there is none.
 */
int	 journal_seqsample_at(struct journal *, pgtt_lsn,
	    struct pgtt_seqsample **, struct pgtt_err *);
/* First transaction committed at or after lsn; PGTT_ENOTFOUND if none. */
int	 journal_seek_lsn(struct journal *, pgtt_lsn, pgtt_lsn *commit_lsn,
	    struct pgtt_err *);
/* Last transaction committed before lsn; PGTT_ENOTFOUND if none. */
int	 journal_seek_before_lsn(struct journal *, pgtt_lsn,
	    pgtt_lsn *commit_lsn, struct pgtt_err *);
/* First transaction whose commit time is >= t (µs since 2000-01-01). */
int	 journal_seek_time(struct journal *, int64_t t, pgtt_lsn *commit_lsn,
	    struct pgtt_err *);

/*
 * Changes in key order, both ways, inside one read transaction (a snapshot:
 * nothing committed after open is seen).  The iterator keeps a position,
 * a change key (commit LSN, sequence) that need not exist:
 *
 *   open(from)	position = (from, 0); with from = UINT64_MAX that is
 *		past every real change, so prev walks back from the newest
 *   seek(l, s)	position = (l, s); cannot fail, returns 0
 *   next	returns the first change with key >= position, and sets
 *		position = that key + 1: (l, s + 1), or (l + 1, 0) when s
 *		is UINT32_MAX, or past everything after the greatest key
 *   prev	returns the greatest change with key < position, and sets
 *		position = that key
 *
 * So next then prev return the same change, as do prev then next.  next
 * and prev return 1 and a malloc'd change (free() it), 0 when there is
 * none that way (the position is then unchanged), or a negative code.
 * Consecutive steps, either way, move the cursor by one; the first step
 * after open, a seek or an end costs one B-tree descent.
 */
int	 journal_iter_open(struct journal *, pgtt_lsn from,
	    struct journal_iter **, struct pgtt_err *);
int	 journal_iter_seek(struct journal_iter *, pgtt_lsn, uint32_t seq,
	    struct pgtt_err *);
int	 journal_iter_next(struct journal_iter *, struct pgtt_change **,
	    struct pgtt_err *);
int	 journal_iter_prev(struct journal_iter *, struct pgtt_change **,
	    struct pgtt_err *);
/*
 * journal_txn_get and journal_relation_at inside the iterator's read
 * transaction: they see the same snapshot as the changes, and cost no
 * transaction of their own.
 */
int	 journal_iter_txn_get(struct journal_iter *, pgtt_lsn,
	    struct pgtt_txn **, struct pgtt_err *);
int	 journal_iter_relation_at(struct journal_iter *, uint32_t relid,
	    pgtt_lsn, uint32_t seq, struct pgtt_relation **,
	    struct pgtt_err *);
/* The change with key (lsn, seq) in the iterator's snapshot. */
int	 journal_iter_change_get(struct journal_iter *, pgtt_lsn, uint32_t seq,
	    struct pgtt_change **, struct pgtt_err *);
/* 1 if a transaction committed at lsn is in the snapshot, else 0. */
int	 journal_iter_txn_exists(struct journal_iter *, pgtt_lsn);
/*
 * The newest change keyed before (*lsn, *seq) that the row index files
 * under (relid, ident); its key goes to *lsn, *seq.  Returns 1, 0 when
 * there is none (or no index), or a negative code.  A long identity is
 * filed under a hash, so the change may be another row's: check it.
 */
int	 journal_iter_row_prev(struct journal_iter *, uint32_t relid,
	    const void *ident, size_t len, pgtt_lsn *lsn, uint32_t *seq,
	    struct pgtt_err *);
/*
 * For each row the row index files under relid, the newest change keyed
 * before (lsn, seq) that names it: fn gets the row's key part (of
 * journal_row_prefix's form) and that change's key; a non-zero return
 * stops the pass and is returned.  Rows are handed out in key order.
 */
typedef int journal_row_fn(void *arg, const uint8_t *prefix, size_t plen,
    pgtt_lsn, uint32_t seq);
int	 journal_iter_rows_before(struct journal_iter *, uint32_t relid,
	    pgtt_lsn, uint32_t seq, journal_row_fn *, void *,
	    struct pgtt_err *);
/*
 * The same from the row after the one whose key part (prefix, plen, as
 * fn got it) is after: a pass stopped by fn goes on from there.
 */
int	 journal_iter_rows_after(struct journal_iter *, uint32_t relid,
	    const uint8_t *after, size_t alen, pgtt_lsn, uint32_t seq,
	    journal_row_fn *, void *, struct pgtt_err *);
/*
 * Every change the row index files under relid with key before (lsn,
 * seq), in index order (by row, then by change; one filed under two rows
 * comes twice): a table's changes, rows and truncates, from
 * journal_truncidx_since on.  A non-zero return from fn stops the pass.
 */
typedef int journal_change_fn(void *arg, pgtt_lsn, uint32_t seq);
int	 journal_iter_rel_changes(struct journal_iter *, uint32_t relid,
	    pgtt_lsn, uint32_t seq, journal_change_fn *, void *,
	    struct pgtt_err *);
/*
 * The row index's key part for (relid, identity) into key, which holds
 * JOURNAL_ROWKEY_MAX bytes; returns its length.
 */
#define JOURNAL_ROWKEY_MAX	(480 + 12)
size_t	 journal_row_prefix(uint8_t *key, uint32_t relid, const void *ident,
	    size_t len);
void	 journal_iter_close(struct journal_iter *);

/*
 * Every change committed at or after this LSN is in the row index: 0 for
 * journal that has had it from the start, the head at the time for one an
 * older pgtt wrote, UINT64_MAX when this process sees no index.
 */
pgtt_lsn journal_rowidx_since(struct journal *);
/*
 * Every truncate committed at or after this LSN is in the row index too,
 * under JOURNAL_TRUNCATE_IDENT for each table it names: from there on a
 * table's part of the index lists all its changes.  The identity is one
 * 0xff byte, which no row's begins with (a column kind), so a table's
 * truncates sort together after all its rows.
 */
#define JOURNAL_TRUNCATE_IDENT		"\xff"
#define JOURNAL_TRUNCATE_IDENT_LEN	1
pgtt_lsn journal_truncidx_since(struct journal *);

/* All checkpoints / sessions in id order; free each element, then the array. */
int	 journal_checkpoints(struct journal *, struct pgtt_checkpoint ***,
	    size_t *, struct pgtt_err *);
int	 journal_sessions(struct journal *, struct pgtt_session ***, size_t *,
	    struct pgtt_err *);

/* The active session's id (0 when none), as session_switch left it. */
uint32_t journal_active_session(struct journal *);

#endif
