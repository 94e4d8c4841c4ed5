/*
 * tmpdir.h: removing a unit test's scratch directory with everything in
 * it.  Static, as each test is a program of its own.
 */
#ifndef PGTT_TEST_TMPDIR_H
#define PGTT_TEST_TMPDIR_H

#include <ftw.h>
#include <stdio.h>

/* nftw callback: remove whatever it is handed, deepest first. */
static int
tmpdir_rm_one(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* dir and all it holds; 0, or -1 with errno. */
static int
tmpdir_remove(const char *dir)
{
	return nftw(dir, tmpdir_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
