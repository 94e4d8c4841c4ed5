/*
 * buf.c: a growable byte buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

/* An empty buffer that allocates on first append. */
void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

/* Release the bytes; the buffer is empty and usable again. */
void
buf_done(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

/* Forget the contents but keep the memory for the next record. */
void
buf_reset(struct buf *b)
{
	b->len = 0;
}

/* Grow by doubling so encoding a record is amortised linear. */
void
buf_reserve(struct buf *b, size_t n)
{
	size_t	cap;

	if (n > SIZE_MAX - b->len)
		fatalx("buffer of %zu bytes cannot grow by %zu", b->len, n);
	if (b->len + n <= b->cap)
		return;
	cap = b->cap == 0 ? 64 : b->cap;
	while (cap < b->len + n)
		cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
	b->data = xreallocarray(b->data, cap, 1);
	b->cap = cap;
}
