#!/usr/bin/env bash
# A replay that cannot go on says so.  A lock another session holds on
# the replica made replay wait without a word, deaf to SIGTERM until the
# lock went, and then exit 0 short of its target.  Now it waits
# replica.lock_timeout, then fails naming the change and the lock; and a
# signal cancels the statement that waits, leaves the replica at the last
# boundary and exits 1.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5781
pg_start rep 5782
sql src postgres "CREATE DATABASE app"
sql rep postgres "CREATE DATABASE app_replica"
sql src app "CREATE TABLE t (id int PRIMARY KEY, v text);
	INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 10) g"

W=$TEST_ROOT/w
mkdir -p "$W"
config() {
	cat >"$W/config.yaml" <<EOF
source:
  dsn: "$(pg_dsn src app)"
  sequence_interval: 0
storage:
  path: $W/data
replica:
  dsn: "$(pg_dsn rep app_replica)"
  lock_timeout: $1
pitr:
  enabled: false
EOF
}
config 2
check_ok "setup" -c "$W/config.yaml" --headless setup
P() { run_pgtt -c "$W/config.yaml" "$@"; }
sql src app "INSERT INTO t VALUES (11, 'a')"
check_ok "checkpoint A" -c "$W/config.yaml" --headless checkpoint create A
sql src app "INSERT INTO t VALUES (12, 'b')"
check_ok "checkpoint B" -c "$W/config.yaml" --headless checkpoint create B
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
check_ok "replay --to A" -c "$W/config.yaml" --headless replay --to A

# A session on the replica holds the table (EXCLUSIVE: it lets this
# test read the table, as ACCESS EXCLUSIVE would not).
psql -X -q "$(pg_dsn rep app_replica)" -c "BEGIN; LOCK TABLE t IN EXCLUSIVE MODE;
	SELECT pg_sleep(120)" >/dev/null 2>&1 &
HOLDER=$!
_bg_pids="$_bg_pids $HOLDER"
wait_until 10 sh -c "[ \"\$(psql -X -A -t '$(pg_dsn rep app_replica)' -c \"SELECT count(*) FROM pg_locks WHERE mode = 'ExclusiveLock' AND relation = 't'::regclass AND granted\")\" = 1 ]"
ok $? "the other session holds the lock"

# --- lock_timeout: fail, naming the change and the lock ---
START=$(date +%s)
P --headless replay --to B
is "$RC" 1 "replay fails when it cannot get the lock"
like "$ERR" 'insert of public\.t' "naming the change that waited"
like "$ERR" 'lock timeout' "and the lock timeout"
like "$ERR" 'replica.lock_timeout' "and the setting"
like "$OUT" 'stopped before the failing change' "the summary says it stopped there"
unlike "$OUT" 'skipped' "and not that it skipped anything"
ELAPSED=$(( $(date +%s) - START ))
diag "it gave up after $ELAPSED s (replica.lock_timeout: 2) (informational)"
is "$(sql rep app_replica "SELECT count(*) FROM t")" 11 "the replica stays at A"

# --- a signal cancels the statement that waits ---
config 0
"$PGTT" -c "$W/config.yaml" --headless replay --to B >"$TEST_ROOT/r.out" 2>"$TEST_ROOT/r.err" &
REPLAY=$!
_bg_pids="$_bg_pids $REPLAY"
wait_until 20 sh -c "[ \"\$(psql -X -A -t '$(pg_dsn rep app_replica)' -c \"SELECT count(*) FROM pg_locks WHERE relation = 't'::regclass AND NOT granted\")\" -ge 1 ]"
ok $? "with lock_timeout 0 replay waits for the lock"
kill -TERM "$REPLAY"
wait_until 10 sh -c "! kill -0 $REPLAY"
ok $? "SIGTERM stops it while it waits" || kill -9 "$REPLAY"
wait "$REPLAY"
is "$?" 1 "and it exits 1, short of its target"
like "$(cat "$TEST_ROOT/r.err")" 'replay was stopped at [0-9A-F/]+, short of [0-9A-F/]+' "saying where it stopped"
kill "$HOLDER" 2>/dev/null
sql rep postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()" >/dev/null
is "$(sql rep app_replica "SELECT count(*) FROM t")" 11 "the replica stays at A"
check_ok "once the lock is gone, replay goes on" -c "$W/config.yaml" --headless replay --to B
is "$(sql rep app_replica "SELECT count(*) FROM t")" 12 "and reaches B"

# --- a signal before the first change: stopped, not failed ---
# The TUI's Esc came while replay still read the replica's state, and
# the cancelled query was reported as a failure.  A lock on
# pgtt.replay_state holds replay at that read.
sql src app "INSERT INTO t VALUES (13, 'c')"
check_ok "checkpoint C" -c "$W/config.yaml" --headless checkpoint create C
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
psql -X -q "$(pg_dsn rep app_replica)" -c "BEGIN; LOCK TABLE pgtt.replay_state IN ACCESS EXCLUSIVE MODE;
	SELECT pg_sleep(120)" >/dev/null 2>&1 &
HOLDER=$!
_bg_pids="$_bg_pids $HOLDER"
wait_until 10 sh -c "[ \"\$(psql -X -A -t '$(pg_dsn rep postgres)' -c \"SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND granted AND relation IS NOT NULL AND database = (SELECT oid FROM pg_database WHERE datname = 'app_replica')\")\" -ge 1 ]"
ok $? "another session holds pgtt.replay_state"
"$PGTT" -c "$W/config.yaml" --headless replay --to C >"$TEST_ROOT/r.out" 2>"$TEST_ROOT/r.err" &
REPLAY=$!
_bg_pids="$_bg_pids $REPLAY"
wait_until 20 sh -c "[ \"\$(psql -X -A -t '$(pg_dsn rep postgres)' -c \"SELECT count(*) FROM pg_locks WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = 'app_replica')\")\" -ge 1 ]"
ok $? "replay waits to read where the replica stands"
kill -TERM "$REPLAY"
wait_until 10 sh -c "! kill -0 $REPLAY"
ok $? "SIGTERM stops it" || kill -9 "$REPLAY"
wait "$REPLAY"
is "$?" 1 "it exits 1, short of its target"
like "$(cat "$TEST_ROOT/r.err")" 'replay was stopped before it changed the replica' "saying it was stopped before any change"
unlike "$(cat "$TEST_ROOT/r.err")" 'query failed' "not that a query failed"
kill "$HOLDER" 2>/dev/null
sql rep postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()" >/dev/null
is "$(sql rep app_replica "SELECT count(*) FROM t")" 12 "the replica stays at B"
check_ok "replay goes on" -c "$W/config.yaml" --headless replay --to C
is "$(sql rep app_replica "SELECT count(*) FROM t")" 13 "and reaches C"

# On a terminal, a long verb shows one progress line on stderr; script(1)
# gives it one.
sql src app "INSERT INTO t VALUES (14, 'd')"
check_ok "checkpoint D" -c "$W/config.yaml" --headless checkpoint create D
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
script -qec "$PGTT -c '$W/config.yaml' --headless replay --to D" /dev/null >"$TEST_ROOT/tty.out" 2>&1
is "$?" 0 "replay on a terminal"
like "$(tr '\r' '\n' <"$TEST_ROOT/tty.out")" 'replay \[#+\] applying 1/1' "shows its progress line, full at the end"

done_testing
