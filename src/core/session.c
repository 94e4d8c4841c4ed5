/*
 * session.c: sessions, lines of investigation, each with its own
 * checkpoints and replica.  The active session is the meta key
 * "active_session" (journal_active_session), so it is remembered across
 * runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgtime.h"
#include "point.h"
#include "session.h"
#include "xmalloc.h"

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

	if ((ret = point_check_name("session", name, err)) != 0)
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
	record_free_list((void **)cps, n);
	jbatch_del_session(b, s->id);
	if (journal_active_session(j) == s->id)
		jbatch_put_meta(b, "active_session", "0");
	free(s);
	ret = journal_commit(j, b, err);
	jbatch_free(b);
	return ret;
}
