/*
 * buf.h: a growable byte buffer, for encoding records and building text.
 */
#ifndef PGTT_BUF_H
#define PGTT_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t		*data;
	size_t		 len;
	size_t		 cap;
};

void	buf_init(struct buf *);
void	buf_done(struct buf *);
void	buf_reset(struct buf *);
void	buf_append(struct buf *, const void *, size_t);

#endif
