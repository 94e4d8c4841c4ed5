/*
 * lsn.c: text form of LSNs.  Accepts exactly what pg_lsn accepts: two hex
 * numbers of 1-8 digits separated by a slash, nothing around them.
 */
#include <stdio.h>
#include <string.h>

#include "lsn.h"

static int
parse_half(const char *s, size_t len, uint32_t *out)
{
	uint32_t	v = 0;
	size_t		i;

	if (len == 0 || len > 8)
		return -1;
	for (i = 0; i < len; i++) {
		char	c = s[i];
		int	d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = (v << 4) | (uint32_t)d;
	}
	*out = v;
	return 0;
}

int
lsn_parse(const char *s, pgtt_lsn *out)
{
	const char	*slash;
	uint32_t	 hi, lo;

	if ((slash = strchr(s, '/')) == NULL)
		return -1;
	if (parse_half(s, (size_t)(slash - s), &hi) != 0 ||
	    parse_half(slash + 1, strlen(slash + 1), &lo) != 0)
		return -1;
	*out = ((pgtt_lsn)hi << 32) | lo;
	return 0;
}

const char *
lsn_format(pgtt_lsn lsn, char *buf)
{
	snprintf(buf, LSN_BUFSIZE, "%X/%X", (unsigned)(lsn >> 32),
	    (unsigned)(lsn & 0xffffffffu));
	return buf;
}
