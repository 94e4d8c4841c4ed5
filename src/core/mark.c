/*
 * mark.c: checkpoints and sessions.
 *
 * A checkpoint's name must never be mistaken for another kind of point,
 * so names that read as an LSN, a time, digits (an id) or a keyword are
 * refused.  Names are unique within a session.  "creation" is stored by
 * setup; "migration" moves with every transaction that carried DDL, so it
 * is not stored at all: it is made from the journal's migration_lsn when
 * listed.  The active session is the meta key "active_session", so it is
 * remembered across runs.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mark.h"
#include "pg.h"
#include "pgtime.h"
#include "point.h"
#include "seqsample.h"
#include "xmalloc.h"

#define NAME_MAX_LEN	63

void
mark_free_list(void **items, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

/* A name people can type and no point syntax can claim. */
static int
check_name(const char *what, const char *name, struct pgtt_err *err)
{
	const char	*p;
	pgtt_lsn	 lsn;
	int64_t		 t;
	int		 digits = 1;

	if (name[0] == '\0' || strlen(name) > NAME_MAX_LEN)
		return err_set(err, PGTT_EUSAGE, "a %s name needs 1 to %d "
		    "characters", what, NAME_MAX_LEN);
	for (p = name; *p != '\0'; p++) {
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return err_set(err, PGTT_EUSAGE, "a %s name may not "
			    "hold control characters", what);
		if (!isdigit((unsigned char)*p))
			digits = 0;
	}
	if (point_is_keyword(name))
		return err_set(err, PGTT_EUSAGE, "\"%s\" is a fixed point and "
		    "cannot name a %s", name, what);
	if (digits || lsn_parse(name, &lsn) == 0 || pgtime_parse(name,
	    &t) == 0) {
		err_set(err, PGTT_EUSAGE, "\"%s\" reads as a point (an id, an "
		    "LSN or a time) and cannot name a %s", name, what);
		err_hint(err, "add a letter, like \"v%s\"", name);
		return err->code;
	}
	return 0;
}

/*
 * The source's position now with its sequences, read in one statement,
 * and a restore point there if we may.
 */
static int
mark_source(const struct config *cfg, const char *name, pgtt_lsn *lsn,
    struct pgtt_seqsample **smp, struct mark_report *rep,
    struct pgtt_err *err)
{
	PGconn		*conn;
	PGresult	*res;
	struct pgtt_err	 rp_err;

	if ((conn = pg_connect(cfg->source.dsn, "source", 0, err)) == NULL)
		return err->code;
	/*
	 * Without a sample (a sequence locked by an open migration) the
	 * checkpoint is still made, at the position alone, and says so.
	 */
	err_clear(&rp_err);
	if (seqsample_read(conn, smp, &rp_err) != 0) {
		snprintf(rep->note, sizeof rep->note, "no sequence sample: "
		    "%.200s", rp_err.detail[0] != '\0' ? rp_err.detail :
		    rp_err.msg);
		if (pg_now_lsn(conn, lsn, err) != 0) {
			PQfinish(conn);
			return err->code;
		}
	} else
		*lsn = (*smp)->lsn;
	/*
	 * The restore point is a target for physical restore: only ever
	 * useful at "now", and a convenience, so a refusal is reported, not
	 * fatal.
	 */
	err_clear(&rp_err);
	res = pg_exec(conn, &rp_err, "SELECT pg_create_restore_point($1)", 1,
	    &name);
	if (res != NULL) {
		rep->restore_point = 1;
		PQclear(res);
	} else {
		size_t	len = strlen(rep->note);

		snprintf(rep->note + len, sizeof rep->note - len, "%sno "
		    "restore point: %.100s", len > 0 ? "; " : "",
		    rp_err.detail);
	}
	PQfinish(conn);
	return 0;
}

int
checkpoint_list(struct journal *j, uint32_t session_id, int all,
    struct pgtt_checkpoint ***out, size_t *n, struct pgtt_err *err)
{
	struct pgtt_checkpoint	**cps, **list, *mig;
	pgtt_lsn		  lsn;
	size_t			  ncps, i, k = 0;

	if (journal_checkpoints(j, &cps, &ncps, err) != 0)
		return err->code;
	list = xcalloc(ncps + 1, sizeof *list);
	for (i = 0; i < ncps; i++)
		if (cps[i]->fixed)
			list[k++] = cps[i];
	if (journal_meta_get_lsn(j, "migration_lsn", &lsn, err) != 0 &&
	    journal_meta_get_lsn(j, "creation_lsn", &lsn, err) != 0)
		lsn = LSN_INVALID;
	err_clear(err);
	mig = xcalloc(1, sizeof *mig);
	mig->name = "migration";
	mig->description = "after the last transaction that carried DDL";
	mig->lsn = lsn;
	mig->fixed = 1;
	list[k++] = mig;
	for (i = 0; i < ncps; i++) {
		if (cps[i]->fixed)
			continue;
		if (all || cps[i]->session_id == session_id)
			list[k++] = cps[i];
		else
			free(cps[i]);
	}
	free(cps);
	*out = list;
	*n = k;
	return 0;
}

/* A custom checkpoint of that name in that session, or NULL. */
static struct pgtt_checkpoint *
find_checkpoint(struct journal *j, const char *name, uint32_t session_id,
    struct pgtt_err *err)
{
	struct pgtt_checkpoint	**cps, *hit = NULL;
	size_t			  n, i;

	err_clear(err);
	if (journal_checkpoints(j, &cps, &n, err) != 0)
		return NULL;
	for (i = 0; i < n; i++) {
		if (hit == NULL && strcmp(cps[i]->name, name) == 0 &&
		    (cps[i]->fixed || cps[i]->session_id == session_id))
			hit = cps[i];
		else
			free(cps[i]);
	}
	free(cps);
	return hit;
}

int
checkpoint_create(struct journal *j, const struct config *cfg,
    const char *name, const char *at, const char *description,
    uint32_t session_id, struct pgtt_checkpoint **out,
    struct mark_report *rep, struct pgtt_err *err)
{
	struct pgtt_checkpoint	 cp, *old;
	struct pgtt_seqsample	*smp = NULL;
	struct jbatch		*b;
	int			 ret;

	memset(rep, 0, sizeof *rep);
	rep->sequences = -1;
	if ((ret = check_name("checkpoint", name, err)) != 0)
		return ret;
	if ((old = find_checkpoint(j, name, session_id, err)) != NULL) {
		free(old);
		return err_set(err, PGTT_EUSAGE, "checkpoint \"%s\" exists "
		    "already%s", name, session_id != 0 ? " in this session" :
		    "");
	}
	if (err->code != 0)
		return err->code;
	memset(&cp, 0, sizeof cp);
	if (at == NULL || strcmp(at, "now") == 0)
		ret = mark_source(cfg, name, &cp.lsn, &smp, rep, err);
	else
		ret = point_resolve_journaled(j, cfg->source.dsn, at, &cp.lsn,
		    err);
	if (ret != 0)
		return ret;
	cp.name = name;
	cp.description = description != NULL ? description : "";
	cp.created_at = pgtime_now();
	cp.session_id = session_id;
	b = jbatch_new();
	jbatch_put_checkpoint(b, &cp);
	if (smp != NULL) {
		jbatch_put_seqsample(b, smp);
		rep->sequences = (int)seqsample_known(smp);
		rep->unreadable = (int)smp->n - rep->sequences;
	}
	ret = journal_commit(j, b, err);
	jbatch_free(b);
	free(smp);
	if (ret != 0)
		return ret;
	/* The id is chosen inside the commit: read the record back. */
	if ((*out = find_checkpoint(j, name, session_id, err)) == NULL)
		return err->code != 0 ? err->code : err_set(err,
		    PGTT_EJOURNAL, "checkpoint \"%s\" vanished", name);
	return 0;
}

int
checkpoint_delete(struct journal *j, const char *name, uint32_t session_id,
    struct pgtt_err *err)
{
	struct pgtt_checkpoint	*cp;
	struct jbatch		*b;
	int			 ret;

	if (strcmp(name, "migration") == 0 ||
	    ((cp = find_checkpoint(j, name, session_id, err)) != NULL &&
	    cp->fixed)) {
		if (strcmp(name, "migration") != 0)
			free(cp);
		return err_set(err, PGTT_EUSAGE, "checkpoint \"%s\" is fixed "
		    "and cannot be deleted", name);
	}
	if (cp == NULL)
		return err->code != 0 ? err->code : err_set(err, PGTT_EUSAGE,
		    "no checkpoint \"%s\"%s", name, session_id != 0 ?
		    " in this session" : "");
	b = jbatch_new();
	jbatch_del_checkpoint(b, cp->id);
	ret = journal_commit(j, b, err);
	jbatch_free(b);
	free(cp);
	return ret;
}

int
session_find(struct journal *j, const char *name, struct pgtt_session **out,
    struct pgtt_err *err)
{
	struct pgtt_session	**ss;
	struct buf		  names;
	size_t			  n, i;

	*out = NULL;
	if (journal_sessions(j, &ss, &n, err) != 0)
		return err->code;
	buf_init(&names);
	for (i = 0; i < n; i++) {
		if (*out == NULL && strcmp(ss[i]->name, name) == 0) {
			*out = ss[i];
			continue;
		}
		buf_append(&names, names.len > 0 ? ", " : "",
		    names.len > 0 ? 2 : 0);
		buf_append(&names, ss[i]->name, strlen(ss[i]->name));
		free(ss[i]);
	}
	free(ss);
	buf_append(&names, "", 1);
	if (*out == NULL) {
		err_set(err, PGTT_EUSAGE, "no session \"%s\"", name);
		err_hint(err, n > 0 ? "the sessions are: %s" :
		    "there are no sessions yet%s", n > 0 ?
		    (char *)names.data : "");
	}
	buf_done(&names);
	return *out != NULL ? 0 : err->code;
}

int
session_create(struct journal *j, const char *name, const char *description,
    const char *replica_dsn, struct pgtt_session **out,
    struct pgtt_err *err)
{
	struct pgtt_session	 s, *old;
	struct jbatch		*b;
	char			*database = NULL;
	int			 ret;

	if ((ret = check_name("session", name, err)) != 0)
		return ret;
	if (session_find(j, name, &old, err) == 0) {
		free(old);
		return err_set(err, PGTT_EUSAGE, "session \"%s\" exists "
		    "already", name);
	}
	err_clear(err);
	if (journal_meta_get(j, "database", &database, err) != 0)
		err_clear(err);
	memset(&s, 0, sizeof s);
	s.name = name;
	s.description = description != NULL ? description : "";
	s.database = database != NULL ? database : "";
	s.replica_dsn = replica_dsn != NULL ? replica_dsn : "";
	s.created_at = pgtime_now();
	b = jbatch_new();
	jbatch_put_session(b, &s);
	ret = journal_commit(j, b, err);
	jbatch_free(b);
	free(database);
	if (ret != 0)
		return ret;
	return session_find(j, name, out, err);
}

int
session_by_id(struct journal *j, uint32_t id, struct pgtt_session **out,
    struct pgtt_err *err)
{
	struct pgtt_session	**ss;
	size_t			  n, i;

	*out = NULL;
	if (journal_sessions(j, &ss, &n, err) != 0)
		return err->code;
	for (i = 0; i < n; i++) {
		if (*out == NULL && ss[i]->id == id)
			*out = ss[i];
		else
			free(ss[i]);
	}
	free(ss);
	if (*out == NULL)
		return err_set(err, PGTT_ENOTFOUND, "no session with id %u", id);
	return 0;
}

int
session_set_replayed(struct journal *j, const struct pgtt_session *s,
    pgtt_lsn lsn, struct pgtt_err *err)
{
	struct pgtt_session	 copy = *s;
	struct jbatch		*b = jbatch_new();
	int			 ret;

	copy.replayed_to = lsn;
	jbatch_put_session(b, &copy);
	ret = journal_commit(j, b, err);
	jbatch_free(b);
	return ret;
}

int
session_switch(struct journal *j, const char *name, struct pgtt_err *err)
{
	struct pgtt_session	*s;
	struct jbatch		*b;
	char			 id[16];
	int			 ret;

	if ((ret = session_find(j, name, &s, err)) != 0)
		return ret;
	snprintf(id, sizeof id, "%u", s->id);
	free(s);
	b = jbatch_new();
	jbatch_put_meta(b, "active_session", id);
	ret = journal_commit(j, b, err);
	jbatch_free(b);
	return ret;
}

int
session_delete(struct journal *j, const char *name, size_t *deleted,
    struct pgtt_err *err)
{
	struct pgtt_session	 *s;
	struct pgtt_checkpoint	**cps;
	struct jbatch		 *b;
	size_t			  n, i;
	int			  ret;

	*deleted = 0;
	if ((ret = session_find(j, name, &s, err)) != 0)
		return ret;
	if (journal_checkpoints(j, &cps, &n, err) != 0) {
		free(s);
		return err->code;
	}
	b = jbatch_new();
	for (i = 0; i < n; i++) {
		if (!cps[i]->fixed && cps[i]->session_id == s->id) {
			jbatch_del_checkpoint(b, cps[i]->id);
			(*deleted)++;
		}
	}
	mark_free_list((void **)cps, n);
	jbatch_del_session(b, s->id);
	if (journal_active_session(j) == s->id)
		jbatch_put_meta(b, "active_session", "0");
	free(s);
	ret = journal_commit(j, b, err);
	jbatch_free(b);
	return ret;
}
