/*
 * pgtime.h: time as PostgreSQL sends it in the replication protocol,
 * microseconds since 2000-01-01 00:00:00 UTC.
 */
#ifndef PGTT_PGTIME_H
#define PGTT_PGTIME_H

#include <stdint.h>

#define PGTIME_BUFSIZE	80

int64_t		 pgtime_now(void);
/* Milliseconds of a clock that never jumps, for measuring durations. */
int64_t		 pgtime_elapsed_ms(void);
/* "2026-11-20T10:00:01.123456Z" into buf (PGTIME_BUFSIZE bytes). */
const char	*pgtime_format(int64_t, char *);
/*
 * Parse an ISO 8601 timestamp as psql prints or users type it:
 * "2026-11-20 10:00:00+00", "2026-11-20T10:00:00.5Z", "2026-11-20 10:00"
 * (no zone: UTC), offsets +HH, +HHMM, +HH:MM.  0 ok, -1 malformed.
 */
int		 pgtime_parse(const char *, int64_t *);

#endif
