/*
 * checkpoint.h: checkpoints, the names people give to points.  A
 * checkpoint is only a name for an LSN: creating or deleting one never
 * touches the history itself.
 */
#ifndef PGTT_CHECKPOINT_H
#define PGTT_CHECKPOINT_H

#include "config.h"
#include "err.h"
#include "journal.h"
#include "record.h"

/* What checkpoint_create did on the source besides the journal. */
struct checkpoint_report {
	int		 restore_point;	/* pg_create_restore_point was made */
	int		 sequences;	/* sampled with it; -1: none taken */
	int		 unreadable;	/* sequences the role may not read */
	char		 note[256];	/* why not, when it was not */
};

/*
 * Create custom checkpoint name at the point text (NULL: "now", the
 * source's current WAL position) in session session_id (0: none).  For
 * "now" it also writes a restore point named name into the source's WAL
 * where the role may (a target for physical restore) and says in report
 * when it could not, and samples the source's sequences at that LSN
 * (seqsample.h); a checkpoint at a past point takes no sample.  Names must be new in the session and must not read
 * as a point (an LSN, a time, a keyword, digits): PGTT_EUSAGE otherwise.
 * *out is the stored checkpoint (free() it).
 */
int	checkpoint_create(struct journal *, const struct config *,
	    const char *name, const char *at, const char *description,
	    uint32_t session_id, struct pgtt_checkpoint **out,
	    struct checkpoint_report *, struct pgtt_err *);
/*
 * The same checkpoint in the journals of several databases of one
 * cluster (js[i] of cfgs[i], in session sids[i]), at one LSN: for "now"
 * each database's sequences are sampled, then the position is read,
 * later than every sample; another point is resolved in the first
 * journal, and every journal must hold its history.  The restore point
 * is made once.  *out and report are the first database's, with the
 * notes of every database, each named.  A journal that fails leaves the
 * checkpoint in the ones before it, and the error says so.
 */
int	checkpoint_create_all(struct journal *const *,
	    const struct config *const *, const uint32_t *sids, size_t n,
	    const char *name, const char *at, const char *description,
	    struct pgtt_checkpoint **out, struct checkpoint_report *,
	    struct pgtt_err *);
/* Delete a custom checkpoint; fixed ones (creation) are refused. */
int	checkpoint_delete(struct journal *, const char *name,
	    uint32_t session_id, struct pgtt_err *);
/*
 * Checkpoints to show: fixed ones, with "migration" where the last DDL
 * left the schema (creation while there was none), then the custom ones
 * of session_id (all sessions when all is set), in id order.
 */
int	checkpoint_list(struct journal *, uint32_t session_id, int all,
	    struct pgtt_checkpoint ***, size_t *, struct pgtt_err *);

#endif
