#!/usr/bin/env bash
# Retention: retention.backups keeps the newest base backups, prune
# removes the older ones and the WAL before the oldest kept one; the
# window moves, checkpoints before it are no longer restorable, and a
# restore inside it is exact.  --dry-run removes nothing.  A prune never
# runs while a backup or a restore holds the PITR store, and one racing
# a backup leaves that backup whole.  journal_warn warns in status.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5807 "autovacuum = off"
sql src postgres "CREATE DATABASE app"
sql src app "CREATE TABLE t (id int PRIMARY KEY, v text)"
W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"pitr:" "  restore_data_dir: $TEST_ROOT/restored" "  restore_port: 5808" \
	"retention:" "  backups: 1" "  journal_warn: 1kB"
C="-c $W/config.yaml"
check_ok "setup" $C setup
run_pgtt $C --json backup list
B1=$(echo "$OUT" | json_get name)

st() { "$PGTT_BIN" $C --json status | json_get "$1"; }
window_reaches() { lsn_ge "$(st window.latest)" "$1"; }
cp_lsn() { "$PGTT_BIN" $C --json checkpoint list | perl -MJSON::PP -ne '$o = JSON::PP->new->decode($_); print $o->{lsn} if $o->{name} eq $n; BEGIN { $n = shift }' "$1"; }
snap() { psql -X -q -A -t "$1" -c "COPY (SELECT * FROM t ORDER BY 1) TO STDOUT"; }

# Its own prune waits an hour here: the test prunes by hand first.
PGTT_TEST_PRUNE_FIRST_MS=3600000 bg "$PGTT_BIN" $C listen
LISTENER=$BG_PID
wait_until 30 sh -c "[ \"\$(\"$PGTT_BIN\" $C --json status | json_get archive.receiver)\" = streaming ]"
# Segments the first backup needs and the second does not.
for i in 1 2 3; do
	sql src app "INSERT INTO t SELECT g, 'old' FROM generate_series($i * 100, $i * 100 + 99) g"
	sql src app "SELECT pg_switch_wal()" >/dev/null
done
check_ok "checkpoint old" $C checkpoint create old
check_ok "a second backup" $C --json backup
B2=$(echo "$OUT" | json_get name)
B2_START=$(echo "$OUT" | json_get start_lsn)
B2_END=$(echo "$OUT" | json_get end_lsn)
sql src app "UPDATE t SET v = 'new' WHERE id % 2 = 0; DELETE FROM t WHERE id % 5 = 0"
check_ok "checkpoint new" $C checkpoint create new
SNAP_NEW=$(snap "$(pg_dsn src app)")
wait_until 30 window_reaches "$(cp_lsn new)"
ok $? "the archive reaches checkpoint new"
WAL_BEFORE=$(ls "$W/data/wal" | grep -vc partial)

check_ok "prune --dry-run" $C --json prune --dry-run
is "$(echo "$OUT" | json_get backups)" "[\"$B1\"]" "it would remove the older backup"
like "$(echo "$OUT" | json_get wal.segments)" '^[1-9]' "and the WAL before the kept one"
is "$(echo "$OUT" | json_get dry_run)" "true" "as a dry run"
run_pgtt $C --json backup list
is "$(echo "$OUT" | wc -l)" 2 "a dry run removes nothing: two backups"
is "$(ls "$W/data/wal" | grep -vc partial)" "$WAL_BEFORE" "and every segment"

check_ok "prune" $C prune
like "$OUT" "removed base backup $B1" "says which backup it removed"
like "$OUT" 'removed [0-9]+ WAL segments?, 0000' "and which segments"
like "$OUT" 'kept 1 base backup, and the WAL from [0-9A-F]+/[0-9A-F]+ on' "and what it kept"
run_pgtt $C --json backup list
is "$(echo "$OUT" | json_get name)" "$B2" "one backup is left: the newest"
ok "$([ ! -e "$W/data/base/$B1" ]; echo $?)" "the older backup's directory is gone"
ok "$([ -f "$W/data/base/$B2/backup_label" ]; echo $?)" "the kept one is whole"
OLDEST=$(ls "$W/data/wal" | grep -v partial | grep -E '^[0-9A-F]{24}$' | sort | head -1)
SEG_OF_START=$(perl -e 'my ($h, $l) = split m{/}, shift; printf "%08X", (hex($h) * 2**32 + hex $l) / (16 * 1024 * 1024) % 256' "$B2_START")
is "${OLDEST: -8}" "$SEG_OF_START" "the oldest segment left is the one the kept backup starts in"
is "$(st window.earliest)" "$B2_END" "the window starts at the kept backup"
run_pgtt $C --json checkpoint list
is "$(echo "$OUT" | perl -MJSON::PP -ne '$o = JSON::PP->new->decode($_); print "$o->{name}:", ($o->{restorable} ? "yes" : "no"), " "')" \
	"creation:no migration:no old:no new:yes " "checkpoints before the window are no longer restorable"
check_fail "a restore to a pruned point" 1 $C restore --to old --data-dir "$TEST_ROOT/r-x"
like "$ERR" 'before the oldest base backup' "is refused, before anything is copied"
ok "$([ ! -e "$TEST_ROOT/r-x" ]; echo $?)" "and creates nothing"
check_ok "restore to new after the prune" $C --json restore --to new
is "$(snap "$(echo "$OUT" | json_get conninfo)")" "$SNAP_NEW" "exact: the source's rows at new"
check_ok "stop it" $C restore --stop "$TEST_ROOT/restored"

check_ok "prune again" $C prune
like "$OUT" 'nothing to prune' "a second prune finds nothing"

# A backup or a restore holds the store shared; prune does not wait.
flock -s "$W/data/pitr.lock" sleep 2 &
HOLDER=$!
sleep 0.5
check_fail "prune while a backup runs" 1 $C prune
like "$ERR" 'a base backup or a restore is running' "says so"
like "$ERR" 'HINT: prune again once it is done' "and when to try again"
wait "$HOLDER"

# A real race: prunes while a backup runs, none of which may harm it.
"$PGTT_BIN" $C --json backup >"$TEST_ROOT/b3.json" 2>"$TEST_ROOT/b3.err" &
BACKUP=$!
while kill -0 "$BACKUP" 2>/dev/null; do
	"$PGTT_BIN" $C prune >>"$TEST_ROOT/race.out" 2>&1
	sleep 0.1
done
wait "$BACKUP"
ok $? "the backup taken during prunes succeeds" || diag "$(cat "$TEST_ROOT/b3.err")"
B3=$(json_get name <"$TEST_ROOT/b3.json")
ok "$([ -f "$W/data/base/$B3/backup_label" ]; echo $?)" "and its directory is whole"
unlike "$(cat "$TEST_ROOT/race.out")" "removed base backup $B3" "no prune removed it"
sql src app "INSERT INTO t VALUES (100000, 'after the race')"
check_ok "checkpoint last" $C checkpoint create last
SNAP_LAST=$(snap "$(pg_dsn src app)")
check_ok "prune after the race" $C prune
run_pgtt $C --json backup list
is "$(echo "$OUT" | json_get name)" "$B3" "retention keeps the backup taken during the race, the older one is gone"
wait_until 30 window_reaches "$(cp_lsn last)"
check_ok "restore to last" $C --json restore --to last --force
is "$(snap "$(echo "$OUT" | json_get conninfo)")" "$SNAP_LAST" "from the backup taken during the race: exact"
check_ok "stop it" $C restore --stop "$TEST_ROOT/restored"

# listen applies retention by itself: a minute after it starts, then
# hourly (the test's knob shortens the first wait).
check_ok "one more backup" $C backup
run_pgtt $C --json backup list
is "$(echo "$OUT" | wc -l)" 2 "two backups before listen prunes"
kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null
PGTT_TEST_PRUNE_FIRST_MS=300 bg "$PGTT_BIN" $C listen
LISTENER=$BG_PID
wait_until 30 sh -c "[ \"\$(\"$PGTT_BIN\" $C --json backup list | wc -l)\" = 1 ]"
ok $? "listen pruned the older backup by itself"
like "$(cat "$W/data/pgtt.log")" 'prune: removed base backup' "and logged what it removed"

run_pgtt $C --json status
like "$(echo "$OUT" | json_get warnings)" 'past retention.journal_warn' "status warns of a journal past journal_warn"
run_pgtt $C status
like "$OUT" 'warning +the journal holds [0-9.]+ MB, past retention.journal_warn' "in text too"

sed 's/  backups: 1/  archive: 7x/' "$W/config.yaml" >"$W/bad.yaml"
check_fail "a bad retention.archive" 2 -c "$W/bad.yaml" prune
like "$ERR" 'bad.yaml:[0-9]+:[0-9]+: "retention.archive" must be a duration like 7d, 12h, 30m or 90s, not "7x"' \
	"says where and what"
done_testing
