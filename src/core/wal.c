/*
 * wal.c: segment arithmetic and the archive's unbroken run.  A segment
 * number is lsn / seg_size; its name carries segno / (4 GiB / seg_size)
 * and segno % (4 GiB / seg_size), as XLogFileName() writes them.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wal.h"
#include "xmalloc.h"

#define SEGS_PER_XLOGID(s)	(UINT64_C(0x100000000) / (s))

uint64_t
wal_segno(pgtt_lsn lsn, uint32_t seg_size)
{
	return lsn / seg_size;
}

pgtt_lsn
wal_seg_start(uint64_t segno, uint32_t seg_size)
{
	return segno * seg_size;
}

void
wal_seg_name(uint32_t tli, uint64_t segno, uint32_t seg_size, char *out)
{
	snprintf(out, WAL_NAME_LEN + 1, "%08X%08X%08X", tli,
	    (uint32_t)(segno / SEGS_PER_XLOGID(seg_size)),
	    (uint32_t)(segno % SEGS_PER_XLOGID(seg_size)));
}

static int
hex8(const char *s, uint32_t *out)
{
	uint32_t	v = 0;
	int		i;

	for (i = 0; i < 8; i++) {
		char	c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

int
wal_parse_name(const char *name, uint32_t seg_size, uint32_t *tli,
    uint64_t *segno, int *partial)
{
	uint32_t	hi, lo;

	if (strlen(name) < WAL_NAME_LEN)
		return -1;
	if (name[WAL_NAME_LEN] == '\0')
		*partial = 0;
	else if (strcmp(name + WAL_NAME_LEN, ".partial") == 0)
		*partial = 1;
	else
		return -1;
	if (hex8(name, tli) != 0 || hex8(name + 8, &hi) != 0 ||
	    hex8(name + 16, &lo) != 0 || lo >= SEGS_PER_XLOGID(seg_size))
		return -1;
	*segno = (uint64_t)hi * SEGS_PER_XLOGID(seg_size) + lo;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
wal_scan(const char *dir, uint32_t tli, uint32_t seg_size, uint64_t first,
    uint64_t *last, int *partial, struct pgtt_err *err)
{
	DIR		*d;
	struct dirent	*de;
	uint64_t	*full = NULL, segno, partial_max = 0;
	size_t		 n = 0, cap = 0, i;
	uint32_t	 t;
	int		 is_partial, have_partial = 0;

	if ((d = opendir(dir)) == NULL)
		return err_set(err, PGTT_EIO, "could not open WAL archive "
		    "\"%s\": %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (wal_parse_name(de->d_name, seg_size, &t, &segno,
		    &is_partial) != 0 || t != tli || segno < first)
			continue;
		if (is_partial) {
			if (!have_partial || segno > partial_max)
				partial_max = segno;
			have_partial = 1;
			continue;
		}
		if (n == cap) {
			cap = cap == 0 ? 64 : cap * 2;
			full = xreallocarray(full, cap, sizeof *full);
		}
		full[n++] = segno;
	}
	closedir(d);
	if (n > 0)
		qsort(full, n, sizeof *full, cmp_u64);
	*last = first - 1;
	for (i = 0; i < n && full[i] == *last + 1; i++)
		*last = full[i];
	*partial = 0;
	if (have_partial && partial_max == *last + 1) {
		*last = partial_max;
		*partial = 1;
	}
	free(full);
	return 0;
}
