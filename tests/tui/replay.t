#!/usr/bin/env bash
# Replay from the terminal UI: r on a checkpoint shows the plan, y runs it
# with its progress, any other key declines, Esc stops a running replay at
# a transaction boundary, also one waiting for a lock on the replica; the
# replica ends up with the checkpoint's rows.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/tmux.sh"
# A transaction at a time, whose stop this test watches part way; by net
# effect a window commits whole (replay-net.t).
export PGTT_TEST_REPLAY_NET_MIN=1000000000

pg_start src 5633
pg_start rep 5634
sql src postgres "CREATE DATABASE app"
sql rep postgres "CREATE DATABASE app_replica"
sql src app "CREATE TABLE items (id int PRIMARY KEY, name text);
	CREATE TABLE other (id int PRIMARY KEY)"
W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"replica:" "  dsn: \"$(pg_dsn rep app_replica)\"" "pitr:" "  enabled: false"
check_ok "setup" -c "$W/config.yaml" --headless setup
sql src app "INSERT INTO items SELECT g, 'one' FROM generate_series(1, 10) g"
check_ok "checkpoint one" -c "$W/config.yaml" --headless checkpoint create one
sql src app "INSERT INTO items SELECT g, 'two' FROM generate_series(11, 25) g"
check_ok "checkpoint two" -c "$W/config.yaml" --headless checkpoint create two
# Half way through, one transaction writes other: a lock on it on the
# replica holds the replay there, after it committed some of the way.
for i in $(seq 1 100); do
	echo "INSERT INTO items SELECT g, 'big' FROM generate_series($i * 1000, $i * 1000 + 999) g;"
	[ "$i" = 50 ] && echo "INSERT INTO other VALUES (1);"
done | psql -X -q "$(pg_dsn src app)"
check_ok "checkpoint big" -c "$W/config.yaml" --headless checkpoint create big
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
rows() { sql rep app_replica "SELECT count(*) FROM items" 2>/dev/null; }

tui_start 120 36 -c "$W/config.yaml"
trap '$T kill-server 2>/dev/null; _cleanup' EXIT

see '  two +[0-9A-F]+/' "the checkpoints are listed"
# To the sessions pane (from the stream, past the detail pane).
keys Tab Tab ; keys r
see 'select a checkpoint, or a change in the stream' "r outside the checkpoints and the stream says what to do"
# To the checkpoints pane; two is the one before the last.
keys Tab ; keys G k
keys r
see 'Replay the replica to checkpoint two\?' "r on a checkpoint asks, naming the checkpoint"
see 'replica: .*dbname=.app_replica' "and the replica"
see 'reset from [0-9A-F]+/[0-9A-F]+ to [0-9A-F]+/[0-9A-F]+: 25 changes' "the plan: direction and changes"
see 'drops everything in the replica database' "and warns that a reset drops what is there"
keys n
see 'replay not started' "any other key declines"
is "$(rows)" "" "declining wrote nothing to the replica"
keys r
see 'Replay the replica to checkpoint two\?' "asked again"
keys y
see 'replayed reset to checkpoint two: 25 changes' "y runs it and says what it did"
is "$(rows)" 25 "the replica holds the rows of checkpoint two"
see 'replay at [0-9A-F]+/' "the status pane says where the replica stands"

keys k
keys r
see 'Replay the replica to checkpoint one\?' "r on checkpoint one"
keys y
see 'replayed backward to checkpoint one: 15 changes' "back to one: inserts only, so backward"
is "$(rows)" 10 "the replica holds the rows of checkpoint one"

# Another session on the replica holds a table: hold() TABLE starts it and
# waits until the lock is granted, waiting TABLE says replay waits for it,
# release() ends it.  The lock must be held before the replay starts, or
# the replay applies what it should wait for.
hold() {
	psql -X -q "$(pg_dsn rep app_replica)" -c "BEGIN; LOCK TABLE $1 IN EXCLUSIVE MODE;
		SELECT pg_sleep(60)" >/dev/null 2>&1 &
	HOLDER=$!
	_bg_pids="$_bg_pids $HOLDER"
	wait_until 15 held "$1"
}
held() { [ "$(sql rep app_replica "SELECT count(*) FROM pg_locks WHERE relation = '$1'::regclass AND granted AND mode = 'ExclusiveLock'")" -ge 1 ]; }
waiting() { [ "$(sql rep app_replica "SELECT count(*) FROM pg_locks WHERE relation = '$1'::regclass AND NOT granted")" -ge 1 ]; }
release() {
	kill "$HOLDER" 2>/dev/null
	sql rep postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
}

# Esc on a replay that has committed part of the way.  Esc pressed at
# once would stop it before its first change, and one pressed later may
# come after its end: the lock on other holds it half way.
hold other
ok $? "another session holds a lock on other"
keys G
keys r
see 'Replay the replica to checkpoint big\?' "r on a checkpoint with a long way to go"
keys y
wait_until 30 waiting other
ok $? "the replay applies part of the way, then waits for other"
keys Escape
see 'replay stopped: the replica stands at [0-9A-F]+/' "Esc stops a running replay"
N=$(rows)
ok "$([ "$N" -gt 10 ] && [ "$N" -lt 100025 ]; echo $?)" "it stopped part way, at a transaction boundary ($N rows)"
is "$(sql rep app_replica "SELECT count(*) % 1000 FROM items WHERE name = 'big'")" 0 \
	"no transaction was cut in half"
release

# A replay waiting for a lock before it applies anything: Esc cancels
# the statement that waits, it does not wait for the lock.
hold items
ok $? "another session holds a lock on items"
keys r
see 'Replay the replica to checkpoint big\?' "r on big again"
keys y
wait_until 15 waiting items
ok $? "the replay waits for the other session's lock"
keys Escape
see 'replay stopped: the replica stands at [0-9A-F]+/' "Esc stops it while it waits"
is "$(rows)" "$N" "the replica stays where it stood"
release

keys q
see 'EXIT=0' "q exits with status 0"
done_testing
