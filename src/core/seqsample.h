/*
 * seqsample.h: the source's sequences as part of the state at a point.
 *
 * Logical decoding carries no sequence changes (POSTGRES-FACTS.md, D), so
 * pgtt reads them: a sample is every sequence's last_value and is_called,
 * keyed by the source's WAL insert position, read just before them.
 * setup takes one for creation, checkpoints one at their own LSN, and the
 * listener one every source.sequence_interval seconds when a value moved.
 * A replay to P sets each sequence to the newest sample at or before P,
 * then raises serial and identity sequences to their columns' largest
 * value (replica_sequence_floor), since nextval between samples is only
 * bounded, never known.
 */
#ifndef PGTT_SEQSAMPLE_H
#define PGTT_SEQSAMPLE_H

#include <stddef.h>

#include "err.h"
#include "record.h"

/*
 * libpq's PGconn, by its struct name: diff.h (and so the UI) includes
 * this header for seqsample_moves and must not need libpq.
 */
struct pg_conn;

/*
 * Read the sample from conn (a plain connection to the source): the
 * WAL insert position, then every permanent sequence outside the system
 * schemas and pgtt's, those the role may not read with SEQVAL_UNKNOWN.
 * One malloc'd block.
 */
int	seqsample_read(struct pg_conn *, struct pgtt_seqsample **,
	    struct pgtt_err *);

/* The sequences of the sample that have a value (not SEQVAL_UNKNOWN). */
size_t	seqsample_known(const struct pgtt_seqsample *);

/* 1 when both samples hold the same sequences with the same values. */
int	seqsample_same_values(const struct pgtt_seqsample *,
	    const struct pgtt_seqsample *);

/*
 * Set each sequence of the sample that exists on conn (the replica) to
 * its sampled value; *set counts them.  One that cannot be set is left
 * as it is and the first such says why in *first_failure (malloc'd, or
 * NULL); only a lost connection fails the whole.
 */
int	seqsample_apply(struct pg_conn *, const struct pgtt_seqsample *,
	    size_t *set, char **first_failure, struct pgtt_err *);

/* A sequence whose sampled value differs between two samples. */
struct seq_move {
	const char		*schema, *name;	/* point into the samples */
	const struct pgtt_seqval *from;		/* NULL: not in the first */
	const struct pgtt_seqval *to;		/* NULL: not in the second */
};

/*
 * The sequences that differ between samples a and b (either may be
 * NULL, as for no sample), in schema, name order; free() the array.
 */
size_t	seqsample_moves(const struct pgtt_seqsample *a,
	    const struct pgtt_seqsample *b, struct seq_move **);

#endif
