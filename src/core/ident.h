/*
 * ident.h: table names as psql's \d takes them: "name" or "schema.name",
 * unquoted parts folded to lower case, double-quoted parts kept as written
 * ("" inside quotes is one quote).
 */
#ifndef PGTT_IDENT_H
#define PGTT_IDENT_H

/*
 * Split text into *schema (NULL when not given) and *name, both malloc'd.
 * -1 when text is not a table name (empty part, unbalanced quote, more
 * than two parts).
 */
int	ident_parse_table(const char *text, char **schema, char **name);

#endif
