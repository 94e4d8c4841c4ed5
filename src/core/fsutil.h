/*
 * fsutil.h: the few file-system chores PITR needs: private directories,
 * copying a data directory for another owner, removing one, and writing a
 * small file so a reader never sees half of it.
 */
#ifndef PGTT_FSUTIL_H
#define PGTT_FSUTIL_H

#include <sys/types.h>

#include <stdint.h>

#include "err.h"

/* mkdir -p with mode 0700 for what it creates. */
int	fs_mkdirs(const char *path, struct pgtt_err *);
/*
 * Copy the tree src into dst (which must exist), keeping modes, owned by
 * uid:gid when uid is not -1.  Regular files are copied in the kernel
 * (copy_file_range) where it can.  skip, when not NULL, names entries of
 * the top directory to leave out.
 */
int	fs_copy_tree(const char *src, const char *dst, uid_t, gid_t,
	    const char *const *skip, struct pgtt_err *);
/* Copy one file to dst (created 0600, owned by uid:gid unless -1). */
int	fs_copy_file(const char *src, const char *dst, uid_t, gid_t,
	    struct pgtt_err *);
/* rm -rf path; a missing path is fine. */
int	fs_remove_tree(const char *path, struct pgtt_err *);
/* Write text to path through path.tmp and rename; mode 0600. */
int	fs_write_file(const char *path, const char *text, struct pgtt_err *);
/* The contents of path, malloc'd; NULL with errno set on failure. */
char	*fs_read_file(const char *path);
/* 1 if path is a directory with no entries, or does not exist. */
int	fs_dir_empty(const char *path);
/* Bytes of the regular files directly in dir; 0 when it cannot be read. */
uint64_t fs_dir_bytes(const char *dir);

#endif
