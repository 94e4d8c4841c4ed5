/*
 * ident.c: the identifier rules of SQL as psql applies them to \d
 * arguments.  Case folding is ASCII only, as PostgreSQL's downcase for
 * unquoted identifiers is in a UTF-8 database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ident.h"
#include "xmalloc.h"

static int
ident_char(char c, int first)
{
	unsigned char	u = (unsigned char)c;

	return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' ||
	    u >= 0x80 || (!first && ((u >= '0' && u <= '9') || u == '$'));
}

/* One part starting at *p; advances *p past it.  NULL if malformed. */
static char *
parse_part(const char **p)
{
	const char	*s = *p;
	char		*out = xmalloc(strlen(s) + 1), *w = out;

	if (*s == '"') {
		for (s++;; s++) {
			if (*s == '\0')
				goto bad;
			if (*s == '"') {
				if (s[1] != '"')
					break;
				s++;
			}
			*w++ = *s;
		}
		s++;
	} else {
		/* SQL's unquoted identifier: no space, ';' or quote in it. */
		for (; *s != '\0' && *s != '.'; s++) {
			if (!ident_char(*s, w == out))
				goto bad;
			*w++ = *s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s;
		}
	}
	*w = '\0';
	if (w == out || (*s != '\0' && *s != '.'))
		goto bad;
	*p = s;
	return out;
bad:
	free(out);
	return NULL;
}

int
ident_parse_table(const char *text, char **schema, char **name)
{
	const char	*p = text;
	char		*first, *second;

	*schema = *name = NULL;
	if ((first = parse_part(&p)) == NULL)
		return -1;
	if (*p == '\0') {
		*name = first;
		return 0;
	}
	p++;
	if ((second = parse_part(&p)) == NULL || *p != '\0') {
		free(first);
		free(second);
		return -1;
	}
	*schema = first;
	*name = second;
	return 0;
}

char *
ident_quoted(const char *s)
{
	char	*out = xmalloc(2 * strlen(s) + 3), *w = out;

	*w++ = '"';
	for (; *s != '\0'; s++) {
		if (*s == '"')
			*w++ = '"';
		*w++ = *s;
	}
	*w++ = '"';
	*w = '\0';
	return out;
}

char *
ident_qualified(const char *schema, const char *name)
{
	char	*s = ident_quoted(schema), *n = ident_quoted(name), *out;

	xasprintf(&out, "%s.%s", s, n);
	free(s);
	free(n);
	return out;
}

/*
 * E'' when a backslash is in s, as PQescapeLiteral does, so the literal
 * means the same whatever standard_conforming_strings says.
 */
char *
sql_literal(const char *s)
{
	char	*out = xmalloc(2 * strlen(s) + 4), *w = out;

	if (strchr(s, '\\') != NULL)
		*w++ = 'E';
	*w++ = '\'';
	for (; *s != '\0'; s++) {
		if (*s == '\'' || *s == '\\')
			*w++ = *s;
		*w++ = *s;
	}
	*w++ = '\'';
	*w = '\0';
	return out;
}

void
ident_quote(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}
