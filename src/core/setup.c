/*
 * setup.c: setup of the source database.
 *
 * Order matters and is chosen so no change is ever lost: the publication
 * exists before the slot (pgoutput looks it up under the historic snapshot
 * of each change it decodes), the DDL trigger exists before the slot (so
 * no DDL falls between the slot's consistent point and the trigger), and
 * the baseline dump runs under the snapshot the slot exported, while the
 * replication connection that holds it stays open.  The journal records
 * the slot's consistent point as `creation` only after the dump succeeded;
 * that record is what makes a later run idempotent.
 *
 * Safety of the source: ALTERs run under a short lock_timeout so that the
 * source's own queries never queue behind us; tables without a usable
 * replica identity are left out of the publication (or, when configured,
 * given REPLICA IDENTITY FULL), because publishing them would make their
 * UPDATE and DELETE fail; and the DDL trigger turns any error of its own
 * into a WARNING so that it can never make a user's DDL fail.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backup.h"
#include "pgbackrest.h"
#include "baseline.h"
#include "dsn.h"
#include "era.h"
#include "journal.h"
#include "ident.h"
#include "pg.h"
#include "pgtime.h"
#include "point.h"
#include "proc.h"
#include "record.h"
#include "seqsample.h"
#include "setup-int.h"
#include "setup.h"
#include "source.h"
#include "xmalloc.h"



void
setup_step(struct setup_ctx *sc, enum setup_state state, const char *note,
    const char *fmt, ...)
{
	struct setup_report	*rep = sc->rep;
	struct setup_step	*s;
	va_list			 ap;
	char			 object[512];

	if (sc->dry_run && (state == SETUP_CREATED || state == SETUP_CHANGED))
		state = SETUP_PLANNED;
	va_start(ap, fmt);
	vsnprintf(object, sizeof object, fmt, ap);
	va_end(ap);
	rep->steps = xreallocarray(rep->steps, rep->nsteps + 1,
	    sizeof *rep->steps);
	s = &rep->steps[rep->nsteps++];
	s->object = xstrdup(object);
	s->state = state;
	s->note = note != NULL ? xstrdup(note) : NULL;
}

const char *
setup_state_name(enum setup_state state)
{
	switch (state) {
	case SETUP_EXISTS:
		return "exists";
	case SETUP_CREATED:
		return "created";
	case SETUP_CHANGED:
		return "changed";
	case SETUP_SKIPPED:
		return "skipped";
	case SETUP_PARTIAL:
		return "partial";
	case SETUP_PLANNED:
		return "planned";
	}
	return "?";
}

void
setup_report_done(struct setup_report *rep)
{
	size_t	i;

	for (i = 0; i < rep->nsteps; i++) {
		free(rep->steps[i].object);
		free(rep->steps[i].note);
	}
	free(rep->steps);
	free(rep->system_id);
	free(rep->database);
	free(rep->slot);
	free(rep->publication);
	free(rep->ddl_prefix);
	free(rep->journal);
	free(rep->baseline);
	free(rep->baseline_list);
	memset(rep, 0, sizeof *rep);
}

int
setup_sql(struct setup_ctx *sc, const char *sql)
{
	PGresult	*res;

	if (sc->dry_run)
		return 0;
	if ((res = pg_exec(sc->conn, sc->err, sql, 0, NULL)) == NULL)
		return sc->err->code;
	PQclear(res);
	return 0;
}

/* The server must be a primary with wal_level=logical and let us replicate. */
static int
check_server(struct setup_ctx *sc)
{
	PGresult	*res;
	const char	*wal_level;
	int		 ret = 0;

	res = pg_exec(sc->conn, sc->err,
	    "SELECT current_setting('server_version_num')::int,"
	    " current_setting('wal_level'), current_database(),"
	    " (SELECT system_identifier FROM pg_control_system())::text,"
	    " pg_is_in_recovery(), r.rolsuper, r.rolreplication, current_user"
	    " FROM pg_roles r WHERE r.rolname = current_user", 0, NULL);
	if (res == NULL)
		return sc->err->code;
	sc->rep->server_version = atoi(PQgetvalue(res, 0, 0));
	sc->rep->database = xstrdup(PQgetvalue(res, 0, 2));
	sc->rep->system_id = xstrdup(PQgetvalue(res, 0, 3));
	sc->superuser = pg_bool(res, 0, 5);
	wal_level = PQgetvalue(res, 0, 1);

	if (sc->rep->server_version < 100000) {
		ret = err_set(sc->err, PGTT_EDB, "the source runs PostgreSQL "
		    "%d; pgtt needs 10 or later for pgoutput",
		    sc->rep->server_version / 10000);
	} else if (pg_bool(res, 0, 4)) {
		ret = err_set(sc->err, PGTT_EDB, "the source is a standby; "
		    "setup must run against the primary");
	} else if (strcmp(wal_level, "logical") != 0) {
		ret = err_set(sc->err, PGTT_EDB, "wal_level is \"%s\" on the "
		    "source; logical decoding needs \"logical\"", wal_level);
		err_hint(sc->err, "put \"wal_level = logical\" in "
		    "postgresql.conf (or run ALTER SYSTEM SET wal_level = "
		    "logical) and restart the server");
	} else if (!sc->superuser && !pg_bool(res, 0, 6)) {
		ret = err_set(sc->err, PGTT_EDB, "role \"%s\" may not use "
		    "replication", PQgetvalue(res, 0, 7));
		err_hint(sc->err, "ALTER ROLE \"%s\" REPLICATION, or connect "
		    "as a role that has it", PQgetvalue(res, 0, 7));
	}
	PQclear(res);
	return ret;
}

/*
 * Create the slot with an exported snapshot and dump the database under
 * it.  The snapshot lives only while the replication connection stays
 * idle, so nothing else is sent on it until pg_dump is done.
 */
static int
create_slot_and_baseline(struct setup_ctx *sc, const char *path)
{
	const struct config	*cfg = sc->cfg;
	struct setup_report	*rep = sc->rep;
	PGconn			*rconn;
	PGresult		*res;
	char			*sql, *dsn = NULL, *password = NULL, *pgdump;
	char			*tmp, *snap_arg, *file_arg, *db_arg;
	char			 lsnbuf[LSN_BUFSIZE];
	int			 ret;

	if ((rconn = pg_connect(cfg->source.dsn, "source", 1, sc->err)) ==
	    NULL)
		return sc->err->code;
	xasprintf(&sql, "CREATE_REPLICATION_SLOT \"%s\" LOGICAL pgoutput "
	    "EXPORT_SNAPSHOT", cfg->source.slot);
	res = pg_exec(rconn, sc->err, sql, 0, NULL);
	free(sql);
	if (res == NULL) {
		PQfinish(rconn);
		return sc->err->code;
	}
	rep->creation_lsn = pg_lsn(res, 0, 1);
	sc->slot_made_at = pgtime_now();
	xasprintf(&snap_arg, "--snapshot=%s", PQgetvalue(res, 0, 2));
	PQclear(res);
	/*
	 * The sequences, read after the slot's consistent point, on the
	 * other connection: this one must stay idle for the snapshot.  They
	 * stand for creation, so a diff or replay from there knows them.
	 */
	{
		struct pgtt_err	ignored;

		err_clear(&ignored);
		if (seqsample_read(sc->conn, &sc->creation_sample,
		    &ignored) != 0)
			sc->creation_sample = NULL;
	}

	xasprintf(&tmp, "%s.partial", path);
	xasprintf(&file_arg, "--file=%s", tmp);
	ret = dsn_split_password(cfg->source.dsn, &dsn, &password, sc->err);
	if (ret == 0) {
		const char *argv[] = { NULL, snap_arg, "--format=custom",
		    file_arg, "--no-publications", "--no-subscriptions",
		    "--exclude-schema=pgtt", NULL, NULL };

		struct proc_opts	 opts;

		xasprintf(&db_arg, "--dbname=%s", dsn);
		pgdump = proc_find_pgbin(cfg->pitr.bindir,
		    rep->server_version / 10000, "pg_dump");
		argv[0] = pgdump;
		argv[7] = db_arg;
		memset(&opts, 0, sizeof opts);
		opts.password = password;
		/*
		 * In UTC, as the listener reads: a value the baseline gives
		 * (history's first version, diff's old values) then has the
		 * journal's text, and no time zone makes a false change.
		 */
		opts.pgtz = "UTC";
		ret = proc_exec(argv, &opts, sc->err);
		free(pgdump);
		free(db_arg);
	}
	if (ret == 0 && rename(tmp, path) == -1)
		ret = err_set(sc->err, PGTT_EIO, "could not rename \"%s\": %s",
		    tmp, strerror(errno));
	PQfinish(rconn);
	if (ret == 0)
		ret = baseline_write_list(cfg->pitr.bindir,
		    rep->server_version / 10000, path, rep->baseline_list,
		    sc->err);

	if (ret != 0) {
		const char	*slot = cfg->source.slot;
		struct pgtt_err	 ignored;

		unlink(tmp);
		err_hint(sc->err, "the baseline dump failed, so the slot was "
		    "dropped again; fix the cause and run setup again");
		err_clear(&ignored);
		PQclear(pg_exec(sc->conn, &ignored,
		    "SELECT pg_drop_replication_slot($1)", 1, &slot));
	} else
		setup_step(sc, SETUP_CREATED, lsn_format(rep->creation_lsn, lsnbuf),
		    "replication slot \"%s\" and baseline dump \"%s\" "
		    "(restore list \"%s\")", cfg->source.slot, path,
		    rep->baseline_list);
	free(tmp);
	free(file_arg);
	free(snap_arg);
	free(dsn);
	if (password != NULL) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	return ret;
}

/*
 * The listener takes a logical message as DDL only under the secret
 * prefix the DDL capture writes it with (see setup-ddl.c): keep it in
 * the journal of an existing history too, when setup installed or
 * refreshed the capture.
 */
static int
remember_ddl_prefix(struct setup_ctx *sc, struct journal *j)
{
	struct jbatch	*b;
	char		*have = NULL;
	struct pgtt_err	 ignored;
	int		 ret = 0;

	if (sc->rep->ddl_prefix == NULL || j == NULL)
		return 0;
	if (journal_meta_get(j, "ddl_prefix", &have, &ignored) == 0 &&
	    strcmp(have, sc->rep->ddl_prefix) == 0) {
		free(have);
		return 0;
	}
	free(have);
	b = jbatch_new();
	jbatch_put_meta(b, "ddl_prefix", sc->rep->ddl_prefix);
	ret = journal_commit(j, b, sc->err);
	jbatch_free(b);
	return ret;
}

/*
 * The source's WAL segment size, for what reads segment names pgtt did
 * not write itself (pgBackRest's info).
 */
static int
remember_seg_size(struct setup_ctx *sc, struct journal *j)
{
	struct jbatch	*b;
	PGresult	*res;
	int		 ret;

	if ((res = pg_exec(sc->conn, sc->err, "SELECT pg_catalog.pg_size_bytes("
	    "pg_catalog.current_setting('wal_segment_size'))", 0, NULL)) ==
	    NULL)
		return sc->err->code;
	b = jbatch_new();
	jbatch_put_meta(b, "wal_segment_size", PQgetvalue(res, 0, 0));
	PQclear(res);
	ret = journal_commit(j, b, sc->err);
	jbatch_free(b);
	return ret;
}

/* Record the new history's identity and its `creation` checkpoint. */
static int
record_creation(struct setup_ctx *sc, struct journal *j)
{
	struct setup_report	*rep = sc->rep;
	struct jbatch		*b;
	struct pgtt_checkpoint	 cp;
	char			 version[16];
	int			 ret;

	b = jbatch_new();
	snprintf(version, sizeof version, "%d", rep->server_version);
	jbatch_put_meta(b, "system_identifier", rep->system_id);
	jbatch_put_meta(b, "database", rep->database);
	jbatch_put_meta(b, "slot", rep->slot);
	jbatch_put_meta(b, "publication", rep->publication);
	if (rep->ddl_prefix != NULL)
		jbatch_put_meta(b, "ddl_prefix", rep->ddl_prefix);
	jbatch_put_meta(b, "server_version", version);
	jbatch_put_meta(b, "baseline", rep->baseline);
	jbatch_put_meta(b, "baseline_list", rep->baseline_list);
	jbatch_put_meta_lsn(b, "creation_lsn", rep->creation_lsn);
	jbatch_put_meta_lsn(b, "confirmed_lsn", rep->creation_lsn);

	memset(&cp, 0, sizeof cp);
	cp.name = "creation";
	cp.description = "the slot's consistent point: the state the "
	    "baseline dump shows";
	cp.lsn = rep->creation_lsn;
	cp.created_at = pgtime_now();
	cp.fixed = 1;
	jbatch_put_checkpoint(b, &cp);
	if (sc->creation_sample != NULL) {
		sc->creation_sample->lsn = rep->creation_lsn;
		jbatch_put_seqsample(b, sc->creation_sample);
	}

	ret = journal_commit(j, b, sc->err);
	jbatch_free(b);
	return ret;
}

/* The logical slot as the server has it. */
struct slot_seen {
	int		 exists;
	int		 lost;		/* invalidated: wal_status lost */
	int		 active_pid;	/* 0: nobody streams from it */
	pgtt_lsn	 confirmed;
};

/* Fails only on a query error or a slot that is not ours to use. */
static int
slot_look(struct setup_ctx *sc, struct slot_seen *seen)
{
	const struct config	*cfg = sc->cfg;
	PGresult		*res;
	const char		*param = cfg->source.slot;
	int			 ret = 0;

	memset(seen, 0, sizeof *seen);
	res = pg_exec(sc->conn, sc->err,
	    "SELECT plugin, database, to_jsonb(s)->>'wal_status',"
	    " confirmed_flush_lsn, coalesce(active_pid, 0)"
	    " FROM pg_replication_slots s WHERE slot_name = $1", 1, &param);
	if (res == NULL)
		return sc->err->code;
	if (PQntuples(res) == 1) {
		seen->exists = 1;
		seen->lost = pg_value(res, 0, 2) != NULL &&
		    strcmp(PQgetvalue(res, 0, 2), "lost") == 0;
		seen->confirmed = pg_value(res, 0, 3) != NULL ?
		    pg_lsn(res, 0, 3) : LSN_INVALID;
		seen->active_pid = atoi(PQgetvalue(res, 0, 4));
		if (pg_value(res, 0, 0) == NULL ||
		    strcmp(PQgetvalue(res, 0, 0), "pgoutput") != 0 ||
		    strcmp(PQgetvalue(res, 0, 1), sc->rep->database) != 0) {
			ret = err_set(sc->err, PGTT_EDB, "replication slot "
			    "\"%s\" exists but is not a pgoutput slot of "
			    "database \"%s\"", param, sc->rep->database);
			err_hint(sc->err, "set source.slot to another name");
		}
	}
	PQclear(res);
	return ret;
}

/*
 * What the journal holds: every commit before the newest confirmed
 * position, and the newest journaled commit.
 */
static int
journal_covered(struct journal *j, pgtt_lsn *out, struct pgtt_err *err)
{
	struct journal_stats	st;
	pgtt_lsn		confirmed;

	if (journal_meta_get_lsn(j, "confirmed_lsn", &confirmed, err) != 0)
		return err->code;
	if (journal_stats(j, &st, err) != 0)
		return err->code;
	*out = confirmed;
	if (st.last_lsn != LSN_INVALID && st.last_lsn + 1 > *out)
		*out = st.last_lsn + 1;
	return 0;
}

/*
 * --new-baseline: the slot, if any, must be the cause of the break (lost,
 * or standing past what the journal holds) and nobody's to stream from;
 * then it goes, so a new one can be made.  A slot that continues the
 * journal means nothing was lost: there is no break to mend.
 */
static int
clear_broken_slot(struct setup_ctx *sc, const struct slot_seen *seen,
    pgtt_lsn covered)
{
	const char	*slot = sc->cfg->source.slot;
	char		 a[LSN_BUFSIZE], b[LSN_BUFSIZE], note[160];
	PGresult	*res;

	if (!seen->exists)
		return 0;
	if (seen->active_pid != 0) {
		err_set(sc->err, PGTT_EDB, "replication slot \"%s\" is in "
		    "use by process %d", slot, seen->active_pid);
		err_hint(sc->err, "stop the program that streams from it "
		    "before setup drops it for a new baseline");
		return sc->err->code;
	}
	if (!seen->lost && seen->confirmed != LSN_INVALID &&
	    seen->confirmed <= covered) {
		err_set(sc->err, PGTT_EUSAGE, "replication slot \"%s\" "
		    "continues the journal (it stands at %s, the journal "
		    "covers up to %s): nothing was lost, so there is no break "
		    "to start a new baseline after", slot,
		    lsn_format(seen->confirmed, a), lsn_format(covered, b));
		err_hint(sc->err, "run setup without --new-baseline, and "
		    "listen to go on");
		return sc->err->code;
	}
	if (seen->lost)
		snprintf(note, sizeof note, "dropped: the server invalidated "
		    "it");
	else
		snprintf(note, sizeof note, "dropped: it stood at %s, past "
		    "the journal's %s", lsn_format(seen->confirmed, a),
		    lsn_format(covered, b));
	if (!sc->dry_run) {
		res = pg_exec(sc->conn, sc->err,
		    "SELECT pg_drop_replication_slot($1)", 1, &slot);
		if (res == NULL)
			return sc->err->code;
		PQclear(res);
	}
	setup_step(sc, SETUP_CHANGED, note, "replication slot \"%s\"", slot);
	return 0;
}

/*
 * The history goes on after a break: the new era's baseline, its break
 * record in the stream, a fixed checkpoint at its start, and the journal
 * confirmed there, where the new slot starts.
 */
static int
record_break(struct setup_ctx *sc, struct journal *j,
    const struct eras *es, pgtt_lsn gap_from)
{
	struct setup_report	*rep = sc->rep;
	struct era		 e;
	struct jbatch		*b;
	struct pgtt_checkpoint	 cp;
	char			*name, *desc, a[LSN_BUFSIZE],
				 c[LSN_BUFSIZE];
	pgtt_lsn		 taken;
	int			 ret;

	e.start = rep->creation_lsn;
	e.gap_from = gap_from;
	e.dump = rep->baseline;
	e.list = rep->baseline_list;
	b = jbatch_new();
	eras_put_break(es, &e, sc->slot_made_at, b);
	jbatch_put_meta_lsn(b, "confirmed_lsn", e.start);
	if (sc->creation_sample != NULL) {
		sc->creation_sample->lsn = e.start;
		jbatch_put_seqsample(b, sc->creation_sample);
	}
	xasprintf(&name, "baseline-%zu", es->n + 1);
	xasprintf(&desc, "a new baseline after a break: what the source "
	    "committed between %s and %s was not captured",
	    lsn_format(gap_from, a), lsn_format(e.start, c));
	if (point_resolve(j, NULL, name, &taken, sc->err) == 0) {
		setup_step(sc, SETUP_SKIPPED, "a checkpoint has that name "
		    "already", "checkpoint \"%s\"", name);
	} else {
		err_clear(sc->err);
		memset(&cp, 0, sizeof cp);
		cp.name = name;
		cp.description = desc;
		cp.lsn = e.start;
		cp.created_at = pgtime_now();
		cp.fixed = 1;
		jbatch_put_checkpoint(b, &cp);
		setup_step(sc, SETUP_CREATED, lsn_format(e.start, a),
		    "checkpoint \"%s\"", name);
	}
	ret = journal_commit(j, b, sc->err);
	jbatch_free(b);
	if (ret == 0)
		setup_step(sc, SETUP_CREATED, desc, "history break at %s",
		    lsn_format(e.start, a));
	free(name);
	free(desc);
	return ret;
}

/* A journal may only continue the history of the server it came from. */
static int
check_journal_identity(struct setup_ctx *sc, struct journal *j)
{
	struct setup_report	*rep = sc->rep;
	const char		*keys[] = { "system_identifier", "database" };
	const char		*want[] = { rep->system_id, rep->database };
	char			*have;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		have = NULL;
		if (journal_meta_get(j, keys[i], &have, sc->err) != 0)
			continue;
		if (strcmp(have, want[i]) != 0) {
			err_set(sc->err, PGTT_EDB, "journal \"%s\" records "
			    "%s \"%s\", but the source has \"%s\"",
			    rep->journal, keys[i], have, want[i]);
			err_hint(sc->err, "point storage.path at another "
			    "directory for this source");
			free(have);
			return sc->err->code;
		}
		free(have);
	}
	err_clear(sc->err);
	return 0;
}

/*
 * The physical slot pg_receivewal streams from.  Created reserving WAL
 * at once, before the first base backup, so the archive can hold every
 * segment from that backup on even if the archiver starts later.
 */
static int
ensure_wal_slot(struct setup_ctx *sc)
{
	PGresult	*res;
	char		*name = source_wal_slot(sc->cfg);
	const char	*param = name;
	int		 ret = 0;

	/* NAMEDATALEN - 1 */
	if (strlen(name) > 63) {
		ret = err_set(sc->err, PGTT_ECONFIG, "source.slot \"%s\" is "
		    "too long to add \"_wal\" for the WAL archive's slot",
		    sc->cfg->source.slot);
		err_hint(sc->err, "use a name of at most 59 characters");
		err_where(sc->err, "source.slot");
		goto out;
	}
	res = pg_exec(sc->conn, sc->err, "SELECT slot_type FROM "
	    "pg_replication_slots WHERE slot_name = $1", 1, &param);
	if (res == NULL) {
		ret = sc->err->code;
		goto out;
	}
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0),
	    "physical") != 0) {
		ret = err_set(sc->err, PGTT_EDB, "replication slot \"%s\" "
		    "exists but is not a physical slot", name);
		err_hint(sc->err, "the WAL archive needs it: drop it, or set "
		    "source.slot to another name");
	} else if (PQntuples(res) == 1)
		setup_step(sc, SETUP_EXISTS, NULL, "replication slot \"%s\" "
		    "(physical, for the WAL archive)", name);
	else {
		PGresult	*cr = NULL;

		if (!sc->dry_run && (cr = pg_exec(sc->conn, sc->err,
		    "SELECT pg_create_physical_replication_slot($1, true)", 1,
		    &param)) == NULL)
			ret = sc->err->code;
		PQclear(cr);
		if (ret == 0)
			setup_step(sc, SETUP_CREATED, "holds WAL on the source "
			    "until pg_receivewal has archived it",
			    "replication slot \"%s\" (physical, for the WAL "
			    "archive)", name);
	}
	PQclear(res);
out:
	free(name);
	return ret;
}

/*
 * Under pgBackRest, its stanza must be there and archiving, and the base
 * backups are its own: setup checks and takes none.
 */
static int
check_pgbackrest(struct setup_ctx *sc)
{
	const char	*stanza = sc->cfg->pitr.pgbackrest.stanza;
	int		 ret;

	if (sc->dry_run) {
		setup_step(sc, SETUP_PLANNED, "pgbackrest check", "pgBackRest "
		    "stanza \"%s\"", stanza);
		return 0;
	}
	if ((ret = pgbr_check(sc->cfg, sc->err)) != 0) {
		err_hint(sc->err, "make the stanza with pgbackrest "
		    "stanza-create, and set archive_command to pgbackrest "
		    "archive-push on the source; then run setup again");
		return ret;
	}
	setup_step(sc, SETUP_EXISTS, "checked: the stanza exists and WAL "
	    "reaches its repository; base backups are pgBackRest's (pgtt "
	    "--headless backup runs pgbackrest backup)", "pgBackRest stanza "
	    "\"%s\"", stanza);
	return 0;
}

/* The first base backup, unless one is recorded or none is wanted. */
static int
ensure_backup(struct setup_ctx *sc, struct journal *j, int no_backup)
{
	struct verb_ctx		 vc = { .cfg = sc->cfg, .j = j };
	struct backup_info	*bs = NULL, b;
	size_t			 n = 0;
	char			 lsnbuf[LSN_BUFSIZE], note[256];
	int			 ret;

	if (j != NULL && (ret = backup_list(sc->cfg, j, &bs, &n, sc->err)) != 0)
		return ret;
	if (n > 0) {
		snprintf(note, sizeof note, "restores from %s on",
		    lsn_format(bs[0].end_lsn, lsnbuf));
		setup_step(sc, SETUP_EXISTS, note, "base backup \"%s\" (%zu "
		    "in all)", bs[0].name, n);
		free(bs);
		return 0;
	}
	free(bs);
	if (no_backup) {
		setup_step(sc, SETUP_SKIPPED, "--no-backup: take one with "
		    "\"pgtt --headless backup\" before a restore",
		    "base backup");
		return 0;
	}
	if (sc->dry_run) {
		setup_step(sc, SETUP_PLANNED, "pg_basebackup into "
		    "pitr.backup_dir", "base backup");
		return 0;
	}
	if ((ret = backup_take(&vc, &(struct backup_opts){ NULL }, &b, sc->err)) != 0)
		return ret;
	snprintf(note, sizeof note, "restores from %s on",
	    lsn_format(b.end_lsn, lsnbuf));
	setup_step(sc, SETUP_CREATED, note, "base backup \"%s\"", b.name);
	return 0;
}

int
setup_run(const struct verb_ctx *vc, const struct setup_opts *o,
    struct setup_report *rep, struct pgtt_err *err)
{
	const struct config	*cfg = vc->cfg;
	int			 dry_run = o->dry_run;
	int			 new_baseline = o->new_baseline;
	struct setup_ctx	 sc;
	struct slot_seen	 seen;
	struct eras		 es = { NULL, 0 };
	pgtt_lsn		 covered = LSN_INVALID;
	struct journal		*j = NULL;
	pgtt_lsn		 creation = LSN_INVALID;
	char			 lsnbuf[LSN_BUFSIZE], lsnbuf2[LSN_BUFSIZE];
	int			 slot, ret;

	memset(rep, 0, sizeof *rep);
	memset(&sc, 0, sizeof sc);
	sc.cfg = cfg;
	sc.dry_run = dry_run;
	sc.rep = rep;
	sc.err = err;
	sc.all_tables = cfg->source.ntables == 0;
	rep->slot = xstrdup(cfg->source.slot);
	rep->publication = xstrdup(cfg->source.publication);
	rep->journal = xstrdup(cfg->storage.path);
	xasprintf(&rep->baseline, "%s/baseline.dump", cfg->storage.path);
	xasprintf(&rep->baseline_list, "%s/baseline.list", cfg->storage.path);

	if ((sc.conn = pg_connect(cfg->source.dsn, "source", 0, err)) == NULL)
		return err->code;
	/* Setup's own DDL is not history; its NOTICEs are noise. */
	PQclear(PQexec(sc.conn, "SET client_min_messages = warning"));
	PQclear(PQexec(sc.conn, "SET pgtt.capture = off"));
	if ((ret = check_server(&sc)) != 0)
		goto out;

	if (journal_exists(cfg->storage.path)) {
		if ((ret = journal_open(&j, cfg->storage.path,
		    cfg->storage.map_size, 0, err)) != 0 ||
		    (ret = check_journal_identity(&sc, j)) != 0)
			goto out;
		if (journal_meta_get_lsn(j, "creation_lsn", &creation, err) != 0)
			creation = LSN_INVALID;
		err_clear(err);
	}

	if ((ret = slot_look(&sc, &seen)) != 0)
		goto out;
	slot = seen.exists;
	if (new_baseline) {
		if (creation == LSN_INVALID) {
			ret = err_set(err, PGTT_EUSAGE, "--new-baseline goes on "
			    "after a break in a history, but journal \"%s\" "
			    "holds none", cfg->storage.path);
			err_hint(err, "run setup without it to start one");
			goto out;
		}
		if ((ret = journal_covered(j, &covered, err)) != 0 ||
		    (ret = eras_read(j, &es, err)) != 0 ||
		    (ret = clear_broken_slot(&sc, &seen, covered)) != 0)
			goto out;
		slot = 0;
		free(rep->baseline);
		free(rep->baseline_list);
		xasprintf(&rep->baseline, "%s/baseline-%zu.dump",
		    cfg->storage.path, es.n + 1);
		xasprintf(&rep->baseline_list, "%s/baseline-%zu.list",
		    cfg->storage.path, es.n + 1);
	} else if (slot && seen.lost) {
		ret = err_set(err, PGTT_EDB, "replication slot \"%s\" was "
		    "invalidated by the server (wal_status lost): the WAL it "
		    "needed is gone", cfg->source.slot);
		err_hint(err, "%s", creation != LSN_INVALID ? NEW_BASELINE_HINT :
		    "drop it and run setup again");
		goto out;
	}
	if (slot && creation == LSN_INVALID) {
		ret = err_set(err, PGTT_EDB, "replication slot \"%s\" exists "
		    "but journal \"%s\" has no history for it", cfg->source.slot,
		    cfg->storage.path);
		err_detail(err, "a consistent baseline can only be taken when "
		    "the slot is created");
		err_hint(err, "if no other pgtt uses the slot, drop it (SELECT "
		    "pg_drop_replication_slot('%s')) and run setup again; or "
		    "set source.slot to a new name", cfg->source.slot);
		goto out;
	}
	if (slot && creation != LSN_INVALID && !new_baseline &&
	    seen.active_pid == 0 && seen.confirmed != LSN_INVALID) {
		if ((ret = journal_covered(j, &covered, err)) != 0)
			goto out;
		if (seen.confirmed > covered) {
			ret = err_set(err, PGTT_EDB, "replication slot \"%s\" "
			    "stands at %s, past the %s journal \"%s\" covers: "
			    "it was dropped and made again, or another program "
			    "consumed it", cfg->source.slot,
			    lsn_format(seen.confirmed, lsnbuf),
			    lsn_format(covered, lsnbuf2), cfg->storage.path);
			err_detail(err, "what the source committed between the "
			    "two is not in the history");
			err_hint(err, "%s", NEW_BASELINE_HINT);
			goto out;
		}
	}
	if (!slot && creation != LSN_INVALID && !new_baseline) {
		ret = err_set(err, PGTT_EDB, "replication slot \"%s\" is gone, "
		    "but journal \"%s\" continues its history",
		    cfg->source.slot, cfg->storage.path);
		err_detail(err, "changes made since the slot was dropped were "
		    "not captured");
		err_hint(err, "%s", NEW_BASELINE_HINT);
		goto out;
	}

	/* Before anything is made: a stanza that does not work stops it. */
	if (cfg->pitr.enabled && cfg->pitr.engine == PITR_ENGINE_PGBACKREST &&
	    (ret = check_pgbackrest(&sc)) != 0)
		goto out;
	if ((ret = setup_ensure_publication(&sc)) != 0 ||
	    (ret = source_ddl_capture(&sc)) != 0)
		goto out;

	if (slot) {
		/* Replay resets from the newest era's baseline. */
		if ((ret = eras_read(j, &es, err)) != 0)
			goto out;
		free(rep->baseline);
		free(rep->baseline_list);
		rep->baseline = xstrdup(es.v[es.n - 1].dump);
		rep->baseline_list = xstrdup(es.v[es.n - 1].list);
		rep->baseline_lsn = es.v[es.n - 1].start;
		if (access(rep->baseline, R_OK) != 0) {
			ret = err_set(err, PGTT_EIO, "baseline dump \"%s\" is "
			    "missing: %s", rep->baseline, strerror(errno));
			err_hint(err, "the journal cannot be replayed without "
			    "it; restore the file, or start a new history");
			goto out;
		}
		if (access(rep->baseline_list, R_OK) != 0 && !dry_run) {
			if ((ret = baseline_write_list(cfg->pitr.bindir,
			    rep->server_version / 10000, rep->baseline,
			    rep->baseline_list, err)) != 0)
				goto out;
			setup_step(&sc, SETUP_CREATED, NULL, "restore list \"%s\"",
			    rep->baseline_list);
		}
		rep->creation_lsn = creation;
		if (!dry_run && (ret = remember_ddl_prefix(&sc, j)) != 0)
			goto out;
		setup_step(&sc, SETUP_EXISTS, lsn_format(creation, lsnbuf),
		    "replication slot \"%s\" and baseline dump \"%s\"",
		    cfg->source.slot, rep->baseline);
		setup_step(&sc, SETUP_EXISTS, lsn_format(creation, lsnbuf),
		    "checkpoint \"creation\"");
	} else if (dry_run && new_baseline) {
		setup_step(&sc, SETUP_PLANNED, "with an exported snapshot",
		    "replication slot \"%s\" and baseline dump \"%s\"",
		    cfg->source.slot, rep->baseline);
		setup_step(&sc, SETUP_PLANNED, "after what the journal covers, "
		    "up to the new slot's consistent point", "history break");
	} else if (new_baseline) {
		if ((ret = create_slot_and_baseline(&sc, rep->baseline)) != 0 ||
		    (ret = record_break(&sc, j, &es, covered)) != 0 ||
		    (ret = remember_ddl_prefix(&sc, j)) != 0)
			goto out;
		rep->baseline_lsn = rep->creation_lsn;
		rep->creation_lsn = creation;
	} else if (dry_run) {
		setup_step(&sc, SETUP_PLANNED, "with an exported snapshot",
		    "replication slot \"%s\" and baseline dump \"%s\"",
		    cfg->source.slot, rep->baseline);
		setup_step(&sc, SETUP_PLANNED, "at the slot's consistent point",
		    "checkpoint \"creation\"");
	} else {
		if (j == NULL && (ret = journal_open(&j, cfg->storage.path,
		    cfg->storage.map_size, JOURNAL_CREATE, err)) != 0)
			goto out;
		if ((ret = create_slot_and_baseline(&sc, rep->baseline)) != 0 ||
		    (ret = record_creation(&sc, j)) != 0)
			goto out;
		rep->baseline_lsn = rep->creation_lsn;
		setup_step(&sc, SETUP_CREATED, lsn_format(rep->creation_lsn, lsnbuf),
		    "checkpoint \"creation\"");
	}

	if (!dry_run && j != NULL && (ret = remember_seg_size(&sc, j)) != 0)
		goto out;
	if (cfg->pitr.enabled && ((ret = ensure_wal_slot(&sc)) != 0 ||
	    (cfg->pitr.engine == PITR_ENGINE_PGTT &&
	    (ret = ensure_backup(&sc, j, o->no_backup)) != 0)))
		goto out;

out:
	if (j != NULL)
		journal_close(j);
	PQfinish(sc.conn);
	free(sc.creation_sample);
	eras_done(&es);
	return ret;
}
