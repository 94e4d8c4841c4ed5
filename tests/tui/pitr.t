#!/usr/bin/env bash
# PITR from the terminal UI: R on a point outside the recoverable window
# says so; R on a checkpoint inside it asks (point, base backup, data
# directory, port), y restores a new cluster with the checkpoint's rows
# and shows how to connect; R after a change in the stream replaces that
# restore; B takes a base backup with its progress; V verifies a
# checkpoint (replay and restore agree) and names a table a damaged
# replica differs in.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/tmux.sh"
. "$(dirname "$0")/../lib/tui-pitr.sh"

pg_start src 5636 "autovacuum = off"
pg_start rep 5638
sql src postgres "CREATE DATABASE app"
sql rep postgres "CREATE DATABASE app_replica"
sql src app "CREATE TABLE items (id int PRIMARY KEY, name text)"
W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"replica:" "  dsn: \"$(pg_dsn rep app_replica)\"" \
	"pitr:" "  restore_data_dir: $TEST_ROOT/restored" "  restore_port: 5637"
C="-c $W/config.yaml"
check_ok "setup: the first base backup and the WAL slot" $C --headless setup

tui_start 160 40 $C
trap 'stop_restored >/dev/null 2>&1; $T kill-server 2>/dev/null; _cleanup' EXIT

see 'archive +streaming' "the TUI's listener runs pg_receivewal"
sql src app "INSERT INTO items SELECT g, 'one' FROM generate_series(1, 10) g"
check_ok "checkpoint one" $C --headless checkpoint create one
ONE=$("$PGTT" $C --json --headless checkpoint list | perl -MJSON::PP -ne \
	'$o = JSON::PP->new->decode($_); print $o->{lsn} if $o->{name} eq "one"')
sql src app "INSERT INTO items SELECT g, 'two' FROM generate_series(11, 25) g"
sql src app "INSERT INTO items VALUES (26, 'three')"
HEAD=$(sql src app "SELECT pg_current_wal_lsn()")
wait_until 40 window_covers "$HEAD"
ok $? "the status pane shows the window covering checkpoint one and the rows after it"

# To the checkpoints pane: the stream, detail, sessions, then checkpoints.
keys Tab Tab Tab
keys g R
see 'cannot restore to [0-9A-F]+/[0-9A-F]+: it is outside the recoverable window, [0-9A-F]+/[0-9A-F]+ \.\. ' \
	"R before the window says so, naming the window"
unlike "$(screen)" 'Restore a new cluster' "and asks nothing"

keys G R
see 'Restore a new cluster to checkpoint one\?' "R on a checkpoint asks, naming it"
see "point $ONE, from base backup \"[^\"]+\"" "the dialog names the point and the base backup"
see "data directory $TEST_ROOT/restored, port 5637" "and the data directory and port"
keys n
see 'restore not started' "any other key declines"
ok "$([ ! -e "$TEST_ROOT/restored" ]; echo $?)" "declining creates nothing"
keys R
see 'Restore a new cluster to checkpoint one\?' "asked again"
keys y
see 'restored to checkpoint one in [0-9.]+ s; connect: psql "host=' "y restores, and says how to connect"
see 'restored [0-9A-F]+/[0-9A-F]+ on :5637' "the status pane shows the restore"
DSN=$(shown_dsn)
is "$(psql -X -A -t "$DSN" -c "SELECT count(*) FROM items")" 10 \
	"the restored cluster holds the source's rows at checkpoint one"

# The stream follows: its last change is row 26; k selects row 25, the
# end of the transaction that inserted 11..25.
keys Tab Tab
keys G k R
see 'Restore a new cluster to after the selected change' "R on a change in the stream asks"
see 'previous restore there will be stopped and replaced' "and warns that it replaces the last restore"
keys y
see 'restored to after the selected change \([0-9A-F]+/[0-9A-F]+\) in' "y replaces it"
is "$(psql -X -A -t "$(shown_dsn)" -c "SELECT count(*) FROM items")" 25 \
	"the new cluster holds the rows up to that change's transaction"

keys B
see 'base backup "[^"]+": [0-9.]+ MB in [0-9.]+ s; it restores to any point from [0-9A-F]+/' \
	"B takes a base backup and says what it covers"
run_pgtt $C --json --headless backup list
is "$(echo "$OUT" | grep -c '"name"')" 2 "backup list shows it beside setup's"

run_pgtt $C --headless restore --stop "$TEST_ROOT/restored"
is "$RC" 0 "the restored server stops"

keys Tab Tab Tab
keys G V
see 'verify at [0-9A-F]+/[0-9A-F]+: equal, 1 tables and 0 sequences' \
	"V on a checkpoint verifies it: the replica by replay equals a restore by PITR"
ok "$([ ! -e "$W/data/verify" ]; echo $?)" "and removes its scratch cluster"
sql rep app_replica "UPDATE items SET name = 'damaged' WHERE id = 4"
keys V
see 'verify failed at [0-9A-F]+/[0-9A-F]+: public.items differs: the same number of rows, 10, but their values differ' \
	"on a replica damaged by hand it names the table that differs"
keys q
see 'EXIT=0' "q exits with status 0"
done_testing
