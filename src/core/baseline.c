/*
 * baseline.c: the restore list of a baseline dump, and a row read from
 * it.  pg_restore -l prints one line per archive entry; a line is kept
 * unless it names one of pgtt's own objects.  The list goes to a
 * temporary name first and is renamed into place, so a reader never sees
 * half a list.  A row is found in the table's data as pg_restore prints
 * it: COPY's text format, one line per row.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/types.h>

#include "baseline.h"
#include "proc.h"
#include "xmalloc.h"

/* Archive entries that belong to pgtt, not to the user's database. */
static const char *const own_entries[] = {
	" EVENT TRIGGER - pgtt_ddl_capture ",
	" EVENT TRIGGER - pgtt_ddl_drop ",
	" EVENT TRIGGER - pgtt_ddl_rewrite ",
	NULL
};

static int
is_own_entry(const char *line)
{
	const char *const	*p;

	for (p = own_entries; *p != NULL; p++)
		if (strstr(line, *p) != NULL)
			return 1;
	return 0;
}

int
baseline_write_list(const char *bindir, int major, const char *dump_path,
    const char *list_path, struct pgtt_err *err)
{
	char	*pg_restore, *raw, *tmp, *file_arg, line[4096];
	FILE	*in = NULL, *out = NULL;
	int	 fd = -1, ret;

	pg_restore = proc_find_pgbin(bindir, major, "pg_restore");
	xasprintf(&raw, "%s.raw", list_path);
	xasprintf(&tmp, "%s.partial", list_path);
	xasprintf(&file_arg, "--file=%s", raw);
	{
		const char	*argv[] = { pg_restore, "--list", file_arg,
		    dump_path, NULL };

		ret = proc_run(argv, NULL, err);
	}
	if (ret != 0)
		goto out;
	/* The list names every table: as private as the dump itself. */
	if ((in = fopen(raw, "r")) == NULL ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    (out = fdopen(fd, "w")) == NULL) {
		ret = err_set(err, PGTT_EIO, "could not open \"%s\": %s",
		    in == NULL ? raw : tmp, strerror(errno));
		goto out;
	}
	fd = -1;	/* out owns it now */
	while (fgets(line, sizeof line, in) != NULL)
		if (!is_own_entry(line))
			fputs(line, out);
	if (ferror(in) || fclose(out) != 0) {
		out = NULL;
		ret = err_set(err, PGTT_EIO, "could not write \"%s\": %s", tmp,
		    strerror(errno));
		goto out;
	}
	out = NULL;
	if (rename(tmp, list_path) == -1)
		ret = err_set(err, PGTT_EIO, "could not rename \"%s\": %s",
		    tmp, strerror(errno));
out:
	if (in != NULL)
		fclose(in);
	if (out != NULL)
		fclose(out);
	else if (fd != -1)
		close(fd);
	unlink(raw);
	if (ret != 0)
		unlink(tmp);
	free(pg_restore);
	free(raw);
	free(tmp);
	free(file_arg);
	return ret;
}

/*
 * One column name of COPY's list at *p, quoted as pg_dump quotes it;
 * advances *p past it.  NULL if malformed.
 */
static char *
copy_column(const char **p)
{
	const char	*s = *p;
	char		*out = xmalloc(strlen(s) + 1), *w = out;

	if (*s == '"') {
		for (s++; *s != '\0'; s++) {
			if (*s == '"' && s[1] != '"')
				break;
			if (*s == '"')
				s++;
			*w++ = *s;
		}
		if (*s++ != '"') {
			free(out);
			return NULL;
		}
	} else
		while (*s != '\0' && *s != ',' && *s != ')')
			*w++ = *s++;
	*w = '\0';
	*p = s;
	return out;
}

/* The column list of "COPY name (a, b) FROM stdin;", or -1. */
static int
copy_header(const char *line, struct baseline_row *row)
{
	const char	*p;
	char		*name;
	int		 quoted = 0;

	/* Past the table's name: the first '(' outside double quotes. */
	for (p = line + 5; *p != '\0' && (quoted || *p != '('); p++)
		if (*p == '"')
			quoted = !quoted;
	if (*p++ != '(')
		return -1;
	for (;;) {
		if ((name = copy_column(&p)) == NULL)
			return -1;
		row->names = xreallocarray(row->names, row->ncols + 1,
		    sizeof *row->names);
		row->names[row->ncols++] = name;
		if (*p == ')')
			return 0;
		if (p[0] != ',' || p[1] != ' ')
			return -1;
		p += 2;
	}
}

/*
 * Field text at s (up to a tab or the end) decoded from COPY's escapes
 * into a malloc'd string; NULL for \N.  *end goes past the field.
 */
static char *
copy_field(const char *s, const char **end)
{
	char	*out, *w;
	int	 n, v;

	if (s[0] == '\\' && s[1] == 'N' && (s[2] == '\t' || s[2] == '\0')) {
		*end = s + 2;
		return NULL;
	}
	out = w = xmalloc(strlen(s) + 1);
	for (; *s != '\0' && *s != '\t'; s++) {
		if (*s != '\\' || s[1] == '\0') {
			*w++ = *s;
			continue;
		}
		switch (*++s) {
		case 'b': *w++ = '\b'; break;
		case 'f': *w++ = '\f'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 't': *w++ = '\t'; break;
		case 'v': *w++ = '\v'; break;
		case 'x':
			for (n = 0, v = 0; n < 2 && isxdigit((unsigned char)s[1]);
			    n++, s++)
				v = v * 16 + (isdigit((unsigned char)s[1]) ?
				    s[1] - '0' : (tolower((unsigned char)s[1]) -
				    'a' + 10));
			if (n == 0)
				*w++ = 'x';
			else
				*w++ = (char)v;
			break;
		default:
			if (*s >= '0' && *s <= '7') {
				for (n = 0, v = 0; n < 3 && *s >= '0' &&
				    *s <= '7'; n++, s++)
					v = v * 8 + (*s - '0');
				s--;
				*w++ = (char)v;
			} else
				*w++ = *s;
		}
	}
	*w = '\0';
	*end = s;
	return out;
}

void
baseline_row_free(struct baseline_row *row)
{
	size_t	i;

	for (i = 0; i < row->ncols; i++) {
		free(row->names[i]);
		if (row->values != NULL)
			free(row->values[i]);
	}
	free(row->names);
	free(row->values);
	memset(row, 0, sizeof *row);
}

/* Line's fields into row->values; 0, or -1 for too few fields. */
static int
copy_row_read(const char *line, struct baseline_row *row)
{
	const char	*p = line;
	size_t		 i;

	for (i = 0; i < row->ncols; i++) {
		free(row->values[i]);
		row->values[i] = NULL;
	}
	for (i = 0; i < row->ncols; i++) {
		row->values[i] = copy_field(p, &p);
		if (*p == '\t')
			p++;
		else if (i + 1 < row->ncols)
			return -1;
	}
	return 0;
}

int
baseline_extract(const char *bindir, int major, const char *dump_path,
    const char *schema, const char *table, char **out, struct pgtt_err *err)
{
	const char	*tmpdir = getenv("TMPDIR");
	char		*pg_restore, *path, *file_arg, *schema_arg, *table_arg;
	int		 fd, ret;

	*out = NULL;
	xasprintf(&path, "%s/pgtt-baseline-XXXXXX", tmpdir != NULL &&
	    *tmpdir != '\0' ? tmpdir : "/tmp");
	/* The rows are the source's data: mkstemp's file is ours alone. */
	if ((fd = mkstemp(path)) == -1) {
		ret = err_set(err, PGTT_EIO, "could not make a temporary file "
		    "\"%s\": %s", path, strerror(errno));
		free(path);
		return ret;
	}
	close(fd);
	pg_restore = proc_find_pgbin(bindir, major, "pg_restore");
	xasprintf(&file_arg, "--file=%s", path);
	xasprintf(&schema_arg, "--schema=%s", schema);
	xasprintf(&table_arg, "--table=%s", table);
	{
		const char	*argv[] = { pg_restore, "--data-only",
		    schema_arg, table_arg, file_arg, dump_path, NULL };

		ret = proc_run(argv, NULL, err);
	}
	free(pg_restore);
	free(file_arg);
	free(schema_arg);
	free(table_arg);
	if (ret != 0) {
		unlink(path);
		free(path);
		return ret;
	}
	*out = path;
	return 0;
}

int
baseline_read(const char *path, baseline_row_fn *fn, void *arg,
    struct pgtt_err *err)
{
	struct baseline_row	 row;
	char			*line = NULL;
	size_t			 cap = 0;
	ssize_t			 len;
	FILE			*in;
	int			 ret = 0, in_data = 0;

	memset(&row, 0, sizeof row);
	if ((in = fopen(path, "r")) == NULL)
		return err_set(err, PGTT_EIO, "could not open \"%s\": %s",
		    path, strerror(errno));
	while (ret == 0 && (len = getline(&line, &cap, in)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (!in_data) {
			if (strncmp(line, "COPY ", 5) != 0)
				continue;
			if (copy_header(line, &row) != 0) {
				ret = err_set(err, PGTT_EIO, "pg_restore "
				    "printed an unexpected line: %.80s", line);
				break;
			}
			row.values = xcalloc(row.ncols + 1, sizeof *row.values);
			in_data = 1;
			continue;
		}
		if (strcmp(line, "\\.") == 0)
			break;
		if (copy_row_read(line, &row) != 0) {
			ret = err_set(err, PGTT_EIO, "pg_restore printed a row "
			    "with too few columns: %.80s", line);
			break;
		}
		ret = fn(arg, &row);
	}
	if (ret == 0 && ferror(in))
		ret = err_set(err, PGTT_EIO, "could not read \"%s\": %s", path,
		    strerror(errno));
	baseline_row_free(&row);
	fclose(in);
	free(line);
	return ret;
}

int
baseline_each_row(const char *bindir, int major, const char *dump_path,
    const char *schema, const char *table, baseline_row_fn *fn, void *arg,
    struct pgtt_err *err)
{
	char	*path;
	int	 ret;

	if ((ret = baseline_extract(bindir, major, dump_path, schema, table,
	    &path, err)) != 0)
		return ret;
	ret = baseline_read(path, fn, arg, err);
	unlink(path);
	free(path);
	return ret;
}

struct find {
	size_t			  nkeys;
	const char *const	 *keycols;
	const char *const	 *keyvals;
	struct baseline_row	 *out;
};

static int
find_one(void *arg, const struct baseline_row *row)
{
	struct find	*f = arg;
	const char	*v;
	size_t		 i, k;

	for (k = 0; k < f->nkeys; k++) {
		for (i = 0; i < row->ncols &&
		    strcmp(row->names[i], f->keycols[k]) != 0; i++)
			;
		/* The dump has not the key: not this row. */
		if (i == row->ncols)
			return -1;
		v = row->values[i];
		if ((v == NULL) != (f->keyvals[k] == NULL) ||
		    (v != NULL && strcmp(v, f->keyvals[k]) != 0))
			return 0;
	}
	f->out->ncols = row->ncols;
	f->out->names = xcalloc(row->ncols + 1, sizeof *f->out->names);
	f->out->values = xcalloc(row->ncols + 1, sizeof *f->out->values);
	for (i = 0; i < row->ncols; i++) {
		f->out->names[i] = xstrdup(row->names[i]);
		if (row->values[i] != NULL)
			f->out->values[i] = xstrdup(row->values[i]);
	}
	return 1;
}

int
baseline_find_row(const char *bindir, int major, const char *dump_path,
    const char *schema, const char *table, size_t nkeys,
    const char *const *keycols, const char *const *keyvals,
    struct baseline_row *row, struct pgtt_err *err)
{
	struct find	f = { nkeys, keycols, keyvals, row };
	int		ret;

	memset(row, 0, sizeof *row);
	ret = baseline_each_row(bindir, major, dump_path, schema, table,
	    find_one, &f, err);
	return ret == -1 ? 0 : ret;
}

int
baseline_holds_table(const char *list_path, uint32_t relid)
{
	char		 line[4096];
	unsigned	 tableoid, oid;
	int		 off, found = 0;
	FILE		*in;

	if (list_path == NULL || (in = fopen(list_path, "r")) == NULL)
		return -1;
	while (!found && fgets(line, sizeof line, in) != NULL) {
		off = 0;
		if (sscanf(line, "%*d; %u %u %n", &tableoid, &oid, &off) == 2 &&
		    off > 0 && strncmp(line + off, "TABLE DATA ", 11) == 0 &&
		    oid == relid)
			found = 1;
	}
	fclose(in);
	return found;
}
