#!/usr/bin/env bash
# PITR on pgBackRest from the terminal UI: B runs pgbackrest backup and
# says what it covers; R on a checkpoint names pgBackRest's backup, and y
# restores a new cluster with the checkpoint's rows from the repository
# and the WAL pgtt streamed itself.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/tmux.sh"
. "$(dirname "$0")/../lib/tui-pitr.sh"
. "$(dirname "$0")/../lib/pgbackrest.sh"

pgbr_source 5816
sql src postgres "CREATE DATABASE app"
sql src app "CREATE TABLE items (id int PRIMARY KEY, name text)"
W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"pitr:" "  engine: pgbackrest" "  restore_data_dir: $TEST_ROOT/restored" \
	"  restore_port: 5817" "  pgbackrest:" "    stanza: app" \
	"    config: $PGBR/pgbackrest.conf"
C="-c $W/config.yaml"
check_ok "setup checks the stanza" $C --headless setup

tui_start 160 40 $C
trap 'stop_restored >/dev/null 2>&1; $T kill-server 2>/dev/null; _cleanup' EXIT

see 'archive +streaming' "the TUI's listener streams the newest WAL itself"
keys B
see 'base backup "[0-9]{8}-[0-9]{6}F": [0-9.]+ MB in [0-9.]+ s; it restores to any point from [0-9A-F]+/' \
	"B runs pgbackrest backup: a full one, named by its label"
LABEL=$("$PGTT" $C --json --headless backup list | json_get name)

sql src app "INSERT INTO items SELECT g, 'one' FROM generate_series(1, 10) g"
check_ok "checkpoint one" $C --headless checkpoint create one
sql src app "INSERT INTO items SELECT g, 'two' FROM generate_series(11, 25) g"
HEAD=$(sql src app "SELECT pg_current_wal_lsn()")
wait_until 40 window_covers "$HEAD"
ok $? "the status pane's window reaches past checkpoint one"

# To the checkpoints pane: the stream, detail, sessions, then checkpoints.
keys Tab Tab Tab
keys G R
see 'Restore a new cluster to checkpoint one\?' "R on a checkpoint asks"
see "from base backup \"$LABEL\"" "naming pgBackRest's backup"
keys y
see 'restored to checkpoint one in [0-9.]+ s; connect: psql "host=' "y restores, and says how to connect"
is "$(psql -X -A -t "$(shown_dsn)" -c "SELECT count(*) FROM items")" 10 \
	"the restored cluster holds the source's rows at checkpoint one"

keys q
see 'EXIT=0' "q exits with status 0"
done_testing
