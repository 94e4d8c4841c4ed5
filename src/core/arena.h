/*
 * arena.h: many small allocations freed together.  A fold over a million
 * rows makes millions of small blocks that all die at the same moment;
 * carving them out of large chunks saves malloc's per-block overhead and
 * its time, and one call frees them all.
 */
#ifndef PGTT_ARENA_H
#define PGTT_ARENA_H

#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk	*chunks;
	char			*next;		/* free space in the newest chunk */
	size_t			 left;
	size_t			 total;		/* bytes of all chunks */
};

void	 arena_init(struct arena *);
/* n bytes aligned for pointers and 64-bit integers; never NULL. */
void	*arena_alloc(struct arena *, size_t n);
void	*arena_zalloc(struct arena *, size_t n);
void	*arena_memdup(struct arena *, const void *, size_t n);
/* Everything arena_alloc returned is freed; the arena can be used again. */
void	 arena_free(struct arena *);

#endif
