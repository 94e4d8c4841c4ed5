/*
 * lsn.h: PostgreSQL log sequence numbers, written X/Y in hex as the server
 * prints them (pg_lsn's text form).
 */
#ifndef PGTT_LSN_H
#define PGTT_LSN_H

#include <stdint.h>

typedef uint64_t pgtt_lsn;

#define LSN_INVALID	((pgtt_lsn)0)
#define LSN_BUFSIZE	20	/* "FFFFFFFF/FFFFFFFF" + NUL */

/* Parse "X/Y"; 0 on success, -1 if the text is not an LSN. */
int		 lsn_parse(const char *, pgtt_lsn *);
/* Format into buf (LSN_BUFSIZE bytes); returns buf. */
const char	*lsn_format(pgtt_lsn, char *);

#endif
