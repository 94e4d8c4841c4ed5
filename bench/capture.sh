#!/usr/bin/env bash
# Capture throughput: the same backlog drained once by pg_recvlogical
# (pgoutput, to a file) before and after `pgtt --headless listen` drains
# it (into the journal, with durable LMDB commits), in one run on one
# server.  Prints the rates, the ratio, and CPU time per change and peak
# RSS.
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
sql src app "SELECT 1 FROM pg_create_logical_replication_slot('recv2', 'pgoutput')" >/dev/null
sql src app "DO \$\$ BEGIN FOR i IN 0..$((TXNS - 1)) LOOP
	INSERT INTO bench SELECT i * $ROWS + g, g, md5(g::text), now()
	FROM generate_series(1, $ROWS) g; COMMIT; END LOOP; END \$\$"
END_LSN=$(sql src app "SELECT pg_current_wal_lsn()")
echo "backlog ends at $END_LSN"

# pg_recvlogical: stops by itself at END_LSN.  It runs before pgtt and
# again after it, on a second slot: on a shared machine the speed drifts
# within a minute, and a ratio to one run would measure the drift.
run_recvlogical() {
	local slot=$1 t0 t1
	t0=$(now_ms)
	/usr/bin/time -f "%U %S %M" -o "$TEST_ROOT/$slot.time" \
		"$PG_BINDIR/pg_recvlogical" -d "$(pg_dsn src app)" --slot "$slot" \
		--start --endpos "$END_LSN" -o proto_version=1 \
		-o publication_names=pgtt -f "$TEST_ROOT/$slot.out" --no-loop \
		2>"$TEST_ROOT/$slot.err"
	t1=$(now_ms)
	echo $((t1 - t0)) >"$TEST_ROOT/$slot.ms"
}
run_recvlogical recv

# pgtt: stops by itself once END_LSN is durable and confirmed.
T0=$(now_ms)
# PGTT_WRAP="strace -c -f -o FILE" and the like profile the listener.
/usr/bin/time -f "%U %S %M" -o "$TEST_ROOT/pgtt.time" \
	${PGTT_WRAP:-} "$PGTT" -c "$W/config.yaml" --headless listen \
	--until "$END_LSN" >/dev/null 2>"$TEST_ROOT/pgtt.err"
T1=$(now_ms)
PGTT_MS=$((T1 - T0))
run_recvlogical recv2

JOURNALED=$("$PGTT" -c "$W/config.yaml" --json --headless status | json_get journal.changes)
read -r RU RS RRSS <"$TEST_ROOT/recv.time"
read -r R2U R2S R2RSS <"$TEST_ROOT/recv2.time"
read -r PU PS PRSS <"$TEST_ROOT/pgtt.time"
perl -e '
	my ($n, $rms, $r2ms, $pms, $ru, $rs, $r2u, $r2s, $pu, $ps, $rrss,
	    $prss, $got) = @ARGV;
	my $recv = sub {
		my ($what, $ms, $cpu) = @_;
		printf "%-23s %8.0f changes/s  (%d ms, cpu %.2f s, %.2f us/change, rss %d MB)\n",
		    $what, $n / $ms * 1000, $ms, $cpu, $cpu * 1e6 / $n, $rrss / 1024;
	};
	printf "journaled changes:      %d of %d\n", $got, $n;
	$recv->("pg_recvlogical before:", $rms, $ru + $rs);
	printf "pgtt listen:            %8.0f changes/s  (%d ms, cpu %.2f s, %.2f us/change, rss %d MB)\n",
	    $n / $pms * 1000, $pms, $pu + $ps, ($pu + $ps) * 1e6 / $n, $prss / 1024;
	$recv->("pg_recvlogical after:", $r2ms, $r2u + $r2s);
	printf "ratio pgtt/recvlogical: %.2f to the mean of both runs (%.2f before, %.2f after)  (target >= 1.0, cpu <= 1.5 us/change)\n",
	    ($rms + $r2ms) / 2 / $pms, $rms / $pms, $r2ms / $pms;
' "$CHANGES" "$(cat "$TEST_ROOT/recv.ms")" "$(cat "$TEST_ROOT/recv2.ms")" \
    "$PGTT_MS" "$RU" "$RS" "$R2U" "$R2S" "$PU" "$PS" "$RRSS" "$PRSS" \
    "$JOURNALED"
