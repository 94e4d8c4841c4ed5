/*
 * proc.h: running PostgreSQL's own tools (pg_dump, pg_basebackup, ...) as
 * children.  A password goes to the child in PGPASSWORD, never on its
 * command line where any user could read it in ps.
 */
#ifndef PGTT_PROC_H
#define PGTT_PROC_H

#include "err.h"

/*
 * Run argv[0] (looked up in PATH unless it holds a slash) with argv, with
 * PGPASSWORD set to password when that is not NULL, and wait for it.  On a
 * non-zero exit or a signal, fail with PGTT_EIO: the primary message says
 * which tool, the detail holds the last lines it wrote to stderr.
 */
int	 proc_run(const char *const argv[], const char *password, struct pgtt_err *);

/*
 * Find a PostgreSQL program: in bindir when given, else in the server
 * packages' directory for major (/usr/lib/postgresql/MAJOR/bin), else the
 * newest such directory, else PATH.  Returns a malloc'd path or name.
 */
char	*proc_find_pgbin(const char *bindir, int major, const char *tool);

#endif
