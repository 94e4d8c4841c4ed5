/*
 * health.h: what a running capture knows about itself, for a monitor to
 * read without asking the source: the listener's state and progress, the
 * archiver's state, and what they make of it (healthy, or why not, and
 * Prometheus metrics).  The listener's and the archiver's threads write
 * it; any other thread reads it.
 */
#ifndef PGTT_HEALTH_H
#define PGTT_HEALTH_H

#include <pthread.h>
#include <stdint.h>

#include "archive.h"
#include "buf.h"
#include "listener.h"

struct health {
	pthread_mutex_t		 lock;
	struct listener_progress listener;
	int64_t			 caught_up_us;	/* flushed reached server_end */
	int64_t			 last_error_us;	/* 0: none */
	int			 archive_enabled;
	struct archiver_status	 archiver;
	int64_t			 started_us;
};

/* Wall-clock microseconds, as health's times are kept. */
int64_t	health_now_us(void);

void	health_init(struct health *, int archive_enabled);
void	health_done(struct health *);
/* capture_opts callbacks; arg is the struct health. */
void	health_on_listener(void *, const struct listener_progress *);
void	health_on_archiver(void *, const struct archiver_status *);

/* Figures a reply also shows that the capture itself does not know. */
struct health_extra {
	uint64_t		 journal_bytes;
	uint64_t		 journal_changes;
	int			 window_known;
	struct pitr_window	 window;
	uint64_t		 archive_bytes;
};

/*
 * The /health body (JSON, one line), with warnings that keep it healthy;
 * returns 1 when healthy: the listener streams and lags less than
 * max_lag seconds, and the archiver (when on) runs.  Else 0, and the body
 * holds the reason.  One look under the lock, so code and body agree.
 */
int	health_json(struct health *, int max_lag, char (*warnings)[200],
	    size_t nwarnings, struct buf *);
/* Prometheus text exposition format, version 0.0.4. */
void	health_metrics(struct health *, const struct health_extra *,
	    struct buf *);
/*
 * The same for the captures of several databases in one listener: each
 * sample labelled database="NAME" (databases NULL: unlabelled), the
 * archive's once, from the capture that keeps it.
 */
void	health_metrics_n(struct health *const *, const struct health_extra *,
	    const char *const *databases, size_t n, struct buf *);

#endif
