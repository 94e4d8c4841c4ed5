/*
 * arena.c: chunks of at least ARENA_CHUNK bytes, carved front to back
 * (arena.h).
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "xmalloc.h"

#define ARENA_CHUNK	(1024 * 1024)
/* Enough for pointers and 64-bit integers, the most any user keeps. */
#define ARENA_ALIGN	alignof(uint64_t)

struct arena_chunk {
	struct arena_chunk	*prev;
	alignas(uint64_t) char data[];
};

void
arena_init(struct arena *a)
{
	memset(a, 0, sizeof *a);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_chunk	*c;
	size_t			 size;
	void			*p;

	if (n > SIZE_MAX - ARENA_ALIGN)
		fatalx("arena_alloc: %zu bytes", n);
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (n > a->left) {
		/* A big block gets a chunk of its own; the rest is kept. */
		size = n > ARENA_CHUNK / 4 ? n : ARENA_CHUNK;
		c = xmalloc(sizeof *c + size);
		c->prev = a->chunks;
		a->chunks = c;
		a->total += size;
		/* Carving goes on in the older chunk's remainder. */
		if (size == n && a->left > 0)
			return c->data;
		a->next = c->data;
		a->left = size;
	}
	p = a->next;
	a->next += n;
	a->left -= n;
	return p;
}

void *
arena_zalloc(struct arena *a, size_t n)
{
	return memset(arena_alloc(a, n), 0, n);
}

void *
arena_memdup(struct arena *a, const void *src, size_t n)
{
	return n == 0 ? arena_alloc(a, 1) : memcpy(arena_alloc(a, n), src, n);
}

void
arena_free(struct arena *a)
{
	struct arena_chunk	*c, *prev;

	for (c = a->chunks; c != NULL; c = prev) {
		prev = c->prev;
		free(c);
	}
	arena_init(a);
}
