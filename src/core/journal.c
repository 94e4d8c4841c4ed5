/*
 * journal.c: the LMDB journal of one source: opening it, writing batches,
 * its meta and its figures.  Lookups are in journal-read.c, the iterator
 * in journal-iter.c; the three share journal-lmdb.h and are the only
 * files that include <lmdb.h>.
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "journal-lmdb.h"
#include "xmalloc.h"

static const char *const db_names[DB_COUNT] = {
	"meta", "txn", "change", "relation", "bytime", "checkpoint", "session",
	"rowidx", "seqval"
};

/* Transactions this thread has open, on any journal. */
static _Thread_local unsigned int thread_txns;

/* Report an LMDB failure: what we tried, where, and LMDB's own words. */
int
jl_err(const struct journal *j, struct pgtt_err *e, int code, int rc,
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
int
jl_bad_key(const struct journal *j, struct pgtt_err *e, int db)
{
	err_set(e, PGTT_ECORRUPT, "corrupt %s key in journal \"%s\"",
	    db_names[db], j->dir);
	return PGTT_ECORRUPT;
}

/* Say where a record that failed to decode lives. */
int
jl_decode_failed(const struct journal *j, struct pgtt_err *e, int db)
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
	j->map_known = 0;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->mtx);
	return rc;
}

/*
 * Begin a transaction, counted until jl_txn_end, adopting a map another
 * process grew.
 */
int
jl_txn_begin(struct journal *j, unsigned int flags, MDB_txn **txn,
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
			return jl_err(j, e, PGTT_EJOURNAL, rc,
			    (flags & MDB_RDONLY) ? "read" : "write to");
		}
	}
}

/* End a read transaction, or a write transaction that failed. */
void
jl_txn_end(struct journal *j, MDB_txn *txn)
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

/* Just past the newest transaction: where filing from now on starts. */
static pgtt_lsn
after_last_txn(struct journal *j, MDB_txn *txn, int fresh)
{
	MDB_val		 k, v;
	MDB_cursor	*cur;
	pgtt_lsn	 since = 0;

	if (!fresh && mdb_cursor_open(txn, j->dbi[DB_TXN], &cur) == 0) {
		if (mdb_cursor_get(cur, &k, &v, MDB_LAST) == 0 &&
		    k.mv_size == 8)
			since = be64_get(k.mv_data) + 1;
		mdb_cursor_close(cur);
	}
	return since;
}

/*
 * Meta key's LSN into *lsn; a writer that finds none puts dflt there
 * first.  UINT64_MAX for a reader that finds none.
 */
static int
meta_since(struct journal *j, MDB_txn *txn, const char *key, pgtt_lsn dflt,
    pgtt_lsn *lsn)
{
	MDB_val	k, v;
	char	text[LSN_BUFSIZE];
	int	rc;

	k.mv_data = (void *)key;
	k.mv_size = strlen(key);
	if ((rc = mdb_get(txn, j->dbi[DB_META], &k, &v)) == MDB_NOTFOUND &&
	    !(j->flags & JOURNAL_READONLY)) {
		v.mv_data = (void *)lsn_format(dflt, text);
		v.mv_size = strlen(text);
		if ((rc = mdb_put(txn, j->dbi[DB_META], &k, &v, 0)) != 0)
			return rc;
		*lsn = dflt;
		return 0;
	}
	if (rc == MDB_NOTFOUND) {
		*lsn = UINT64_MAX;
		return 0;
	}
	if (rc != 0)
		return rc;
	snprintf(text, sizeof text, "%.*s", (int)(v.mv_size < sizeof text - 1 ?
	    v.mv_size : sizeof text - 1), (const char *)v.mv_data);
	return lsn_parse(text, lsn) != 0 ? MDB_CORRUPTED : 0;
}

/*
 * The row index, in the open transaction txn.  A journal of format 2 has
 * none: a writer makes it, files under it only what comes from now on, and
 * says so in meta "rowidx_since"; a reader goes on without it.  Truncates
 * are filed in it too (under JOURNAL_TRUNCATE_IDENT) since meta
 * "truncidx_since", which a writer of an older journal sets on its first
 * open.
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
	if ((rc = meta_since(j, txn, "truncidx_since", after_last_txn(j, txn,
	    fresh), &j->truncidx_since)) != 0)
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
	if ((rc = jl_txn_begin(j, ro ? MDB_RDONLY : 0, &txn, e)) != 0)
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
			jl_txn_end(j, txn);
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
		jl_txn_end(j, txn);
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
		jl_txn_end(j, txn);
		return jl_err(j, e, PGTT_EJOURNAL, rc, "open");
	}
	rc = mdb_txn_commit(txn);
	map_leave(j);
	if (rc != 0)
		return jl_err(j, e, PGTT_EJOURNAL, rc, "open");
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
	jl_err(j, e, PGTT_EJOURNAL, rc, "open");
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

/*
 * Where the journal's map lies, from /proc/self/maps: LMDB tells the
 * address of a fixed map only.  The map is the one of data.mdb's inode
 * and device, or (btrfs, overlayfs show another device there) of its
 * path.  0, or -1 when not found.
 */
static int
map_range(struct journal *j, uintptr_t *start, uintptr_t *end)
{
	struct stat	 st;
	FILE		*f;
	char		 line[4096 + 128], path[4096], *real, *name;
	unsigned long	 lo, hi, ino;
	unsigned int	 maj, mnr;
	int		 fd, at = 0, found = -1;

	snprintf(path, sizeof path, "%s/data.mdb", j->dir);
	if (mdb_env_get_fd(j->env, &fd) != 0 || fstat(fd, &st) != 0)
		return -1;
	/* Without the path, the device and inode may still find it. */
	real = realpath(path, NULL);
	if ((f = fopen("/proc/self/maps", "r")) == NULL) {
		free(real);
		return -1;
	}
	while (found != 0 && fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%lx-%lx %*s %*s %x:%x %lu %n", &lo, &hi, &maj,
		    &mnr, &ino, &at) < 5 || ino != (unsigned long)st.st_ino)
			continue;
		name = line + at;
		name[strcspn(name, "\n")] = '\0';
		if ((maj == major(st.st_dev) && mnr == minor(st.st_dev)) ||
		    (real != NULL && strcmp(name, real) == 0)) {
			*start = lo;
			*end = hi;
			found = 0;
		}
	}
	fclose(f);
	free(real);
	return found;
}

/*
 * Counted like a transaction, so no resize moves the map meanwhile.  The
 * map is read-only and shared (no MDB_WRITEMAP): dropping it loses nothing.
 */
void
journal_forget_pages(struct journal *j)
{
	uintptr_t	start, end;
	int		known;

	map_enter(j);
	/* Reading /proc/self/maps costs more than the madvise: once a map. */
	pthread_mutex_lock(&j->mtx);
	known = j->map_known;
	start = j->map_start;
	end = j->map_end;
	pthread_mutex_unlock(&j->mtx);
	if (!known && map_range(j, &start, &end) == 0) {
		known = 1;
		pthread_mutex_lock(&j->mtx);
		j->map_start = start;
		j->map_end = end;
		j->map_known = 1;
		pthread_mutex_unlock(&j->mtx);
	}
	if (known)
		(void)madvise((void *)start, end - start, MADV_DONTNEED);
	map_leave(j);
}

/* A copy of one meta value as a C string. */
int
journal_meta_get(struct journal *j, const char *key, char **value,
    struct pgtt_err *e)
{
	MDB_txn	*txn;
	MDB_val	 k, v;
	int	 rc;

	if ((rc = jl_txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
		return rc;
	k.mv_data = (void *)key;
	k.mv_size = strlen(key);
	rc = mdb_get(txn, j->dbi[DB_META], &k, &v);
	if (rc == 0)
		*value = xstrndup(v.mv_data, v.mv_size);
	jl_txn_end(j, txn);
	if (rc == MDB_NOTFOUND) {
		return err_set(e, PGTT_ENOTFOUND,
		    "journal \"%s\" has no meta key \"%s\"", j->dir, key);
	}
	if (rc != 0)
		return jl_err(j, e, PGTT_EJOURNAL, rc, "read");
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

/*
 * The greatest key of a database that history is appended to, as this
 * transaction sees it: the batch's own key once it appends one (the
 * batch's bytes stay put while it is applied), else a copy of the key
 * that was last when the batch began.  Not known (key.mv_data NULL) when
 * that key is too long to copy: every put then tries to append.
 */
struct tail {
	MDB_val		 key;
	uint8_t		 first[JOURNAL_ROWKEY_MAX];
};

static int
tail_load(MDB_cursor *cur, struct tail *t)
{
	MDB_val	k, v;
	int	rc;

	t->key.mv_data = t->first;
	t->key.mv_size = 0;
	if ((rc = mdb_cursor_get(cur, &k, &v, MDB_LAST)) == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (k.mv_size > sizeof t->first) {
		t->key.mv_data = NULL;
		return 0;
	}
	memcpy(t->first, k.mv_data, k.mv_size);
	t->key.mv_size = k.mv_size;
	return 0;
}

/*
 * Is k past the tail, in the database's own order of keys?  Yes when the
 * tail is not known or the database is empty (LMDB has no empty key).
 */
static int
past_tail(MDB_txn *txn, MDB_dbi dbi, const MDB_val *k, const struct tail *t)
{
	if (t->key.mv_data == NULL || t->key.mv_size == 0)
		return 1;
	return mdb_cmp(txn, dbi, k, &t->key) > 0;
}

/*
 * An entry of the row index, for sorting by row: the first 16 bytes of
 * its row part (relid and identity, not the change's LSN and sequence),
 * zero-padded, as two numbers.  The sort keeps the batch's order among
 * entries that share them, which for one row's entries is history's.
 * The order only decides how near each put falls to the one before: any
 * order puts the same keys.
 */
struct rowput {
	uint64_t	 head[2];
	const uint8_t	*key;
	size_t		 len;
};

static void
rowput_set(struct rowput *r, const uint8_t *key, size_t len)
{
	uint8_t	pad[16] = { 0 };
	size_t	rowlen = len > 12 ? len - 12 : len;

	memcpy(pad, key, rowlen < sizeof pad ? rowlen : sizeof pad);
	r->head[0] = be64_get(pad);
	r->head[1] = be64_get(pad + 8);
	r->key = key;
	r->len = len;
}

static int
rowput_before(const struct rowput *x, const struct rowput *y)
{
	return x->head[0] < y->head[0] ||
	    (x->head[0] == y->head[0] && x->head[1] < y->head[1]);
}

/* Byte i (0 the first) of r's head. */
static unsigned
rowput_byte(const struct rowput *r, int i)
{
	return (unsigned)(r->head[i / 8] >> (56 - 8 * (i % 8))) & 0xff;
}

/*
 * Sort n entries by head, keeping the batch's order among equals: a radix
 * sort, a byte a pass from the last, that skips the bytes all entries
 * share (the relid, a key's kind and length, the padding).  On pgbench's
 * rows it took a third of qsort's instructions.  tmp holds n.
 */
static void
rowput_sort(struct rowput *rows, size_t n, struct rowput *tmp)
{
	struct rowput	*src = rows, *dst = tmp, *swap;
	size_t		 count[256], i, sum, c;
	int		 byte;

	if (n < 2)
		return;
	for (byte = 15; byte >= 0; byte--) {
		memset(count, 0, sizeof count);
		for (i = 0; i < n; i++)
			count[rowput_byte(&src[i], byte)]++;
		if (count[rowput_byte(&src[0], byte)] == n)
			continue;
		for (sum = 0, i = 0; i < 256; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[rowput_byte(&src[i], byte)]++] = src[i];
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != rows)
		memcpy(rows, src, n * sizeof *rows);
}

/* Puts history through db's cursor, opened at the first. */
static int
history_put(struct journal *j, MDB_txn *txn, MDB_cursor **cur,
    struct tail *tail, int db, MDB_val *k, MDB_val *v)
{
	int	rc;

	if (*cur == NULL && ((rc = mdb_cursor_open(txn, j->dbi[db], cur)) !=
	    0 || (rc = tail_load(*cur, tail)) != 0))
		return rc;
	/*
	 * History arrives in key order: appending skips the descent and
	 * fills pages whole.  A key before the tail (the row index but for
	 * rows inserted in key order, a resent transaction) is put in its
	 * place at once: an append would first look for the end in vain.
	 */
	if (!past_tail(txn, j->dbi[db], k, tail))
		return mdb_cursor_put(*cur, k, v, 0);
	if ((rc = mdb_cursor_put(*cur, k, v, MDB_APPEND)) == 0)
		tail->key = *k;
	else if (rc == MDB_KEYEXIST)
		rc = mdb_cursor_put(*cur, k, v, 0);
	return rc;
}

/*
 * Every entry of the batch inside txn; an LMDB code.  Puts of history go
 * through a cursor per database, kept for the batch: an append through a
 * cursor that stands at the end finds its place without a search from the
 * root, which mdb_put makes for each key, looking each page of the way up
 * in the transaction's dirty list.  The row index's entries are puts of
 * empty values, whose order within a transaction changes nothing.  While
 * they come in row order (rows inserted in key order) they go in at once;
 * from the first that does not, they go last and sorted by row: the rows
 * a workload changes most (pgbench's branches and tellers) then take
 * their pages once, and the cursor finds each key on the page it stands
 * on without a descent.  Collecting the in-order ones too would only
 * fill an array of the whole batch's entries to find it had no work.
 */
static int
jbatch_apply(struct journal *j, MDB_txn *txn, const struct jbatch *b)
{
	const struct jent	*ent;
	MDB_cursor		*cur[DB_COUNT] = { NULL };
	struct tail		*tails;
	struct rowput		*rows = NULL, *tmp, row;
	struct rowput		 last_row = { { 0, 0 }, NULL, 0 };
	MDB_val			 k, v, empty = { 0, NULL };
	uint8_t			 idkey[4];
	size_t			 i, end, nrows = 0, rowcap = 0;
	int			 rc = 0, in_order = 1;

	tails = xcalloc(DB_COUNT, sizeof *tails);
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
		if ((ent->db == DB_ROWIDX && !j->has_rowidx) ||
		    (ent->db == DB_SEQVAL && !j->has_seqval))
			continue;
		if (ent->db == DB_ROWIDX && ent->op == OP_PUT) {
			rowput_set(&row, k.mv_data, k.mv_size);
			if (in_order && rowput_before(&row, &last_row))
				in_order = 0;
			if (in_order) {
				last_row = row;
				rc = history_put(j, txn, &cur[DB_ROWIDX],
				    &tails[DB_ROWIDX], DB_ROWIDX, &k, &empty);
				continue;
			}
			if (nrows == rowcap) {
				rowcap = rowcap == 0 ? 1024 : rowcap * 2;
				rows = xreallocarray(rows, rowcap,
				    sizeof *rows);
			}
			rows[nrows++] = row;
		} else if (ent->op == OP_PUT && (ent->db == DB_CHANGE ||
		    ent->db == DB_TXN || ent->db == DB_BYTIME))
			rc = history_put(j, txn, &cur[ent->db],
			    &tails[ent->db], ent->db, &k, &v);
		else if (ent->op == OP_PUT)
			rc = mdb_put(txn, j->dbi[ent->db], &k, &v, 0);
		else if ((rc = mdb_del(txn, j->dbi[ent->db], &k, NULL)) ==
		    MDB_NOTFOUND)
			rc = 0;
	}
	if (rc == 0 && nrows > 0) {
		tmp = xreallocarray(NULL, nrows, sizeof *tmp);
		rowput_sort(rows, nrows, tmp);
		free(tmp);
	}
	for (i = 0; i < nrows && rc == 0; i++) {
		k.mv_data = (void *)rows[i].key;
		k.mv_size = rows[i].len;
		rc = history_put(j, txn, &cur[DB_ROWIDX], &tails[DB_ROWIDX],
		    DB_ROWIDX, &k, &empty);
	}
	for (i = 0; i < DB_COUNT; i++)
		if (cur[i] != NULL)
			mdb_cursor_close(cur[i]);
	free(rows);
	free(tails);
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
		if ((rc = jl_txn_begin(j, 0, &txn, e)) != 0)
			return rc;
		if ((rc = jbatch_apply(j, txn, b)) != 0)
			mdb_txn_abort(txn);
		else
			rc = mdb_txn_commit(txn);
		map_leave(j);
		if (rc == 0)
			break;
		if (rc != MDB_MAP_FULL)
			return jl_err(j, e, PGTT_EJOURNAL, rc, "write to");
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
	if ((rc = jl_txn_begin(j, MDB_RDONLY, &txn, e)) != 0)
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
	jl_txn_end(j, txn);
	if (rc != 0)
		return jl_err(j, e, PGTT_EJOURNAL, rc, "read");

	xasprintf(&path, "%s/data.mdb", j->dir);
	if (stat(path, &sb) != 0) {
		rc = err_set(e, PGTT_EIO, "could not stat \"%s\": %s", path,
		    strerror(errno));
	} else
		st->file_size = (uint64_t)sb.st_size;
	free(path);
	return rc;
}

/* From the row index's opening, for the life of the process. */
pgtt_lsn
journal_rowidx_since(struct journal *j)
{
	return j->has_rowidx ? j->rowidx_since : UINT64_MAX;
}

pgtt_lsn
journal_truncidx_since(struct journal *j)
{
	return j->has_rowidx ? (j->truncidx_since > j->rowidx_since ?
	    j->truncidx_since : j->rowidx_since) : UINT64_MAX;
}
