/*
 * test_config.c: the config loader against small YAML strings.  Errors are
 * checked by their exact message and FILE:LINE:COL, since those are what a
 * user reads.  The environment is cleared around every test so a developer's
 * PGTT_SOURCE_DSN cannot change the results.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"

#define NAME	"test.yaml"

/* The brief's full example; paths resolve against /srv/pgtt. */
static const char full[] =
    "source:\n"
    "  dsn: \"host=localhost port=5432 dbname=app user=app\"\n"
    "  slot: pgtt_x1\n"
    "  publication: pub\n"
    "  tables: [public.users, '\"Sales\".\"Order Items\"']\n"
    "  capture_ddl: false\n"
    "  full_row_images: yes\n"
    "  sequence_interval: 30s\n"
    "replica:\n"
    "  dsn: \"postgresql://app@localhost:5433/app_replica\"\n"
    "  lock_timeout: 5\n"
    "storage:\n"
    "  path: ./pgtt-data\n"
    "  map_size: 512MB\n"
    "  writer_nice: 0\n"
    "pitr:\n"
    "  enabled: off\n"
    "  bindir: /usr/lib/postgresql/15/bin\n"
    "  archive_dir: ./pgtt-data/wal2\n"
    "  backup_dir: /backups\n"
    "  restore_data_dir: restore\n"
    "  restore_port: 5500\n"
    "  os_user: postgres\n"
    "retention:\n"
    "  backups: 3\n"
    "  archive: 7d\n"
    "  journal_warn: 2GB\n"
    "http:\n"
    "  listen: \"[::1]:9187\"\n"
    "  max_lag: 15s\n"
    "log:\n"
    "  file: ./pgtt-data/pgtt.log\n"
    "  level: DEBUG\n";

/* Start and end every test with none of pgtt's variables set. */
static int
clean_env(void **state)
{
	(void)state;
	unsetenv("PGTT_SOURCE_DSN");
	unsetenv("PGTT_REPLICA_DSN");
	unsetenv("PGTT_CONFIG");
	return 0;
}

/* Load text that must load. */
static void
load_ok(struct config *cfg, const char *text, const char *name)
{
	struct pgtt_err	e;
	int		rc;

	rc = config_load_string(cfg, text, strlen(text), name, &e);
	if (rc != 0)
		fail_msg("unexpected error: %s (%s) hint: %s", e.msg, e.where,
		    e.hint);
	assert_int_equal(e.code, 0);
}

/*
 * Load text that must fail with msg at where; the config must come back
 * zeroed.  Returns the error for further checks.
 */
static struct pgtt_err
load_fail(const char *text, const char *msg, const char *where)
{
	struct config	cfg, zero;
	struct pgtt_err	e;
	int		rc;

	memset(&zero, 0, sizeof zero);
	rc = config_load_string(&cfg, text, strlen(text), NAME, &e);
	assert_int_equal(rc, PGTT_ECONFIG);
	assert_int_equal(e.code, PGTT_ECONFIG);
	assert_string_equal(e.msg, msg);
	assert_string_equal(e.where, where);
	assert_memory_equal(&cfg, &zero, sizeof cfg);
	return e;
}

/* Run getcwd for the tests that expect CWD-relative paths. */
static char *
cwd_join(const char *leaf)
{
	char	 cwd[PATH_MAX], *p;

	assert_non_null(getcwd(cwd, sizeof cwd));
	p = malloc(strlen(cwd) + strlen(leaf) + 2);
	assert_non_null(p);
	sprintf(p, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, leaf);
	return p;
}

static void
test_full(void **state)
{
	struct config	cfg;

	(void)state;
	load_ok(&cfg, full, "/srv/pgtt/config.yaml");
	assert_string_equal(cfg.path, "/srv/pgtt/config.yaml");
	assert_string_equal(cfg.source.dsn,
	    "host=localhost port=5432 dbname=app user=app");
	assert_string_equal(cfg.source.slot, "pgtt_x1");
	assert_string_equal(cfg.source.publication, "pub");
	assert_int_equal(cfg.source.ntables, 2);
	assert_string_equal(cfg.source.tables[0], "public.users");
	assert_string_equal(cfg.source.tables[1], "\"Sales\".\"Order Items\"");
	assert_null(cfg.source.tables[2]);
	assert_int_equal(cfg.source.capture_ddl, 0);
	assert_int_equal(cfg.source.full_row_images, 1);
	assert_string_equal(cfg.replica.dsn,
	    "postgresql://app@localhost:5433/app_replica");
	assert_string_equal(cfg.storage.path, "/srv/pgtt/pgtt-data");
	assert_true(cfg.storage.map_size == 512ULL << 20);
	assert_int_equal(cfg.storage.writer_nice, 0);
	assert_int_equal(cfg.pitr.enabled, 0);
	assert_string_equal(cfg.pitr.bindir, "/usr/lib/postgresql/15/bin");
	assert_string_equal(cfg.pitr.archive_dir, "/srv/pgtt/pgtt-data/wal2");
	assert_string_equal(cfg.pitr.backup_dir, "/backups");
	assert_string_equal(cfg.pitr.restore_data_dir, "/srv/pgtt/restore");
	assert_int_equal(cfg.pitr.restore_port, 5500);
	assert_int_equal(cfg.source.sequence_interval, 30);
	assert_int_equal(cfg.replica.lock_timeout, 5);
	assert_string_equal(cfg.pitr.os_user, "postgres");
	assert_string_equal(cfg.log.file, "/srv/pgtt/pgtt-data/pgtt.log");
	assert_int_equal(cfg.log.level, LOG_LEVEL_DEBUG);
	assert_string_equal(cfg.http.listen, "[::1]:9187");
	assert_int_equal(cfg.retention.backups, 3);
	assert_true(cfg.retention.archive == 7 * 86400);
	assert_true(cfg.retention.journal_warn == 2ULL << 30);
	assert_int_equal(cfg.http.max_lag, 15);
	config_free(&cfg);
	assert_null(cfg.path);
	assert_null(cfg.source.tables);
	config_free(&cfg);
}

static void
test_defaults(void **state)
{
	struct config	cfg;

	(void)state;
	load_ok(&cfg, "source:\n  dsn: x\n", "/a/b/c.yaml");
	assert_string_equal(cfg.source.dsn, "x");
	assert_string_equal(cfg.source.slot, "pgtt");
	assert_string_equal(cfg.source.publication, "pgtt");
	assert_null(cfg.source.tables);
	assert_int_equal(cfg.source.ntables, 0);
	assert_int_equal(cfg.source.capture_ddl, 1);
	assert_int_equal(cfg.source.full_row_images, 0);
	assert_int_equal(cfg.source.sequence_interval, 10);
	assert_null(cfg.replica.dsn);
	assert_int_equal(cfg.replica.lock_timeout, 30);
	assert_string_equal(cfg.storage.path, "/a/b/pgtt-data");
	assert_true(cfg.storage.map_size == 1ULL << 30);
	assert_int_equal(cfg.storage.writer_nice, 10);
	assert_int_equal(cfg.pitr.enabled, 1);
	assert_null(cfg.pitr.bindir);
	assert_string_equal(cfg.pitr.archive_dir, "/a/b/pgtt-data/wal");
	assert_string_equal(cfg.pitr.backup_dir, "/a/b/pgtt-data/base");
	assert_string_equal(cfg.pitr.restore_data_dir,
	    "/a/b/pgtt-data/restore");
	assert_int_equal(cfg.pitr.restore_port, 5499);
	assert_null(cfg.pitr.os_user);
	assert_string_equal(cfg.log.file, "/a/b/pgtt-data/pgtt.log");
	assert_int_equal(cfg.log.level, LOG_LEVEL_INFO);
	config_free(&cfg);

	/* Nulls and empty sections keep the defaults. */
	load_ok(&cfg, "source:\n  dsn: x\n  slot: ~\n  tables: []\n"
	    "  capture_ddl:\nreplica:\nlog: {}\n", NAME);
	assert_string_equal(cfg.source.slot, "pgtt");
	assert_null(cfg.source.tables);
	assert_int_equal(cfg.source.capture_ddl, 1);
	assert_null(cfg.replica.dsn);
	config_free(&cfg);

	/* Derived defaults follow the final storage.path. */
	load_ok(&cfg, "storage:\n  path: /data/x/\nsource:\n  dsn: x\n",
	    NAME);
	assert_string_equal(cfg.storage.path, "/data/x");
	assert_string_equal(cfg.pitr.archive_dir, "/data/x/wal");
	assert_string_equal(cfg.log.file, "/data/x/pgtt.log");
	config_free(&cfg);
}

static void
test_empty_file(void **state)
{
	struct config	 cfg;
	struct pgtt_err	 e;
	char		*want;

	(void)state;
	load_fail("", "no source database configured", NAME);
	load_fail("# only a comment\n", "no source database configured",
	    NAME);
	e = load_fail("---\n", "no source database configured", NAME);
	assert_string_equal(e.hint,
	    "set source.dsn in test.yaml or PGTT_SOURCE_DSN");

	setenv("PGTT_SOURCE_DSN", "dbname=env", 1);
	load_ok(&cfg, "", NAME);
	assert_string_equal(cfg.source.dsn, "dbname=env");
	want = cwd_join("pgtt-data");
	assert_string_equal(cfg.storage.path, want);
	free(want);
	config_free(&cfg);

	/* No file at all: defaults against the working directory. */
	assert_int_equal(config_load(&cfg, NULL, &e), 0);
	assert_null(cfg.path);
	want = cwd_join("pgtt-data/pgtt.log");
	assert_string_equal(cfg.log.file, want);
	free(want);
	config_free(&cfg);
	unsetenv("PGTT_SOURCE_DSN");
	assert_int_equal(config_load(&cfg, NULL, &e), PGTT_ECONFIG);
	assert_string_equal(e.msg, "no source database configured");
	assert_string_equal(e.where, "");
}

static void
test_relative_paths(void **state)
{
	struct config	 cfg;
	char		*want, *home;

	(void)state;
	home = getenv("HOME") != NULL ? strdup(getenv("HOME")) : NULL;
	setenv("HOME", "/home/tester", 1);
	load_ok(&cfg, "source: {dsn: x}\n"
	    "storage: {path: \"../data/./x//\"}\n"
	    "pitr: {bindir: bin, backup_dir: \"~/backups\"}\n"
	    "log: {file: logs/p.log}\n", "/srv/pgtt/config.yaml");
	assert_string_equal(cfg.storage.path, "/srv/pgtt/../data/x");
	assert_string_equal(cfg.pitr.archive_dir, "/srv/pgtt/../data/x/wal");
	assert_string_equal(cfg.pitr.bindir, "/srv/pgtt/bin");
	assert_string_equal(cfg.pitr.backup_dir, "/home/tester/backups");
	assert_string_equal(cfg.log.file, "/srv/pgtt/logs/p.log");
	config_free(&cfg);
	if (home != NULL)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	free(home);

	/* A relative file name: its directory under the working one. */
	load_ok(&cfg, "source: {dsn: x}\nstorage: {path: d}\n",
	    "conf/pgtt.yaml");
	want = cwd_join("conf/d");
	assert_string_equal(cfg.storage.path, want);
	free(want);
	config_free(&cfg);

	load_ok(&cfg, "source: {dsn: x}\n", "/pgtt.yaml");
	assert_string_equal(cfg.storage.path, "/pgtt-data");
	config_free(&cfg);
}

static void
test_load_file(void **state)
{
	struct config	 cfg;
	struct pgtt_err	 e;
	char		 dir[] = "/tmp/pgtt-test-config-XXXXXX", path[PATH_MAX];
	FILE		*f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/config.yaml", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("source:\n  dsn: x\nstorage:\n  path: data\n"
	    "  map_size: 12XB\n", f);
	fclose(f);
	assert_int_equal(config_load(&cfg, path, &e), PGTT_ECONFIG);
	assert_string_equal(e.msg,
	    "\"storage.map_size\" is not a size: \"12XB\"");
	assert_string_equal(e.hint, "use bytes or a suffix: 512MB, 1GiB");
	assert_true(strncmp(e.where, path, strlen(path)) == 0);
	assert_string_equal(e.where + strlen(path), ":5:13");

	assert_non_null(f = fopen(path, "w"));
	fputs("source:\n  dsn: x\nstorage:\n  path: data\n", f);
	fclose(f);
	assert_int_equal(config_load(&cfg, path, &e), 0);
	assert_string_equal(cfg.path, path);
	snprintf(path, sizeof path, "%s/data/wal", dir);
	assert_string_equal(cfg.pitr.archive_dir, path);
	config_free(&cfg);

	snprintf(path, sizeof path, "%s/config.yaml", dir);
	unlink(path);
	rmdir(dir);
	assert_int_equal(config_load(&cfg, path, &e), PGTT_ECONFIG);
	assert_true(strstr(e.msg, "could not open config file \"") == e.msg);
	assert_non_null(strstr(e.msg, ": No such file or directory"));
	assert_string_equal(e.where, path);

	/* A directory, like /dev/zero, is no regular file to read. */
	assert_int_equal(config_load(&cfg, "/", &e), PGTT_ECONFIG);
	assert_string_equal(e.msg, "config file \"/\" is not a regular file");
	assert_int_equal(config_load(&cfg, "/dev/zero", &e), PGTT_ECONFIG);
	assert_string_equal(e.msg,
	    "config file \"/dev/zero\" is not a regular file");
}

static void
test_env(void **state)
{
	struct config	cfg;

	(void)state;
	setenv("PGTT_SOURCE_DSN", "dbname=src", 1);
	setenv("PGTT_REPLICA_DSN", "dbname=rep", 1);
	load_ok(&cfg, "source:\n  dsn: file\nreplica:\n  dsn: file\n", NAME);
	assert_string_equal(cfg.source.dsn, "dbname=src");
	assert_string_equal(cfg.replica.dsn, "dbname=rep");
	config_free(&cfg);

	/* Set but empty means not set. */
	setenv("PGTT_SOURCE_DSN", "", 1);
	setenv("PGTT_REPLICA_DSN", "", 1);
	load_ok(&cfg, "source:\n  dsn: file\nreplica:\n  dsn: file\n", NAME);
	assert_string_equal(cfg.source.dsn, "file");
	assert_string_equal(cfg.replica.dsn, "file");
	config_free(&cfg);
	load_fail("source:\n  dsn: \"\"\n", "no source database configured",
	    NAME);
}

static void
test_booleans(void **state)
{
	static const struct {
		const char	*text;
		int		 value;
	} cases[] = {
		{ "true", 1 }, { "True", 1 }, { "YES", 1 }, { "on", 1 },
		{ "false", 0 }, { "FALSE", 0 }, { "no", 0 }, { "Off", 0 },
		{ "\"yes\"", 1 },
	};
	struct config	cfg;
	char		text[128];
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(text, sizeof text, "source:\n  dsn: x\n"
		    "  full_row_images: %s\n  capture_ddl: %s\n",
		    cases[i].text, cases[i].text);
		load_ok(&cfg, text, NAME);
		assert_int_equal(cfg.source.full_row_images, cases[i].value);
		assert_int_equal(cfg.source.capture_ddl, cases[i].value);
		config_free(&cfg);
	}
}

static void
test_errors_keys(void **state)
{
	struct pgtt_err	e;

	(void)state;
	e = load_fail("source:\n  dsn: x\n  foo: 1\n",
	    "unknown key \"foo\" in section \"source\"", "test.yaml:3:3");
	assert_string_equal(e.hint, "valid keys are: dsn, slot, publication, "
	    "tables, capture_ddl, full_row_images, sequence_interval, "
	    "databases");
	e = load_fail("# pgtt\nsorce:\n  dsn: x\n",
	    "unknown section \"sorce\"", "test.yaml:2:1");
	assert_string_equal(e.hint,
	    "valid sections are: source, replica, storage, pitr, retention, http, log");
	e = load_fail("source:\n  dsn: x\n  dsn: y\n",
	    "duplicate key \"dsn\" in section \"source\"", "test.yaml:3:3");
	assert_string_equal(e.detail, "first given at line 2, column 3");
	load_fail("log:\n  level: info\nlog:\n  level: debug\n",
	    "duplicate section \"log\"", "test.yaml:3:1");
	load_fail("source:\n  [a]: x\n", "keys must be strings",
	    "test.yaml:2:3");
	/* A key with a NUL in it is not "dsn". */
	load_fail("source:\n  \"dsn\\0x\": y\n",
	    "unknown key \"dsn\" in section \"source\"", "test.yaml:2:3");
}

static void
test_errors_types(void **state)
{
	struct pgtt_err	e;

	(void)state;
	load_fail("source:\n  dsn: x\n  capture_ddl: maybe\n",
	    "\"source.capture_ddl\" must be a boolean (true or false), "
	    "not \"maybe\"", "test.yaml:3:16");
	load_fail("source:\n  dsn:\n    host: x\n",
	    "\"source.dsn\" must be a string, not a mapping", "test.yaml:3:5");
	load_fail("source:\n  dsn: x\nlog:\n  level: [info]\n",
	    "\"log.level\" must be a log level, not a sequence",
	    "test.yaml:4:10");
	load_fail("source: x\n",
	    "section \"source\" must be a mapping of keys, not a scalar",
	    "test.yaml:1:9");
	load_fail("source:\n  - dsn: x\n",
	    "section \"source\" must be a mapping of keys, not a sequence",
	    "test.yaml:2:3");
	e = load_fail("# top\n- a\n- b\n",
	    "the config file must be a mapping of sections, not a sequence",
	    "test.yaml:2:1");
	assert_string_equal(e.hint, "start with a section such as \"source:\"");
	load_fail("just words\n",
	    "the config file must be a mapping of sections, not a scalar",
	    "test.yaml:1:1");
	load_fail("source:\n  dsn: \"a\\0b\"\n",
	    "\"source.dsn\" must not contain a NUL character",
	    "test.yaml:2:8");
	load_fail("storage:\n  path: \"\"\n",
	    "\"storage.path\" must not be empty", "test.yaml:2:9");
}

static void
test_errors_tables(void **state)
{
	struct pgtt_err	e;

	(void)state;
	e = load_fail("source:\n  dsn: x\n  tables: public.users\n",
	    "\"source.tables\" must be a sequence of table names, "
	    "not \"public.users\"", "test.yaml:3:11");
	assert_non_null(strstr(e.hint, "[public.users"));
	load_fail("source:\n  dsn: x\n  tables: {a: b}\n",
	    "\"source.tables\" must be a sequence of table names, "
	    "not a mapping", "test.yaml:3:11");
	load_fail("source:\n  dsn: x\n  tables: [a, {b: c}]\n",
	    "\"source.tables\" must be a sequence of strings",
	    "test.yaml:3:15");
	load_fail("source:\n  dsn: x\n  tables:\n    - a\n    - [b]\n",
	    "\"source.tables\" must be a sequence of strings",
	    "test.yaml:5:7");
	load_fail("source:\n  dsn: x\n  tables: [a, \"\"]\n",
	    "\"source.tables\" holds an empty table name", "test.yaml:3:15");
	load_fail("source:\n  dsn: x\n  tables:\n    - a\n    -\n",
	    "\"source.tables\" holds an empty table name", "test.yaml:5:6");
}

/* source.databases, and the view of one of them. */
static void
test_databases(void **state)
{
	struct config	cfg;
	struct pgtt_err	e;

	(void)state;
	load_fail("source:\n  dsn: x\n  databases: app\n",
	    "\"source.databases\" must be a sequence of database names, "
	    "not \"app\"", "test.yaml:3:14");
	load_fail("source:\n  dsn: x\n  databases: [app, \"\"]\n",
	    "\"source.databases\" holds an empty database name",
	    "test.yaml:3:20");
	load_fail("source:\n  dsn: x\n  databases: [a, b, a]\n",
	    "\"source.databases\" lists \"a\" twice", "test.yaml:3:21");
	e = load_fail("source:\n  dsn: x\n  databases: [a, b]\n"
	    "replica:\n  dsn: dbname=r\n",
	    "replica.dsn names one database, and source.databases lists 2",
	    "test.yaml");
	assert_non_null(strstr(e.hint, "{database}"));

	load_ok(&cfg, "source:\n  dsn: \"host=h user=u dbname=postgres\"\n"
	    "  databases: [app, Billing-EU]\nreplica:\n"
	    "  dsn: \"host=r dbname={database}_replica\"\n"
	    "storage:\n  path: /d\n", NAME);
	assert_int_equal(cfg.source.ndatabases, 2);
	assert_null(cfg.source.database);
	assert_null(config_pick_database(&cfg, NULL, &e));
	assert_string_equal(e.msg, "2 databases are configured: app and "
	    "Billing-EU");
	assert_null(config_pick_database(&cfg, "nope", &e));
	assert_int_equal(e.code, PGTT_EUSAGE);

	assert_int_equal(config_select_database(&cfg, "app", &e), 0);
	assert_string_equal(cfg.source.database, "app");
	assert_string_equal(cfg.source.dsn,
	    "user='u' dbname='app' host='h'");
	assert_string_equal(cfg.source.slot, "pgtt_app");
	assert_string_equal(cfg.storage.path, "/d/app");
	assert_string_equal(cfg.replica.dsn, "host=r dbname=app_replica");
	/* The cluster's directories stay where they were. */
	assert_string_equal(cfg.pitr.archive_dir, "/d/wal");
	config_free(&cfg);

	/* A name slots and directories cannot hold gets a hash as well. */
	load_ok(&cfg, "source:\n  dsn: \"postgresql://u@h/x\"\n"
	    "  databases: [Billing-EU]\nstorage:\n  path: /d\n", NAME);
	assert_int_equal(config_select_database(&cfg, NULL, &e), 0);
	assert_true(strncmp(cfg.source.slot, "pgtt_billing_eu_", 16) == 0);
	assert_int_equal(strlen(cfg.source.slot), 16 + 8);
	assert_true(strncmp(cfg.storage.path, "/d/billing_eu_", 14) == 0);
	assert_non_null(strstr(cfg.source.dsn, "dbname='Billing-EU'"));
	config_free(&cfg);

	/* libpq's reason a URI does not parse quotes it, password and all. */
	load_ok(&cfg, "source:\n  dsn: \"postgresql://u:s3cret@[::1/x\"\n"
	    "  databases: [app]\n", NAME);
	assert_int_equal(config_select_database(&cfg, "app", &e),
	    PGTT_ECONFIG);
	assert_null(strstr(e.detail, "s3cret"));
	assert_null(strstr(e.msg, "s3cret"));
	config_free(&cfg);

	/* One database named by the DSN alone: -d has nothing to pick. */
	load_ok(&cfg, "source:\n  dsn: x\n", NAME);
	assert_null(config_pick_database(&cfg, "app", &e));
	assert_non_null(strstr(e.msg, "source.databases is not set"));
	config_free(&cfg);
}

static void
test_errors_values(void **state)
{
	struct pgtt_err	e;

	(void)state;
	e = load_fail("source:\n  dsn: x\nstorage:\n  map_size: 12XB\n",
	    "\"storage.map_size\" is not a size: \"12XB\"", "test.yaml:4:13");
	assert_string_equal(e.hint, "use bytes or a suffix: 512MB, 1GiB");
	load_fail("storage:\n  map_size: 0\n",
	    "\"storage.map_size\" must be greater than zero", "test.yaml:2:13");
	load_fail("storage:\n  writer_nice: 20\n",
	    "\"storage.writer_nice\" must be a whole number of nice levels "
	    "from 0 to 19, not \"20\"", "test.yaml:2:16");
	load_fail("storage:\n  writer_nice: -1\n",
	    "\"storage.writer_nice\" must be a whole number of nice levels "
	    "from 0 to 19, not \"-1\"", "test.yaml:2:16");
	load_fail("pitr:\n  restore_port: 0\n",
	    "\"pitr.restore_port\" must be a port number between 1 and "
	    "65535, not \"0\"", "test.yaml:2:17");
	load_fail("source:\n  sequence_interval: 10m\n",
	    "\"source.sequence_interval\" must be a number of seconds "
	    "between 0 and 86400, like 10 or 10s, not \"10m\"",
	    "test.yaml:2:22");
	load_fail("source:\n  sequence_interval: 86401\n",
	    "\"source.sequence_interval\" must be a number of seconds "
	    "between 0 and 86400, like 10 or 10s, not \"86401\"",
	    "test.yaml:2:22");
	load_fail("source:\n  sequence_interval: s\n",
	    "\"source.sequence_interval\" must be a number of seconds "
	    "between 0 and 86400, like 10 or 10s, not \"s\"",
	    "test.yaml:2:22");
	load_fail("pitr:\n  restore_port: 65536\n",
	    "\"pitr.restore_port\" must be a port number between 1 and "
	    "65535, not \"65536\"", "test.yaml:2:17");
	load_fail("pitr:\n  restore_port: -1\n",
	    "\"pitr.restore_port\" must be a port number between 1 and "
	    "65535, not \"-1\"", "test.yaml:2:17");
	load_fail("pitr:\n  restore_port: 99999999999999999999\n",
	    "\"pitr.restore_port\" must be a port number between 1 and "
	    "65535, not \"99999999999999999999\"", "test.yaml:2:17");
	e = load_fail("log:\n  level: loud\n",
	    "\"log.level\" is not a log level: \"loud\"", "test.yaml:2:10");
	assert_string_equal(e.hint, "use one of: error, warning, info, debug");
	e = load_fail("source:\n  dsn: x\n  slot: Bad-Slot\n",
	    "\"source.slot\" is not a valid replication slot name: "
	    "\"Bad-Slot\"", "test.yaml:3:9");
	assert_string_equal(e.hint, "use lowercase letters, digits and "
	    "underscores, at most 63 characters");
	load_fail("source:\n  slot: a234567890123456789012345678901234567890"
	    "123456789012345678901234\n",
	    "\"source.slot\" is not a valid replication slot name: "
	    "\"a23456789012345678901234567890123456789012345678901234567890"
	    "...\"", "test.yaml:2:9");
	load_fail("source:\n  slot: \"\"\n",
	    "\"source.slot\" is not a valid replication slot name: \"\"",
	    "test.yaml:2:9");
	load_fail("source:\n  dsn: x\n  publication: \"\"\n",
	    "\"source.publication\" must not be empty", "test.yaml:3:16");
	/* Control characters are not echoed into a one-line message. */
	load_fail("log:\n  level: \"a\\nb\"\n",
	    "\"log.level\" is not a log level: \"a?b\"", "test.yaml:2:10");
}

static void
test_ok_values(void **state)
{
	struct config	cfg;

	(void)state;
	load_ok(&cfg, "source:\n  dsn: x\n  slot: a_1\npitr:\n"
	    "  restore_port: 65535\nstorage:\n  map_size: 1048576\n"
	    "log:\n  level: Warning\n", NAME);
	assert_string_equal(cfg.source.slot, "a_1");
	assert_int_equal(cfg.pitr.restore_port, 65535);
	assert_true(cfg.storage.map_size == 1048576);
	assert_int_equal(cfg.log.level, LOG_LEVEL_WARNING);
	config_free(&cfg);
	load_ok(&cfg, "source:\n  dsn: x\n  slot: "
	    "abcdefghijklmnopqrstuvwxyz_012345678901234567890123456789012345\n",
	    NAME);
	assert_int_equal(strlen(cfg.source.slot), 63);
	config_free(&cfg);
	load_ok(&cfg, "source: {dsn: x}\npitr: {restore_port: 1}\n"
	    "log: {level: error}\n", NAME);
	assert_int_equal(cfg.pitr.restore_port, 1);
	assert_int_equal(cfg.log.level, LOG_LEVEL_ERROR);
	config_free(&cfg);
	/* Anchors and aliases are plain YAML and work. */
	load_ok(&cfg, "source: {dsn: &d \"dbname=a\"}\nreplica: {dsn: *d}\n",
	    NAME);
	assert_string_equal(cfg.replica.dsn, "dbname=a");
	config_free(&cfg);
}

static void
test_errors_syntax(void **state)
{
	struct pgtt_err	e;

	(void)state;
	e = load_fail("source:\n  dsn: x\n  slot: [a, b\n",
	    "syntax error: did not find expected ',' or ']'",
	    "test.yaml:4:1");
	assert_string_equal(e.detail,
	    "while parsing a flow sequence at line 3, column 9");
	load_fail("a: b: c\n",
	    "syntax error: mapping values are not allowed in this context",
	    "test.yaml:1:5");
	e = load_fail("source:\n\tdsn: x\n",
	    "syntax error: found character that cannot start any token",
	    "test.yaml:2:1");
	assert_string_equal(e.hint,
	    "indent with spaces: YAML does not allow tabs");
	load_fail("source:\n  dsn: x\nlog: {level: *nope}\n",
	    "syntax error: found undefined alias", "test.yaml:3:14");
	load_fail("source:\n  dsn: \"\xff\"\n",
	    "syntax error: invalid leading UTF-8 octet", "test.yaml:2:9");
	e = load_fail("source:\n  dsn: x\n---\nlog: {}\n",
	    "the config file holds more than one YAML document",
	    "test.yaml:4:1");
	assert_string_equal(e.hint, "remove the second \"---\"");
}

static void
test_parse_size(void **state)
{
	static const struct {
		const char	*text;
		int		 rc;
		uint64_t	 value;
	} cases[] = {
		{ "0", 0, 0 },
		{ "1048576", 0, 1048576 },
		{ "64k", 0, 64 << 10 },
		{ "64K", 0, 64 << 10 },
		{ "64KB", 0, 64 << 10 },
		{ "64KiB", 0, 64 << 10 },
		{ "512M", 0, 512ULL << 20 },
		{ "512MB", 0, 512ULL << 20 },
		{ "512 MiB", 0, 512ULL << 20 },
		{ "1G", 0, 1ULL << 30 },
		{ "1GB", 0, 1ULL << 30 },
		{ "1gib", 0, 1ULL << 30 },
		{ "2T", 0, 2ULL << 40 },
		{ "2TB", 0, 2ULL << 40 },
		{ "2TiB", 0, 2ULL << 40 },
		{ "100B", 0, 100 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "16777215T", 0, 16777215ULL << 40 },
		{ "18446744073709551616", -1, 0 },
		{ "16777216T", -1, 0 },
		{ "99999999999999999999999G", -1, 0 },
		{ "", -1, 0 },
		{ "-1", -1, 0 },
		{ "+1", -1, 0 },
		{ "1.5G", -1, 0 },
		{ "G", -1, 0 },
		{ " 1G", -1, 0 },
		{ "1G ", -1, 0 },
		{ "1 ", -1, 0 },
		{ "12XB", -1, 0 },
		{ "1GiBB", -1, 0 },
		{ "1P", -1, 0 },
	};
	uint64_t	v;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		v = 12345;
		if (config_parse_size(cases[i].text, &v) != cases[i].rc)
			fail_msg("\"%s\": want rc %d", cases[i].text,
			    cases[i].rc);
		if (cases[i].rc == 0 && v != cases[i].value)
			fail_msg("\"%s\": got %llu", cases[i].text,
			    (unsigned long long)v);
	}
	assert_int_equal(config_parse_size(NULL, &v), -1);
}

static void
test_find(void **state)
{
	char	 old[PATH_MAX], dir[] = "/tmp/pgtt-test-find-XXXXXX";
	char	 xdg[PATH_MAX], path[PATH_MAX], *p;
	FILE	*f;

	(void)state;
	assert_non_null(getcwd(old, sizeof old));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);

	p = config_find("/no/such/file.yaml");
	assert_string_equal(p, "/no/such/file.yaml");
	free(p);
	setenv("PGTT_CONFIG", "/also/missing.yaml", 1);
	p = config_find(NULL);
	assert_string_equal(p, "/also/missing.yaml");
	free(p);
	unsetenv("PGTT_CONFIG");

	snprintf(xdg, sizeof xdg, "%s/xdg", dir);
	setenv("XDG_CONFIG_HOME", xdg, 1);
	assert_null(config_find(NULL));
	snprintf(path, sizeof path, "%s/xdg/pgtt", dir);
	assert_int_equal(mkdir(xdg, 0700), 0);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s/xdg/pgtt/config.yaml", dir);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	p = config_find(NULL);
	assert_string_equal(p, path);
	free(p);

	assert_non_null(f = fopen("config.yaml", "w"));
	fclose(f);
	p = config_find(NULL);
	assert_string_equal(p, "config.yaml");
	free(p);

	unlink("config.yaml");
	unlink(path);
	snprintf(path, sizeof path, "%s/xdg/pgtt", dir);
	rmdir(path);
	rmdir(xdg);
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(chdir(old), 0);
	rmdir(dir);
}

/* The shipped example must load as it stands. */
static void
test_duration(void **state)
{
	int64_t	s;

	(void)state;
	assert_int_equal(config_parse_duration("90", &s), 0);
	assert_true(s == 90);
	assert_int_equal(config_parse_duration("90s", &s), 0);
	assert_true(s == 90);
	assert_int_equal(config_parse_duration("30m", &s), 0);
	assert_true(s == 1800);
	assert_int_equal(config_parse_duration("12h", &s), 0);
	assert_true(s == 43200);
	assert_int_equal(config_parse_duration("7d", &s), 0);
	assert_true(s == 604800);
	assert_int_equal(config_parse_duration("0", &s), 0);
	assert_true(s == 0);
	assert_int_equal(config_parse_duration("7x", &s), -1);
	assert_int_equal(config_parse_duration("-1d", &s), -1);
	assert_int_equal(config_parse_duration("d", &s), -1);
	assert_int_equal(config_parse_duration("", &s), -1);
	assert_int_equal(config_parse_duration("99999999999999999999d", &s),
	    -1);
	load_fail("source:\n  dsn: x\nretention:\n  backups: -1\n",
	    "\"retention.backups\" must be a whole number from 0 (keep all), "
	    "not \"-1\"", NAME ":4:12");
}

/* http.listen is checked when read, where its line and column are known. */
static void
test_http(void **state)
{
	struct config	cfg;

	(void)state;
	load_ok(&cfg, "source:\n  dsn: x\n", NAME);
	assert_null(cfg.http.listen);
	assert_int_equal(cfg.http.max_lag, 60);
	config_free(&cfg);
	load_ok(&cfg, "source:\n  dsn: x\nhttp:\n  listen: \":9187\"\n", NAME);
	assert_string_equal(cfg.http.listen, ":9187");
	config_free(&cfg);
	load_fail("source:\n  dsn: x\nhttp:\n  listen: \"host:http\"\n",
	    "\"http.listen\": \"host:http\" is not an address to listen on: "
	    "give HOST:PORT, [IPV6]:PORT or :PORT (loopback)",
	    NAME ":4:11");
	load_fail("source:\n  dsn: x\nhttp:\n  listen: \"a:b:1\"\n",
	    "\"http.listen\": \"a:b:1\" is not an address to listen on: "
	    "give HOST:PORT, [IPV6]:PORT or :PORT (loopback)",
	    NAME ":4:11");
}

/* pitr.engine, and the pgbackrest section inside pitr. */
static void
test_pgbackrest(void **state)
{
	struct config	cfg;

	(void)state;
	load_ok(&cfg, "source:\n  dsn: x\n", NAME);
	assert_int_equal(cfg.pitr.engine, PITR_ENGINE_PGTT);
	assert_null(cfg.pitr.pgbackrest.stanza);
	config_free(&cfg);
	load_ok(&cfg, "source:\n  dsn: x\npitr:\n  engine: pgbackrest\n"
	    "  pgbackrest:\n    stanza: main\n"
	    "    config: /etc/pgbackrest/pgbackrest.conf\n", NAME);
	assert_int_equal(cfg.pitr.engine, PITR_ENGINE_PGBACKREST);
	assert_string_equal(cfg.pitr.pgbackrest.stanza, "main");
	assert_string_equal(cfg.pitr.pgbackrest.config,
	    "/etc/pgbackrest/pgbackrest.conf");
	config_free(&cfg);
	load_fail("source:\n  dsn: x\npitr:\n  engine: pgbackrest\n",
	    "pitr.engine is pgbackrest, and no pitr.pgbackrest.stanza names "
	    "its stanza", NAME ":4:11");
	load_fail("source:\n  dsn: x\npitr:\n  engine: barman\n",
	    "\"pitr.engine\" is not a PITR engine: \"barman\"", NAME ":4:11");
	load_fail("source:\n  dsn: x\npitr:\n  pgbackrest:\n    stanz: a\n",
	    "unknown key \"stanz\" in section \"pitr.pgbackrest\"",
	    NAME ":5:5");
	/* Both go into a restore_command: nothing a shell would read. */
	load_fail("source:\n  dsn: x\npitr:\n  pgbackrest:\n"
	    "    stanza: \"a;touch /tmp/x\"\n",
	    "\"pitr.pgbackrest.stanza\" holds a character a restore_command "
	    "cannot carry safely: \"a;touch /tmp/x\"", NAME ":5:13");
	load_fail("source:\n  dsn: x\npitr:\n  pgbackrest:\n"
	    "    config: \"/etc/$(id)/pgbackrest.conf\"\n",
	    "\"pitr.pgbackrest.config\" holds a character a restore_command "
	    "cannot carry safely: \"/etc/$(id)/pgbackrest.conf\"",
	    NAME ":5:13");
	/* The inner section is pitr's, not one of its own at the root. */
	load_fail("source:\n  dsn: x\npitr.pgbackrest:\n  stanza: a\n",
	    "unknown section \"pitr.pgbackrest\"", NAME ":3:1");
}

static void
test_example(void **state)
{
	static const char *const where[] = {
		"config.yaml.example", "../config.yaml.example",
		"../../config.yaml.example",
	};
	struct config	cfg;
	struct pgtt_err	e;
	size_t		i;

	(void)state;
	for (i = 0; i < sizeof where / sizeof where[0]; i++) {
		if (access(where[i], R_OK) == 0)
			break;
	}
	if (i == sizeof where / sizeof where[0]) {
		print_message("config.yaml.example not found from the working "
		    "directory; run from the repository root\n");
		skip();
	}
	if (config_load(&cfg, where[i], &e) != 0)
		fail_msg("%s: %s: %s", e.where, e.msg, e.hint);
	assert_non_null(cfg.source.dsn);
	/* The example records every table: a copied config misses none. */
	assert_int_equal(cfg.source.ntables, 0);
	assert_null(cfg.source.tables);
	assert_int_equal(cfg.pitr.restore_port, 5499);
	config_free(&cfg);
}

static void
test_free_zeroed(void **state)
{
	struct config	cfg;

	(void)state;
	memset(&cfg, 0, sizeof cfg);
	config_free(&cfg);
	config_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, clean_env, clean_env)
		T(test_full),
		T(test_pgbackrest),
		T(test_defaults),
		T(test_empty_file),
		T(test_relative_paths),
		T(test_load_file),
		T(test_env),
		T(test_booleans),
		T(test_errors_keys),
		T(test_errors_types),
		T(test_errors_tables),
		T(test_databases),
		T(test_errors_values),
		T(test_ok_values),
		T(test_errors_syntax),
		T(test_parse_size),
		T(test_find),
		T(test_example),
		T(test_http),
		T(test_duration),
		T(test_free_zeroed),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
