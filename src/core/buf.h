/*
 * buf.h: a growable byte buffer, for encoding records and building text.
 */
#ifndef PGTT_BUF_H
#define PGTT_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	uint8_t		*data;
	size_t		 len;
	size_t		 cap;
};

void	buf_init(struct buf *);
void	buf_done(struct buf *);
void	buf_reset(struct buf *);
/* Room for n more bytes. */
void	buf_reserve(struct buf *, size_t n);

/*
 * Inline, because encoders append a byte or a field at a time: a call
 * for each was a few percent of the listener's CPU.
 */
static inline void
buf_append(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (n > b->cap - b->len)
		buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

#endif
