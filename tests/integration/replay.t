#!/usr/bin/env bash
# Replay onto a real replica: after a workload with checkpoints A < B < C
# (inserts, updates of TOASTed rows and of keys, deletes, a truncate, and a
# migration between B and C), the replica's tables equal the source's
# snapshot at each checkpoint, forward, back and forward again; backward
# replay over full row images; kill -9 mid-replay and resume; the source
# refused as a target; a failing change with stop and with skip.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5651
pg_start rep 5652
sql src postgres "CREATE DATABASE app"
sql rep postgres "CREATE DATABASE app_replica"
# Something the replica held before pgtt was pointed at it.
sql rep app_replica "CREATE TABLE stale (x int); INSERT INTO stale VALUES (1)"

sql src app "CREATE TABLE t (id int PRIMARY KEY, v text, big text);
	CREATE TABLE f (id int, note text);
	ALTER TABLE f REPLICA IDENTITY FULL;
	CREATE TABLE tr (id int PRIMARY KEY);
	CREATE SCHEMA \"Sales\";
	CREATE TABLE \"Sales\".\"Order Items\" (\"Id\" int PRIMARY KEY, qty int);
	INSERT INTO t VALUES (1, 'before setup', NULL)"
W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"replica:" "  dsn: \"$(pg_dsn rep app_replica)\"" "pitr:" "  enabled: false"
check_ok "setup" -c "$W/config.yaml" --headless setup
P() { run_pgtt -c "$W/config.yaml" "$@"; }

TABLES='t f tr "Sales"."Order Items" n'
# snap CLUSTER DB: every table's rows, sorted, or "absent".
snap() {
	local t
	for t in t f tr '"Sales"."Order Items"' n; do
		echo "== $t"
		if [ "$(sql "$1" "$2" "SELECT to_regclass('$t') IS NOT NULL")" = t ]; then
			psql -X -q "$(pg_dsn "$1" "$2")" -c "COPY $t TO STDOUT" | LC_ALL=C sort
		else
			echo absent
		fi
	done
}
mark() {
	snap src app >"$TEST_ROOT/snap.$1"
	check_ok "checkpoint $1" -c "$W/config.yaml" --headless checkpoint create "$1"
}
# replay_to POINT NAME [args]: replay, then compare with snapshot NAME.
replay_to() {
	local point=$1 name=$2
	shift 2
	P --json --headless replay --to "$point" "$@"
	is "$RC" 0 "replay --to $point exits 0"
	[ "$RC" = 0 ] || diag "$OUT" "$ERR"
	snap rep app_replica >"$TEST_ROOT/replica.now"
	if cmp -s "$TEST_ROOT/snap.$name" "$TEST_ROOT/replica.now"; then
		ok 0 "replica at $point equals the source's snapshot at $name"
	else
		ok 1 "replica at $point equals the source's snapshot at $name"
		diag "$(diff "$TEST_ROOT/snap.$name" "$TEST_ROOT/replica.now" | cut -c1-120 | head -20)"
	fi
}

BIG=$(sql src app "SELECT string_agg(md5(i::text), '') FROM generate_series(1, 3000) i")
sql src app "INSERT INTO t SELECT i, 'v' || i, NULL FROM generate_series(2, 20) i;
	UPDATE t SET big = '$BIG' WHERE id = 2;
	INSERT INTO f VALUES (1, 'dup'), (1, 'dup'), (2, 'two');
	INSERT INTO tr VALUES (1), (2);
	INSERT INTO \"Sales\".\"Order Items\" VALUES (1, 5)"
mark A
sql src app "UPDATE t SET v = 'toast kept' WHERE id = 2;
	UPDATE t SET id = 30 WHERE id = 3;
	DELETE FROM t WHERE id IN (4, 5);
	UPDATE t SET v = NULL WHERE id = 6;
	DELETE FROM f WHERE ctid = (SELECT min(ctid) FROM f WHERE id = 1);
	UPDATE f SET note = 'zwei' WHERE id = 2;
	TRUNCATE tr;
	INSERT INTO tr VALUES (3);
	UPDATE \"Sales\".\"Order Items\" SET qty = 6"
mark B
sql src app "ALTER TABLE t ADD COLUMN c int DEFAULT 7;
	CREATE TABLE n (id int PRIMARY KEY, x text);
	INSERT INTO n VALUES (1, 'new');
	UPDATE t SET c = 8 WHERE id = 7"
sql src app "BEGIN; ALTER TABLE n ADD COLUMN y int; UPDATE n SET y = 1; COMMIT"
sql src app "CREATE INDEX CONCURRENTLY n_x ON n (x)"
mark C
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now

# --- dry run touches nothing ---
P --json --headless replay --to B --dry-run
is "$RC" 0 "--dry-run exits 0"
is "$(echo "$OUT" | json_get direction)/$(echo "$OUT" | json_get dry_run)" "reset/true" \
	"a replica never reset: the plan is a reset"
like "$(echo "$OUT" | json_get changes)" '^[1-9][0-9]*$' "the plan counts the changes"
is "$(sql rep app_replica "SELECT count(*) FROM stale")" 1 "--dry-run left the replica alone"

# --- forward, back, forward ---
replay_to A A
is "$(echo "$OUT" | json_get direction)" reset "the first replay resets to the baseline"
like "$(echo "$OUT" | json_get dropped)" 'public\.stale \(table\)' "and says what it dropped"
is "$(sql rep app_replica "SELECT lsn FROM pgtt.replay_state")" \
	"$(echo "$OUT" | json_get to)" "pgtt.replay_state holds the point"
replay_to B B
is "$(echo "$OUT" | json_get direction)" forward "A to B goes forward"
replay_to C C
like "$(sql rep app_replica "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_name = 't'")" \
	'^id,v,big,c$' "the replica followed the migration"
is "$(sql rep app_replica "SELECT count(*) FROM pg_indexes WHERE indexname = 'n_x'")" 1 \
	"CREATE INDEX CONCURRENTLY was replayed (inside a transaction, without CONCURRENTLY)"
replay_to A A
is "$(echo "$OUT" | json_get direction)" reset "C back to A, across DDL, resets"
like "$(echo "$OUT" | json_get dropped)" 'public\.n \(table\)' "the table created after A is gone"
replay_to C C
P --json --headless session list
P --headless replay --to C
like "$OUT" 'stands at .* already' "replaying to where it stands does nothing"

# --- backward over full row images (f is REPLICA IDENTITY FULL) ---
sql src app "INSERT INTO f VALUES (3, 'three'), (3, 'three');
	UPDATE f SET note = 'drei' WHERE id = 3 AND ctid = (SELECT min(ctid) FROM f WHERE id = 3);
	DELETE FROM f WHERE id = 1"
mark D
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
replay_to D D
replay_to C C
is "$(echo "$OUT" | json_get direction)" backward "D back to C with full rows goes backward"
replay_to D D

# --- kill -9 in the middle of a long replay, then resume ---
for i in $(seq 1 150); do
	echo "INSERT INTO n SELECT g, md5(g::text), $i FROM generate_series($i * 1000, $i * 1000 + 999) g;"
done | psql -X -q "$(pg_dsn src app)"
mark E
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
D_LSN=$(sql rep app_replica "SELECT lsn FROM pgtt.replay_state")
# A transaction at a time: by net effect the window commits whole
# (replay-net.t kills that one).
"$PGTT" -c "$W/config.yaml" --headless replay --to E --mode txn >"$TEST_ROOT/bg.out" 2>&1 &
RPID=$!
moved() { [ "$(sql rep app_replica "SELECT lsn <> '$D_LSN' FROM pgtt.replay_state")" = t ]; }
wait_until 30 moved
kill -9 $RPID
wait $RPID 2>/dev/null; diag "$(cat $TEST_ROOT/bg.out)"
MID=$(sql rep app_replica "SELECT count(*) FROM n")
ALL=$(sql src app "SELECT count(*) FROM n")
diag "killed the replay with $MID of $ALL rows of n applied"
ok "$([ "$MID" -lt "$ALL" ]; echo $?)" "the kill came in the middle of the replay"
replay_to E E
is "$(echo "$OUT" | json_get direction)" forward "the resumed replay goes on forward"

# --- the source is refused as a target ---
P --headless replay --to A --target "$(pg_dsn src app)"
is "$RC" 2 "replay onto the source: exit 2"
like "$ERR" 'refusing to replay onto the source itself' "says why"
is "$(sql src app "SELECT to_regclass('pgtt.replay_state') IS NULL AND (SELECT count(*) FROM n) = $ALL")" t \
	"and wrote nothing there"

# --- a failing change: stop, then skip ---
sql rep app_replica "INSERT INTO n VALUES (-1, 'replica only', 0)"
sql src app "BEGIN; INSERT INTO n VALUES (-2, 'ok', 0); INSERT INTO n VALUES (-1, 'clash', 0); COMMIT;
	INSERT INTO n VALUES (-3, 'later', 0)"
mark F
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
E_LSN=$(sql rep app_replica "SELECT lsn FROM pgtt.replay_state")
P --json --headless replay --to F
is "$RC" 1 "a failing change with --on-error stop: exit 1"
like "$(echo "$OUT" | json_get first_error)" 'insert of public\.n.*duplicate key' "first_error names the change and PostgreSQL's error"
like "$ERR" 'could not apply change' "stderr says which change"
is "$(sql rep app_replica "SELECT lsn = '$E_LSN' FROM pgtt.replay_state")/$(sql rep app_replica "SELECT count(*) FROM n WHERE id IN (-2, -3)")" \
	"t/0" "stop: the whole failing transaction rolled back, nothing after it applied"
P --json --headless replay --to F --on-error skip
is "$RC" 0 "--on-error skip: exit 0"
is "$(echo "$OUT" | json_get failures)" 1 "one change skipped"
is "$(sql rep app_replica "SELECT string_agg(id || ':' || x, ',' ORDER BY id) FROM n WHERE id < 0")" \
	"-3:later,-2:ok,-1:replica only" "skip: the rest of the transaction and what follows applied"

# --- the session remembers where its replica stands ---
check_ok "session create" -c "$W/config.yaml" --headless session create s1
check_ok "session switch" -c "$W/config.yaml" --headless session switch s1
P --json --headless replay --to E --reset
is "$RC" 0 "--reset replays from the baseline"
P --json --headless session list
is "$(echo "$OUT" | json_get replayed_to)" "$(sql rep app_replica "SELECT lsn FROM pgtt.replay_state")" \
	"the session remembers where its replica stands"

# --- a checkpoint taken while the source is idle ---
check_ok "checkpoint on an idle source" -c "$W/config.yaml" --headless checkpoint create idle
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
P --json --headless replay --to idle
is "$RC" 0 "replay reaches a checkpoint the listener confirmed past with no new rows"
[ "$RC" = 0 ] || diag "$OUT" "$ERR"

# --- no replica at all ---
write_config "$W/none.yaml" "$(pg_dsn src app)"
sed -i "s|path: .*|path: $W/data|" "$W/none.yaml"
check_fail "no replica configured: exit 2" 2 -c "$W/none.yaml" --headless replay --to A
like "$ERR" 'no replica to replay onto' "says so"

done_testing
