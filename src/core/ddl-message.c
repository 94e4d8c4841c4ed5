/*
 * ddl-message.c: the DDL messages the capture emits (setup-ddl.c writes
 * the event trigger): their JSON read into struct ddl_message, and the
 * text log and the TUI show for one.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ddl.h"
#include "xmalloc.h"

const char *const ddl_setting_names[DDL_NSETTINGS] = {
	"standard_conforming_strings",
	"check_function_bodies",
	"default_tablespace",
	"default_table_access_method",
	/* How a date, interval or timestamp literal in the DDL reads. */
	"DateStyle",
	"IntervalStyle",
	"TimeZone",
};

/* --- the message --- */

static void
add_text(char **acc, const char *sep, const char *s)
{
	char	*next;

	xasprintf(&next, "%s%s%s", *acc != NULL ? *acc : "",
	    *acc != NULL ? sep : "", s);
	free(*acc);
	*acc = next;
}

/*
 * The table a CREATE TABLE AS or SELECT INTO gave the source, from the
 * catalog as the capture read it (names quoted there): columns, types,
 * collations, storage.  NULL when a part is missing.
 */
static char *
create_table_text(json_t *t)
{
	const char	*schema, *name, *am, *space, *s;
	json_t		*col, *opt;
	char		*cols = NULL, *opts = NULL, *def, *sql;
	size_t		 i;

	schema = json_string_value(json_object_get(t, "schema"));
	name = json_string_value(json_object_get(t, "name"));
	am = json_string_value(json_object_get(t, "access_method"));
	space = json_string_value(json_object_get(t, "tablespace"));
	if (schema == NULL || name == NULL)
		return NULL;
	json_array_foreach(json_object_get(t, "columns"), i, col) {
		const char *cname = json_string_value(json_object_get(col,
		    "name"));
		const char *type = json_string_value(json_object_get(col,
		    "type"));
		const char *coll = json_string_value(json_object_get(col,
		    "collation"));

		if (cname == NULL || type == NULL) {
			free(cols);
			return NULL;
		}
		xasprintf(&def, "%s %s%s%s", cname, type, coll != NULL ?
		    " COLLATE " : "", coll != NULL ? coll : "");
		add_text(&cols, ", ", def);
		free(def);
	}
	json_array_foreach(json_object_get(t, "options"), i, opt)
		if ((s = json_string_value(opt)) != NULL)
			add_text(&opts, ", ", s);
	xasprintf(&sql, "CREATE %sTABLE %s.%s (%s)%s%s%s%s%s%s%s",
	    json_is_true(json_object_get(t, "unlogged")) ? "UNLOGGED " : "",
	    schema, name, cols != NULL ? cols : "",
	    am != NULL ? " USING " : "", am != NULL ? am : "",
	    opts != NULL ? " WITH (" : "", opts != NULL ? opts : "",
	    opts != NULL ? ")" : "",
	    space != NULL ? " TABLESPACE " : "", space != NULL ? space : "");
	free(cols);
	free(opts);
	return sql;
}

static char *
json_string_dup(json_t *obj, const char *key)
{
	json_t	*v = json_object_get(obj, key);

	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

/* "table public.t, index public.t_pkey" from [{"type":..,"identity":..}] */
static char *
objects_text(json_t *list, char *acc)
{
	json_t	*o;
	size_t	 i;
	char	*next;

	json_array_foreach(list, i, o) {
		const char *type = json_string_value(json_object_get(o, "type"));
		const char *id = json_string_value(json_object_get(o,
		    "identity"));

		if (type == NULL || id == NULL)
			continue;
		xasprintf(&next, "%s%s%s %s", acc != NULL ? acc : "",
		    acc != NULL ? ", " : "", type, id);
		free(acc);
		acc = next;
	}
	return acc;
}

int
ddl_message_parse(const char *content, size_t len, struct ddl_message *m,
    struct pgtt_err *err)
{
	json_error_t	 jerr;
	json_t		*root, *v, *settings;
	size_t		 i;

	memset(m, 0, sizeof *m);
	if ((root = json_loadb(content, len, 0, &jerr)) == NULL ||
	    !json_is_object(root)) {
		json_decref(root);
		return err_set(err, PGTT_ECORRUPT, "a DDL message is not a "
		    "JSON object");
	}
	v = json_object_get(root, "v");
	m->version = json_is_integer(v) ? (int)json_integer_value(v) : 0;
	m->tag = json_string_dup(root, "tag");
	m->search_path = json_string_dup(root, "search_path");
	m->query = json_string_dup(root, "query");
	m->role = json_string_dup(root, "role");
	m->ts = json_string_dup(root, "ts");
	m->superuser = json_is_true(json_object_get(root, "superuser"));
	m->nested = json_is_true(json_object_get(root, "nested"));
	m->temporary = json_is_true(json_object_get(root, "temporary"));
	m->objects = objects_text(json_object_get(root, "objects"), NULL);
	m->objects = objects_text(json_object_get(root, "dropped"), m->objects);
	if (json_is_object(v = json_object_get(root, "table")))
		m->create_table = create_table_text(v);
	m->partition_bound = json_string_dup(root, "partition_bound");
	if ((m->ncolumn_values = json_array_size(v = json_object_get(root,
	    "column_values"))) > 0) {
		m->column_values = xcalloc(m->ncolumn_values,
		    sizeof *m->column_values);
		for (i = 0; i < m->ncolumn_values; i++) {
			const char *u = json_string_value(json_array_get(v, i));

			m->column_values[i] = xstrdup(u != NULL ? u : "");
		}
	}
	/* A GRANT reports its command with no object identity. */
	m->changed = json_array_size(json_object_get(root, "objects")) +
	    json_array_size(json_object_get(root, "dropped")) > 0;
	settings = json_object_get(root, "settings");
	for (i = 0; i < DDL_NSETTINGS; i++)
		m->settings[i] = json_string_dup(settings, ddl_setting_names[i]);
	json_decref(root);
	if (m->tag == NULL)
		m->tag = xstrdup("");
	if (m->search_path == NULL || (m->version == 0 && m->query == NULL) ||
	    (m->version >= 2 && m->role == NULL)) {
		ddl_message_done(m);
		return err_set(err, PGTT_ECORRUPT, "a DDL message lacks its "
		    "query, search_path or role");
	}
	return 0;
}

void
ddl_message_done(struct ddl_message *m)
{
	size_t	i;

	free(m->tag);
	free(m->search_path);
	free(m->query);
	free(m->role);
	free(m->ts);
	free(m->objects);
	free(m->create_table);
	free(m->partition_bound);
	for (i = 0; i < m->ncolumn_values; i++)
		free(m->column_values[i]);
	free(m->column_values);
	for (i = 0; i < DDL_NSETTINGS; i++)
		free(m->settings[i]);
	memset(m, 0, sizeof *m);
}

char *
ddl_message_text(const struct ddl_message *m)
{
	char	*text;

	if (m->query != NULL)
		return xstrdup(m->query);
	xasprintf(&text, "%s%s%s (in the query above)", m->tag,
	    m->objects != NULL ? " of " : "", m->objects != NULL ?
	    m->objects : "");
	return text;
}

char *
ddl_describe(const char *content, size_t len, char **search_path)
{
	struct ddl_message	 m;
	struct pgtt_err		 err;
	char			*text;

	if (search_path != NULL)
		*search_path = NULL;
	if (ddl_message_parse(content, len, &m, &err) != 0)
		return NULL;
	text = ddl_message_text(&m);
	if (search_path != NULL)
		*search_path = xstrdup(m.search_path);
	ddl_message_done(&m);
	return text;
}
