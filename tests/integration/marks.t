#!/usr/bin/env bash
# Checkpoints and sessions against a real server: create at now, at an
# LSN, at a time; names that would read as points; fixed ones; sessions
# with their own checkpoints, remembered across runs; points by name.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5641
sql src postgres "CREATE DATABASE app"
sql src app "CREATE TABLE t (id int PRIMARY KEY)"
W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)"
check_ok "setup" -c "$W/config.yaml" --headless setup
P() { run_pgtt -c "$W/config.yaml" "$@"; }

sql src app "INSERT INTO t VALUES (1)"
check_ok "checkpoint create at now" -c "$W/config.yaml" --headless checkpoint create before-two
like "$OUT" 'created checkpoint "before-two" at [0-9A-F]+/[0-9A-F]+, with a restore point' "it says where, and that the restore point was made"
like "$(cat "$TEST_ROOT/src/server.log")" 'restore point "before-two" created' "the source's log shows the restore point"
sql src app "INSERT INTO t VALUES (2)"
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now

P --json --headless log --table t --from before-two
is "$(echo "$OUT" | json_get new.id)" "2" "log --from a checkpoint shows what came after it"
P --json --headless log --table t --to before-two
is "$(echo "$OUT" | json_get new.id)" "1" "log --to a checkpoint shows what came before it"

# "now" is after every commit that has returned to a client, also one
# made with synchronous_commit = off whose WAL is not yet written out.
sql src app "CREATE TABLE async_t (id int PRIMARY KEY)"
for i in 1 2 3 4 5 6 7 8; do
	sql src app "SET synchronous_commit = off; INSERT INTO async_t VALUES ($i)"
	"$PGTT" -c "$W/config.yaml" --headless checkpoint create "async-$i" >/dev/null 2>&1
done
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
MISSED=""
for i in 1 2 3 4 5 6 7 8; do
	P --json --headless log --table async_t --to "async-$i"
	[ "$(echo "$OUT" | grep -c .)" = "$i" ] || MISSED="$MISSED $i"
done
is "$MISSED" "" "a checkpoint right after an asynchronous commit holds that commit"
for i in 1 2 3 4 5 6 7 8; do
	"$PGTT" -c "$W/config.yaml" --headless checkpoint delete "async-$i" >/dev/null 2>&1
done

P --json --headless log --table t --to before-two
LSN1=$(echo "$OUT" | json_get lsn)
P --json --headless checkpoint create at-lsn --at "$LSN1" --description "an LSN"
is "$(echo "$OUT" | json_get lsn)/$(echo "$OUT" | json_get kind)/$(echo "$OUT" | json_get restore_point)" "$LSN1/custom/false" \
	"--at an LSN: that LSN, no restore point (it would be at the wrong place)"
P --json --headless checkpoint create at-creation --at creation
is "$(echo "$OUT" | json_get lsn)" "$("$PGTT" -c "$W/config.yaml" --json --headless status | json_get journal.creation_lsn)" "--at creation"

P --json --headless checkpoint list
is "$(echo "$OUT" | perl -MJSON::PP -ne '$o = JSON::PP->new->decode($_); print "$o->{name}:$o->{kind} "')" \
	"creation:fixed migration:fixed before-two:custom at-lsn:custom at-creation:custom " "list: fixed ones first, then custom, in order"
like "$(echo "$OUT" | sed -n 3p)" '"id":"[0-9]+".*"created_at":"20[0-9-]+T' "items carry id, created_at as CLI.md shows"

check_fail "a name taken already" 2 -c "$W/config.yaml" --headless checkpoint create before-two
like "$ERR" 'checkpoint "before-two" exists already' "says so"
for bad in creation now 12 0/16B3 "2026-11-20 10:00"; do
	check_fail "\"$bad\" cannot name a checkpoint" 2 -c "$W/config.yaml" --headless checkpoint create "$bad"
done
check_fail "deleting a fixed checkpoint" 2 -c "$W/config.yaml" --headless checkpoint delete creation
like "$ERR" 'checkpoint "creation" is fixed and cannot be deleted' "says so"
check_ok "deleting a custom checkpoint" -c "$W/config.yaml" --headless checkpoint delete at-lsn
check_fail "deleting it twice" 2 -c "$W/config.yaml" --headless checkpoint delete at-lsn
check_fail "an unknown point" 2 -c "$W/config.yaml" --headless log --from before-tow
like "$ERR" 'did you mean "before-two"' "the error names the close checkpoint"

# --- sessions ---
P --json --headless session create bug-42 --description "orders vanish" --replica "host=/nowhere dbname=x password=hunter2"
is "$(echo "$OUT" | json_get name)/$(echo "$OUT" | json_get database)/$(echo "$OUT" | json_get active)" "bug-42/app/false" "session create"
like "$(echo "$OUT" | json_get replica)" "password='\*+'" "its replica DSN is shown masked"
unlike "$OUT$(cat "$W/data/pgtt.log" 2>/dev/null)" 'hunter2' "and the password appears nowhere"
check_ok "session switch" -c "$W/config.yaml" --headless session switch bug-42
check_ok "a checkpoint in the active session" -c "$W/config.yaml" --headless checkpoint create before-two
P --headless session list
like "$OUT" '^\* bug-42 +orders vanish' "session list marks the active session (remembered across runs)"
P --json --headless checkpoint list
is "$(echo "$OUT" | perl -MJSON::PP -ne '$o = JSON::PP->new->decode($_); print "$o->{name}:", $o->{session} // "-", " "')" \
	"creation:- migration:- before-two:bug-42 " "list shows the fixed ones and the active session's"
P --json --headless checkpoint list --all
is "$(echo "$OUT" | wc -l)" "5" "--all shows every session's"
P --json --headless log --table t --from before-two
is "$OUT" "" "a point name resolves in the active session first"

CHANGES=$("$PGTT" -c "$W/config.yaml" --json --headless status | json_get journal.changes)
check_ok "session delete" -c "$W/config.yaml" --headless session delete bug-42
like "$OUT" 'deleted session "bug-42" and its 1 checkpoints; the history is untouched' "says what it deleted"
is "$("$PGTT" -c "$W/config.yaml" --json --headless status | json_get journal.changes)" "$CHANGES" "the history is untouched"
check_fail "switching to a deleted session" 2 -c "$W/config.yaml" --headless session switch bug-42
like "$ERR" 'no session "bug-42"' "says so"

done_testing
