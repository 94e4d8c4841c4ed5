#!/usr/bin/env bash
# make demo's script, without the TUI: it starts its servers and pgtt,
# and when stopped it stops everything it and pgtt started, a cluster
# pgtt restored too, before it removes its directory.
. "$(dirname "$0")/../lib/harness.sh"

LOG=$TEST_ROOT/demo.log
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMPDIR=$TEST_ROOT PGTT_BIN=$PGTT PGTT_DEMO_MINUTES=2 PGTT_DEMO_MIGRATE_AFTER=5 \
	setsid bash "$ROOT/scripts/demo.sh" --no-tui >"$LOG" 2>&1 </dev/null &
DEMO=$!
_bg_pids="$_bg_pids $DEMO"
wait_until 180 grep -q 'demo: running' "$LOG"
ok $? "the demo starts its servers, the workload and pgtt listen" || diag "$(cat "$LOG")"
DIR=$(sed -n 's/.*everything lives in \([^ ]*\) .*/\1/p' "$LOG" | head -1)
CONFIG=$DIR/config.yaml

# A restore, as R in the TUI runs it: its cluster keeps running.  The
# point: a checkpoint once the journal has passed setup's base backup.
st() { "$PGTT" -c "$CONFIG" --json --headless status | json_get "$1"; }
journal_past_backup() {
	lsn_ge "$(st journal.last_lsn)" "$(st window.earliest)"
}
wait_until 120 journal_past_backup
run_pgtt -c "$CONFIG" --json --headless checkpoint create before-stop
CP=$(echo "$OUT" | json_get lsn)
window_reaches() { lsn_ge "$(st window.latest)" "$CP"; }
wait_until 60 window_reaches
ok $? "the archive reaches a checkpoint after the base backup"
run_pgtt -c "$CONFIG" --json --headless restore --to before-stop
is "$RC" 0 "a restore from the demo's archive" || diag "$ERR"
RESTORED=$(echo "$OUT" | json_get data_dir)
ok "$([ -f "$RESTORED/postmaster.pid" ]; echo $?)" "the restored cluster runs in $RESTORED"

# A background job ignores SIGINT; a terminal's Ctrl-C reaches its
# foreground, which SIGTERM stands for here.
kill -TERM "$DEMO"
wait_until 60 sh -c "! kill -0 $DEMO 2>/dev/null"
ok $? "the demo stops on SIGTERM"
like "$(cat "$LOG")" "stopped the cluster pgtt started in $RESTORED" "it says it stopped the restored cluster"
is "$(pgrep -f -- "-D $DIR" | wc -l)" "0" "no server of the demo's is left running"
is "$(pgrep -f -- "$DIR" | wc -l)" "0" "nor any other process working in its directory"
ok "$([ ! -e "$DIR" ]; echo $?)" "and its directory is gone"
done_testing
