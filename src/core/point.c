/*
 * point.c: names for positions.  Keywords win over checkpoint names
 * (a checkpoint cannot be called "head"); an LSN or a timestamp is
 * recognised by its form before any name is looked up.  A timestamp T
 * means what recovery to T gives: WAL replayed up to the first commit,
 * in WAL order, whose time is at or after T.  Commit times are not quite
 * in LSN order under concurrency, so that is the smallest commit LSN
 * among the transactions with time >= T, which lies at most TIME_SKEW
 * before the one with the earliest such time.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"
#include "pgtime.h"
#include "era.h"
#include "point.h"
#include "xmalloc.h"

#define TIME_SKEW	1000000		/* µs of commit-time disorder allowed */

static const char *const keywords[] = {
	"now", "head", "creation", "migration", NULL
};

int
point_is_keyword(const char *name)
{
	size_t	i;

	for (i = 0; keywords[i] != NULL; i++)
		if (strcmp(name, keywords[i]) == 0)
			return 1;
	return 0;
}

/* Edit distance, for "did you mean"; short names only. */
static size_t
distance(const char *a, const char *b)
{
	size_t	la = strlen(a), lb = strlen(b), i, j, prev, diag, *row;

	if (la > 64 || lb > 64)
		return la > lb ? la : lb;
	row = xcalloc(lb + 1, sizeof *row);
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			prev = row[j];
			row[j] = diag + (tolower((unsigned char)a[i - 1]) !=
			    tolower((unsigned char)b[j - 1]));
			if (prev + 1 < row[j])
				row[j] = prev + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = prev;
		}
	}
	i = row[lb];
	free(row);
	return i;
}

static void
suggest(struct buf *b, const char *want, const char *have)
{
	size_t	d = distance(want, have);

	if (d > 2 && strstr(have, want) == NULL && strstr(want, have) == NULL)
		return;
	/* "creation" is both a keyword and a checkpoint: name it once. */
	buf_append(b, "", 1);
	b->len--;
	if (strstr((char *)b->data, have) != NULL)
		return;
	buf_append(b, b->len == 0 ? "did you mean " : ", ", b->len == 0 ?
	    13 : 2);
	buf_append(b, "\"", 1);
	buf_append(b, have, strlen(have));
	buf_append(b, "\"", 1);
}

static int
head_lsn(struct journal *j, pgtt_lsn *out, struct pgtt_err *err)
{
	struct journal_stats	 st;
	struct pgtt_txn		*t;

	if (journal_stats(j, &st, err) != 0)
		return err->code;
	if (st.last_lsn == LSN_INVALID)
		return journal_meta_get_lsn(j, "creation_lsn", out, err);
	if (journal_txn_get(j, st.last_lsn, &t, err) != 0)
		return err->code;
	*out = t->end_lsn;
	free(t);
	return 0;
}

/*
 * *lsn commits at or after t; walk back through the commits before it
 * that could still be at or after t, and keep the smallest such LSN.
 */
static int
earliest_at_time(struct journal *j, int64_t t, pgtt_lsn *lsn,
    struct pgtt_err *err)
{
	struct pgtt_txn	*txn;
	pgtt_lsn	 at = *lsn;

	for (;;) {
		if (journal_seek_before_lsn(j, at, &at, err) != 0) {
			if (err->code != PGTT_ENOTFOUND)
				return err->code;
			break;
		}
		if (journal_txn_get(j, at, &txn, err) != 0)
			return err->code;
		if (txn->commit_time < t - TIME_SKEW) {
			free(txn);
			break;
		}
		if (txn->commit_time >= t)
			*lsn = at;
		free(txn);
	}
	err_clear(err);
	return 0;
}

static int
now_lsn(const char *dsn, pgtt_lsn *out, struct pgtt_err *err)
{
	PGconn		*conn;
	int		 ret;

	if (dsn == NULL)
		return err_set(err, PGTT_EUSAGE, "\"now\" needs the source "
		    "database");
	if ((conn = pg_connect(dsn, "source", 0, err)) == NULL)
		return err->code;
	ret = pg_now_lsn(conn, out, err);
	PQfinish(conn);
	return ret;
}

/* Checkpoint by name or id; suggestions collected on a miss. */
static int
checkpoint_lsn(struct journal *j, const char *text, pgtt_lsn *out,
    struct buf *hint, struct pgtt_err *err)
{
	struct pgtt_checkpoint	**cps;
	size_t			  n, i;
	char			 *end;
	unsigned long		  id;
	uint32_t		  active;
	int			  found = 0, pass;

	if (journal_checkpoints(j, &cps, &n, err) != 0)
		return err->code;
	/*
	 * Names are unique per session: the active session's checkpoint
	 * first, then one in no session, then any.  A name wins over an id.
	 */
	id = strtoul(text, &end, 10);
	active = journal_active_session(j);
	for (pass = 0; pass < 3 && !found; pass++)
		for (i = 0; i < n && !found; i++) {
			if (strcmp(cps[i]->name, text) != 0 ||
			    (pass == 0 && cps[i]->session_id != active) ||
			    (pass == 1 && cps[i]->session_id != 0))
				continue;
			*out = cps[i]->lsn;
			found = 1;
		}
	for (i = 0; i < n && !found; i++)
		if (*end == '\0' && end != text && cps[i]->id == id) {
			*out = cps[i]->lsn;
			found = 1;
		}
	for (i = 0; i < n && !found; i++)
		suggest(hint, text, cps[i]->name);
	for (i = 0; i < n; i++)
		free(cps[i]);
	free(cps);
	return found ? 0 : PGTT_ENOTFOUND;
}

int
point_resolve(struct journal *j, const char *dsn, const char *text,
    pgtt_lsn *out, struct pgtt_err *err)
{
	struct buf	hint;
	int64_t		t;
	size_t		i;
	int		ret;

	if (strcmp(text, "now") == 0)
		return now_lsn(dsn, out, err);
	if (strcmp(text, "head") == 0)
		return head_lsn(j, out, err);
	if (strcmp(text, "creation") == 0)
		return journal_meta_get_lsn(j, "creation_lsn", out, err);
	if (strcmp(text, "migration") == 0) {
		if (journal_meta_get_lsn(j, "migration_lsn", out, err) == 0)
			return 0;
		return journal_meta_get_lsn(j, "creation_lsn", out, err);
	}
	if (lsn_parse(text, out) == 0)
		return 0;
	if (pgtime_parse(text, &t) == 0) {
		ret = journal_seek_time(j, t, out, err);
		if (ret == PGTT_ENOTFOUND) {
			err_clear(err);
			return head_lsn(j, out, err);
		}
		return ret != 0 ? ret : earliest_at_time(j, t, out, err);
	}

	buf_init(&hint);
	ret = checkpoint_lsn(j, text, out, &hint, err);
	if (ret == PGTT_ENOTFOUND) {
		for (i = 0; keywords[i] != NULL; i++)
			suggest(&hint, text, keywords[i]);
		buf_append(&hint, "", 1);
		ret = err_set(err, PGTT_EUSAGE, "no checkpoint or point \"%s\"",
		    text);
		err_hint(err, "%s%sa point is a checkpoint name or id, an LSN "
		    "like 16/B374D848, a timestamp, now, head, creation or "
		    "migration", (char *)hint.data,
		    hint.len > 1 ? "; " : "");
	}
	buf_done(&hint);
	return ret;
}

int
point_range(struct journal *j, pgtt_lsn *first, pgtt_lsn *last,
    struct pgtt_err *err)
{
	pgtt_lsn	confirmed;

	if (journal_meta_get_lsn(j, "creation_lsn", first, err) != 0 ||
	    head_lsn(j, last, err) != 0)
		return err->code;
	if (journal_meta_get_lsn(j, "confirmed_lsn", &confirmed, err) == 0 &&
	    confirmed > *last)
		*last = confirmed;
	err_clear(err);
	return 0;
}

int
point_resolve_journaled(struct journal *j, const char *dsn, const char *text,
    pgtt_lsn *out, struct pgtt_err *err)
{
	pgtt_lsn	first, last;
	char		a[LSN_BUFSIZE], b[LSN_BUFSIZE];
	int		ret;

	if ((ret = point_resolve(j, dsn, text, out, err)) != 0)
		return ret;
	if ((ret = journal_check_point_known(j, *out, text, err)) != 0)
		return ret;
	if (lsn_parse(text, out) != 0)
		return 0;	/* a name: a point the journal gave */
	if ((ret = point_range(j, &first, &last, err)) != 0)
		return ret;
	if (*out >= first && *out <= last)
		return 0;
	err_set(err, PGTT_EUSAGE, "%s is outside the history the journal "
	    "holds, %s to %s", text, lsn_format(first, a), lsn_format(last, b));
	err_hint(err, "a point before creation was never captured; one after "
	    "%s is not journaled yet (run listen)", b);
	return err->code;
}

int
point_check_name(const char *what, const char *name, struct pgtt_err *err)
{
	const char	*p;
	pgtt_lsn	 lsn;
	int64_t		 t;
	int		 digits = 1;

	if (name[0] == '\0' || strlen(name) > POINT_NAME_MAX)
		return err_set(err, PGTT_EUSAGE, "a %s name needs 1 to %d "
		    "characters", what, POINT_NAME_MAX);
	for (p = name; *p != '\0'; p++) {
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return err_set(err, PGTT_EUSAGE, "a %s name may not "
			    "hold control characters", what);
		if (!isdigit((unsigned char)*p))
			digits = 0;
	}
	if (point_is_keyword(name))
		return err_set(err, PGTT_EUSAGE, "\"%s\" is a fixed point and "
		    "cannot name a %s", name, what);
	if (digits || lsn_parse(name, &lsn) == 0 || pgtime_parse(name,
	    &t) == 0) {
		err_set(err, PGTT_EUSAGE, "\"%s\" reads as a point (an id, an "
		    "LSN or a time) and cannot name a %s", name, what);
		err_hint(err, "add a letter, like \"v%s\"", name);
		return err->code;
	}
	return 0;
}
