#!/usr/bin/env bash
# The common case of a table a lesser role owns: an application role
# owns its tables, on a replica in a cluster of its own.  Replay writes
# their rows as that owner (inside a function of the owner's, dropped
# afterwards) and still moves its own position as the replay role; the
# replica equals the source forward and back.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5741
pg_start rep 5742
sql src postgres "CREATE DATABASE app"
sql rep postgres "CREATE DATABASE app_replica"
sql src postgres "CREATE ROLE app_owner LOGIN"
sql rep postgres "CREATE ROLE app_owner LOGIN"
sql src app "GRANT CREATE ON SCHEMA public TO app_owner;
	CREATE TYPE status AS ENUM ('new', 'paid');
	CREATE TABLE orders (id int PRIMARY KEY, st status, total numeric, note text);
	ALTER TABLE orders OWNER TO app_owner;
	CREATE TABLE wide (id int PRIMARY KEY, $(for i in $(seq 1 110); do printf 'c%d %s, ' "$i" "$([ $((i % 2)) = 0 ] && echo status || echo numeric)"; done | sed 's/, $//'));
	ALTER TABLE wide OWNER TO app_owner;
	ALTER TYPE status OWNER TO app_owner"
W=$TEST_ROOT/w
mkdir -p "$W"
cat >"$W/config.yaml" <<EOF
source:
  dsn: "$(pg_dsn src app)"
  full_row_images: true
storage:
  path: $W/data
replica:
  dsn: "$(pg_dsn rep app_replica)"
pitr:
  enabled: false
EOF
check_ok "setup" -c "$W/config.yaml" --headless setup
P() { run_pgtt -c "$W/config.yaml" "$@"; }
# A row wider than a function's 100 arguments: 111 columns, and an update
# under REPLICA IDENTITY FULL names each twice.
snap() {
	psql -X -q "$(pg_dsn "$1" "$2")" -c "COPY (SELECT * FROM orders ORDER BY id) TO STDOUT" \
	    -c "COPY (SELECT * FROM wide ORDER BY id) TO STDOUT"
}
app() { psql -X -q -v ON_ERROR_STOP=1 "host=$TEST_ROOT/src port=5741 user=app_owner dbname=app" -c "$1" >/dev/null; }

app "INSERT INTO orders SELECT g, 'new', g * 1.5, 'o' || g FROM generate_series(1, 5000) g"
app "INSERT INTO wide (id, c1, c2, c109, c110) SELECT g, g, 'new', g * 2, 'paid' FROM generate_series(1, 20) g"
SNAP_A=$(snap src app)
check_ok "checkpoint A" -c "$W/config.yaml" --headless checkpoint create A
app "UPDATE orders SET st = 'paid', total = total + 1 WHERE id % 3 = 0; DELETE FROM orders WHERE id % 7 = 0"
app "UPDATE wide SET c1 = c1 + 100, c2 = 'paid' WHERE id % 2 = 0; DELETE FROM wide WHERE id = 5"
SNAP_B=$(snap src app)
check_ok "checkpoint B" -c "$W/config.yaml" --headless checkpoint create B
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now

P --json --headless replay --to A
is "$RC" 0 "replay to A: rows of the application role's table, last in the transaction" || diag "$OUT" "$ERR"
is "$(snap rep app_replica)" "$SNAP_A" "the replica equals the source at A"
P --json --headless replay --to B
is "$RC" 0 "forward to B: updates of an enum column and deletes, as the owner" || diag "$OUT" "$ERR"
is "$(snap rep app_replica)" "$SNAP_B" "the replica equals the source at B"
P --json --headless replay --to A
is "$RC" 0 "back to A with the inverse changes" || diag "$OUT" "$ERR"
is "$(echo "$OUT" | json_get direction)" backward "backward, without a reset"
is "$(snap rep app_replica)" "$SNAP_A" "the replica equals the source at A again"
is "$(sql rep app_replica "SELECT count(*) FROM pg_proc WHERE pronamespace = 'pgtt'::regnamespace AND proname LIKE 'row\_%'")" 0 \
	"the functions the rows were written through are gone"
is "$(sql rep app_replica "SELECT tableowner FROM pg_tables WHERE tablename = 'orders'")" app_owner \
	"the table is still the application role's"

# Schema pgtt is replay's alone: a role granted a privilege on it could
# alter the functions it owns there between their creation and their call.
sql rep app_replica "GRANT USAGE ON SCHEMA pgtt TO app_owner"
P --json --headless replay --to B
is "$RC" 1 "replay refuses a replica whose schema pgtt grants a role a privilege"
like "$ERR" 'schema pgtt on the replica grants privileges to role \\"app_owner\\"' "and names the role"
sql rep app_replica "REVOKE USAGE ON SCHEMA pgtt FROM app_owner"
P --json --headless replay --to B
is "$RC" 0 "once revoked, replay goes on" || diag "$OUT" "$ERR"
is "$(snap rep app_replica)" "$SNAP_B" "to B"

# The application role's partitioned table, with a default partition
# that has no key (captured in part: INSERT and TRUNCATE), made after
# setup, written, one partition truncated.
app "CREATE TABLE events (id int, at date, what text) PARTITION BY RANGE (at);
	CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
	CREATE TABLE events_rest PARTITION OF events DEFAULT;
	INSERT INTO events SELECT g, date '2026-01-01' + g, 'e' || g FROM generate_series(1, 600) g;
	TRUNCATE events_rest; INSERT INTO events VALUES (9999, '2031-01-01', 'late')"
events() { psql -X -q "$(pg_dsn "$1" "$2")" -c "COPY (SELECT tableoid::regclass, * FROM events ORDER BY id) TO STDOUT"; }
SNAP_C=$(events src app)
check_ok "checkpoint C" -c "$W/config.yaml" --headless checkpoint create C
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
P --json --headless replay --to C
is "$RC" 0 "forward to C: the role's partitions, one without a key, and a TRUNCATE of it" || diag "$OUT" "$ERR"
is "$(events rep app_replica)" "$SNAP_C" "every row is in its partition, as on the source"

# pgbench's schema and workload, as the application role.
APPDSN="host=$TEST_ROOT/src port=5741 user=app_owner dbname=app"
pgbench -i -s 1 -q "$APPDSN" >"$TEST_ROOT/pgbench.log" 2>&1 &&
	pgbench -n -c 2 -T 3 "$APPDSN" >>"$TEST_ROOT/pgbench.log" 2>&1
ok $? "pgbench -i and -c 2 -T 3 as the application role" || diag "$(cat "$TEST_ROOT/pgbench.log")"
bench() { psql -X -A -t "$(pg_dsn "$1" "$2")" -c "SELECT (SELECT sum(abalance) FROM pgbench_accounts) || '/' ||
	(SELECT sum(bbalance) FROM pgbench_branches) || '/' || (SELECT count(*) FROM pgbench_history)"; }
SNAP_D=$(bench src app)
check_ok "checkpoint D" -c "$W/config.yaml" --headless checkpoint create D
check_ok "listen --until now" -c "$W/config.yaml" --headless listen --until now
P --json --headless replay --to D
is "$RC" 0 "forward to D through pgbench's tables, each row through the owner's function" || diag "$OUT" "$ERR"
is "$(bench rep app_replica)" "$SNAP_D" "balances and history equal the source's"

done_testing
