#!/usr/bin/env bash
# Memory while capturing one very large transaction: peak RSS of
# `pgtt --headless listen` and of pg_recvlogical draining the same
# single transaction of ROWS rows, in one run on one server.
#
#   bench/bigtxn.sh [ROWS]        (default 2,000,000; target: pgtt < 100 MB)
set -u
. "$(dirname "$0")/lib.sh"

ROWS=${1:-2000000}

bench_source 5703 "CREATE TABLE big (id bigint PRIMARY KEY, n int, t text)"

echo "one transaction of $ROWS rows"
sql src app "INSERT INTO big SELECT g, g % 1000, md5(g::text) FROM generate_series(1, $ROWS) g"
END_LSN=$(sql src app "SELECT pg_current_wal_lsn()")

T0=$(now_ms)
/usr/bin/time -f "%M" -o "$TEST_ROOT/recv.time" \
	"$PG_BINDIR/pg_recvlogical" -d "$(pg_dsn src app)" --slot recv --start \
	--endpos "$END_LSN" -o proto_version=1 -o publication_names=pgtt \
	-f "$TEST_ROOT/recv.out" --no-loop
T1=$(now_ms)
RECV_MS=$((T1 - T0))
/usr/bin/time -f "%M" -o "$TEST_ROOT/pgtt.time" \
	"$PGTT" -c "$W/config.yaml" --headless listen --until "$END_LSN" >/dev/null
T2=$(now_ms)
PGTT_MS=$((T2 - T1))

JOURNALED=$("$PGTT" -c "$W/config.yaml" --json --headless status | json_get journal.changes)
echo "journaled changes: $JOURNALED of $ROWS"
echo "pg_recvlogical: peak RSS $(( $(cat "$TEST_ROOT/recv.time") / 1024 )) MB, $RECV_MS ms"
echo "pgtt listen:    peak RSS $(( $(cat "$TEST_ROOT/pgtt.time") / 1024 )) MB, $PGTT_MS ms  (target < 100 MB)"
