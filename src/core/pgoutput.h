/*
 * pgoutput.h: a pure decoder for the payload of one XLogData message sent
 * by the pgoutput plugin (PostgreSQL's "Logical Replication Message
 * Formats").  No I/O.  Strings and column values in a decoded event point
 * into the input buffer (zero copy): they live as long as that buffer.
 * Arrays (columns, values, relation ids) live in scratch space the decoder
 * owns and reuses: they live until the next pgo_decode call.
 */
#ifndef PGTT_PGOUTPUT_H
#define PGTT_PGOUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "lsn.h"

enum pgo_type {
	PGO_BEGIN = 'B',
	PGO_COMMIT = 'C',
	PGO_ORIGIN = 'O',
	PGO_RELATION = 'R',
	PGO_TYPE = 'Y',
	PGO_INSERT = 'I',
	PGO_UPDATE = 'U',
	PGO_DELETE = 'D',
	PGO_TRUNCATE = 'T',
	PGO_MESSAGE = 'M',
	PGO_STREAM_START = 'S',
	PGO_STREAM_STOP = 'E',
	PGO_STREAM_COMMIT = 'c',
	PGO_STREAM_ABORT = 'A',
};

struct pgo_value {
	char		 kind;	/* 'n' null, 'u' unchanged TOAST, 't' text, 'b' binary */
	uint32_t	 len;	/* 't' and 'b' */
	const char	*data;	/* 't' and 'b'; not NUL-terminated */
};

struct pgo_tuple {
	uint16_t	 ncols;
	struct pgo_value *values;
};

struct pgo_column {
	uint8_t		 flags;		/* 1 = part of the key */
	const char	*name;
	uint32_t	 type_oid;
	int32_t		 typmod;
};

struct pgo_event {
	enum pgo_type	 type;
	uint32_t	 xid;		/* Begin, and any message inside a stream */
	union {
		struct {
			pgtt_lsn	 final_lsn;	/* the commit record's LSN */
			int64_t		 commit_time;
		} begin;
		struct {
			uint8_t		 flags;
			pgtt_lsn	 commit_lsn;
			pgtt_lsn	 end_lsn;
			int64_t		 commit_time;
		} commit;			/* Commit and Stream Commit */
		struct {
			pgtt_lsn	 lsn;
			const char	*name;
		} origin;
		struct {
			uint32_t	 relid;
			const char	*nspname;	/* "" = pg_catalog */
			const char	*relname;
			char		 replident;
			uint16_t	 ncols;
			struct pgo_column *cols;
		} relation;
		struct {
			uint32_t	 oid;
			const char	*nspname;
			const char	*typname;
		} type;
		struct {
			uint32_t	 relid;
			char		 old_kind;	/* 0, 'K' or 'O' */
			struct pgo_tuple old;		/* when old_kind != 0 */
			struct pgo_tuple new;		/* Insert, Update */
		} change;			/* Insert, Update, Delete */
		struct {
			uint32_t	 nrelids;
			uint8_t		 options;	/* 1 cascade, 2 restart identity */
			uint32_t	*relids;
		} truncate;
		struct {
			uint8_t		 flags;		/* 1 = transactional */
			pgtt_lsn	 lsn;
			const char	*prefix;
			uint32_t	 len;
			const char	*content;
		} message;
		struct {
			uint8_t		 first_segment;
		} stream_start;
		struct {
			uint32_t	 subxid;
		} stream_abort;
	} u;
};

struct pgo_decoder;

/* proto_version as negotiated with START_REPLICATION (1 to 4). */
struct pgo_decoder *pgo_decoder_new(int proto_version);
void	pgo_decoder_free(struct pgo_decoder *);

/*
 * Decode one payload.  0 on success; PGTT_ECORRUPT with a message that
 * names the message type and what was wrong (truncated, unknown type,
 * bad tuple kind, trailing bytes) otherwise.  Never reads outside
 * [buf, buf + len).  Tracks Stream Start/Stop itself, because messages
 * inside a stream carry an extra xid field.
 */
int	pgo_decode(struct pgo_decoder *, const uint8_t *buf, size_t len,
	    struct pgo_event *, struct pgtt_err *);

#endif
