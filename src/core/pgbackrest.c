/*
 * pgbackrest.c: pgBackRest's commands, run as the cluster's OS user, and
 * its info read into the backup records the rest of pgtt knows.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "backup.h"
#include "buf.h"
#include "pgbackrest.h"
#include "proc.h"
#include "wal.h"
#include "xmalloc.h"

#define MAX_ARGS	16
#define UNIX_AT_2000	946684800LL	/* pgtime counts from 2000-01-01 */

/* One pgbackrest command line: the stanza and config, then the rest. */
struct pgbr_cmd {
	const char	*argv[MAX_ARGS + 1];
	char		*owned[MAX_ARGS];
	size_t		 n, nowned;
};

static void
cmd_add(struct pgbr_cmd *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
cmd_add(struct pgbr_cmd *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*arg;
	int	 len;

	if (c->n == MAX_ARGS)
		fatalx("pgbackrest: too many arguments");
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	arg = xmalloc((size_t)len + 1);
	va_start(ap, fmt);
	vsnprintf(arg, (size_t)len + 1, fmt, ap);
	va_end(ap);
	c->owned[c->nowned++] = arg;
	c->argv[c->n++] = arg;
	c->argv[c->n] = NULL;
}

static void
cmd_init(struct pgbr_cmd *c, const struct config *cfg)
{
	memset(c, 0, sizeof *c);
	cmd_add(c, "pgbackrest");
	cmd_add(c, "--stanza=%s", cfg->pitr.pgbackrest.stanza);
	if (cfg->pitr.pgbackrest.config != NULL)
		cmd_add(c, "--config=%s", cfg->pitr.pgbackrest.config);
}

static void
cmd_done(struct pgbr_cmd *c)
{
	size_t	i;

	for (i = 0; i < c->nowned; i++)
		free(c->owned[i]);
	memset(c, 0, sizeof *c);
}

/*
 * Run it as the cluster's OS user: pgBackRest reads its data directory.
 * A failure names the command and the stanza; pgBackRest's own words
 * stay in the detail.
 */
static int
cmd_run(struct pgbr_cmd *c, const struct config *cfg, struct buf *out,
    void (*on_line)(void *, const char *), void *arg, struct pgtt_err *err)
{
	struct proc_opts	 opts;
	char			*user = NULL, detail[sizeof err->detail];
	int			 defaulted, ret;

	if ((ret = proc_server_user(cfg->pitr.os_user, &user, &defaulted,
	    err)) != 0)
		return ret;
	memset(&opts, 0, sizeof opts);
	opts.user = user;
	opts.out = out;
	opts.on_line = on_line;
	opts.arg = arg;
	if ((ret = proc_exec(c->argv, &opts, err)) != 0) {
		snprintf(detail, sizeof detail, "%s", err->detail);
		err_set(err, ret, "pgbackrest %s failed for stanza \"%s\"%s%s",
		    c->argv[c->n - 1], cfg->pitr.pgbackrest.stanza,
		    cfg->pitr.pgbackrest.config != NULL ? " of " : "",
		    cfg->pitr.pgbackrest.config != NULL ?
		    cfg->pitr.pgbackrest.config : "");
		err_detail(err, "%s", detail);
		err_hint(err, "pitr.pgbackrest in the config names the stanza "
		    "and pgBackRest's config file");
	}
	free(user);
	return ret;
}

int
pgbr_check(const struct config *cfg, struct pgtt_err *err)
{
	struct pgbr_cmd	c;
	int		ret;

	cmd_init(&c, cfg);
	cmd_add(&c, "check");
	ret = cmd_run(&c, cfg, NULL, NULL, NULL, err);
	cmd_done(&c);
	return ret;
}

int
pgbr_backup(const struct config *cfg, const char *type,
    void (*on_line)(void *, const char *), void *arg, struct pgtt_err *err)
{
	struct pgbr_cmd	c;
	int		ret;

	cmd_init(&c, cfg);
	if (type != NULL)
		cmd_add(&c, "--type=%s", type);
	/* Its progress is its log, on stderr. */
	cmd_add(&c, "--log-level-stderr=info");
	cmd_add(&c, "backup");
	ret = cmd_run(&c, cfg, NULL, on_line, arg, err);
	cmd_done(&c);
	return ret;
}

int
pgbr_restore(const struct config *cfg, const char *label, const char *dir,
    struct pgtt_err *err)
{
	struct pgbr_cmd	c;
	int		ret;

	cmd_init(&c, cfg);
	cmd_add(&c, "--set=%s", label);
	cmd_add(&c, "--pg1-path=%s", dir);
	cmd_add(&c, "restore");
	ret = cmd_run(&c, cfg, NULL, NULL, NULL, err);
	cmd_done(&c);
	return ret;
}

char *
pgbr_restore_command(const struct config *cfg, const char *dir,
    const char *subdir)
{
	char	*cmd;

	/*
	 * PostgreSQL gives %p relative to the data directory, which
	 * pgBackRest reads against pg1-path: that of the restored cluster,
	 * not the source's that its config names.
	 */
	xasprintf(&cmd, "pgbackrest --stanza=%s%s%s --pg1-path=\"%s\" "
	    "archive-get %%f \"%%p\" || cp \"%s/%s/%%f\" \"%%p\"",
	    cfg->pitr.pgbackrest.stanza,
	    cfg->pitr.pgbackrest.config != NULL ? " --config=" : "",
	    cfg->pitr.pgbackrest.config != NULL ?
	    cfg->pitr.pgbackrest.config : "", dir, dir, subdir);
	return cmd;
}

/* Whether lsn falls in the segment named name, with segments of size. */
static int
in_segment(pgtt_lsn lsn, const char *name, uint32_t size)
{
	char		 seg[WAL_NAME_LEN + 1];
	uint32_t	 tli;
	uint64_t	 segno;
	int		 partial;

	if (wal_parse_name(name, size, &tli, &segno, &partial) != 0)
		return 0;
	wal_seg_name(tli, wal_segno(lsn, size), size, seg);
	return strcmp(seg, name) == 0;
}

/*
 * The segment size: the source's, when setup recorded it and it fits;
 * else the one size (1 MB to 1 GB) for which lsn falls in the segment
 * named name.  An LSN early in its 4 GB range fits several: 0, unknown.
 */
static uint32_t
seg_size_of(uint32_t known, pgtt_lsn lsn, const char *name)
{
	uint32_t	size, found = 0;

	if (known != 0)
		return in_segment(lsn, name, known) ? known : 0;
	for (size = 1u << 20; size != 0 && size <= 1u << 30; size <<= 1) {
		if (!in_segment(lsn, name, size))
			continue;
		if (found != 0)
			return 0;
		found = size;
	}
	return found;
}

static const char *
str_at(json_t *o, const char *a, const char *b)
{
	json_t	*v = json_object_get(o, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int64_t
unix_at(json_t *o, const char *a, const char *b)
{
	json_t	*v = json_object_get(json_object_get(o, a), b);

	return ((json_is_integer(v) ? json_integer_value(v) : 0) -
	    UNIX_AT_2000) * 1000000;
}

/* One backup of pgBackRest's info as the record pgtt keeps of its own. */
static int
read_backup(json_t *jb, uint32_t seg_size, struct backup_info *b)
{
	const char	*label = str_at(jb, "label", NULL);
	const char	*start = str_at(jb, "lsn", "start");
	const char	*stop = str_at(jb, "lsn", "stop");
	const char	*wal = str_at(jb, "archive", "stop");
	uint64_t	 segno;
	int		 partial;

	memset(b, 0, sizeof *b);
	if (label == NULL || start == NULL || stop == NULL || wal == NULL ||
	    lsn_parse(start, &b->start_lsn) != 0 ||
	    lsn_parse(stop, &b->end_lsn) != 0 ||
	    (b->seg_size = seg_size_of(seg_size, b->end_lsn, wal)) == 0 ||
	    wal_parse_name(wal, b->seg_size, &b->timeline, &segno,
	    &partial) != 0)
		return -1;
	snprintf(b->name, sizeof b->name, "%s", label);
	b->start_time = unix_at(jb, "timestamp", "start");
	b->end_time = unix_at(jb, "timestamp", "stop");
	b->bytes = (uint64_t)json_integer_value(json_object_get(
	    json_object_get(jb, "info"), "size"));
	return 0;
}

/* The database id (pgBackRest's db-id) an info entry belongs to. */
static json_int_t
db_id(json_t *o)
{
	json_t	*v = json_object_get(json_object_get(o, "database"), "id");

	return json_is_integer(v) ? json_integer_value(v) : -1;
}

/*
 * A backup restores only with the WAL from its start on: those whose
 * start segment the archive no longer holds (repo1-retention-archive
 * expired it) are not offered.
 */
static void
drop_unarchived(struct pgbr_info *in)
{
	uint64_t	 min, segno;
	uint32_t	 tli;
	size_t		 i, kept = 0;
	int		 partial;

	if (in->nbackups == 0 || in->archive_min[0] == '\0' ||
	    wal_parse_name(in->archive_min, in->seg_size, &tli, &min,
	    &partial) != 0)
		return;
	for (i = 0; i < in->nbackups; i++) {
		segno = wal_segno(in->backups[i].start_lsn, in->seg_size);
		if (segno >= min)
			in->backups[kept++] = in->backups[i];
	}
	in->nbackups = kept;
}

/*
 * info's object for our stanza, from the array it prints: the backups
 * and the archive of the cluster as it is now (its newest db-id; a
 * stanza-upgrade starts another), and of the backups only those the
 * archive still reaches back to.
 */
static int
read_info(const struct config *cfg, uint32_t seg_size, json_t *root,
    struct pgbr_info *in, struct pgtt_err *err)
{
	json_t		*st = NULL, *v, *backups, *archive, *code;
	json_int_t	 db = -1;
	size_t		 i;
	const char	*name, *msg;

	json_array_foreach(root, i, v) {
		if ((name = str_at(v, "name", NULL)) != NULL &&
		    strcmp(name, cfg->pitr.pgbackrest.stanza) == 0)
			st = v;
	}
	if (st == NULL)
		return err_set(err, PGTT_ECONFIG, "pgBackRest knows no stanza "
		    "\"%s\"", cfg->pitr.pgbackrest.stanza);
	code = json_object_get(json_object_get(st, "status"), "code");
	/* 2: no valid backups yet, which is a stanza still. */
	if (!json_is_integer(code) || (json_integer_value(code) != 0 &&
	    json_integer_value(code) != 2)) {
		msg = str_at(json_object_get(st, "status"), "message", NULL);
		return err_set(err, PGTT_ECONFIG, "pgBackRest's stanza \"%s\": "
		    "%s", cfg->pitr.pgbackrest.stanza, msg != NULL ? msg :
		    "not usable");
	}
	json_array_foreach(json_object_get(st, "db"), i, v) {
		json_t	*id = json_object_get(v, "id");

		if (json_is_integer(id) && json_integer_value(id) > db)
			db = json_integer_value(id);
	}
	backups = json_object_get(st, "backup");
	in->backups = xcalloc(json_array_size(backups) + 1,
	    sizeof *in->backups);
	json_array_foreach(backups, i, v) {
		if (json_is_true(json_object_get(v, "error")) || db_id(v) != db)
			continue;
		if (read_backup(v, seg_size, &in->backups[in->nbackups]) != 0) {
			err_set(err, PGTT_EIO, "pgBackRest's info holds a "
			    "backup pgtt cannot read (%s)",
			    str_at(v, "label", NULL) != NULL ?
			    str_at(v, "label", NULL) : "no label");
			if (seg_size == 0)
				err_hint(err, "run pgtt setup again: it records "
				    "the source's WAL segment size");
			return err->code;
		}
		in->seg_size = in->backups[in->nbackups].seg_size;
		in->nbackups++;
	}
	qsort(in->backups, in->nbackups, sizeof *in->backups, backup_cmp_end);
	archive = json_object_get(st, "archive");
	json_array_foreach(archive, i, v) {
		if (db_id(v) != db || str_at(v, "min", NULL) == NULL ||
		    str_at(v, "max", NULL) == NULL)
			continue;
		snprintf(in->archive_min, sizeof in->archive_min, "%s",
		    str_at(v, "min", NULL));
		snprintf(in->archive_max, sizeof in->archive_max, "%s",
		    str_at(v, "max", NULL));
	}
	drop_unarchived(in);
	return 0;
}

int
pgbr_info(const struct config *cfg, uint32_t seg_size, struct pgbr_info *in,
    struct pgtt_err *err)
{
	struct pgbr_cmd	 c;
	struct buf	 out;
	json_t		*root;
	json_error_t	 jerr;
	int		 ret;

	memset(in, 0, sizeof *in);
	buf_init(&out);
	cmd_init(&c, cfg);
	cmd_add(&c, "--output=json");
	cmd_add(&c, "info");
	ret = cmd_run(&c, cfg, &out, NULL, NULL, err);
	cmd_done(&c);
	if (ret != 0) {
		buf_done(&out);
		return ret;
	}
	root = json_loadb((const char *)out.data, out.len, 0, &jerr);
	buf_done(&out);
	if (!json_is_array(root)) {
		json_decref(root);
		return err_set(err, PGTT_EIO, "pgbackrest info printed no JSON "
		    "array: %s", jerr.text);
	}
	ret = read_info(cfg, seg_size, root, in, err);
	json_decref(root);
	if (ret != 0)
		pgbr_info_done(in);
	return ret;
}

void
pgbr_info_done(struct pgbr_info *in)
{
	free(in->backups);
	memset(in, 0, sizeof *in);
}
