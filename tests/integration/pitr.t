#!/usr/bin/env bash
# PITR against a real server: setup's physical slot and first base backup,
# backup and backup list, the archiver under listen (restarted when
# killed), the recoverable window in status and checkpoint list, and
# restore: to a checkpoint and to a time, cross-checked against snapshots
# of the source taken at those points; the window's refusals; --force and
# --stop.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5671 "autovacuum = off"
sql src postgres "CREATE DATABASE app"
sql src app "CREATE TABLE t (id int PRIMARY KEY, v text);
	CREATE TABLE u (id int PRIMARY KEY, n int)"
W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"pitr:" "  restore_data_dir: $TEST_ROOT/restored" "  restore_port: 5672"
C="-c $W/config.yaml"
check_ok "setup" $C --headless setup
like "$OUT" 'created +base backup' "setup takes the first base backup"

# --- backup, backup list ---
run_pgtt $C --json --headless backup list
is "$(echo "$OUT" | wc -l)" "1" "backup list: the backup setup took"
FIRST=$(echo "$OUT" | json_get name)
ok "$([ -f "$(echo "$OUT" | json_get path)/backup_label" ]; echo $?)" "its directory holds a plain-format backup"
sql src app "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 100) g"
check_ok "backup" $C --json --headless backup
B2_END=$(echo "$OUT" | json_get end_lsn)
like "$B2_END" '^[0-9A-F]+/[0-9A-F]+$' "backup --json gives the end LSN"
B2_START=$(echo "$OUT" | json_get start_lsn)
like "$(cat "$(echo "$OUT" | json_get path)/backup_label")" "START WAL LOCATION: $B2_START " "the start LSN is backup_label's"
ok "$([ "$(ls "$W/data/base" | grep -c partial)" -eq 0 ]; echo $?)" "no .partial directory is left behind"
run_pgtt $C --json --headless backup list
BACKUPS=$OUT
check_ok "backup list in text" $C --headless backup list
like "$OUT" "^name +start +end" "text list has a header"
like "$OUT" "$FIRST .*
.* $B2_START +$B2_END " "and one line per backup, oldest first"
check_fail "backup with a stray argument" 2 $C --headless backup lsit
like "$ERR" 'unknown argument "lsit" for backup' "names the argument"

# --- the WAL archive under listen ---
st() { "$PGTT" $C --json --headless status | json_get "$1"; }
receiver_is() { [ "$(st archive.receiver)" = "$1" ]; }
restarted() { [ "$(st archive.restarts)" -ge 1 ] && receiver_is streaming; }
window_reaches() { lsn_ge "$(st window.latest)" "$1"; }

bg "$PGTT" $C --headless listen
LISTENER=$BG_PID
wait_until 30 receiver_is streaming
ok $? "listen starts pg_receivewal; status says it is streaming"
RPID=$(st archive.receiver_pid)
like "$(ps -o args= -p "$RPID")" "pg_receivewal .*--slot=pgtt_wal .*--synchronous" "it streams from the physical slot, synchronously"
kill -9 "$RPID"
wait_until 30 restarted
ok $? "a killed pg_receivewal is started again"
# What stopped it last: the kill, or a restart that came too soon for the
# server to let go of the slot.
like "$(st archive.error)" 'terminated by signal 9|disconnected|active' "status says why it stopped"
like "$(cat "$W/data/pgtt.log")" 'warning archiver: pg_receivewal was terminated by signal 9; restarting' "the log says so too"
LSN=$(sql src app "INSERT INTO u VALUES (1, 1); SELECT pg_current_wal_lsn()")
sql src app "INSERT INTO u VALUES (2, 2)"
wait_until 30 window_reaches "$LSN"
ok $? "the window grows as WAL is archived"
is "$(st window.earliest)" "$(echo "$BACKUPS" | head -n 1 | json_get end_lsn)" "it starts at the oldest backup's end LSN"
run_pgtt $C --headless status
like "$OUT" "archive +$W/data/wal: pg_receivewal streaming \(pid [0-9]+\), [0-9]+ segments to 0000000" "text status shows the archive"
like "$OUT" "window +restore to any point from $(st window.earliest) to [0-9A-F]+/[0-9A-F]+ \(2 base backups\)" "and the window"

# --- restore, cross-checked against the source ---
# snap DSN: every table, sorted, as COPY writes it.
snap() {
	for tb in t u; do
		psql -X -q -A -t "$1" -c "COPY (SELECT * FROM $tb ORDER BY 1) TO STDOUT" || echo "COPY $tb failed"
	done
}
cp_lsn() { "$PGTT" $C --json --headless checkpoint list | perl -MJSON::PP -ne '$o = JSON::PP->new->decode($_); print $o->{lsn} if $o->{name} eq $n; BEGIN { $n = shift }' "$1"; }
sql src app "INSERT INTO t SELECT g, 'a' || g FROM generate_series(101, 300) g; UPDATE u SET n = 10"
check_ok "checkpoint A" $C --headless checkpoint create cp-a
SNAP_A=$(snap "$(pg_dsn src app)")
# One transaction between A and B (psql -c runs its statements as one).
sql src app "UPDATE t SET v = 'b' || id WHERE id % 3 = 0; DELETE FROM t WHERE id % 7 = 0; INSERT INTO u VALUES (3, 3)"
check_ok "checkpoint B" $C --headless checkpoint create cp-b
SNAP_B=$(snap "$(pg_dsn src app)")
sql src app "DELETE FROM t WHERE id < 50; UPDATE u SET n = n + 1"
sql src app "TRUNCATE u"
B=$(cp_lsn cp-b)
wait_until 30 window_reaches "$B"
ok $? "the archive reaches checkpoint B"
run_pgtt $C --json --headless checkpoint list
is "$(echo "$OUT" | perl -MJSON::PP -ne '$o = JSON::PP->new->decode($_); print "$o->{name}:", ($o->{restorable} ? "yes" : "no"), " "')" \
	"creation:no migration:no cp-a:yes cp-b:yes " "checkpoint list: which checkpoints a restore can reach"

check_ok "restore --to cp-b" $C --json --headless restore --to cp-b
R=$OUT
is "$(echo "$R" | json_get target_lsn)" "$B" "it restores to B's LSN"
is "$(echo "$R" | json_get base_backup)" "$(echo "$BACKUPS" | tail -n 1 | json_get name)" "from the newest base backup that ends before it"
is "$(echo "$R" | json_get data_dir)/$(echo "$R" | json_get port)" "$TEST_ROOT/restored/5672" "into the configured data directory and port"
like "$(echo "$R" | json_get elapsed_ms)" '^[0-9]+$' "elapsed_ms is given"
RDSN=$(echo "$R" | json_get conninfo)
is "$(snap "$RDSN")" "$SNAP_B" "the restored tables equal the source's at B exactly (sorted COPY)"
is "$(psql -X -A -t "$RDSN" -c "SELECT pg_is_in_recovery()")" "f" "the restored server is promoted"
psql -X -q "$RDSN" -c "INSERT INTO u VALUES (99, 99)" >/dev/null 2>&1
ok $? "and accepts writes"
is "$(sql src app "SELECT count(*) FROM u")" "0" "the source is untouched by the restore"
ok "$([ -f "$TEST_ROOT/restored/pgtt_restore.json" ] && [ ! -e "$TEST_ROOT/restored/pgtt_wal" ]; echo $?)" \
	"the data directory is marked as a pgtt restore, and the copied WAL is gone"
is "$(stat -c %U "$TEST_ROOT/restored")" "postgres" "it belongs to the server's OS user"

# A time: recovery stops before the first commit at or after it, so the
# commit time of the one transaction between A and B gives A's state.
T=$("$PGTT" $C --json --headless log --from cp-a --to cp-b --table u --op insert | json_get commit_time)
check_ok "restore --to a time" $C --json --headless restore --to "$T" --data-dir "$TEST_ROOT/r-time" --port 5674
is "$(echo "$OUT" | json_get target_time)" "$T" "the time is kept as the target"
is "$(snap "$(echo "$OUT" | json_get conninfo)")" "$SNAP_A" "restored to a commit's time: the state just before it (A's)"

# --- refusals, --force, --stop ---
check_fail "a point before the oldest backup" 1 $C --headless restore --to creation --data-dir "$TEST_ROOT/r-x"
like "$ERR" "point [0-9A-F/]+ is before the oldest base backup, which restores from $(st window.earliest) on" "says so"
like "$ERR" "HINT: the recoverable window is $(st window.earliest) \.\. [0-9A-F]+/[0-9A-F]+" "and gives the window"
check_fail "a point past the archive" 1 $C --headless restore --to FFFF/0 --data-dir "$TEST_ROOT/r-x"
like "$ERR" 'point FFFF/0 is past the end of the WAL archive' "says so"
check_fail "a time nothing has committed at or after" 1 $C --headless restore --to "2999-01-01 00:00:00+00" --data-dir "$TEST_ROOT/r-x"
like "$ERR" 'no transaction committed at or after 2999-01-01T00:00:00' "says so"
ok "$([ ! -e "$TEST_ROOT/r-x" ]; echo $?)" "a refused restore creates nothing"
mkdir -p "$TEST_ROOT/full" && touch "$TEST_ROOT/full/x"
check_fail "a non-empty directory that is no restore" 2 $C --headless restore --to cp-a --data-dir "$TEST_ROOT/full"
like "$ERR" 'data directory ".*/full" is not empty and is not a pgtt restore' "is refused"
check_fail "a previous restore without --force" 2 $C --headless restore --to cp-a
like "$ERR" 'holds a previous restore' "is refused"
like "$ERR" 'HINT: --force stops its server and replaces it' "and the hint says how"
check_ok "with --force" $C --json --headless restore --to cp-a --force
is "$(snap "$(echo "$OUT" | json_get conninfo)")" "$SNAP_A" "--force replaces it: now at A"
check_ok "restore --stop" $C --headless restore --stop "$TEST_ROOT/restored"
like "$OUT" "stopped the restored server in $TEST_ROOT/restored" "says so"
ok "$([ ! -e "$TEST_ROOT/restored/postmaster.pid" ]; echo $?)" "the server is down"
check_fail "--stop on a directory that is no restore" 2 $C --headless restore --stop "$TEST_ROOT/full"
check_ok "stop the time restore" $C --headless restore --stop "$TEST_ROOT/r-time"
check_fail "restore with neither --to nor --stop" 2 $C --headless restore
check_fail "a bad port" 2 $C --headless restore --to cp-a --port 70000
like "$ERR" '--port takes a port number' "names the option"

kill -TERM "$LISTENER"
wait "$LISTENER"
is "$?" "0" "listen stops with its archiver on SIGTERM"
is "$(st archive.receiver)" "stopped" "and the archive says stopped"

# pg_receivewal killed while it zero-fills a new segment leaves a .partial
# file of neither 0 nor a segment's size, and will not start on it: the
# archiver removes it and the segment is fetched again from the slot.
PARTIAL=$(ls "$W/data/wal" | grep '\.partial$' | tail -n 1)
truncate -s 12247040 "$W/data/wal/$PARTIAL"
LSN=$(sql src app "INSERT INTO u VALUES (3, 3); SELECT pg_current_wal_lsn()")
bg "$PGTT" $C --headless listen
LISTENER=$BG_PID
wait_until 60 window_reaches "$LSN"
ok $? "after a torn .partial the archive streams again and the window grows"
like "$(cat "$W/data/pgtt.log")" "archiver: removing .*$PARTIAL.*12247040 bytes" "the log says which file it removed"
kill -TERM "$LISTENER"
wait "$LISTENER"

done_testing
