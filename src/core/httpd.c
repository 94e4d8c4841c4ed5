/*
 * httpd.c: libmicrohttpd on a socket bound here, so a failure to bind
 * says why in the system's words ("Address already in use").  Each
 * connection has a thread of its own; each request is answered whole
 * from one buffer, so no state lives between requests.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "httpd.h"
#include "xmalloc.h"

struct httpd {
	struct MHD_Daemon	*daemon;
	httpd_fn		*fn;
	void			*arg;
	int			 fd;
	int			 port;
};

int
httpd_parse_listen(const char *text, char **host, char **port,
    struct pgtt_err *err)
{
	const char	*colon, *h = NULL, *p;
	size_t		 hlen = 0;
	char		*end;
	long		 n;

	*host = *port = NULL;
	if (text[0] == '[') {
		if ((colon = strstr(text, "]:")) == NULL)
			goto bad;
		h = text + 1;
		hlen = (size_t)(colon - h);
		p = colon + 2;
	} else if ((colon = strrchr(text, ':')) != NULL) {
		h = text;
		hlen = (size_t)(colon - text);
		p = colon + 1;
	} else
		p = text;
	errno = 0;
	n = strtol(p, &end, 10);
	if (*p == '\0' || *end != '\0' || errno != 0 || n < 0 || n > 65535)
		goto bad;
	if (h != NULL && memchr(h, ':', hlen) != NULL && text[0] != '[')
		goto bad;
	/* Monitors are local unless told otherwise. */
	if (h == NULL || hlen == 0)
		*host = xstrdup("127.0.0.1");
	else {
		*host = xmalloc(hlen + 1);
		memcpy(*host, h, hlen);
		(*host)[hlen] = '\0';
	}
	*port = xstrdup(p);
	return 0;
bad:
	return err_set(err, PGTT_ECONFIG, "\"%s\" is not an address to "
	    "listen on: give HOST:PORT, [IPV6]:PORT or :PORT (loopback)",
	    text);
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **state)
{
	struct httpd		*d = cls;
	struct httpd_reply	 r;
	struct MHD_Response	*resp;
	enum MHD_Result		 ret;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)state;
	memset(&r, 0, sizeof r);
	r.status = MHD_HTTP_OK;
	r.type = "text/plain; charset=utf-8";
	buf_init(&r.body);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		r.status = MHD_HTTP_METHOD_NOT_ALLOWED;
		buf_append(&r.body, "only GET and HEAD\n", 18);
	} else
		d->fn(d->arg, url, &r);
	resp = MHD_create_response_from_buffer(r.body.len, r.body.data,
	    MHD_RESPMEM_MUST_COPY);
	buf_done(&r.body);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", r.type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, (unsigned)r.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* A listening socket on host:port, or -1 with err. */
static int
bind_socket(const char *text, const char *host, const char *port,
    int *family, int *bound, struct pgtt_err *err)
{
	struct addrinfo		 hints, *res = NULL, *ai;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof ss;
	int			 fd = -1, rc, on = 1, saved = 0;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		err_set(err, PGTT_ECONFIG, "could not resolve \"%s\" to listen "
		    "on: %s", host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) == -1) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 32) == 0) {
			*family = ai->ai_family;
			break;
		}
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		err_set(err, PGTT_EIO, "could not listen on %s: %s", text,
		    strerror(saved));
		return -1;
	}
	*bound = 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0)
		*bound = ntohs(ss.ss_family == AF_INET6 ?
		    ((struct sockaddr_in6 *)&ss)->sin6_port :
		    ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

int
httpd_start(const char *text, httpd_fn *fn, void *arg, struct httpd **out,
    struct pgtt_err *err)
{
	struct httpd	*d;
	char		*host, *port;
	/*
	 * A thread per connection: /status may wait on an unreachable
	 * source, and /health must answer meanwhile.
	 */
	unsigned	 flags = MHD_USE_INTERNAL_POLLING_THREAD |
			    MHD_USE_THREAD_PER_CONNECTION;
	int		 family = AF_INET;

	*out = NULL;
	if (httpd_parse_listen(text, &host, &port, err) != 0)
		return err->code;
	d = xcalloc(1, sizeof *d);
	d->fn = fn;
	d->arg = arg;
	d->fd = bind_socket(text, host, port, &family, &d->port, err);
	free(host);
	free(port);
	if (d->fd == -1) {
		free(d);
		return err->code;
	}
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d->daemon = MHD_start_daemon(flags, 0, NULL, NULL, answer, d,
	    MHD_OPTION_LISTEN_SOCKET, d->fd,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
	    MHD_OPTION_END);
	if (d->daemon == NULL) {
		close(d->fd);
		free(d);
		return err_set(err, PGTT_EIO, "could not start the HTTP server "
		    "on %s", text);
	}
	*out = d;
	return 0;
}

int
httpd_port(const struct httpd *d)
{
	return d->port;
}

void
httpd_stop(struct httpd *d)
{
	if (d == NULL)
		return;
	/* MHD closes the socket it was given. */
	MHD_stop_daemon(d->daemon);
	free(d);
}
