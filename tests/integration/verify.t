#!/usr/bin/env bash
# verify: the replica brought to a checkpoint by logical replay and a
# scratch cluster brought there by PITR agree, table by table (rows and a
# hash of their text forms, computed on each server) and sequence by
# sequence.  Tried on pgbench's own schema and workload (pgbench_history
# has no key) with a schema of identity columns, a serial, a shared
# sequence, a generated column, a domain and an enum written at the same
# time.  A replica damaged by hand makes verify exit 1 naming the table.
# PITR restores carry sequences: the restored cluster's are checked too.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5721 "autovacuum = off"
pg_start rep 5722
sql src postgres "CREATE DATABASE app"
sql rep postgres "CREATE DATABASE app_replica"
pgbench -i -s 1 -q "$(pg_dsn src app)" >"$TEST_ROOT/pgbench-init.log" 2>&1 ||
	bail "pgbench -i failed: $(cat "$TEST_ROOT/pgbench-init.log")"
sql src app "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
	CREATE DOMAIN qty AS int CHECK (VALUE >= 0);
	CREATE SEQUENCE shared_seq;
	CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n qty, m mood,
		total numeric, doubled numeric GENERATED ALWAYS AS (total * 2) STORED);
	CREATE TABLE notes (id serial PRIMARY KEY, body text, at timestamptz DEFAULT now());
	CREATE TABLE tags (id bigint PRIMARY KEY DEFAULT nextval('shared_seq'), t text[])"

W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"replica:" "  dsn: \"$(pg_dsn rep app_replica)\"" \
	"pitr:" "  restore_data_dir: $TEST_ROOT/restored" "  restore_port: 5723"
C="-c $W/config.yaml"
check_ok "setup" $C --headless setup

st() { "$PGTT" $C --json --headless status | json_get "$1"; }
window_reaches() { lsn_ge "$(st window.latest)" "$1"; }
bg "$PGTT" $C --headless listen
LISTENER=$BG_PID

pgbench -n -c 4 -T 5 "$(pg_dsn src app)" >"$TEST_ROOT/pgbench.log" 2>&1 &
BENCH=$!
for i in $(seq 1 30); do
	sql src app "INSERT INTO orders (n, m, total) VALUES ($i, 'happy', $i.25);
		INSERT INTO notes (body) VALUES ('n$i');
		INSERT INTO tags (t) VALUES (ARRAY['a$i', 'b'])" >/dev/null
	sql src app "BEGIN; INSERT INTO notes (body) VALUES ('gone'); ROLLBACK" >/dev/null
done
wait "$BENCH"
ok $? "pgbench -c 4 -T 5 ran against the source while pgtt listened" || diag "$(cat "$TEST_ROOT/pgbench.log")"
check_ok "checkpoint A" $C --json --headless checkpoint create A
A=$(echo "$OUT" | json_get lsn)
# More history after A, so the replay and the restore must stop at A.
sql src app "UPDATE pgbench_accounts SET abalance = abalance + 7 WHERE aid <= 50;
	INSERT INTO orders (n, m, total) VALUES (99, 'sad', 1)"
wait_until 60 window_reaches "$A"
ok $? "the WAL archive reaches A"
kill -TERM "$LISTENER"; wait "$LISTENER"
check_ok "listen --until now" $C --headless listen --until now

run_pgtt $C --json --headless verify A
is "$RC" 0 "verify A exits 0" || diag "$OUT" "$ERR"
V=$OUT
is "$(echo "$V" | json_get equal)" true "the replica by replay equals the restore by PITR at A"
is "$(echo "$V" | json_get lsn)" "$A" "at A's LSN"
rows() { echo "$V" | perl -MJSON::PP -e 'my $d = decode_json(do { local $/; <STDIN> });
	print join(" ", map { "$_->{table}=" . ($_->{rows} // "?") . ($_->{equal} ? "" : "!") } @{$d->{tables}})'; }
like "$(rows)" "public.pgbench_accounts=100000 public.pgbench_branches=1 " "it compares pgbench's tables, rows counted on each side"
like "$(rows)" "public.notes=30 public.orders=30 " "and the identity, serial and generated-column tables"
like "$(rows)" "public.pgbench_history=[1-9][0-9]* " "pgbench_history, which has no key, is equal too"
unlike "$(rows)" '!' "no table differs"
seqs() { echo "$V" | perl -MJSON::PP -e 'my $d = decode_json(do { local $/; <STDIN> });
	print join(" ", map { "$_->{sequence}" . ($_->{equal} ? "" : "!") } @{$d->{sequences}})'; }
is "$(seqs)" "public.notes_id_seq public.orders_id_seq public.shared_seq" \
	"every sequence is compared, and agrees"
ok "$([ ! -e "$W/data/verify" ]; echo $?)" "the scratch cluster is stopped and removed"
like "$(sql src app "SELECT count(*) FROM orders")" '^31$' "the source is untouched"

# The restored cluster's sequences are the source's at A (PITR carries
# them), up to PostgreSQL's 32 values logged ahead.
check_ok "restore --to A" $C --json --headless restore --to A
RDSN=$(echo "$OUT" | json_get conninfo)
SRC_NOTES=$(sed -n 's/.*/&/p' <<<"$(echo "$V" | perl -MJSON::PP -e 'my $d = decode_json(do { local $/; <STDIN> });
	print map { $_->{replica_next} } grep { $_->{sequence} eq "public.notes_id_seq" } @{$d->{sequences}}')")
R_NOTES=$(psql -X -A -t "$RDSN" -c "SELECT nextval('notes_id_seq')")
ok "$([ "$R_NOTES" -ge "$SRC_NOTES" ] && [ "$R_NOTES" -le $((SRC_NOTES + 32)) ]; echo $?)" \
	"a restored serial hands out $R_NOTES, at or just past the $SRC_NOTES the source would have at A"
psql -X -q -v ON_ERROR_STOP=1 "$RDSN" -c "INSERT INTO notes (body) VALUES ('after restore');
	INSERT INTO orders (n, m, total) VALUES (1, 'ok', 1); INSERT INTO tags (t) VALUES ('{x}')" >/dev/null 2>&1
ok $? "and the application's next INSERT works on the restored cluster"
check_ok "stop the restore" $C --headless restore --stop "$TEST_ROOT/restored"

# A replica damaged by hand: one balance changed.
sql rep app_replica "UPDATE pgbench_branches SET bbalance = bbalance + 1 WHERE bid = 1"
run_pgtt $C --headless verify A
is "$RC" 1 "verify on a damaged replica exits 1"
like "$OUT" 'DIFFERS +public.pgbench_branches: the same number of rows, 1, but their values differ' "and says which table differs, and how"
like "$ERR" 'first differing table: public.pgbench_branches' "the error names the first differing table"
run_pgtt $C --json --headless verify A --table pgbench_accounts
is "$RC" 0 "verify --table compares only that table"
is "$(echo "$OUT" | json_get tables.0.table)/$(echo "$OUT" | json_get tables.1)" "public.pgbench_accounts/null" "and lists only it"
sql rep app_replica "DELETE FROM notes WHERE id = 3"
run_pgtt $C --json --headless verify A --table notes
is "$RC" 1 "a missing row is found"
is "$(echo "$OUT" | json_get tables.0.why)" "29 rows on the replica, 30 restored" "with both counts"

# With source.tables, only the captured tables are compared: the others
# are in the restore and not on the replica, and that is no difference.
sql rep postgres "CREATE DATABASE scoped_replica"
mkdir -p "$TEST_ROOT/w2"
cat >"$TEST_ROOT/w2/config.yaml" <<EOF
source:
  dsn: "$(pg_dsn src app)"
  slot: scoped
  publication: scoped
  tables: [pgbench_accounts, orders]
storage:
  path: $TEST_ROOT/w2/data
replica:
  dsn: "$(pg_dsn rep scoped_replica)"
pitr:
  restore_port: 5724
EOF
C2="-c $TEST_ROOT/w2/config.yaml"
check_ok "setup of a second history, of two tables" $C2 --headless setup
sql src app "UPDATE orders SET total = total + 1 WHERE id <= 3; UPDATE pgbench_tellers SET tbalance = 5"
check_ok "checkpoint S" $C2 --json --headless checkpoint create S
S=$(echo "$OUT" | json_get lsn)
bg "$PGTT" $C2 --headless listen
LISTENER=$BG_PID
wait_until 60 sh -c "\"$PGTT\" $C2 --json --headless status | perl -MJSON::PP -e '
	sub v { my (\$h, \$l) = split m{/}, shift; hex(\$h) * 2**32 + hex \$l }
	my \$d = decode_json(<STDIN>); exit(v(\$d->{window}{latest} // \"0/0\") >= v(\"$S\") ? 0 : 1)'"
ok $? "its archive reaches S"
kill -TERM "$LISTENER"; wait "$LISTENER"
check_ok "listen --until now" $C2 --headless listen --until now
run_pgtt $C2 --json --headless verify S
is "$RC" 0 "verify on the scoped history exits 0" || diag "$OUT" "$ERR"
is "$(echo "$OUT" | json_get equal)" true "and finds the replica equal to the restore"
V=$OUT
is "$(rows)" "public.orders=31 public.pgbench_accounts=100000" "comparing only the two captured tables"

check_fail "verify with no point" 2 $C --headless verify
check_fail "verify with a point that is no point" 2 $C --headless verify no-such-checkpoint
like "$ERR" 'no checkpoint or point "no-such-checkpoint"' "says which"
check_fail "verify before the oldest base backup" 1 $C --headless verify creation
like "$ERR" 'before the oldest base backup' "says why it cannot restore there"

done_testing
