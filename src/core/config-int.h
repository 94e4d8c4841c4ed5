/*
 * config-int.h: what the loader (config.c: the file, its sections and
 * keys, the defaults) and the values (config-values.c: one setter per
 * kind of value, each checking it where its mark is known) share.
 */
#ifndef PGTT_CONFIG_INT_H
#define PGTT_CONFIG_INT_H

#include <stddef.h>

#include <yaml.h>

#include "config.h"

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
	/* Where pitr.engine was set (0: not), for checks after the
	   document is gone. */
	size_t			 engine_line, engine_col;
};

/* Rules for string keys, checked by set_string. */
#define K_NAME	0x1	/* non-empty, at most NAME_MAX_LEN bytes */
#define K_SLOT	0x2	/* a replication slot name */
#define K_PATH	0x4	/* non-empty; made absolute */
#define K_LISTEN 0x8	/* an address to listen on (httpd.h) */
#define K_SHELL	0x10	/* goes into a shell command: SHELL_CHARS only */

/* What a value written unquoted into restore_command may hold. */
#define SHELL_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"0123456789_.,/+:=@-"
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

/* Point err->where at a node and hand back the error code already set. */
int		 cfg_at(struct loader *, const yaml_node_t *);
/* Quote a value back safely: short, one line (buf: SHOWN_MAX + 4). */
const char	*cfg_shown(const char *, char *buf);
int		 cfg_is_null(const yaml_node_t *);
/* Replace an owned string field. */
void		 cfg_replace(char **field, char *value);
/* path made absolute against base, tidied; malloc'd. */
char		*cfg_resolve(const char *base, const char *path);

/* The setters the key table names (config-values.c). */
int	cfg_set_string(struct loader *, const struct key *, yaml_node_t *);
int	cfg_set_bool(struct loader *, const struct key *, yaml_node_t *);
int	cfg_set_size(struct loader *, const struct key *, yaml_node_t *);
int	cfg_set_port(struct loader *, const struct key *, yaml_node_t *);
int	cfg_set_seconds(struct loader *, const struct key *, yaml_node_t *);
int	cfg_set_level(struct loader *, const struct key *, yaml_node_t *);
int	cfg_set_engine(struct loader *, const struct key *, yaml_node_t *);
/* A key whose value is a section of its own, "pitr.pgbackrest". */
int	cfg_set_section(struct loader *, const struct key *, yaml_node_t *);
int	cfg_set_count(struct loader *, const struct key *, yaml_node_t *);
int	cfg_set_nice(struct loader *, const struct key *, yaml_node_t *);
int	cfg_set_duration(struct loader *, const struct key *, yaml_node_t *);
int	cfg_set_tables(struct loader *, const struct key *, yaml_node_t *);
int	cfg_set_databases(struct loader *, const struct key *, yaml_node_t *);
void	cfg_free_list(char ***, size_t *);

#endif
