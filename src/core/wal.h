/*
 * wal.h: WAL segment files by name, as PostgreSQL names them: timeline,
 * then the segment number split in two, 8 hex digits each
 * (000000010000000A000000FF).  pg_receivewal writes the segment it is
 * filling as NAME.partial; it gets its final name once it is full.
 * Pure functions, no I/O except wal_scan.
 */
#ifndef PGTT_WAL_H
#define PGTT_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "lsn.h"

#define WAL_NAME_LEN	24
#define WAL_DEFAULT_SEG	(16u * 1024 * 1024)

uint64_t wal_segno(pgtt_lsn, uint32_t seg_size);
/* The first LSN of segment segno. */
pgtt_lsn wal_seg_start(uint64_t segno, uint32_t seg_size);
/* The name (WAL_NAME_LEN + 1 bytes). */
void	 wal_seg_name(uint32_t tli, uint64_t segno, uint32_t seg_size,
	    char *);
/*
 * A segment name, with ".partial" allowed: 0 and its parts, or -1 when
 * name is no WAL segment (history files, pgtt's own files, temp files).
 */
int	 wal_parse_name(const char *name, uint32_t seg_size, uint32_t *tli,
	    uint64_t *segno, int *partial);

/*
 * What an archive directory holds on timeline tli from segment first on:
 * the last segment of the unbroken run that starts there (*last; first - 1
 * when first itself is missing), and whether that last one is only a
 * .partial (*partial).  A .partial counts only at the end of the run: a
 * full segment of the same number wins.  PGTT_EIO if dir cannot be read.
 */
int	 wal_scan(const char *dir, uint32_t tli, uint32_t seg_size,
	    uint64_t first, uint64_t *last, int *partial, struct pgtt_err *);

#endif
