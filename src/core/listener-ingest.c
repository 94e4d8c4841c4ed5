/*
 * listener-ingest.c: pgoutput events into the journal's write batch, as
 * the listener's connection half (listener.c) hands them over.  Each row
 * change is keyed (commit LSN, sequence) on arrival and filed in the row
 * index under the identity of the row it found and the row it left; a
 * relation message becomes a relation version when its columns changed.
 */
#include <stdlib.h>
#include <string.h>

#include "ddlrows.h"
#include "listener-int.h"
#include "logfile.h"
#include "rekey.h"
#include "rowkey.h"
#include "xmalloc.h"

#define DDL_PREFIX		"pgtt.ddl"

static void
batch_touch(struct listener *l)
{
	if (l->batch_started == 0)
		l->batch_started = listener_now_us();
}

/* Copy a decoded tuple into journal columns held in l->cols[base...]. */
static struct pgtt_tuple
to_tuple(struct listener *l, const struct pgo_tuple *t, size_t base)
{
	struct pgtt_tuple	out;
	uint16_t		i;

	out.ncols = t->ncols;
	out.cols = l->cols + base;
	for (i = 0; i < t->ncols; i++) {
		const struct pgo_value	*v = &t->values[i];
		struct pgtt_col		*c = &out.cols[i];

		c->kind = v->kind == 'n' ? COL_NULL : v->kind == 'u' ?
		    COL_TOAST : COL_TEXT;
		c->len = v->len;
		c->val = v->data;
	}
	return out;
}

static void
put_change(struct listener *l, struct pgtt_change *ch)
{
	ch->commit_lsn = l->txn.commit_lsn;
	ch->seq = l->txn.nchanges++;
	jbatch_put_change(l->batch, ch);
	l->batch_changes++;
	batch_touch(l);
}

/* Remember which columns identify rows of a relation version. */
static void
ingest_rel_set_keys(struct ingest_rel *rc, const struct pgtt_relation *rel)
{
	free(rc->keys);
	rc->ncols = rel->ncols;
	rc->keys = xcalloc((size_t)rel->ncols + 1, 1);
	relation_row_key(rel, rc->keys);
}

/*
 * The cache entry of relid, made from the newest stored version when this
 * connection has not sent the relation yet.  NULL with err set on a
 * journal failure; an entry without enc when the journal has no version.
 */
static struct ingest_rel *
ingest_rel_get(struct listener *l, uint32_t relid, struct pgtt_err *err)
{
	struct pgtt_relation	*stored;
	struct ingest_rel		*rc;
	struct buf		 old;
	size_t			 i;

	/* Every row change asks: a run of one table's rows asks once. */
	if (l->rel_last < l->nrels && l->rels[l->rel_last].relid == relid)
		return &l->rels[l->rel_last];
	for (i = 0; i < l->nrels; i++)
		if (l->rels[i].relid == relid) {
			l->rel_last = i;
			return &l->rels[i];
		}
	l->rels = xreallocarray(l->rels, l->nrels + 1, sizeof *l->rels);
	rc = &l->rels[l->nrels++];
	memset(rc, 0, sizeof *rc);
	rc->relid = relid;
	if (journal_relation_at(l->o.journal, relid, UINT64_MAX, UINT32_MAX,
	    &stored, err) == 0) {
		buf_init(&old);
		record_encode_relation(&old, stored);
		rc->enc = old.data;
		rc->len = old.len;
		ingest_rel_set_keys(rc, stored);
		free(stored);
	} else if (err->code != PGTT_ENOTFOUND) {
		l->nrels--;
		return NULL;
	}
	err_clear(err);
	return rc;
}

/*
 * File the change in the row index under the identity of the row it
 * found (old) and of the row it left (new), once when they are the same.
 */
static int
index_row(struct listener *l, const struct pgtt_change *ch,
    struct pgtt_err *err)
{
	struct ingest_rel	*rc;
	size_t		 oldlen, newlen;

	if ((rc = ingest_rel_get(l, ch->relid, err)) == NULL) {
		l->fatal = 1;
		return err->code;
	}
	buf_reset(&l->ident);
	if (ch->old_kind != OLD_NONE) {
		record_row_ident(&l->ident, &ch->old, rc->keys, rc->ncols);
		jbatch_put_row(l->batch, ch->relid, l->ident.data,
		    l->ident.len, ch->commit_lsn, ch->seq);
	}
	oldlen = l->ident.len;
	if (ch->kind == CHANGE_DELETE)
		return 0;
	record_row_ident(&l->ident, &ch->new, rc->keys, rc->ncols);
	newlen = l->ident.len - oldlen;
	if (ch->old_kind == OLD_NONE || newlen != oldlen ||
	    memcmp(l->ident.data, l->ident.data + oldlen, newlen) != 0)
		jbatch_put_row(l->batch, ch->relid, l->ident.data + oldlen,
		    newlen, ch->commit_lsn, ch->seq);
	return 0;
}

static int
on_row(struct listener *l, const struct pgo_event *ev, struct pgtt_err *err)
{
	struct pgtt_change	ch;
	size_t			need;

	need = (size_t)ev->u.change.old.ncols + ev->u.change.new.ncols;
	if (need > l->cols_cap) {
		l->cols = xreallocarray(l->cols, need, sizeof *l->cols);
		l->cols_cap = need;
	}
	memset(&ch, 0, sizeof ch);
	ch.kind = ev->type == PGO_INSERT ? CHANGE_INSERT :
	    ev->type == PGO_UPDATE ? CHANGE_UPDATE : CHANGE_DELETE;
	ch.relid = ev->u.change.relid;
	ch.old_kind = ev->u.change.old_kind == 'K' ? OLD_KEY :
	    ev->u.change.old_kind == 'O' ? OLD_FULL : OLD_NONE;
	if (ch.old_kind != OLD_NONE)
		ch.old = to_tuple(l, &ev->u.change.old, 0);
	if (ev->type != PGO_DELETE)
		ch.new = to_tuple(l, &ev->u.change.new,
		    ev->u.change.old.ncols);
	put_change(l, &ch);
	return index_row(l, &ch, err);
}

static int
has_key(const struct pgtt_relation *rel)
{
	uint16_t	i;

	for (i = 0; i < rel->ncols; i++)
		if (rel->cols[i].is_key)
			return 1;
	return 0;
}

/*
 * Under REPLICA IDENTITY FULL or NOTHING, or without a key as pgoutput
 * sees it (data loaded before its key, as pg_dump does, and read after
 * the key was made), pgoutput's flags do not say which columns name a
 * row: the catalog does.  Without it (the source
 * unreachable on a second connection) the version is kept without a row
 * key, and a later Relation message brings one.
 */
static void
find_row_key(struct listener *l, struct pgtt_relation *rel,
    const struct ingest_rel *rc)
{
	struct pgtt_relation	*prev;
	struct pgtt_err		 err;
	PGconn			*conn;
	uint16_t		 i, k;

	err_clear(&err);
	if ((conn = listener_plain_conn(l, &err)) != NULL &&
	    rowkey_read(conn, rel->relid, rel->cols, rel->ncols, &err) == 0)
		return;
	if (conn != NULL)
		listener_plain_lost(l);
	/*
	 * The key the version before had, column by column: a catalog out
	 * of reach for a moment must not make a new version that names the
	 * same rows another way.
	 */
	if (rc->enc != NULL && (prev = record_decode_relation(rc->enc,
	    rc->len, &err)) != NULL) {
		for (i = 0; i < rel->ncols; i++)
			for (k = 0; k < prev->ncols; k++)
				if (strcmp(rel->cols[i].name,
				    prev->cols[k].name) == 0)
					rel->cols[i].row_key =
					    prev->cols[k].row_key;
		free(prev);
		log_msg(LOG_LEVEL_WARNING, "listener: the key of %s.%s: %s; "
		    "kept the one it had", rel->schema, rel->name, err.msg);
		return;
	}
	log_msg(LOG_LEVEL_WARNING, "listener: the key of %s.%s: %s%s%s; "
	    "its rows are named by all their columns", rel->schema,
	    rel->name, err.msg, err.detail[0] != '\0' ? ": " : "",
	    err.detail);
}

/*
 * When rel names rows by other columns than the version before it (the
 * key added after the data, as pg_dump does), the rows the table holds
 * are filed under their new identities before rel is stored: a reader
 * asking by the key then finds each row's whole past.  The batch is
 * committed first, so the rows still in it are found too; a crash before
 * rel is stored makes the resent transaction do it again.
 */
static int
rekey_if_needed(struct listener *l, const struct ingest_rel *rc,
    const struct pgtt_relation *rel, struct pgtt_err *err)
{
	struct pgtt_relation	*prev;
	size_t			 n;
	int			 ret;

	if (rc->enc == NULL)
		return 0;
	if ((prev = record_decode_relation(rc->enc, rc->len, err)) == NULL) {
		l->fatal = 1;
		return err->code;
	}
	ret = rekey_needed(prev, rel);
	free(prev);
	if (!ret)
		return 0;
	if ((ret = listener_flush(l, err)) != 0)
		return ret;
	if ((ret = rekey_rows(l->o.journal, rel, l->batch, &n, err)) != 0) {
		l->fatal = 1;
		return ret;
	}
	batch_touch(l);
	log_msg(LOG_LEVEL_INFO, "listener: %s.%s names its rows by another "
	    "key now: %zu rows filed under it", rel->schema, rel->name, n);
	return 0;
}

/*
 * Store a relation version only when it differs from the newest stored
 * one: pgoutput resends Relation on every new connection.
 */
static int
on_relation(struct listener *l, const struct pgo_event *ev,
    struct pgtt_err *err)
{
	struct pgtt_relation	 rel;
	struct pgtt_column_def	*defs;
	struct ingest_rel		*rc = NULL;
	size_t			 i;

	/* pgoutput sends Relation only inside a transaction: its place. */
	if (!l->in_txn) {
		log_msg(LOG_LEVEL_WARNING, "ignored a Relation message for "
		    "%u outside a transaction", ev->u.relation.relid);
		return 0;
	}
	defs = xcalloc(ev->u.relation.ncols + 1, sizeof *defs);
	memset(&rel, 0, sizeof rel);
	rel.relid = ev->u.relation.relid;
	rel.lsn = l->txn.commit_lsn;
	rel.seq = l->txn.nchanges;
	rel.schema = ev->u.relation.nspname[0] != '\0' ?
	    ev->u.relation.nspname : "pg_catalog";
	rel.name = ev->u.relation.relname;
	rel.replident = ev->u.relation.replident;
	rel.ncols = ev->u.relation.ncols;
	rel.cols = defs;
	for (i = 0; i < rel.ncols; i++) {
		defs[i].name = ev->u.relation.cols[i].name;
		defs[i].type_oid = ev->u.relation.cols[i].type_oid;
		defs[i].typmod = ev->u.relation.cols[i].typmod;
		defs[i].is_key = ev->u.relation.cols[i].flags & 1;
	}
	if ((rc = ingest_rel_get(l, rel.relid, err)) == NULL) {
		free(defs);
		l->fatal = 1;
		return err->code;
	}
	if (rel.replident == 'f' || rel.replident == 'n' || !has_key(&rel))
		find_row_key(l, &rel, rc);
	buf_reset(&l->enc);
	record_encode_relation(&l->enc, &rel);
	ingest_rel_set_keys(rc, &rel);
	if (rc->enc == NULL || rc->len != l->enc.len ||
	    memcmp(rc->enc, l->enc.data, rc->len) != 0) {
		if (rekey_if_needed(l, rc, &rel, err) != 0) {
			free(defs);
			return err->code;
		}
		jbatch_put_relation(l->batch, &rel);
		batch_touch(l);
		free(rc->enc);
		rc->enc = xmalloc(l->enc.len);
		memcpy(rc->enc, l->enc.data, l->enc.len);
		rc->len = l->enc.len;
		log_msg(LOG_LEVEL_DEBUG, "relation %s.%s (%u): new version",
		    rel.schema, rel.name, rel.relid);
	}
	free(defs);
	return 0;
}

static void
on_commit_msg(struct listener *l, const struct pgo_event *ev)
{
	l->in_txn = 0;
	if (l->skip_txn) {
		l->skip_txn = 0;
		return;
	}
	l->txn.end_lsn = ev->u.commit.end_lsn;
	l->txn.commit_time = ev->u.commit.commit_time;
	jbatch_put_txn(l->batch, &l->txn);
	if (l->txn.flags & TXN_HAS_DDL)
		jbatch_put_meta_lsn(l->batch, "migration_lsn", l->txn.end_lsn);
	l->last_commit = l->txn.commit_lsn;
	l->batch_end = l->txn.end_lsn;
	l->batch_txns++;
	batch_touch(l);
}

/*
 * A message under the capture's prefix that carries rows DDL wrote: the
 * relation and the row changes pgoutput would have sent for them.
 * PGTT_ENOTFOUND when it is a DDL message instead.
 */
static int
on_ddl_rows(struct listener *l, const struct pgo_event *msg,
    struct pgtt_err *err)
{
	struct ddl_rows	rows;
	size_t		i;
	int		ret;

	if ((ret = ddl_rows_parse(msg->u.message.content, msg->u.message.len,
	    &rows, err)) != 0) {
		/*
		 * Journaled as it came, for replay to stop at: the stream
		 * goes on, and the slot does not keep WAL for a message no
		 * restart can read differently.
		 */
		if (ret != PGTT_ENOTFOUND)
			log_msg(LOG_LEVEL_WARNING, "listener: %s; journaled as "
			    "DDL, which replay will refuse", err->msg);
		return PGTT_ENOTFOUND;
	}
	ret = on_relation(l, &rows.relation, err);
	for (i = 0; ret == 0 && i < rows.nrows; i++)
		ret = on_row(l, &rows.rows[i], err);
	ddl_rows_done(&rows);
	return ret;
}

int
listener_ingest(struct listener *l, const struct pgo_event *ev,
    struct pgtt_err *err)
{
	struct pgtt_change	ch;
	uint32_t		i;

	switch (ev->type) {
	case PGO_BEGIN:
		l->in_txn = 1;
		l->skip_txn = ev->u.begin.final_lsn <= l->last_commit;
		memset(&l->txn, 0, sizeof l->txn);
		l->txn.commit_lsn = ev->u.begin.final_lsn;
		l->txn.xid = ev->xid;
		l->txn.commit_time = ev->u.begin.commit_time;
		return 0;
	case PGO_COMMIT:
		on_commit_msg(l, ev);
		return 0;
	case PGO_RELATION:
		return on_relation(l, ev, err);
	case PGO_ORIGIN:
	case PGO_TYPE:
		return 0;
	default:
		break;
	}
	if (!l->in_txn) {
		/* Only non-transactional messages arrive outside B..C. */
		log_msg(LOG_LEVEL_DEBUG, "ignored pgoutput message '%c' "
		    "outside a transaction", ev->type);
		return 0;
	}
	if (l->skip_txn)
		return 0;

	switch (ev->type) {
	case PGO_INSERT:
	case PGO_UPDATE:
	case PGO_DELETE:
		return on_row(l, ev, err);
	case PGO_TRUNCATE:
		memset(&ch, 0, sizeof ch);
		ch.kind = CHANGE_TRUNCATE;
		ch.nrelids = ev->u.truncate.nrelids;
		ch.relids = ev->u.truncate.relids;
		ch.truncate_flags = ev->u.truncate.options;
		put_change(l, &ch);
		/*
		 * Filed under each table, with no row: a table's part of the
		 * index then lists every change of it (a search by table).
		 */
		for (i = 0; i < ch.nrelids; i++)
			jbatch_put_row(l->batch, ch.relids[i],
			    JOURNAL_TRUNCATE_IDENT, JOURNAL_TRUNCATE_IDENT_LEN,
			    ch.commit_lsn, ch.seq);
		break;
	case PGO_MESSAGE:
		memset(&ch, 0, sizeof ch);
		ch.prefix = ev->u.message.prefix;
		ch.content = ev->u.message.content;
		ch.content_len = ev->u.message.len;
		/*
		 * Any role may emit a logical message: only one under the
		 * capture's secret prefix is DDL.  It is journaled under
		 * the plain prefix, without the secret.
		 */
		if (l->ddl_prefix != NULL &&
		    strcmp(ch.prefix, l->ddl_prefix) == 0) {
			int	ret = on_ddl_rows(l, ev, err);

			if (ret != PGTT_ENOTFOUND)
				return ret;
			err_clear(err);
			ch.kind = CHANGE_DDL;
			ch.prefix = DDL_PREFIX;
			l->txn.flags |= TXN_HAS_DDL;
		} else
			ch.kind = CHANGE_MESSAGE;
		put_change(l, &ch);
		break;
	default:
		l->fatal = 1;
		return err_set(err, PGTT_ECORRUPT, "unexpected pgoutput "
		    "message '%c': pgtt does not ask for streamed "
		    "transactions", ev->type);
	}
	return 0;
}
