/*
 * logfile.c: one line per message, "time level message", appended to a file
 * created 0600.  The file is opened on the first message that passes the
 * level, so a command that logs nothing creates nothing.  A mutex keeps
 * lines whole when the listener thread logs too.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "logfile.h"
#include "pgtime.h"
#include "xmalloc.h"

static pthread_mutex_t	 log_lock = PTHREAD_MUTEX_INITIALIZER;
static char		*log_path;
static FILE		*log_file;
static int		 log_failed;
static enum log_level	 log_max = LOG_LEVEL_INFO;
static int		 log_stderr;

static const char *const level_names[] = {
	"error", "warning", "info", "debug"
};

void
log_open(const char *path, enum log_level level)
{
	pthread_mutex_lock(&log_lock);
	free(log_path);
	log_path = path != NULL ? xstrdup(path) : NULL;
	log_max = level;
	log_failed = 0;
	pthread_mutex_unlock(&log_lock);
}

void
log_to_stderr(int on)
{
	pthread_mutex_lock(&log_lock);
	log_stderr = on;
	pthread_mutex_unlock(&log_lock);
}

void
log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_file != NULL)
		fclose(log_file);
	log_file = NULL;
	free(log_path);
	log_path = NULL;
	pthread_mutex_unlock(&log_lock);
}

/* Open the file on first use; called with log_lock held. */
static FILE *
log_stream(void)
{
	int	fd;

	if (log_file != NULL || log_failed || log_path == NULL)
		return log_file;
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1 || (log_file = fdopen(fd, "a")) == NULL) {
		if (fd != -1)
			close(fd);
		log_failed = 1;
	}
	return log_file;
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	FILE	*f;
	va_list	 ap;
	char	 when[PGTIME_BUFSIZE];

	if (level > log_max)
		return;
	pthread_mutex_lock(&log_lock);
	if ((f = log_stream()) != NULL) {
		fprintf(f, "%s %s ", pgtime_format(pgtime_now(), when),
		    level_names[level]);
		va_start(ap, fmt);
		vfprintf(f, fmt, ap);
		va_end(ap);
		fputc('\n', f);
		fflush(f);
	}
	if (log_stderr) {
		fprintf(stderr, "pgtt: %s: ", level_names[level]);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	pthread_mutex_unlock(&log_lock);
}
