/*
 * jfixture.h: writing a journal by hand for unit tests, as the listener
 * would: transactions, row changes, DDL and messages, relation versions.
 * Static, as each test is a program of its own, and marked unused for
 * the tests that take only some.
 */
#ifndef PGTT_TEST_JFIXTURE_H
#define PGTT_TEST_JFIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/journal.h"
#include "core/record.h"
#include "core/xmalloc.h"

static struct pgtt_col __attribute__((unused))
text(const char *s)
{
	struct pgtt_col	c = { COL_TEXT, (uint32_t)strlen(s), s };

	return c;
}

static const struct pgtt_col	SQLNULL = { COL_NULL, 0, NULL };
static const struct pgtt_col	TOAST = { COL_TOAST, 0, NULL };

static void __attribute__((unused))
put_txn(struct jbatch *b, pgtt_lsn lsn, uint32_t nchanges)
{
	struct pgtt_txn	txn;

	memset(&txn, 0, sizeof txn);
	txn.commit_lsn = lsn;
	txn.end_lsn = lsn + 8;
	txn.xid = (uint32_t)lsn + 1000;
	txn.commit_time = (int64_t)lsn * 1000;
	txn.nchanges = nchanges;
	jbatch_put_txn(b, &txn);
}

/* A row change; old and new are arrays of ncols columns or NULL. */
static void __attribute__((unused))
put_row(struct jbatch *b, pgtt_lsn lsn, uint32_t seq, enum change_kind kind,
    uint32_t relid, enum old_kind ok, struct pgtt_col *old,
    struct pgtt_col *new, uint16_t ncols)
{
	struct pgtt_change	ch;

	memset(&ch, 0, sizeof ch);
	ch.commit_lsn = lsn;
	ch.seq = seq;
	ch.kind = kind;
	ch.relid = relid;
	ch.old_kind = ok;
	if (old != NULL) {
		ch.old.ncols = ncols;
		ch.old.cols = old;
	}
	if (new != NULL) {
		ch.new.ncols = ncols;
		ch.new.cols = new;
	}
	jbatch_put_change(b, &ch);
}

/* A ddl or message change. */
static void __attribute__((unused))
put_text(struct jbatch *b, pgtt_lsn lsn, uint32_t seq, enum change_kind kind,
    const char *prefix, const char *content)
{
	struct pgtt_change	ch;

	memset(&ch, 0, sizeof ch);
	ch.commit_lsn = lsn;
	ch.seq = seq;
	ch.kind = kind;
	ch.prefix = prefix;
	ch.content = content;
	ch.content_len = (uint32_t)strlen(content);
	jbatch_put_change(b, &ch);
}

static void __attribute__((unused))
put_rel(struct jbatch *b, uint32_t relid, pgtt_lsn lsn, const char *name,
    char replident, struct pgtt_column_def *cols, uint16_t ncols)
{
	struct pgtt_relation	r;

	memset(&r, 0, sizeof r);
	r.relid = relid;
	r.lsn = lsn;
	r.schema = "public";
	r.name = name;
	r.replident = replident;
	r.ncols = ncols;
	r.cols = cols;
	jbatch_put_relation(b, &r);
}

/*
 * An empty journal in a fresh directory named after the test: tmp (64
 * bytes) gets the directory, to remove at the end.  0, or -1.
 */
static int __attribute__((unused))
jfixture_open(char *tmp, const char *test, struct journal **j)
{
	struct pgtt_err	 e;
	char		*dir;
	int		 ret;

	snprintf(tmp, 64, "/tmp/pgtt-test-%s-XXXXXX", test);
	if (mkdtemp(tmp) == NULL)
		return -1;
	xasprintf(&dir, "%s/j", tmp);
	err_clear(&e);
	ret = journal_open(j, dir, 1 << 22, JOURNAL_CREATE, &e);
	free(dir);
	return ret == 0 ? 0 : -1;
}

#endif
