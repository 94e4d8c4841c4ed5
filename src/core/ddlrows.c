/*
 * ddlrows.c: the capture's rows messages, as the pgoutput events they
 * stand for.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ddlrows.h"
#include "xmalloc.h"

static int
malformed(struct ddl_rows *r, struct pgtt_err *err, const char *what)
{
	ddl_rows_done(r);
	return err_set(err, PGTT_ECORRUPT, "a rows message of the DDL "
	    "capture has %s", what);
}

static int
parse_columns(struct ddl_rows *r, json_t *cols, struct pgtt_err *err)
{
	struct pgo_column	*c;
	json_t			*col;
	size_t			 i, n = json_array_size(cols);

	if (n == 0 || n > UINT16_MAX)
		return malformed(r, err, "no column list");
	c = xcalloc(n, sizeof *c);
	r->relation.u.relation.cols = c;
	r->relation.u.relation.ncols = (uint16_t)n;
	json_array_foreach(cols, i, col) {
		json_t	*type = json_object_get(col, "type");
		json_t	*typmod = json_object_get(col, "typmod");

		c[i].name = json_string_value(json_object_get(col, "name"));
		if (c[i].name == NULL || !json_is_integer(type) ||
		    !json_is_integer(typmod))
			return malformed(r, err, "a column without its name "
			    "or type");
		c[i].type_oid = (uint32_t)json_integer_value(type);
		c[i].typmod = (int32_t)json_integer_value(typmod);
		c[i].flags = json_is_true(json_object_get(col, "key")) ? 1 : 0;
	}
	return 0;
}

static int
parse_values(struct ddl_rows *r, json_t *values, struct pgtt_err *err)
{
	uint16_t		 ncols = r->relation.u.relation.ncols;
	struct pgo_value	*v;
	json_t			*row, *x;
	size_t			 i, k;

	r->nrows = json_array_size(values);
	r->rows = xcalloc(r->nrows + 1, sizeof *r->rows);
	v = r->values = xcalloc(r->nrows * ncols + 1, sizeof *v);
	json_array_foreach(values, i, row) {
		struct pgo_event	*ev = &r->rows[i];

		if (json_array_size(row) != ncols)
			return malformed(r, err, "a row of another width than "
			    "its relation");
		ev->type = r->op;
		ev->u.change.relid = r->relation.u.relation.relid;
		ev->u.change.new.ncols = ncols;
		ev->u.change.new.values = v + i * ncols;
		json_array_foreach(row, k, x) {
			struct pgo_value *val = &ev->u.change.new.values[k];

			if (json_is_null(x))
				val->kind = 'n';
			else if (json_is_string(x)) {
				val->kind = 't';
				val->data = json_string_value(x);
				val->len = (uint32_t)json_string_length(x);
			} else
				return malformed(r, err, "a value that is "
				    "neither text nor null");
		}
	}
	return 0;
}

int
ddl_rows_parse(const char *content, size_t len, struct ddl_rows *r,
    struct pgtt_err *err)
{
	json_error_t	 jerr;
	json_t		*root, *rows, *relid, *ident;
	const char	*s;

	memset(r, 0, sizeof *r);
	/*
	 * Not JSON (a capture on a database whose encoding is not UTF-8
	 * writes its messages in that encoding): journaled as DDL, as
	 * before, for replay to judge.
	 */
	if ((root = json_loadb(content, len, 0, &jerr)) == NULL)
		return PGTT_ENOTFOUND;
	r->root = root;
	if (!json_is_object(rows = json_object_get(root, "rows"))) {
		ddl_rows_done(r);
		return PGTT_ENOTFOUND;
	}
	relid = json_object_get(rows, "relid");
	ident = json_object_get(rows, "replident");
	r->relation.type = PGO_RELATION;
	r->relation.u.relation.nspname = json_string_value(json_object_get(rows,
	    "schema"));
	r->relation.u.relation.relname = json_string_value(json_object_get(rows,
	    "name"));
	if (!json_is_integer(relid) || (s = json_string_value(ident)) == NULL ||
	    strlen(s) != 1 || r->relation.u.relation.nspname == NULL ||
	    r->relation.u.relation.relname == NULL)
		return malformed(r, err, "no relation");
	r->relation.u.relation.relid = (uint32_t)json_integer_value(relid);
	r->relation.u.relation.replident = s[0];
	r->op = json_is_true(json_object_get(rows, "update")) ? PGO_UPDATE :
	    PGO_INSERT;
	if (parse_columns(r, json_object_get(rows, "columns"), err) != 0)
		return err->code;
	return parse_values(r, json_object_get(rows, "values"), err);
}

void
ddl_rows_done(struct ddl_rows *r)
{
	free(r->values);
	free(r->rows);
	free(r->relation.u.relation.cols);
	json_decref(r->root);
	memset(r, 0, sizeof *r);
}
