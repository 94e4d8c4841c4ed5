/*
 * session.h: sessions, lines of investigation, each with its checkpoints
 * and its replica; one is active (journal_active_session).
 */
#ifndef PGTT_SESSION_H
#define PGTT_SESSION_H

#include "err.h"
#include "journal.h"
#include "record.h"

int	session_create(struct journal *, const char *name,
	    const char *description, const char *replica_dsn,
	    struct pgtt_session **out, struct pgtt_err *);
/* By name; PGTT_EUSAGE naming the sessions there are when unknown. */
int	session_find(struct journal *, const char *name,
	    struct pgtt_session **out, struct pgtt_err *);
int	session_by_id(struct journal *, uint32_t id, struct pgtt_session **out,
	    struct pgtt_err *);
/* Remember where the session's replica stands. */
int	session_set_replayed(struct journal *, const struct pgtt_session *,
	    pgtt_lsn, struct pgtt_err *);
int	session_switch(struct journal *, const char *name, struct pgtt_err *);
/* Delete a session and its custom checkpoints; never the history. */
int	session_delete(struct journal *, const char *name, size_t *deleted,
	    struct pgtt_err *);

#endif
