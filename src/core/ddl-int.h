/*
 * ddl-int.h: the parser's checks ddl.c's matcher makes before a captured
 * statement may run on the replica (ddl-parse.c).  scs is the source's
 * standard_conforming_strings, which the parser's lexer follows.
 */
#ifndef PGTT_DDL_INT_H
#define PGTT_DDL_INT_H

#include <jansson.h>

#include "ddl.h"

/* The parse tree of sql when it is one statement; NULL otherwise. */
json_t	*parse_one(const char *sql, int scs);
/* The statement again, alone: still one statement of the same kind? */
int	 reparses_the_same(const struct ddl_statement *, int scs);
/*
 * CONCURRENTLY taken out (replay runs inside a transaction block) and
 * the result parsed again: 0, or -1 when it does not parse the same.
 */
int	 strip_concurrently(struct ddl_statement *, int scs);
/* One CREATE TABLE of columns and nothing else. */
int	 plain_create_table(const char *sql, int scs);
/* One UPDATE ONLY of one column to a constant for every row. */
int	 plain_column_update(const char *sql, int scs, char **column);
/* Does the ALTER TABLE add this column? */
int	 adds_column(const char *alter, int scs, const char *column);
/* The bound of a CREATE TABLE or an ALTER TABLE's ATTACH PARTITION. */
json_t	*partition_bound_of(json_t *stmt);
/* A bound the server computed once (now(), current_date + 1)? */
int	 bound_is_computed(json_t *bound, int casts_are_constant);
/* CREATE TABLE ... PARTITION OF with the source's bound in its place. */
char	*with_source_bound(const char *text, const char *source_bound,
	    int scs);

#endif
