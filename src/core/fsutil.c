/*
 * fsutil.c: see fsutil.h.  Copies go through copy_file_range so that a
 * base backup of several gigabytes is not dragged through user space; a
 * file system that refuses it gets a plain read/write loop.
 */
#define _GNU_SOURCE	/* copy_file_range */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "xmalloc.h"

int
fs_mkdirs(const char *path, struct pgtt_err *err)
{
	char	*p, *s;

	if (*path == '\0')
		return err_set(err, PGTT_EIO, "empty directory name");
	p = xstrdup(path);
	for (s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			goto fail;
		*s = '/';
	}
	if (mkdir(p, 0700) == -1 && errno != EEXIST)
		goto fail;
	free(p);
	return 0;
fail:
	err_set(err, PGTT_EIO, "could not create directory \"%s\": %s", p,
	    strerror(errno));
	free(p);
	return err->code;
}

static int
copy_fd(int in, int out)
{
	char	buf[65536];
	ssize_t	n, w, off;

	for (;;) {
		n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);
		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS &&
		    errno != EOPNOTSUPP)
			return -1;
		break;
	}
	/* The kernel refused: go on from where it stopped, in user space. */
	while ((n = read(in, buf, sizeof buf)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		for (off = 0; off < n; off += w)
			if ((w = write(out, buf + off, (size_t)(n - off))) == -1
			    && errno != EINTR)
				return -1;
			else if (w == -1)
				w = 0;
	}
	return 0;
}

static int
copy_file_mode(const char *src, const char *dst, mode_t mode, uid_t uid,
    gid_t gid, struct pgtt_err *err)
{
	int	in, out, ret = 0;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) == -1)
		return err_set(err, PGTT_EIO, "could not open \"%s\": %s", src,
		    strerror(errno));
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    mode & 0777)) == -1) {
		close(in);
		return err_set(err, PGTT_EIO, "could not create \"%s\": %s",
		    dst, strerror(errno));
	}
	if (copy_fd(in, out) == -1)
		ret = err_set(err, PGTT_EIO, "could not copy \"%s\" to \"%s\": "
		    "%s", src, dst, strerror(errno));
	else if (uid != (uid_t)-1 && fchown(out, uid, gid) == -1)
		ret = err_set(err, PGTT_EIO, "could not give \"%s\" to its "
		    "owner: %s", dst, strerror(errno));
	close(in);
	if (close(out) == -1 && ret == 0)
		ret = err_set(err, PGTT_EIO, "could not write \"%s\": %s", dst,
		    strerror(errno));
	return ret;
}

int
fs_copy_file(const char *src, const char *dst, uid_t uid, gid_t gid,
    struct pgtt_err *err)
{
	return copy_file_mode(src, dst, 0600, uid, gid, err);
}

static int
skipped(const char *name, const char *const *skip)
{
	for (; skip != NULL && *skip != NULL; skip++)
		if (strcmp(name, *skip) == 0)
			return 1;
	return 0;
}

int
fs_copy_tree(const char *src, const char *dst, uid_t uid, gid_t gid,
    const char *const *skip, struct pgtt_err *err)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	char		*s, *t, link[4096];
	ssize_t		 n;
	int		 ret = 0;

	if ((d = opendir(src)) == NULL)
		return err_set(err, PGTT_EIO, "could not open directory "
		    "\"%s\": %s", src, strerror(errno));
	while (ret == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 || skipped(de->d_name, skip))
			continue;
		xasprintf(&s, "%s/%s", src, de->d_name);
		xasprintf(&t, "%s/%s", dst, de->d_name);
		if (lstat(s, &st) == -1)
			ret = err_set(err, PGTT_EIO, "could not stat \"%s\": %s",
			    s, strerror(errno));
		else if (S_ISDIR(st.st_mode)) {
			if (mkdir(t, st.st_mode & 0777) == -1 ||
			    (uid != (uid_t)-1 && chown(t, uid, gid) == -1))
				ret = err_set(err, PGTT_EIO, "could not create "
				    "directory \"%s\": %s", t, strerror(errno));
			else
				ret = fs_copy_tree(s, t, uid, gid, NULL, err);
		} else if (S_ISLNK(st.st_mode)) {
			if ((n = readlink(s, link, sizeof link - 1)) == -1 ||
			    (link[n] = '\0', symlink(link, t)) == -1 ||
			    (uid != (uid_t)-1 && lchown(t, uid, gid) == -1))
				ret = err_set(err, PGTT_EIO, "could not copy "
				    "link \"%s\": %s", s, strerror(errno));
		} else if (S_ISREG(st.st_mode))
			ret = copy_file_mode(s, t, st.st_mode, uid, gid, err);
		free(s);
		free(t);
	}
	closedir(d);
	return ret;
}

static int
rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) == -1 && errno != ENOENT ? -1 : 0;
	return unlink(path) == -1 && errno != ENOENT ? -1 : 0;
}

int
fs_remove_tree(const char *path, struct pgtt_err *err)
{
	struct stat	st;

	if (lstat(path, &st) == -1 && errno == ENOENT)
		return 0;
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		return err_set(err, PGTT_EIO, "could not remove \"%s\": %s",
		    path, strerror(errno));
	return 0;
}

int
fs_write_file(const char *path, const char *text, struct pgtt_err *err)
{
	char	*tmp;
	FILE	*f;
	int	 fd, ret = 0;

	xasprintf(&tmp, "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		ret = err_set(err, PGTT_EIO, "could not create \"%s\": %s", tmp,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		free(tmp);
		return ret;
	}
	fputs(text, f);
	if (fclose(f) != 0 || rename(tmp, path) == -1) {
		ret = err_set(err, PGTT_EIO, "could not write \"%s\": %s", path,
		    strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

char *
fs_read_file(const char *path)
{
	FILE	*f;
	char	*text;
	long	 len;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == -1 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1) {
		fclose(f);
		return NULL;
	}
	text = xmalloc((size_t)len + 1);
	len = (long)fread(text, 1, (size_t)len, f);
	text[len] = '\0';
	fclose(f);
	return text;
}

int
fs_dir_empty(const char *path)
{
	DIR		*d;
	struct dirent	*de;
	int		 empty = 1;

	if ((d = opendir(path)) == NULL)
		return errno == ENOENT;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	return empty;
}

uint64_t
fs_dir_bytes(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	uint64_t	 total = 0;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(sb.st_mode))
			total += (uint64_t)sb.st_size;
	closedir(d);
	return total;
}
