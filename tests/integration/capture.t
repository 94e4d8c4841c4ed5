#!/usr/bin/env bash
# Capture against a real server: values survive in PostgreSQL's text form,
# TOAST, replica identity, TRUNCATE, DDL in order, quoted identifiers,
# concurrent writers, kill -9 of the listener, a restart of the source,
# and log --follow.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5611
sql src postgres "CREATE DATABASE app"
sql src app "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
	CREATE DOMAIN posint AS int CHECK (VALUE > 0);
	CREATE TABLE types (id int PRIMARY KEY, i2 int2, i4 int4, i8 int8,
		num numeric, f4 float4, f8 float8, f8inf float8, f8ninf float8,
		t text, b bytea, j jsonb, arr int[], tarr text[], ts timestamptz,
		iv interval, u uuid, ip inet, m mood, d posint, n text, big text);
	CREATE TABLE ri_default (id int PRIMARY KEY, v text);
	CREATE TABLE ri_full (id int PRIMARY KEY, v text);
	ALTER TABLE ri_full REPLICA IDENTITY FULL;
	CREATE TABLE trunc (id int PRIMARY KEY);
	CREATE TABLE migr (id int PRIMARY KEY, a text);
	CREATE SCHEMA \"Sales\";
	CREATE TABLE \"Sales\".\"Order Items\" (\"Id\" int PRIMARY KEY, \"Qty\" int);
	CREATE TABLE writers (w int, n int, PRIMARY KEY (w, n));
	CREATE TABLE steady (id int PRIMARY KEY);
	CREATE TABLE marker (id int PRIMARY KEY)"

W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"pitr:" "  enabled: false"
check_ok "setup" -c "$W/config.yaml" --headless setup

LISTEN_LOG=$TEST_ROOT/listen.log
start_listener() {
	bg "$PGTT" -c "$W/config.yaml" --headless listen >>"$LISTEN_LOG" 2>&1
	LISTENER=$BG_PID
}
# log_json ARGS: the journal as JSON lines.
log_json() { "$PGTT" -c "$W/config.yaml" --json --headless log "$@"; }
# Wait until marker row $1 is journaled: everything committed before it is too.
mark() {
	sql src app "INSERT INTO marker VALUES ($1)"
	wait_until 60 sh -c "\"$PGTT\" -c \"$W/config.yaml\" --json --headless log --table marker | grep -q '\"id\":\"$1\"'"
}
# json_same A B: the same JSON value, whatever the key order.
json_same() {
	perl -MJSON::PP -e 'my $j = JSON::PP->new->canonical;
		exit($j->encode($j->decode($ARGV[0])) eq $j->encode($j->decode($ARGV[1])) ? 0 : 1)' "$1" "$2"
}

start_listener

# --- every type survives in its text form ---
sql src app "INSERT INTO types VALUES (1, -32768, 2147483647, -9223372036854775808,
	-1234567890123456789012345678901234567890.123456789, 'NaN', 'NaN', 'Infinity', '-Infinity',
	E'h\u00e9llo \u2713 \"dq\" ''sq'' back\\\\slash\nnew line\ttab', '\\x00ff10'::bytea,
	'{\"a\": [1, null, \"x\"], \"b\": {\"c\": true}}', '{1,NULL,3}', '{\"a b\",NULL,\"c\\\"d\"}',
	'2026-11-20 10:00:01.123456+00', '1 year 2 mons 3 days 04:05:06.789',
	'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.1.1/24', 'happy', 42, NULL,
	(SELECT string_agg(md5(g::text), '') FROM generate_series(1, 3200) g))"
mark 1
SRC_ROW=$(sql src app "$(sql src app "SELECT 'SELECT json_build_object(' || string_agg(format('%L, %I::text',
	column_name, column_name), ', ' ORDER BY ordinal_position) || ') FROM types WHERE id = 1'
	FROM information_schema.columns WHERE table_name = 'types'")")
GOT=$(log_json --table types --op insert)
is "$(echo "$GOT" | wc -l)" "1" "one insert into types journaled"
json_same "$(echo "$GOT" | json_get new)" "$SRC_ROW"
ok $? "every column equals the source's own text form (int2/4/8, numeric, NaN/Infinity, Unicode and escapes, bytea, jsonb, arrays with NULLs, timestamptz, interval, uuid, inet, enum, domain, NULL, 100 kB text)" ||
	diag "pgtt:   $(echo "$GOT" | json_get new | cut -c1-600)" "source: $(echo "$SRC_ROW" | cut -c1-600)"
is "$(echo "$GOT" | json_get new.n)" "null" "SQL NULL is JSON null"
is "$(echo "$GOT" | json_get new.big | wc -c)" "102400" "the 100 kB value arrives whole"

# --- TOAST: an update that leaves the big value alone ---
sql src app "UPDATE types SET i4 = 7 WHERE id = 1"
mark 2
GOT=$(log_json --table types --op update)
is "$(echo "$GOT" | json_get unchanged_toast)" '["big"]' "an update that leaves a TOASTed column alone lists it as unchanged_toast"
is "$(echo "$GOT" | json_get new.big)" "null" "and carries no value for it"
is "$(echo "$GOT" | json_get new.i4)" "7" "the changed column has its new value"

# --- replica identity ---
sql src app "INSERT INTO ri_default VALUES (1, 'a'); INSERT INTO ri_full VALUES (1, 'a')"
sql src app "UPDATE ri_default SET v = 'b'; UPDATE ri_full SET v = 'b'"
sql src app "UPDATE ri_default SET id = 2; DELETE FROM ri_default; DELETE FROM ri_full"
mark 3
D=$(log_json --table ri_default)
is "$(echo "$D" | sed -n 2p | json_get old)" "null" "DEFAULT: an update of non-key columns sends no old row"
is "$(echo "$D" | sed -n 3p | json_get old)" '{"id":"1"}' "DEFAULT: a key change sends the old key"
is "$(echo "$D" | sed -n 4p | json_get old)" '{"id":"2"}' "DEFAULT: a delete sends the key only"
F=$(log_json --table ri_full)
is "$(echo "$F" | sed -n 2p | json_get old)" '{"id":"1","v":"a"}' "FULL: an update sends the whole old row"
is "$(echo "$F" | sed -n 3p | json_get old)" '{"id":"1","v":"b"}' "FULL: a delete sends the whole old row"

# --- TRUNCATE ---
sql src app "INSERT INTO trunc VALUES (1); TRUNCATE trunc RESTART IDENTITY"
mark 4
T=$(log_json --op truncate)
is "$(echo "$T" | json_get tables)" '["public.trunc"]' "TRUNCATE is journaled with its table"
is "$(echo "$T" | json_get restart_identity)" "true" "and its RESTART IDENTITY option"

# --- DDL in order with the rows around it ---
sql src app "BEGIN; INSERT INTO migr VALUES (1, 'before');
	ALTER TABLE migr ADD COLUMN b int DEFAULT 5;
	INSERT INTO migr VALUES (2, 'after', 6);
	CREATE TABLE born (id int PRIMARY KEY);
	INSERT INTO born VALUES (1); COMMIT"
mark 5
# One query string with two DDL statements: a message at each.
M=$(log_json --from "$(log_json --table migr | head -n 1 | json_get lsn)" --limit 5)
is "$(echo "$M" | while read -r l; do echo "$l" | json_get op; echo; done | paste -sd,)" \
	"insert,ddl,insert,ddl,insert" "DDL is journaled in order with the rows around it"
like "$(echo "$M" | sed -n 2p | json_get sql)" 'ALTER TABLE migr ADD COLUMN b' "the ALTER TABLE statement is there"
is "$(echo "$M" | sed -n 3p | json_get new)" '{"a":"after","b":"6","id":"2"}' "the row after ALTER TABLE has the new column"
is "$(echo "$M" | sed -n 1p | json_get new)" '{"a":"before","id":"1"}' "the row before it is read with the old columns"
like "$(echo "$M" | sed -n 4p | json_get sql)" '^CREATE TABLE of table public.born' "the second statement's message names what it created"
is "$(echo "$M" | sed -n 5p | json_get table)" "born" "a table created later is captured from its first row"
sql src app "ALTER TABLE migr ADD COLUMN c int; INSERT INTO migr VALUES (3, 'x', 1, 2)"
sql src app "BEGIN; DROP TABLE born; INSERT INTO migr VALUES (4, 'y', 1, 2); COMMIT"
mark 9
M=$(log_json --from "$(log_json --table migr | sed -n 3p | json_get lsn)" --op ddl,insert --limit 5)
is "$(echo "$M" | while read -r l; do echo "$l" | json_get op; echo; done | paste -sd,)" \
	"ddl,insert,ddl,insert,insert" "each DDL transaction keeps its order, DROP included"

# A column dropped between two rows of one transaction: each row is read
# with the table as it was when it was written.
sql src app "CREATE TABLE dropped (id int PRIMARY KEY, a text, b text)"
sql src app "BEGIN; INSERT INTO dropped VALUES (1, 'A1', 'B1');
	ALTER TABLE dropped DROP COLUMN a; INSERT INTO dropped VALUES (2, 'B2'); COMMIT"
mark 10
D=$(log_json --table dropped --op insert)
is "$(echo "$D" | sed -n 1p | json_get new)" '{"a":"A1","b":"B1","id":"1"}' "a row written before DROP COLUMN keeps its columns"
is "$(echo "$D" | sed -n 2p | json_get new)" '{"b":"B2","id":"2"}' "the row after it has the new shape, in the same transaction"

# --- a time as a point: the state at T holds what committed before T ---
T5=$(log_json --table marker | sed -n 5p | json_get commit_time)
is "$(log_json --table marker --from "$T5" --limit 1 | json_get new.id)" "5" "--from a timestamp starts at the first commit at that time"
is "$(log_json --table marker --to "$T5" | tail -n 1 | json_get new.id)" "4" "--to a timestamp ends before it"

# --- quoted identifiers ---
sql src app "INSERT INTO \"Sales\".\"Order Items\" VALUES (7, 3)"
mark 6
Q=$(log_json --table '"Sales"."Order Items"')
is "$(echo "$Q" | json_get schema)/$(echo "$Q" | json_get table)" "Sales/Order Items" "quoted schema and table keep their names"
is "$(echo "$Q" | json_get new)" '{"Id":"7","Qty":"3"}' "quoted column names keep their case"
is "$(log_json --table 'sales."Order Items"' | wc -l)" "0" "an unquoted name folds to lower case, as in psql"

# --- five concurrent writers ---
for w in 1 2 3 4 5; do
	bg sql src app "DO \$\$ BEGIN FOR i IN 1..200 LOOP
		INSERT INTO writers VALUES ($w, i); COMMIT; END LOOP; END \$\$"
	WRITERS="${WRITERS:-} $BG_PID"
done
wait $WRITERS
mark 7
LSNS=$(log_json --table writers | perl -MJSON::PP -ne 'print JSON::PP->new->decode($_)->{lsn}, "\n"')
is "$(echo "$LSNS" | wc -l)" "1000" "all 1000 rows of 5 concurrent writers are journaled"
is "$(echo "$LSNS" | sort -u | wc -l)" "1000" "each in its own transaction"
SORTED=$(echo "$LSNS" | perl -ne 'chomp; my ($h, $l) = split m{/}; printf "%08X%08X\n", hex $h, hex $l' | LC_ALL=C sort -c 2>&1)
is "$SORTED" "" "journal order is commit LSN order"

# --- kill -9 during a steady write stream ---
bg sql src app "DO \$\$ BEGIN FOR i IN 1..3000 LOOP
	INSERT INTO steady VALUES (i); COMMIT; PERFORM pg_sleep(0.001); END LOOP; END \$\$"
STREAM=$BG_PID
for round in 1 2 3 4 5; do
	sleep 0.$((3 + RANDOM % 6))
	kill -9 "$LISTENER" 2>/dev/null
	wait "$LISTENER" 2>/dev/null
	start_listener
done
wait $STREAM
mark 8
IDS=$(log_json --table steady | perl -MJSON::PP -ne 'print JSON::PP->new->decode($_)->{new}{id}, "\n"')
is "$(echo "$IDS" | wc -l)" "$(sql src app "SELECT count(*) FROM steady")" "after 5 kill -9 the journal holds as many rows as the source"
is "$(echo "$IDS" | sort -n | uniq -d | wc -l)" "0" "and no row twice"
is "$(echo "$IDS" | sort -n | paste -sd, | md5sum)" "$(sql src app "SELECT id FROM steady ORDER BY id" | paste -sd, | md5sum)" \
	"and exactly the source's rows"

# --- the source restarts under the listener ---
pg_restart src
sql src app "INSERT INTO marker VALUES (100)"
wait_until 60 sh -c "\"$PGTT\" -c \"$W/config.yaml\" --json --headless log --table marker | grep -q '\"id\":\"100\"'"
ok $? "after the source restarts the listener reconnects and goes on"
like "$(cat "$W/data/pgtt.log")" 'warning listener: .*retrying' "the lost connection is logged"
run_pgtt -c "$W/config.yaml" --json --headless status
is "$(echo "$OUT" | json_get listener)" "running" "status shows the listener running"

# --- idle: WAL of other databases does not pin the slot ---
mark 101
BEFORE=$(sql src app "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'pgtt'")
sql src postgres "CREATE TABLE IF NOT EXISTS elsewhere (a int); INSERT INTO elsewhere SELECT generate_series(1, 10000)"
OTHER=$(sql src postgres "SELECT pg_current_wal_lsn()")
wait_until 30 sh -c "[ \"\$(psql -X -A -t \"$(pg_dsn src app)\" -c \"SELECT confirmed_flush_lsn >= '$OTHER' FROM pg_replication_slots WHERE slot_name = 'pgtt'\")\" = t ]"
ok $? "an idle listener confirms WAL written elsewhere ($BEFORE -> past $OTHER), so the slot does not hold it back"
is "$(log_json --from "$BEFORE" | grep -c elsewhere)" "0" "and journals none of it"

# --- log --follow ---
FOLLOW=$TEST_ROOT/follow.out
bg sh -c "exec \"$PGTT\" -c \"$W/config.yaml\" --json --headless log --follow --from head --table marker >\"$FOLLOW\""
# The reader may take a moment to find the head: a row committed before
# it does is rightly not shown, so commit rows until one is.
FOLLOWED=1
for id in $(seq 201 230); do
	START=$(date +%s%N)
	sql src app "INSERT INTO marker VALUES ($id)"
	wait_until 2 grep -q "\"id\":\"$id\"" "$FOLLOW" && { FOLLOWED=0; break; }
done
ok $FOLLOWED "log --follow shows a change committed on the source"
diag "log --follow printed the row $(( ($(date +%s%N) - START) / 1000000 )) ms after the INSERT returned (informational)"
unlike "$(cat "$FOLLOW")" '"id":"100"' "--from head starts after what was already journaled"

# --- stop: flush, confirm, exit 0 ---
kill -TERM "$LISTENER"
wait "$LISTENER"
is "$?" "0" "SIGTERM stops the listener with exit status 0"
CONF=$(sql src app "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'pgtt'")
HEAD=$(log_json --table marker | tail -n 1 | json_get lsn)
ok "$(! lsn_ge "$HEAD" "$CONF"; echo $?)" \
	"the slot is confirmed past the last journaled commit"

# --- listen --until: catch up, then exit ---
sql src app "INSERT INTO marker VALUES (300)"
check_ok "listen --until now catches up and exits 0" -c "$W/config.yaml" --headless listen --until now
like "$(log_json --table marker | tail -n 1)" '"id":"300"' "the row committed before 'now' is journaled"
sql src app "INSERT INTO marker VALUES (900)"
UNTIL=$(sql src app "SELECT pg_current_wal_lsn()")
check_ok "listen --until an LSN it can reach exits 0" -c "$W/config.yaml" --headless listen --until "$UNTIL"
like "$(log_json --table marker | tail -n 1)" '"id":"900"' "and so is the row committed before that LSN"
check_fail "listen --until with something that is not a position" 2 -c "$W/config.yaml" --headless listen --until creation
like "$ERR" '^pgtt: --until takes an LSN or now, not "creation"' "the message names the option and what it takes"

# --- a stop is seen while a backlog comes faster than it is read ---
# Slowed down, the reader never finds the socket empty; it must still
# look for the stop between reads, not only once the backlog is drained.
sql src app "CREATE TABLE backlog (id int PRIMARY KEY)"
check_ok "listen --until now journals the new table" -c "$W/config.yaml" --headless listen --until now
sql src app "DO \$\$ BEGIN FOR i IN 0..1999 LOOP
	INSERT INTO backlog SELECT i * 10 + g FROM generate_series(0, 9) g;
	COMMIT; END LOOP; END \$\$"
bg env PGTT_TEST_INGEST_DELAY_US=200 "$PGTT" -q -c "$W/config.yaml" --headless listen
SLOW=$BG_PID
wait_until 30 sh -c "\"$PGTT\" -c \"$W/config.yaml\" --json --headless log --table backlog | grep -q backlog"
ok $? "the slowed listener journals the backlog's first rows"
# The journal writer, and it alone, runs at a nice value 10 above the
# process's (field 19 of /proc/PID/stat).  A process already at 19 has
# nothing to yield.
nice_of() { sed 's/.*) //' "$1/stat" | awk '{print $17}'; }
MAIN_NICE=$(nice_of "/proc/$SLOW")
WANT_NICE=$((MAIN_NICE + 10 > 19 ? 19 : MAIN_NICE + 10))
NICED=$(for t in /proc/"$SLOW"/task/*; do nice_of "$t"; done | grep -v "^$MAIN_NICE\$" | sort | uniq -c | awk '{print $1 " at " $2}')
if [ "$MAIN_NICE" -lt 19 ]; then
	is "$NICED" "1 at $WANT_NICE" "one thread of the listener, the journal writer, runs at nice $WANT_NICE (the process at $MAIN_NICE)"
else
	ok 0 "the journal writer runs niced # SKIP the tests run at nice $MAIN_NICE: no thread can yield more"
fi
kill -TERM "$SLOW"
wait "$SLOW"
is "$?" "0" "SIGTERM in the middle of the backlog: exit status 0"
GOT=$(log_json --table backlog | wc -l)
ok "$([ "$GOT" -lt 20000 ]; echo $?)" "it stopped before the end of the backlog ($GOT of 20000 rows journaled)"
# storage.writer_nice: 0 keeps every thread at the process's nice value.
write_config "$W/nice0.yaml" "$(pg_dsn src app)" "  writer_nice: 0" \
	"pitr:" "  enabled: false"
bg env PGTT_TEST_INGEST_DELAY_US=200 "$PGTT" -q -c "$W/nice0.yaml" --headless listen
SLOW=$BG_PID
# Rows past the first listener's are journaled: the writer has set its
# priority, if it was going to, before its first commit.
wait_until 30 sh -c "[ \$(\"$PGTT\" -c \"$W/config.yaml\" --json --headless log --table backlog | wc -l) -gt $GOT ]"
ok $? "a listener with writer_nice: 0 journals more of the backlog"
NICED=$(for t in /proc/"$SLOW"/task/*; do nice_of "$t"; done | grep -cv "^$MAIN_NICE\$")
is "$NICED" "0" "with writer_nice: 0, no thread of the listener is niced"
kill -TERM "$SLOW"
wait "$SLOW"
is "$?" "0" "and it stops cleanly"
check_ok "listen --until now after the stop" -c "$W/config.yaml" --headless listen --until now
IDS=$(log_json --table backlog | perl -MJSON::PP -ne 'print JSON::PP->new->decode($_)->{new}{id}, "\n"')
is "$(echo "$IDS" | sort -n | uniq | wc -l) $(echo "$IDS" | wc -l)" "20000 20000" \
	"then every row of the backlog is journaled, and once"

done_testing
