/*
 * baseline.c: the restore list of a baseline dump.  pg_restore -l prints
 * one line per archive entry; a line is kept unless it names one of pgtt's
 * own objects.  The list goes to a temporary name first and is renamed
 * into place, so a reader never sees half a list.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
