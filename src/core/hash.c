/*
 * hash.c: one hash for every table pgtt keeps in memory or the row index.
 */
#include "hash.h"

/* FNV-1a: short identities hash fast and well enough for a table. */
uint64_t
hash_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t	*b = p;
	size_t		 i;

	for (i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ULL;
	}
	return h;
}
