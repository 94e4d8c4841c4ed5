/*
 * err.c: filling struct pgtt_err.  Messages are truncated, never overflowed;
 * a trailing newline from a library (libpq ends its messages with one) is
 * trimmed and inner line breaks folded, so every field stays one line.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"

static void
vfill(char *dst, size_t size, const char *fmt, va_list ap)
{
	size_t	 len;
	char	*r, *w;

	vsnprintf(dst, size, fmt, ap);
	len = strlen(dst);
	while (len > 0 && (dst[len - 1] == '\n' || dst[len - 1] == ' '))
		dst[--len] = '\0';
	/*
	 * libpq's "...failed\n\tIs the server running..." becomes "...failed;
	 * Is the server running...".  "; " is written only where a newline
	 * and at least one blank were read, so w never passes r.
	 */
	for (r = w = dst; *r != '\0';) {
		if (*r != '\n') {
			*w++ = *r++;
			continue;
		}
		r++;
		if (*r == '\t' || *r == ' ') {
			while (*r == '\t' || *r == ' ')
				r++;
			*w++ = ';';
		}
		*w++ = ' ';
	}
	*w = '\0';
}

void
err_clear(struct pgtt_err *e)
{
	/* Not a memset: a fold clears one for every change it reads. */
	e->code = 0;
	e->msg[0] = e->detail[0] = e->hint[0] = e->where[0] = '\0';
}

int
err_set(struct pgtt_err *e, int code, const char *fmt, ...)
{
	va_list	ap;

	e->code = code;
	e->detail[0] = e->hint[0] = e->where[0] = '\0';
	va_start(ap, fmt);
	vfill(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return code;
}

void
err_detail(struct pgtt_err *e, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vfill(e->detail, sizeof e->detail, fmt, ap);
	va_end(ap);
}

/* Written after what detail holds, "; " between, so neither is lost. */
void
err_detail_add(struct pgtt_err *e, const char *fmt, ...)
{
	char	more[sizeof e->detail];
	size_t	len = strlen(e->detail);
	va_list	ap;

	va_start(ap, fmt);
	vfill(more, sizeof more, fmt, ap);
	va_end(ap);
	snprintf(e->detail + len, sizeof e->detail - len, "%s%s",
	    len > 0 ? "; " : "", more);
}

void
err_hint(struct pgtt_err *e, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vfill(e->hint, sizeof e->hint, fmt, ap);
	va_end(ap);
}

void
err_where(struct pgtt_err *e, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vfill(e->where, sizeof e->where, fmt, ap);
	va_end(ap);
}

int
err_exit_status(const struct pgtt_err *e)
{
	if (e->code == PGTT_EUSAGE || e->code == PGTT_ECONFIG)
		return 2;
	return 1;
}
