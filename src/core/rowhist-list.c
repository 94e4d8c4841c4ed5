/*
 * rowhist-list.c: one row's history as a list that owns its values, for
 * a reader on another thread (the TUI's worker): each version copied as
 * rowhist_run_change hands it out (rowhist.h).
 */
#include <stdlib.h>
#include <string.h>

#include "rowhist.h"
#include "xmalloc.h"

static int
collect_version(void *arg, const struct rowhist_item *it)
{
	struct rowhist_list	*l = arg;
	struct rowhist_version	*v;
	const struct pgtt_col	*c;
	char			*val;
	size_t			 i;

	if (it->unread != NULL) {
		free(l->unread);
		l->unread = xstrdup(it->unread);
		return 0;
	}
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	v = &l->v[l->n++];
	memset(v, 0, sizeof *v);
	v->lsn = it->lsn;
	v->baseline = it->ch == NULL;
	if (it->ch != NULL) {
		v->kind = it->ch->kind;
		v->commit_time = it->txn->commit_time;
	}
	v->present = it->present;
	free(l->schema);
	free(l->table);
	l->schema = xstrdup(it->rel->schema);
	l->table = xstrdup(it->rel->name);
	if (!it->present)
		return 0;
	v->ncols = it->rel->ncols;
	v->names = xcalloc(v->ncols + 1, sizeof *v->names);
	v->cols = xcalloc(v->ncols + 1, sizeof *v->cols);
	for (i = 0; i < v->ncols; i++) {
		c = &it->row[i];
		v->names[i] = xstrdup(it->rel->cols[i].name);
		v->cols[i].kind = c->kind;
		if (c->kind != COL_TEXT)
			continue;
		val = xmalloc((size_t)c->len + 1);
		memcpy(val, c->val, c->len);
		val[c->len] = '\0';
		v->cols[i].val = val;
		v->cols[i].len = c->len;
	}
	return 0;
}

int
rowhist_collect_change(const struct verb_ctx *vc,
    const struct rowhist_opts *opts, pgtt_lsn lsn, uint32_t seq,
    struct rowhist_list *l, struct pgtt_err *err)
{
	int	ret;

	memset(l, 0, sizeof *l);
	if ((ret = rowhist_run_change(vc, opts, lsn, seq, collect_version, l,
	    err)) != 0)
		rowhist_list_free(l);
	return ret;
}

void
rowhist_list_free(struct rowhist_list *l)
{
	size_t	i, k;

	for (i = 0; i < l->n; i++) {
		for (k = 0; k < l->v[i].ncols; k++) {
			free(l->v[i].names[k]);
			free((char *)l->v[i].cols[k].val);
		}
		free(l->v[i].names);
		free(l->v[i].cols);
	}
	free(l->v);
	free(l->schema);
	free(l->table);
	free(l->unread);
	memset(l, 0, sizeof *l);
}
