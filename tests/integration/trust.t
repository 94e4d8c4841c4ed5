#!/usr/bin/env bash
# Never silently wrong: faults that used to leave a history that looked
# whole and was not.  A journal deleted or replaced under a running
# listener must stop it before it confirms anything the journal on disk
# does not hold, so the slot keeps those changes for a new start.  A
# point outside the history the journal holds is a usage error that names
# the range, not an empty answer.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5771
sql src postgres "CREATE DATABASE app"
sql src app "CREATE TABLE t (id int PRIMARY KEY, v text)"

W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" "pitr:" "  enabled: false"
check_ok "setup" -c "$W/config.yaml" --headless setup
P() { run_pgtt -c "$W/config.yaml" "$@"; }
confirmed() { sql src app "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'pgtt'"; }
journaled() { P --json --headless status; [ "$(echo "$OUT" | json_get journal.changes)" -ge "$1" ]; }

# --- points outside the history are refused, with the range named ---
sql src app "INSERT INTO t VALUES (0, 'first')"
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
like "$ERR" 'pgtt: info: listen: started \(pid [0-9]+\)' "listen, its stderr no terminal, says each event there, one line each"
like "$ERR" 'pgtt: info: listen: stopped at [0-9A-F/]+' "down to its stop"
check_fail "checkpoint --at 0/0 is refused" 2 -c "$W/config.yaml" --headless checkpoint create early --at 0/0
like "$ERR" 'outside the history the journal holds, [0-9A-F]+/[0-9A-F]+ to [0-9A-F]+/[0-9A-F]+' "naming the range"
check_fail "checkpoint --at FFFFFFFF/FFFFFFFF is refused" 2 -c "$W/config.yaml" --headless checkpoint create late --at FFFFFFFF/FFFFFFFF
P --headless checkpoint list
unlike "$OUT" 'early|late' "and no checkpoint was made"
check_fail "diff to a point past the journal is refused" 2 -c "$W/config.yaml" --headless diff creation FFFFFFFF/FFFFFFFF
check_fail "log --to 0/0 is refused" 2 -c "$W/config.yaml" --headless log --to 0/0
check_fail "listen --until 0/0 is refused" 2 -c "$W/config.yaml" --headless listen --until 0/0
like "$ERR" 'outside what the listener can reach' "saying why"
check_fail "listen --until a position the source has not reached is refused" 2 -c "$W/config.yaml" --headless listen --until FFFFFFFF/FFFFFFFF
# --- input that is wrong says what and where, with exit 2 ---
check_fail "a config that is no regular file" 2 -c /dev/zero --headless status
like "$ERR" '"/dev/zero" is not a regular file' "is refused before it is read"
head -c 2000000 /dev/zero | tr '\0' '#' >"$TEST_ROOT/huge.yaml"
check_fail "a config of 2 MB" 2 -c "$TEST_ROOT/huge.yaml" --headless status
like "$ERR" 'larger than 1048576 bytes' "is refused by its size"
check_fail "--limit beyond a long" 2 -c "$W/config.yaml" --headless log --limit 99999999999999999999999
check_fail "--table that is no table name" 2 -c "$W/config.yaml" --headless log --table 'public.t; drop table x'
like "$ERR" 'table' "names the option's trouble"
check_fail "--table of a table never journaled" 2 -c "$W/config.yaml" --headless log --table nosuch
like "$ERR" 'no table "nosuch" is in the journal' "says so"
check_fail "the same for diff" 2 -c "$W/config.yaml" --headless diff creation head --table public.nosuch
check_ok "--table of a journaled table works" -c "$W/config.yaml" --headless log --table public.t
check_ok "a session whose name has a quote and a space" -c "$W/config.yaml" --headless session create "it's mine"
is "$(echo "$OUT" | sed -n 's/.*session switch \(.*\))$/\1/p')" "'it'\\''s mine'" "gets a hint a shell reads back"
HINT=$(echo "$OUT" | sed -n 's/.*with: \(pgtt .*\))$/\1/p')
eval "set -- $HINT"
is "$5" "it's mine" "word for word"
check_fail "a malformed --target DSN" 2 -c "$W/config.yaml" --headless replay --dry-run --to head --target "nosuchkey=1"
like "$ERR" 'malformed' "says it is malformed"
unlike "$OUT" '\(null\)' "and prints no (null)"
check_fail "an unreachable replica" 1 -c "$W/config.yaml" --headless replay --dry-run --to head --target "host=$TEST_ROOT port=1 dbname=x"
# --- commands as people type them: no --headless, options after ---
run_pgtt status --json -c "$W/config.yaml"
is "$RC" 0 "pgtt status --json -c FILE runs status, with the global options after it"
is "$(echo "$OUT" | json_get journal.exists)" true "and prints its JSON"
run_pgtt log -c "$W/config.yaml" --table t --json
like "$OUT" '"id":"0"' "pgtt log -c FILE --table t --json: the options mix in any order"
run_pgtt checkpoint create dash --description -v -c "$W/config.yaml" --at "$(confirmed)"
is "$RC" 0 "a command's own option keeps a value that looks like a global one"
run_pgtt --json checkpoint list -c "$W/config.yaml"
like "$OUT" '"name":"dash"[^}]*"description":"-v"' "the description is -v, not verbose output"
run_pgtt nosuch
is "$RC" 2 "an unknown command is a usage error"
like "$ERR" 'unknown command "nosuch"' "and says which"
run_pgtt log -c
is "$RC" 2 "-c without a file after the command is a usage error"

# --- output that cannot be written is a failure, said on stderr ---
full() { "$PGTT" -c "$W/config.yaml" "$@" >/dev/full 2>"$TEST_ROOT/full.err"; }
for args in "--headless log" "--json --headless status" "--headless checkpoint list" \
	"--headless diff creation head" "--json --headless log" "--help"; do
	full $args
	is "$?" 1 "pgtt $args > /dev/full exits 1"
	like "$(cat "$TEST_ROOT/full.err")" 'could not write to standard output: No space left on device' "and says why"
done
timeout 20 "$PGTT" -c "$W/config.yaml" --headless log --follow >/dev/full 2>"$TEST_ROOT/full.err"
is "$?" 1 "log --follow > /dev/full stops, exit 1, rather than follow for nobody"
check_ok "diff to the LSN the journal confirmed last works" -c "$W/config.yaml" --headless diff creation "$(confirmed)"

# --- the journal deleted under a running listener ---
"$PGTT" -c "$W/config.yaml" --headless listen >"$TEST_ROOT/listen.out" 2>"$TEST_ROOT/listen.err" &
LISTENER=$!
_bg_pids="$_bg_pids $LISTENER"
sql src app "INSERT INTO t SELECT g, 'before' FROM generate_series(1, 5) g"
wait_until 20 journaled 6
ok $? "the listener journals the first rows"

# --- a second listener, refused, leaves the running one's state alone ---
check_fail "a second listen is refused while the slot is held" 1 -c "$W/config.yaml" --headless listen --until now
P --json --headless status
is "$(echo "$OUT" | json_get listener_detail.pid)/$(echo "$OUT" | json_get listener_detail.state)" "$LISTENER/streaming" \
	"status still names the running listener, streaming"
rm -rf "$W/data/"*
BEFORE=$(sql src app "SELECT pg_current_wal_lsn()")
sql src app "INSERT INTO t SELECT g, 'after' FROM generate_series(6, 105) g"
wait_until 20 sh -c "! kill -0 $LISTENER"
ok $? "the listener stops by itself" || kill -9 "$LISTENER"
wait "$LISTENER"
is "$?" 1 "and exits 1"
like "$(cat "$TEST_ROOT/listen.err")" 'was deleted or replaced while pgtt had it open' "saying the journal went away"
lsn_ge "$BEFORE" "$(confirmed)"
ok $? "the slot was not confirmed past the rows the journal on disk lacks ($(confirmed) <= $BEFORE)"
is "$(sql src app "SELECT count(*) FROM pg_logical_slot_peek_binary_changes('pgtt', NULL, NULL,
	'proto_version', '1', 'publication_names', 'pgtt')
	WHERE get_byte(data, 0) = 73")" 100 "the slot still holds the 100 inserts"

# --- a slot dropped and made again under the same name ---
sql src app "SELECT pg_drop_replication_slot('pgtt')" >/dev/null
check_ok "setup of a new history" -c "$W/config.yaml" --headless setup
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
sql src app "SELECT pg_drop_replication_slot('pgtt')" >/dev/null
sql src app "INSERT INTO t VALUES (1000, 'in the hole')"
sql src app "SELECT pg_create_logical_replication_slot('pgtt', 'pgoutput')" >/dev/null
sql src app "INSERT INTO t VALUES (1001, 'after the hole')"
check_fail "listen refuses a slot made again" 1 -c "$W/config.yaml" --headless listen --until now
like "$ERR" 'slot "pgtt" stands at [0-9A-F/]+, past the journal.s [0-9A-F/]+: it was dropped and made again' "saying changes are missing and where"
like "$ERR" 'setup --new-baseline' "with one way out"
P --headless log --table t
unlike "$OUT" 'after the hole' "nothing after the hole is journaled as if the history were whole"
sql src app "SELECT pg_drop_replication_slot('pgtt')" >/dev/null
check_fail "listen without its slot" 1 -c "$W/config.yaml" --headless listen --until now
like "$ERR" 'setup --new-baseline' "gives the same way out, not a setup that refuses"

# --- a full disk is called by its name, not "Input/output error" ---
# LMDB reports a write the disk cut short as EIO.  Needs a small tmpfs,
# which only root may mount.
TINY=$TEST_ROOT/tiny
mkdir -p "$TINY"
if mount -t tmpfs -o size=600k tmpfs "$TINY" 2>/dev/null; then
	sql src postgres "CREATE DATABASE full_disk"
	sql src full_disk "CREATE TABLE t (id int PRIMARY KEY, v text)"
	cat >"$TEST_ROOT/tiny.yaml" <<EOF
source:
  dsn: "$(pg_dsn src full_disk)"
  slot: full_disk
  publication: full_disk
storage:
  path: $TINY/data
pitr:
  enabled: false
EOF
	check_ok "setup on a small file system" -c "$TEST_ROOT/tiny.yaml" --headless setup
	sql src full_disk "INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g"
	check_fail "listen on a full file system" 1 -c "$TEST_ROOT/tiny.yaml" --headless listen --until now
	like "$ERR" 'No space left on device: the file system holding it is full' "says the disk is full"
	umount "$TINY"
else
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # skip a full disk needs a tmpfs, which only root may mount"
fi

done_testing
