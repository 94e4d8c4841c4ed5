#!/usr/bin/env bash
# Every table, however its keys and partitions were made: keys added after
# CREATE TABLE (the pg_dump way) publish the table in the same transaction,
# a default partition without a key loses no row, partitions attached or
# created later are captured, key-less and REPLICA IDENTITY NOTHING tables
# have their INSERTs and TRUNCATEs captured while the source's own UPDATE
# and DELETE keep working, and status names each table not captured whole.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5691
sql src postgres "CREATE DATABASE app"
sql src postgres "CREATE DATABASE app_replica"
PATH="$PG_BINDIR:$PATH" pgbench -q -i -s 1 "$(pg_dsn src app)" >/dev/null 2>&1 ||
	bail "pgbench -i failed"
sql src app "CREATE TABLE pay (id int, paid date, amount numeric) PARTITION BY RANGE (paid);
	CREATE TABLE pay_2026 PARTITION OF pay FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
	CREATE TABLE pay_max PARTITION OF pay FOR VALUES FROM ('2027-01-01') TO (MAXVALUE);
	CREATE TABLE pay_def PARTITION OF pay DEFAULT;
	CREATE TABLE kp (id int, d date, PRIMARY KEY (id, d)) PARTITION BY RANGE (d);
	CREATE TABLE kp_def PARTITION OF kp DEFAULT;
	CREATE TABLE parent (id int PRIMARY KEY);
	CREATE UNLOGGED TABLE child (id int REFERENCES parent);
	INSERT INTO parent VALUES (1), (2); INSERT INTO child VALUES (1);
	CREATE TABLE nothing_t (id int PRIMARY KEY, v text);
	ALTER TABLE nothing_t REPLICA IDENTITY NOTHING;
	INSERT INTO nothing_t VALUES (1, 'a')"

W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" "pitr:" "  enabled: false" \
	"replica:" "  dsn: \"$(pg_dsn src app_replica)\""
check_ok "setup" -c "$W/config.yaml" --headless setup
like "$OUT" 'partial +table pgbench_history: no primary key' "pgbench_history is captured in part: no primary key"
like "$OUT" 'partial +table nothing_t: REPLICA IDENTITY NOTHING' "a keyed table with identity NOTHING gives that reason, not 'no primary key'"
like "$OUT" 'partial +table pay_def: no primary key' "a default partition without a key is captured in part, not skipped"
like "$OUT" 'partial +table pay_max: no primary key' "so is a MAXVALUE partition"
like "$OUT" 'skipped +table child: unlogged' "an unlogged table is named as not captured"
like "$OUT" 'created +publication "pgtt" \(5 tables\): kp_def, parent, pgbench_accounts, pgbench_branches, pgbench_tellers' "the keyed tables and the keyed partition are published whole"
pubs() {
	sql src app "SELECT pubname || ':' || tablename FROM pg_publication_tables
		WHERE pubname LIKE 'pgtt%' ORDER BY 1" | paste -sd' '
}

bg "$PGTT" -c "$W/config.yaml" --headless listen
LISTENER=$BG_PID

# The pg_dump way: table, data, then the key.
sql src app "CREATE TABLE film (film_id int NOT NULL, title text);
	INSERT INTO film VALUES (1, 'Alien'), (2, 'Heat');
	ALTER TABLE ONLY film ADD CONSTRAINT film_pkey PRIMARY KEY (film_id);
	UPDATE film SET title = 'Aliens' WHERE film_id = 1"
sql src app "CREATE TABLE loose (a int); INSERT INTO loose VALUES (1)"
sql src app "ALTER TABLE loose REPLICA IDENTITY FULL; UPDATE loose SET a = 2"
# Partitions made or attached later, and rows in the key-less ones.
sql src app "CREATE TABLE kp_2027 (id int NOT NULL, d date NOT NULL);
	ALTER TABLE kp_2027 ADD PRIMARY KEY (id, d);
	ALTER TABLE kp DETACH PARTITION kp_def;
	ALTER TABLE kp ATTACH PARTITION kp_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
	ALTER TABLE kp ATTACH PARTITION kp_def DEFAULT;
	CREATE TABLE kp_2028 PARTITION OF kp FOR VALUES FROM ('2028-01-01') TO ('2029-01-01');
	INSERT INTO kp VALUES (1, '2027-05-01'), (2, '2028-05-01'), (3, '2031-01-01');
	CREATE TABLE pay_2030 PARTITION OF pay FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
	INSERT INTO pay VALUES (1, '2026-02-01', 5), (2, '2040-01-01', 6), (3, '2020-06-01', 7), (4, '1999-01-01', 8)"
# snap DB: the tables captured whole, and pgbench_history (insert-only).
snap() {
	for tbl in pgbench_accounts pgbench_branches pgbench_tellers pgbench_history film loose kp parent; do
		echo "== $tbl"
		psql -X -q "$(pg_dsn src "$1")" -c "COPY (SELECT * FROM $tbl) TO STDOUT" | LC_ALL=C sort
	done
}
sql src app "TRUNCATE parent, child; INSERT INTO parent VALUES (3)"
snap app >"$TEST_ROOT/snap.mid"
check_ok "checkpoint mid" -c "$W/config.yaml" --headless checkpoint create mid
sql src app "UPDATE pay SET amount = 0; DELETE FROM pay WHERE id = 4;
	UPDATE nothing_t SET v = 'b'; DELETE FROM nothing_t; INSERT INTO nothing_t VALUES (2, 'c')" >/dev/null 2>&1
ok $? "UPDATE and DELETE still work on the source on every key-less table and partition"
PATH="$PG_BINDIR:$PATH" pgbench -n -c 2 -T 3 "$(pg_dsn src app)" >"$TEST_ROOT/pgbench.out" 2>&1
ok $? "pgbench's own workload runs on the source while pgtt captures it" || diag "$(tail -5 "$TEST_ROOT/pgbench.out")"
snap app >"$TEST_ROOT/snap.after"
check_ok "checkpoint after" -c "$W/config.yaml" --headless checkpoint create after
wait_until 30 lsn_ge "$W/config.yaml" "$(sql src app "SELECT pg_current_wal_lsn()")"
kill -INT "$LISTENER"; wait "$LISTENER" 2>/dev/null

like "$(pubs)" 'pgtt:film ' "a table whose key came after its data is published whole"
like "$(pubs)" 'pgtt:loose ' "so is one given REPLICA IDENTITY FULL later"
like "$(pubs)" 'pgtt:kp_2027 pgtt:kp_2028 pgtt:kp_def' "keyed partitions attached or created later are published whole"
like "$(pubs)" 'pgtt_inserts:pay_2030' "a key-less partition created later is published in part"
log_count() {
	run_pgtt -c "$W/config.yaml" --json --headless log --table "$1" --op "$2"
	echo "$OUT" | grep -c .
}
is "$(log_count film insert)/$(log_count film update)" "2/1" "the rows loaded before the key and the update after it are journaled"
is "$(log_count loose insert)/$(log_count loose update)" "1/1" "the key-less table's insert before, and its update after REPLICA IDENTITY FULL"
is "$(log_count kp_2027 insert)/$(log_count kp_2028 insert)/$(log_count kp_def insert)" "1/1/1" \
	"rows in partitions attached or created later are journaled"
is "$(log_count pay_def insert)/$(log_count pay_max insert)/$(log_count pay_2030 insert)" "1/1/1" \
	"rows landing in key-less partitions, default and MAXVALUE included, are journaled"
is "$(log_count nothing_t insert)" 1 "an identity NOTHING table's insert is journaled"
HIST=$(sql src app "SELECT count(*) FROM pgbench_history")
is "$(log_count pgbench_history insert)" "$HIST" "every pgbench_history row pgbench wrote is journaled"

check_ok "status --json" -c "$W/config.yaml" --json --headless status
like "$OUT" '"partial":\[[^]]*\{"table":"public.nothing_t","reason":"REPLICA IDENTITY NOTHING: INSERT and TRUNCATE only"\}' \
	"status lists each table captured in part, with its reason"
like "$OUT" '\{"table":"public.pgbench_history","reason":"no primary key: INSERT and TRUNCATE only"\}' "pgbench_history among them"
check_ok "status" -c "$W/config.yaml" --headless status
like "$OUT" 'in part +public.nothing_t \(REPLICA IDENTITY NOTHING' "and says so in text"

# --- replay to two checkpoints and back ---
replay_to() {
	run_pgtt -c "$W/config.yaml" --json --headless replay --to "$1"
	is "$RC" 0 "replay --to $1"
	[ "$RC" = 0 ] || diag "$OUT" "$ERR"
	REPLAY=$OUT
	snap app_replica >"$TEST_ROOT/now"
	if cmp -s "$TEST_ROOT/snap.$1" "$TEST_ROOT/now"; then
		ok 0 "the replica equals the source at $1 (pgbench's tables, keys added late, partitions)"
	else
		ok 1 "the replica equals the source at $1 (pgbench's tables, keys added late, partitions)"
		diag "$(diff "$TEST_ROOT/snap.$1" "$TEST_ROOT/now" | head -10)"
	fi
}
replay_to mid
replay_to after
like "$(echo "$REPLAY" | json_get partial)" '"public.nothing_t: REPLICA IDENTITY NOTHING","public.pgbench_history: no primary key"' \
	"replay names the tables captured in part that its window touched"
replay_to mid
replay_to after
run_pgtt -c "$W/config.yaml" --json --headless diff mid after --stat
like "$(echo "$OUT" | json_get tables)" '"partial":"no primary key: INSERT and TRUNCATE only","schema":"public","table":"pgbench_history"' \
	"diff marks a table captured in part"
# --stat looks up fewer old values than the full diff: the counts must
# still be the ones the full diff lists.
counts() {
	perl -MJSON::PP -e '$d = JSON::PP->new->decode(join "", <STDIN>);
	for $t (@{$d->{tables}}) {
		print "$t->{table}:", join("/", map { ref $t->{$_} ?
		    scalar @{$t->{$_}} : $t->{$_} } qw(inserted deleted updated)), " ";
	}'
}
STAT=$(echo "$OUT" | counts)
run_pgtt -c "$W/config.yaml" --json --headless diff mid after
is "$STAT" "$(echo "$OUT" | counts)" "--stat counts what the full diff lists, table by table"
like "$STAT" 'pgbench_accounts:0/0/[1-9]' "pgbench's updates among them ($STAT)"

done_testing
