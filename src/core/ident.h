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
 * SQL text needs no connection to quote: identifiers always double-quoted
 * with quotes doubled, literals single-quoted.  Results are malloc'd.
 * The text comes from the catalog or the config, valid in its encoding.
 */
char	*ident_quoted(const char *s);
char	*ident_qualified(const char *schema, const char *name);
char	*sql_literal(const char *s);
/* ident_quoted written to out. */
void	ident_quote(FILE *out, const char *s);

#endif
