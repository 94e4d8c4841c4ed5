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
 * and a restore point there if we may.
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
    struct checkpoint_report *rep, struct pgtt_err *err)
{
	struct pgtt_checkpoint	 cp, *old;
	struct pgtt_seqsample	*smp = NULL;
	struct jbatch		*b;
	int			 ret;

	memset(rep, 0, sizeof *rep);
	rep->sequences = -1;
	if ((ret = point_check_name("checkpoint", name, err)) != 0)
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
