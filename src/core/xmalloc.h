/*
 * xmalloc.h: allocation that never returns NULL.  On exhaustion or size
 * overflow the process dies, after calling the hook the UI registered so
 * the terminal is given back first.
 */
#ifndef PGTT_XMALLOC_H
#define PGTT_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Called once before dying; the TUI uses it to end curses mode. */
void	 xmalloc_set_fatal_hook(void (*)(void));
void	 fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
