#!/usr/bin/env bash
# A history that broke goes on: when the slot is lost, what the source
# committed until a new slot exists is gone, and `setup --new-baseline`
# keeps the old history readable, marks the break in the stream and goes
# on from a new baseline.  No verb passes over the break from changes
# alone: points inside it are refused, a diff across it is refused, and
# replay crosses it only by a reset to the baseline on the target's side.
# Tried on pgbench's schema and workload (keys added by ALTER TABLE after
# the data, pgbench_history without a key), an identity column and a
# serial, and a partitioned table with a default partition and no key.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5731
pg_start rep 5732
sql src postgres "CREATE DATABASE app"
sql rep postgres "CREATE DATABASE app_replica"
pgbench -i -s 1 -q "$(pg_dsn src app)" >"$TEST_ROOT/pgbench-init.log" 2>&1 ||
	bail "pgbench -i failed: $(cat "$TEST_ROOT/pgbench-init.log")"
sql src app "CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text);
	CREATE TABLE notes (id serial PRIMARY KEY, body text);
	CREATE TABLE events (at date NOT NULL, what text) PARTITION BY RANGE (at);
	CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
	CREATE TABLE events_other PARTITION OF events DEFAULT"

W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"replica:" "  dsn: \"$(pg_dsn rep app_replica)\"" "pitr:" "  enabled: false"
C="-c $W/config.yaml"
check_ok "setup" $C --json --headless setup
CREATION=$(echo "$OUT" | json_get creation_lsn)
confirmed() { sql src app "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'pgtt'"; }
TABLES="pgbench_accounts pgbench_branches pgbench_tellers pgbench_history orders notes events"
# snap SERVER DB: one line per table, a hash of its rows' text.
snap() {
	local t
	for t in $TABLES; do
		sql "$1" "$2" "SELECT '$t ' || count(*) || ' ' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '-') FROM $t x"
	done
}
write() {
	pgbench -n -c 2 -t "$1" "$(pg_dsn src app)" >"$TEST_ROOT/pgbench.log" 2>&1 ||
		bail "pgbench failed: $(cat "$TEST_ROOT/pgbench.log")"
	sql src app "INSERT INTO orders (note) SELECT '$2 ' || g FROM generate_series(1, 3) g;
		INSERT INTO notes (body) SELECT '$2 ' || g FROM generate_series(1, 3) g;
		INSERT INTO events SELECT d, '$2' FROM (VALUES (date '2026-06-01'), (date '2031-01-01')) v(d)" >/dev/null
}

write 40 before
sql src app "INSERT INTO notes (id, body) VALUES (1000, 'era-one')" >/dev/null
check_ok "listen --until now" $C --headless listen --until now
check_ok "checkpoint before" $C --json --headless checkpoint create before
BEFORE=$(snap src app)

# --- the slot is lost, and the source goes on writing ---
sql src app "SELECT pg_drop_replication_slot('pgtt')" >/dev/null
write 20 hole
sql src app "UPDATE notes SET body = 'in-the-gap' WHERE id = 1000" >/dev/null
HOLE=$(sql src app "SELECT pg_current_wal_lsn()")
sql src app "SELECT pg_create_logical_replication_slot('pgtt', 'pgoutput')" >/dev/null
write 5 between
check_fail "listen refuses the slot made again" 1 $C --headless listen --until now
like "$ERR" 'setup --new-baseline' "and names the way on"
check_fail "setup without --new-baseline refuses too" 1 $C --headless setup
like "$ERR" 'past the [0-9A-F/]+ journal .* covers' "saying the slot stands past the journal"
like "$ERR" 'setup --new-baseline' "with the same way on"
SLOT_BEFORE=$(confirmed)
check_ok "setup --new-baseline --dry-run" $C --headless setup --new-baseline --dry-run
like "$OUT" 'planned +replication slot "pgtt": dropped: it stood at' "plans to drop the slot that broke the history"
like "$OUT" 'planned +history break' "and to mark the break"
is "$(confirmed)" "$SLOT_BEFORE" "and changes nothing"

check_ok "setup --new-baseline" $C --json --headless setup --new-baseline
BASE=$(echo "$OUT" | json_get baseline_lsn)
is "$(echo "$OUT" | json_get creation_lsn)" "$CREATION" "the history still starts at creation"
lsn_ge "$BASE" "$HOLE"
ok $? "the new baseline stands after what the source wrote into the break ($BASE >= $HOLE)"
like "$(echo "$OUT" | json_get baseline)" 'baseline-2\.dump$' "the new baseline is a dump of its own"
ok "$([ -s "$W/data/baseline-2.dump" ] && [ -s "$W/data/baseline.dump" ]; echo $?)" "beside the first, which stays"
AFTER_BASE=$(snap src app)
write 30 after
sql src app "DELETE FROM notes WHERE id = 1000" >/dev/null
check_ok "listen goes on" $C --headless listen --until now
check_ok "checkpoint after" $C --json --headless checkpoint create after
AFTER=$(snap src app)

# --- the old history stays readable, and the break is in the stream ---
check_ok "log" $C --headless log
like "$OUT" 'message +pgtt\.break what the source committed between [0-9A-F/]+ and [0-9A-F/]+ was not captured' "log shows the break"
like "$OUT" "'before 1'" "the history before the break is still there"
like "$OUT" "'after 1'" "and the history after it"
unlike "$OUT" "'hole 1'|'between 1'" "what the break lost is not made up"
BREAK_LINE=$(echo "$OUT" | grep -n 'pgtt\.break' | cut -d: -f1)
BEFORE_LINE=$(echo "$OUT" | grep -n "'before 3'" | head -1 | cut -d: -f1)
AFTER_LINE=$(echo "$OUT" | grep -n "'after 1'" | head -1 | cut -d: -f1)
ok "$([ "$BEFORE_LINE" -lt "$BREAK_LINE" ] && [ "$BREAK_LINE" -lt "$AFTER_LINE" ]; echo $?)" "at its place, between the two"
check_ok "checkpoint list" $C --headless checkpoint list
like "$OUT" 'baseline-2' "the new baseline is a fixed checkpoint"

# --- no verb passes over the break from changes alone ---
check_fail "a point inside the break is refused" 2 $C --headless checkpoint create lost --at "$HOLE"
like "$ERR" 'lies in a break of the history: what the source committed between [0-9A-F/]+ and [0-9A-F/]+ was not captured' "saying why"
check_fail "a diff across the break is refused" 2 $C --headless diff before after
like "$ERR" 'the history breaks between the two points' "saying why"
check_ok "a diff on one side of the break works" $C --json --headless diff baseline-2 after
like "$OUT" '"pgbench_accounts"' "and shows what changed after it"
# A row the history last saw before the break: its values at the new
# baseline are not what the old era says (the gap changed them).
check_ok "diff of a row deleted after the break" $C --headless diff baseline-2 after --table notes
like "$OUT" 'id=1000' "lists the delete"
unlike "$OUT" 'era-one' "without taking its values from before the break"

# --- replay crosses the break by the baseline on the target's side ---
check_ok "replay --to before" $C --headless replay --to before
is "$(snap rep app_replica)" "$BEFORE" "the replica equals the source at before"
check_ok "replay --to after, across the break" $C --json --headless replay --to after
is "$(echo "$OUT" | json_get direction)" "reset" "resets"
like "$(echo "$OUT" | json_get reason)" 'the history breaks between' "because the history breaks"
is "$(snap rep app_replica)" "$AFTER" "the replica equals the source at after"
check_ok "replay --to baseline-2" $C --headless replay --to baseline-2
is "$(snap rep app_replica)" "$AFTER_BASE" "the replica equals the new baseline at baseline-2"
check_ok "replay back --to before" $C --json --headless replay --to before
is "$(echo "$OUT" | json_get direction)" "reset" "going back over the break resets too"
is "$(snap rep app_replica)" "$BEFORE" "to the source at before"
check_ok "replay --to after again" $C --headless replay --to after
sql rep app_replica "INSERT INTO orders (note) VALUES ('replica'); INSERT INTO notes (body) VALUES ('replica')" >/dev/null
ok $? "the replica's identity and serial hand out fresh values after it"

# --- the way on is only for a history that broke ---
check_fail "setup --new-baseline on a slot that continues the journal" 2 $C --headless setup --new-baseline
like "$ERR" 'continues the journal' "is refused"
check_ok "setup without it stays idempotent" $C --headless setup
like "$OUT" 'baseline-2\.dump' "and names the newest baseline"
sql src app "SELECT pg_drop_replication_slot('pgtt')" >/dev/null
check_fail "listen without its slot" 1 $C --headless listen --until now
like "$ERR" 'setup --new-baseline' "names the same way on"
check_ok "a second break" $C --headless setup --new-baseline
like "$OUT" 'baseline-3' "starts a third baseline"
check_ok "log after two breaks" $C --headless log
is "$(echo "$OUT" | grep -c 'pgtt\.break')" 2 "shows both breaks"
check_ok "status" $C --json --headless status
is "$(echo "$OUT" | json_get journal.breaks.0.baseline_lsn)" "$BASE" "status lists the first break"
like "$(echo "$OUT" | json_get journal.breaks.1.baseline)" 'baseline-3\.dump$' "and the second"
check_ok "status in text" $C --headless status
like "$OUT" 'breaks +nothing between [0-9A-F/]+ and [0-9A-F/]+ was captured' "says it in words"

# --- a slot the server invalidated: the same way on ---
pg_start lossy 5733 "max_slot_wal_keep_size = 1MB" "min_wal_size = 32MB" "max_wal_size = 64MB"
sql lossy postgres "CREATE DATABASE app"
sql lossy app "CREATE TABLE t (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text)"
mkdir -p "$TEST_ROOT/l"
write_config "$TEST_ROOT/l/config.yaml" "$(pg_dsn lossy app)" "pitr:" "  enabled: false"
L="-c $TEST_ROOT/l/config.yaml"
check_ok "setup on a server that keeps little WAL for slots" $L --headless setup
sql lossy app "INSERT INTO t (v) VALUES ('kept')"
check_ok "listen --until now" $L --headless listen --until now
for i in 1 2 3 4; do
	sql lossy app "INSERT INTO t (v) SELECT repeat('x', 1000) FROM generate_series(1, 2000); SELECT pg_switch_wal()" >/dev/null
done
sql lossy app "CHECKPOINT" >/dev/null
is "$(sql lossy app "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'pgtt'")" lost "the server invalidated the slot"
check_fail "listen on an invalidated slot" 1 $L --headless listen --until now
like "$ERR" 'setup --new-baseline' "names the way on"
check_ok "setup --new-baseline" $L --headless setup --new-baseline
like "$OUT" 'changed +replication slot "pgtt": dropped: the server invalidated it' "drops the invalidated slot, saying so"
sql lossy app "INSERT INTO t (v) VALUES ('after')"
check_ok "listen goes on" $L --headless listen --until now
check_ok "log" $L --headless log --table t
like "$OUT" 'v=kept' "the history before the break is kept"
like "$OUT" 'v=after' "and goes on after it"
unlike "$OUT" 'v=xxxxx' "nothing lost is made up"

# The terminal UI shows the break in the stream and its checkpoint.
if command -v tmux >/dev/null 2>&1; then
	. "$(dirname "$0")/../lib/tmux.sh"
	tui_start 160 40 $C
	trap '$T kill-server 2>/dev/null; _cleanup' EXIT
	see 'pgtt\.break what the source committed between' "the stream shows the break"
	see 'baseline-3 +[0-9A-F]+/' "the checkpoints pane lists the new baseline"
	keys q
	see 'EXIT=0' "q quits"
fi

done_testing
