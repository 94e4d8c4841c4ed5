/*
 * hash.h: FNV-1a, the one hash for pgtt's tables and the row index.
 */
#ifndef PGTT_HASH_H
#define PGTT_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Over n bytes, going on from h (start with HASH_INIT). */
#define HASH_INIT	1469598103934665603ULL
uint64_t hash_bytes(uint64_t h, const void *, size_t n);

#endif
