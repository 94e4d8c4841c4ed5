#!/usr/bin/env bash
# h on a change in the stream: that row's history over the panes, every
# version oldest first with what changed; Enter shows a version's
# columns; r on a version replays the replica to just before it; a row
# from before capture starts from its value in the baseline.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/tmux.sh"

pg_start src 5629
pg_start rep 5628
sql src postgres "CREATE DATABASE app"
sql rep postgres "CREATE DATABASE app_replica"
sql src app "CREATE TABLE acct (id int PRIMARY KEY, name text, bal int);
	CREATE TABLE other (id int PRIMARY KEY);
	INSERT INTO acct VALUES (7, 'pre', 70)"
W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"replica:" "  dsn: \"$(pg_dsn rep app_replica)\"" "pitr:" "  enabled: false" \
	"retention:" "  journal_warn: 1kB"
check_ok "setup" -c "$W/config.yaml" --headless setup
sql src app "UPDATE acct SET bal = 71 WHERE id = 7"
sql src app "INSERT INTO acct VALUES (1, 'ann', 10)"
sql src app "UPDATE acct SET bal = 11 WHERE id = 1"
sql src app "INSERT INTO other VALUES (5)"
sql src app "UPDATE acct SET bal = 12, name = 'anne' WHERE id = 1"
sql src app "UPDATE acct SET id = 100 WHERE id = 1"
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now

trap '$T kill-server 2>/dev/null; _cleanup' EXIT
tui_start 160 48 -c "$W/config.yaml"
see 'update public.acct id: 1 -> 100' "the stream shows the key change, selected"
see 'the journal holds [0-9.]+ MB' "the status pane warns of a journal past retention.journal_warn"
keys h
see 'Row history: public.acct, 4 versions' "h opens the row's history"
see 'insert .*\(the row as it came\)' "the first version is the insert"
see 'update .* bal: 10 -> 11' "each update says what changed, old -> new"
see 'update .* name: ann -> anne bal: 11 -> 12' "more than one column"
see 'update .* id: 1 -> 100' "and the key change is the same row's"
is "$(screen | grep -c 'public.other')" "0" "another table's change is not in it"
keys Up Enter
see 'name +anne' "Enter shows the selected version's columns"
see 'bal +12' "the changed ones among them"
keys r
see 'just before the selected version' "r replays to just before the selected version"
keys y
run_pgtt -c "$W/config.yaml" --json --headless status
wait_until 30 sh -c "psql -X -A -t \"$(pg_dsn rep app_replica)\" -c 'SELECT name, bal FROM acct' 2>/dev/null | grep -qx 'ann|11'"
ok $? "the replica holds the row as it was before that version: ann, 11"
keys Escape
see 'Stream' "Esc closes the history"
keys Up Up Up Up Up
see 'update public.acct id=7 name=pre bal=71' "the update of the row from before setup, in the stream"
keys h
see 'Row history: public.acct, 2 versions' "its history has two versions"
see 'baseline .*\(the row when capture began\)' "the first is the row as the baseline holds it"
see 'update .* bal: 70 -> 71' "then the update, old -> new from the baseline"
keys Escape
keys q
see 'EXIT=0' "q quits"
done_testing
