/*
 * jbatch.c: a write batch is an arena of entries (sub-database, put or
 * delete, key, value) whose bytes are copied in as they are added, so the
 * caller's buffers can be reused at once.  journal.c applies a batch in
 * one LMDB write transaction and retries it whole when the map grows.
 */
#include <stdlib.h>
#include <string.h>

#include "journal-int.h"
#include "journal.h"
#include "xmalloc.h"

/* An empty batch; its memory is reused across commits. */
struct jbatch *
jbatch_new(void)
{
	struct jbatch	*b;

	b = xcalloc(1, sizeof *b);
	buf_init(&b->bytes);
	return b;
}

/* Free a batch, committed or not. */
void
jbatch_free(struct jbatch *b)
{
	if (b == NULL)
		return;
	buf_done(&b->bytes);
	free(b->ents);
	free(b);
}

/* Empty the batch but keep its memory. */
void
jbatch_clear(struct jbatch *b)
{
	buf_reset(&b->bytes);
	b->nents = 0;
	b->count = 0;
}

/* Records put or deleted, not counting index entries. */
size_t
jbatch_count(const struct jbatch *b)
{
	return b->count;
}

/* Key and value bytes, for deciding when to flush. */
size_t
jbatch_bytes(const struct jbatch *b)
{
	return b->bytes.len;
}

/*
 * Add an entry with a copy of its key.  The caller appends the value right
 * after, so an entry's value runs up to the next entry's key.
 */
static struct jent *
jbatch_add(struct jbatch *b, int db, int op, uint64_t k1, int k1len,
    uint64_t k2, int k2len)
{
	struct jent	*ent;
	uint8_t		 key[16];

	if (b->nents == b->cap) {
		b->cap = b->cap == 0 ? 64 : b->cap * 2;
		b->ents = xreallocarray(b->ents, b->cap, sizeof *b->ents);
	}
	if (k1len == 4)
		be32_put(key, (uint32_t)k1);
	else
		be64_put(key, k1);
	if (k2len == 4)
		be32_put(key + k1len, (uint32_t)k2);
	else if (k2len == 8)
		be64_put(key + k1len, k2);
	ent = &b->ents[b->nents++];
	ent->db = db;
	ent->op = op;
	ent->assign_id = 0;
	ent->koff = b->bytes.len;
	ent->klen = k1len + k2len;
	buf_append(&b->bytes, key, ent->klen);
	if (db != DB_BYTIME && db != DB_ROWIDX)
		b->count++;
	return ent;
}

/* Keys and values are stored without their NUL. */
void
jbatch_put_meta(struct jbatch *b, const char *key, const char *value)
{
	struct jent	*ent;

	ent = jbatch_add(b, DB_META, OP_PUT, 0, 0, 0, 0);
	ent->klen = strlen(key);
	buf_append(&b->bytes, key, ent->klen);
	buf_append(&b->bytes, value, strlen(value));
}

/* LSNs go into meta as X/Y text, readable with mdb_dump. */
void
jbatch_put_meta_lsn(struct jbatch *b, const char *key, pgtt_lsn lsn)
{
	char	text[LSN_BUFSIZE];

	jbatch_put_meta(b, key, lsn_format(lsn, text));
}

/* The transaction and its entry in the time index. */
void
jbatch_put_txn(struct jbatch *b, const struct pgtt_txn *t)
{
	jbatch_add(b, DB_TXN, OP_PUT, t->commit_lsn, 8, 0, 0);
	record_encode_txn(&b->bytes, t);
	jbatch_add(b, DB_BYTIME, OP_PUT, time_key(t->commit_time), 8,
	    t->commit_lsn, 8);
}

/* Keyed by commit LSN and sequence. */
void
jbatch_put_change(struct jbatch *b, const struct pgtt_change *ch)
{
	jbatch_add(b, DB_CHANGE, OP_PUT, ch->commit_lsn, 8, ch->seq, 4);
	record_encode_change(&b->bytes, ch);
}

/* The row's identity and the change's key; indexes count as nothing. */
void
jbatch_put_row(struct jbatch *b, uint32_t relid, const void *ident,
    size_t len, pgtt_lsn lsn, uint32_t seq)
{
	struct jent	*ent;
	uint8_t		 key[ROWKEY_MAX];

	ent = jbatch_add(b, DB_ROWIDX, OP_PUT, 0, 0, 0, 0);
	ent->klen = rowidx_key(key, relid, ident, len, lsn, seq);
	buf_append(&b->bytes, key, ent->klen);
}

/* Keyed by relid, commit LSN and the first change it applies to. */
void
jbatch_put_relation(struct jbatch *b, const struct pgtt_relation *r)
{
	struct jent	*ent;
	uint8_t		 seq[4];

	/* Three parts: relid, commit LSN, first seq the version applies to. */
	ent = jbatch_add(b, DB_RELATION, OP_PUT, r->relid, 4, r->lsn, 8);
	be32_put(seq, r->seq);
	buf_append(&b->bytes, seq, sizeof seq);
	ent->klen += sizeof seq;
	record_encode_relation(&b->bytes, r);
}

/* Id 0 is replaced by the next free id inside the commit. */
void
jbatch_put_checkpoint(struct jbatch *b, const struct pgtt_checkpoint *c)
{
	jbatch_add(b, DB_CHECKPOINT, OP_PUT, c->id, 4, 0, 0)->assign_id =
	    c->id == 0;
	record_encode_checkpoint(&b->bytes, c);
}

/* Id 0 is replaced by the next free id inside the commit. */
void
jbatch_put_session(struct jbatch *b, const struct pgtt_session *s)
{
	jbatch_add(b, DB_SESSION, OP_PUT, s->id, 4, 0, 0)->assign_id =
	    s->id == 0;
	record_encode_session(&b->bytes, s);
}

/* A second sample at the same LSN replaces the first. */
void
jbatch_put_seqsample(struct jbatch *b, const struct pgtt_seqsample *smp)
{
	jbatch_add(b, DB_SEQVAL, OP_PUT, smp->lsn, 8, 0, 0);
	record_encode_seqsample(&b->bytes, smp);
}

/* Deleting an id that is not there is not an error. */
void
jbatch_del_checkpoint(struct jbatch *b, uint32_t id)
{
	jbatch_add(b, DB_CHECKPOINT, OP_DEL, id, 4, 0, 0);
}

/* Deleting an id that is not there is not an error. */
void
jbatch_del_session(struct jbatch *b, uint32_t id)
{
	jbatch_add(b, DB_SESSION, OP_DEL, id, 4, 0, 0);
}

