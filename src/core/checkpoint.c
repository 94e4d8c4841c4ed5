/*
 * checkpoint.c: checkpoints, the names people give to points.
 *
 * A checkpoint's name must never be mistaken for another kind of point
 * (point_check_name).  Names are unique within a session.  "creation" is
 * stored by setup; "migration" moves with every transaction that carried
 * DDL, so it is not stored at all: it is made from the journal's
 * migration_lsn when listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "pg.h"
#include "pgtime.h"
#include "point.h"
#include "seqsample.h"
#include "xmalloc.h"

/*
 * The source's position now with its sequences, read in one statement,
 * and a restore point named name there if we may.
 */
static int
mark_source(const struct config *cfg, const char *name, pgtt_lsn *lsn,
    struct pgtt_seqsample **smp, struct checkpoint_report *rep,
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
	 * fatal.  A cluster needs one (name NULL for the others).
	 */
	if (name == NULL) {
		PQfinish(conn);
		return 0;
	}
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

/* PGTT_EUSAGE when name cannot be a new checkpoint in the session. */
static int
check_new_name(struct journal *j, const char *name, uint32_t session_id,
    struct pgtt_err *err)
{
	struct pgtt_checkpoint	*old;
	int			 ret;

	if ((ret = point_check_name("checkpoint", name, err)) != 0)
		return ret;
	if ((old = find_checkpoint(j, name, session_id, err)) != NULL) {
		free(old);
		return err_set(err, PGTT_EUSAGE, "checkpoint \"%s\" exists "
		    "already%s", name, session_id != 0 ? " in this session" :
		    "");
	}
	return err->code;
}

/* The checkpoint, with the sample when there is one, in one commit. */
static int
store(struct journal *j, struct pgtt_checkpoint *cp,
    const struct pgtt_seqsample *smp, struct checkpoint_report *rep,
    struct pgtt_checkpoint **out, struct pgtt_err *err)
{
	struct jbatch	*b;
	int		 ret;

	cp->created_at = pgtime_now();
	b = jbatch_new();
	jbatch_put_checkpoint(b, cp);
	if (smp != NULL) {
		jbatch_put_seqsample(b, smp);
		rep->sequences = (int)seqsample_known(smp);
		rep->unreadable = (int)smp->n - rep->sequences;
	}
	ret = journal_commit(j, b, err);
	jbatch_free(b);
	if (ret != 0)
		return ret;
	/* The id is chosen inside the commit: read the record back. */
	if ((*out = find_checkpoint(j, cp->name, cp->session_id, err)) == NULL)
		return err->code != 0 ? err->code : err_set(err,
		    PGTT_EJOURNAL, "checkpoint \"%s\" vanished", cp->name);
	return 0;
}

int
checkpoint_create(struct journal *j, const struct config *cfg,
    const char *name, const char *at, const char *description,
    uint32_t session_id, struct pgtt_checkpoint **out,
    struct checkpoint_report *rep, struct pgtt_err *err)
{
	struct pgtt_checkpoint	 cp;
	struct pgtt_seqsample	*smp = NULL;
	int			 ret;

	memset(rep, 0, sizeof *rep);
	rep->sequences = -1;
	if ((ret = check_new_name(j, name, session_id, err)) != 0)
		return ret;
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
	cp.session_id = session_id;
	ret = store(j, &cp, smp, rep, out, err);
	free(smp);
	return ret;
}

int
checkpoint_create_all(struct journal *const *js,
    const struct config *const *cfgs, const uint32_t *sids, size_t n,
    const char *name, const char *at, const char *description,
    struct pgtt_checkpoint **out, struct checkpoint_report *rep,
    struct pgtt_err *err)
{
	struct pgtt_checkpoint	  cp, *made;
	struct pgtt_seqsample	**smps;
	struct checkpoint_report  r;
	char			  text[LSN_BUFSIZE];
	pgtt_lsn		  lsn = LSN_INVALID, same;
	size_t			  i, len;
	int			  ret = 0;

	memset(rep, 0, sizeof *rep);
	rep->sequences = -1;
	*out = NULL;
	for (i = 0; i < n; i++) {
		if ((ret = check_new_name(js[i], name, sids[i], err)) != 0) {
			err_detail_add(err, "database \"%s\"",
			    cfgs[i]->source.database);
			return ret;
		}
	}
	smps = xcalloc(n, sizeof *smps);
	if (at != NULL && strcmp(at, "now") != 0) {
		/*
		 * A time or a name is read in the first database's journal;
		 * every other must hold that LSN's history too.
		 */
		ret = point_resolve_journaled(js[0], cfgs[0]->source.dsn, at,
		    &lsn, err);
		lsn_format(lsn, text);
		for (i = 1; ret == 0 && i < n; i++) {
			if ((ret = point_resolve_journaled(js[i],
			    cfgs[i]->source.dsn, text, &same, err)) != 0)
				err_detail_add(err, "database \"%s\"",
				    cfgs[i]->source.database);
		}
	} else {
		/*
		 * Each database's sequences, the restore point with the
		 * first, and the position read after them all: every sample
		 * is at or before the one LSN, the newest each database has.
		 * What a database could not sample is said with its name.
		 */
		for (i = n; ret == 0 && i-- > 0;) {
			memset(&r, 0, sizeof r);
			ret = mark_source(cfgs[i], i == 0 ? name : NULL, &lsn,
			    &smps[i], &r, err);
			if (ret != 0)
				err_detail_add(err, "database \"%s\"",
				    cfgs[i]->source.database);
			if (i == 0)
				rep->restore_point = r.restore_point;
			if (r.note[0] == '\0')
				continue;
			len = strlen(rep->note);
			snprintf(rep->note + len, sizeof rep->note - len,
			    "%s%s: %s", len > 0 ? "; " : "",
			    cfgs[i]->source.database, r.note);
		}
	}
	memset(&cp, 0, sizeof cp);
	cp.lsn = lsn;
	cp.name = name;
	cp.description = description != NULL ? description : "";
	for (i = 0; ret == 0 && i < n; i++) {
		r = *rep;
		cp.session_id = sids[i];
		if ((ret = store(js[i], &cp, smps[i], &r, &made, err)) != 0) {
			err_detail_add(err, "database \"%s\"%s",
			    cfgs[i]->source.database, i > 0 ? "; the "
			    "databases before it have the checkpoint: "
			    "checkpoint delete removes it from them" : "");
			break;
		}
		if (i == 0) {
			*out = made;
			rep->sequences = r.sequences;
			rep->unreadable = r.unreadable;
		} else
			free(made);
	}
	if (ret != 0) {
		free(*out);
		*out = NULL;
	}
	for (i = 0; i < n; i++)
		free(smps[i]);
	free(smps);
	return ret;
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
