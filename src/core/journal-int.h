/*
 * journal-int.h: what journal.c and jbatch.c share and nobody else sees:
 * the sub-database numbers, the layout of a batch, and the big-endian key
 * encoding that makes LMDB's byte order history order.  No LMDB types
 * here: a batch is filled without LMDB and applied by journal.c.
 */
#ifndef PGTT_JOURNAL_INT_H
#define PGTT_JOURNAL_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hash.h"
#include "journal.h"
#include "record.h"

enum {
	DB_META,
	DB_TXN,
	DB_CHANGE,
	DB_RELATION,
	DB_BYTIME,
	DB_CHECKPOINT,
	DB_SESSION,
	DB_ROWIDX,
	DB_SEQVAL,
	DB_COUNT
};

enum { OP_PUT, OP_DEL };

/* One write in a batch; its key and value live in the batch's bytes. */
struct jent {
	uint8_t		 db;
	uint8_t		 op;
	uint8_t		 assign_id;	/* key is an id to pick at commit */
	size_t		 koff, klen;	/* the value follows the key */
};

struct jbatch {
	struct buf	 bytes;
	struct jent	*ents;
	size_t		 nents, cap;
	size_t		 count;		/* records put or deleted */
};

/* Big-endian so byte order is numeric order. */
static inline void
be32_put(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Big-endian so byte order is numeric order. */
static inline void
be64_put(uint8_t *p, uint64_t v)
{
	be32_put(p, (uint32_t)(v >> 32));
	be32_put(p + 4, (uint32_t)v);
}

/* The inverse of be32_put. */
static inline uint32_t
be32_get(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	    ((uint32_t)p[2] << 8) | p[3];
}

/* The inverse of be64_put. */
static inline uint64_t
be64_get(const uint8_t *p)
{
	return ((uint64_t)be32_get(p) << 32) | be32_get(p + 4);
}

/*
 * The row index's key: relid, the row's identity (record_row_ident), then
 * the change's commit LSN and sequence, all big-endian, with an empty
 * value.  So one row's entries are neighbours in history order, and rows
 * inserted in key order (a serial primary key: an identity holds a
 * value's length before its bytes) append at the end of the index.  An
 * identity too long for an LMDB key goes in as a 0 byte, its length and a
 * hash; an identity's first byte is a column kind, never 0, so the two
 * forms cannot meet, but two long identities can share a hash, which is
 * why a reader checks the change it finds.
 */
#define ROWKEY_MAX	JOURNAL_ROWKEY_MAX

/* The key's row part; returns its length. */
static inline size_t
rowidx_prefix(uint8_t *key, uint32_t relid, const void *id, size_t len)
{
	be32_put(key, relid);
	if (4 + len <= ROWKEY_MAX - 12) {
		memcpy(key + 4, id, len);
		return 4 + len;
	}
	key[4] = 0;
	be32_put(key + 5, (uint32_t)len);
	be64_put(key + 9, hash_bytes(HASH_INIT, id, len));
	return 17;
}

/* The whole key; returns its length. */
static inline size_t
rowidx_key(uint8_t *key, uint32_t relid, const void *id, size_t len,
    uint64_t lsn, uint32_t seq)
{
	size_t	n = rowidx_prefix(key, relid, id, len);

	be64_put(key + n, lsn);
	be32_put(key + n + 8, seq);
	return n + 12;
}

/* Signed times sort as unsigned once the sign bit is flipped. */
static inline uint64_t
time_key(int64_t t)
{
	return (uint64_t)t ^ ((uint64_t)1 << 63);
}

#endif
