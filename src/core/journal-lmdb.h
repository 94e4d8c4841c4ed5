/*
 * journal-lmdb.h: what journal.c, journal-read.c and journal-iter.c
 * share: the LMDB handles behind a journal and an iterator, and the
 * helpers they read with.  Only these files include <lmdb.h>.
 */
#ifndef PGTT_JOURNAL_LMDB_H
#define PGTT_JOURNAL_LMDB_H

#include <lmdb.h>
#include <pthread.h>

#include "journal-int.h"
#include "journal.h"

struct journal {
	MDB_env			*env;
	MDB_dbi			 dbi[DB_COUNT];
	char			*dir;
	int			 flags;
	pthread_mutex_t		 mtx;		/* guards the counts below */
	pthread_cond_t		 cond;
	unsigned int		 txns;		/* transactions open */
	unsigned int		 waiting;	/* resizes waiting for txns */
	int			 resizing;
	/* Where the map lies, once map_range found it; until a resize. */
	int			 map_known;
	uintptr_t		 map_start, map_end;
	int			 has_rowidx;	/* this process opened the index */
	int			 has_seqval;	/* a reader of an older journal
						   may find no samples */
	pgtt_lsn		 rowidx_since;
	pgtt_lsn		 truncidx_since;	/* truncates filed too */
};

/*
 * pos is the position of journal.h, big-endian like the keys; past means
 * one beyond the greatest key there can be.  at says where the cursor is:
 * on the change next just returned (greatest < pos), on the one prev just
 * returned (least >= pos), or nowhere useful.
 */
enum iter_at { AT_NONE, AT_NEXT, AT_PREV };

struct journal_iter {
	struct journal	*j;
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_cursor	*rowcur;	/* row index; opened on first use */
	MDB_cursor	*getcur;	/* changes by key; opened on first use */
	uint8_t		 pos[12];
	int		 past;
	enum iter_at	 at;
};

/* Report an LMDB failure rc: what we tried, where, and LMDB's words. */
int	jl_err(const struct journal *, struct pgtt_err *, int code, int rc,
	    const char *what);
/* A key of the wrong size: the file is not what we wrote. */
int	jl_bad_key(const struct journal *, struct pgtt_err *, int db);
/* Say where a record that failed to decode lives; returns e->code. */
int	jl_decode_failed(const struct journal *, struct pgtt_err *, int db);
/*
 * Begin a transaction, counted until jl_txn_end so the map is never
 * resized under it, adopting a map another process grew.
 */
int	jl_txn_begin(struct journal *, unsigned int flags, MDB_txn **,
	    struct pgtt_err *);
/* End a read transaction, or a write transaction that failed. */
void	jl_txn_end(struct journal *, MDB_txn *);
/* One transaction by its exact commit LSN, inside txn. */
int	jl_txn_get_in(struct journal *, MDB_txn *, pgtt_lsn,
	    struct pgtt_txn **, struct pgtt_err *);
/* The relation version change (lsn, seq) is read with, inside txn. */
int	jl_relation_at_in(struct journal *, MDB_txn *, uint32_t relid,
	    pgtt_lsn lsn, uint32_t seq, struct pgtt_relation **,
	    struct pgtt_err *);

enum seek_mode { SEEK_GE, SEEK_LT, SEEK_LE };

/* Put cur on the least key >= key, the greatest < key or <= key. */
int	jl_cursor_seek(MDB_cursor *, const uint8_t *key, size_t klen,
	    enum seek_mode, MDB_val *k, MDB_val *v);

#endif
