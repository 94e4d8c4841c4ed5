# pgbackrest.sh: a source cluster that archives to a pgBackRest stanza in
# the test's directory (a posix repository), for tests of
# pitr.engine: pgbackrest.  Source it after harness.sh.
#
# pgbr_source PORT [SETTING...]: start cluster "src" on PORT archiving to
# stanza "app", and make the stanza; PGBR is its directory and
# $PGBR/pgbackrest.conf its config.
pgbr_source() {
	local port=$1
	shift
	command -v pgbackrest >/dev/null || bail "pgbackrest is not installed (make deps)"
	PGBR=$TEST_ROOT/pgbr
	mkdir -p "$PGBR/repo" "$PGBR/log"
	[ -n "$PG_OS_USER" ] && chown -R "$PG_OS_USER" "$PGBR"
	cat >"$PGBR/pgbackrest.conf" <<CONF
[global]
repo1-path=$PGBR/repo
repo1-retention-full=2
log-path=$PGBR/log
lock-path=$PGBR/log
log-level-console=warn
start-fast=y

[app]
pg1-path=$TEST_ROOT/src/data
pg1-port=$port
pg1-socket-path=$TEST_ROOT/src
CONF
	pg_start src "$port" "autovacuum = off" "archive_mode = on" \
		"archive_command = 'pgbackrest --config=$PGBR/pgbackrest.conf --stanza=app archive-push %p'" "$@"
	as_pg pgbackrest --config="$PGBR/pgbackrest.conf" --stanza=app stanza-create \
		>"$PGBR/stanza.log" 2>&1 ||
		bail "pgbackrest stanza-create failed: $(cat "$PGBR/stanza.log")"
}
