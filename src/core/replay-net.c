/*
 * replay-net.c: replay forward by net effect.  A replica on its way to a
 * point need not pass through every state in between, only arrive there
 * exactly: the window is folded into its net change per row (diff.h),
 * and each table's deletes, then updates, then inserts go as a few
 * set-based statements of up to NET_ROWS rows (apply_rows), inserts by
 * COPY where the table's owner is trusted, in one replica transaction
 * that also moves pgtt.replay_state.  Deletes first, so a key that left
 * one row and came to another is free when the insert comes; foreign
 * keys are not checked under the replay's session_replication_role, as
 * in transaction mode.
 *
 * Tables whose rows a fold cannot stand for (captured in part, FULL
 * without a key, user types, an identity ALWAYS outside the key) go
 * change by change inside the same transaction.  Some windows are not for
 * it at all (net_refusal says which, and replay.c runs them a transaction
 * at a time, DDL alone): a truncate, values the journal never held.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apply-sql.h"
#include "diff.h"
#include "logfile.h"
#include "replay-int.h"
#include "xmalloc.h"

#define NET_ROWS	5000		/* rows per statement */
#define NET_BYTES	(8 << 20)	/* and at most about this much */

/* json and jsonb values go into the JSON as they are, not as strings. */
static int
json_type(uint32_t oid)
{
	return oid == 114 || oid == 3802;
}

/* The version of each table at the window's end, and its key. */
struct net_table {
	uint32_t		 relid;
	const struct diff_table	*t;		/* NULL: no net change */
	struct pgtt_relation	*rel;
	uint8_t			*is_key;
	const char		*ordered;	/* why it goes change by change,
						   or NULL */
};

/*
 * Has nt an identity column GENERATED ALWAYS that is not a key column?
 * A net update cannot give it a new value; a transaction at a time
 * moves such a row (delete and insert) when it changed.
 */
static int
always_outside_key(struct replay_ctx *c, const struct net_table *nt)
{
	const uint8_t	*always = apply_always_identity(c->ap, nt->rel);
	uint16_t	 k;

	for (k = 0; always != NULL && k < nt->rel->ncols; k++)
		if (always[k] && !nt->is_key[k])
			return 1;
	return 0;
}

/*
 * Why rel's rows cannot go by net effect, so that its changes go change
 * by change inside the window's transaction, or NULL.
 */
static const char *
ordered_why(struct replay_ctx *c, const struct net_table *nt, int keys)
{
	const struct pgtt_relation	*rel = nt->rel;
	uint16_t			 k;

	if (relation_identity_gap(rel) != NULL)
		return "captured in part";
	/* FULL without a key: rows may repeat, which a fold merges. */
	if (!keys && rel->replident == 'f')
		return "no key";
	for (k = 0; k < rel->ncols; k++)
		if (rel->cols[k].type_oid >= ROWSQL_FIRST_USER_OID)
			return "a column of a user type";
	if (always_outside_key(c, nt))
		return "an identity GENERATED ALWAYS outside its key";
	return NULL;
}

/*
 * Why this window is not applied by net effect, in words (static or in
 * why[]), or NULL.  Fills tables[] with every table the window touched:
 * its version at the end, its key, its net change, and whether it goes
 * change by change instead.
 */
static const char *
net_refusal(struct replay_ctx *c, const struct diff *d,
    struct net_table *tables, char *why, size_t whysize)
{
	struct net_table	*nt;
	struct pgtt_err		 err;
	size_t			 i, k;
	int			 keys;

	if (d->nddl > 0)
		return "the window holds DDL";
	if (d->skipped > 0) {
		snprintf(why, whysize, "%llu row changes name no row the "
		    "journal knows", (unsigned long long)d->skipped);
		return why;
	}
	for (i = 0; i < d->ntouched; i++) {
		nt = &tables[i];
		nt->relid = d->touched[i];
		err_clear(&err);
		if (journal_relation_at(c->j, nt->relid, d->to, 0, &nt->rel,
		    &err) != 0) {
			nt->rel = NULL;
			snprintf(why, whysize, "relation %u: %s",
			    (unsigned)nt->relid, err.msg);
			return why;
		}
		nt->is_key = xcalloc((size_t)nt->rel->ncols + 1, 1);
		keys = relation_row_key(nt->rel, nt->is_key);
		nt->ordered = ordered_why(c, nt, keys);
		for (k = 0; k < d->ntables; k++)
			if (d->tables[k].relid == nt->relid)
				nt->t = &d->tables[k];
		if (nt->t == NULL)
			continue;
		/* A truncate may cascade to other tables: order matters. */
		if (nt->t->truncated)
			snprintf(why, whysize, "%s.%s is truncated in the "
			    "window", nt->t->schema, nt->t->name);
		else if (nt->ordered == NULL && nt->t->nafter_unknown > 0)
			snprintf(why, whysize, "values of %s.%s the journal "
			    "never held", nt->t->schema, nt->t->name);
		else
			continue;
		return why;
	}
	return NULL;
}

/* s as a JSON string. */
static void
json_string_put(struct buf *b, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i, run = 0;
	char			 esc[6] = { '\\', 'u', '0', '0', 0, 0 };

	buf_append(b, "\"", 1);
	for (i = 0; i < len; i++) {
		unsigned char	ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		buf_append(b, s + run, i - run);
		run = i + 1;
		if (ch == '"' || ch == '\\') {
			esc[1] = (char)ch;
			buf_append(b, esc, 2);
			esc[1] = 'u';
		} else {
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 0xf];
			buf_append(b, esc, 6);
		}
	}
	buf_append(b, s + run, len - run);
	buf_append(b, "\"", 1);
}

/* rel's column i in v, which was read with rel or an older version. */
static const struct diff_col *
row_col(const struct pgtt_relation *rel, const struct diff_vals *v,
    uint16_t i)
{
	if (i < v->ncols && strcmp(v->cols[i].name, rel->cols[i].name) == 0)
		return &v->cols[i];
	return diff_vals_col(v, rel->cols[i].name);
}

/*
 * One row as a JSON object: every column of rel (keys_only: the key
 * columns), from v by name.
 */
static void
row_json(struct buf *b, const struct net_table *nt, const struct diff_vals *v,
    int keys_only)
{
	const struct pgtt_relation	*rel = nt->rel;
	const struct diff_col		*dc;
	uint16_t			 i;
	int				 first = 1;

	buf_append(b, "{", 1);
	for (i = 0; i < rel->ncols; i++) {
		if (keys_only && !nt->is_key[i])
			continue;
		dc = row_col(rel, v, i);
		/* A column added by no change: not in the row at all. */
		if (dc == NULL)
			continue;
		if (!first)
			buf_append(b, ",", 1);
		first = 0;
		json_string_put(b, rel->cols[i].name,
		    strlen(rel->cols[i].name));
		buf_append(b, ":", 1);
		if (dc->kind != COL_TEXT)
			buf_append(b, "null", 4);
		else if (json_type(rel->cols[i].type_oid))
			buf_append(b, dc->val, dc->len);
		else
			json_string_put(b, dc->val, dc->len);
	}
	buf_append(b, "}", 1);
}

/* A value in COPY's text format. */
static void
copy_value_put(struct buf *b, const struct diff_col *dc)
{
	size_t	i, run = 0;
	char	esc[2] = { '\\', 0 };

	if (dc == NULL || dc->kind != COL_TEXT) {
		buf_append(b, "\\N", 2);
		return;
	}
	for (i = 0; i < dc->len; i++) {
		switch (dc->val[i]) {
		case '\\':	esc[1] = '\\'; break;
		case '\n':	esc[1] = 'n'; break;
		case '\r':	esc[1] = 'r'; break;
		case '\t':	esc[1] = 't'; break;
		default:	continue;
		}
		buf_append(b, dc->val + run, i - run);
		buf_append(b, esc, 2);
		run = i + 1;
	}
	buf_append(b, dc->val + run, dc->len - run);
}

/* One row of COPY's text format: every column of rel, from v by name. */
static void
row_copy(struct buf *b, const struct net_table *nt, const struct diff_vals *v)
{
	const struct pgtt_relation	*rel = nt->rel;
	uint16_t			 i;

	for (i = 0; i < rel->ncols; i++) {
		if (i > 0)
			buf_append(b, "\t", 1);
		copy_value_put(b, row_col(rel, v, i));
	}
	buf_append(b, "\n", 1);
}

/* Are v's key columns known?  A row cannot be found by an unknown one. */
static int
keys_known(const struct net_table *nt, const struct diff_vals *v)
{
	const struct diff_col	*dc;
	uint16_t		 i;

	for (i = 0; i < nt->rel->ncols; i++) {
		if (!nt->is_key[i])
			continue;
		dc = row_col(nt->rel, v, i);
		if (dc == NULL || dc->kind != COL_TEXT)
			return 0;
	}
	return 1;
}

/* Sending the rows: where, and how far it has come. */
struct net_send {
	struct replay_ctx	*c;
	const struct diff	*d;
	struct diff_row		 r;
	struct buf		 out;		/* the JSON or COPY data */
	size_t			 sent, total;	/* rows */
};

#define COPY_CHUNK	(1 << 20)	/* bytes sent at a time */

/*
 * The rows nt inserts, by COPY, the fastest way in; 0 and not *copied
 * when they must go as statements (its owner is not trusted).
 */
static int
copy_table(struct net_send *ns, const struct net_table *nt, int *copied,
    struct pgtt_err *err)
{
	const struct diff_table	*t = nt->t;
	struct buf		*data = &ns->out;
	size_t			 k, n = 0;
	int			 ret;

	if ((ret = apply_copy_rows(ns->c->ap, nt->rel, ns->d->from, copied,
	    err)) != 0 || !*copied)
		return ret;
	buf_reset(data);
	for (k = 0; k < t->nrows; k++) {
		if (diff_entry_op(t->rows[k]) != DIFF_INSERTED)
			continue;
		diff_row_load(ns->d, t->rows[k], &ns->r);
		row_copy(data, nt, &ns->r.after);
		n++;
		if (data->len < COPY_CHUNK)
			continue;
		if ((ret = apply_copy_data(ns->c->ap, data->data, data->len,
		    err)) != 0)
			return ret;
		buf_reset(data);
		ns->sent += n;
		n = 0;
		replay_progress_to(ns->c, REPLAY_PHASE_APPLYING,
		    ns->c->r->changes + ns->d->changes * ns->sent / ns->total);
		if (verb_stop_requested(ns->c->vc)) {
			(void)apply_copy_end(ns->c->ap, "replay was stopped",
			    err);
			return err_set(err, PGTT_ESTOPPED, "replay was "
			    "stopped");
		}
	}
	ns->sent += n;
	if (data->len > 0 && (ret = apply_copy_data(ns->c->ap, data->data,
	    data->len, err)) != 0)
		return ret;
	return apply_copy_end(ns->c->ap, NULL, err);
}

/* Send the rows of nt whose net change is op, NET_ROWS a statement. */
static int
send_table(struct net_send *ns, const struct net_table *nt, enum diff_op op,
    struct pgtt_err *err)
{
	static const enum change_kind	 kinds[] = {
		[DIFF_INSERTED] = CHANGE_INSERT,
		[DIFF_DELETED] = CHANGE_DELETE,
		[DIFF_UPDATED] = CHANGE_UPDATE,
	};
	const struct diff_table		*t = nt->t;
	struct buf			*json = &ns->out;
	const struct diff_vals		*v;
	size_t				 k, n = 0;
	int				 ret, copied;

	if (op == DIFF_INSERTED && t->ninserted > 0) {
		if ((ret = copy_table(ns, nt, &copied, err)) != 0 || copied)
			return ret;
	}
	buf_reset(json);
	for (k = 0; k <= t->nrows; k++) {
		if (k < t->nrows) {
			if (diff_entry_op(t->rows[k]) != op)
				continue;
			diff_row_load(ns->d, t->rows[k], &ns->r);
			v = op == DIFF_DELETED ? &ns->r.before : &ns->r.after;
			if (!keys_known(nt, v))
				return err_set(err, PGTT_EUSAGE, "a key value "
				    "of %s.%s the journal never held",
				    t->schema, t->name);
			buf_append(json, n == 0 ? "[" : ",", 1);
			row_json(json, nt, v, op == DIFF_DELETED);
			n++;
		}
		if (n == 0 || (n < NET_ROWS && json->len < NET_BYTES &&
		    k < t->nrows))
			continue;
		buf_append(json, "]", 2);	/* and a NUL */
		if ((ret = apply_rows(ns->c->ap, nt->rel, kinds[op],
		    nt->is_key, (const char *)json->data, ns->d->from,
		    err)) != 0)
			return ret;
		ns->sent += n;
		replay_progress_to(ns->c, REPLAY_PHASE_APPLYING,
		    ns->c->r->changes + ns->d->changes * ns->sent / ns->total);
		buf_reset(json);
		n = 0;
		if (verb_stop_requested(ns->c->vc))
			return err_set(err, PGTT_ESTOPPED, "replay was "
			    "stopped");
	}
	return 0;
}

/* Every table's rows with net change op. */
static int
send_op(struct net_send *ns, const struct net_table *tables, enum diff_op op,
    struct pgtt_err *err)
{
	size_t	i;
	int	ret = 0;

	for (i = 0; i < ns->d->ntouched && ret == 0; i++)
		if (tables[i].t != NULL && tables[i].ordered == NULL)
			ret = send_table(ns, &tables[i], op, err);
	return ret;
}

/* Does t go change by change? */
static int
is_ordered(const struct net_table *tables, size_t n, uint32_t relid)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (tables[i].relid == relid)
			return tables[i].ordered != NULL;
	return 0;
}

/*
 * The changes of the tables net effect cannot take, change by change in
 * commit order, as a transaction at a time would apply them: no other
 * table's rows bear on theirs (foreign keys and triggers are off under
 * the replay's session_replication_role, and no truncate is here).
 */
static int
send_ordered(struct net_send *ns, const struct net_table *tables,
    struct pgtt_err *err)
{
	struct replay_ctx	*c = ns->c;
	const struct diff	*d = ns->d;
	const struct walk_item	*item;
	struct walk		*w;
	uint64_t		 n = 0;
	size_t			 i;
	int			 ret;

	/* No such table: no second pass over the window. */
	for (i = 0; i < d->ntouched && tables[i].ordered == NULL; i++)
		;
	if (i == d->ntouched)
		return 0;
	if (walk_open(c->j, d->from, 0, d->to, 0, &c->rels, &w, err) != 0)
		return err->code;
	while ((ret = walk_next(w, &item, err)) == 1) {
		if ((++n & 4095) == 0 && verb_stop_requested(c->vc)) {
			ret = err_set(err, PGTT_ESTOPPED, "replay was stopped");
			break;
		}
		if ((item->ch->kind != CHANGE_INSERT &&
		    item->ch->kind != CHANGE_UPDATE &&
		    item->ch->kind != CHANGE_DELETE) ||
		    !is_ordered(tables, d->ntouched, item->ch->relid))
			continue;
		if ((ret = replay_apply_item(c, item, 0, err)) != 0)
			break;
	}
	walk_close(w);
	return ret < 0 ? ret : 0;
}

/* Say which tables went change by change, and why, in mode_reason. */
static void
note_ordered(struct replay_ctx *c, const struct net_table *tables, size_t n)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b);
	for (i = 0; i < n; i++) {
		if (tables[i].ordered == NULL)
			continue;
		rowsql_add(&b, b.len > 0 ? "; " : "change by change: ");
		rowsql_add(&b, tables[i].rel->schema);
		rowsql_add(&b, ".");
		rowsql_add(&b, tables[i].rel->name);
		rowsql_add(&b, " (");
		rowsql_add(&b, tables[i].ordered);
		rowsql_add(&b, ")");
	}
	/* A window split at DDL says each segment's tables once. */
	if (b.len > 0) {
		char	*said = c->r->mode_reason;

		buf_append(&b, "", 1);
		if (said == NULL)
			c->r->mode_reason = xstrdup((const char *)b.data);
		else if (strstr(said, (const char *)b.data) == NULL) {
			xasprintf(&c->r->mode_reason, "%s; %s", said,
			    (const char *)b.data);
			free(said);
		}
	}
	buf_done(&b);
}

/*
 * Apply [from, to) by net effect, leaving the replica at to: 0, with why
 * empty.  A window net effect is not for: 0, nothing done, why says why,
 * and *ddl the commit LSNs of its DDL transactions (*nddl of them, 0 when
 * it was for another reason; the caller frees it).  A failure rolls back
 * everything, as if never tried.
 */
int
replay_run_net(struct replay_ctx *c, pgtt_lsn from, pgtt_lsn to,
    char *why, size_t whysize, pgtt_lsn **ddl, size_t *nddl,
    struct pgtt_err *err)
{
	struct diff_opts	 o = { .from = from, .to = to, .keys_only = 1 };
	struct apply_failure	 f;
	struct net_table	*tables;
	struct diff		*d = NULL;
	struct net_send		 ns;
	const char		*refused;
	size_t			 i;
	int			 ret;

	why[0] = '\0';
	*ddl = NULL;
	*nddl = 0;
	if ((ret = diff_run(c->vc, &o, &d, err)) != 0) {
		if (ret == PGTT_ESTOPPED)
			c->r->cancelled = 1;
		return ret;
	}
	tables = xcalloc(d->ntouched + 1, sizeof *tables);
	if ((refused = net_refusal(c, d, tables, why, whysize)) != NULL) {
		if (refused != why)
			snprintf(why, whysize, "%s", refused);
		/* The transactions of its DDL, each once, oldest first. */
		*ddl = xcalloc(d->nddl + 1, sizeof **ddl);
		for (i = 0; i < d->nddl; i++)
			if (*nddl == 0 || (*ddl)[*nddl - 1] != d->ddl[i].lsn)
				(*ddl)[(*nddl)++] = d->ddl[i].lsn;
		ret = 0;
		goto out;
	}
	memset(&ns, 0, sizeof ns);
	ns.c = c;
	ns.d = d;
	buf_init(&ns.out);
	for (i = 0; i < d->ntables; i++)
		ns.total += d->tables[i].nrows;
	ns.total += ns.total == 0;
	if ((ret = apply_begin(c->ap, err)) == 0 &&
	    (ret = send_op(&ns, tables, DIFF_DELETED, err)) == 0 &&
	    (ret = send_op(&ns, tables, DIFF_UPDATED, err)) == 0 &&
	    (ret = send_op(&ns, tables, DIFF_INSERTED, err)) == 0 &&
	    (ret = send_ordered(&ns, tables, err)) == 0)
		ret = apply_position(c->ap, to, d->last_commit_time, err);
	buf_done(&ns.out);
	diff_row_done(&ns.r);
	if (ret != 0) {
		struct pgtt_err	rerr;

		/* Never half a window: it is no state the source was in. */
		err_clear(&rerr);
		if (apply_rollback(c->ap, &rerr) != 0)
			log_msg(LOG_LEVEL_WARNING, "replay: rolling back: %s",
			    rerr.msg);
		if (ret == PGTT_ESTOPPED)
			c->r->cancelled = 1;
		goto out;
	}
	memset(&f, 0, sizeof f);
	if ((ret = apply_commit(c->ap, &f, err)) != 0) {
		if (verb_stop_requested(c->vc))
			c->r->cancelled = 1;
		goto out;
	}
	c->position = to;
	c->r->changes += d->changes;
	c->r->transactions += d->transactions;
	note_ordered(c, tables, d->ntouched);
	replay_progress_to(c, REPLAY_PHASE_APPLYING, c->r->changes);
out:
	for (i = 0; i < d->ntouched; i++) {
		if (tables[i].rel != NULL) {
			c->net_rels = xreallocarray(c->net_rels,
			    c->nnet_rels + 1, sizeof *c->net_rels);
			c->net_rels[c->nnet_rels++] = tables[i].rel;
		}
		free(tables[i].is_key);
	}
	free(tables);
	diff_free(d);
	return ret;
}
