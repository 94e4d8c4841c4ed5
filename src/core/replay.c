/*
 * replay.c: planning a replay and running it.
 *
 * Changes are read from the journal in chunks, with the read transaction
 * closed before anything is sent, so the listener can grow the map while
 * a replay talks to a slow replica.
 *
 * Source transactions are grouped into replica transactions of about
 * GROUP_CHANGES changes: committing each source transaction durably on
 * its own cannot keep up with a busy source.  A group ends early after a
 * transaction that carried DDL, so that what it created (a new enum
 * value, say) is committed before it is used.  When a group fails, it is
 * redone one source transaction at a time, which finds the failing one
 * and leaves the replica exactly before it (stop) or applies it without
 * the failing changes (skip).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "ddl.h"
#include "era.h"
#include "dsn.h"
#include "logfile.h"
#include "checkpoint.h"
#include "session.h"
#include "pg.h"
#include "pgtime.h"
#include "replay.h"
#include "replica.h"
#include "seqsample.h"
#include "walk.h"
#include "replay-int.h"
#include "xmalloc.h"


/* --- the plan --- */

struct window_scan {
	uint64_t	 changes, transactions;
	int		 invertible;
	char		 why_not[200];	/* the first change that is not */
};

static int
scan_window(struct journal *j, pgtt_lsn from,
    pgtt_lsn to, struct window_scan *ws, struct pgtt_err *err)
{
	struct walk		*w;
	const struct walk_item	*item = NULL;
	struct pgtt_relation	*rel;
	struct pgtt_err		 rerr;
	pgtt_lsn		 last = LSN_INVALID;
	char			 l[LSN_BUFSIZE];
	int			 ret;

	memset(ws, 0, sizeof *ws);
	ws->invertible = 1;
	/* A plan reads every change: only what it counts, nothing more. */
	walk_open(j, from, 0, to, WALK_COUNT_ONLY, NULL, &w, err);
	while ((ret = walk_next(w, &item, err)) > 0) {
		const struct pgtt_change *ch = item->ch;

		if (ch->commit_lsn != last) {
			ws->transactions++;
			last = ch->commit_lsn;
		}
		if (ch->kind == CHANGE_MESSAGE)
			continue;
		ws->changes++;
		if (!ws->invertible)
			continue;
		if (ch->kind == CHANGE_DDL || ch->kind == CHANGE_TRUNCATE) {
			ws->invertible = 0;
			snprintf(ws->why_not, sizeof ws->why_not, "the window "
			    "holds a %s at %s", change_kind_name(ch->kind),
			    lsn_format(ch->commit_lsn, l));
		} else if (ch->kind != CHANGE_INSERT &&
		    ch->old_kind != OLD_FULL) {
			ws->invertible = 0;
			if (journal_relation_at(j, ch->relid, ch->commit_lsn,
			    ch->seq, &rel, &rerr) != 0)
				rel = NULL;
			snprintf(ws->why_not, sizeof ws->why_not, "the %s at %s "
			    "of %s.%s has no full old row (REPLICA IDENTITY "
			    "FULL gives one)", change_kind_name(ch->kind),
			    lsn_format(ch->commit_lsn, l), rel != NULL ?
			    rel->schema : "?", rel != NULL ? rel->name : "?");
			free(rel);
		}
	}
	walk_close(w);
	return ret;
}

const char *
replay_direction_name(enum replay_direction d)
{
	switch (d) {
	case REPLAY_FORWARD:
		return "forward";
	case REPLAY_BACKWARD:
		return "backward";
	case REPLAY_RESET:
		return "reset";
	default:
		return "none";
	}
}

const char *
replay_mode_name(enum replay_mode m)
{
	switch (m) {
	case REPLAY_MODE_TXN:
		return "txn";
	case REPLAY_MODE_NET:
		return "net";
	default:
		return "auto";
	}
}

/* Below this many changes, auto goes a transaction at a time. */
static uint64_t
net_min(void)
{
	const char	*v = getenv("PGTT_TEST_REPLAY_NET_MIN");

	/* Tests run every replay they can by net effect. */
	return v != NULL ? strtoull(v, NULL, 10) : REPLAY_NET_MIN;
}

/*
 * Net effect did not apply [from, to): ret 0 and why, it was not for it;
 * else the error its statements met, rolled back.  --mode net says so;
 * auto goes a transaction at a time and keeps the reason.
 */
static int
net_refused(struct replay_ctx *c, pgtt_lsn from, pgtt_lsn to, int ret,
    const char *why, struct pgtt_err *err)
{
	const struct replay_opts *o = c->o;
	struct replay_result	*r = c->r;

	if (ret == 0 && o->mode == REPLAY_MODE_NET) {
		err_set(err, PGTT_EUSAGE, "replay --mode net cannot apply this "
		    "window: %s", why);
		err_hint(err, "use --mode txn, or auto, which goes a "
		    "transaction at a time where it must");
		return err->code;
	}
	if (ret != 0 && (r->cancelled || o->mode == REPLAY_MODE_NET))
		return ret;
	free(r->mode_reason);
	if (ret == 0)
		r->mode_reason = xstrdup(why);
	else {
		xasprintf(&r->mode_reason, "by net effect it failed (%s%s%s)",
		    err->msg, err->detail[0] != '\0' ? ": " : "",
		    err->detail);
		log_msg(LOG_LEVEL_INFO, "replay: %s; going a transaction at "
		    "a time", r->mode_reason);
		err_clear(err);
	}
	return replay_run_window(c, from, to, 0, MODE_GROUPED, err);
}

/* [from, to), which holds no DDL; *net says whether net effect did it. */
static int
net_segment(struct replay_ctx *c, pgtt_lsn from, pgtt_lsn to, int *net,
    struct pgtt_err *err)
{
	pgtt_lsn	*ddl;
	size_t		 nddl;
	char		 why[512];
	int		 ret;

	ret = replay_run_net(c, from, to, why, sizeof why, &ddl, &nddl, err);
	free(ddl);
	if ((*net = ret == 0 && why[0] == '\0'))
		return 0;
	return net_refused(c, from, to, ret, why, err);
}

/*
 * Forward over [from, to): by net effect or a transaction at a time, as
 * o->mode says.  A window with DDL goes by net effect up to each DDL
 * transaction, which is applied alone, and on from there.  Auto goes a
 * transaction at a time for a window net effect cannot take, and for one
 * whose net statements failed: change by change, the replay then stops
 * at the change that fails, and says which.
 */
static int
run_forward(struct replay_ctx *c, pgtt_lsn from, pgtt_lsn to,
    struct pgtt_err *err)
{
	const struct replay_opts *o = c->o;
	struct replay_result	*r = c->r;
	pgtt_lsn		*ddl = NULL, pos = from;
	size_t			 nddl = 0, i;
	char			 why[512];
	int			 ret, net, any_net = 0;

	r->mode = REPLAY_MODE_TXN;
	if (o->mode == REPLAY_MODE_TXN)
		return replay_run_window(c, from, to, 0, MODE_GROUPED, err);
	if (o->mode == REPLAY_MODE_AUTO) {
		if (o->on_error == REPLAY_ON_ERROR_SKIP)
			r->mode_reason = xstrdup("--on-error skip goes change "
			    "by change");
		else if (c->total < net_min())
			xasprintf(&r->mode_reason, "%llu changes: fewer than "
			    "%llu", (unsigned long long)c->total,
			    (unsigned long long)net_min());
		if (r->mode_reason != NULL)
			return replay_run_window(c, from, to, 0, MODE_GROUPED,
			    err);
	}
	ret = replay_run_net(c, from, to, why, sizeof why, &ddl, &nddl, err);
	if (ret == 0 && why[0] == '\0') {
		free(ddl);
		r->mode = REPLAY_MODE_NET;
		return 0;
	}
	if (ret != 0 || nddl == 0) {
		/* Not for DDL: the whole window as one segment decides. */
		free(ddl);
		return net_refused(c, from, to, ret, why, err);
	}
	/* Up to each DDL transaction by net effect, then it alone. */
	for (i = 0, ret = 0; i <= nddl && ret == 0 && !r->cancelled; i++) {
		pgtt_lsn end = i < nddl ? ddl[i] : to;

		if (end > pos) {
			uint64_t before = r->changes;

			ret = net_segment(c, pos, end, &net, err);
			/* A segment of no row change proves nothing. */
			any_net |= net && r->changes > before;
		}
		if (ret != 0 || r->cancelled || i == nddl)
			break;
		ret = replay_run_window(c, ddl[i], ddl[i] + 1, 0, MODE_GROUPED,
		    err);
		pos = ddl[i] + 1;
	}
	free(ddl);
	if (any_net) {
		char	*ordered = r->mode_reason;

		/* The DDL first, then what the segments went change by change. */
		r->mode = REPLAY_MODE_NET;
		xasprintf(&r->mode_reason, "%zu DDL transaction%s went one at a "
		    "time%s%s", nddl, nddl == 1 ? "" : "s", ordered != NULL ?
		    "; " : "", ordered != NULL ? ordered : "");
		free(ordered);
	} else if (r->mode_reason == NULL)
		r->mode_reason = xstrdup(why);
	return ret;
}

void
replay_result_done(struct replay_result *r)
{
	size_t	i;

	free(r->first_error);
	free(r->mode_reason);
	free(r->target);
	free(r->reason);
	for (i = 0; i < r->ndropped; i++)
		free(r->dropped[i]);
	free(r->dropped);
	for (i = 0; i < r->npartial; i++)
		free(r->partial[i]);
	free(r->partial);
	free(r->sequences_error);
	memset(r, 0, sizeof *r);
}

/* What the journal says about its source, read once. */
struct source_facts {
	char		*system_id, *database, *version;
	struct eras	 eras;
	pgtt_lsn	 creation;	/* the first era's start */
	pgtt_lsn	 covered;	/* every commit before it is journaled */
};

static void
facts_done(struct source_facts *sf)
{
	free(sf->system_id);
	free(sf->database);
	free(sf->version);
	eras_done(&sf->eras);
}

static int
facts_read(struct journal *j, struct source_facts *sf, struct pgtt_err *err)
{
	struct journal_stats	st;
	pgtt_lsn		confirmed = LSN_INVALID;

	memset(sf, 0, sizeof *sf);
	if (journal_meta_get(j, "system_identifier", &sf->system_id, err) ||
	    journal_meta_get(j, "database", &sf->database, err) ||
	    journal_meta_get(j, "server_version", &sf->version, err)) {
		err_hint(err, "the journal was not made by a complete setup: "
		    "run pgtt --headless setup");
		facts_done(sf);
		return err->code;
	}
	if (eras_read(j, &sf->eras, err) != 0) {
		facts_done(sf);
		return err->code;
	}
	sf->creation = sf->eras.v[0].start;
	if (journal_meta_get_lsn(j, "confirmed_lsn", &confirmed, err) != 0)
		err_clear(err);
	if (journal_stats(j, &st, err) != 0)
		return err->code;
	sf->covered = confirmed;
	if (st.last_lsn != LSN_INVALID && st.last_lsn + 1 > sf->covered)
		sf->covered = st.last_lsn + 1;
	if (sf->creation > sf->covered)
		sf->covered = sf->creation;
	return 0;
}

/* The session replay acts for, or NULL when there is none. */
static int
pick_session(struct journal *j, const struct replay_opts *o,
    struct pgtt_session **out, struct pgtt_err *err)
{
	uint32_t	id;

	*out = NULL;
	if (o->session != NULL)
		return session_find(j, o->session, out, err);
	if ((id = journal_active_session(j)) == 0)
		return 0;
	if (session_by_id(j, id, out, err) != 0)
		err_clear(err);	/* deleted meanwhile: act for none */
	return 0;
}

/* --target, else the session's replica, else replica.dsn. */
static const char *
choose_target(const char *target_dsn, const struct pgtt_session *sess,
    const struct config *cfg, struct pgtt_err *err)
{
	const char	*dsn;

	dsn = target_dsn != NULL ? target_dsn : sess != NULL &&
	    sess->replica_dsn[0] != '\0' ? sess->replica_dsn :
	    cfg->replica.dsn;
	if (dsn == NULL || dsn[0] == '\0') {
		err_set(err, PGTT_ECONFIG, "no replica to replay onto");
		err_hint(err, "set replica.dsn in the config, give --target "
		    "DSN, or create a session with --replica DSN");
		return NULL;
	}
	return dsn;
}

char *
replay_target_dsn(struct journal *j, const struct config *cfg,
    const struct replay_opts *o, struct pgtt_err *err)
{
	struct pgtt_session	*sess;
	const char		*dsn;
	char			*copy = NULL;

	if (pick_session(j, o, &sess, err) != 0)
		return NULL;
	if ((dsn = choose_target(o->target_dsn, sess, cfg, err)) != NULL)
		copy = xstrdup(dsn);
	free(sess);
	return copy;
}

/* Decide the direction; fill r->from, r->direction, r->reason. */
static int
plan(struct replay_ctx *c, const struct source_facts *sf,
    const struct replica_state *st, struct window_scan *ws,
    struct pgtt_err *err)
{
	const struct replay_opts *o = c->o;
	struct replay_result	 *r = c->r;
	const struct era	 *era = era_at(&sf->eras, o->to);
	char			  a[LSN_BUFSIZE], b[LSN_BUFSIZE],
				  c2[LSN_BUFSIZE], d[LSN_BUFSIZE];
	int			  ret;

	r->from = st->present ? st->lsn : era->start;
	if (!st->present || o->reset) {
		r->direction = REPLAY_RESET;
		r->reason = xstrdup(o->reset ? "--reset was given" : "the "
		    "replica has no pgtt.replay_state: it was never reset to "
		    "the baseline");
	} else if (era_at(&sf->eras, st->lsn) != era) {
		/* No change crosses a break: only a baseline does. */
		const struct era *later = era->start > st->lsn ? era :
		    era_at(&sf->eras, st->lsn);

		r->direction = REPLAY_RESET;
		xasprintf(&r->reason, "the history breaks between the "
		    "replica's %s and the target (nothing between %s and %s "
		    "was captured): the replica starts again from the baseline "
		    "at %s", lsn_format(st->lsn, a), lsn_format(later->gap_from,
		    b), lsn_format(later->start, c2), lsn_format(era->start, d));
	} else if (st->lsn == o->to) {
		r->direction = REPLAY_NONE;
		xasprintf(&r->reason, "the replica stands at %s already",
		    lsn_format(o->to, a));
	} else if (st->lsn < o->to) {
		r->direction = REPLAY_FORWARD;
		xasprintf(&r->reason, "the replica stands at %s, before the "
		    "target", lsn_format(st->lsn, a));
	} else {
		if ((ret = scan_window(c->j, o->to, st->lsn, ws,
		    err)) != 0)
			return ret;
		if (ws->invertible) {
			r->direction = REPLAY_BACKWARD;
			xasprintf(&r->reason, "every change between %s and %s "
			    "has its whole old row", lsn_format(o->to, a),
			    lsn_format(st->lsn, b));
			return 0;
		}
		r->direction = REPLAY_RESET;
		xasprintf(&r->reason, "going back needs a reset: %s",
		    ws->why_not);
	}
	if (r->direction == REPLAY_NONE)
		memset(ws, 0, sizeof *ws);
	else if ((ret = scan_window(c->j, r->direction ==
	    REPLAY_RESET ? era->start : st->lsn, o->to, ws, err)) != 0)
		return ret;
	return 0;
}

static int
check_target(const struct config *cfg, const struct source_facts *sf,
    const char *sysid, const char *db, const struct replica_state *st,
    const struct replay_opts *o, struct pgtt_err *err)
{
	size_t	i;
	int	itself = strcmp(db, sf->database) == 0, recorded = itself;

	/* Another database pgtt records on that cluster is a source too. */
	for (i = 0; i < cfg->source.ndatabases && !recorded; i++)
		recorded = strcmp(db, cfg->source.databases[i]) == 0;
	if (strcmp(sysid, sf->system_id) == 0 && recorded) {
		err_set(err, PGTT_EUSAGE, "refusing to replay onto the source"
		    "%s: the target is database \"%s\" of the server with "
		    "system identifier %s, which pgtt records%s",
		    itself ? " itself" : "", db, sysid, itself ? "" :
		    " (source.databases)");
		err_hint(err, "replay rewrites its target; point replica.dsn, "
		    "--target or the session's replica at another database");
		return PGTT_EUSAGE;
	}
	if (st->present && !o->reset && (strcmp(st->system_id,
	    sf->system_id) != 0 || strcmp(st->database, sf->database) != 0)) {
		err_set(err, PGTT_EUSAGE, "the replica follows another source "
		    "(database \"%s\" of system %s), not this journal's "
		    "(\"%s\" of %s)", st->database, st->system_id,
		    sf->database, sf->system_id);
		err_hint(err, "give --reset to rewrite it from this source's "
		    "baseline");
		return PGTT_EUSAGE;
	}
	return 0;
}

/* Settings PostgreSQL's own apply workers run with, where allowed. */
static void
replica_session_settings(PGconn *conn, struct replay_result *r)
{
	struct pgtt_err	 ignored;
	PGresult	*res;

	/*
	 * The position row commits with the changes it accounts for, so a
	 * commit lost in a replica crash is lost together with its
	 * position: replay stays exact without waiting for each flush.
	 */
	PQclear(pg_exec(conn, &ignored, "SET synchronous_commit = off", 0,
	    NULL));
	res = pg_exec(conn, &ignored, "SET session_replication_role = "
	    "replica", 0, NULL);
	r->replica_role = res != NULL;
	PQclear(res);
	if (!r->replica_role)
		log_msg(LOG_LEVEL_INFO, "replay: the replica role may not set "
		    "session_replication_role; triggers and foreign keys "
		    "are checked as the rows arrive");
}

/*
 * The newest sample at or before the replica's position.  None (a journal
 * from before samples, a point before the first) is no failure: the floor
 * still keeps serial and identity sequences safe.
 */
static int
set_sequences(struct journal *j, PGconn *conn, pgtt_lsn at,
    struct replay_result *r, struct pgtt_err *err)
{
	struct pgtt_seqsample	*smp;
	int			 ret;

	if (at == LSN_INVALID)
		return 0;
	if (journal_seqsample_at(j, at, &smp, err) != 0) {
		if (err->code != PGTT_ENOTFOUND)
			return err->code;
		err_clear(err);
		return 0;
	}
	r->sequences_sampled_at = smp->lsn;
	ret = seqsample_apply(conn, smp, &r->sequences_set,
	    &r->sequences_error, err);
	if (r->sequences_error != NULL)
		log_msg(LOG_LEVEL_WARNING, "replay: a sequence kept its value: "
		    "%s", r->sequences_error);
	free(smp);
	return ret;
}

int
replay_run(const struct verb_ctx *vc, const struct replay_opts *o,
    struct replay_result *r, struct pgtt_err *err)
{
	struct journal		*j = vc->j;
	const struct config	*cfg = vc->cfg;
	struct replay_ctx	 c;
	struct source_facts	 sf;
	struct replica_state	 st;
	struct window_scan	 ws;
	struct pgtt_session	*sess = NULL;
	PGconn			*conn = NULL;
	PGcancel		*canceller = NULL;
	const char		*dsn;
	char			*sysid = NULL, *db = NULL, a[LSN_BUFSIZE],
				 b[LSN_BUFSIZE];
	int64_t			 started = pgtime_elapsed_ms();
	size_t			 i;
	int			 ret;

	memset(r, 0, sizeof *r);
	memset(&c, 0, sizeof c);
	c.vc = vc;
	c.j = j;
	c.o = o;
	c.r = r;
	r->to = o->to;
	if ((ret = facts_read(j, &sf, err)) != 0)
		return ret;
	if ((ret = pick_session(j, o, &sess, err)) != 0)
		goto out;
	if ((dsn = choose_target(o->target_dsn, sess, cfg, err)) == NULL) {
		ret = err->code;
		goto out;
	}
	r->target = dsn_mask(dsn);
	if (o->to < sf.creation) {
		ret = err_set(err, PGTT_EUSAGE, "%s is before creation (%s): "
		    "the history starts there", lsn_format(o->to, a),
		    lsn_format(sf.creation, b));
		goto out;
	}
	if ((ret = eras_check_point(&sf.eras, o->to, NULL, err)) != 0)
		goto out;
	if (o->to > sf.covered) {
		ret = err_set(err, PGTT_ENOTFOUND, "the journal reaches only "
		    "%s, not %s", lsn_format(sf.covered, a),
		    lsn_format(o->to, b));
		err_hint(err, "let the listener catch up: pgtt --headless "
		    "listen --until now");
		goto out;
	}

	if ((conn = pg_connect(dsn, "replica", 0, err)) == NULL) {
		ret = err->code;
		goto out;
	}
	if (vc->cancel_ready != NULL &&
	    (canceller = PQgetCancel(conn)) != NULL)
		vc->cancel_ready(vc->arg, canceller);
	if ((ret = replay_set_lock_timeout(conn, cfg->replica.lock_timeout,
	    err)) != 0)
		goto out;
	if ((ret = replica_identify(conn, &sysid, &db, err)) != 0 ||
	    (ret = replica_state_read(conn, &st, err)) != 0 ||
	    (ret = check_target(cfg, &sf, sysid, db, &st, o, err)) != 0 ||
	    (ret = plan(&c, &sf, &st, &ws, err)) != 0)
		goto out;
	c.total = ws.changes;
	r->changes = ws.changes;
	r->transactions = ws.transactions;
	if (o->dry_run)
		goto out;
	r->changes = r->transactions = 0;
	r->started = 1;

	replica_session_settings(conn, r);
	if (r->direction == REPLAY_RESET) {
		const struct era	*era = era_at(&sf.eras, o->to);
		struct replica_baseline	 base = { cfg->pitr.bindir,
		    atoi(sf.version) / 10000, era->dump, era->list,
		    sf.system_id, sf.database, era->start };

		replay_progress_to(&c, REPLAY_PHASE_RESETTING, 0);
		if ((ret = replica_reset(conn, dsn, &base, &r->dropped,
		    &r->ndropped, &st.privileges, err)) != 0) {
			/*
			 * The drops commit before the restore runs: a replica
			 * left without pgtt.replay_state is one the next
			 * replay resets again, and says why.
			 */
			xasprintf(&r->first_error, "the reset failed: %s%s%s",
			    err->msg, err->detail[0] != '\0' ? ": " : "",
			    err->detail);
			if (err->hint[0] == '\0')
				err_hint(err, "the replica database was emptied "
				    "and holds no pgtt.replay_state, so the next "
				    "replay resets it again");
			r->failures++;
			goto out;
		}
		/* pg_restore ran in its own session: ours is unchanged. */
		st.lsn = era->start;
		c.position = st.lsn;
	}
	if ((ret = replica_install_run_as(conn, err)) != 0 ||
	    (ret = applier_new(&c.ap, conn, err)) != 0 ||
	    (ret = apply_load_catalog(c.ap, err)) != 0)
		goto out;
	/* Grants follow the source only where the baseline's were restored. */
	c.ddl.run_privileges = st.privileges;
	r->privileges = st.privileges;
	c.position = st.lsn;
	replay_progress_to(&c, REPLAY_PHASE_APPLYING, 0);
	if (r->direction == REPLAY_BACKWARD)
		ret = replay_run_window(&c, o->to, st.lsn, 1, MODE_GROUPED,
		    err);
	else if (r->direction != REPLAY_NONE)
		ret = run_forward(&c, st.lsn, o->to, err);
	/* What follows must not be cut short by a second signal. */
	replay_release_canceller(vc, &canceller);
	/*
	 * The row functions go (they are made again as needed), and wherever
	 * the replica now stands, its sequences take the source's values
	 * sampled at or before there, and serial and identity ones must not
	 * hand out a value a replayed row holds.
	 */
	if (r->direction != REPLAY_NONE && PQstatus(conn) == CONNECTION_OK) {
		struct pgtt_err	 serr;

		applier_free(c.ap);
		c.ap = NULL;
		err_clear(&serr);
		/* The floor runs whatever came before it. */
		if ((replica_drop_row_functions(conn, &serr) != 0 ||
		    set_sequences(j, conn, c.position, r, &serr) != 0) &&
		    ret == 0) {
			*err = serr;
			ret = serr.code;
		}
		err_clear(&serr);
		if (replica_sequence_floor(conn, &r->sequences_raised,
		    &serr) != 0 && ret == 0) {
			*err = serr;
			ret = serr.code;
		}
	}
	if (sess != NULL && c.position != LSN_INVALID) {
		struct pgtt_err	 serr;

		if (session_set_replayed(j, sess, c.position, &serr) != 0)
			log_msg(LOG_LEVEL_WARNING, "could not remember the "
			    "replica's position in session \"%s\": %s",
			    sess->name, serr.msg);
	}
	/* Where the replica stands now, when that is short of the target. */
	if ((ret != 0 || r->cancelled) && c.position != LSN_INVALID)
		r->to = c.position;
out:
	/*
	 * A stop cancels whatever statement runs, also one that reads the
	 * replica before the first change: stopped, not failed.  The replica
	 * stands where it stood then, known or not (LSN_INVALID).
	 */
	if (ret != 0 && !r->cancelled && r->failures == 0 &&
	    verb_stop_requested(vc)) {
		r->cancelled = 1;
		r->to = c.position;
	}
	replay_release_canceller(vc, &canceller);
	applier_free(c.ap);
	for (i = 0; i < c.nnet_rels; i++)
		free(c.net_rels[i]);
	free(c.net_rels);
	ddl_matcher_done(&c.ddl);
	free(c.partial_relids);
	if (conn != NULL)
		PQfinish(conn);
	relcache_free(&c.rels);
	free(sysid);
	free(db);
	free(sess);
	facts_done(&sf);
	r->elapsed_ms = pgtime_elapsed_ms() - started;
	return ret;
}
