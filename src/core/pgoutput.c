/*
 * pgoutput.c: decoding one pgoutput logical replication message.
 *
 * A payload is one message: a type byte, then fixed-size integers in
 * network byte order, NUL-terminated strings and counted arrays.  The
 * reader below is a cursor over [buf, buf + len) whose first failure
 * sticks: after it every read returns zeros and moves nothing, so each
 * message decoder reads its fields straight through and checks once, at
 * the end, that nothing failed and nothing is left over.  Strings and
 * column values are never copied: they point into the input, and a string
 * is accepted only when its NUL lies inside the input.  Arrays go to
 * scratch buffers the decoder owns, grows and never shrinks; every count
 * read from the input is first checked against the bytes left, each
 * element needing at least its smallest encoding, so hostile input cannot
 * make the decoder allocate more than a small multiple of its own size.
 * The only state carried from one message to the next is whether a Stream
 * Start is open, because inside a stream block the data messages carry an
 * extra xid.  A failed decode leaves that state as it was.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgoutput.h"
#include "xmalloc.h"

/* Smallest encodings, used to bound counts read from the input. */
#define MIN_VALUE_SIZE	1	/* the kind byte of 'n' or 'u' */
#define MIN_COLUMN_SIZE	10	/* flags, "" name, type oid, typmod */
#define RELID_SIZE	4

/* Stream Abort gained an abort LSN and time in this protocol version. */
#define PROTO_PARALLEL	4

struct pgo_decoder {
	int			 proto_version;
	int			 in_stream;

	/* Scratch arrays handed out in events; valid until the next call. */
	struct pgo_value	*oldv;
	size_t			 oldcap;
	struct pgo_value	*newv;
	size_t			 newcap;
	struct pgo_column	*cols;
	size_t			 colcap;
	uint32_t		*relids;
	size_t			 relcap;
};

/* The input being read; the first failure sticks and stops all reads. */
struct rd {
	const uint8_t	*buf;
	size_t		 len;
	size_t		 off;
	const char	*name;		/* the message type, for errors */
	int		 failed;
	size_t		 bad_at;	/* where the failed read started */
	char		 why[128];	/* "" when the input merely ran out */
};

/* One row per message type pgtt understands. */
struct msgtype {
	uint8_t		 type;
	const char	*name;
	int		 streamed;	/* carries an xid inside a stream */
	int		(*decode)(struct pgo_decoder *, struct rd *,
			    struct pgo_event *, struct pgtt_err *);
};

/* Name a byte for a message: 'x' when printable, else 0x1f. */
static const char *
byte_name(uint8_t c, char *buf, size_t size)
{
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, size, "'%c'", c);
	else
		snprintf(buf, size, "0x%02x", c);
	return buf;
}

/* Record the first failure; later ones are consequences of it. */
static void __attribute__((format(printf, 3, 4)))
rd_fail(struct rd *r, size_t at, const char *fmt, ...)
{
	va_list	ap;

	if (r->failed)
		return;
	r->failed = 1;
	r->bad_at = at;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
}

/* Bytes not yet read; none once a read has failed. */
static size_t
rd_left(const struct rd *r)
{
	return r->failed ? 0 : r->len - r->off;
}

/* Whether n more bytes can be read; if not, the input is truncated. */
static int
rd_need(struct rd *r, size_t n)
{
	if (r->failed)
		return 0;
	if (r->len - r->off < n) {
		r->failed = 1;
		r->bad_at = r->off;
		return 0;
	}
	return 1;
}

/* The integer readers return 0 once the input has failed. */
static uint8_t
rd_u8(struct rd *r)
{
	if (!rd_need(r, 1))
		return 0;
	return r->buf[r->off++];
}

/* An Int16 in network byte order. */
static uint16_t
rd_u16(struct rd *r)
{
	const uint8_t	*p;

	if (!rd_need(r, 2))
		return 0;
	p = r->buf + r->off;
	r->off += 2;
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* An Int32 in network byte order. */
static uint32_t
rd_u32(struct rd *r)
{
	const uint8_t	*p;

	if (!rd_need(r, 4))
		return 0;
	p = r->buf + r->off;
	r->off += 4;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* An Int64 in network byte order, as two Int32 halves. */
static uint64_t
rd_u64(struct rd *r)
{
	uint64_t	hi;

	hi = rd_u32(r);
	return hi << 32 | rd_u32(r);
}

/* A NUL-terminated string inside the input, or NULL after a failure. */
static const char *
rd_string(struct rd *r)
{
	const uint8_t	*p, *nul;

	if (r->failed)
		return NULL;
	p = r->buf + r->off;
	if ((nul = memchr(p, '\0', r->len - r->off)) == NULL) {
		rd_fail(r, r->off, "unterminated string");
		return NULL;
	}
	r->off += (size_t)(nul - p) + 1;
	return (const char *)p;
}

/* n raw bytes inside the input, or NULL after a failure. */
static const char *
rd_bytes(struct rd *r, size_t n)
{
	const uint8_t	*p;

	if (!rd_need(r, n))
		return NULL;
	p = r->buf + r->off;
	r->off += n;
	return (const char *)p;
}

/* An Int32 length, which the protocol never sends negative. */
static uint32_t
rd_len(struct rd *r)
{
	size_t	at = r->off;
	int32_t	len;

	len = (int32_t)rd_u32(r);
	if (len < 0) {
		rd_fail(r, at, "negative length %d", (int)len);
		return 0;
	}
	return (uint32_t)len;
}

/* A tag byte announcing a tuple; want lists the acceptable ones. */
static uint8_t
rd_tag(struct rd *r, const char *want, const char *wanted)
{
	size_t	at = r->off;
	uint8_t	c;
	char	name[8];

	c = rd_u8(r);
	if (!r->failed && (c == '\0' || strchr(want, c) == NULL)) {
		rd_fail(r, at, "unexpected tuple tag %s (expected %s)",
		    byte_name(c, name, sizeof name), wanted);
		return 0;
	}
	return c;
}

/* Turn the reader's state into the result of decoding one message. */
static int
rd_finish(const struct rd *r, struct pgtt_err *e)
{
	if (r->failed && r->why[0] == '\0')
		return err_set(e, PGTT_ECORRUPT,
		    "truncated pgoutput %s message at byte %zu of %zu",
		    r->name, r->bad_at, r->len);
	if (r->failed)
		return err_set(e, PGTT_ECORRUPT,
		    "%s in pgoutput %s message at byte %zu of %zu",
		    r->why, r->name, r->bad_at, r->len);
	if (r->off != r->len)
		return err_set(e, PGTT_ECORRUPT,
		    "trailing bytes after pgoutput %s message at byte %zu "
		    "of %zu", r->name, r->off, r->len);
	return 0;
}

/* Make a scratch array hold n elements; its contents need not survive. */
static void *
grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n <= *cap)
		return p;
	if (n < *cap * 2)
		n = *cap * 2;
	p = xreallocarray(p, n, size);
	*cap = n;
	return p;
}

/* TupleData into one of the decoder's two value arrays. */
static void
rd_tuple(struct rd *r, struct pgo_value **vals, size_t *cap,
    struct pgo_tuple *t)
{
	struct pgo_value	*v;
	size_t			 at = r->off;
	uint16_t		 i, n;
	char			 name[8];

	n = rd_u16(r);
	if ((size_t)n * MIN_VALUE_SIZE > rd_left(r)) {
		rd_fail(r, at, "column count %u exceeds the %zu bytes left",
		    (unsigned)n, rd_left(r));
		return;
	}
	*vals = grow(*vals, cap, n, sizeof **vals);
	t->ncols = n;
	t->values = *vals;
	for (i = 0; i < n && !r->failed; i++) {
		v = &(*vals)[i];
		at = r->off;
		v->kind = (char)rd_u8(r);
		v->len = 0;
		v->data = NULL;
		switch (v->kind) {
		case 'n':
		case 'u':
			break;
		case 't':
		case 'b':
			v->len = rd_len(r);
			v->data = rd_bytes(r, v->len);
			break;
		default:
			if (!r->failed)
				rd_fail(r, at, "unknown tuple column kind %s",
				    byte_name((uint8_t)v->kind, name,
				    sizeof name));
			break;
		}
	}
}

/* Begin: final LSN, commit time, xid. */
static int
dec_begin(struct pgo_decoder *d, struct rd *r, struct pgo_event *ev,
    struct pgtt_err *e)
{
	(void)d;
	ev->u.begin.final_lsn = rd_u64(r);
	ev->u.begin.commit_time = (int64_t)rd_u64(r);
	ev->xid = rd_u32(r);
	return rd_finish(r, e);
}

/* Commit: flags, commit LSN, end LSN, commit time. */
static int
dec_commit(struct pgo_decoder *d, struct rd *r, struct pgo_event *ev,
    struct pgtt_err *e)
{
	(void)d;
	ev->u.commit.flags = rd_u8(r);
	ev->u.commit.commit_lsn = rd_u64(r);
	ev->u.commit.end_lsn = rd_u64(r);
	ev->u.commit.commit_time = (int64_t)rd_u64(r);
	return rd_finish(r, e);
}

/* Origin: the commit LSN on the origin and the origin's name. */
static int
dec_origin(struct pgo_decoder *d, struct rd *r, struct pgo_event *ev,
    struct pgtt_err *e)
{
	(void)d;
	ev->u.origin.lsn = rd_u64(r);
	ev->u.origin.name = rd_string(r);
	return rd_finish(r, e);
}

/* Relation: names, replica identity and the published columns. */
static int
dec_relation(struct pgo_decoder *d, struct rd *r, struct pgo_event *ev,
    struct pgtt_err *e)
{
	struct pgo_column	*c;
	size_t			 at;
	uint16_t		 i, n;

	ev->u.relation.relid = rd_u32(r);
	ev->u.relation.nspname = rd_string(r);
	ev->u.relation.relname = rd_string(r);
	ev->u.relation.replident = (char)rd_u8(r);
	at = r->off;
	n = rd_u16(r);
	if ((size_t)n * MIN_COLUMN_SIZE > rd_left(r)) {
		rd_fail(r, at, "column count %u exceeds the %zu bytes left",
		    (unsigned)n, rd_left(r));
		return rd_finish(r, e);
	}
	d->cols = grow(d->cols, &d->colcap, n, sizeof *d->cols);
	ev->u.relation.ncols = n;
	ev->u.relation.cols = d->cols;
	for (i = 0; i < n && !r->failed; i++) {
		c = &d->cols[i];
		c->flags = rd_u8(r);
		c->name = rd_string(r);
		c->type_oid = rd_u32(r);
		c->typmod = (int32_t)rd_u32(r);
	}
	return rd_finish(r, e);
}

/* Type: a non-built-in type's oid and qualified name. */
static int
dec_type(struct pgo_decoder *d, struct rd *r, struct pgo_event *ev,
    struct pgtt_err *e)
{
	(void)d;
	ev->u.type.oid = rd_u32(r);
	ev->u.type.nspname = rd_string(r);
	ev->u.type.typname = rd_string(r);
	return rd_finish(r, e);
}

/* Insert: relid, 'N' and the new row. */
static int
dec_insert(struct pgo_decoder *d, struct rd *r, struct pgo_event *ev,
    struct pgtt_err *e)
{
	ev->u.change.relid = rd_u32(r);
	rd_tag(r, "N", "'N'");
	rd_tuple(r, &d->newv, &d->newcap, &ev->u.change.new);
	return rd_finish(r, e);
}

/* Update: relid, the old key or row when sent, 'N' and the new row. */
static int
dec_update(struct pgo_decoder *d, struct rd *r, struct pgo_event *ev,
    struct pgtt_err *e)
{
	uint8_t	tag;

	ev->u.change.relid = rd_u32(r);
	tag = rd_tag(r, "KON", "'K', 'O' or 'N'");
	if (tag == 'K' || tag == 'O') {
		ev->u.change.old_kind = (char)tag;
		rd_tuple(r, &d->oldv, &d->oldcap, &ev->u.change.old);
		rd_tag(r, "N", "'N'");
	}
	rd_tuple(r, &d->newv, &d->newcap, &ev->u.change.new);
	return rd_finish(r, e);
}

/* Delete: relid and the old key ('K') or the whole old row ('O'). */
static int
dec_delete(struct pgo_decoder *d, struct rd *r, struct pgo_event *ev,
    struct pgtt_err *e)
{
	ev->u.change.relid = rd_u32(r);
	ev->u.change.old_kind = (char)rd_tag(r, "KO", "'K' or 'O'");
	rd_tuple(r, &d->oldv, &d->oldcap, &ev->u.change.old);
	return rd_finish(r, e);
}

/* Truncate: count, options, relids. */
static int
dec_truncate(struct pgo_decoder *d, struct rd *r, struct pgo_event *ev,
    struct pgtt_err *e)
{
	size_t		at = r->off;
	uint32_t	i, n;

	n = rd_u32(r);
	ev->u.truncate.options = rd_u8(r);
	if (n > rd_left(r) / RELID_SIZE) {
		rd_fail(r, at, "relation count %u exceeds the %zu bytes left",
		    (unsigned)n, rd_left(r));
		return rd_finish(r, e);
	}
	d->relids = grow(d->relids, &d->relcap, n, sizeof *d->relids);
	ev->u.truncate.nrelids = n;
	ev->u.truncate.relids = d->relids;
	for (i = 0; i < n; i++)
		d->relids[i] = rd_u32(r);
	return rd_finish(r, e);
}

/* Message: pg_logical_emit_message's flags, LSN, prefix and content. */
static int
dec_message(struct pgo_decoder *d, struct rd *r, struct pgo_event *ev,
    struct pgtt_err *e)
{
	(void)d;
	ev->u.message.flags = rd_u8(r);
	ev->u.message.lsn = rd_u64(r);
	ev->u.message.prefix = rd_string(r);
	ev->u.message.len = rd_len(r);
	ev->u.message.content = rd_bytes(r, ev->u.message.len);
	return rd_finish(r, e);
}

/* Stream Start: from here on data messages carry the xid. */
static int
dec_stream_start(struct pgo_decoder *d, struct rd *r, struct pgo_event *ev,
    struct pgtt_err *e)
{
	int	rc;

	ev->xid = rd_u32(r);
	ev->u.stream_start.first_segment = rd_u8(r);
	if ((rc = rd_finish(r, e)) == 0)
		d->in_stream = 1;
	return rc;
}

/* Stream Stop: the end of a stream block; nothing follows the type. */
static int
dec_stream_stop(struct pgo_decoder *d, struct rd *r, struct pgo_event *ev,
    struct pgtt_err *e)
{
	int	rc;

	(void)ev;
	if ((rc = rd_finish(r, e)) == 0)
		d->in_stream = 0;
	return rc;
}

/* Stream Commit: xid, then the fields of a Commit. */
static int
dec_stream_commit(struct pgo_decoder *d, struct rd *r, struct pgo_event *ev,
    struct pgtt_err *e)
{
	(void)d;
	ev->xid = rd_u32(r);
	ev->u.commit.flags = rd_u8(r);
	ev->u.commit.commit_lsn = rd_u64(r);
	ev->u.commit.end_lsn = rd_u64(r);
	ev->u.commit.commit_time = (int64_t)rd_u64(r);
	return rd_finish(r, e);
}

/*
 * Stream Abort: xid and subxid.  From version 4 on, streaming=parallel
 * appends the abort LSN and time; pgtt has no use for them, but whether
 * they come depends on an option, so both forms are accepted.
 */
static int
dec_stream_abort(struct pgo_decoder *d, struct rd *r, struct pgo_event *ev,
    struct pgtt_err *e)
{
	ev->xid = rd_u32(r);
	ev->u.stream_abort.subxid = rd_u32(r);
	if (d->proto_version >= PROTO_PARALLEL && rd_left(r) > 0) {
		rd_u64(r);
		rd_u64(r);
	}
	return rd_finish(r, e);
}

/* Two-phase messages are absent: pgtt never asks for two_phase. */
static const struct msgtype msgtypes[] = {
	{ PGO_BEGIN, "Begin", 0, dec_begin },
	{ PGO_COMMIT, "Commit", 0, dec_commit },
	{ PGO_ORIGIN, "Origin", 0, dec_origin },
	{ PGO_RELATION, "Relation", 1, dec_relation },
	{ PGO_TYPE, "Type", 1, dec_type },
	{ PGO_INSERT, "Insert", 1, dec_insert },
	{ PGO_UPDATE, "Update", 1, dec_update },
	{ PGO_DELETE, "Delete", 1, dec_delete },
	{ PGO_TRUNCATE, "Truncate", 1, dec_truncate },
	{ PGO_MESSAGE, "Message", 1, dec_message },
	{ PGO_STREAM_START, "Stream Start", 0, dec_stream_start },
	{ PGO_STREAM_STOP, "Stream Stop", 0, dec_stream_stop },
	{ PGO_STREAM_COMMIT, "Stream Commit", 0, dec_stream_commit },
	{ PGO_STREAM_ABORT, "Stream Abort", 0, dec_stream_abort },
};

/* A decoder outside any stream, with empty scratch arrays. */
struct pgo_decoder *
pgo_decoder_new(int proto_version)
{
	struct pgo_decoder	*d;

	d = xcalloc(1, sizeof *d);
	d->proto_version = proto_version;
	return d;
}

/* Free the decoder and the arrays of the last event it returned. */
void
pgo_decoder_free(struct pgo_decoder *d)
{
	if (d == NULL)
		return;
	free(d->oldv);
	free(d->newv);
	free(d->cols);
	free(d->relids);
	free(d);
}

/* Pick the message type by its first byte and decode the rest. */
int
pgo_decode(struct pgo_decoder *d, const uint8_t *buf, size_t len,
    struct pgo_event *ev, struct pgtt_err *e)
{
	const struct msgtype	*m = NULL;
	struct rd		 r;
	size_t			 i;
	char			 name[8];

	memset(ev, 0, sizeof *ev);
	if (len == 0)
		return err_set(e, PGTT_ECORRUPT, "empty pgoutput message");
	for (i = 0; i < sizeof msgtypes / sizeof msgtypes[0]; i++) {
		if (msgtypes[i].type == buf[0]) {
			m = &msgtypes[i];
			break;
		}
	}
	if (m == NULL)
		return err_set(e, PGTT_ECORRUPT,
		    "unsupported pgoutput message type %s",
		    byte_name(buf[0], name, sizeof name));

	memset(&r, 0, sizeof r);
	r.buf = buf;
	r.len = len;
	r.off = 1;
	r.name = m->name;
	ev->type = (enum pgo_type)m->type;
	if (m->streamed && d->in_stream)
		ev->xid = rd_u32(&r);
	return m->decode(d, &r, ev, e);
}
