/*
 * record-key.c: which columns name a row of a relation version, and a
 * row's identity bytes under them (record.h): the row key the capture
 * found in the catalog, else the replica identity pgoutput flags, named
 * by column so that versions of one table agree.
 */
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "xmalloc.h"

/* A row's identity bytes (record.h). */
void
record_row_ident(struct buf *out, const struct pgtt_tuple *t,
    const uint8_t *is_key, size_t nflags)
{
	uint8_t	hdr[5];
	size_t	i, n, any = 0;

	n = t->ncols < nflags ? t->ncols : nflags;
	for (i = 0; i < nflags && !any; i++)
		any = is_key[i];
	if (!any)
		n = t->ncols;
	for (i = 0; i < n; i++) {
		const struct pgtt_col	*c = &t->cols[i];

		if (any && !is_key[i])
			continue;
		hdr[0] = (uint8_t)c->kind;
		if (c->kind != COL_TEXT) {
			buf_append(out, hdr, 1);
			continue;
		}
		hdr[1] = c->len >> 24;
		hdr[2] = c->len >> 16;
		hdr[3] = c->len >> 8;
		hdr[4] = c->len;
		buf_append(out, hdr, sizeof hdr);
		buf_append(out, c->val, c->len);
	}
}

const char *
record_identity_gap(char replident, int has_key)
{
	if (replident == 'f' || has_key)
		return NULL;
	switch (replident) {
	case 'n':
		return "REPLICA IDENTITY NOTHING";
	case 'i':
		return "its replica identity index is gone";
	default:
		return "no primary key";
	}
}

int
relation_row_key(const struct pgtt_relation *rel, uint8_t *keys)
{
	uint16_t	i;
	int		any = 0;

	for (i = 0; i < rel->ncols; i++)
		any |= rel->cols[i].row_key;
	for (i = 0; i < rel->ncols; i++)
		keys[i] = any ? rel->cols[i].row_key : rel->cols[i].is_key;
	return any;
}

void
relation_row_key_as(const struct pgtt_relation *rel,
    const struct pgtt_relation *keyrel, uint8_t *keys)
{
	uint8_t		*kflags;
	uint16_t	 i, k, found = 0, wanted = 0;

	if (keyrel == NULL || keyrel == rel) {
		relation_row_key(rel, keys);
		return;
	}
	kflags = xcalloc((size_t)keyrel->ncols + 1, 1);
	relation_row_key(keyrel, kflags);
	memset(keys, 0, rel->ncols);
	for (k = 0; k < keyrel->ncols; k++) {
		if (!kflags[k])
			continue;
		wanted++;
		for (i = 0; i < rel->ncols; i++)
			if (strcmp(rel->cols[i].name, keyrel->cols[k].name) == 0) {
				keys[i] = 1;
				found++;
				break;
			}
	}
	free(kflags);
	/* Without a key in keyrel, or one rel cannot name: rel's own. */
	if (wanted == 0 || found != wanted)
		relation_row_key(rel, keys);
}

void
record_row_ident_as(struct buf *out, const struct pgtt_tuple *t,
    const struct pgtt_relation *rel, const struct pgtt_relation *keyrel)
{
	uint8_t	*keys = xcalloc((size_t)rel->ncols + 1, 1);

	relation_row_key_as(rel, keyrel, keys);
	buf_reset(out);
	record_row_ident(out, t, keys, rel->ncols);
	free(keys);
}

int
relation_is_row_key(const struct pgtt_relation *rel, uint16_t i)
{
	uint16_t	c;

	for (c = 0; c < rel->ncols; c++)
		if (rel->cols[c].row_key)
			return i < rel->ncols && rel->cols[i].row_key;
	return i < rel->ncols && rel->cols[i].is_key;
}

const char *
relation_identity_gap(const struct pgtt_relation *rel)
{
	uint16_t	i;

	for (i = 0; i < rel->ncols; i++)
		if (rel->cols[i].is_key)
			return NULL;
	return record_identity_gap(rel->replident, 0);
}
