/*
 * cmd-mark.c: `checkpoint` and `session`, each with its subcommands.  They
 * gather arguments, call core/mark.c and print; a checkpoint is shown with
 * the name of its session, and a session's replica DSN with its password
 * masked.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/archive.h"
#include "core/dsn.h"
#include "core/journal.h"
#include "core/checkpoint.h"
#include "core/session.h"
#include "core/pgtime.h"
#include "core/xmalloc.h"

struct mark_args {
	const char	*at;
	const char	*description;
	const char	*session;
	const char	*replica;
	int		 all;
	int		 nargs;
	char		*args[2];
};

static int
parse(struct cli_ctx *ctx, const struct cli_command *cmd, int argc,
    char **argv, struct mark_args *ma)
{
	static const struct option	 opts[] = {
		{ "at", required_argument, NULL, 'a' },
		{ "description", required_argument, NULL, 'd' },
		{ "session", required_argument, NULL, 's' },
		{ "replica", required_argument, NULL, 'r' },
		{ "all", no_argument, NULL, 'A' },
		{ NULL, 0, NULL, 0 }
	};
	int				 ch;

	memset(ma, 0, sizeof *ma);
	optind = 0;
	opterr = 0;
	/* "-": words and options in any order, words returned as 1. */
	while ((ch = getopt_long(argc, argv, "-", opts, NULL)) != -1) {
		switch (ch) {
		case 1:
			if (ma->nargs == 2)
				return cli_usage_error(ctx, cmd, "too many "
				    "arguments at \"%s\"", optarg);
			ma->args[ma->nargs++] = optarg;
			break;
		case 'a':
			ma->at = optarg;
			break;
		case 'd':
			ma->description = optarg;
			break;
		case 's':
			ma->session = optarg;
			break;
		case 'r':
			ma->replica = optarg;
			break;
		case 'A':
			ma->all = 1;
			break;
		default:
			return cli_usage_error(ctx, cmd, "unknown option "
			    "\"%s\" for %s", argv[optind - 1], cli_command_name(cmd));
		}
	}
	if (ma->nargs == 0)
		return cli_usage_error(ctx, cmd, "%s needs a subcommand",
		    cli_command_name(cmd));
	return 0;
}

/* The session named, the active one, or none (0). */
static int
session_id(struct cli_ctx *ctx, struct journal *j, const char *name,
    uint32_t *id)
{
	struct pgtt_session	*s;

	if (name == NULL) {
		*id = journal_active_session(j);
		return 0;
	}
	if (session_find(j, name, &s, &ctx->err) != 0) {
		err_where(&ctx->err, "--session");
		return ctx->err.code;
	}
	*id = s->id;
	free(s);
	return 0;
}

/* Name of session id, or NULL; malloc'd. */
static char *
session_name(struct journal *j, uint32_t id)
{
	struct pgtt_session	**ss;
	struct pgtt_err		  err;
	char			 *name = NULL;
	size_t			  n, i;

	err_clear(&err);
	if (id == 0 || journal_sessions(j, &ss, &n, &err) != 0)
		return NULL;
	for (i = 0; i < n; i++)
		if (ss[i]->id == id)
			name = xstrdup(ss[i]->name);
	record_free_list((void **)ss, n);
	return name;
}

static json_t *
checkpoint_json(struct journal *j, const struct pgtt_checkpoint *cp)
{
	char	 lsnbuf[LSN_BUFSIZE], when[PGTIME_BUFSIZE], *sess;
	json_t	*o;

	sess = session_name(j, cp->session_id);
	o = json_pack("{s:s?, s:s, s:s?, s:s?, s:s, s:s?, s:s}",
	    "id", NULL, "name", cp->name, "lsn", cp->lsn != LSN_INVALID ?
	    lsn_format(cp->lsn, lsnbuf) : NULL, "created_at",
	    cp->created_at != 0 ? pgtime_format(cp->created_at, when) : NULL,
	    "kind", cp->fixed ? "fixed" : "custom", "session", sess,
	    "description", cp->description != NULL ? cp->description : "");
	if (cp->id != 0)
		json_object_set_new(o, "id", json_sprintf("%u", cp->id));
	free(sess);
	return o;
}

/* -1: PITR is off; else whether a restore can reach lsn now. */
static int
restorable(const struct pitr_window *w, pgtt_lsn lsn)
{
	if (w == NULL)
		return -1;
	return lsn != LSN_INVALID && w->latest != LSN_INVALID &&
	    lsn >= w->earliest && lsn <= w->latest;
}

static void
checkpoint_text(struct journal *j, const struct pgtt_checkpoint *cp,
    int can_restore)
{
	char	lsnbuf[LSN_BUFSIZE], id[16], *sess;

	snprintf(id, sizeof id, "%u", cp->id);
	printf("%-4s %-16s %-14s %-6s%s", cp->id != 0 ? id : "-", cp->name,
	    cp->lsn != LSN_INVALID ? lsn_format(cp->lsn, lsnbuf) : "-",
	    cp->fixed ? "fixed" : "custom", can_restore < 0 ? "" :
	    can_restore ? " R" : " -");
	if ((sess = session_name(j, cp->session_id)) != NULL)
		printf(" session %s", sess);
	if (cp->description[0] != '\0')
		printf("  %s", cp->description);
	putchar('\n');
	free(sess);
}

/* What checkpoint create made; dbs lists the databases when several. */
static void
print_created(struct cli_ctx *ctx, struct journal *j,
    const struct pgtt_checkpoint *cp, const struct checkpoint_report *rep,
    const struct config *dbs)
{
	char	lsnbuf[LSN_BUFSIZE];
	size_t	i;

	if (ctx->json) {
		json_t	*o = checkpoint_json(j, cp);

		json_object_set_new(o, "restore_point",
		    json_boolean(rep->restore_point));
		if (rep->sequences >= 0)
			json_object_set_new(o, "sequences",
			    json_integer(rep->sequences));
		if (rep->unreadable > 0)
			json_object_set_new(o, "sequences_unreadable",
			    json_integer(rep->unreadable));
		if (dbs != NULL) {
			json_t	*a = json_array();

			for (i = 0; i < dbs->source.ndatabases; i++)
				json_array_append_new(a, json_string(
				    dbs->source.databases[i]));
			json_object_set_new(o, "databases", a);
		}
		cli_emit_json(o);
		return;
	}
	if (ctx->verbosity < 0)
		return;
	printf("created checkpoint \"%s\" at %s%s\n", cp->name,
	    lsn_format(cp->lsn, lsnbuf), rep->restore_point ?
	    ", with a restore point of that name on the source" : "");
	if (dbs != NULL) {
		printf("in databases");
		for (i = 0; i < dbs->source.ndatabases; i++)
			printf("%s %s", i == 0 ? "" : ",",
			    dbs->source.databases[i]);
		putchar('\n');
	}
	if (rep->sequences > 0)
		printf("with the values of %d sequence%s\n",
		    rep->sequences, rep->sequences == 1 ? "" : "s");
	if (rep->unreadable > 0)
		printf("note: %d sequence%s the source role may not "
		    "read (SELECT) kept no value\n", rep->unreadable,
		    rep->unreadable == 1 ? "" : "s");
	if (rep->note[0] != '\0')
		printf("%s\n", rep->note);
}

/*
 * checkpoint over every database of source.databases: one LSN for all
 * (create), removed from each (delete), each database's listed in turn.
 */
static int
checkpoint_every_database(struct cli_ctx *ctx, const struct mark_args *ma)
{
	const struct config	 *cfg = &ctx->cfg;
	size_t			  n = cfg->source.ndatabases, i, k, deleted = 0;
	struct config		 *views;
	const struct config	**vp;
	struct journal		**js;
	uint32_t		 *sids;
	struct pgtt_checkpoint	 *cp, **cps;
	struct checkpoint_report  rep;
	int			  ret = 0;

	views = xcalloc(n, sizeof *views);
	vp = xcalloc(n, sizeof *vp);
	js = xcalloc(n, sizeof *js);
	sids = xcalloc(n, sizeof *sids);
	for (i = 0; ret == 0 && i < n; i++) {
		vp[i] = &views[i];
		if ((ret = cli_database_config(ctx, cfg->source.databases[i],
		    &views[i])) != 0)
			break;
		if ((ret = journal_open(&js[i], views[i].storage.path,
		    views[i].storage.map_size, 0, &ctx->err)) != 0) {
			if (ret == PGTT_ENOTFOUND)
				err_hint(&ctx->err, "run setup first");
			err_detail_add(&ctx->err, "database \"%s\"",
			    cfg->source.databases[i]);
		}
	}
	/* Each database's checkpoints go where -d would put them. */
	for (i = 0; ret == 0 && i < n; i++)
		sids[i] = journal_active_session(js[i]);
	if (ret == 0 && strcmp(ma->args[0], "create") == 0) {
		ret = checkpoint_create_all(js, vp, sids, n, ma->args[1], ma->at,
		    ma->description, &cp, &rep, &ctx->err);
		if (ret != 0 && ma->at != NULL &&
		    ctx->err.code == PGTT_EUSAGE &&
		    strstr(ctx->err.msg, "point") != NULL)
			err_where(&ctx->err, "--at");
		if (ret == 0) {
			print_created(ctx, js[0], cp, &rep, cfg);
			free(cp);
		}
	} else if (ret == 0 && strcmp(ma->args[0], "delete") == 0) {
		for (i = 0; ret == 0 && i < n; i++) {
			if (checkpoint_delete(js[i], ma->args[1], sids[i],
			    &ctx->err) == 0)
				deleted++;
			else if (strncmp(ctx->err.msg, "no checkpoint", 13) == 0)
				/* Made before this database was added. */
				err_clear(&ctx->err);
			else
				ret = ctx->err.code;
		}
		if (ret == 0 && deleted == 0)
			ret = err_set(&ctx->err, PGTT_EUSAGE, "no checkpoint "
			    "\"%s\" in any database", ma->args[1]);
		else if (ret == 0 && ctx->json)
			cli_emit_json(json_pack("{s:s, s:b, s:i}", "name",
			    ma->args[1], "deleted", 1, "databases",
			    (int)deleted));
		else if (ret == 0 && ctx->verbosity >= 0)
			printf("deleted checkpoint \"%s\" in %zu database%s\n",
			    ma->args[1], deleted, deleted == 1 ? "" : "s");
	} else if (ret == 0) {
		for (i = 0; ret == 0 && i < n; i++) {
			if ((ret = checkpoint_list(js[i], sids[i], ma->all, &cps,
			    &k, &ctx->err)) != 0)
				break;
			if (!ctx->json)
				printf("%sdatabase %s:\n", i > 0 ? "\n" : "",
				    cfg->source.databases[i]);
			for (size_t c = 0; c < k; c++) {
				if (ctx->json) {
					json_t	*o = checkpoint_json(js[i],
					    cps[c]);

					json_object_set_new(o, "database",
					    json_string(
					    cfg->source.databases[i]));
					cli_emit_json(o);
				} else
					checkpoint_text(js[i], cps[c], -1);
			}
			record_free_list((void **)cps, k);
		}
	}
	for (i = 0; i < n; i++) {
		if (js[i] != NULL)
			journal_close(js[i]);
		config_free(&views[i]);
	}
	free(js);
	free(sids);
	free(vp);
	free(views);
	return ret;
}

int
cmd_checkpoint(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_command	 *cmd = &cli_commands[VERB_CHECKPOINT];
	struct mark_args		  ma;
	struct journal			 *j;
	struct cli_verb			  cv;
	struct pgtt_checkpoint		 *cp, **cps;
	struct checkpoint_report		  rep;
	uint32_t			  sid = 0;
	size_t				  n, i;
	int				  ret;

	if ((ret = parse(ctx, cmd, argc, argv, &ma)) != 0)
		return ret;
	if (strcmp(ma.args[0], "create") != 0 && strcmp(ma.args[0], "list") !=
	    0 && strcmp(ma.args[0], "delete") != 0)
		return cli_usage_error(ctx, cmd, "unknown subcommand \"%s\"",
		    ma.args[0]);
	if (strcmp(ma.args[0], "list") != 0 && ma.nargs != 2)
		return cli_usage_error(ctx, cmd, "checkpoint %s needs a NAME",
		    ma.args[0]);
	if (cli_all_databases(ctx)) {
		if (ma.session != NULL)
			return cli_usage_error(ctx, cmd, "a session's "
			    "checkpoints are in its database's journal: name "
			    "the database with -d");
		return checkpoint_every_database(ctx, &ma);
	}
	if ((ret = cli_verb_begin(ctx, VERB_CHECKPOINT, 0, &cv)) != 0)
		return ret;
	j = cv.j;
	if ((ret = session_id(ctx, j, ma.session, &sid)) != 0)
		goto out;

	if (strcmp(ma.args[0], "create") == 0) {
		if ((ret = checkpoint_create(j, &ctx->cfg, ma.args[1], ma.at,
		    ma.description, sid, &cp, &rep, &ctx->err)) != 0) {
			if (ma.at != NULL && ctx->err.code == PGTT_EUSAGE &&
			    strstr(ctx->err.msg, "point") != NULL)
				err_where(&ctx->err, "--at");
			goto out;
		}
		print_created(ctx, j, cp, &rep, NULL);
		free(cp);
	} else if (strcmp(ma.args[0], "delete") == 0) {
		if ((ret = checkpoint_delete(j, ma.args[1], sid,
		    &ctx->err)) != 0)
			goto out;
		if (ctx->json)
			cli_emit_json(json_pack("{s:s, s:b}", "name",
			    ma.args[1], "deleted", 1));
		else if (ctx->verbosity >= 0)
			printf("deleted checkpoint \"%s\"\n", ma.args[1]);
	} else {
		struct pitr_window	 win, *w = NULL;
		struct pgtt_err		 ignored;

		if ((ret = checkpoint_list(j, sid, ma.all, &cps, &n,
		    &ctx->err)) != 0)
			goto out;
		err_clear(&ignored);
		/* A window that cannot be read makes nothing restorable. */
		if (ctx->cfg.pitr.enabled) {
			w = &win;
			if (archive_window(&ctx->cfg, j, w, &ignored) != 0)
				memset(w, 0, sizeof *w);
		}
		for (i = 0; i < n; i++) {
			int	can = restorable(w, cps[i]->lsn);

			if (ctx->json) {
				json_t	*o = checkpoint_json(j, cps[i]);

				if (can >= 0)
					json_object_set_new(o, "restorable",
					    json_boolean(can));
				cli_emit_json(o);
			} else
				checkpoint_text(j, cps[i], can);
		}
		record_free_list((void **)cps, n);
	}
out:
	cli_verb_end(&cv);
	return ret;
}

static json_t *
session_json(const struct pgtt_session *s, uint32_t active)
{
	char	 lsnbuf[LSN_BUFSIZE], when[PGTIME_BUFSIZE], *dsn = NULL;
	json_t	*o;

	if (s->replica_dsn[0] != '\0')
		dsn = dsn_mask(s->replica_dsn);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:s?, s:b}", "id", "",
	    "name", s->name, "description", s->description, "database",
	    s->database, "replica", dsn, "created_at",
	    pgtime_format(s->created_at, when), "replayed_to",
	    s->replayed_to != LSN_INVALID ? lsn_format(s->replayed_to,
	    lsnbuf) : NULL, "active", s->id == active);
	json_object_set_new(o, "id", json_sprintf("%u", s->id));
	free(dsn);
	return o;
}

/*
 * A name as a POSIX shell reads it back, for a hint to be pasted: as it
 * is when it is plain, else in single quotes ('\'' for a quote).
 */
static char *
shell_quoted(const char *s)
{
	struct buf	 b;
	const char	*p;

	if (*s != '\0' && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.,:/@%+=") == strlen(s))
		return xstrdup(s);
	buf_init(&b);
	buf_append(&b, "'", 1);
	for (p = s; *p != '\0'; p++)
		buf_append(&b, *p == '\'' ? "'\\''" : p, *p == '\'' ? 4 : 1);
	buf_append(&b, "'", 2);
	return (char *)b.data;
}

int
cmd_session(struct cli_ctx *ctx, int argc, char **argv)
{
	const struct cli_command	 *cmd = &cli_commands[VERB_SESSION];
	struct mark_args		  ma;
	struct journal			 *j;
	struct cli_verb			  cv;
	struct pgtt_session		 *s, **ss;
	size_t				  n, i, deleted;
	uint32_t			  active;
	const char			 *sub;
	int				  ret;

	if ((ret = parse(ctx, cmd, argc, argv, &ma)) != 0)
		return ret;
	sub = ma.args[0];
	if (strcmp(sub, "create") != 0 && strcmp(sub, "list") != 0 &&
	    strcmp(sub, "switch") != 0 && strcmp(sub, "delete") != 0)
		return cli_usage_error(ctx, cmd, "unknown subcommand \"%s\"",
		    sub);
	if (strcmp(sub, "list") != 0 && ma.nargs != 2)
		return cli_usage_error(ctx, cmd, "session %s needs a NAME",
		    sub);
	if ((ret = cli_verb_begin(ctx, VERB_SESSION, 0, &cv)) != 0)
		return ret;
	j = cv.j;
	if (strcmp(sub, "create") == 0) {
		ret = session_create(j, ma.args[1], ma.description, ma.replica,
		    &s, &ctx->err);
		if (ret == 0) {
			if (ctx->json)
				cli_emit_json(session_json(s, journal_active_session(j)));
			else if (ctx->verbosity >= 0) {
				char	*quoted = shell_quoted(s->name);

				printf("created session \"%s\" (switch to it "
				    "with: pgtt --headless session switch %s)\n",
				    s->name, quoted);
				free(quoted);
			}
			free(s);
		}
	} else if (strcmp(sub, "switch") == 0) {
		ret = session_switch(j, ma.args[1], &ctx->err);
		if (ret == 0 && !ctx->json && ctx->verbosity >= 0)
			printf("active session: %s\n", ma.args[1]);
		else if (ret == 0 && ctx->json)
			cli_emit_json(json_pack("{s:s}", "active", ma.args[1]));
	} else if (strcmp(sub, "delete") == 0) {
		ret = session_delete(j, ma.args[1], &deleted, &ctx->err);
		if (ret == 0 && ctx->json)
			cli_emit_json(json_pack("{s:s, s:b, s:I}", "name",
			    ma.args[1], "deleted", 1, "checkpoints_deleted",
			    (json_int_t)deleted));
		else if (ret == 0 && ctx->verbosity >= 0)
			printf("deleted session \"%s\" and its %zu checkpoints; "
			    "the history is untouched\n", ma.args[1], deleted);
	} else if ((ret = journal_sessions(j, &ss, &n, &ctx->err)) == 0) {
		active = journal_active_session(j);
		for (i = 0; i < n; i++) {
			if (ctx->json)
				cli_emit_json(session_json(ss[i], active));
			else
				printf("%s %-16s %s\n", ss[i]->id == active ?
				    "*" : " ", ss[i]->name,
				    ss[i]->description);
		}
		record_free_list((void **)ss, n);
	}
	cli_verb_end(&cv);
	return ret;
}
