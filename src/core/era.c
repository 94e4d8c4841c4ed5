/*
 * era.c: the eras of a history.  The first era's facts are the meta keys
 * setup always wrote (creation_lsn, baseline, baseline_list), so a journal
 * from before breaks existed reads as one era; each break adds an object
 * to the JSON array under the meta key "breaks".
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "era.h"
#include "journal.h"
#include "pgtime.h"
#include "record.h"
#include "xmalloc.h"

void
eras_done(struct eras *es)
{
	size_t	i;

	for (i = 0; i < es->n; i++) {
		free(es->v[i].dump);
		free(es->v[i].list);
	}
	free(es->v);
	memset(es, 0, sizeof *es);
}

static int
era_from_json(json_t *o, struct era *e)
{
	const char	*start, *gap_from, *dump, *list;

	if (json_unpack(o, "{s:s, s:s, s:s, s:s}", "start", &start,
	    "gap_from", &gap_from, "dump", &dump, "list", &list) != 0 ||
	    lsn_parse(start, &e->start) != 0 ||
	    lsn_parse(gap_from, &e->gap_from) != 0)
		return -1;
	e->dump = xstrdup(dump);
	e->list = xstrdup(list);
	return 0;
}

/* The eras from the first one's meta keys and breaks (NULL: none). */
static int
eras_load(struct journal *j, char *breaks, struct eras *es,
    struct pgtt_err *err)
{
	struct era	 first;
	json_t		*doc, *o;
	json_error_t	 jerr;
	size_t		 i;

	memset(es, 0, sizeof *es);
	memset(&first, 0, sizeof first);
	first.gap_from = LSN_INVALID;
	if (journal_meta_get_lsn(j, "creation_lsn", &first.start, err) != 0 ||
	    journal_meta_get(j, "baseline", &first.dump, err) != 0 ||
	    journal_meta_get(j, "baseline_list", &first.list, err) != 0) {
		free(first.dump);
		free(breaks);
		err_hint(err, "the journal was not made by a complete setup: "
		    "run pgtt --headless setup");
		return err->code;
	}
	es->v = xcalloc(1, sizeof *es->v);
	es->v[0] = first;
	es->n = 1;
	if (breaks == NULL)
		return 0;
	if ((doc = json_loads(breaks, 0, &jerr)) == NULL ||
	    !json_is_array(doc)) {
		json_decref(doc);
		err_set(err, PGTT_ECORRUPT, "the journal's list of breaks "
		    "cannot be read");
		goto fail;
	}
	es->v = xreallocarray(es->v, 1 + json_array_size(doc),
	    sizeof *es->v);
	json_array_foreach(doc, i, o) {
		struct era	*e = &es->v[es->n];

		memset(e, 0, sizeof *e);
		if (era_from_json(o, e) != 0 || e->start <= es->v[es->n -
		    1].start) {
			free(e->dump);
			free(e->list);
			json_decref(doc);
			err_set(err, PGTT_ECORRUPT, "break %zu in the journal's "
			    "list of breaks is malformed", i + 1);
			goto fail;
		}
		es->n++;
	}
	json_decref(doc);
	free(breaks);
	return 0;

fail:
	free(breaks);
	eras_done(es);
	return err->code;
}

/* The meta key "breaks", or NULL when the history never broke. */
static int
breaks_get(struct journal *j, char **breaks, struct pgtt_err *err)
{
	*breaks = NULL;
	if (journal_meta_get(j, "breaks", breaks, err) == 0)
		return 0;
	*breaks = NULL;
	if (err->code != PGTT_ENOTFOUND)
		return err->code;
	err_clear(err);
	return 0;
}

int
eras_read(struct journal *j, struct eras *es, struct pgtt_err *err)
{
	char	*breaks;

	memset(es, 0, sizeof *es);
	if (breaks_get(j, &breaks, err) != 0)
		return err->code;
	return eras_load(j, breaks, es, err);
}

const struct era *
era_at(const struct eras *es, pgtt_lsn at)
{
	size_t	i;

	for (i = es->n; i > 1; i--)
		if (es->v[i - 1].start <= at)
			return &es->v[i - 1];
	return &es->v[0];
}

int
eras_check_point(const struct eras *es, pgtt_lsn at, const char *text,
    struct pgtt_err *err)
{
	char	a[LSN_BUFSIZE], b[LSN_BUFSIZE], c[LSN_BUFSIZE];
	size_t	i;

	for (i = 1; i < es->n; i++) {
		const struct era	*e = &es->v[i];

		if (at <= e->gap_from || at >= e->start)
			continue;
		lsn_format(e->gap_from, a);
		lsn_format(e->start, b);
		lsn_format(at, c);
		if (text != NULL && strcmp(text, c) != 0)
			err_set(err, PGTT_EUSAGE, "%s (%s) lies in a break of "
			    "the history: what the source committed between "
			    "%s and %s was not captured", text, c, a, b);
		else
			err_set(err, PGTT_EUSAGE, "%s lies in a break of the "
			    "history: what the source committed between %s "
			    "and %s was not captured", c, a, b);
		err_hint(err, "choose a point up to %s, or from %s on", a, b);
		return err->code;
	}
	return 0;
}

int
eras_check_span(const struct eras *es, pgtt_lsn from, pgtt_lsn to,
    struct pgtt_err *err)
{
	const struct era	*e;
	char			 a[LSN_BUFSIZE], b[LSN_BUFSIZE];

	if (from > to) {
		pgtt_lsn	t = from;

		from = to;
		to = t;
	}
	if ((e = era_at(es, to)) == era_at(es, from))
		return 0;
	err_set(err, PGTT_EUSAGE, "the history breaks between the two "
	    "points: what the source committed between %s and %s was not "
	    "captured, so no change between them is known",
	    lsn_format(e->gap_from, a), lsn_format(e->start, b));
	err_hint(err, "compare points on one side of the break: up to %s, "
	    "or from %s on", a, b);
	return err->code;
}

void
eras_put_break(const struct eras *es, const struct era *e, int64_t at,
    struct jbatch *b)
{
	struct pgtt_txn		 txn;
	struct pgtt_change	 ch;
	json_t			*doc, *o;
	char			 a[LSN_BUFSIZE], c[LSN_BUFSIZE], *text, *what;
	size_t			 i;

	doc = json_array();
	for (i = 1; i <= es->n; i++) {
		const struct era *x = i < es->n ? &es->v[i] : e;

		o = json_pack("{s:s, s:s, s:s, s:s}", "start",
		    lsn_format(x->start, a), "gap_from",
		    lsn_format(x->gap_from, c), "dump", x->dump, "list",
		    x->list);
		json_array_append_new(doc, o);
	}
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	jbatch_put_meta(b, "breaks", text);
	free(text);

	/*
	 * One byte before the consistent point: no commit record starts
	 * there (records are aligned), and the state at the new start
	 * already counts it, as it counts every commit before it.
	 */
	xasprintf(&what, "what the source committed between %s and %s was "
	    "not captured; the history goes on from a new baseline, %s",
	    lsn_format(e->gap_from, a), lsn_format(e->start, c), e->dump);
	memset(&txn, 0, sizeof txn);
	txn.commit_lsn = e->start - 1;
	txn.end_lsn = e->start;
	txn.commit_time = at;
	txn.nchanges = 1;
	jbatch_put_txn(b, &txn);
	memset(&ch, 0, sizeof ch);
	ch.commit_lsn = txn.commit_lsn;
	ch.kind = CHANGE_MESSAGE;
	ch.prefix = ERA_BREAK_PREFIX;
	ch.content = what;
	ch.content_len = strlen(what);
	jbatch_put_change(b, &ch);
	free(what);
}

/*
 * Breaks are rare: a journal without any has nothing more to read, and
 * needs none of setup's keys (PGTT_ENOTFOUND, no error).
 */
static int
read_if_broken(struct journal *j, struct eras *es, struct pgtt_err *err)
{
	char	*breaks;

	memset(es, 0, sizeof *es);
	if (breaks_get(j, &breaks, err) != 0)
		return err->code;
	if (breaks == NULL)
		return PGTT_ENOTFOUND;
	return eras_load(j, breaks, es, err);
}

int
journal_check_point_known(struct journal *j, pgtt_lsn at, const char *text,
    struct pgtt_err *err)
{
	struct eras	es;
	int		ret;

	if ((ret = read_if_broken(j, &es, err)) != 0)
		return ret == PGTT_ENOTFOUND ? 0 : ret;
	ret = eras_check_point(&es, at, text, err);
	eras_done(&es);
	return ret;
}

int
journal_span_era(struct journal *j, pgtt_lsn from, pgtt_lsn to,
    pgtt_lsn *start, struct pgtt_err *err)
{
	struct eras	es;
	int		ret;

	*start = LSN_INVALID;
	if ((ret = read_if_broken(j, &es, err)) != 0)
		return ret == PGTT_ENOTFOUND ? 0 : ret;
	if ((ret = eras_check_span(&es, from, to, err)) == 0)
		*start = era_at(&es, from < to ? from : to)->start;
	eras_done(&es);
	return ret;
}
