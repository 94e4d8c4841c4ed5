#!/usr/bin/env bash
# A pg_dump loaded while the listener streams: each table's data arrives
# before its key (pg_dump's order: CREATE TABLE, COPY, then ALTER TABLE
# ... ADD CONSTRAINT), each statement its own transaction.  Rows loaded
# keyless are the same rows as the ones the key names afterwards: diff
# across the load counts each once, diff after it knows their old values,
# and history finds their inserts.  Serial, identity, composite and wide
# keys (a row too long for the index, filed under a hash), a keyless
# table, and a table large enough to be filed in several rounds.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5798
sql src postgres "CREATE DATABASE seed"
sql src postgres "CREATE DATABASE app"
sql src seed "CREATE TABLE accounts (id serial PRIMARY KEY, owner text, bal int);
	CREATE TABLE items (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
	CREATE TABLE pairs (a int, b int, v text, PRIMARY KEY (a, b));
	CREATE TABLE wide (code text PRIMARY KEY, v int);
	CREATE TABLE notes (msg text);
	CREATE TABLE big (id int PRIMARY KEY, v int);
	CREATE TABLE fulltab (id int PRIMARY KEY, v text);
	ALTER TABLE fulltab REPLICA IDENTITY FULL;
	INSERT INTO fulltab VALUES (1, 'a'), (2, 'b');
	INSERT INTO accounts (owner, bal) SELECT 'o' || g, g FROM generate_series(1, 50) g;
	INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 20) g;
	INSERT INTO pairs SELECT a, b, a || ':' || b FROM generate_series(1, 5) a, generate_series(1, 5) b;
	INSERT INTO wide SELECT repeat('k', 600) || g, g FROM generate_series(1, 10) g;
	INSERT INTO notes VALUES ('hello'), ('world');
	INSERT INTO big SELECT g, g FROM generate_series(1, 120000) g"
# pg_dump's sections, as pg_restore runs them: the keys are post-data.
for section in pre-data data post-data; do
	"$PG_BINDIR/pg_dump" --no-owner --section=$section "$(pg_dsn src seed)" \
		>"$TEST_ROOT/seed-$section.sql"
done
like "$(cat "$TEST_ROOT/seed-post-data.sql")" 'ADD CONSTRAINT accounts_pkey PRIMARY KEY' \
	"pg_dump makes the keys after the data"

W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" "pitr:" "  enabled: false"
check_ok "setup" -c "$W/config.yaml" --headless setup
P() { run_pgtt -c "$W/config.yaml" "$@"; }
LISTEN_LOG=$TEST_ROOT/listen.log
bg "$PGTT_BIN" -c "$W/config.yaml" --headless listen >"$LISTEN_LOG" 2>&1
# caught_up: the listener has confirmed everything the source wrote.
caught_up() {
	local at
	at=$(sql src app "SELECT pg_current_wal_lsn()")
	wait_until 120 sh -c "[ \"\$(psql -X -A -t \"$(pg_dsn src app)\" -c \"SELECT confirmed_flush_lsn >= '$at' FROM pg_replication_slots WHERE slot_name = 'pgtt'\")\" = t ]"
}
caught_up
check_ok "checkpoint before the load" -c "$W/config.yaml" --headless checkpoint create before
load() { psql -X -q -v ON_ERROR_STOP=1 "$(pg_dsn src app)" -f "$TEST_ROOT/seed-$1.sql" >/dev/null; }
load pre-data && load data
ok $? "the tables and their data load into the watched database"
# The listener reads the data before the keys exist, as it does when it
# keeps up with a load; when it lags, the catalog already has the keys.
# REPLICA IDENTITY FULL names a row by all its columns until the key
# exists: each update gives it another identity.
sql src app "UPDATE fulltab SET v = 'a2' WHERE id = 1"
sql src app "UPDATE fulltab SET v = 'a3' WHERE id = 1"
caught_up
load post-data
ok $? "then the keys"
caught_up
check_ok "checkpoint after the load" -c "$W/config.yaml" --headless checkpoint create loaded
sql src app "UPDATE accounts SET bal = 1000 WHERE id = 2;
	UPDATE items SET name = 'renamed' WHERE id = 3;
	DELETE FROM pairs WHERE a = 1 AND b = 2;
	UPDATE wide SET v = 70 WHERE code = repeat('k', 600) || 7;
	UPDATE big SET v = -1 WHERE id = 99999;
	UPDATE fulltab SET v = 'a4' WHERE id = 1;
	DELETE FROM big WHERE id = 5"
caught_up
check_ok "checkpoint after the changes" -c "$W/config.yaml" --headless checkpoint create after
LOGGED=$(cat "$LISTEN_LOG")
like "$LOGGED" 'public.big names its rows by another key now: 120000 rows filed under it' \
	"the listener files the loaded rows under the new key, in rounds for a large table"
like "$LOGGED" 'public.wide names its rows by another key now: 10 rows' "rows filed under a hash too"
unlike "$LOGGED" 'public.notes names its rows' "a table that gets no key keeps its filing"

# counts: table +inserted -deleted ~updated, one line per table
counts() {
	perl -MJSON::PP -0ne '$d = JSON::PP->new->decode($_);
		for $t (sort { $a->{table} cmp $b->{table} } @{$d->{tables}}) {
			printf "%s +%d -%d ~%d\n", $t->{table}, scalar @{$t->{inserted}},
			    scalar @{$t->{deleted}}, scalar @{$t->{updated}};
		}'
}
P --json --headless diff before after
is "$RC" 0 "diff across the load" || diag "$ERR"
is "$(echo "$OUT" | counts)" "accounts +50 -0 ~0
big +119999 -0 ~0
fulltab +2 -0 ~0
items +20 -0 ~0
notes +2 -0 ~0
pairs +24 -0 ~0
wide +10 -0 ~0" "each loaded row once, inserted, with what the changes after the key left"
is "$(echo "$OUT" | perl -MJSON::PP -0ne '$d = JSON::PP->new->decode($_);
	for $t (@{$d->{tables}}) { next unless $t->{table} eq "accounts";
		for (@{$t->{inserted}}) { print $_->{bal} if $_->{id} == 2 } }')" \
	"1000" "the row inserted keyless holds the update made by its key"

P --json --headless diff loaded after
is "$(echo "$OUT" | counts)" "accounts +0 -0 ~1
big +0 -1 ~1
fulltab +0 -0 ~1
items +0 -0 ~1
pairs +0 -1 ~0
wide +0 -0 ~1" "after the load: updates and deletes of loaded rows, by their key"
is "$(echo "$OUT" | perl -MJSON::PP -0ne '$d = JSON::PP->new->decode($_);
	for $t (sort { $a->{table} cmp $b->{table} } @{$d->{tables}}) {
		for $u (@{$t->{updated}}) {
			$b = $u->{before};
			print "$t->{table}:", join(",", map { "$_=$b->{$_}" } sort keys %$b), ";";
		}
		for $r (@{$t->{deleted}}) {
			print "$t->{table}-:", join(",", map { "$_=$r->{$_}" } sort keys %$r), ";";
		} }')" \
	"accounts:bal=2;big:v=99999;big-:id=5,v=5;fulltab:v=a3;items:name=item 3;pairs-:a=1,b=2,v=1:2;wide:v=7;" \
	"the values before them are known: found under the key, from the keyless load"

sql src app "TRUNCATE items"
caught_up
check_ok "checkpoint after a truncate" -c "$W/config.yaml" --headless checkpoint create truncated
P --json --headless diff loaded truncated
is "$(echo "$OUT" | counts | grep items)" "items +0 -20 ~0" \
	"a truncate lists each loaded row once, by its key"

P --json --headless history accounts id=2
is "$(echo "$OUT" | perl -MJSON::PP -ne '$o = JSON::PP->new->decode($_); print "$o->{op}:$o->{row}{bal} "')" \
	"insert:2 update:1000 " "history of a loaded row: its insert, then its update"
P --json --headless history big id=99999
is "$(echo "$OUT" | perl -MJSON::PP -ne '$o = JSON::PP->new->decode($_); print "$o->{op}:$o->{row}{v} "')" \
	"insert:99999 update:-1 " "in the large table too"
P --json --headless history wide "code=$(printf 'k%.0s' $(seq 600))7"
is "$(echo "$OUT" | perl -MJSON::PP -ne '$o = JSON::PP->new->decode($_); print "$o->{op}:$o->{row}{v} "')" \
	"insert:7 update:70 " "and for a row named by a key too long for the index"
P --json --headless history fulltab id=1
is "$(echo "$OUT" | perl -MJSON::PP -ne '$o = JSON::PP->new->decode($_); print "$o->{op}:$o->{row}{v} "')" \
	"insert:a update:a2 update:a3 update:a4 " \
	"a row of a REPLICA IDENTITY FULL table, updated before its key existed: its whole history"
P --json --headless history notes msg=hello
is "$(echo "$OUT" | json_get op)" "insert" "a keyless table is named by its whole row, as before"
done_testing
