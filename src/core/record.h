/*
 * record.h: the journal's records in memory, and their compact binary
 * encoding.  Encoded records are what LMDB stores as values; keys are built
 * by journal.c.
 *
 * A decoded record is one malloc'd block: the struct, its arrays and its
 * strings live together, so one free() releases all of it and a record
 * copied out of an LMDB read transaction outlives that transaction.
 */
#ifndef PGTT_RECORD_H
#define PGTT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "lsn.h"

/* What one column of a tuple holds. */
enum col_kind {
	COL_NULL = 'n',
	COL_TOAST = 'u',	/* unchanged TOASTed value: not sent */
	COL_TEXT = 't',		/* PostgreSQL's text form, len bytes */
};

struct pgtt_col {
	enum col_kind	 kind;
	uint32_t	 len;	/* COL_TEXT only; value may hold NUL bytes */
	const char	*val;	/* COL_TEXT only; not NUL-terminated */
};

struct pgtt_tuple {
	uint16_t	 ncols;
	struct pgtt_col	*cols;
};

enum change_kind {
	CHANGE_INSERT = 1,
	CHANGE_UPDATE,
	CHANGE_DELETE,
	CHANGE_TRUNCATE,
	CHANGE_DDL,
	CHANGE_MESSAGE,
};

enum old_kind {
	OLD_NONE = 0,		/* no old data sent */
	OLD_KEY = 'K',		/* replica identity columns only */
	OLD_FULL = 'O',		/* the whole old row */
};

struct pgtt_change {
	pgtt_lsn	 commit_lsn;	/* key, with seq */
	uint32_t	 seq;		/* order inside the transaction */
	enum change_kind kind;
	uint32_t	 relid;		/* insert/update/delete */
	enum old_kind	 old_kind;
	struct pgtt_tuple old;		/* valid when old_kind != OLD_NONE */
	struct pgtt_tuple new;		/* insert/update */
	uint32_t	 nrelids;	/* truncate */
	uint32_t	*relids;	/* truncate */
	uint8_t		 truncate_flags; /* 1 cascade, 2 restart identity */
	const char	*prefix;	/* ddl/message: NUL-terminated */
	uint32_t	 content_len;	/* ddl/message */
	const char	*content;	/* ddl/message; not NUL-terminated */
};

#define TXN_HAS_DDL	0x01

struct pgtt_txn {
	pgtt_lsn	 commit_lsn;	/* key */
	pgtt_lsn	 end_lsn;
	uint32_t	 xid;
	int64_t		 commit_time;	/* µs since 2000-01-01 UTC */
	uint32_t	 nchanges;
	uint32_t	 flags;		/* TXN_* */
};

struct pgtt_column_def {
	const char	*name;
	uint32_t	 type_oid;
	int32_t		 typmod;
	uint8_t		 is_key;	/* replica identity, as pgoutput flags it */
	uint8_t		 row_key;	/* names the row (relation_row_key) */
};

struct pgtt_relation {
	uint32_t	 relid;		/* key, with lsn and seq */
	pgtt_lsn	 lsn;		/* first seen in the txn with this commit LSN */
	uint32_t	 seq;		/* ... for its changes from this seq on */
	pgtt_lsn	 next_lsn;	/* the next version's lsn and seq, */
	uint32_t	 next_seq;	/* or UINT64_MAX: set by the journal */
	const char	*schema;
	const char	*name;
	char		 replident;	/* 'd', 'n', 'f', 'i' */
	uint16_t	 ncols;
	struct pgtt_column_def *cols;
};

struct pgtt_checkpoint {
	uint32_t	 id;		/* key; 0 = assign on commit */
	const char	*name;
	const char	*description;	/* may be "" */
	pgtt_lsn	 lsn;
	int64_t		 created_at;	/* µs since 2000-01-01 UTC */
	uint32_t	 session_id;	/* 0 = none */
	uint8_t		 fixed;		/* creation, migration */
};

struct pgtt_session {
	uint32_t	 id;		/* key; 0 = assign on commit */
	const char	*name;
	const char	*description;
	const char	*database;
	const char	*replica_dsn;	/* may be "" */
	int64_t		 created_at;
	pgtt_lsn	 replayed_to;
};

/*
 * One sequence as a sample read it.  last_value is what the next nextval
 * goes on from when is_called, else what it returns.
 */
struct pgtt_seqval {
	const char	*schema;
	const char	*name;
	int64_t		 last_value;
	uint8_t		 is_called;	/* or SEQVAL_UNKNOWN */
};

/* is_called of a sequence the sampling role may not read: no value. */
#define SEQVAL_UNKNOWN	2

/*
 * The source's sequences at one moment (logical decoding carries none):
 * every sequence the sampling role could read, and the source's WAL
 * insert position read just before them, the key.
 */
struct pgtt_seqsample {
	pgtt_lsn	 lsn;		/* key */
	int64_t		 taken_at;	/* µs since 2000-01-01 UTC */
	uint32_t	 n;
	struct pgtt_seqval *seqs;	/* in schema, name order */
};

/* Encoders append to out; they cannot fail. */
void	record_encode_change(struct buf *, const struct pgtt_change *);
void	record_encode_txn(struct buf *, const struct pgtt_txn *);
void	record_encode_relation(struct buf *, const struct pgtt_relation *);
void	record_encode_checkpoint(struct buf *, const struct pgtt_checkpoint *);
void	record_encode_session(struct buf *, const struct pgtt_session *);
void	record_encode_seqsample(struct buf *, const struct pgtt_seqsample *);

/*
 * Decoders read len bytes and return one malloc'd block (free() it), or
 * NULL with PGTT_ECORRUPT in err when the bytes are not a valid record.
 * Key fields (commit_lsn, seq, relid+lsn, id) are not in the value; the
 * journal fills them from the key.
 */
struct pgtt_change	*record_decode_change(const void *, size_t, struct pgtt_err *);
struct pgtt_txn		*record_decode_txn(const void *, size_t, struct pgtt_err *);
struct pgtt_relation	*record_decode_relation(const void *, size_t, struct pgtt_err *);
struct pgtt_checkpoint	*record_decode_checkpoint(const void *, size_t, struct pgtt_err *);
struct pgtt_session	*record_decode_session(const void *, size_t, struct pgtt_err *);
struct pgtt_seqsample	*record_decode_seqsample(const void *, size_t, struct pgtt_err *);

const char	*change_kind_name(enum change_kind);	/* "insert", ... */

/*
 * The identity of a row, appended to out: for each column is_key[] flags
 * (every column when none of the nflags is set), its kind, and for a text
 * value its length (u32, big-endian) and bytes.  Column names and
 * positions are left out, so adding, dropping or renaming other columns
 * keeps a row's identity.  The diff fold and the journal's row index
 * (journal.h) use the same bytes.
 */
void	record_row_ident(struct buf *out, const struct pgtt_tuple *,
	    const uint8_t *is_key, size_t nflags);
/*
 * The columns that name a row of rel, one flag each into keys[ncols]:
 * its row key when the capture found one in the catalog (the primary key,
 * else a unique index on NOT NULL columns), else its replica identity
 * columns.  Under REPLICA IDENTITY FULL pgoutput flags every column, and
 * a row matched by all of them would turn each update into a delete and
 * an insert.  Returns 1 when the row key was used.
 */
int	relation_row_key(const struct pgtt_relation *, uint8_t *keys);
/*
 * The columns of rel that name a row the way keyrel (another version of
 * the same table) names it, by column name: a table whose key came after
 * its data (pg_dump's order) names its early rows by the later key.
 * rel's own row key where keyrel has none or rel lacks one of its
 * columns.
 */
void	relation_row_key_as(const struct pgtt_relation *rel,
	    const struct pgtt_relation *keyrel, uint8_t *keys);
/*
 * record_row_ident of t, a row of rel, named as keyrel names rows
 * (relation_row_key_as; keyrel NULL: by rel's own row key), into out
 * (emptied first).
 */
void	record_row_ident_as(struct buf *out, const struct pgtt_tuple *t,
	    const struct pgtt_relation *rel,
	    const struct pgtt_relation *keyrel);
/* Is column i of rel among those relation_row_key flags? */
int	relation_is_row_key(const struct pgtt_relation *, uint16_t i);

/*
 * Why changes to a relation are captured in part (INSERT and TRUNCATE
 * only), or NULL when it has a usable replica identity: from its
 * relreplident and whether any column is flagged as key.
 */
const char *record_identity_gap(char replident, int has_key);
const char *relation_identity_gap(const struct pgtt_relation *);

/* Free an array of decoded records (a list a lookup returned). */
void	record_free_list(void **, size_t);

#endif
