/*
 * journal.c: the LMDB journal of one source, and the only file that
 * includes <lmdb.h>.
 *
 * One environment per directory holds seven sub-databases.  Every key is
 * big-endian so LMDB's byte order is history order: txn by commit LSN,
 * change by commit LSN and sequence, relation by relid, the LSN and the
 * sequence of the first change a version applies to,
 * version was first seen at (a change is read with the greatest version at
 * or before its LSN), bytime by commit time with the sign bit flipped and
 * commit LSN, checkpoint and session by id.  Values are record.c's
 * encodings; key fields are filled back in from the key when read.  The
 * meta key "format" holds JOURNAL_FORMAT and is checked before anything
 * else is touched.
 *
 * All writes go through a batch applied in one write transaction.  When the
 * map fills, the transaction is aborted, the map doubled and the whole
 * batch retried, so the journal never holds half a batch.  Resizing the map
 * is only safe with no transaction open in this process, so every
 * transaction is counted in map_enter/map_leave and a resize waits for the
 * count to reach zero.  A waiting resize holds back new transactions,
 * except in threads that already have one open: those nest (an iterator
 * and a relation lookup) and must not be made to wait for themselves.
 * Readers copy values out before their transaction ends.  An iterator is
 * one read transaction and a cursor on change that walks both ways from a
 * position key; lookups made through it share its snapshot.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal-int.h"
#include "fsutil.h"
#include "journal.h"
#include "xmalloc.h"

static const char *const db_names[DB_COUNT] = {
	"meta", "txn", "change", "relation", "bytime", "checkpoint", "session",
	"rowidx", "seqval"
};

struct journal {
	MDB_env			*env;
	MDB_dbi			 dbi[DB_COUNT];
	char			*dir;
	int			 flags;
	pthread_mutex_t		 mtx;		/* guards the counts below */
	pthread_cond_t		 cond;
	unsigned int		 txns;		/* transactions open */
	unsigned int		 waiting;	/* resizes waiting for txns */
	int			 resizing;
	int			 has_rowidx;	/* this process opened the index */
	int			 has_seqval;	/* a reader of an older journal
						   may find no samples */
	pgtt_lsn		 rowidx_since;
};

/* Transactions this thread has open, on any journal. */
static _Thread_local unsigned int thread_txns;

/*
 * pos is the position of journal.h, big-endian like the keys; past means
 * one beyond the greatest key there can be.  at says where the cursor is:
 * on the change next just returned (greatest < pos), on the one prev just
 * returned (least >= pos), or nowhere useful.
 */
enum iter_at { AT_NONE, AT_NEXT, AT_PREV };

struct journal_iter {
	struct journal	*j;
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_cursor	*rowcur;	/* row index; opened on first use */
	uint8_t		 pos[12];
	int		 past;
	enum iter_at	 at;
};


/* Report an LMDB failure: what we tried, where, and LMDB's own words. */
static int
jerr(const struct journal *j, struct pgtt_err *e, int code, int rc,
    const char *what)
{
	struct statvfs	vfs;

	err_set(e, code, "could not %s journal \"%s\"", what, j->dir);
	/*
	 * LMDB reports a write the disk cut short as EIO: say what ran
	 * out when it is the file system's space.
	 */
	if (rc == EIO && statvfs(j->dir, &vfs) == 0 &&
	    (uint64_t)vfs.f_bavail * vfs.f_frsize < (1u << 20))
		err_detail(e, "%s: the file system holding it is full",
		    strerror(ENOSPC));
	else
		err_detail(e, "%s", mdb_strerror(rc));
	return code;
}

/* A key of the wrong size means the file is not what we wrote. */
static int
bad_key(const struct journal *j, struct pgtt_err *e, int db)
{
	err_set(e, PGTT_ECORRUPT, "corrupt %s key in journal \"%s\"",
	    db_names[db], j->dir);
	return PGTT_ECORRUPT;
}

/* Say where a record that failed to decode lives. */
static int
decode_failed(const struct journal *j, struct pgtt_err *e, int db)
{
	err_where(e, "journal \"%s\", database \"%s\"", j->dir, db_names[db]);
	return e->code;
}

/* Count a transaction about to begin; wait out a resize unless nesting. */
static void
map_enter(struct journal *j)
{
	pthread_mutex_lock(&j->mtx);
	while (j->resizing || (j->waiting > 0 && thread_txns == 0))
		pthread_cond_wait(&j->cond, &j->mtx);
	j->txns++;
	thread_txns++;
	pthread_mutex_unlock(&j->mtx);
}

/* A transaction has ended; a waiting resize may go ahead. */
static void
map_leave(struct journal *j)
{
	pthread_mutex_lock(&j->mtx);
	j->txns--;
	thread_txns--;
	if (j->txns == 0)
		pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->mtx);
}

/*
 * Double the map (grow) or adopt the size another process gave the file,
 * once no transaction is open.  A thread with one open (on any journal:
 * the count is per thread) would wait for itself, so it gets EDEADLK; its
 * open transaction also means no resize is running, so reading the size
 * is safe.
 */
static int
map_resize(struct journal *j, int grow, size_t *size)
{
	MDB_envinfo	info;
	int		rc;

	if (thread_txns > 0) {
		mdb_env_info(j->env, &info);
		*size = info.me_mapsize;
		return EDEADLK;
	}
	pthread_mutex_lock(&j->mtx);
	j->waiting++;
	while (j->txns > 0 || j->resizing)
		pthread_cond_wait(&j->cond, &j->mtx);
	j->waiting--;
	j->resizing = 1;
	pthread_mutex_unlock(&j->mtx);

	mdb_env_info(j->env, &info);
	*size = info.me_mapsize;
	if (!grow)
		rc = mdb_env_set_mapsize(j->env, 0);
	else if (*size > SIZE_MAX / 2)
		rc = ENOMEM;
	else
		rc = mdb_env_set_mapsize(j->env, *size * 2);

	pthread_mutex_lock(&j->mtx);
	j->resizing = 0;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->mtx);
	return rc;
}

/*
 * Begin a transaction, counted until txn_end, adopting a map another
 * process grew.
 */
static int
txn_begin(struct journal *j, unsigned int flags, MDB_txn **txn,
    struct pgtt_err *e)
{
	size_t	size;
	int	rc;

	for (;;) {
		map_enter(j);
		rc = mdb_txn_begin(j->env, NULL, flags, txn);
		if (rc == 0)
			return 0;
		map_leave(j);
		if (rc != MDB_MAP_RESIZED ||
		    (rc = map_resize(j, 0, &size)) != 0) {
			return jerr(j, e, PGTT_EJOURNAL, rc,
			    (flags & MDB_RDONLY) ? "read" : "write to");
		}
	}
}

/* End a read transaction, or a write transaction that failed. */
static void
txn_end(struct journal *j, MDB_txn *txn)
{
	mdb_txn_abort(txn);
	map_leave(j);
}

/* Double the map after MDB_MAP_FULL; no transaction may be open. */
static int
grow_map(struct journal *j, struct pgtt_err *e)
{
	size_t	size;
	int	rc;

	if ((rc = map_resize(j, 1, &size)) == 0)
		return 0;
	err_set(e, PGTT_EMAPFULL, "journal \"%s\" is full and its map of "
	    "%zu bytes could not grow", j->dir, size);
	err_detail(e, "%s", rc == EDEADLK ? "this thread holds a journal "
	    "transaction open" : mdb_strerror(rc));
	err_hint(e, "free memory or disk space, or raise \"storage.map_size\"");
	return PGTT_EMAPFULL;
}

int
journal_check_on_disk(struct journal *j, struct pgtt_err *e)
{
	struct stat	 open_sb, disk_sb;
	mdb_filehandle_t fd;
	char		*path;
	int		 same;

	if (mdb_env_get_fd(j->env, &fd) != 0 || fstat(fd, &open_sb) != 0)
		return err_set(e, PGTT_EJOURNAL, "could not look at the open "
		    "journal in \"%s\": %s", j->dir, strerror(errno));
	xasprintf(&path, "%s/data.mdb", j->dir);
	same = stat(path, &disk_sb) == 0 && disk_sb.st_dev == open_sb.st_dev &&
	    disk_sb.st_ino == open_sb.st_ino && open_sb.st_nlink > 0;
	if (!same) {
		err_set(e, PGTT_EJOURNAL, "the journal \"%s\" was deleted or "
		    "replaced while pgtt had it open", path);
		err_hint(e, "what came since was not confirmed to the server, "
		    "so the slot still holds it: put the journal back and "
		    "listen again; or, to start a new history without it, "
		    "drop the slot and run setup");
	}
	free(path);
	return same ? 0 : e->code;
}

/* data.mdb is what LMDB creates first, so it marks a journal. */
int
journal_exists(const char *dir)
{
	struct stat	 sb;
	char		*path;
	int		 found;

	xasprintf(&path, "%s/data.mdb", dir);
	found = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
	free(path);
	return found;
}

/*
 * The row index, in the open transaction txn.  A journal of format 2 has
 * none: a writer makes it, files under it only what comes from now on, and
 * says so in meta "rowidx_since"; a reader goes on without it.
 */
static int
open_rowidx(struct journal *j, MDB_txn *txn, int fresh)
{
	MDB_val		 k, v;
	uint8_t		 key[8];
	char		 text[LSN_BUFSIZE];
	MDB_cursor	*cur;
	pgtt_lsn	 since = 0;
	int		 rc, ro = (j->flags & JOURNAL_READONLY) != 0;

	j->has_rowidx = 0;
	j->rowidx_since = UINT64_MAX;
	rc = mdb_dbi_open(txn, "rowidx", 0, &j->dbi[DB_ROWIDX]);
	if (rc == MDB_NOTFOUND && ro)
		return 0;
	if (rc == MDB_NOTFOUND) {
		/* History before now stays out of it. */
		rc = 0;
		if (!fresh && (rc = mdb_cursor_open(txn, j->dbi[DB_TXN],
		    &cur)) == 0) {
			if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 &&
			    k.mv_size == sizeof key)
				since = be64_get(k.mv_data) + 1;
			mdb_cursor_close(cur);
		}
		if (rc == 0)
			rc = mdb_dbi_open(txn, "rowidx", MDB_CREATE,
			    &j->dbi[DB_ROWIDX]);
		k.mv_data = (void *)"rowidx_since";
		k.mv_size = strlen("rowidx_since");
		v.mv_data = (void *)lsn_format(since, text);
		v.mv_size = strlen(text);
		if (rc == 0)
			rc = mdb_put(txn, j->dbi[DB_META], &k, &v, 0);
		if (rc != 0)
			return rc;
	}
	if (rc != 0)
		return rc;
	k.mv_data = (void *)"rowidx_since";
	k.mv_size = strlen("rowidx_since");
	if ((rc = mdb_get(txn, j->dbi[DB_META], &k, &v)) == 0) {
		snprintf(text, sizeof text, "%.*s", (int)(v.mv_size <
		    sizeof text - 1 ? v.mv_size : sizeof text - 1),
		    (const char *)v.mv_data);
		if (lsn_parse(text, &since) != 0)
			return MDB_CORRUPTED;
	} else if (rc != MDB_NOTFOUND)
		return rc;
	j->has_rowidx = 1;
	j->rowidx_since = since;
	return 0;
}

/*
 * Check the format marker and open every sub-database, in one
 * transaction.  A foreign journal is refused before anything is created in
 * it; a fresh one gets its marker.  Format 2 is format 3 without the row
 * index: a writer adds the index and marks the journal 3, so an older pgtt,
 * which would not keep the index, no longer writes to it.
 */
static int
open_dbs(struct journal *j, struct pgtt_err *e)
{
	MDB_txn		*txn;
	MDB_val		 k, v;
	unsigned int	 dbflags;
	char		 have[32];
	long		 format = 0;
	int		 rc, i, ro, fresh = 0;

	k.mv_data = (void *)"format";
	k.mv_size = strlen("format");
	ro = (j->flags & JOURNAL_READONLY) != 0;
	dbflags = ro ? 0 : MDB_CREATE;
	if ((rc = txn_begin(j, ro ? MDB_RDONLY : 0, &txn, e)) != 0)
		return rc;

	rc = mdb_dbi_open(txn, "meta", dbflags, &j->dbi[DB_META]);
	if (rc == 0)
		rc = mdb_get(txn, j->dbi[DB_META], &k, &v);
	if (rc == 0) {
		snprintf(have, sizeof have, "%.*s",
		    (int)(v.mv_size < 31 ? v.mv_size : 31),
		    (const char *)v.mv_data);
		format = strtol(have, NULL, 10);
		if ((format != JOURNAL_FORMAT && format != 2) ||
		    strspn(have, "0123456789") != strlen(have)) {
			txn_end(j, txn);
			err_set(e, PGTT_EVERSION, "journal \"%s\" has format "
			    "%s, this pgtt reads formats 2 and %d", j->dir,
			    have, JOURNAL_FORMAT);
			err_hint(e, "use the pgtt that wrote it, or give this "
			    "one a new \"storage.path\"");
			return PGTT_EVERSION;
		}
	} else if (rc == MDB_NOTFOUND && !ro &&
	    (j->flags & JOURNAL_CREATE)) {
		fresh = 1;
		format = 2;	/* marked JOURNAL_FORMAT below */
		rc = 0;
	} else if (rc == MDB_NOTFOUND) {
		txn_end(j, txn);
		err_set(e, PGTT_EJOURNAL, "journal \"%s\" has no format marker",
		    j->dir);
		err_hint(e, "run \"pgtt --headless setup\" first");
		return PGTT_EJOURNAL;
	}
	if (rc == 0 && format != JOURNAL_FORMAT && !ro) {
		snprintf(have, sizeof have, "%d", JOURNAL_FORMAT);
		v.mv_data = have;
		v.mv_size = strlen(have);
		rc = mdb_put(txn, j->dbi[DB_META], &k, &v, 0);
	}

	for (i = DB_META + 1; rc == 0 && i < DB_ROWIDX; i++)
		rc = mdb_dbi_open(txn, db_names[i], dbflags, &j->dbi[i]);
	if (rc == 0)
		rc = open_rowidx(j, txn, fresh);
	if (rc == 0) {
		rc = mdb_dbi_open(txn, db_names[DB_SEQVAL], dbflags,
		    &j->dbi[DB_SEQVAL]);
		j->has_seqval = rc == 0;
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	if (rc != 0) {
		txn_end(j, txn);
		return jerr(j, e, PGTT_EJOURNAL, rc, "open");
	}
	rc = mdb_txn_commit(txn);
	map_leave(j);
	if (rc != 0)
		return jerr(j, e, PGTT_EJOURNAL, rc, "open");
	return 0;
}

/* Open or create the environment, then check its format. */
int
journal_open(struct journal **jp, const char *dir, uint64_t map_size,
    int flags, struct pgtt_err *e)
{
	struct journal	*j;
	MDB_envinfo	 info;
	unsigned int	 envflags = MDB_NOTLS;
	int		 rc, exists;

	*jp = NULL;
	exists = journal_exists(dir);
	if (!exists && ((flags & JOURNAL_READONLY) ||
	    !(flags & JOURNAL_CREATE))) {
		err_set(e, PGTT_ENOTFOUND, "no journal in \"%s\"", dir);
		err_hint(e, "run \"pgtt --headless setup\" first");
		return PGTT_ENOTFOUND;
	}
	if (!exists && fs_mkdirs(dir, e) != 0)
		return e->code;
	if (map_size > SIZE_MAX)
		map_size = SIZE_MAX;

	j = xcalloc(1, sizeof *j);
	j->dir = xstrdup(dir);
	j->flags = flags;
	pthread_mutex_init(&j->mtx, NULL);
	pthread_cond_init(&j->cond, NULL);
	if ((rc = mdb_env_create(&j->env)) != 0) {
		j->env = NULL;
		goto fail;
	}
	mdb_env_set_maxdbs(j->env, 16);
	mdb_env_set_maxreaders(j->env, 126);
	/* An existing file keeps its own size: a smaller one would shrink it. */
	if (!exists && map_size != 0)
		mdb_env_set_mapsize(j->env, (size_t)map_size);
	if (flags & JOURNAL_READONLY)
		envflags |= MDB_RDONLY;
	if ((rc = mdb_env_open(j->env, dir, envflags, 0600)) != 0)
		goto fail;
	if (exists && !(flags & JOURNAL_READONLY) && map_size != 0) {
		mdb_env_info(j->env, &info);
		if (info.me_mapsize < map_size &&
		    (rc = mdb_env_set_mapsize(j->env, (size_t)map_size)) != 0)
			goto fail;
	}
	if (open_dbs(j, e) != 0) {
		journal_close(j);
		return e->code;
	}
	*jp = j;
	return 0;

fail:
	jerr(j, e, PGTT_EJOURNAL, rc, "open");
	journal_close(j);
	return PGTT_EJOURNAL;
}

/* Close the environment; no transaction may still be open. */
void
journal_close(struct journal *j)
{
	if (j == NULL)
		return;
	if (j->env != NULL)
		mdb_env_close(j->env);
	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->mtx);
	free(j->dir);
	free(j);
}

/* For messages that name the journal. */
const char *
journal_dir(const struct journal *j)
{
	return j->dir;
}

/* A copy of one meta value as a C string. */
int
journal_meta_get(struct journal *j, const char *key, char **value,
    struct pgtt_err *e)
{
	MDB_txn	*txn;
	MDB_val	 k, v;
	int	 rc;

	if ((rc = txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	k.mv_data = (void *)key;
	k.mv_size = strlen(key);
	rc = mdb_get(txn, j->dbi[DB_META], &k, &v);
	if (rc == 0)
		*value = xstrndup(v.mv_data, v.mv_size);
	txn_end(j, txn);
	if (rc == MDB_NOTFOUND) {
		return err_set(e, PGTT_ENOTFOUND,
		    "journal \"%s\" has no meta key \"%s\"", j->dir, key);
	}
	if (rc != 0)
		return jerr(j, e, PGTT_EJOURNAL, rc, "read");
	return 0;
}

/* Meta LSNs are stored in their X/Y text form. */
int
journal_meta_get_lsn(struct journal *j, const char *key, pgtt_lsn *lsn,
    struct pgtt_err *e)
{
	char	*text;
	int	 rc;

	if ((rc = journal_meta_get(j, key, &text, e)) != 0)
		return rc;
	if (lsn_parse(text, lsn) != 0) {
		rc = err_set(e, PGTT_ECORRUPT, "journal \"%s\" meta key \"%s\" "
		    "holds \"%s\", not an LSN", j->dir, key, text);
	}
	free(text);
	return rc;
}

/* One past the greatest id in db, seeing this transaction's own puts. */
static int
next_id(MDB_txn *txn, MDB_dbi dbi, uint8_t *key)
{
	MDB_cursor	*cur;
	MDB_val		 k, v;
	uint32_t	 id = 0;
	int		 rc;

	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	mdb_cursor_close(cur);
	if (rc == 0 && k.mv_size == 4)
		id = be32_get(k.mv_data);
	else if (rc == 0)
		return MDB_CORRUPTED;
	else if (rc != MDB_NOTFOUND)
		return rc;
	if (id == UINT32_MAX)
		return EOVERFLOW;
	be32_put(key, id + 1);
	return 0;
}

/* Every entry of the batch, in order, inside txn; an LMDB code. */
static int
jbatch_apply(struct journal *j, MDB_txn *txn, const struct jbatch *b)
{
	const struct jent	*ent;
	MDB_val			 k, v;
	uint8_t			 idkey[4];
	size_t			 i, end;
	int			 rc = 0;

	for (i = 0; i < b->nents && rc == 0; i++) {
		ent = &b->ents[i];
		end = i + 1 < b->nents ? ent[1].koff : b->bytes.len;
		k.mv_data = b->bytes.data + ent->koff;
		k.mv_size = ent->klen;
		v.mv_data = b->bytes.data + ent->koff + ent->klen;
		v.mv_size = end - ent->koff - ent->klen;
		if (ent->assign_id) {
			if ((rc = next_id(txn, j->dbi[ent->db], idkey)) != 0)
				break;
			k.mv_data = idkey;
		}
		/*
		 * History arrives in key order: appending skips the descent and
		 * fills pages whole.  A key that is not past the end (a resent
		 * transaction, the time index, the row index but for rows
		 * inserted in key order) takes the ordinary path.
		 */
		if ((ent->db == DB_ROWIDX && !j->has_rowidx) ||
		    (ent->db == DB_SEQVAL && !j->has_seqval))
			continue;
		if (ent->op == OP_PUT && (ent->db == DB_CHANGE ||
		    ent->db == DB_TXN || ent->db == DB_BYTIME ||
		    ent->db == DB_ROWIDX)) {
			rc = mdb_put(txn, j->dbi[ent->db], &k, &v, MDB_APPEND);
			if (rc == MDB_KEYEXIST)
				rc = mdb_put(txn, j->dbi[ent->db], &k, &v, 0);
		} else if (ent->op == OP_PUT)
			rc = mdb_put(txn, j->dbi[ent->db], &k, &v, 0);
		else if ((rc = mdb_del(txn, j->dbi[ent->db], &k, NULL)) ==
		    MDB_NOTFOUND)
			rc = 0;
	}
	return rc;
}

/* All of the batch or none of it, growing the map as needed. */
int
journal_commit(struct journal *j, struct jbatch *b, struct pgtt_err *e)
{
	MDB_txn	*txn;
	int	 rc;

	if (j->flags & JOURNAL_READONLY) {
		return err_set(e, PGTT_EJOURNAL,
		    "journal \"%s\" is open read-only", j->dir);
	}
	if (b->nents == 0)
		return 0;
	for (;;) {
		if ((rc = txn_begin(j, 0, &txn, e)) != 0)
			return rc;
		if ((rc = jbatch_apply(j, txn, b)) != 0)
			mdb_txn_abort(txn);
		else
			rc = mdb_txn_commit(txn);
		map_leave(j);
		if (rc == 0)
			break;
		if (rc != MDB_MAP_FULL)
			return jerr(j, e, PGTT_EJOURNAL, rc, "write to");
		if ((rc = grow_map(j, e)) != 0)
			return rc;
	}
	jbatch_clear(b);
	return 0;
}

/* Counts and bounds for "pgtt status" and the header line. */
int
journal_stats(struct journal *j, struct journal_stats *st,
    struct pgtt_err *e)
{
	uint64_t	*counts[DB_COUNT] = { NULL };
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_stat	 ms;
	MDB_envinfo	 info;
	MDB_val		 k, v;
	struct stat	 sb;
	char		*path;
	int		 rc, i;

	memset(st, 0, sizeof *st);
	counts[DB_TXN] = &st->transactions;
	counts[DB_CHANGE] = &st->changes;
	counts[DB_RELATION] = &st->relations;
	counts[DB_CHECKPOINT] = &st->checkpoints;
	counts[DB_SESSION] = &st->sessions;
	if ((rc = txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	for (i = 0; rc == 0 && i < DB_COUNT; i++) {
		if (counts[i] != NULL &&
		    (rc = mdb_stat(txn, j->dbi[i], &ms)) == 0)
			*counts[i] = ms.ms_entries;
	}
	if (rc == 0 && (rc = mdb_cursor_open(txn, j->dbi[DB_TXN], &cur)) == 0) {
		if ((rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == 0 &&
		    k.mv_size == 8)
			st->first_lsn = be64_get(k.mv_data);
		if (rc == 0 && (rc = mdb_cursor_get(cur, &k, &v,
		    MDB_LAST)) == 0 && k.mv_size == 8)
			st->last_lsn = be64_get(k.mv_data);
		if (rc == MDB_NOTFOUND)
			rc = 0;
		mdb_cursor_close(cur);
	}
	mdb_env_info(j->env, &info);
	st->map_size = info.me_mapsize;
	txn_end(j, txn);
	if (rc != 0)
		return jerr(j, e, PGTT_EJOURNAL, rc, "read");

	xasprintf(&path, "%s/data.mdb", j->dir);
	if (stat(path, &sb) != 0) {
		rc = err_set(e, PGTT_EIO, "could not stat \"%s\": %s", path,
		    strerror(errno));
	} else
		st->file_size = (uint64_t)sb.st_size;
	free(path);
	return rc;
}

/* One transaction by its exact commit LSN, inside txn. */
static int
txn_get_in(struct journal *j, MDB_txn *txn, pgtt_lsn lsn,
    struct pgtt_txn **out, struct pgtt_err *e)
{
	struct pgtt_txn	*t = NULL;
	MDB_val		 k, v;
	uint8_t		 key[8];
	char		 text[LSN_BUFSIZE];
	int		 rc;

	be64_put(key, lsn);
	k.mv_data = key;
	k.mv_size = sizeof key;
	if ((rc = mdb_get(txn, j->dbi[DB_TXN], &k, &v)) == 0)
		t = record_decode_txn(v.mv_data, v.mv_size, e);
	if (rc == MDB_NOTFOUND) {
		return err_set(e, PGTT_ENOTFOUND,
		    "no transaction committed at %s", lsn_format(lsn, text));
	}
	if (rc != 0)
		return jerr(j, e, PGTT_EJOURNAL, rc, "read");
	if (t == NULL)
		return decode_failed(j, e, DB_TXN);
	t->commit_lsn = lsn;
	*out = t;
	return 0;
}

/* One transaction by its exact commit LSN. */
int
journal_txn_get(struct journal *j, pgtt_lsn lsn, struct pgtt_txn **out,
    struct pgtt_err *e)
{
	MDB_txn	*txn;
	int	 rc;

	if ((rc = txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	rc = txn_get_in(j, txn, lsn, out, e);
	txn_end(j, txn);
	return rc;
}

enum seek_mode { SEEK_GE, SEEK_LT, SEEK_LE };

/*
 * Put cur on the least key >= key, the greatest key < key or the greatest
 * key <= key.  SET_RANGE finds the least key >= key; for the other two the
 * one before it is the answer unless it matched exactly.
 */
static int
cursor_seek(MDB_cursor *cur, const uint8_t *key, size_t klen,
    enum seek_mode mode, MDB_val *k, MDB_val *v)
{
	int	rc;

	k->mv_data = (void *)key;
	k->mv_size = klen;
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (mode == SEEK_GE)
		return rc;
	if (mode == SEEK_LE && rc == 0 && k->mv_size == klen &&
	    memcmp(k->mv_data, key, klen) == 0)
		return 0;
	if (rc == 0)
		return mdb_cursor_get(cur, k, v, MDB_PREV);
	if (rc == MDB_NOTFOUND)
		return mdb_cursor_get(cur, k, v, MDB_LAST);
	return rc;
}

/*
 * The version of a relation the change (lsn, seq) must be read with, in
 * txn: the greatest key <= (relid, lsn, seq).  A version carries the seq
 * of the first change it applies to, so an ALTER TABLE in the middle of a
 * transaction splits that transaction's changes correctly.
 */
static int
relation_at_in(struct journal *j, MDB_txn *txn, uint32_t relid,
    pgtt_lsn lsn, uint32_t seq, struct pgtt_relation **out,
    struct pgtt_err *e)
{
	struct pgtt_relation	*rel = NULL;
	MDB_cursor		*cur;
	MDB_val			 k, v;
	uint8_t			 key[16];
	char			 text[LSN_BUFSIZE];
	int			 rc;

	be32_put(key, relid);
	be64_put(key + 4, lsn);
	be32_put(key + 12, seq);
	if ((rc = mdb_cursor_open(txn, j->dbi[DB_RELATION], &cur)) == 0) {
		rc = cursor_seek(cur, key, sizeof key, SEEK_LE, &k, &v);
		if (rc == 0 && (k.mv_size != sizeof key ||
		    be32_get(k.mv_data) != relid))
			rc = MDB_NOTFOUND;
		if (rc == 0 && (rel = record_decode_relation(v.mv_data,
		    v.mv_size, e)) != NULL) {
			rel->lsn = be64_get((uint8_t *)k.mv_data + 4);
			rel->seq = be32_get((uint8_t *)k.mv_data + 12);
			/* Where it stops applying, so readers can cache it. */
			rel->next_lsn = UINT64_MAX;
			rel->next_seq = UINT32_MAX;
			if (mdb_cursor_get(cur, &k, &v, MDB_NEXT) == 0 &&
			    k.mv_size == sizeof key &&
			    be32_get(k.mv_data) == relid) {
				rel->next_lsn = be64_get((uint8_t *)k.mv_data +
				    4);
				rel->next_seq = be32_get((uint8_t *)k.mv_data +
				    12);
			}
		}
		mdb_cursor_close(cur);
	}
	if (rc == MDB_NOTFOUND) {
		return err_set(e, PGTT_ENOTFOUND, "no relation %u known at %s",
		    relid, lsn_format(lsn, text));
	}
	if (rc != 0)
		return jerr(j, e, PGTT_EJOURNAL, rc, "read");
	if (rel == NULL)
		return decode_failed(j, e, DB_RELATION);
	rel->relid = relid;
	*out = rel;
	return 0;
}

/* The version of a relation the change (lsn, seq) must be read with. */
int
journal_relation_named(struct journal *j, const char *schema,
    const char *name, struct pgtt_err *e)
{
	struct pgtt_relation	*rel;
	MDB_txn			*txn;
	MDB_cursor		*cur;
	MDB_val			 k, v;
	int			 rc, found = 0, bad = 0;

	if ((rc = txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, j->dbi[DB_RELATION], &cur)) == 0) {
		while (!found && (rc = mdb_cursor_get(cur, &k, &v,
		    MDB_NEXT)) == 0) {
			if ((rel = record_decode_relation(v.mv_data, v.mv_size,
			    e)) == NULL) {
				bad = 1;
				break;
			}
			found = strcmp(rel->name, name) == 0 &&
			    (schema == NULL || strcmp(rel->schema, schema) == 0);
			free(rel);
		}
		mdb_cursor_close(cur);
	}
	txn_end(j, txn);
	if (bad)
		return e->code;
	if (rc != 0 && rc != MDB_NOTFOUND)
		return jerr(j, e, PGTT_EJOURNAL, rc, "read");
	return found;
}

int
journal_relation_at(struct journal *j, uint32_t relid, pgtt_lsn lsn,
    uint32_t seq, struct pgtt_relation **out, struct pgtt_err *e)
{
	MDB_txn	*txn;
	int	 rc;

	if ((rc = txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	rc = relation_at_in(j, txn, relid, lsn, seq, out, e);
	txn_end(j, txn);
	return rc;
}

/*
 * The seeks: probe is an LSN for txn and a time for bytime, whose keys end
 * in the commit LSN.
 */
static int
seek(struct journal *j, int db, uint64_t probe, enum seek_mode mode,
    pgtt_lsn *commit_lsn, struct pgtt_err *e)
{
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	uint8_t		 key[16];
	size_t		 klen = db == DB_BYTIME ? 16 : 8;
	char		 text[LSN_BUFSIZE];
	int		 rc;

	be64_put(key, db == DB_BYTIME ? time_key((int64_t)probe) : probe);
	be64_put(key + 8, 0);
	if ((rc = txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, j->dbi[db], &cur)) == 0) {
		rc = cursor_seek(cur, key, klen, mode, &k, &v);
		if (rc == 0 && k.mv_size == klen)
			*commit_lsn = be64_get((uint8_t *)k.mv_data + klen - 8);
		else if (rc == 0)
			rc = MDB_CORRUPTED;
		mdb_cursor_close(cur);
	}
	txn_end(j, txn);
	if (rc == MDB_NOTFOUND && db == DB_BYTIME) {
		return err_set(e, PGTT_ENOTFOUND, "no transaction committed "
		    "at or after time %lld", (long long)probe);
	}
	if (rc == MDB_NOTFOUND) {
		return err_set(e, PGTT_ENOTFOUND, "no transaction committed "
		    "%s %s", mode == SEEK_GE ? "at or after" : "before",
		    lsn_format(probe, text));
	}
	if (rc == MDB_CORRUPTED)
		return bad_key(j, e, db);
	if (rc != 0)
		return jerr(j, e, PGTT_EJOURNAL, rc, "read");
	return 0;
}

/* Where "goto LSN" lands: the first commit at or after it. */
int
journal_seek_lsn(struct journal *j, pgtt_lsn lsn, pgtt_lsn *commit_lsn,
    struct pgtt_err *e)
{
	return seek(j, DB_TXN, lsn, SEEK_GE, commit_lsn, e);
}

/* Stepping back: the last commit strictly before lsn. */
int
journal_seek_before_lsn(struct journal *j, pgtt_lsn lsn,
    pgtt_lsn *commit_lsn, struct pgtt_err *e)
{
	return seek(j, DB_TXN, lsn, SEEK_LT, commit_lsn, e);
}

/* Where "goto time" lands: the first commit at or after t. */
int
journal_seek_time(struct journal *j, int64_t t, pgtt_lsn *commit_lsn,
    struct pgtt_err *e)
{
	return seek(j, DB_BYTIME, (uint64_t)t, SEEK_GE, commit_lsn, e);
}

/* The newest sequence sample taken at or before lsn. */
int
journal_seqsample_at(struct journal *j, pgtt_lsn lsn,
    struct pgtt_seqsample **out, struct pgtt_err *e)
{
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	uint8_t		 key[8];
	char		 text[LSN_BUFSIZE];
	int		 rc;

	*out = NULL;
	if (!j->has_seqval)
		return err_set(e, PGTT_ENOTFOUND, "this journal holds no "
		    "sequence samples");
	be64_put(key, lsn);
	if ((rc = txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, j->dbi[DB_SEQVAL], &cur)) == 0) {
		rc = cursor_seek(cur, key, sizeof key, SEEK_LE, &k, &v);
		if (rc == 0 && k.mv_size != sizeof key)
			rc = MDB_CORRUPTED;
		if (rc == 0 && (*out = record_decode_seqsample(v.mv_data,
		    v.mv_size, e)) != NULL)
			(*out)->lsn = be64_get(k.mv_data);
		else if (rc == 0)
			rc = -1;
		mdb_cursor_close(cur);
	}
	txn_end(j, txn);
	if (rc == -1)
		return decode_failed(j, e, DB_SEQVAL);
	if (rc == MDB_NOTFOUND)
		return err_set(e, PGTT_ENOTFOUND, "no sequence sample at or "
		    "before %s", lsn_format(lsn, text));
	if (rc == MDB_CORRUPTED)
		return bad_key(j, e, DB_SEQVAL);
	if (rc != 0)
		return jerr(j, e, PGTT_EJOURNAL, rc, "read");
	return 0;
}

/* The read transaction lives until journal_iter_close. */
int
journal_iter_open(struct journal *j, pgtt_lsn from,
    struct journal_iter **out, struct pgtt_err *e)
{
	struct journal_iter	*it;
	int			 rc;

	it = xcalloc(1, sizeof *it);
	it->j = j;
	journal_iter_seek(it, from, 0, e);
	if ((rc = txn_begin(j, MDB_RDONLY, &it->txn, e)) != 0) {
		free(it);
		return rc;
	}
	if ((rc = mdb_cursor_open(it->txn, j->dbi[DB_CHANGE], &it->cur)) != 0) {
		txn_end(j, it->txn);
		free(it);
		return jerr(j, e, PGTT_EJOURNAL, rc, "read");
	}
	*out = it;
	return 0;
}

/* Only the position moves: the cursor is placed by the next step. */
int
journal_iter_seek(struct journal_iter *it, pgtt_lsn lsn, uint32_t seq,
    struct pgtt_err *e)
{
	(void)e;
	be64_put(it->pos, lsn);
	be32_put(it->pos + 8, seq);
	it->past = 0;
	it->at = AT_NONE;
	return 0;
}

/*
 * Finish a step that left the cursor on (k, v): copy the change out and
 * move the position.  A next moves it one past the key, a prev onto it.
 */
static int
iter_take(struct journal_iter *it, int rc, const MDB_val *k,
    const MDB_val *v, enum iter_at at, struct pgtt_change **out,
    struct pgtt_err *e)
{
	struct pgtt_change	*ch;
	uint32_t		 seq;
	pgtt_lsn		 lsn;

	if (rc == MDB_NOTFOUND) {
		it->at = AT_NONE;
		return 0;
	}
	if (rc != 0) {
		it->at = AT_NONE;
		return jerr(it->j, e, PGTT_EJOURNAL, rc, "read");
	}
	if (k->mv_size != sizeof it->pos) {
		it->at = AT_NONE;
		return bad_key(it->j, e, DB_CHANGE);
	}
	if ((ch = record_decode_change(v->mv_data, v->mv_size, e)) == NULL) {
		it->at = AT_NONE;
		return decode_failed(it->j, e, DB_CHANGE);
	}
	ch->commit_lsn = lsn = be64_get(k->mv_data);
	ch->seq = seq = be32_get((uint8_t *)k->mv_data + 8);
	if (at == AT_NEXT && seq == UINT32_MAX && lsn == UINT64_MAX)
		it->past = 1;
	else if (at == AT_NEXT && seq == UINT32_MAX)
		journal_iter_seek(it, lsn + 1, 0, e);
	else if (at == AT_NEXT)
		journal_iter_seek(it, lsn, seq + 1, e);
	else
		journal_iter_seek(it, lsn, seq, e);
	it->at = at;
	*out = ch;
	return 1;
}

/* The first change at or after the position, copied out of the map. */
int
journal_iter_next(struct journal_iter *it, struct pgtt_change **out,
    struct pgtt_err *e)
{
	MDB_val	k, v;
	int	rc;

	switch (it->at) {
	case AT_NEXT:
		rc = mdb_cursor_get(it->cur, &k, &v, MDB_NEXT);
		break;
	case AT_PREV:
		rc = mdb_cursor_get(it->cur, &k, &v, MDB_GET_CURRENT);
		break;
	default:
		if (it->past)
			return 0;
		k.mv_data = it->pos;
		k.mv_size = sizeof it->pos;
		rc = mdb_cursor_get(it->cur, &k, &v, MDB_SET_RANGE);
		break;
	}
	return iter_take(it, rc, &k, &v, AT_NEXT, out, e);
}

/* The last change before the position, copied out of the map. */
int
journal_iter_prev(struct journal_iter *it, struct pgtt_change **out,
    struct pgtt_err *e)
{
	MDB_val	k, v;
	int	rc;

	switch (it->at) {
	case AT_NEXT:
		rc = mdb_cursor_get(it->cur, &k, &v, MDB_GET_CURRENT);
		break;
	case AT_PREV:
		rc = mdb_cursor_get(it->cur, &k, &v, MDB_PREV);
		break;
	default:
		if (it->past) {
			rc = mdb_cursor_get(it->cur, &k, &v, MDB_LAST);
			break;
		}
		rc = cursor_seek(it->cur, it->pos, sizeof it->pos, SEEK_LT,
		    &k, &v);
		break;
	}
	return iter_take(it, rc, &k, &v, AT_PREV, out, e);
}

/* A transaction seen in the iterator's snapshot. */
int
journal_iter_txn_get(struct journal_iter *it, pgtt_lsn lsn,
    struct pgtt_txn **out, struct pgtt_err *e)
{
	return txn_get_in(it->j, it->txn, lsn, out, e);
}

/* A relation version seen in the iterator's snapshot. */
int
journal_iter_relation_at(struct journal_iter *it, uint32_t relid,
    pgtt_lsn lsn, uint32_t seq, struct pgtt_relation **out,
    struct pgtt_err *e)
{
	return relation_at_in(it->j, it->txn, relid, lsn, seq, out, e);
}

/* One change by its key, in the iterator's snapshot. */
int
journal_iter_change_get(struct journal_iter *it, pgtt_lsn lsn, uint32_t seq,
    struct pgtt_change **out, struct pgtt_err *e)
{
	struct pgtt_change	*ch;
	MDB_val			 k, v;
	uint8_t			 key[12];
	char			 text[LSN_BUFSIZE];
	int			 rc;

	be64_put(key, lsn);
	be32_put(key + 8, seq);
	k.mv_data = key;
	k.mv_size = sizeof key;
	if ((rc = mdb_get(it->txn, it->j->dbi[DB_CHANGE], &k, &v)) ==
	    MDB_NOTFOUND) {
		return err_set(e, PGTT_ENOTFOUND, "no change %s/%u",
		    lsn_format(lsn, text), seq);
	}
	if (rc != 0)
		return jerr(it->j, e, PGTT_EJOURNAL, rc, "read");
	if ((ch = record_decode_change(v.mv_data, v.mv_size, e)) == NULL)
		return decode_failed(it->j, e, DB_CHANGE);
	ch->commit_lsn = lsn;
	ch->seq = seq;
	*out = ch;
	return 0;
}

/* Whether a transaction committed at lsn, without copying it out. */
int
journal_iter_txn_exists(struct journal_iter *it, pgtt_lsn lsn)
{
	MDB_val	k, v;
	uint8_t	key[8];

	be64_put(key, lsn);
	k.mv_data = key;
	k.mv_size = sizeof key;
	return mdb_get(it->txn, it->j->dbi[DB_TXN], &k, &v) == 0;
}

/*
 * A row's entries are neighbours, in history order: the one before the
 * bound's place is the answer if it is the row's.  A longer identity that
 * begins with this one's bytes (another relation version's) may sit in
 * between; step over it.
 */
int
journal_iter_row_prev(struct journal_iter *it, uint32_t relid,
    const void *ident, size_t len, pgtt_lsn *lsn, uint32_t *seq,
    struct pgtt_err *e)
{
	MDB_val	k, v;
	uint8_t	key[ROWKEY_MAX];
	size_t	plen, klen;
	int	rc;

	if (!it->j->has_rowidx)
		return 0;
	if (it->rowcur == NULL && (rc = mdb_cursor_open(it->txn,
	    it->j->dbi[DB_ROWIDX], &it->rowcur)) != 0) {
		it->rowcur = NULL;
		return jerr(it->j, e, PGTT_EJOURNAL, rc, "read");
	}
	klen = rowidx_key(key, relid, ident, len, *lsn, *seq);
	plen = klen - 12;
	rc = cursor_seek(it->rowcur, key, klen, SEEK_LT, &k, &v);
	while (rc == 0 && k.mv_size >= klen &&
	    memcmp(k.mv_data, key, plen) == 0 && k.mv_size != klen)
		rc = mdb_cursor_get(it->rowcur, &k, &v, MDB_PREV);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return jerr(it->j, e, PGTT_EJOURNAL, rc, "read");
	if (k.mv_size != klen || memcmp(k.mv_data, key, plen) != 0)
		return 0;
	*lsn = be64_get((uint8_t *)k.mv_data + plen);
	*seq = be32_get((uint8_t *)k.mv_data + plen + 8);
	return 1;
}

/* From the row index's opening, for the life of the process. */
pgtt_lsn
journal_rowidx_since(struct journal *j)
{
	return j->has_rowidx ? j->rowidx_since : UINT64_MAX;
}

/* Ends the read transaction so the map can grow again. */
void
journal_iter_close(struct journal_iter *it)
{
	if (it == NULL)
		return;
	if (it->rowcur != NULL)
		mdb_cursor_close(it->rowcur);
	mdb_cursor_close(it->cur);
	txn_end(it->j, it->txn);
	free(it);
}

/* Decode a checkpoint and take its id from the key. */
static void *
checkpoint_from(const MDB_val *k, const MDB_val *v, struct pgtt_err *e)
{
	struct pgtt_checkpoint	*c;

	if ((c = record_decode_checkpoint(v->mv_data, v->mv_size, e)) != NULL)
		c->id = be32_get(k->mv_data);
	return c;
}

/* Decode a session and take its id from the key. */
static void *
session_from(const MDB_val *k, const MDB_val *v, struct pgtt_err *e)
{
	struct pgtt_session	*s;

	if ((s = record_decode_session(v->mv_data, v->mv_size, e)) != NULL)
		s->id = be32_get(k->mv_data);
	return s;
}

/* Every record of an id-keyed db, in id order; all or nothing. */
static int
list_ids(struct journal *j, int db,
    void *(*from)(const MDB_val *, const MDB_val *, struct pgtt_err *),
    void ***out, size_t *n, struct pgtt_err *e)
{
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_val		 k, v;
	void		**list = NULL, *one;
	size_t		 len = 0, cap = 0, i;
	int		 rc, op = MDB_FIRST;

	if ((rc = txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, j->dbi[db], &cur)) == 0) {
		while ((rc = mdb_cursor_get(cur, &k, &v, op)) == 0) {
			op = MDB_NEXT;
			if (k.mv_size != 4) {
				rc = MDB_CORRUPTED;
				break;
			}
			if ((one = from(&k, &v, e)) == NULL) {
				rc = PGTT_ECORRUPT;
				break;
			}
			if (len == cap) {
				cap = cap == 0 ? 16 : cap * 2;
				list = xreallocarray(list, cap, sizeof *list);
			}
			list[len++] = one;
		}
		if (rc == MDB_NOTFOUND)
			rc = 0;
		mdb_cursor_close(cur);
	}
	txn_end(j, txn);
	if (rc != 0) {
		for (i = 0; i < len; i++)
			free(list[i]);
		free(list);
		if (rc == PGTT_ECORRUPT)
			return decode_failed(j, e, db);
		if (rc == MDB_CORRUPTED)
			return bad_key(j, e, db);
		return jerr(j, e, PGTT_EJOURNAL, rc, "read");
	}
	*out = list;
	*n = len;
	return 0;
}

/* All checkpoints, for the checkpoint pane and "checkpoint list". */
int
journal_checkpoints(struct journal *j, struct pgtt_checkpoint ***out,
    size_t *n, struct pgtt_err *e)
{
	void	**list;
	size_t	  i;
	int	  rc;

	if ((rc = list_ids(j, DB_CHECKPOINT, checkpoint_from, &list, n, e)) != 0)
		return rc;
	*out = xreallocarray(NULL, *n, sizeof **out);
	for (i = 0; i < *n; i++)
		(*out)[i] = list[i];
	free(list);
	return 0;
}

/* All sessions, for the session pane and "session list". */
int
journal_sessions(struct journal *j, struct pgtt_session ***out, size_t *n,
    struct pgtt_err *e)
{
	void	**list;
	size_t	  i;
	int	  rc;

	if ((rc = list_ids(j, DB_SESSION, session_from, &list, n, e)) != 0)
		return rc;
	*out = xreallocarray(NULL, *n, sizeof **out);
	for (i = 0; i < *n; i++)
		(*out)[i] = list[i];
	free(list);
	return 0;
}

uint32_t
journal_active_session(struct journal *j)
{
	struct pgtt_err	 err;
	char		*v;
	uint32_t	 id = 0;

	err_clear(&err);
	if (journal_meta_get(j, "active_session", &v, &err) == 0) {
		id = (uint32_t)strtoul(v, NULL, 10);
		free(v);
	}
	return id;
}
