/*
 * ddl.c: captured DDL messages, split into the statements replay runs.
 *
 * The splitter knows just enough of PostgreSQL's lexer to find the
 * semicolons that end statements: quoted strings (with '' and, in E'',
 * backslash escapes), quoted identifiers, dollar quotes, line comments,
 * nested block comments and parentheses.
 *
 * Owners and privileges are not replayed: the baseline is restored
 * without them (the replica's server need not have the source's roles),
 * so GRANT, REVOKE and ALTER ... OWNER TO are left out the same way.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ddl.h"
#include "xmalloc.h"

static int
is_ident_char(int c)
{
	return isalnum(c) || c == '_' || c == '$' || (c & 0x80);
}

/* Length of the dollar-quote delimiter at s ("$tag$"), or 0. */
static size_t
dollar_tag(const char *s)
{
	size_t	n = 1;

	if (isdigit((unsigned char)s[n]))
		return 0;	/* $1 is a parameter */
	while (isalnum((unsigned char)s[n]) || s[n] == '_' ||
	    (s[n] & 0x80))
		n++;
	return s[n] == '$' ? n + 1 : 0;
}

/* Past the quoted text that starts at s[0] (a quote character). */
static const char *
skip_quoted(const char *s, int backslash)
{
	char	q = *s++;

	for (; *s != '\0'; s++) {
		if (backslash && *s == '\\' && s[1] != '\0')
			s++;
		else if (*s == q) {
			if (s[1] != q)
				return s + 1;
			s++;	/* doubled quote */
		}
	}
	return s;
}

static const char *
skip_block_comment(const char *s)
{
	int	depth = 0;

	for (; *s != '\0'; s++) {
		if (s[0] == '/' && s[1] == '*') {
			depth++;
			s++;
		} else if (s[0] == '*' && s[1] == '/') {
			s++;
			if (--depth == 0)
				return s + 1;
		}
	}
	return s;
}

/*
 * Past whatever lexical unit starts at s when it is one the splitter must
 * step over whole (quote, comment); NULL when s starts none.
 */
static const char *
skip_unit(const char *start, const char *s)
{
	size_t	n;
	int	after_ident = s > start && is_ident_char((unsigned char)s[-1]);

	switch (*s) {
	case '\'':
		/* E'...' takes backslash escapes; so does e'...'. */
		return skip_quoted(s, s > start && (s[-1] == 'E' ||
		    s[-1] == 'e') && (s - 1 == start ||
		    !is_ident_char((unsigned char)s[-2])));
	case '"':
		return skip_quoted(s, 0);
	case '-':
		if (s[1] != '-')
			return NULL;
		s += strcspn(s, "\n");
		return s;
	case '/':
		return s[1] == '*' ? skip_block_comment(s) : NULL;
	case '$':
		if (after_ident || (n = dollar_tag(s)) == 0)
			return NULL;
		{
			char	*tag = xstrndup(s, n);
			const char *end = strstr(s + n, tag);

			free(tag);
			return end != NULL ? end + n : s + strlen(s);
		}
	default:
		return NULL;
	}
}

static void
push_statement(const char *from, const char *to, char ***out, size_t *n)
{
	while (from < to && isspace((unsigned char)*from))
		from++;
	while (to > from && isspace((unsigned char)to[-1]))
		to--;
	if (from == to)
		return;
	*out = xreallocarray(*out, *n + 1, sizeof **out);
	(*out)[(*n)++] = xstrndup(from, to - from);
}

size_t
ddl_split(const char *sql, char ***statements)
{
	const char	*s = sql, *begin = sql, *next;
	size_t		 n = 0;
	int		 depth = 0;

	*statements = NULL;
	while (*s != '\0') {
		if ((next = skip_unit(sql, s)) != NULL) {
			s = next;
			continue;
		}
		if (*s == '(')
			depth++;
		else if (*s == ')' && depth > 0)
			depth--;
		else if (*s == ';' && depth == 0) {
			push_statement(begin, s, statements, &n);
			begin = s + 1;
		}
		s++;
	}
	push_statement(begin, s, statements, &n);
	return n;
}

/* The first word of a statement, past comments and parentheses. */
static size_t
first_word(const char *s, const char **word)
{
	const char	*next;
	size_t		 n = 0;

	for (;;) {
		while (isspace((unsigned char)*s) || *s == '(')
			s++;
		if ((*s == '-' || *s == '/') &&
		    (next = skip_unit(s, s)) != NULL) {
			s = next;
			continue;
		}
		break;
	}
	*word = s;
	while (isalpha((unsigned char)s[n]))
		n++;
	return n;
}

static int
word_is(const char *word, size_t len, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == len && strncasecmp(word, *list, len) == 0)
			return 1;
	return 0;
}

static int
contains_word_pair(const char *s, const char *pair)
{
	size_t	n = strlen(pair);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, pair, n) == 0)
			return 1;
	return 0;
}

static int
is_privilege_statement(const char *stmt)
{
	static const char *const privilege[] = { "GRANT", "REVOKE", NULL };
	const char	*w;
	size_t		 n = first_word(stmt, &w);

	if (word_is(w, n, privilege))
		return 1;
	return n == 5 && strncasecmp(w, "ALTER", 5) == 0 &&
	    contains_word_pair(stmt, " OWNER TO ");
}

int
ddl_is_schema_statement(const char *stmt)
{
	static const char *const schema[] = { "CREATE", "ALTER", "DROP",
	    "COMMENT", "SECURITY", "IMPORT", "REFRESH", "DO", "CALL", NULL };
	const char	*w;
	size_t		 n = first_word(stmt, &w);

	return word_is(w, n, schema) && !is_privilege_statement(stmt);
}

/*
 * CONCURRENTLY cannot run inside a transaction block, and replay applies
 * each source transaction inside one; on a replica no one waits for the
 * lock, so the plain form does the same.  Looked for among the first
 * words only (CREATE UNIQUE INDEX CONCURRENTLY, DROP INDEX ..., REFRESH
 * MATERIALIZED VIEW ..., REINDEX TABLE ...).
 */
static void
strip_concurrently(char *stmt)
{
	char	*w = stmt;
	size_t	 n;
	int	 words;

	for (words = 0; words < 5; words++) {
		while (isspace((unsigned char)*w))
			w++;
		for (n = 0; isalpha((unsigned char)w[n]); n++)
			;
		if (n == 0 || !(isspace((unsigned char)w[n]) || w[n] == '\0'))
			return;
		if (n == 12 && strncasecmp(w, "CONCURRENTLY", 12) == 0) {
			memmove(w, w + n, strlen(w + n) + 1);
			return;
		}
		w += n;
	}
}

static char *
json_string_dup(json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

int
ddl_message_parse(const char *content, size_t len, struct ddl_message *m,
    struct pgtt_err *err)
{
	json_error_t	 jerr;
	json_t		*root;
	char		**all;
	size_t		 nall, i;

	memset(m, 0, sizeof *m);
	if ((root = json_loadb(content, len, 0, &jerr)) == NULL)
		return err_set(err, PGTT_ECORRUPT, "a DDL message is not JSON: "
		    "%s", jerr.text);
	m->tag = json_string_dup(root, "tag");
	m->search_path = json_string_dup(root, "search_path");
	m->query = json_string_dup(root, "query");
	json_decref(root);
	if (m->query == NULL || m->search_path == NULL) {
		ddl_message_done(m);
		return err_set(err, PGTT_ECORRUPT, "a DDL message lacks its "
		    "query or search_path");
	}
	if (m->tag == NULL)
		m->tag = xstrdup("");

	nall = ddl_split(m->query, &all);
	for (i = 0; i < nall; i++) {
		int	run = nall == 1 ? !is_privilege_statement(all[i]) :
		    ddl_is_schema_statement(all[i]);

		if (run) {
			strip_concurrently(all[i]);
			m->statements = xreallocarray(m->statements,
			    m->nstatements + 1, sizeof *m->statements);
			m->statements[m->nstatements++] = all[i];
		} else
			free(all[i]);
	}
	free(all);
	return 0;
}

void
ddl_message_done(struct ddl_message *m)
{
	size_t	i;

	for (i = 0; i < m->nstatements; i++)
		free(m->statements[i]);
	free(m->statements);
	free(m->tag);
	free(m->search_path);
	free(m->query);
	memset(m, 0, sizeof *m);
}
