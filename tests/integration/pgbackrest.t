#!/usr/bin/env bash
# PITR on pgBackRest (pitr.engine: pgbackrest), with a real pgBackRest and
# a posix repository in the test's directory: setup checks the stanza and
# takes no backup of its own, refusing a stanza that does not work before
# it makes anything; backup runs pgbackrest backup and backup list reads
# its info; the window runs from pgBackRest's oldest backup through its
# archive and on through the WAL pgtt streams itself; restore to a
# checkpoint, to one taken seconds before (its WAL not yet in pgBackRest)
# and to a time, each equal to the source's snapshot; a point before the
# oldest backup refused before anything is copied.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/pgbackrest.sh"

pgbr_source 5811
sql src postgres "CREATE DATABASE app"
sql src app "CREATE TABLE t (id int PRIMARY KEY, v text)"

W=$TEST_ROOT/w
mkdir -p "$W"
# config STANZA [LINE...]
config() {
	local stanza=$1
	shift
	write_config "$W/config.yaml" "$(pg_dsn src app)" \
		"pitr:" "  engine: pgbackrest" "  restore_data_dir: $TEST_ROOT/restored" \
		"  restore_port: 5812" "  pgbackrest:" "    stanza: $stanza" \
		"    config: $PGBR/pgbackrest.conf" "$@"
}
C="-c $W/config.yaml"

# --- setup checks the stanza first ---
config nope
check_fail "setup with a stanza pgBackRest does not know" 1 $C --headless setup
like "$ERR" 'pgbackrest' "says pgBackRest failed"
like "$ERR" 'nope' "in its own words, naming the stanza"
is "$(sql src app "SELECT count(*) FROM pg_replication_slots")" 0 "and makes nothing on the source"
# A cluster that does not archive: setup says so in pgBackRest's words.
pg_start bare 5818
printf '\n[bare]\npg1-path=%s\npg1-port=5818\npg1-socket-path=%s\n' \
	"$TEST_ROOT/bare/data" "$TEST_ROOT/bare" >>"$PGBR/pgbackrest.conf"
as_pg pgbackrest --config="$PGBR/pgbackrest.conf" --stanza=bare stanza-create >"$PGBR/bare.log" 2>&1
write_config "$W/bare.yaml" "$(pg_dsn bare postgres)" \
	"pitr:" "  engine: pgbackrest" "  pgbackrest:" "    stanza: bare" \
	"    config: $PGBR/pgbackrest.conf"
check_fail "setup on a cluster that does not archive" 1 -c "$W/bare.yaml" --headless setup
like "$ERR" 'archive_mode|archive_command' "says what is wrong, in pgBackRest's words"
is "$(sql bare postgres "SELECT count(*) FROM pg_replication_slots")" 0 "and makes nothing there"

config app
check_ok "setup" $C --headless setup
like "$OUT" 'pgBackRest stanza "app"' "checks the stanza"
unlike "$OUT" 'created +base backup' "and takes no backup of its own"
run_pgtt $C --json --headless backup list
is "$OUT" "" "backup list: none yet"

# --- backup and backup list ---
sql src app "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g"
check_ok "backup --type full" $C --json --headless backup --type full
is "$(echo "$OUT" | json_get engine)" pgbackrest "pgBackRest took it"
FULL=$(echo "$OUT" | json_get name)
FULL_END=$(echo "$OUT" | json_get end_lsn)
like "$FULL" '^[0-9]{8}-[0-9]{6}F$' "named by pgBackRest's label"
is "$(echo "$OUT" | json_get path)" "null" "no path: it lives in the repository"
run_pgtt $C --json --headless backup list
is "$(echo "$OUT" | json_get name)" "$FULL" "backup list reads pgBackRest's info"
check_fail "a type that is none" 2 $C --headless backup --type weekly
like "$ERR" '"weekly" is not full, diff or incr' "says so"

# --- the window, and restores ---
snap() { psql -X -q -A -t "$1" -c "COPY (SELECT * FROM t ORDER BY 1) TO STDOUT" || echo "COPY failed"; }
st() { "$PGTT" $C --json --headless status | json_get "$1"; }
window_reaches() { lsn_ge "$(st window.latest)" "$1"; }
cp_lsn() { "$PGTT" $C --json --headless checkpoint list | perl -MJSON::PP -ne '$o = JSON::PP->new->decode($_); print $o->{lsn} if $o->{name} eq $n; BEGIN { $n = shift }' "$1"; }

# Right after the backup, before any other WAL: a restore to its end.
is "$(st window.earliest)" "$FULL_END" "the window opens at the backup's end at once"
ok "$(lsn_ge "$(st window.latest)" "$FULL_END"; echo $?)" "and is not empty"

bg "$PGTT" $C --headless listen
sql src app "UPDATE t SET v = 'a' || id WHERE id <= 50"
check_ok "checkpoint A" $C --headless checkpoint create cp-a
SNAP_A=$(snap "$(pg_dsn src app)")
# pgBackRest gets A's segment; what follows stays in the open one.
sql src app "SELECT pg_switch_wal()" >/dev/null
sql src app "DELETE FROM t WHERE id % 4 = 0; INSERT INTO t VALUES (1000, 'new')"
check_ok "checkpoint B, seconds before the restore" $C --headless checkpoint create cp-b
SNAP_B=$(snap "$(pg_dsn src app)")
sql src app "TRUNCATE t"
B=$(cp_lsn cp-b)
wait_until 30 window_reaches "$B"
ok $? "the window reaches B through the WAL pgtt streams"
is "$(st window.earliest)" "$FULL_END" "and starts at pgBackRest's backup"

check_ok "restore --to cp-b" $C --json --headless restore --to cp-b
is "$(echo "$OUT" | json_get base_backup)" "$FULL" "from pgBackRest's backup"
is "$(snap "$(echo "$OUT" | json_get conninfo)")" "$SNAP_B" "equal to the source at B, whose WAL pgBackRest did not have yet"
check_ok "restore --to cp-a" $C --json --headless restore --to cp-a --data-dir "$TEST_ROOT/r-a" --port 5813
is "$(snap "$(echo "$OUT" | json_get conninfo)")" "$SNAP_A" "equal to the source at A"
T=$("$PGTT" $C --json --headless log --from cp-a --to cp-b --op delete --limit 1 | json_get commit_time)
check_ok "restore --to a time" $C --json --headless restore --to "$T" --data-dir "$TEST_ROOT/r-t" --port 5814
is "$(snap "$(echo "$OUT" | json_get conninfo)")" "$SNAP_A" "to the time of the commit after A: A's state"

check_fail "a point before the oldest backup" 1 $C --headless restore --to creation --data-dir "$TEST_ROOT/r-x"
like "$ERR" 'is before the oldest base backup' "says so"
ok "$([ ! -e "$TEST_ROOT/r-x" ]; echo $?)" "and copies nothing"

# --- WAL only pgBackRest holds ---
# pgbackrest check switches WAL and waits until it is archived: twice,
# so pgBackRest's newest segment lies past B.  An empty local archive
# leaves the restore only the repository to read WAL from.
as_pg pgbackrest --config="$PGBR/pgbackrest.conf" --stanza=app check >/dev/null 2>&1
as_pg pgbackrest --config="$PGBR/pgbackrest.conf" --stanza=app check >/dev/null 2>&1
mkdir -p "$TEST_ROOT/no-wal"
config app "  archive_dir: $TEST_ROOT/no-wal"
check_ok "restore --to cp-b from the repository alone" $C --json --headless restore --to cp-b --data-dir "$TEST_ROOT/r-repo" --port 5815
is "$(snap "$(echo "$OUT" | json_get conninfo)")" "$SNAP_B" "equal to the source at B: recovery read pgBackRest's archive"
check_ok "stop it" $C --headless restore --stop "$TEST_ROOT/r-repo"
config app

# --- pgBackRest's choice of type, and its own retention ---
check_ok "backup, type left to pgBackRest" $C --json --headless backup
like "$(echo "$OUT" | json_get name)" "^${FULL}_[0-9]{8}-[0-9]{6}I$" "an incremental one on the full"
config app "retention:" "  backups: 1"
check_ok "prune --dry-run with retention.backups: 1" $C --json --headless prune --dry-run
is "$(echo "$OUT" | json_get backups)" "[]" "removes none of pgBackRest's backups: they are its to expire"
is "$(echo "$OUT" | json_get backups_kept)" 2 "and keeps both"
is "$(as_pg pgbackrest --config="$PGBR/pgbackrest.conf" --stanza=app info --output=json | perl -MJSON::PP -e 'print scalar @{JSON::PP->new->decode(do { local $/; <STDIN> })->[0]{backup}}')" 2 \
	"pgBackRest still lists both"

for d in restored r-a r-t; do
	check_ok "stop the restore in $d" $C --headless restore --stop "$TEST_ROOT/$d"
done
done_testing
