/*
 * pitrlock.h: one lock between what reads the PITR store and what prunes
 * it.  A base backup and a restore hold it shared while they run, so
 * pruning (which holds it alone) never removes a backup being copied or
 * WAL a restore is about to copy, and never sees a backup half recorded.
 * The lock is flock(2) on pitr.lock under storage.path: it dies with its
 * process, so a crash leaves nothing to clean up.
 */
#ifndef PGTT_PITRLOCK_H
#define PGTT_PITRLOCK_H

#include "config.h"
#include "err.h"

/* Shared, waiting for a prune to finish; returns the fd or -1 with err. */
int	pitr_lock_shared(const struct config *, struct pgtt_err *);
/*
 * Alone, without waiting: the fd, or -1 with PGTT_EBUSY when a backup or
 * a restore holds it, or another error.
 */
int	pitr_lock_alone(const struct config *, struct pgtt_err *);
void	pitr_unlock(int fd);

#endif
