/*
 * ddl.h: what replay does with a captured DDL message.
 *
 * The DDL trigger (source-ddl.c) records the client's whole query string
 * once per transaction: {"tag":..., "search_path":..., "query":...}.  That
 * string may hold more than the DDL that fired the trigger, for instance
 * "ALTER TABLE t ADD c int; UPDATE t SET c = 0" sent as one simple query.
 * The rows such DML changed are in the journal already, so replay runs
 * only the statements that change the schema and leaves the rest to the
 * journaled rows.  A string of a single statement is run as it is: it
 * fired the trigger, so it is what changed the schema (a DO block, a
 * function call).
 */
#ifndef PGTT_DDL_H
#define PGTT_DDL_H

#include <stddef.h>

#include "err.h"

struct ddl_message {
	char	 *tag;		/* "ALTER TABLE" */
	char	 *search_path;	/* as the session that ran it had it */
	char	 *query;	/* the whole client string */
	size_t	  nstatements;	/* the ones replay runs, in order */
	char	**statements;
};

/* Parse a DDL message's content; PGTT_ECORRUPT if it is not one. */
int	ddl_message_parse(const char *content, size_t len,
	    struct ddl_message *, struct pgtt_err *);
void	ddl_message_done(struct ddl_message *);

/*
 * Split sql into statements at top-level semicolons, honouring quotes,
 * dollar quotes and comments.  Each is malloc'd, trimmed, without its
 * semicolon; empty ones are dropped.  Returns the count.
 */
size_t	ddl_split(const char *sql, char ***statements);
/* 1 if the statement changes the schema (CREATE, ALTER, DROP, ...). */
int	ddl_is_schema_statement(const char *statement);

#endif
