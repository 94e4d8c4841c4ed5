/*
 * dsn.c: parse DSNs with libpq's own parser (PQconninfoParse), so what pgtt
 * masks is exactly what libpq would use, URIs and quoting included.  Values
 * are re-quoted for key=value form: single quotes around, backslash before
 * quote and backslash.
 */
#include <string.h>

#include <libpq-fe.h>

#include "dsn.h"
#include "xmalloc.h"
#include "record.h"

static void
append_quoted(struct buf *b, const char *key, const char *val)
{
	const char	*p;

	if (b->len > 0)
		buf_append(b, " ", 1);
	buf_append(b, key, strlen(key));
	buf_append(b, "='", 2);
	for (p = val; *p != '\0'; p++) {
		if (*p == '\'' || *p == '\\')
			buf_append(b, "\\", 1);
		buf_append(b, p, 1);
	}
	buf_append(b, "'", 1);
}

/*
 * Rebuild dsn: with mask, the password shown as stars; else without it
 * and *password gets it (or NULL), or with it when password is NULL.
 */
static char *
rebuild(PQconninfoOption *opts, int mask, char **password)
{
	PQconninfoOption	*o;
	struct buf		 b;
	char			*out;

	buf_init(&b);
	if (password != NULL)
		*password = NULL;
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "password") == 0) {
			if (mask)
				append_quoted(&b, o->keyword, "********");
			else if (password != NULL)
				*password = xstrdup(o->val);
			else
				append_quoted(&b, o->keyword, o->val);
			continue;
		}
		append_quoted(&b, o->keyword, o->val);
	}
	buf_append(&b, "", 1);
	out = xstrdup((char *)b.data);
	buf_done(&b);
	return out;
}

int
dsn_may_hold_password(const char *dsn)
{
	const char	*at, *rest;

	if (strstr(dsn, "password") != NULL)
		return 1;
	if ((rest = strstr(dsn, "://")) == NULL)
		return 0;
	rest += 3;
	if ((at = strchr(rest, '@')) == NULL)
		return 0;
	return memchr(rest, ':', (size_t)(at - rest)) != NULL;
}

/* libpq's reason a DSN does not parse, unless it could quote a password. */
static void
parse_error(const char *dsn, char *why, struct pgtt_err *err)
{
	err_set(err, PGTT_ECONFIG, "invalid connection string");
	if (why != NULL && !dsn_may_hold_password(dsn))
		err_detail(err, "%s", why);
	if (why != NULL)
		PQfreemem(why);
}

char *
dsn_mask(const char *dsn)
{
	PQconninfoOption	*opts;
	char			*out;

	if ((opts = PQconninfoParse(dsn, NULL)) == NULL)
		return xstrdup("(unparsable connection string)");
	out = rebuild(opts, 1, NULL);
	PQconninfoFree(opts);
	return out;
}

int
dsn_split_password(const char *dsn, char **without, char **password,
    struct pgtt_err *err)
{
	PQconninfoOption	*opts;
	char			*why = NULL;

	if ((opts = PQconninfoParse(dsn, &why)) == NULL) {
		parse_error(dsn, why, err);
		return err->code;
	}
	*without = rebuild(opts, 0, password);
	PQconninfoFree(opts);
	return 0;
}

char *
dsn_with_dbname(const char *dsn, const char *dbname, struct pgtt_err *err)
{
	PQconninfoOption	*opts, *o;
	char			*why = NULL, *saved = NULL, *out;

	if ((opts = PQconninfoParse(dsn, &why)) == NULL) {
		parse_error(dsn, why, err);
		return NULL;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "dbname") == 0) {
			saved = o->val;
			o->val = (char *)dbname;
		}
	}
	out = rebuild(opts, 0, NULL);
	/* libpq frees what it allocated, not our name. */
	for (o = opts; o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "dbname") == 0)
			o->val = saved;
	}
	PQconninfoFree(opts);
	return out;
}
