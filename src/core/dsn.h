/*
 * dsn.h: libpq connection strings as pgtt shows and hands them on.  A DSN
 * may be "key=value ..." or a postgresql:// URI; both may carry a password,
 * which must never reach the screen, the log, the journal or a child's
 * command line.
 */
#ifndef PGTT_DSN_H
#define PGTT_DSN_H

#include "err.h"

/*
 * A copy of dsn fit to show: every option that was set, in key=value form,
 * with the password replaced by "********".  A DSN libpq cannot parse is
 * shown as "(unparsable connection string)" since it could hold anything.
 */
char	*dsn_mask(const char *dsn);

/* Could dsn hold a password: a password key, or user:pass@ in a URI? */
int	 dsn_may_hold_password(const char *dsn);

/*
 * Split dsn into a key=value string without the password (for a child's
 * command line) and the password (NULL if none), both malloc'd.  Fails with
 * PGTT_ECONFIG and libpq's reason when dsn does not parse.
 */
int	 dsn_split_password(const char *dsn, char **without, char **password,
	    struct pgtt_err *);

/*
 * dsn naming dbname instead of its own database, every other option kept
 * (the password too: this is for connecting, not for showing).  NULL,
 * with PGTT_ECONFIG and libpq's reason, when dsn does not parse.
 */
char	*dsn_with_dbname(const char *dsn, const char *dbname,
	    struct pgtt_err *);

#endif
