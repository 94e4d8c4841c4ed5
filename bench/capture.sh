#!/usr/bin/env bash
# Capture throughput: the same backlog drained once by pg_recvlogical
# (pgoutput, to a file) and once by `pgtt --headless listen` (into the
# journal, with durable LMDB commits), in one run on one server.  Prints
# both rates, the ratio, and pgtt's CPU time per change and peak RSS.
#
#   bench/capture.sh [TRANSACTIONS [ROWS_PER_TRANSACTION]]
#
# Default: 100000 transactions of 10 rows = 1,000,000 changes.
set -u
. "$(dirname "$0")/lib.sh"

TXNS=${1:-100000}
ROWS=${2:-10}
CHANGES=$((TXNS * ROWS))

bench_source 5701 "CREATE TABLE bench (id bigint PRIMARY KEY, n int, t text, ts timestamptz)"

echo "backlog: $TXNS transactions x $ROWS rows = $CHANGES changes"
sql src app "DO \$\$ BEGIN FOR i IN 0..$((TXNS - 1)) LOOP
	INSERT INTO bench SELECT i * $ROWS + g, g, md5(g::text), now()
	FROM generate_series(1, $ROWS) g; COMMIT; END LOOP; END \$\$"
END_LSN=$(sql src app "SELECT pg_current_wal_lsn()")
echo "backlog ends at $END_LSN"

# pg_recvlogical: stops by itself at END_LSN.
T0=$(now_ms)
/usr/bin/time -f "%U %S %M" -o "$TEST_ROOT/recv.time" \
	"$PG_BINDIR/pg_recvlogical" -d "$(pg_dsn src app)" --slot recv --start \
	--endpos "$END_LSN" -o proto_version=1 -o publication_names=pgtt \
	-f "$TEST_ROOT/recv.out" --no-loop 2>"$TEST_ROOT/recv.err"
T1=$(now_ms)
RECV_MS=$((T1 - T0))

# pgtt: stops by itself once END_LSN is durable and confirmed.
T0=$(now_ms)
# PGTT_WRAP="strace -c -f -o FILE" and the like profile the listener.
/usr/bin/time -f "%U %S %M" -o "$TEST_ROOT/pgtt.time" \
	${PGTT_WRAP:-} "$PGTT" -c "$W/config.yaml" --headless listen \
	--until "$END_LSN" >/dev/null 2>"$TEST_ROOT/pgtt.err"
T1=$(now_ms)
PGTT_MS=$((T1 - T0))

JOURNALED=$("$PGTT" -c "$W/config.yaml" --json --headless status | json_get journal.changes)
read -r RU RS RRSS <"$TEST_ROOT/recv.time"
read -r PU PS PRSS <"$TEST_ROOT/pgtt.time"
perl -e '
	my ($n, $rms, $pms, $ru, $rs, $pu, $ps, $rrss, $prss, $got) = @ARGV;
	printf "journaled changes:      %d of %d\n", $got, $n;
	printf "pg_recvlogical:         %8.0f changes/s  (%d ms, cpu %.2f s, %.2f us/change, rss %d MB)\n",
	    $n / $rms * 1000, $rms, $ru + $rs, ($ru + $rs) * 1e6 / $n, $rrss / 1024;
	printf "pgtt listen:            %8.0f changes/s  (%d ms, cpu %.2f s, %.2f us/change, rss %d MB)\n",
	    $n / $pms * 1000, $pms, $pu + $ps, ($pu + $ps) * 1e6 / $n, $prss / 1024;
	printf "ratio pgtt/recvlogical: %.2f  (target >= 1.0, cpu <= 1.5 us/change)\n", $rms / $pms;
' "$CHANGES" "$RECV_MS" "$PGTT_MS" "$RU" "$RS" "$PU" "$PS" "$RRSS" "$PRSS" "$JOURNALED"
