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

#include "config-int.h"
#include "dsn.h"
#include "hash.h"
#include "record.h"
#include "xmalloc.h"

#define DEFAULT_NAME		"pgtt"
#define DEFAULT_STORAGE		"pgtt-data"
#define DEFAULT_MAP_SIZE	((uint64_t)1 << 30)
#define DEFAULT_RESTORE_PORT	5499
#define DEFAULT_SEQUENCE_INTERVAL	10	/* seconds */
#define DEFAULT_LOCK_TIMEOUT		30	/* seconds */
#define DEFAULT_MAX_LAG			60	/* seconds */
#define DEFAULT_WRITER_NICE		10
#define CONFIG_MAX_BYTES		(1 << 20)
#define KEY(sec, name, set, flags) \
	{ #sec, #name, set, flags, offsetof(struct config, sec.name) }
static const struct key keys[] = {
	KEY(source,	dsn,			cfg_set_string,	0),
	KEY(source,	slot,			cfg_set_string,	K_SLOT),
	KEY(source,	publication,		cfg_set_string,	K_NAME),
	KEY(source,	tables,			cfg_set_tables,	0),
	KEY(source,	capture_ddl,		cfg_set_bool,	0),
	KEY(source,	full_row_images,	cfg_set_bool,	0),
	KEY(source,	sequence_interval,	cfg_set_seconds,	0),
	KEY(source,	databases,		cfg_set_databases,	0),
	KEY(replica,	dsn,			cfg_set_string,	0),
	KEY(replica,	lock_timeout,		cfg_set_seconds,	0),
	KEY(storage,	path,			cfg_set_string,	K_PATH),
	KEY(storage,	map_size,		cfg_set_size,	0),
	KEY(storage,	writer_nice,		cfg_set_nice,	0),
	KEY(pitr,	enabled,		cfg_set_bool,	0),
	KEY(pitr,	bindir,			cfg_set_string,	K_PATH),
	KEY(pitr,	archive_dir,		cfg_set_string,	K_PATH),
	KEY(pitr,	backup_dir,		cfg_set_string,	K_PATH),
	KEY(pitr,	restore_data_dir,	cfg_set_string,	K_PATH),
	KEY(pitr,	restore_port,		cfg_set_port,	0),
	KEY(pitr,	os_user,		cfg_set_string,	K_NAME),
	KEY(pitr,	engine,			cfg_set_engine,	0),
	{ "pitr", "pgbackrest", cfg_set_section, 0, 0 },
	/* Both go into the restore_command a restored server runs. */
	KEY(pitr.pgbackrest, stanza,		cfg_set_string,	K_NAME | K_SHELL),
	KEY(pitr.pgbackrest, config,		cfg_set_string,	K_PATH | K_SHELL),
	KEY(retention,	backups,		cfg_set_count,	0),
	KEY(retention,	archive,		cfg_set_duration,	0),
	KEY(retention,	journal_warn,		cfg_set_size,	0),
	KEY(http,	listen,			cfg_set_string,	K_LISTEN),
	KEY(http,	max_lag,		cfg_set_seconds,	0),
	KEY(log,	file,			cfg_set_string,	K_PATH),
	KEY(log,	level,			cfg_set_level,	0),
};
#undef KEY
#define NKEYS	(sizeof keys / sizeof keys[0])


/* Point err->where at a node and hand back the error code already set. */
int
cfg_at(struct loader *l, const yaml_node_t *n)
{
	err_where(l->e, "%s:%zu:%zu", l->name, n->start_mark.line + 1,
	    n->start_mark.column + 1);
	return l->e->code;
}

/* Quote a value back safely: short, one line, no split UTF-8 sequence. */
const char *
cfg_shown(const char *s, char *buf)
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
int
cfg_is_null(const yaml_node_t *n)
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
cfg_scalar_is(const yaml_node_t *n, const char *s)
{
	size_t	len = strlen(s);

	return (n->type == YAML_SCALAR_NODE && n->data.scalar.length == len &&
	    memcmp(n->data.scalar.value, s, len) == 0);
}

/* Replace an owned string field. */
void
cfg_replace(char **field, char *value)
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
char *
cfg_resolve(const char *base, const char *path)
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

/* A row of a section inside another ("pitr.pgbackrest"): not a root. */
static int
subsection(const struct key *k)
{
	return strchr(k->section, '.') != NULL;
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
		    keys[i - 1].section) == 0) || subsection(&keys[i]) :
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
		if (section == NULL ? !subsection(&keys[i]) &&
		    cfg_scalar_is(key, keys[i].section) :
		    (strcmp(keys[i].section, section) == 0 &&
		    cfg_scalar_is(key, keys[i].name)))
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

	if (m == NULL || cfg_is_null(m))
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
		return cfg_at(l, m);
	}
	in[0] = '\0';
	if (section != NULL)
		snprintf(in, sizeof in, " in section \"%s\"", section);
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	    p++) {
		key = yaml_document_get_node(l->doc, p->key);
		if (key == NULL || key->type != YAML_SCALAR_NODE) {
			err_set(l->e, PGTT_ECONFIG, "keys must be strings");
			return cfg_at(l, key != NULL ? key : m);
		}
		cfg_shown((const char *)key->data.scalar.value, buf);
		if (seen_before(l, m, p, key, &first)) {
			err_set(l->e, PGTT_ECONFIG, "duplicate %s \"%s\"%s",
			    noun, buf, in);
			err_detail(l->e, "first given at line %zu, column %zu",
			    first->start_mark.line + 1,
			    first->start_mark.column + 1);
			return cfg_at(l, key);
		}
		if ((k = find_key(section, key)) == NULL) {
			err_set(l->e, PGTT_ECONFIG, "unknown %s \"%s\"%s", noun,
			    buf, in);
			list_names(list, sizeof list, section);
			err_hint(l->e, "valid %ss are: %s", noun, list);
			return cfg_at(l, key);
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

int
cfg_set_section(struct loader *l, const struct key *k, yaml_node_t *n)
{
	char	section[64];

	snprintf(section, sizeof section, "%s.%s", k->section, k->name);
	return load_map(l, section, n);
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
				rc = cfg_at(l, root);
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
		cfg->storage.path = cfg_resolve(l->base, DEFAULT_STORAGE);
	derive(l, &cfg->pitr.archive_dir, "wal");
	derive(l, &cfg->pitr.backup_dir, "base");
	derive(l, &cfg->pitr.restore_data_dir, "restore");
	derive(l, &cfg->log.file, "pgtt.log");

	if ((env = getenv("PGTT_SOURCE_DSN")) != NULL && env[0] != '\0')
		cfg_replace(&cfg->source.dsn, xstrdup(env));
	if ((env = getenv("PGTT_REPLICA_DSN")) != NULL && env[0] != '\0')
		cfg_replace(&cfg->replica.dsn, xstrdup(env));
	if (cfg->replica.dsn != NULL && cfg->replica.dsn[0] == '\0')
		cfg_replace(&cfg->replica.dsn, NULL);
	/* Two databases replayed onto one would undo each other. */
	if (cfg->source.ndatabases > 1 && cfg->replica.dsn != NULL &&
	    strstr(cfg->replica.dsn, "{database}") == NULL) {
		err_set(l->e, PGTT_ECONFIG, "replica.dsn names one database, "
		    "and source.databases lists %zu", cfg->source.ndatabases);
		err_hint(l->e, "write \"{database}\" where each database's "
		    "replica is named, as in \"dbname={database}_replica\"");
		err_where(l->e, "%s", l->name);
		return l->e->code;
	}

	if (cfg->pitr.engine == PITR_ENGINE_PGBACKREST &&
	    cfg->pitr.pgbackrest.stanza == NULL) {
		err_set(l->e, PGTT_ECONFIG, "pitr.engine is pgbackrest, and "
		    "no pitr.pgbackrest.stanza names its stanza");
		err_hint(l->e, "add \"pgbackrest: {stanza: NAME}\" under "
		    "pitr: the stanza of the source cluster in "
		    "pgbackrest.conf");
		err_where(l->e, "%s:%zu:%zu", l->name, l->engine_line,
		    l->engine_col);
		return l->e->code;
	}
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
	cfg->storage.writer_nice = DEFAULT_WRITER_NICE;
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
	cfg_free_list(&cfg->source.tables, &cfg->source.ntables);
	cfg_free_list(&cfg->source.databases, &cfg->source.ndatabases);
	free(cfg->source.database);
	free(cfg->replica.dsn);
	free(cfg->storage.path);
	free(cfg->pitr.bindir);
	free(cfg->pitr.archive_dir);
	free(cfg->pitr.backup_dir);
	free(cfg->pitr.restore_data_dir);
	free(cfg->pitr.os_user);
	free(cfg->pitr.pgbackrest.stanza);
	free(cfg->pitr.pgbackrest.config);
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

/*
 * name as it may go into a slot name and a directory name: lowercase
 * letters, digits and underscores, else those and a hash of the name, so
 * two names never share a token.
 */
static void
database_token(const char *name, struct buf *out)
{
	const char	*p;
	char		 c, hex[16];
	int		 changed = 0;

	buf_reset(out);
	for (p = name; *p != '\0'; p++) {
		c = *p;
		if (strchr(SLOT_CHARS, c) == NULL) {
			changed = 1;
			c = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : '_';
		}
		buf_append(out, &c, 1);
	}
	if (changed) {
		snprintf(hex, sizeof hex, "_%08x",
		    (unsigned)hash_bytes(HASH_INIT, name, strlen(name)));
		buf_append(out, hex, strlen(hex));
	}
	buf_append(out, "", 1);
}

char *
config_expand_database(const char *dsn, const char *name)
{
	static const char	 mark[] = "{database}";
	const char		*p, *hit;
	struct buf		 b;
	char			*out;

	buf_init(&b);
	for (p = dsn; (hit = strstr(p, mark)) != NULL; p = hit + strlen(mark)) {
		buf_append(&b, p, (size_t)(hit - p));
		buf_append(&b, name, strlen(name));
	}
	buf_append(&b, p, strlen(p) + 1);
	out = xstrdup((const char *)b.data);
	buf_done(&b);
	return out;
}

/* "a, b and c", for the errors that list the databases. */
static void
list_databases(const struct config *cfg, char *out, size_t size)
{
	size_t	i, len = 0;

	out[0] = '\0';
	for (i = 0; i < cfg->source.ndatabases && len < size; i++) {
		len += (size_t)snprintf(out + len, size - len, "%s%s",
		    i == 0 ? "" : i + 1 == cfg->source.ndatabases ? " and " :
		    ", ", cfg->source.databases[i]);
	}
}

const char *
config_pick_database(const struct config *cfg, const char *name,
    struct pgtt_err *err)
{
	char	names[512];
	size_t	i;

	list_databases(cfg, names, sizeof names);
	if (name == NULL && cfg->source.ndatabases == 1)
		return cfg->source.databases[0];
	if (name == NULL) {
		err_set(err, PGTT_EUSAGE, "%zu databases are configured: %s",
		    cfg->source.ndatabases, names);
		err_hint(err, "name the one to act on with -d NAME");
		return NULL;
	}
	for (i = 0; i < cfg->source.ndatabases; i++) {
		if (strcmp(cfg->source.databases[i], name) == 0)
			return cfg->source.databases[i];
	}
	if (cfg->source.ndatabases == 0)
		err_set(err, PGTT_EUSAGE, "-d %s: source.databases is not set; "
		    "pgtt records the one database source.dsn names", name);
	else
		err_set(err, PGTT_EUSAGE, "-d %s: no such database in "
		    "source.databases (%s)", name, names);
	return NULL;
}

int
config_select_database(struct config *cfg, const char *name,
    struct pgtt_err *err)
{
	struct buf	 token;
	char		*dsn, *v;
	const char	*db;

	if ((db = config_pick_database(cfg, name, err)) == NULL)
		return err->code;
	if ((dsn = dsn_with_dbname(cfg->source.dsn, db, err)) == NULL) {
		err_where(err, "source.dsn");
		return err->code;
	}
	buf_init(&token);
	database_token(db, &token);
	cfg_replace(&cfg->source.database, xstrdup(db));
	cfg_replace(&cfg->source.dsn, dsn);
	/*
	 * A slot name is PostgreSQL's NAMEDATALEN - 1 at most: a longer one
	 * ends in a hash of the name instead, so two stay two.
	 */
	xasprintf(&v, "%s_%s", cfg->source.slot, (const char *)token.data);
	if (strlen(v) > NAME_MAX_LEN)
		snprintf(v + NAME_MAX_LEN - 9, 10, "_%08x",
		    (unsigned)hash_bytes(HASH_INIT, db, strlen(db)));
	cfg_replace(&cfg->source.slot, v);
	xasprintf(&v, "%s/%s", cfg->storage.path, (const char *)token.data);
	cfg_replace(&cfg->storage.path, v);
	if (cfg->replica.dsn != NULL)
		cfg_replace(&cfg->replica.dsn, config_expand_database(cfg->replica.dsn,
		    db));
	/* The archive and backups are the cluster's, kept with the first. */
	if (strcmp(db, cfg->source.databases[0]) != 0)
		cfg->pitr.enabled = 0;
	buf_done(&token);
	return 0;
}
