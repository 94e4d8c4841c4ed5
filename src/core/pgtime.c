/*
 * pgtime.c: conversions between PostgreSQL's epoch (2000-01-01 UTC, in
 * microseconds) and text.  Uses timegm-free arithmetic (days from civil)
 * so the process time zone never changes a result.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pgtime.h"

#define UNIX_TO_PG_SECS	946684800LL	/* 2000-01-01 in Unix seconds */
#define USECS		1000000LL

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int64_t
pgtime_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec - UNIX_TO_PG_SECS) * USECS +
	    ts.tv_nsec / 1000;
}

const char *
pgtime_format(int64_t t, char *buf)
{
	int64_t		secs, usecs;
	time_t		unix_secs;
	struct tm	tm;

	secs = t / USECS;
	usecs = t % USECS;
	if (usecs < 0) {
		usecs += USECS;
		secs--;
	}
	unix_secs = (time_t)(secs + UNIX_TO_PG_SECS);
	gmtime_r(&unix_secs, &tm);
	snprintf(buf, PGTIME_BUFSIZE, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)usecs);
	return buf;
}

/* Read exactly n digits; -1 if they are not there. */
static int
digits(const char **sp, int n)
{
	int	v = 0;

	while (n-- > 0) {
		if (!isdigit((unsigned char)**sp))
			return -1;
		v = v * 10 + (**sp - '0');
		(*sp)++;
	}
	return v;
}

int
pgtime_parse(const char *s, int64_t *out)
{
	int	y, mo, d, h = 0, mi = 0, sec = 0, sign, oh = 0, om = 0;
	int64_t	usec = 0, scale = 100000;

	if ((y = digits(&s, 4)) < 0 || *s++ != '-' ||
	    (mo = digits(&s, 2)) < 1 || mo > 12 || *s++ != '-' ||
	    (d = digits(&s, 2)) < 1 || d > 31)
		return -1;
	if (*s == ' ' || *s == 'T' || *s == 't') {
		s++;
		if ((h = digits(&s, 2)) < 0 || h > 23 || *s++ != ':' ||
		    (mi = digits(&s, 2)) < 0 || mi > 59)
			return -1;
		if (*s == ':') {
			s++;
			if ((sec = digits(&s, 2)) < 0 || sec > 60)
				return -1;
			if (*s == '.') {
				s++;
				if (!isdigit((unsigned char)*s))
					return -1;
				while (isdigit((unsigned char)*s)) {
					usec += (*s++ - '0') * scale;
					scale /= 10;
				}
			}
		}
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if ((oh = digits(&s, 2)) < 0 || oh > 15)
			return -1;
		if (*s == ':')
			s++;
		if (isdigit((unsigned char)*s) && (om = digits(&s, 2)) < 0)
			return -1;
		oh *= sign;
		om *= sign;
	}
	if (*s != '\0')
		return -1;
	*out = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    sec - oh * 3600 - om * 60) - UNIX_TO_PG_SECS) * USECS + usec;
	return 0;
}

int64_t
pgtime_elapsed_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
