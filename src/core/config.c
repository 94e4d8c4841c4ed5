/*
 * config.c: config.yaml into struct config.
 *
 * The file is loaded whole with libyaml's document API and walked against
 * one table of known keys: a row gives a key's section, name, setter and
 * field, and the hints that list valid keys are written from the same rows.
 * The walk goes only where the schema goes (sections, keys, the tables
 * sequence), so an alias cannot make it loop or multiply work.  Each setter
 * checks its value while the node's mark is at hand, so every fault in the
 * file is reported at FILE:LINE:COL, 1-based.  A null value (empty, ~,
 * null) leaves the default in place.  Relative paths are made absolute
 * against the file's directory as they are read; the defaults derived from
 * storage.path are filled in after the whole file, so they follow its final
 * value.  On any error the struct is freed and left zeroed.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "config.h"
#include "httpd.h"
#include "xmalloc.h"

#define DEFAULT_NAME		"pgtt"
#define DEFAULT_STORAGE		"pgtt-data"
#define DEFAULT_MAP_SIZE	((uint64_t)1 << 30)
#define DEFAULT_RESTORE_PORT	5499
#define DEFAULT_SEQUENCE_INTERVAL	10	/* seconds */
#define DEFAULT_LOCK_TIMEOUT		30	/* seconds */
#define DEFAULT_MAX_LAG			60	/* seconds */
#define CONFIG_MAX_BYTES		(1 << 20)
#define NAME_MAX_LEN		63	/* PostgreSQL's NAMEDATALEN - 1 */
#define SHOWN_MAX		60	/* bytes of a bad value quoted back */

struct loader {
	struct config		*cfg;
	struct pgtt_err		*e;
	const char		*name;	/* file name for marks; never NULL */
	char			*base;	/* absolute; relative paths join it */
	const char		*text;	/* the input, to place reader errors */
	size_t			 len;
	yaml_document_t		*doc;
};

/* Rules for string keys, checked by set_string. */
#define K_NAME	0x1	/* non-empty, at most NAME_MAX_LEN bytes */
#define K_SLOT	0x2	/* a replication slot name */
#define K_PATH	0x4	/* non-empty; made absolute */
#define K_LISTEN 0x8	/* an address to listen on (httpd.h) */
#define SLOT_CHARS	"abcdefghijklmnopqrstuvwxyz0123456789_"

struct key;
typedef int (*key_setter)(struct loader *, const struct key *,
    yaml_node_t *);

struct key {
	const char	*section;
	const char	*name;
	key_setter	 set;
	int		 flags;
	size_t		 off;	/* field in struct config */
};

static int	set_string(struct loader *, const struct key *, yaml_node_t *);
static int	set_bool(struct loader *, const struct key *, yaml_node_t *);
static int	set_size(struct loader *, const struct key *, yaml_node_t *);
static int	set_port(struct loader *, const struct key *, yaml_node_t *);
static int	set_seconds(struct loader *, const struct key *, yaml_node_t *);
static int	set_level(struct loader *, const struct key *, yaml_node_t *);
static int	set_count(struct loader *, const struct key *, yaml_node_t *);
static int	set_duration(struct loader *, const struct key *, yaml_node_t *);
static int	set_tables(struct loader *, const struct key *, yaml_node_t *);

#define KEY(sec, name, set, flags) \
	{ #sec, #name, set, flags, offsetof(struct config, sec.name) }
static const struct key keys[] = {
	KEY(source,	dsn,			set_string,	0),
	KEY(source,	slot,			set_string,	K_SLOT),
	KEY(source,	publication,		set_string,	K_NAME),
	KEY(source,	tables,			set_tables,	0),
	KEY(source,	capture_ddl,		set_bool,	0),
	KEY(source,	full_row_images,	set_bool,	0),
	KEY(source,	sequence_interval,	set_seconds,	0),
	KEY(replica,	dsn,			set_string,	0),
	KEY(replica,	lock_timeout,		set_seconds,	0),
	KEY(storage,	path,			set_string,	K_PATH),
	KEY(storage,	map_size,		set_size,	0),
	KEY(pitr,	enabled,		set_bool,	0),
	KEY(pitr,	bindir,			set_string,	K_PATH),
	KEY(pitr,	archive_dir,		set_string,	K_PATH),
	KEY(pitr,	backup_dir,		set_string,	K_PATH),
	KEY(pitr,	restore_data_dir,	set_string,	K_PATH),
	KEY(pitr,	restore_port,		set_port,	0),
	KEY(pitr,	os_user,		set_string,	K_NAME),
	KEY(retention,	backups,		set_count,	0),
	KEY(retention,	archive,		set_duration,	0),
	KEY(retention,	journal_warn,		set_size,	0),
	KEY(http,	listen,			set_string,	K_LISTEN),
	KEY(http,	max_lag,		set_seconds,	0),
	KEY(log,	file,			set_string,	K_PATH),
	KEY(log,	level,			set_level,	0),
};
#undef KEY
#define NKEYS	(sizeof keys / sizeof keys[0])

/* Indexed by enum log_level. */
static const char *const levels[] = { "error", "warning", "info", "debug" };

/* Point err->where at a node and hand back the error code already set. */
static int
at(struct loader *l, const yaml_node_t *n)
{
	err_where(l->e, "%s:%zu:%zu", l->name, n->start_mark.line + 1,
	    n->start_mark.column + 1);
	return l->e->code;
}

/* Quote a value back safely: short, one line, no split UTF-8 sequence. */
static const char *
shown(const char *s, char *buf)
{
	size_t	len, i;

	len = strlen(s);
	if (len > SHOWN_MAX) {
		len = SHOWN_MAX;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++) {
		unsigned char	c = (unsigned char)s[i];

		buf[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (len < strlen(s)) {
		memcpy(buf + len, "...", 3);
		len += 3;
	}
	buf[len] = '\0';
	return buf;
}

/* A plain empty, ~ or null scalar: YAML's null, meaning "not set". */
static int
is_null(const yaml_node_t *n)
{
	const char	*v;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	v = (const char *)n->data.scalar.value;
	return (v[0] == '\0' || strcmp(v, "~") == 0 ||
	    strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	    strcmp(v, "NULL") == 0);
}

/* Whether a scalar node holds exactly s (scalars may hold NUL bytes). */
static int
scalar_is(const yaml_node_t *n, const char *s)
{
	size_t	len = strlen(s);

	return (n->type == YAML_SCALAR_NODE && n->data.scalar.length == len &&
	    memcmp(n->data.scalar.value, s, len) == 0);
}

/* The text of a scalar value, NULL for a null; fails on a collection. */
static int
get_scalar(struct loader *l, const struct key *k, yaml_node_t *n,
    const char *what, const char **out)
{
	*out = NULL;
	if (n->type != YAML_SCALAR_NODE) {
		err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" must be %s, not a %s",
		    k->section, k->name, what,
		    n->type == YAML_MAPPING_NODE ? "mapping" : "sequence");
		return at(l, n);
	}
	if (is_null(n))
		return 0;
	if (strlen((const char *)n->data.scalar.value) !=
	    n->data.scalar.length) {
		err_set(l->e, PGTT_ECONFIG,
		    "\"%s.%s\" must not contain a NUL character",
		    k->section, k->name);
		return at(l, n);
	}
	*out = (const char *)n->data.scalar.value;
	return 0;
}

/* Report a scalar that is not what the key takes. */
static int
bad_value(struct loader *l, const struct key *k, yaml_node_t *n,
    const char *what, const char *v)
{
	char	buf[SHOWN_MAX + 4];

	err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" must be %s, not \"%s\"",
	    k->section, k->name, what, shown(v, buf));
	return at(l, n);
}

/* Replace an owned string field. */
static void
replace(char **field, char *value)
{
	free(*field);
	*field = value;
}

/* Collapse "//" and "/./" and drop a trailing "/" in an absolute path. */
static char *
tidy(const char *path)
{
	char		*out, *o;
	const char	*p, *end;
	size_t		 n;

	o = out = xmalloc(strlen(path) + 2);
	for (p = path; *p != '\0'; p = end) {
		while (*p == '/')
			p++;
		if ((end = strchr(p, '/')) == NULL)
			end = p + strlen(p);
		n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		*o++ = '/';
		memcpy(o, p, n);
		o += n;
	}
	if (o == out)
		*o++ = '/';
	*o = '\0';
	return out;
}

/* An absolute form of path: as is, under $HOME for "~/", else under base. */
static char *
resolve(const char *base, const char *path)
{
	const char	*home = getenv("HOME");
	char		*joined, *out;

	if (path[0] == '/')
		joined = xstrdup(path);
	else if (path[0] == '~' && (path[1] == '\0' || path[1] == '/') &&
	    home != NULL && home[0] == '/')
		xasprintf(&joined, "%s/%s", home, path + 1);
	else
		xasprintf(&joined, "%s/%s", base, path);
	out = tidy(joined);
	free(joined);
	return out;
}

/* The absolute directory relative paths in file are taken against. */
static int
base_dir(const char *file, char **out, struct pgtt_err *e)
{
	const char	*slash = file != NULL ? strrchr(file, '/') : NULL;
	char		 cwd[PATH_MAX], *dir, *joined = NULL;

	if (slash == NULL)
		dir = xstrdup(".");
	else
		dir = xstrndup(file, slash == file ? 1 :
		    (size_t)(slash - file));
	if (dir[0] != '/') {
		if (getcwd(cwd, sizeof cwd) == NULL) {
			free(dir);
			return err_set(e, PGTT_ECONFIG, "could not get the "
			    "current directory: %s", strerror(errno));
		}
		xasprintf(&joined, "%s/%s", cwd, dir);
	}
	*out = tidy(joined != NULL ? joined : dir);
	free(joined);
	free(dir);
	return 0;
}

/*
 * Any string-valued key.  The flags hold the rules the server or the OS
 * would otherwise enforce later, far from the line that broke them; DSNs
 * are left for libpq to judge.
 */
static int
set_string(struct loader *l, const struct key *k, yaml_node_t *n)
{
	char		**field = (char **)((char *)l->cfg + k->off);
	char		  buf[SHOWN_MAX + 4];
	const char	 *v, *what;
	int		  rc;

	what = (k->flags & K_PATH) ? "a path" : (k->flags & K_SLOT) ?
	    "a slot name" : (k->flags & K_NAME) ? "a name" : "a string";
	if ((rc = get_scalar(l, k, n, what, &v)) != 0 || v == NULL)
		return rc;
	if ((k->flags & K_SLOT) && (v[0] == '\0' ||
	    strlen(v) > NAME_MAX_LEN || strspn(v, SLOT_CHARS) != strlen(v))) {
		err_set(l->e, PGTT_ECONFIG,
		    "\"%s.%s\" is not a valid replication slot name: \"%s\"",
		    k->section, k->name, shown(v, buf));
		err_hint(l->e, "use lowercase letters, digits and underscores, "
		    "at most %d characters", NAME_MAX_LEN);
		return at(l, n);
	}
	if (k->flags & K_LISTEN) {
		char	*host, *port;

		if (httpd_parse_listen(v, &host, &port, l->e) != 0) {
			char	msg[sizeof l->e->msg];

			snprintf(msg, sizeof msg, "%s", l->e->msg);
			err_set(l->e, PGTT_ECONFIG, "\"%s.%s\": %s",
			    k->section, k->name, msg);
			return at(l, n);
		}
		free(host);
		free(port);
	}
	if ((k->flags & (K_NAME | K_PATH)) && v[0] == '\0') {
		err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" must not be empty",
		    k->section, k->name);
		return at(l, n);
	}
	if ((k->flags & K_NAME) && strlen(v) > NAME_MAX_LEN) {
		err_set(l->e, PGTT_ECONFIG,
		    "\"%s.%s\" is longer than %d bytes", k->section, k->name,
		    NAME_MAX_LEN);
		return at(l, n);
	}
	replace(field, (k->flags & K_PATH) ? resolve(l->base, v) : xstrdup(v));
	return 0;
}

/* YAML 1.1's booleans, the ones people write in config files. */
static int
set_bool(struct loader *l, const struct key *k, yaml_node_t *n)
{
	static const char *const words[] = {
		"false", "true", "no", "yes", "off", "on"
	};
	static const char	*what = "a boolean (true or false)";
	int			*field = (int *)((char *)l->cfg + k->off);
	const char		*v;
	size_t			 i;
	int			 rc;

	if ((rc = get_scalar(l, k, n, what, &v)) != 0 || v == NULL)
		return rc;
	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strcasecmp(v, words[i]) == 0) {
			*field = (int)(i % 2);	/* odd entries are true */
			return 0;
		}
	}
	return bad_value(l, k, n, what, v);
}

/* A byte count with an optional binary suffix. */
static int
set_size(struct loader *l, const struct key *k, yaml_node_t *n)
{
	uint64_t	*field = (uint64_t *)((char *)l->cfg + k->off);
	uint64_t	 size;
	char		 buf[SHOWN_MAX + 4];
	const char	*v;
	int		 rc;

	if ((rc = get_scalar(l, k, n, "a size", &v)) != 0 || v == NULL)
		return rc;
	if (config_parse_size(v, &size) != 0)
		err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" is not a size: \"%s\"",
		    k->section, k->name, shown(v, buf));
	else if (size == 0)
		err_set(l->e, PGTT_ECONFIG,
		    "\"%s.%s\" must be greater than zero", k->section, k->name);
	else {
		*field = size;
		return 0;
	}
	err_hint(l->e, "use bytes or a suffix: 512MB, 1GiB");
	return at(l, n);
}

/*
 * v is plain decimal, then the suffix if one is given (optional), and
 * lies in lo..hi: 0 and the number in *out, else -1.
 */
static int
decimal_in_range(const char *v, const char *suffix, long lo, long hi,
    int *out)
{
	const char	*p;
	long		 num = 0;

	for (p = v; *p >= '0' && *p <= '9' && num <= hi; p++)
		num = num * 10 + (*p - '0');
	if (p == v)
		return -1;
	if (suffix != NULL && strcmp(p, suffix) == 0)
		p += strlen(suffix);
	if (*p != '\0' || num < lo || num > hi)
		return -1;
	*out = (int)num;
	return 0;
}

/* A TCP port, 1-65535, in plain decimal. */
static int
set_port(struct loader *l, const struct key *k, yaml_node_t *n)
{
	static const char	*what = "a port number between 1 and 65535";
	int			*field = (int *)((char *)l->cfg + k->off);
	const char		*v;
	int			 rc;

	if ((rc = get_scalar(l, k, n, what, &v)) != 0 || v == NULL)
		return rc;
	if (decimal_in_range(v, NULL, 1, 65535, field) != 0)
		return bad_value(l, k, n, what, v);
	return 0;
}

/* Whole seconds, 0 to a day, with or without an "s". */
static int
set_seconds(struct loader *l, const struct key *k, yaml_node_t *n)
{
	static const char	*what = "a number of seconds between 0 and "
	    "86400, like 10 or 10s";
	int			*field = (int *)((char *)l->cfg + k->off);
	const char		*v;
	int			 rc;

	if ((rc = get_scalar(l, k, n, what, &v)) != 0 || v == NULL)
		return rc;
	if (decimal_in_range(v, "s", 0, 86400, field) != 0)
		return bad_value(l, k, n, what, v);
	return 0;
}

/* A whole number of things, 0 to a million. */
static int
set_count(struct loader *l, const struct key *k, yaml_node_t *n)
{
	static const char	*what = "a whole number from 0 (keep all)";
	int			*field = (int *)((char *)l->cfg + k->off);
	const char		*v;
	int			 rc;

	if ((rc = get_scalar(l, k, n, what, &v)) != 0 || v == NULL)
		return rc;
	if (decimal_in_range(v, NULL, 0, 1000000, field) != 0)
		return bad_value(l, k, n, what, v);
	return 0;
}

int
config_parse_duration(const char *v, int64_t *out)
{
	char		*end;
	long long	 n;
	int64_t		 unit = 1;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0)
		return -1;
	if (strcmp(end, "d") == 0)
		unit = 86400;
	else if (strcmp(end, "h") == 0)
		unit = 3600;
	else if (strcmp(end, "m") == 0)
		unit = 60;
	else if (strcmp(end, "s") != 0 && *end != '\0')
		return -1;
	if (n > INT64_MAX / unit)
		return -1;
	*out = (int64_t)n * unit;
	return 0;
}

/* A duration: 7d, 12h, 30m, 90s or plain seconds; 0 keeps all. */
static int
set_duration(struct loader *l, const struct key *k, yaml_node_t *n)
{
	static const char	*what = "a duration like 7d, 12h, 30m or 90s";
	int64_t			*field = (int64_t *)((char *)l->cfg + k->off);
	const char		*v;
	int			 rc;

	if ((rc = get_scalar(l, k, n, what, &v)) != 0 || v == NULL)
		return rc;
	if (config_parse_duration(v, field) != 0)
		return bad_value(l, k, n, what, v);
	return 0;
}

/* One of the level names, in any case. */
static int
set_level(struct loader *l, const struct key *k, yaml_node_t *n)
{
	enum log_level	*field = (enum log_level *)((char *)l->cfg + k->off);
	char		 buf[SHOWN_MAX + 4];
	const char	*v;
	size_t		 i;
	int		 rc;

	if ((rc = get_scalar(l, k, n, "a log level", &v)) != 0 || v == NULL)
		return rc;
	for (i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		if (strcasecmp(v, levels[i]) == 0) {
			*field = (enum log_level)i;
			return 0;
		}
	}
	err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" is not a log level: \"%s\"",
	    k->section, k->name, shown(v, buf));
	err_hint(l->e, "use one of: error, warning, info, debug");
	return at(l, n);
}

/* Free a NULL-terminated table list. */
static void
free_tables(struct config *cfg)
{
	size_t	i;

	if (cfg->source.tables != NULL) {
		for (i = 0; cfg->source.tables[i] != NULL; i++)
			free(cfg->source.tables[i]);
	}
	free(cfg->source.tables);
	cfg->source.tables = NULL;
	cfg->source.ntables = 0;
}

/*
 * A sequence of table names, kept as written: parsing "schema.name" and its
 * quoting belongs to whoever builds the publication.  Writes both tables and
 * ntables; a bad item frees what was built, so nothing is left half-built.
 */
static int
set_tables(struct loader *l, const struct key *k, yaml_node_t *n)
{
	static const char	*what = "a sequence of table names";
	yaml_node_item_t	*it;
	yaml_node_t		*item;
	const char		*v;
	char		       **list;
	size_t			 i = 0;
	int			 rc;

	if (n->type == YAML_SCALAR_NODE && !is_null(n)) {
		v = (const char *)n->data.scalar.value;
		rc = bad_value(l, k, n, what, v);
		err_hint(l->e, "write [public.users, '\"Sales\".\"Order "
		    "Items\"'], or leave it out for all tables");
		return rc;
	}
	if (n->type == YAML_MAPPING_NODE)
		return get_scalar(l, k, n, what, &v);
	free_tables(l->cfg);
	if (n->type != YAML_SEQUENCE_NODE ||
	    n->data.sequence.items.top == n->data.sequence.items.start)
		return 0;

	list = xcalloc((size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start) + 1, sizeof *list);
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		if ((item = yaml_document_get_node(l->doc, *it)) == NULL)
			continue;
		rc = 0;
		if (item->type != YAML_SCALAR_NODE)
			err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" must be a "
			    "sequence of strings", k->section, k->name);
		else if ((rc = get_scalar(l, k, item, what, &v)) == 0 &&
		    (v == NULL || v[0] == '\0'))
			err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" holds an "
			    "empty table name", k->section, k->name);
		else if (rc == 0) {
			list[i++] = xstrdup(v);
			continue;
		}
		l->cfg->source.tables = list;
		free_tables(l->cfg);
		return rc != 0 ? rc : at(l, item);
	}
	l->cfg->source.tables = list;
	l->cfg->source.ntables = i;
	return 0;
}

/* The valid sections (section NULL) or the valid keys of one, for a hint. */
static void
list_names(char *buf, size_t size, const char *section)
{
	size_t	 i, off = 0;
	int	 n;

	buf[0] = '\0';
	for (i = 0; i < NKEYS; i++) {
		if (section == NULL ? (i > 0 && strcmp(keys[i].section,
		    keys[i - 1].section) == 0) :
		    strcmp(keys[i].section, section) != 0)
			continue;
		n = snprintf(buf + off, size - off, "%s%s", off == 0 ? "" :
		    ", ", section == NULL ? keys[i].section : keys[i].name);
		if (n < 0 || (size_t)n >= size - off)
			return;
		off += (size_t)n;
	}
}

/*
 * The row for key in section, or for the first key of the section named by
 * key when section is NULL; NULL when there is none.
 */
static const struct key *
find_key(const char *section, const yaml_node_t *key)
{
	size_t	i;

	for (i = 0; i < NKEYS; i++) {
		if (section == NULL ? scalar_is(key, keys[i].section) :
		    (strcmp(keys[i].section, section) == 0 &&
		    scalar_is(key, keys[i].name)))
			return &keys[i];
	}
	return NULL;
}

/* Whether the key of pair p appeared earlier in mapping m; sets *first. */
static int
seen_before(struct loader *l, yaml_node_t *m, yaml_node_pair_t *p,
    const yaml_node_t *key, yaml_node_t **first)
{
	yaml_node_pair_t	*q;
	yaml_node_t		*o;

	for (q = m->data.mapping.pairs.start; q < p; q++) {
		o = yaml_document_get_node(l->doc, q->key);
		if (o != NULL && o->type == YAML_SCALAR_NODE &&
		    o->data.scalar.length == key->data.scalar.length &&
		    memcmp(o->data.scalar.value, key->data.scalar.value,
		    key->data.scalar.length) == 0) {
			*first = o;
			return 1;
		}
	}
	return 0;
}

/*
 * A mapping of sections (section NULL: the document's root) or of one
 * section's keys: each key a string, known, and given once.  A null sets
 * nothing, so "replica:" alone is fine.
 */
static int
load_map(struct loader *l, const char *section, yaml_node_t *m)
{
	const char		*noun = section != NULL ? "key" : "section";
	yaml_node_pair_t	*p;
	yaml_node_t		*key, *value, *first;
	const struct key	*k;
	char			 buf[SHOWN_MAX + 4], in[32], list[256];
	int			 rc;

	if (m == NULL || is_null(m))
		return 0;
	if (m->type != YAML_MAPPING_NODE) {
		if (section == NULL) {
			err_set(l->e, PGTT_ECONFIG, "the config file must be a "
			    "mapping of sections, not a %s",
			    m->type == YAML_SEQUENCE_NODE ? "sequence" :
			    "scalar");
			err_hint(l->e, "start with a section such as "
			    "\"source:\"");
		} else
			err_set(l->e, PGTT_ECONFIG, "section \"%s\" must be a "
			    "mapping of keys, not a %s", section,
			    m->type == YAML_SEQUENCE_NODE ? "sequence" :
			    "scalar");
		return at(l, m);
	}
	in[0] = '\0';
	if (section != NULL)
		snprintf(in, sizeof in, " in section \"%s\"", section);
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	    p++) {
		key = yaml_document_get_node(l->doc, p->key);
		if (key == NULL || key->type != YAML_SCALAR_NODE) {
			err_set(l->e, PGTT_ECONFIG, "keys must be strings");
			return at(l, key != NULL ? key : m);
		}
		shown((const char *)key->data.scalar.value, buf);
		if (seen_before(l, m, p, key, &first)) {
			err_set(l->e, PGTT_ECONFIG, "duplicate %s \"%s\"%s",
			    noun, buf, in);
			err_detail(l->e, "first given at line %zu, column %zu",
			    first->start_mark.line + 1,
			    first->start_mark.column + 1);
			return at(l, key);
		}
		if ((k = find_key(section, key)) == NULL) {
			err_set(l->e, PGTT_ECONFIG, "unknown %s \"%s\"%s", noun,
			    buf, in);
			list_names(list, sizeof list, section);
			err_hint(l->e, "valid %ss are: %s", noun, list);
			return at(l, key);
		}
		if ((value = yaml_document_get_node(l->doc, p->value)) == NULL)
			continue;
		if (section == NULL)
			rc = load_map(l, k->section, value);
		else
			rc = k->set(l, k, value);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Turn libyaml's failure into ours, with the place it names. */
static int
syntax_error(struct loader *l, const yaml_parser_t *parser)
{
	size_t	line = 1, col = 1, i, end;

	if (parser->error == YAML_MEMORY_ERROR)
		fatalx("out of memory parsing %s", l->name);
	err_set(l->e, PGTT_ECONFIG, "syntax error: %s",
	    parser->problem != NULL ? parser->problem : "unknown problem");
	if (parser->error == YAML_READER_ERROR) {
		/* The reader gives a byte offset: count lines up to it. */
		end = parser->problem_offset < l->len ?
		    parser->problem_offset : l->len;
		for (i = 0; i < end; i++) {
			if (l->text[i] == '\n')
				line++, col = 1;
			else if (((unsigned char)l->text[i] & 0xc0) != 0x80)
				col++;
		}
		err_where(l->e, "%s:%zu:%zu", l->name, line, col);
		return l->e->code;
	}
	/* The commonest slip of all, and libyaml's words do not name it. */
	if (parser->problem != NULL &&
	    strstr(parser->problem, "cannot start any token") != NULL &&
	    memchr(l->text, '\t', l->len) != NULL)
		err_hint(l->e, "indent with spaces: YAML does not allow tabs");
	if (parser->context != NULL)
		err_detail(l->e, "%s at line %zu, column %zu", parser->context,
		    parser->context_mark.line + 1,
		    parser->context_mark.column + 1);
	err_where(l->e, "%s:%zu:%zu", l->name, parser->problem_mark.line + 1,
	    parser->problem_mark.column + 1);
	return l->e->code;
}

/* Parse the text and apply its one document to the config. */
static int
parse(struct loader *l)
{
	yaml_parser_t	 parser;
	yaml_document_t	 doc, extra;
	yaml_node_t	*root;
	int		 rc;

	if (!yaml_parser_initialize(&parser))
		fatalx("out of memory starting the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)l->text,
	    l->len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = syntax_error(l, &parser);
		yaml_parser_delete(&parser);
		return rc;
	}
	l->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	rc = load_map(l, NULL, root);

	/* A second document would be silently ignored: refuse it. */
	if (rc == 0 && root != NULL) {
		if (!yaml_parser_load(&parser, &extra))
			rc = syntax_error(l, &parser);
		else {
			root = yaml_document_get_root_node(&extra);
			if (root != NULL) {
				err_set(l->e, PGTT_ECONFIG, "the config file "
				    "holds more than one YAML document");
				err_hint(l->e, "remove the second \"---\"");
				rc = at(l, root);
			}
			yaml_document_delete(&extra);
		}
	}
	l->doc = NULL;
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

/* Fill a directory default from the final storage.path. */
static void
derive(struct loader *l, char **field, const char *leaf)
{
	if (*field == NULL)
		xasprintf(field, "%s/%s", l->cfg->storage.path, leaf);
}

/* Defaults that depend on the file, the environment, then the checks. */
static int
finish(struct loader *l, int have_file)
{
	struct config	*cfg = l->cfg;
	const char	*env;

	if (cfg->storage.path == NULL)
		cfg->storage.path = resolve(l->base, DEFAULT_STORAGE);
	derive(l, &cfg->pitr.archive_dir, "wal");
	derive(l, &cfg->pitr.backup_dir, "base");
	derive(l, &cfg->pitr.restore_data_dir, "restore");
	derive(l, &cfg->log.file, "pgtt.log");

	if ((env = getenv("PGTT_SOURCE_DSN")) != NULL && env[0] != '\0')
		replace(&cfg->source.dsn, xstrdup(env));
	if ((env = getenv("PGTT_REPLICA_DSN")) != NULL && env[0] != '\0')
		replace(&cfg->replica.dsn, xstrdup(env));
	if (cfg->replica.dsn != NULL && cfg->replica.dsn[0] == '\0')
		replace(&cfg->replica.dsn, NULL);

	if (cfg->source.dsn == NULL || cfg->source.dsn[0] == '\0') {
		err_set(l->e, PGTT_ECONFIG, "no source database configured");
		if (have_file) {
			err_hint(l->e, "set source.dsn in %s or "
			    "PGTT_SOURCE_DSN", l->name);
			err_where(l->e, "%s", l->name);
		} else
			err_hint(l->e, "set source.dsn in a config file or "
			    "PGTT_SOURCE_DSN");
		return l->e->code;
	}
	return 0;
}

/* The shared body of config_load and config_load_string. */
static int
load(struct config *cfg, const char *text, size_t len, const char *name,
    struct pgtt_err *e)
{
	struct loader	l;
	int		rc;

	memset(&l, 0, sizeof l);
	l.cfg = cfg;
	l.e = e;
	l.name = name != NULL ? name : "<config>";
	l.text = text;
	l.len = len;

	cfg->path = name != NULL ? xstrdup(name) : NULL;
	cfg->source.slot = xstrdup(DEFAULT_NAME);
	cfg->source.publication = xstrdup(DEFAULT_NAME);
	cfg->source.capture_ddl = 1;
	cfg->source.sequence_interval = DEFAULT_SEQUENCE_INTERVAL;
	cfg->replica.lock_timeout = DEFAULT_LOCK_TIMEOUT;
	cfg->http.max_lag = DEFAULT_MAX_LAG;
	cfg->storage.map_size = DEFAULT_MAP_SIZE;
	cfg->pitr.enabled = 1;
	cfg->pitr.restore_port = DEFAULT_RESTORE_PORT;
	cfg->log.level = LOG_LEVEL_INFO;

	if ((rc = base_dir(name, &l.base, e)) == 0 && text != NULL)
		rc = parse(&l);
	if (rc == 0)
		rc = finish(&l, name != NULL);
	free(l.base);
	if (rc != 0)
		config_free(cfg);
	return rc;
}

/* The file is read whole so reader errors can be placed by line. */
int
config_load(struct config *cfg, const char *path, struct pgtt_err *e)
{
	struct stat	 sb;
	FILE		*f;
	char		*buf = NULL;
	size_t		 len = 0, size = 0, n;
	int		 rc, saved;

	memset(cfg, 0, sizeof *cfg);
	err_clear(e);
	if (path == NULL)
		return load(cfg, NULL, 0, NULL, e);
	/* /dev/zero or a FIFO would be read for ever, or block the open. */
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		err_set(e, PGTT_ECONFIG, "config file \"%s\" is not a regular "
		    "file", path);
		err_where(e, "%s", path);
		return e->code;
	}
	if ((f = fopen(path, "rb")) == NULL) {
		err_set(e, PGTT_ECONFIG,
		    "could not open config file \"%s\": %s", path,
		    strerror(errno));
		err_where(e, "%s", path);
		return e->code;
	}
	do {
		if (len == size) {
			size = size == 0 ? 4096 : size * 2;
			buf = xreallocarray(buf, size, 1);
		}
		len += (n = fread(buf + len, 1, size - len, f));
	} while (n != 0 && len <= CONFIG_MAX_BYTES);
	if (len > CONFIG_MAX_BYTES) {
		fclose(f);
		free(buf);
		err_set(e, PGTT_ECONFIG, "config file \"%s\" is larger than "
		    "%d bytes", path, CONFIG_MAX_BYTES);
		err_where(e, "%s", path);
		return e->code;
	}
	saved = errno;
	if (ferror(f)) {
		fclose(f);
		free(buf);
		err_set(e, PGTT_ECONFIG,
		    "could not read config file \"%s\": %s", path,
		    strerror(saved));
		err_where(e, "%s", path);
		return e->code;
	}
	fclose(f);
	rc = load(cfg, buf, len, path, e);
	free(buf);
	return rc;
}

int
config_load_string(struct config *cfg, const char *text, size_t len,
    const char *name, struct pgtt_err *e)
{
	memset(cfg, 0, sizeof *cfg);
	err_clear(e);
	return load(cfg, text != NULL ? text : "", text != NULL ? len : 0,
	    name, e);
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->source.dsn);
	free(cfg->source.slot);
	free(cfg->source.publication);
	free_tables(cfg);
	free(cfg->replica.dsn);
	free(cfg->storage.path);
	free(cfg->pitr.bindir);
	free(cfg->pitr.archive_dir);
	free(cfg->pitr.backup_dir);
	free(cfg->pitr.restore_data_dir);
	free(cfg->pitr.os_user);
	free(cfg->http.listen);
	free(cfg->log.file);
	memset(cfg, 0, sizeof *cfg);
}

char *
config_find(const char *explicit_path)
{
	const char	*env, *home;
	char		*path;

	if (explicit_path != NULL)
		return xstrdup(explicit_path);
	if ((env = getenv("PGTT_CONFIG")) != NULL && env[0] != '\0')
		return xstrdup(env);
	if (access("config.yaml", R_OK) == 0)
		return xstrdup("config.yaml");
	/* XDG says a relative XDG_CONFIG_HOME is to be ignored. */
	if ((env = getenv("XDG_CONFIG_HOME")) != NULL && env[0] == '/')
		xasprintf(&path, "%s/pgtt/config.yaml", env);
	else if ((home = getenv("HOME")) != NULL && home[0] != '\0')
		xasprintf(&path, "%s/.config/pgtt/config.yaml", home);
	else
		return NULL;
	if (access(path, R_OK) == 0)
		return path;
	free(path);
	return NULL;
}

int
config_parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char	*suffix;
		unsigned	 shift;
	} units[] = {
		{ "", 0 }, { "b", 0 },
		{ "k", 10 }, { "kb", 10 }, { "kib", 10 },
		{ "m", 20 }, { "mb", 20 }, { "mib", 20 },
		{ "g", 30 }, { "gb", 30 }, { "gib", 30 },
		{ "t", 40 }, { "tb", 40 }, { "tib", 40 },
	};
	const char	*p, *digits_end;
	uint64_t	 v = 0;
	unsigned	 d;
	size_t		 i;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	digits_end = p;
	while (*p == ' ')
		p++;
	if (p != digits_end && *p == '\0')
		return -1;
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcasecmp(p, units[i].suffix) == 0)
			break;
	}
	if (i == sizeof units / sizeof units[0])
		return -1;
	if (v > (UINT64_MAX >> units[i].shift))
		return -1;
	*out = v << units[i].shift;
	return 0;
}
