/*
 * err.h: how core functions report failure.
 *
 * Core functions return 0 on success or a negative PGTT_E* code and fill a
 * struct pgtt_err.  The codes live far below errno and LMDB's range so they
 * can never be confused with either.  The message reads like PostgreSQL's:
 * lowercase, no trailing period, names in quotes.
 */
#ifndef PGTT_ERR_H
#define PGTT_ERR_H

#include <stdarg.h>

enum {
	PGTT_OK = 0,
	PGTT_EUSAGE = -40001,	/* bad command-line usage: exit 2 */
	PGTT_ECONFIG = -40002,	/* bad configuration: exit 2 */
	PGTT_EDB = -40003,	/* a server refused or failed */
	PGTT_EJOURNAL = -40004,	/* LMDB or journal format trouble */
	PGTT_EIO = -40005,	/* file system or child process */
	PGTT_ENOTFOUND = -40006,/* a named thing does not exist */
	PGTT_EVERSION = -40007,	/* incompatible journal or server */
	PGTT_ECORRUPT = -40008,	/* bytes that do not decode */
	PGTT_EMAPFULL = -40009,	/* journal map full and could not grow */
	PGTT_EMISMATCH = -40010,/* a comparison found a difference */
	PGTT_ESTOPPED = -40011,	/* stopped (a signal, Esc) before done */
	PGTT_EBUSY = -40012,	/* another process holds what is needed */
};

struct pgtt_err {
	int	code;
	char	msg[512];	/* primary: one line */
	char	detail[1024];	/* the server's or library's own words */
	char	hint[512];	/* what the user can do about it */
	char	where[256];	/* option name or file:line:col */
};

void	err_clear(struct pgtt_err *);
/* Set code and primary message; returns code so callers can return it. */
int	err_set(struct pgtt_err *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	err_detail(struct pgtt_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	err_detail_add(struct pgtt_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	err_hint(struct pgtt_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	err_where(struct pgtt_err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Exit status for a failed command: 2 for usage and config, else 1. */
int	err_exit_status(const struct pgtt_err *);

#endif
