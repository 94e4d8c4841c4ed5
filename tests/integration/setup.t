#!/usr/bin/env bash
# setup and status against real servers: a fresh source, a second run that
# changes nothing, the baseline's consistency, tables without a primary key,
# DDL capture that never breaks the source, and the error cases.
. "$(dirname "$0")/../lib/harness.sh"


pg_start src 5601
pg_start old 5602 "wal_level = replica"
sql src postgres "CREATE DATABASE app"
sql src app "CREATE TABLE users (id serial PRIMARY KEY, email text);
	CREATE TABLE nopk (a int, b text);
	CREATE SCHEMA \"Sales\";
	CREATE TABLE \"Sales\".\"Order Items\" (id int PRIMARY KEY, qty int);
	INSERT INTO users (email) SELECT 'u' || g || '@x' FROM generate_series(1, 50) g;
	INSERT INTO nopk VALUES (1, 'one');
	CREATE ROLE app_user LOGIN;
	GRANT ALL ON SCHEMA public TO app_user;
	GRANT ALL ON ALL TABLES IN SCHEMA public TO app_user"

W=$TEST_ROOT/w1
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)"

# --- dry run changes nothing ---
check_ok "setup --dry-run succeeds" -c "$W/config.yaml" --headless setup --dry-run
like "$OUT" 'planned +publication "pgtt"' "dry run plans the publication"
like "$OUT" 'planned +replication slot "pgtt_wal" \(physical, for the WAL archive\)' "dry run plans the WAL archive's physical slot"
like "$OUT" 'planned +base backup' "dry run plans the first base backup"
is "$(sql src app "SELECT count(*) FROM pg_replication_slots") $(sql src app "SELECT count(*) FROM pg_publication")" "0 0" \
	"dry run created no slot and no publication"
ok "$([ ! -e "$W/data" ]; echo $?)" "dry run created no journal"

# --- first run ---
check_ok "setup on a fresh source" -c "$W/config.yaml" --headless setup
like "$OUT" 'created +publication "pgtt" \(2 tables\)' "publication created with the two keyed tables"
like "$OUT" 'partial +table nopk: no primary key: its INSERTs and TRUNCATEs are captured, not its UPDATEs and DELETEs' "a table without a key is captured in part, and says why"
like "$OUT" 'created +publication "pgtt_inserts" \(INSERT and TRUNCATE only, 1 tables\): nopk' "in the insert-only publication"
like "$OUT" 'created +DDL capture \(event triggers "pgtt_ddl_capture", "pgtt_ddl_drop", "pgtt_ddl_rewrite"\)' "DDL capture created"
like "$OUT" 'created +replication slot "pgtt"' "slot created"
like "$OUT" 'created +checkpoint "creation"' "creation checkpoint recorded"
like "$OUT" 'created +replication slot "pgtt_wal" \(physical, for the WAL archive\)' "physical slot for the WAL archive created"
like "$OUT" 'created +base backup "[0-9TZ-]+": restores from [0-9A-F]+/[0-9A-F]+ on' "first base backup taken"
is "$(echo "$OUT" | grep -c '^created')" "7" "setup reports seven objects created: two publications, DDL capture, slot and baseline, creation, WAL slot, base backup"
is "$(sql src app "SELECT slot_type FROM pg_replication_slots WHERE slot_name = 'pgtt_wal'")" "physical" "the WAL slot is a physical slot"

is "$(sql src app "SELECT plugin FROM pg_replication_slots WHERE slot_name = 'pgtt'")" "pgoutput" "slot is a pgoutput slot"
is "$(sql src app "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = 'pgtt'" | LC_ALL=C sort | paste -sd,)" \
	"Sales.Order Items,public.users" "publication holds exactly the keyed tables"

# The source's writes still work on every table, keyed or not.
sql src app "UPDATE nopk SET b = 'uno'; DELETE FROM nopk; UPDATE users SET email = 'x' WHERE id = 1" >/dev/null 2>&1
ok $? "UPDATE and DELETE still work on the source after setup, also on the table without a key"

# --- baseline ---
ok "$([ -f "$W/data/baseline.dump" ]; echo $?)" "baseline dump exists beside the journal"
is "$(stat -c %a "$W/data/baseline.dump") $(stat -c %a "$W/data/baseline.list") $(stat -c %a "$W/data/data.mdb") $(stat -c %a "$W/data")" \
	"600 600 600 700" "baseline, its list and the journal are private (0600 files, 0700 directory)"
sql src postgres "CREATE DATABASE restored"
ok "$([ -f "$W/data/baseline.list" ]; echo $?)" "restore list exists beside the dump"
"$PG_BINDIR/pg_restore" --exit-on-error --no-owner -L "$W/data/baseline.list" \
	-d "$(pg_dsn src restored)" "$W/data/baseline.dump" 2>"$TEST_ROOT/restore.err"
ok $? "baseline restores cleanly with pg_restore -L baseline.list" || diag "$(cat "$TEST_ROOT/restore.err")"
# Rows written after setup are not in the baseline: it shows the state at creation.
is "$(sql src restored "SELECT count(*), min(email) FROM users")" "50|u10@x" "baseline shows the rows at creation, not later writes"
is "$(sql src restored "SELECT count(*) FROM pg_event_trigger") $(sql src restored "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgtt'")" "0 0" \
	"baseline leaves out pgtt's own objects"

# --- log ---
like "$(cat "$W/data/pgtt.log")" 'info setup: created replication slot "pgtt"' "the log records what setup created"
is "$(stat -c %a "$W/data/pgtt.log")" "600" "the log file is private"

# --- status ---
check_ok "status --json after setup" -c "$W/config.yaml" --json --headless status
is "$(echo "$OUT" | json_get source.connected)" "true" "status: source connected"
is "$(echo "$OUT" | json_get slot.exists)/$(echo "$OUT" | json_get slot.active)" "true/false" "status: slot exists, inactive"
is "$(echo "$OUT" | json_get publication.tables)" "2" "status: publication with 2 tables"
CREATION=$(echo "$OUT" | json_get journal.creation_lsn)
is "$CREATION" "$(sql src app "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'pgtt'")" \
	"status: creation LSN is the slot's consistent point"
is "$(echo "$OUT" | json_get journal.checkpoints)" "1" "status: journal holds the creation checkpoint"
is "$(echo "$OUT" | json_get listener)" "stopped" "status: listener stopped"
like "$(echo "$OUT" | json_get slot.lag_bytes)" '^[0-9]+$' "status: lag in bytes"
check_ok "status in text form" -c "$W/config.yaml" --headless status
like "$OUT" "history from $CREATION" "text status shows the creation LSN"

# --- second run changes nothing ---
catalog() {
	sql src app "SELECT (SELECT string_agg(slot_name || restart_lsn, ',') FROM pg_replication_slots),
		(SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables),
		(SELECT string_agg(md5(prosrc), ',' ORDER BY proname) FROM pg_proc WHERE pronamespace = 'pgtt'::regnamespace),
		(SELECT count(*) FROM pg_event_trigger)"
}
BEFORE=$(catalog)
check_ok "second setup succeeds" -c "$W/config.yaml" --headless setup
unlike "$OUT" '^(created|changed)' "second setup creates and changes nothing"
is "$ERR" "" "second setup prints nothing on stderr (no NOTICEs)"
like "$OUT" "exists +checkpoint \"creation\": $CREATION" "second setup keeps the creation LSN"
like "$OUT" 'exists +base backup "[0-9TZ-]+" \(1 in all\)' "second setup takes no second base backup"
is "$(catalog)" "$BEFORE" "second setup leaves the source's catalog as it was"

# --- DDL capture never breaks the source ---
sql src app "SET ROLE app_user; CREATE TABLE mine (id int PRIMARY KEY); CREATE TEMP TABLE scratch (a int);
	CREATE UNLOGGED TABLE fast (id int PRIMARY KEY); CREATE TABLE loose (a int)" >/dev/null 2>"$TEST_ROOT/ddl.err"
ok $? "a non-superuser's DDL (temp, unlogged, key-less tables) still works" || diag "$(cat "$TEST_ROOT/ddl.err")"
sql src app "CREATE TABLE later (id int PRIMARY KEY)"
is "$(sql src app "SELECT tablename FROM pg_publication_tables WHERE pubname = 'pgtt'" | LC_ALL=C sort | paste -sd,)" \
	"Order Items,later,mine,users" "tables created later with a key are published whole; temp and unlogged ones are not"
is "$(sql src app "SELECT tablename FROM pg_publication_tables WHERE pubname = 'pgtt_inserts'" | LC_ALL=C sort | paste -sd,)" \
	"loose,nopk" "a key-less table created later is published in part, INSERT and TRUNCATE only"
sql src app "UPDATE loose SET a = 1; DELETE FROM loose" >/dev/null 2>&1
ok $? "the key-less table created later still takes UPDATE and DELETE"
sql src app "DROP TABLE later"
ddl_messages() {
	sql src app "SELECT convert_from(substr(data, 24 + length((SELECT ddl_prefix FROM pgtt.publication_settings))), 'UTF8')
		FROM pg_logical_slot_peek_binary_changes('pgtt', NULL, NULL, 'proto_version', '1',
		'publication_names', 'pgtt', 'messages', 'true') WHERE substr(data, 1, 1) = 'M'::bytea"
}
MSGS=$(ddl_messages)
is "$(echo "$MSGS" | wc -l)" "6" "each top-level DDL statement is emitted as a pgtt.ddl message"
is "$(echo "$MSGS" | grep -c '"query"')" "3" "the query string goes with the first message of each execution only"
like "$(echo "$MSGS" | sed -n 1p)" '"role": "app_user", .*"superuser": false' "the role that ran it is recorded, not a superuser"
like "$(echo "$MSGS" | sed -n 1p)" '"nested": false' "a statement the client sent is not nested"
like "$(echo "$MSGS" | sed -n 2p)" '"temporary": true' "a temporary table is marked temporary"
like "$(echo "$MSGS" | sed -n 6p)" '"tag": "DROP TABLE", .*"query": "DROP TABLE later".*"dropped": \[\{"type": "table", "identity": "public.later"' \
	"DROP is captured with what it dropped (through sql_drop)"
like "$(echo "$MSGS" | sed -n 6p)" '"superuser": true' "the superuser's DROP says so"
like "$MSGS" '"search_path": "\\"\$user\\", public"' "the caller's search_path is recorded"
like "$MSGS" '"standard_conforming_strings": "on"' "and the lexer setting the string was read with"
sql src app "DO \$\$ BEGIN CREATE TABLE from_do (id int PRIMARY KEY); END \$\$"
like "$(ddl_messages | sed -n 7p)" '"nested": true' "DDL run inside a DO block is marked nested"
sql src app "DROP TABLE from_do"

like "$(sql src app "SELECT ddl_prefix FROM pgtt.publication_settings")" '^pgtt\.ddl\.[0-9a-f]{32}$' \
	"the capture writes under a secret prefix"
is "$(sql src app "SET ROLE app_user; SELECT count(*) FROM pgtt.publication_settings" 2>&1 | grep -c 'permission denied')" 1 \
	"which a role without privileges cannot read"

# Nobody can plant a statement: ddl_record only works inside an event trigger.
sql src app "SET ROLE app_user; SELECT pgtt.ddl_record('CREATE TABLE', 'ddl_command_end', '{}')" >/dev/null 2>"$TEST_ROOT/plant.err"
ok "$([ $? -ne 0 ]; echo $?)" "calling pgtt.ddl_record directly fails"
like "$(cat "$TEST_ROOT/plant.err")" 'event trigger' "and says it belongs to an event trigger"
is "$(ddl_messages | wc -l)" "8" "a direct call plants no message"

# Setup's own DDL is never history, also when it changes the source.
printf 'source:\n  dsn: "%s"\n  full_row_images: true\nstorage:\n  path: %s/data\n' "$(pg_dsn src app)" "$W" >"$W/full.yaml"
check_ok "setup again with full_row_images" -c "$W/full.yaml" --headless setup
like "$OUT" 'changed +replica identity of table nopk: full' "full_row_images gives the key-less table REPLICA IDENTITY FULL"
like "$OUT" 'changed +publication "pgtt" \(2 tables added, 0 moved to "pgtt_inserts"\): loose, nopk' "and publishes the key-less tables whole"
like "$OUT" 'changed +publication "pgtt_inserts" \(0 tables added, 2 now published whole\): loose, nopk' "taking them out of the insert-only publication"
like "$OUT" 'changed +DDL capture' "DDL capture follows the new setting"
is "$(ddl_messages | wc -l)" "8" "setup's own ALTERs and CREATE OR REPLACE are not captured"
sql src app "CREATE TABLE loose2 (a int)"
is "$(sql src app "SELECT relreplident FROM pg_class WHERE relname = 'loose2'")/$(sql src app "SELECT count(*) FROM pg_publication_tables WHERE tablename = 'loose2'")" \
	"f/1" "with full_row_images a key-less table created later is made FULL and published"

# --- errors ---
W2=$TEST_ROOT/w2; mkdir -p "$W2"
write_config "$W2/config.yaml" "$(pg_dsn old postgres)"
check_fail "setup on a wal_level=replica server exits 1" 1 -c "$W2/config.yaml" --headless setup
like "$ERR" 'wal_level is "replica"' "the message names the wrong wal_level"
like "$ERR" 'HINT: put "wal_level = logical" in postgresql.conf' "the hint gives the line to put in postgresql.conf"
ok "$([ ! -e "$W2/data" ]; echo $?)" "a refused setup leaves no journal behind"

W3=$TEST_ROOT/w3; mkdir -p "$W3"
write_config "$W3/config.yaml" "host=127.0.0.1 port=1 dbname=app user=postgres password=hunter2"
mkdir -p "$W3/data"
check_fail "unreachable source exits 1" 1 -c "$W3/config.yaml" --headless setup
like "$ERR" '127\.0\.0\.1.*port 1' "the message names host and port"
unlike "$ERR$OUT" 'hunter2' "the password is not shown"
like "$(cat "$W3/data/pgtt.log")" 'error setup: could not connect' "the failure is logged"
unlike "$(cat "$W3/data/pgtt.log")" 'hunter2' "the log does not hold the password"
check_fail "status of an unreachable source exits 1" 1 -c "$W3/config.yaml" --headless status
like "$OUT" "password='\*\*\*\*\*\*\*\*'" "status shows the DSN with the password masked"
unlike "$ERR$OUT" 'hunter2' "status does not show the password"
like "$OUT" 'unreachable: .*refused; Is the server running' "libpq's two-line message is kept on one line"
run_pgtt -c "$W3/config.yaml" --json --headless status
is "$(echo "$OUT" | json_get slot.exists)/$(echo "$OUT" | json_get publication.exists)" "null/null" \
	"status --json: the slot of an unreachable source is unknown, not absent"

printf 'source:\n  dsn: "x"\nstorage:\n  map_size: 12XB\n' >"$W3/bad.yaml"
check_fail "broken config exits 2" 2 -c "$W3/bad.yaml" --headless status
like "$ERR" 'bad\.yaml:4:13' "the error names file, line and column"
run_pgtt -c "$W3/bad.yaml" --json --headless status
is "$(echo "$ERR" | json_get error.where | sed 's|.*/||')" "bad.yaml:4:13" "with --json the error is a JSON object on stderr"

printf 'source:\n  dsn: "%s"\n  slot: other\n  tables: [public.users, nosuch]\nstorage:\n  path: %s/d\n' "$(pg_dsn src app)" "$W3" >"$W3/tables.yaml"
check_fail "a table in source.tables that does not exist" 2 -c "$W3/tables.yaml" --headless setup
like "$ERR" 'table "nosuch" in source.tables does not exist' "the message names the missing table"
printf 'source:\n  dsn: "%s"\n  slot: other\n  tables: [Sales.Order Items]\nstorage:\n  path: %s/d\n' "$(pg_dsn src app)" "$W3" >"$W3/tables.yaml"
check_fail "a table name psql could not parse" 2 -c "$W3/tables.yaml" --headless setup
like "$ERR" 'table "Sales.Order Items" in source.tables is not a valid table name' "the message names the table"
check_fail "an unknown setup option" 2 -c "$W/config.yaml" --headless setup --bogus
like "$ERR" 'unknown option "--bogus" for setup' "the message names the option"
unlike "$ERR" 'unrecognized option' "getopt does not print its own message too"

done_testing
