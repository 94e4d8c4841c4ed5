#!/usr/bin/env bash
# The stream's filter in a journal where the matches lie far back: it
# never says "nothing matches" before it has looked all the way back; it
# searches in a worker, showing how far it got, and shows the newest
# match when it finds one.  And the title's count with the source down.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/tmux.sh"

pg_start src 5639
sql src postgres "CREATE DATABASE app"
sql src app "CREATE TABLE t (id int PRIMARY KEY, v int);
	CREATE TABLE other (id int PRIMARY KEY)"
W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"pitr:" "  enabled: false"
check_ok "setup" -c "$W/config.yaml" --headless setup

# 50 deletes, then 600,000 inserts: more than one key's scan budget.
sql src app "INSERT INTO t SELECT g, 0 FROM generate_series(1, 100) g;
	DELETE FROM t WHERE id <= 50"
sql src app "INSERT INTO other VALUES (1), (2)"
sql src app "TRUNCATE other"
sql src app "INSERT INTO t SELECT g, 1 FROM generate_series(101, 600100) g"
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
run_pgtt -c "$W/config.yaml" --json --headless log --op delete --limit 1
like "$OUT" '"op":"delete"' "log finds the deletes"

TUI_WAIT=60
trap '$T kill-server 2>/dev/null; _cleanup' EXIT
tui_start 160 48 -c "$W/config.yaml"
see 'insert public.t id=600100' "the stream shows the newest change"
# tmux takes "delete" for the Delete key unless told it is text.
keys '/' ; keys -l 'delete' ; keys Enter
see 'filter: delete' "/ sets the filter"
see 'delete public.t id=50' "the newest delete, 600,000 changes back, is found and shown"
is "$(screen | grep -c 'nothing matches')" "0" "and nothing was said to match nothing"
like "$(screen)" 'newest match is [0-9]+ changes back' "the message says how far back it was"

# A table's changes are found through the row index, truncate too.
keys '/' ; keys -l 'other' ; keys Enter
see 'filter: other' "/ with a table name"
see 'truncate public.other' "the table's newest change, a truncate 600,000 changes back, is found"
keys '/' ; keys -l 'insert other' ; keys Enter
see 'newest match is' "with an op too: the search finds it"
see 'insert public.other id=2' "its newest insert"
# tmux may catch the screen while curses still writes it: let it settle.
wait_until 10 sh -c "! $T capture-pane -p -t pgtt | grep -q 'truncate public.other'"
is "$(screen | grep -c 'truncate public.other')" "0" "and the truncate no longer passes"

keys '/' ; keys 'update' Enter
see 'nothing matches the filter' "a filter nothing matches says so once the search reached the start"
keys q
see 'EXIT=0' "q quits"

# A source that does not answer (a server that accepts and says
# nothing): the title still counts what the journal holds, at once, not
# after the probe of the source gives up ten seconds later.
run_pgtt -c "$W/config.yaml" --json --headless status
COUNT=$(echo "$OUT" | json_get journal.changes)
SILENT_PORT=5640
bg python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $SILENT_PORT)); s.listen(8)
held = []
while True:
    c, _ = s.accept(); held.append(c)
"
wait_until 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SILENT_PORT"
write_config "$W/silent.yaml" "host=127.0.0.1 port=$SILENT_PORT dbname=app"
$T kill-server 2>/dev/null
T="tmux -S $TEST_ROOT/tmux.2"
tui_start 160 48 -c "$W/silent.yaml"
TUI_WAIT=5
see " $COUNT changes" "a silent source: the title counts the journal's $COUNT changes at once"
keys q
done_testing
