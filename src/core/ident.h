/*
 * ident.h: table names as psql's \d takes them: "name" or "schema.name",
 * unquoted parts folded to lower case, double-quoted parts kept as written
 * ("" inside quotes is one quote).
 */
#ifndef PGTT_IDENT_H
#define PGTT_IDENT_H

#include <stdio.h>

/*
 * Split text into *schema (NULL when not given) and *name, both malloc'd.
 * -1 when text is not a table name (empty part, unbalanced quote, more
 * than two parts).
 */
int	ident_parse_table(const char *text, char **schema, char **name);
/*
 * Write s as an SQL identifier, always double-quoted, quotes doubled: for
 * SQL written out, with no connection to ask (pg_quote_ident asks one).
 */
void	ident_quote(FILE *out, const char *s);

#endif
