/*
 * logfile.h: pgtt's log file.  Once the TUI owns the terminal nothing may be
 * printed to it, so diagnostics go here.  Logging never fails a command:
 * a log file that cannot be opened is given up on silently.
 */
#ifndef PGTT_LOGFILE_H
#define PGTT_LOGFILE_H

#include "config.h"

/* Log to path at level and below; path NULL logs nowhere. */
void	log_open(const char *path, enum log_level level);
void	log_close(void);
/*
 * Each message also to standard error, one line each, for a service
 * manager's journal to keep (listen when not on a terminal).
 */
void	log_to_stderr(int on);
void	log_msg(enum log_level, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
