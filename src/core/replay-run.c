/*
 * replay-run.c: running a replay's window (replay.c plans it): the
 * changes read in chunks and sent in replica transactions of about
 * GROUP_CHANGES, a group that fails redone one source transaction at a
 * time, the position kept in pgtt.replay_state, progress said as it goes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logfile.h"
#include "pg.h"
#include "replay-int.h"
#include "xmalloc.h"

const char *
replay_phase_name(enum replay_phase phase)
{
	switch (phase) {
	case REPLAY_PHASE_STARTING:
		return "starting";
	case REPLAY_PHASE_RESETTING:
		return "resetting";
	case REPLAY_PHASE_APPLYING:
		return "applying";
	}
	return "?";
}

void
replay_progress_to(struct replay_ctx *c, enum replay_phase phase,
    uint64_t done)
{
	verb_progress_to(c->vc, VERB_REPLAY, phase, done, c->total);
}

/*
 * Keep the list of tables captured in part that the replay touched: their
 * updates and deletes are not in the journal, so the replica can differ
 * there.  What counts is each table's latest version in the window, so a
 * table loaded before it got its key is not listed.
 */
static void
note_partial(struct replay_ctx *c, const struct pgtt_relation *rel)
{
	struct replay_result	*r = c->r;
	const char		*why;
	size_t			 i;

	if (rel == NULL || rel == c->last_noted)
		return;
	c->last_noted = rel;
	why = relation_identity_gap(rel);
	for (i = 0; i < r->npartial; i++)
		if (c->partial_relids[i] == rel->relid)
			break;
	if (i < r->npartial) {
		free(r->partial[i]);
		if (why == NULL) {
			r->npartial--;
			memmove(&r->partial[i], &r->partial[i + 1],
			    (r->npartial - i) * sizeof *r->partial);
			memmove(&c->partial_relids[i], &c->partial_relids[i + 1],
			    (r->npartial - i) * sizeof *c->partial_relids);
			return;
		}
	} else if (why == NULL)
		return;
	else {
		r->partial = xreallocarray(r->partial, r->npartial + 1,
		    sizeof *r->partial);
		c->partial_relids = xreallocarray(c->partial_relids,
		    r->npartial + 1, sizeof *c->partial_relids);
		c->partial_relids[r->npartial++] = rel->relid;
	}
	xasprintf(&r->partial[i], "%s.%s: %s", rel->schema, rel->name, why);
}

static int
missing_relation(const struct pgtt_change *ch, uint32_t relid,
    struct pgtt_err *err)
{
	char	lsn[LSN_BUFSIZE];

	return err_set(err, PGTT_ECORRUPT, "the journal has no relation %u "
	    "for the change at %s", (unsigned)relid,
	    lsn_format(ch->commit_lsn, lsn));
}

int
replay_apply_item(struct replay_ctx *c, const struct walk_item *item,
    int inverse, struct pgtt_err *err)
{
	struct ddl_message	 m;
	struct ddl_step		 step;
	const struct pgtt_change *ch = item->ch;
	uint32_t		 i;
	int			 ret;

	switch (ch->kind) {
	case CHANGE_INSERT:
	case CHANGE_UPDATE:
	case CHANGE_DELETE:
		if (item->rel == NULL)
			return missing_relation(ch, ch->relid, err);
		note_partial(c, item->rel);
		return apply_change(c->ap, item->rel, ch, inverse, err);
	case CHANGE_TRUNCATE:
		for (i = 0; i < ch->nrelids; i++) {
			if (item->trels[i] == NULL)
				return missing_relation(ch, ch->relids[i], err);
			note_partial(c, item->trels[i]);
		}
		return apply_truncate(c->ap, ch, item->trels, ch->nrelids, err);
	case CHANGE_DDL:
		if ((ret = ddl_message_parse(ch->content, ch->content_len, &m,
		    err)) != 0)
			return ret;
		ddl_match(&c->ddl, ch->commit_lsn, ch->seq, &m, &step);
		ret = apply_ddl(c->ap, ch, &m, &step, err);
		ddl_message_done(&m);
		return ret;
	default:
		return 0;	/* other logical messages change nothing */
	}
}

/*
 * A replica transaction failed: redo [from, to) in smaller steps, or
 * give up as --on-error says.
 */
static int
on_failure(struct replay_ctx *c, pgtt_lsn from, pgtt_lsn to, int backward,
    enum window_mode mode, const struct apply_failure *f,
    struct pgtt_err *err)
{
	struct pgtt_err	 saved = *err;
	int		 ret;
	int		 locked = strcmp(f->sqlstate, "55P03") == 0;
	int		 stopped = verb_stop_requested(c->vc);

	/*
	 * Waiting again for the same lock, change by change, or going on
	 * after the user stopped it: neither helps.
	 */
	if (stopped && !locked) {
		c->r->cancelled = 1;
		*err = saved;
		return saved.code;
	}
	if (mode == MODE_GROUPED && !locked)
		ret = replay_run_window(c, from, to, backward, MODE_SINGLE,
		    err);
	else if (mode == MODE_SINGLE && !backward && !locked &&
	    c->o->on_error == REPLAY_ON_ERROR_SKIP)
		ret = replay_run_window(c, from, to, backward,
		    MODE_SAVEPOINTS, err);
	else {
		/* stop: the replica stays before the failing transaction */
		c->r->failures++;
		if (c->r->first_error == NULL)
			xasprintf(&c->r->first_error, "%s: %s (SQLSTATE %s)",
			    saved.msg, f->message, f->sqlstate);
		*err = saved;
		if (locked)
			err_hint(err, "another session on the replica holds a "
			    "lock replay needs (see pg_locks there); "
			    "replica.lock_timeout says how long replay waits");
		return saved.code;
	}
	return ret;
}

/* Take back what cancels the running statement, then free it. */
void
replay_release_canceller(const struct verb_ctx *vc, PGcancel **canceller)
{
	if (*canceller == NULL)
		return;
	vc->cancel_ready(vc->arg, NULL);
	PQfreeCancel(*canceller);
	*canceller = NULL;
}

/*
 * A lock another session holds on the replica would stop replay without
 * a word: it waits lock_timeout seconds, then fails and says so.
 */
int
replay_set_lock_timeout(PGconn *conn, int seconds, struct pgtt_err *err)
{
	PGresult	*res;
	char		 value[32];
	const char	*params[1] = { value };

	snprintf(value, sizeof value, "%ds", seconds);
	if ((res = pg_exec(conn, err, "SELECT pg_catalog.set_config("
	    "'lock_timeout', $1, false)", 1, params)) == NULL)
		return err->code;
	PQclear(res);
	return 0;
}

/* Move the position alone, for a window with nothing to apply. */
static int
set_position(struct replay_ctx *c, pgtt_lsn pos, struct pgtt_err *err)
{
	int	ret;

	if ((ret = apply_begin(c->ap, err)) != 0 ||
	    (ret = apply_position(c->ap, pos, 0, err)) != 0 ||
	    (ret = apply_commit(c->ap, NULL, err)) != 0)
		return ret;
	c->position = pos;
	return 0;
}

/*
 * Apply the changes of the transactions with commit LSN in [from, to),
 * oldest first, or their inverses newest first, and leave the replica's
 * position at to (forward) or from (backward).  The replica stands at
 * c->position when it starts: from going forward, to going back.
 */
int
replay_run_window(struct replay_ctx *c, pgtt_lsn from, pgtt_lsn to,
    int backward, enum window_mode mode, struct pgtt_err *err)
{
	struct walk		*w;
	const struct walk_item	*item = NULL;
	struct apply_failure	 f;
	pgtt_lsn		 txn = LSN_INVALID, end = backward ? from : to;
	int64_t			 txn_time = 0;
	uint64_t		 group_changes = 0, group_txns = 0;
	uint64_t		 skipped_before = apply_skipped(c->ap);
	int			 in_group = 0, txn_ddl = 0, ret, more;

	walk_open(c->j, from, 0, to, backward ? WALK_BACKWARD : 0, &c->rels,
	    &w, err);
	apply_set_savepoints(c->ap, mode == MODE_SAVEPOINTS);
	for (;;) {
		ret = more = walk_next(w, &item, err);
		if (ret < 0)
			break;
		/* At a transaction boundary: maybe close the group. */
		if (in_group && (!more || item->ch->commit_lsn != txn)) {
			pgtt_lsn pos = !more ? end : backward ? txn : txn + 1;
			int	 cancel = verb_stop_requested(c->vc);
			int	 after_ddl = txn_ddl;

			group_txns++;
			txn_ddl = 0;
			if (more && !cancel && mode == MODE_GROUPED &&
			    !after_ddl && group_changes < GROUP_CHANGES)
				goto next;
			memset(&f, 0, sizeof f);
			if ((ret = apply_position(c->ap, pos, txn_time,
			    err)) != 0)
				break;
			ret = apply_commit(c->ap, &f, err);
			if (ret == PGTT_EDB && f.what[0] != '\0') {
				/* Redo this group's transactions, then go on. */
				pgtt_lsn a = backward ? pos : c->position;
				pgtt_lsn b = backward ? c->position : pos;

				walk_close(w);
				if ((ret = on_failure(c, a, b, backward, mode,
				    &f, err)) != 0)
					return ret;
				if (cancel) {
					c->r->cancelled = 1;
					return 0;
				}
				return replay_run_window(c, backward ? from : b,
				    backward ? a : to, backward, mode, err);
			}
			if (ret == 0 && after_ddl)
				ret = apply_load_catalog(c->ap, err);
			if (ret != 0)
				break;
			c->position = pos;
			c->r->changes += group_changes;
			c->r->transactions += group_txns;
			group_changes = group_txns = 0;
			in_group = 0;
			replay_progress_to(c, REPLAY_PHASE_APPLYING,
			    c->r->changes);
			if (cancel) {
				c->r->cancelled = 1;
				break;
			}
		}
next:
		if (!more)
			break;
		if (!in_group) {
			if ((ret = apply_begin(c->ap, err)) != 0)
				break;
			in_group = 1;
		}
		txn = item->ch->commit_lsn;
		txn_time = item->txn.commit_time;
		if (item->ch->kind == CHANGE_DDL)
			txn_ddl = 1;
		if (item->ch->kind != CHANGE_MESSAGE)
			group_changes++;
		if ((ret = replay_apply_item(c, item, backward, err)) != 0)
			break;
	}
	walk_close(w);
	c->r->failures += apply_skipped(c->ap) - skipped_before;
	if (c->r->first_error == NULL && apply_first_skipped(c->ap) != NULL) {
		const struct apply_failure *s = apply_first_skipped(c->ap);
		char	l[LSN_BUFSIZE];

		xasprintf(&c->r->first_error, "change %s #%u (%s): %s "
		    "(SQLSTATE %s)", lsn_format(s->lsn, l), s->seq, s->what,
		    s->message, s->sqlstate);
	}
	if (ret < 0)
		return ret;
	if (!c->r->cancelled && c->position != end)
		return set_position(c, end, err);
	return 0;
}
