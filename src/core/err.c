/*
 * err.c: filling struct pgtt_err.  Messages are truncated, never overflowed;
 * a trailing newline from a library (libpq ends its messages with one) is
 * trimmed so every field stays a single printable line.
 */
#include <stdio.h>
#include <string.h>

#include "err.h"

static void
vfill(char *dst, size_t size, const char *fmt, va_list ap)
{
	size_t	len;

	vsnprintf(dst, size, fmt, ap);
	len = strlen(dst);
	while (len > 0 && (dst[len - 1] == '\n' || dst[len - 1] == ' '))
		dst[--len] = '\0';
}

void
err_clear(struct pgtt_err *e)
{
	memset(e, 0, sizeof *e);
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
