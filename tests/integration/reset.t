#!/usr/bin/env bash
# A reset leaves the replica database holding the baseline and nothing
# else, whatever kinds of object it held: partitioned and foreign tables,
# materialized views, functions, procedures, aggregates, operators,
# types, domains, text search objects, statistics, event triggers,
# extensions, publications, large objects.  The first backward replay
# over a window with DDL, on a replica holding a partitioned table,
# resets and replays exactly.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5701
pg_start rep 5702
sql src postgres "CREATE DATABASE app"
sql rep postgres "CREATE DATABASE app_replica"

# Every kind of object, on the source (so in the baseline) ...
KINDS="CREATE TABLE pay (id int, paid date, amount numeric, PRIMARY KEY (id, paid)) PARTITION BY RANGE (paid);
	CREATE TABLE pay_2026 PARTITION OF pay FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
	CREATE TABLE pay_def PARTITION OF pay DEFAULT;
	CREATE TYPE mood AS ENUM ('a', 'b');
	CREATE DOMAIN posint AS int CHECK (VALUE > 0);
	CREATE TYPE pair AS (x int, y int);
	CREATE FUNCTION add1(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT \$1 + 1';
	CREATE PROCEDURE noop() LANGUAGE sql AS 'SELECT 1';
	CREATE AGGREGATE sum1 (int) (sfunc = int4pl, stype = int);
	CREATE OPERATOR ### (leftarg = int, rightarg = int, function = int4pl);
	CREATE OPERATOR FAMILY fam USING btree;
	CREATE TEXT SEARCH CONFIGURATION tsc (COPY = english);
	CREATE MATERIALIZED VIEW mv AS SELECT 1 AS one;
	CREATE VIEW v AS SELECT * FROM pay;
	CREATE STATISTICS st ON id, paid FROM pay_2026;
	CREATE FOREIGN DATA WRAPPER dummy;
	CREATE SERVER srv FOREIGN DATA WRAPPER dummy;
	CREATE FOREIGN TABLE ft (a int) SERVER srv;
	CREATE EXTENSION pg_trgm;
	CREATE SEQUENCE loose_seq;
	CREATE TABLE t (id int PRIMARY KEY, v text)"
sql src app "$KINDS"
sql src app "INSERT INTO pay VALUES (1, '2026-02-01', 5), (2, '2030-01-01', 6);
	INSERT INTO t VALUES (1, 'one')"
# ... and on the replica, with more that the baseline does not hold.
sql rep app_replica "$KINDS"
sql rep app_replica "CREATE FUNCTION stale_et() RETURNS event_trigger LANGUAGE plpgsql AS \$\$ BEGIN END \$\$;
	CREATE EVENT TRIGGER stale_et ON ddl_command_end EXECUTE FUNCTION stale_et();
	CREATE PUBLICATION stale_pub FOR TABLE t;
	SELECT lo_create(4242);
	CREATE TABLE stale (x int)" >/dev/null

W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"replica:" "  dsn: \"$(pg_dsn rep app_replica)\"" "pitr:" "  enabled: false"
check_ok "setup" -c "$W/config.yaml" --headless setup
P() { run_pgtt -c "$W/config.yaml" "$@"; }

# schema CLUSTER DB: what pg_dump prints of it, pgtt's own left out.
schema() {
	pg_dump -s --no-owner --no-privileges -N pgtt "$(pg_dsn "$1" "$2")" |
	    grep -v -e '^--' -e '^\\' -e '^$' -e 'pgtt' -e 'EVENT TRIGGER'
}
snap() {
	for tbl in pay t; do
		echo "== $tbl"
		psql -X -q "$(pg_dsn "$1" "$2")" -c "COPY (SELECT * FROM $tbl) TO STDOUT" | LC_ALL=C sort
	done
}
mark() {
	snap src app >"$TEST_ROOT/snap.$1"
	schema src app >"$TEST_ROOT/schema.$1"
	check_ok "checkpoint $1" -c "$W/config.yaml" --headless checkpoint create "$1"
}
same() {
	if cmp -s "$1" "$2"; then ok 0 "$3"; else ok 1 "$3"; diag "$(diff "$1" "$2" | head -20)"; fi
}

mark A
sql src app "INSERT INTO pay VALUES (3, '2026-03-01', 7); UPDATE t SET v = 'uno'"
sql src app "ALTER TABLE t ADD COLUMN w int DEFAULT 1; CREATE TABLE pay_2027 PARTITION OF pay FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
	INSERT INTO pay VALUES (4, '2027-05-01', 8)"
mark B
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now

P --json --headless replay --to A
is "$RC" 0 "the first replay resets a replica holding every kind of object"
[ "$RC" = 0 ] || diag "$OUT" "$ERR"
like "$(echo "$OUT" | json_get dropped)" 'public.stale \(table\)' "and names what it dropped that the baseline lacks"
is "$(sql rep app_replica "SELECT (SELECT count(*) FROM pg_event_trigger) || '/' || (SELECT count(*) FROM pg_publication) || '/' || (SELECT count(*) FROM pg_largeobject_metadata)")" \
	"0/0/0" "event triggers, publications and large objects are gone"
schema rep app_replica >"$TEST_ROOT/schema.rep"
same "$TEST_ROOT/schema.A" "$TEST_ROOT/schema.rep" "after the reset the replica's schema is the source's at A"
snap rep app_replica >"$TEST_ROOT/now"
same "$TEST_ROOT/snap.A" "$TEST_ROOT/now" "and its rows are the source's at A"

P --json --headless replay --to B
is "$RC" 0 "forward to B across DDL and a new partition"
snap rep app_replica >"$TEST_ROOT/now"
same "$TEST_ROOT/snap.B" "$TEST_ROOT/now" "the replica equals the source at B"
schema rep app_replica >"$TEST_ROOT/schema.rep"
same "$TEST_ROOT/schema.B" "$TEST_ROOT/schema.rep" "and its schema too, the new partition included"

P --json --headless replay --to A
is "$RC" 0 "back to A over DDL, with a partitioned table on the replica: a reset"
[ "$RC" = 0 ] || diag "$OUT" "$ERR"
is "$(echo "$OUT" | json_get direction)" reset "it was a reset"
snap rep app_replica >"$TEST_ROOT/now"
same "$TEST_ROOT/snap.A" "$TEST_ROOT/now" "the replica equals the source at A again"
P --json --headless replay --to B
is "$RC" 0 "and forward to B again"
snap rep app_replica >"$TEST_ROOT/now"
same "$TEST_ROOT/snap.B" "$TEST_ROOT/now" "the replica equals the source at B again"

done_testing
