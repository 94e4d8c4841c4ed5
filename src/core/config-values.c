/*
 * config-values.c: the values of config.yaml's keys, one setter per kind
 * (config-int.h).  Each checks its value while the node's mark is at
 * hand, so a fault is reported at FILE:LINE:COL with the key's name.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config-int.h"
#include "httpd.h"
#include "xmalloc.h"

/* Indexed by enum log_level. */
static const char *const levels[] = { "error", "warning", "info", "debug" };

/* The text of a scalar value, NULL for a null; fails on a collection. */
static int
cfg_get_scalar(struct loader *l, const struct key *k, yaml_node_t *n,
    const char *what, const char **out)
{
	*out = NULL;
	if (n->type != YAML_SCALAR_NODE) {
		err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" must be %s, not a %s",
		    k->section, k->name, what,
		    n->type == YAML_MAPPING_NODE ? "mapping" : "sequence");
		return cfg_at(l, n);
	}
	if (cfg_is_null(n))
		return 0;
	if (strlen((const char *)n->data.scalar.value) !=
	    n->data.scalar.length) {
		err_set(l->e, PGTT_ECONFIG,
		    "\"%s.%s\" must not contain a NUL character",
		    k->section, k->name);
		return cfg_at(l, n);
	}
	*out = (const char *)n->data.scalar.value;
	return 0;
}

/* Report a scalar that is not what the key takes. */
static int
cfg_bad_value(struct loader *l, const struct key *k, yaml_node_t *n,
    const char *what, const char *v)
{
	char	buf[SHOWN_MAX + 4];

	err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" must be %s, not \"%s\"",
	    k->section, k->name, what, cfg_shown(v, buf));
	return cfg_at(l, n);
}

/*
 * Any string-valued key.  The flags hold the rules the server or the OS
 * would otherwise enforce later, far from the line that broke them; DSNs
 * are left for libpq to judge.
 */
int
cfg_set_string(struct loader *l, const struct key *k, yaml_node_t *n)
{
	char		**field = (char **)((char *)l->cfg + k->off);
	char		  buf[SHOWN_MAX + 4], *value;
	const char	 *v, *what;
	int		  rc;

	what = (k->flags & K_PATH) ? "a path" : (k->flags & K_SLOT) ?
	    "a slot name" : (k->flags & K_NAME) ? "a name" : "a string";
	if ((rc = cfg_get_scalar(l, k, n, what, &v)) != 0 || v == NULL)
		return rc;
	if ((k->flags & K_SLOT) && (v[0] == '\0' ||
	    strlen(v) > NAME_MAX_LEN || strspn(v, SLOT_CHARS) != strlen(v))) {
		err_set(l->e, PGTT_ECONFIG,
		    "\"%s.%s\" is not a valid replication slot name: \"%s\"",
		    k->section, k->name, cfg_shown(v, buf));
		err_hint(l->e, "use lowercase letters, digits and underscores, "
		    "at most %d characters", NAME_MAX_LEN);
		return cfg_at(l, n);
	}
	if (k->flags & K_LISTEN) {
		char	*host, *port;

		if (httpd_parse_listen(v, &host, &port, l->e) != 0) {
			char	msg[sizeof l->e->msg];

			snprintf(msg, sizeof msg, "%s", l->e->msg);
			err_set(l->e, PGTT_ECONFIG, "\"%s.%s\": %s",
			    k->section, k->name, msg);
			return cfg_at(l, n);
		}
		free(host);
		free(port);
	}
	if ((k->flags & (K_NAME | K_PATH)) && v[0] == '\0') {
		err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" must not be empty",
		    k->section, k->name);
		return cfg_at(l, n);
	}
	if ((k->flags & K_NAME) && strlen(v) > NAME_MAX_LEN) {
		err_set(l->e, PGTT_ECONFIG,
		    "\"%s.%s\" is longer than %d bytes", k->section, k->name,
		    NAME_MAX_LEN);
		return cfg_at(l, n);
	}
	value = (k->flags & K_PATH) ? cfg_resolve(l->base, v) : xstrdup(v);
	/* A relative path counts with the directory it is made absolute in. */
	if ((k->flags & K_SHELL) && strspn(value, SHELL_CHARS) !=
	    strlen(value)) {
		err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" holds a character a "
		    "restore_command cannot carry safely: \"%s\"", k->section,
		    k->name, cfg_shown(value, buf));
		err_hint(l->e, "use letters, digits and _ . , / + : = @ -");
		free(value);
		return cfg_at(l, n);
	}
	cfg_replace(field, value);
	return 0;
}

/* YAML 1.1's booleans, the ones people write in config files. */
int
cfg_set_bool(struct loader *l, const struct key *k, yaml_node_t *n)
{
	static const char *const words[] = {
		"false", "true", "no", "yes", "off", "on"
	};
	static const char	*what = "a boolean (true or false)";
	int			*field = (int *)((char *)l->cfg + k->off);
	const char		*v;
	size_t			 i;
	int			 rc;

	if ((rc = cfg_get_scalar(l, k, n, what, &v)) != 0 || v == NULL)
		return rc;
	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strcasecmp(v, words[i]) == 0) {
			*field = (int)(i % 2);	/* odd entries are true */
			return 0;
		}
	}
	return cfg_bad_value(l, k, n, what, v);
}

/* A byte count with an optional binary suffix. */
int
cfg_set_size(struct loader *l, const struct key *k, yaml_node_t *n)
{
	uint64_t	*field = (uint64_t *)((char *)l->cfg + k->off);
	uint64_t	 size;
	char		 buf[SHOWN_MAX + 4];
	const char	*v;
	int		 rc;

	if ((rc = cfg_get_scalar(l, k, n, "a size", &v)) != 0 || v == NULL)
		return rc;
	if (config_parse_size(v, &size) != 0)
		err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" is not a size: \"%s\"",
		    k->section, k->name, cfg_shown(v, buf));
	else if (size == 0)
		err_set(l->e, PGTT_ECONFIG,
		    "\"%s.%s\" must be greater than zero", k->section, k->name);
	else {
		*field = size;
		return 0;
	}
	err_hint(l->e, "use bytes or a suffix: 512MB, 1GiB");
	return cfg_at(l, n);
}

/*
 * v is plain decimal, then the suffix if one is given (optional), and
 * lies in lo..hi: 0 and the number in *out, else -1.
 */
static int
cfg_decimal_in_range(const char *v, const char *suffix, long lo, long hi,
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

/*
 * An int field from a plain decimal scalar, with an optional unit suffix,
 * in [min, max]; what says what the key takes, for the message.
 */
static int
set_int_in_range(struct loader *l, const struct key *k, yaml_node_t *n,
    const char *what, const char *suffix, int min, int max)
{
	int		*field = (int *)((char *)l->cfg + k->off);
	const char	*v;
	int		 rc;

	if ((rc = cfg_get_scalar(l, k, n, what, &v)) != 0 || v == NULL)
		return rc;
	if (cfg_decimal_in_range(v, suffix, min, max, field) != 0)
		return cfg_bad_value(l, k, n, what, v);
	return 0;
}

/* A TCP port, 1-65535, in plain decimal. */
int
cfg_set_port(struct loader *l, const struct key *k, yaml_node_t *n)
{
	return set_int_in_range(l, k, n, "a port number between 1 and 65535",
	    NULL, 1, 65535);
}

/* Whole seconds, 0 to a day, with or without an "s". */
int
cfg_set_seconds(struct loader *l, const struct key *k, yaml_node_t *n)
{
	return set_int_in_range(l, k, n, "a number of seconds between 0 and "
	    "86400, like 10 or 10s", "s", 0, 86400);
}

/* A whole number of things, 0 to a million. */
int
cfg_set_count(struct loader *l, const struct key *k, yaml_node_t *n)
{
	return set_int_in_range(l, k, n, "a whole number from 0 (keep all)",
	    NULL, 0, 1000000);
}

/* A step of nice levels, as nice(1) takes them: 0 to 19. */
int
cfg_set_nice(struct loader *l, const struct key *k, yaml_node_t *n)
{
	return set_int_in_range(l, k, n, "a whole number of nice levels from "
	    "0 to 19", NULL, 0, 19);
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
int
cfg_set_duration(struct loader *l, const struct key *k, yaml_node_t *n)
{
	static const char	*what = "a duration like 7d, 12h, 30m or 90s";
	int64_t			*field = (int64_t *)((char *)l->cfg + k->off);
	const char		*v;
	int			 rc;

	if ((rc = cfg_get_scalar(l, k, n, what, &v)) != 0 || v == NULL)
		return rc;
	if (config_parse_duration(v, field) != 0)
		return cfg_bad_value(l, k, n, what, v);
	return 0;
}

/* One of the level names, in any case. */
int
cfg_set_level(struct loader *l, const struct key *k, yaml_node_t *n)
{
	enum log_level	*field = (enum log_level *)((char *)l->cfg + k->off);
	char		 buf[SHOWN_MAX + 4];
	const char	*v;
	size_t		 i;
	int		 rc;

	if ((rc = cfg_get_scalar(l, k, n, "a log level", &v)) != 0 || v == NULL)
		return rc;
	for (i = 0; i < sizeof levels / sizeof levels[0]; i++) {
		if (strcasecmp(v, levels[i]) == 0) {
			*field = (enum log_level)i;
			return 0;
		}
	}
	err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" is not a log level: \"%s\"",
	    k->section, k->name, cfg_shown(v, buf));
	err_hint(l->e, "use one of: error, warning, info, debug");
	return cfg_at(l, n);
}

static const char *const engines[] = { "pgtt", "pgbackrest" };

int
cfg_set_engine(struct loader *l, const struct key *k, yaml_node_t *n)
{
	enum pitr_engine *field = (enum pitr_engine *)((char *)l->cfg + k->off);
	char		 buf[SHOWN_MAX + 4];
	const char	*v;
	size_t		 i;
	int		 rc;

	if ((rc = cfg_get_scalar(l, k, n, "a PITR engine", &v)) != 0 ||
	    v == NULL)
		return rc;
	for (i = 0; i < sizeof engines / sizeof engines[0]; i++) {
		if (strcmp(v, engines[i]) == 0) {
			*field = (enum pitr_engine)i;
			l->engine_line = n->start_mark.line + 1;
			l->engine_col = n->start_mark.column + 1;
			return 0;
		}
	}
	err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" is not a PITR engine: \"%s\"",
	    k->section, k->name, cfg_shown(v, buf));
	err_hint(l->e, "use pgtt (pg_basebackup and pg_receivewal) or "
	    "pgbackrest");
	return cfg_at(l, n);
}

/* Free a NULL-terminated list of strings and zero its count. */
void
cfg_free_list(char ***list, size_t *n)
{
	size_t	i;

	if (*list != NULL) {
		for (i = 0; (*list)[i] != NULL; i++)
			free((*list)[i]);
	}
	free(*list);
	*list = NULL;
	*n = 0;
}

/*
 * A sequence of names, kept as written, into *out and *nout; a bad item
 * frees what was built, so nothing is left half-built; with unique, so
 * does a name given twice.  what, item and example go into the errors.
 */
static int
set_list(struct loader *l, const struct key *k, yaml_node_t *n,
    const char *what, const char *item, const char *example, int unique,
    char ***out, size_t *nout)
{
	yaml_node_item_t	*it;
	yaml_node_t		*node;
	const char		*v;
	char		       **list;
	size_t			 i = 0, j;
	int			 rc;

	if (n->type == YAML_SCALAR_NODE && !cfg_is_null(n)) {
		v = (const char *)n->data.scalar.value;
		rc = cfg_bad_value(l, k, n, what, v);
		err_hint(l->e, "write %s", example);
		return rc;
	}
	if (n->type == YAML_MAPPING_NODE)
		return cfg_get_scalar(l, k, n, what, &v);
	cfg_free_list(out, nout);
	if (n->type != YAML_SEQUENCE_NODE ||
	    n->data.sequence.items.top == n->data.sequence.items.start)
		return 0;

	list = xcalloc((size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start) + 1, sizeof *list);
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		if ((node = yaml_document_get_node(l->doc, *it)) == NULL)
			continue;
		rc = 0;
		if (node->type != YAML_SCALAR_NODE)
			err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" must be a "
			    "sequence of strings", k->section, k->name);
		else if ((rc = cfg_get_scalar(l, k, node, what, &v)) == 0 &&
		    (v == NULL || v[0] == '\0'))
			err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" holds an "
			    "empty %s", k->section, k->name, item);
		else if (rc == 0) {
			for (j = 0; unique && j < i &&
			    strcmp(list[j], v) != 0; j++)
				;
			if (!unique)
				j = i;
			if (j == i) {
				list[i++] = xstrdup(v);
				continue;
			}
			err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" lists \"%s\" "
			    "twice", k->section, k->name, v);
		}
		*out = list;
		cfg_free_list(out, nout);
		return rc != 0 ? rc : cfg_at(l, node);
	}
	*out = list;
	*nout = i;
	return 0;
}

/*
 * Table names, kept as written: parsing "schema.name" and its quoting
 * belongs to whoever builds the publication.
 */
int
cfg_set_tables(struct loader *l, const struct key *k, yaml_node_t *n)
{
	return set_list(l, k, n, "a sequence of table names", "table name",
	    "[public.users, '\"Sales\".\"Order Items\"'], or leave it out "
	    "for all tables", 0, &l->cfg->source.tables,
	    &l->cfg->source.ntables);
}

/* Database names of the cluster source.dsn names. */
int
cfg_set_databases(struct loader *l, const struct key *k, yaml_node_t *n)
{
	char	buf[SHOWN_MAX + 4];
	size_t	i;
	int	rc;

	rc = set_list(l, k, n, "a sequence of database names",
	    "database name", "[app, billing], or leave it out for the "
	    "database source.dsn names", 1, &l->cfg->source.databases,
	    &l->cfg->source.ndatabases);
	for (i = 0; rc == 0 && i < l->cfg->source.ndatabases; i++) {
		if (strlen(l->cfg->source.databases[i]) <= NAME_MAX_LEN)
			continue;
		err_set(l->e, PGTT_ECONFIG, "\"%s.%s\" names database \"%s\", "
		    "longer than %d bytes", k->section, k->name,
		    cfg_shown(l->cfg->source.databases[i], buf), NAME_MAX_LEN);
		cfg_free_list(&l->cfg->source.databases,
		    &l->cfg->source.ndatabases);
		rc = cfg_at(l, n);
	}
	return rc;
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
