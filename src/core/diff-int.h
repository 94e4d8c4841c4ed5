/*
 * diff-int.h: what the fold (diff.c) and its look-back (diff-lookback.c)
 * share: the fold's state, one entry per row the window touched, and the
 * helpers both use to find and fill an entry.
 */
#ifndef PGTT_DIFF_INT_H
#define PGTT_DIFF_INT_H

#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "diff.h"
#include "era.h"
#include "journal.h"
#include "walk.h"

/* A relation version the fold has read with, kept to the end. */
struct relv {
	struct relv		*next;		/* every version read */
	const struct pgtt_relation *rel;
	uint8_t			*is_key;	/* row key columns (relation_row_key) */
	int			 wanted;	/* passes the table filter */
	uint32_t		 idx;		/* in diff_fold.relvs */
};

/*
 * One row the window touched.  Its values are packed (diff.c, pack()):
 * the version's index, then each column's kind and text, a third of what
 * struct diff_vals with its column array takes, since a window of a
 * million rows keeps two rows of values each.  NULL: no row.
 */
struct diff_entry {
	struct diff_entry *inherit;	/* unknown values at B come from its A */
	const uint8_t	*before;	/* at A */
	const uint8_t	*after;		/* at B, once after_set */
	pgtt_lsn	 lb_lsn;	/* looking back before this change */
	uint32_t	 lb_seq;
	uint32_t	 relid;
	uint32_t	 idlen;
	uint8_t		 after_set;	/* else the row at B is the row at A */
	uint8_t		 lookback;	/* values at A still to look for */
	uint8_t		 op;		/* enum diff_op, once classified */
	uint8_t		 before_unknown;
	uint8_t		 after_unknown;
	uint8_t		 inherited;	/* some entry's inherit names it */
	uint8_t		 id[];		/* the row key's identity bytes */
};

struct tbl {
	uint32_t	 relid;
	const char	*schema, *name;
	const char	*partial;	/* static: why captured in part */
	int		 truncated;
};

/*
 * A slot of the hash table: the high half of the hash beside the entry's
 * place in all[] (0: empty), so a probe that misses reads one cache line
 * and not the entry, in half the room of a hash and a pointer.
 */
struct slot {
	uint32_t	 tag;
	uint32_t	 idx;		/* in all[], plus one */
};

/* The baseline of A's era, found once per diff (diff-baseline.c). */
struct baseline_src {
	int		 state;		/* 0 unknown, 1 usable, -1 not */
	struct eras	 eras;
	pgtt_lsn	 era_start;
	const char	*dump;		/* in eras */
	const char	*list;		/* its restore list, in eras */
	int		 major;
	const char	*bindir;
	char		 warning[512];	/* why a read failed; "" none */
};

struct diff_fold {
	struct journal	 *j;
	struct baseline_src baseline;
	struct arena	  arena;
	struct slot	 *slots;	/* open addressing, linear probes */
	size_t		  nslots, nentries;
	struct diff_entry	**all;		/* in first-touch order */
	struct relv	**relvs;	/* every version read, by idx */
	size_t		  nrelvs;
	struct diff_colbuf scratch[3];	/* unpacked values */
	struct tbl	 *tbls;
	size_t		  ntbls;
	struct relcache	  rels;		/* the versions themselves */
	pgtt_lsn	  era_start;	/* only its era holds A's values */
	struct relv	 *versions;	/* every version read, to free */
	struct relv	**current;	/* per relid, the last one used */
	size_t		  ncurrent;
	struct buf	  ident;	/* scratch */
	pgtt_lsn	  last_txn;	/* commit LSN of the last change */
	const char	 *schema, *table;
	pgtt_lsn	  to;
	/*
	 * Per relid, the version at B: its row key names the rows of every
	 * version in the window (relation_row_key_as), so rows loaded before
	 * their key was made are the same rows as after.
	 */
	struct keyrel {
		uint32_t		 relid;
		struct pgtt_relation	*rel;	/* NULL: none; own keys */
	}		 *keyrels;
	size_t		  nkeyrels;
};

/* The relation id and the identity bytes, hashed and mixed. */
uint64_t	 fold_hash_id(uint32_t relid, const uint8_t *id, size_t len);
/* The entry of (relid, identity) whose hash is h, or NULL. */
struct diff_entry	*fold_lookup(struct diff_fold *, uint32_t relid,
		    const uint8_t *id, size_t len, uint64_t h);
/* What the fold keeps about rel, a version from f->rels. */
struct relv	*fold_relv_of(struct diff_fold *, const struct pgtt_relation *);
/* The version change (lsn, seq) of relid is read with; NULL if none. */
struct relv	*fold_relv_for(struct diff_fold *, struct journal_iter *,
		    uint32_t relid, pgtt_lsn lsn, uint32_t seq);
/* The identity of tuple t, in f->ident. */
void		 fold_ident_of(struct diff_fold *, const struct pgtt_tuple *,
		    const struct relv *);
/* The entry of the identity in f->ident, made if new (*made). */
struct diff_entry	*fold_entry_of(struct diff_fold *, uint32_t relid, int *made);
/* Tuple t's values, packed; keys_only: other columns are unknown. */
const uint8_t	*fold_pack_tuple(struct diff_fold *, const struct pgtt_tuple *,
		    const struct relv *, int keys_only);
/*
 * Fill e's unknown values at A from the same-named known ones of tuple t
 * (a look-back, the baseline); e->lookback says whether some are left.
 */
void		 fold_fill_before(struct diff_fold *, struct diff_entry *,
		    const struct pgtt_tuple *, const struct relv *);
/* Does packed p hold an unknown value? */
int		 fold_packed_unknown(const uint8_t *p);
/* At a truncate of relid: the rows the index knows there were at A. */
int		 diff_truncated_rows(struct diff *, uint32_t relid,
		    struct pgtt_err *);
/*
 * A row present at A that a truncate in the window removed, with t's
 * values, under the identity in f->ident: NULL when the window has an
 * entry for it already.
 */
struct diff_entry	*fold_truncated_row(struct diff_fold *, uint32_t relid,
		    const struct pgtt_tuple *, const struct relv *);
/*
 * Fill the values at A the window did not hold, from each row's last
 * change before A: through the row index, and by walking back over the
 * history older than the index (at most DIFF_LOOKBACK_MAX changes).
 */
int		 diff_look_back(struct journal *, struct diff *,
		    struct pgtt_err *);
/*
 * The values at A only the baseline dump holds (diff-baseline.c): the
 * rows of relid a truncate removed that the journal never saw change
 * (at the truncate, so a row put back after it is an update), and, after
 * the fold, old values no look-back found.
 */
int		 diff_baseline_truncated(struct diff *, uint32_t relid,
		    struct pgtt_err *);
int		 diff_look_baseline(struct diff *, struct pgtt_err *);

#endif
