#!/usr/bin/env bash
# The WAL archive never stops without a word.  Dropping the physical slot
# left listen running and pg_receivewal restarting for ever, the reason
# in the log at info level only.  Now listen says on stderr, and status
# says, that the slot is gone and what to do.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5786
sql src postgres "CREATE DATABASE app"
sql src app "CREATE TABLE t (id int PRIMARY KEY)"
W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)"
check_ok "setup, with PITR" -c "$W/config.yaml" --headless setup
P() { run_pgtt -c "$W/config.yaml" "$@"; }
receiver() { P --json --headless status; echo "$OUT" | json_get archive.receiver; }

"$PGTT" -c "$W/config.yaml" --headless listen >/dev/null 2>"$TEST_ROOT/listen.err" &
LISTENER=$!
_bg_pids="$_bg_pids $LISTENER"
wait_until 30 sh -c "[ \"\$(PGTT_CONFIG='$W/config.yaml' '$PGTT' --json --headless status | perl -MJSON::PP -e 'print decode_json(join \"\", <STDIN>)->{archive}{receiver}')\" = streaming ]"
ok $? "the archiver streams"

# Drop the slot under it: its walsender first, then the slot.
dropped() {
	sql src app "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots
		WHERE slot_name = 'pgtt_wal' AND active_pid IS NOT NULL" >/dev/null
	sql src app "SELECT pg_drop_replication_slot('pgtt_wal')" >/dev/null 2>&1
}
wait_until 20 dropped
ok $? "the WAL slot is dropped"
wait_until 30 grep -q 'is gone' "$TEST_ROOT/listen.err"
ok $? "listen says so on stderr"
like "$(cat "$TEST_ROOT/listen.err")" 'slot "pgtt_wal" is gone, so the WAL archive stopped: make it again .* and take a base backup' \
	"with what to do"
P --json --headless status
like "$(echo "$OUT" | json_get archive.error)" 'is gone' "status says so too"
P --headless status
like "$OUT" 'slot "pgtt_wal" is gone' "in text as well"
kill -INT "$LISTENER"
wait "$LISTENER"
is "$?" 0 "listen still stops cleanly"

done_testing
