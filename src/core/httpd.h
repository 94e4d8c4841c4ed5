/*
 * httpd.h: a small HTTP server for monitors (libmicrohttpd, a thread per
 * connection).  GET and HEAD only; each request is answered by one
 * callback, on its connection's thread: the callback must be safe to
 * run on several at once.
 */
#ifndef PGTT_HTTPD_H
#define PGTT_HTTPD_H

#include "buf.h"
#include "err.h"

struct httpd;

struct httpd_reply {
	int		 status;	/* 200 unless set */
	const char	*type;		/* Content-Type; static */
	struct buf	 body;
};

typedef void httpd_fn(void *arg, const char *path, struct httpd_reply *);

/*
 * Split "HOST:PORT", "[V6]:PORT", ":PORT" or "PORT" into a host (the
 * loopback address where none is given) and a port, both malloc'd.
 * PGTT_ECONFIG saying what is wrong.
 */
int	httpd_parse_listen(const char *text, char **host, char **port,
	    struct pgtt_err *);

/* Listen on text (httpd_parse_listen's forms) and serve fn. */
int	httpd_start(const char *text, httpd_fn *fn, void *arg,
	    struct httpd **, struct pgtt_err *);
/* The port bound (for ":0"). */
int	httpd_port(const struct httpd *);
void	httpd_stop(struct httpd *);

#endif
