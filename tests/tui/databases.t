#!/usr/bin/env bash
# With source.databases the terminal UI shows one database at a time:
# the one -d names, else the first, named in the title bar; D opens the
# next, and its stream shows that database's changes.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/tmux.sh"

pg_start src 5641
for db in app billing; do
	sql src postgres "CREATE DATABASE $db"
	sql src "$db" "CREATE TABLE ${db}_rows (id int PRIMARY KEY, t text)"
done
W=$TEST_ROOT/w
mkdir -p "$W"
cat >"$W/config.yaml" <<EOC
source:
  dsn: "host=$TEST_ROOT/src port=5641 user=postgres"
  databases: [app, billing]
storage:
  path: $W/data
pitr:
  enabled: false
EOC
check_ok "setup of both" -c "$W/config.yaml" --headless setup
sql src app "INSERT INTO app_rows VALUES (1, 'in app')"
sql src billing "INSERT INTO billing_rows VALUES (1, 'in billing')"
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now

tui_start 120 30 -c "$W/config.yaml"
trap '$T kill-server 2>/dev/null; _cleanup' EXIT
see 'pgtt  \[app; D next\]' "the title names the first database"
see 'app_rows' "the stream shows app's changes"
keys A
see 'Stream of all databases' "A shows every database's stream"
see 'app +[0-9:]+ [0-9A-F]+/[0-9A-F]+ insert public.app_rows' "app's change, named"
see 'billing +[0-9:]+ [0-9A-F]+/[0-9A-F]+ insert public.billing_rows' "billing's, in commit order after it"
keys Enter
see 'a change of database billing: D opens it' "another database's change says how to open it"
keys A
see 'Stream \(following\)' "A again: this database's stream"
unlike "$(screen)" 'billing_rows' "without billing's changes"
keys c ; keys 'tuimark' Enter
see 'checkpoint "tuimark" at [0-9A-F]+/[0-9A-F]+ in every database' "c makes the checkpoint in every database"
is "$("$PGTT" -c "$W/config.yaml" --json --headless checkpoint list | perl -MJSON::PP -ne '
	$o = JSON::PP->new->decode($_); $l{$o->{lsn}}++, $d{$o->{database}}++ if $o->{name} eq "tuimark";
	END { print scalar(keys %l), " ", join(",", sort keys %d) }')" "1 app,billing" \
    "at one LSN, as checkpoint create without -d makes it"
keys D
see 'pgtt  \[billing; D next\]' "D opens the next database"
see 'billing_rows' "whose stream shows its changes"
unlike "$(screen)" 'app_rows' "and not app's"
keys D
see 'pgtt  \[app; D next\]' "D goes round to the first again"
keys q
see 'EXIT=0' "q quits"

$T kill-server 2>/dev/null
# A server of its own: the old one may still be going away.
T="tmux -S $TEST_ROOT/tmux2"
tui_start 120 30 -c "$W/config.yaml" -d billing
see 'pgtt  \[billing; D next\]' "-d opens the database it names"
keys q
see 'EXIT=0' "q quits"
done_testing
