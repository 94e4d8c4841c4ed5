#!/usr/bin/env bash
# PITR against a real server: setup's physical slot and first base backup,
# backup and backup list, the archiver under listen (restarted when
# killed), the recoverable window in status.
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
lsn_ge() {
	perl -e 'sub v { my ($h, $l) = split m{/}, shift; hex($h) * 2**32 + hex $l }
		exit($ARGV[0] ne "null" && v($ARGV[0]) >= v($ARGV[1]) ? 0 : 1)' "$1" "$2"
}
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
like "$(st archive.error)" 'terminated by signal 9' "status says why it stopped"
like "$(cat "$W/data/pgtt.log")" 'warning archiver: pg_receivewal was terminated by signal 9; restarting' "the log says so too"
LSN=$(sql src app "INSERT INTO u VALUES (1, 1); SELECT pg_current_wal_lsn()")
sql src app "INSERT INTO u VALUES (2, 2)"
wait_until 30 window_reaches "$LSN"
ok $? "the window grows as WAL is archived"
is "$(st window.earliest)" "$(echo "$BACKUPS" | head -n 1 | json_get end_lsn)" "it starts at the oldest backup's end LSN"
run_pgtt $C --headless status
like "$OUT" "archive +$W/data/wal: pg_receivewal streaming \(pid [0-9]+\), [0-9]+ segments to 0000000" "text status shows the archive"
like "$OUT" "window +restore to any point from $(st window.earliest) to [0-9A-F]+/[0-9A-F]+ \(2 base backups\)" "and the window"

done_testing
