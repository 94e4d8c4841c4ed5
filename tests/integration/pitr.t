#!/usr/bin/env bash
# PITR against a real server: setup's physical slot and first base backup,
# backup and backup list.
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
check_ok "backup list in text" $C --headless backup list
like "$OUT" "^name +start +end" "text list has a header"
like "$OUT" "$FIRST .*
.* $B2_START +$B2_END " "and one line per backup, oldest first"
check_fail "backup with a stray argument" 2 $C --headless backup lsit
like "$ERR" 'unknown argument "lsit" for backup' "names the argument"

done_testing
