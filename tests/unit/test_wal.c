/*
 * test_wal.c: WAL segment arithmetic and names, as PostgreSQL has them,
 * for 16 MB and 1 GB segments, and the unbroken run an archive holds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/wal.h"
#include "core/xmalloc.h"

#include "tmpdir.h"

#define GB	(1024u * 1024 * 1024)

static void
test_segments(void **state)
{
	char	name[WAL_NAME_LEN + 1];

	(void)state;
	/* 16/B374D848 in 16 MB segments: 0x16 * 256 + 0xB3. */
	assert_true(wal_segno(((pgtt_lsn)0x16 << 32) | 0xB374D848u,
	    WAL_DEFAULT_SEG) == 0x16 * 256 + 0xB3);
	assert_true(wal_seg_start(0x16 * 256 + 0xB3, WAL_DEFAULT_SEG) ==
	    (((pgtt_lsn)0x16 << 32) | 0xB3000000u));
	wal_seg_name(1, 0x16 * 256 + 0xB3, WAL_DEFAULT_SEG, name);
	assert_string_equal(name, "0000000100000016000000B3");
	/* The last byte of a segment is in it, the next byte is not. */
	assert_true(wal_segno(0x1FFFFFF, WAL_DEFAULT_SEG) == 1);
	assert_true(wal_segno(0x2000000, WAL_DEFAULT_SEG) == 2);
	/* 1 GB segments: four to an xlogid. */
	assert_true(wal_segno(((pgtt_lsn)3 << 32) | 0x80000000u, GB) ==
	    3 * 4 + 2);
	wal_seg_name(2, 3 * 4 + 2, GB, name);
	assert_string_equal(name, "000000020000000300000002");
}

static void
test_names(void **state)
{
	uint32_t	tli;
	uint64_t	segno;
	int		partial;

	(void)state;
	assert_int_equal(wal_parse_name("0000000100000016000000B3",
	    WAL_DEFAULT_SEG, &tli, &segno, &partial), 0);
	assert_true(tli == 1 && segno == 0x16 * 256 + 0xB3 && !partial);
	assert_int_equal(wal_parse_name("0000000100000016000000B4.partial",
	    WAL_DEFAULT_SEG, &tli, &segno, &partial), 0);
	assert_true(segno == 0x16 * 256 + 0xB4 && partial);
	/* Not segments: history, backup labels, temp files, short names. */
	assert_int_equal(wal_parse_name("00000002.history", WAL_DEFAULT_SEG,
	    &tli, &segno, &partial), -1);
	assert_int_equal(wal_parse_name("000000010000000000000002.00000028."
	    "backup", WAL_DEFAULT_SEG, &tli, &segno, &partial), -1);
	assert_int_equal(wal_parse_name("0000000100000016000000B3.tmp",
	    WAL_DEFAULT_SEG, &tli, &segno, &partial), -1);
	assert_int_equal(wal_parse_name("0000000100000016000000B",
	    WAL_DEFAULT_SEG, &tli, &segno, &partial), -1);
	/* A low part past what the segment size allows is no name. */
	assert_int_equal(wal_parse_name("000000010000000000000100",
	    WAL_DEFAULT_SEG, &tli, &segno, &partial), -1);
}

static void
touch(const char *dir, uint32_t tli, uint64_t segno, const char *suffix)
{
	char	name[WAL_NAME_LEN + 1], *path;
	FILE	*f;

	wal_seg_name(tli, segno, WAL_DEFAULT_SEG, name);
	xasprintf(&path, "%s/%s%s", dir, name, suffix);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	free(path);
}

static void
test_scan(void **state)
{
	char		 dir[] = "/tmp/pgtt-test-wal-XXXXXX";
	struct pgtt_err	 e;
	uint64_t	 last;
	int		 partial;

	(void)state;
	assert_non_null(mkdtemp(dir));
	err_clear(&e);
	/* 10, 11, 12 and 13.partial; 15 after a gap; 13 of timeline 2. */
	touch(dir, 1, 10, "");
	touch(dir, 1, 11, "");
	touch(dir, 1, 12, "");
	touch(dir, 1, 13, ".partial");
	touch(dir, 1, 15, "");
	touch(dir, 2, 14, "");
	assert_int_equal(wal_scan(dir, 1, WAL_DEFAULT_SEG, 10, &last,
	    &partial, &e), 0);
	assert_true(last == 13 && partial);
	/* The full segment wins over its .partial. */
	touch(dir, 1, 13, "");
	assert_int_equal(wal_scan(dir, 1, WAL_DEFAULT_SEG, 10, &last,
	    &partial, &e), 0);
	assert_true(last == 13 && !partial);
	/* A run that starts with a missing segment is empty. */
	assert_int_equal(wal_scan(dir, 1, WAL_DEFAULT_SEG, 9, &last,
	    &partial, &e), 0);
	assert_true(last == 8);
	assert_int_equal(wal_scan(dir, 2, WAL_DEFAULT_SEG, 14, &last,
	    &partial, &e), 0);
	assert_true(last == 14 && !partial);
	assert_int_equal(tmpdir_remove(dir), 0);
	assert_int_equal(wal_scan(dir, 1, WAL_DEFAULT_SEG, 10, &last,
	    &partial, &e), PGTT_EIO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
