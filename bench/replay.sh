#!/usr/bin/env bash
# Replay throughput and backward replay.
#
# 1. Forward: the same backlog applied once by PostgreSQL's own logical
#    replication (CREATE SUBSCRIPTION on a slot made before the workload,
#    copy_data = false, synchronous_commit = off) and once by
#    `pgtt --headless replay` from the journal, onto two databases of one
#    replica cluster.  Prints both rates and the ratio pgtt/native.
# 2. Backward: 1,000 changes on a REPLICA IDENTITY FULL table after the
#    whole backlog, undone by `replay --to X` (backward) and by
#    `replay --to X --reset` (baseline + forward over the whole history).
#    Prints both times and the ratio.
#
#   bench/replay.sh [CHANGES]
#
# Default: 1,000,000 changes, 100,000 transactions of 10 changes each
# (8 inserts, 1 update, 1 delete).
set -u
. "$(dirname "$0")/lib.sh"

CHANGES=${1:-1000000}
TXNS=$((CHANGES / 10))
[ "$TXNS" -ge 2 ] || { echo "usage: $0 [CHANGES >= 20]" >&2; exit 2; }
CHANGES=$((TXNS * 10))
LAST_ID=$((TXNS * 8))		# inserted by the last transaction, never deleted
HIST_ROWS=10000

BENCH_DDL="CREATE TABLE bench (id bigint PRIMARY KEY, n int, t text, ts timestamptz)"
HIST_DDL="CREATE TABLE hist (id bigint PRIMARY KEY, n int, t text);
	ALTER TABLE hist REPLICA IDENTITY FULL"

# Source (with hist's rows in the baseline) and one replica cluster with
# the same settings for both appliers.
bench_source 5781 "$BENCH_DDL; $HIST_DDL;
	INSERT INTO hist SELECT g, 0, md5(g::text) FROM generate_series(1, $HIST_ROWS) g"
sql src app "SELECT pg_drop_replication_slot('recv')" >/dev/null
pg_start rep 5782
sql rep postgres "CREATE DATABASE native"
sql rep postgres "CREATE DATABASE replica"
sql rep postgres "CREATE DATABASE replica_txn"
sql rep native "$BENCH_DDL; $HIST_DDL"
write_config "$W/config.yaml" "$(pg_dsn src app)" \
	"replica:" "  dsn: \"$(pg_dsn rep replica)\""
P() { "$PGTT" -q -c "$W/config.yaml" --headless "$@"; }
PJ() { "$PGTT" -q -c "$W/config.yaml" --json --headless "$@"; }

# The native slot starts before the workload, like pgtt's.
sql src app "SELECT 1 FROM pg_create_logical_replication_slot('native', 'pgoutput')" >/dev/null
# The replica starts at creation (a reset to the empty baseline), so that
# `replay --to end` below is pure forward apply.  (Not a checkpoint made
# here: with no transaction since setup the journal does not reach it.)
P replay --to creation >/dev/null || exit 1
P replay --to creation --target "$(pg_dsn rep replica_txn)" >/dev/null || exit 1

echo "backlog: $TXNS transactions x 10 changes (8 inserts, 1 update, 1 delete) = $CHANGES changes"
T0=$(now_ms)
sql src app "DO \$\$ DECLARE p bigint; BEGIN FOR i IN 0..$((TXNS - 1)) LOOP
	INSERT INTO bench SELECT i * 8 + g, g, md5(g::text), now()
	FROM generate_series(1, 8) g;
	-- a row of the previous transaction (the first: of its own)
	p := CASE WHEN i = 0 THEN 2 ELSE (i - 1) * 8 END;
	UPDATE bench SET n = n + 1, ts = now() WHERE id = p + 1;
	DELETE FROM bench WHERE id = p + 2;
	COMMIT; END LOOP; END \$\$"
echo "workload: $(( $(now_ms) - T0 )) ms"
P checkpoint create end >/dev/null || exit 1
T0=$(now_ms)
P listen --until now >/dev/null 2>"$TEST_ROOT/listen.err" || { cat "$TEST_ROOT/listen.err"; exit 1; }
T1=$(now_ms)
PJ status >"$TEST_ROOT/status.json" || exit 1
echo "journal fill (listen --until now): $((T1 - T0)) ms, $(json_get journal.changes <"$TEST_ROOT/status.json") changes journaled, $(( $(json_get journal.size_bytes <"$TEST_ROOT/status.json") / 1048576 )) MB"

# state DB NAME: rows, sum of n, and a hash of bench, to compare with the source.
state() {
	sql "$1" "$2" "SELECT count(*) || ' ' || coalesce(sum(n), 0) || ' ' ||
		md5(coalesce(string_agg(id || ':' || n || ':' || t, ',' ORDER BY id), ''))
		FROM bench"
}
SRC_STATE=$(state src app)

# --- native: enabling the subscription until the last transaction's
# row (id LAST_ID, inserted by the backlog's last commit and never
# deleted) is visible on the subscriber.  Apply is in commit order, so
# that row means every earlier transaction is applied too.  A loop on
# the server polls an index lookup every 10 ms.
sql rep native "CREATE SUBSCRIPTION native CONNECTION '$(pg_dsn src app)'
	PUBLICATION pgtt WITH (enabled = false, copy_data = false,
	create_slot = false, slot_name = 'native', synchronous_commit = 'off')" || exit 1
sql rep postgres "CHECKPOINT"
T0=$(now_ms)
sql rep native "ALTER SUBSCRIPTION native ENABLE"
sql rep native "DO \$\$ DECLARE t0 timestamptz := clock_timestamp(); BEGIN
	WHILE NOT EXISTS (SELECT 1 FROM bench WHERE id = $LAST_ID) LOOP
		IF clock_timestamp() - t0 > interval '1 hour' THEN
			RAISE EXCEPTION 'native apply did not finish in an hour';
		END IF;
		PERFORM pg_sleep(0.01);
	END LOOP; END \$\$" || { tail -20 "$TEST_ROOT/rep/server.log"; exit 1; }
T1=$(now_ms)
NATIVE_MS=$((T1 - T0))
NATIVE_STATE=$(state rep native)
# Dropping the subscription drops its slot on the source too.
PGOPTIONS="-c client_min_messages=warning" sql rep native "DROP SUBSCRIPTION native"

# --- pgtt: `replay --to end` from creation, pure forward, a transaction
# at a time onto replica_txn, then as auto chooses (by net effect) onto
# replica.
sql rep postgres "CHECKPOINT"
T0=$(now_ms)
"$PGTT" -q -c "$W/config.yaml" --json --headless replay --to end --mode txn \
	--target "$(pg_dsn rep replica_txn)" >"$TEST_ROOT/txn.json" 2>"$TEST_ROOT/txn.err" ||
	{ cat "$TEST_ROOT/txn.json" "$TEST_ROOT/txn.err"; exit 1; }
TXN_MS=$(( $(now_ms) - T0 ))
TXN_STATE=$(state rep replica_txn)
sql rep postgres "CHECKPOINT"
T0=$(now_ms)
/usr/bin/time -f "%U %S %M" -o "$TEST_ROOT/pgtt.time" \
	${PGTT_WRAP:-} "$PGTT" -q -c "$W/config.yaml" --json --headless \
	replay --to end >"$TEST_ROOT/fwd.json" 2>"$TEST_ROOT/fwd.err" ||
	{ cat "$TEST_ROOT/fwd.json" "$TEST_ROOT/fwd.err"; exit 1; }
T1=$(now_ms)
PGTT_MS=$((T1 - T0))
PGTT_STATE=$(state rep replica)
read -r PU PS PRSS <"$TEST_ROOT/pgtt.time"
J() { json_get "$2" <"$TEST_ROOT/$1.json"; }

perl -e '
	my ($n, $nms, $pms, $dir, $pch, $ptx, $pel, $pu, $ps, $prss, $src, $nat, $pg,
	    $mode, $tms, $txs) = @ARGV;
	printf "native state matches source:   %s\n", $nat eq $src ? "yes" : "NO ($nat vs $src)";
	printf "pgtt state matches source:     %s\n", $pg eq $src ? "yes" : "NO ($pg vs $src)";
	printf "pgtt replay:                   %s, %d changes in %d transactions, elapsed_ms %d\n",
	    $dir, $pch, $ptx, $pel;
	printf "native (CREATE SUBSCRIPTION):  %8.0f changes/s  (%d ms)\n", $n / $nms * 1000, $nms;
	printf "pgtt replay --to end:          %8.0f changes/s  (%d ms, cpu %.2f s, %.2f us/change, rss %d MB)\n",
	    $n / $pms * 1000, $pms, $pu + $ps, ($pu + $ps) * 1e6 / $n, $prss / 1024;
	printf "ratio pgtt/native:             %.2f  (target >= 2.0)\n", $nms / $pms;
	printf "pgtt mode:                     %s\n", $mode;
	printf "pgtt --mode txn state matches: %s\n", $txs eq $src ? "yes" : "NO ($txs vs $src)";
	printf "pgtt replay --mode txn:        %8.0f changes/s  (%d ms), ratio to native %.2f\n",
	    $n / $tms * 1000, $tms, $nms / $tms;
' "$CHANGES" "$NATIVE_MS" "$PGTT_MS" "$(J fwd direction)" "$(J fwd changes)" \
	"$(J fwd transactions)" "$(J fwd elapsed_ms)" "$PU" "$PS" "$PRSS" \
	"$SRC_STATE" "$NATIVE_STATE" "$PGTT_STATE" "$(J fwd mode)" "$TXN_MS" "$TXN_STATE"

# --- backward: 1,000 changes on hist (100 transactions of 6 updates,
# 2 deletes, 2 inserts) between X and Y, after the whole backlog.
hist_state() { sql "$1" "$2" "SELECT count(*) || ' ' || sum(n) || ' ' ||
	md5(string_agg(id || ':' || n || ':' || t, ',' ORDER BY id)) FROM hist"; }
P checkpoint create X >/dev/null || exit 1
SRC_X=$(hist_state src app)
sql src app "DO \$\$ BEGIN FOR i IN 0..99 LOOP
	UPDATE hist SET n = n + 1, t = md5(t) WHERE id BETWEEN i * 10 + 1 AND i * 10 + 6;
	DELETE FROM hist WHERE id IN (i * 10 + 7, i * 10 + 8);
	INSERT INTO hist VALUES ($HIST_ROWS + i * 2 + 1, i, 'new'), ($HIST_ROWS + i * 2 + 2, i, 'new');
	COMMIT; END LOOP; END \$\$"
P checkpoint create Y >/dev/null || exit 1
P listen --until now >/dev/null 2>"$TEST_ROOT/listen.err" || { cat "$TEST_ROOT/listen.err"; exit 1; }
P replay --to Y >/dev/null || exit 1

# timed NAME ARGS...: replay ARGS, JSON to NAME.json; sets MS.
timed() {
	local name=$1 t0
	shift
	t0=$(now_ms)
	PJ replay "$@" >"$TEST_ROOT/$name.json" 2>"$TEST_ROOT/$name.err" ||
		{ cat "$TEST_ROOT/$name.json" "$TEST_ROOT/$name.err"; exit 1; }
	MS=$(( $(now_ms) - t0 ))
}
timed back --to X
BACK_MS=$MS
BACK_STATE=$(hist_state rep replica)
timed reset --to X --reset
RESET_MS=$MS
RESET_STATE=$(hist_state rep replica)

perl -e '
	my ($bms, $bdir, $bch, $bel, $rms, $rdir, $rch, $rel, $bst, $rst, $src) = @ARGV;
	printf "hist after backward = at X:    %s\n", $bst eq $src ? "yes" : "NO ($bst vs $src)";
	printf "hist after reset = at X:       %s\n", $rst eq $src ? "yes" : "NO ($rst vs $src)";
	printf "replay --to X (Y -> X):        %-8s %8d changes, %7d ms (elapsed_ms %d)\n",
	    $bdir, $bch, $bms, $bel;
	printf "replay --to X --reset:         %-8s %8d changes, %7d ms (elapsed_ms %d)\n",
	    $rdir, $rch, $rms, $rel;
	printf "ratio reset/backward:          %.1f  (target >= 100)\n", $rms / ($bms || 1);
' "$BACK_MS" "$(J back direction)" "$(J back changes)" "$(J back elapsed_ms)" \
	"$RESET_MS" "$(J reset direction)" "$(J reset changes)" "$(J reset elapsed_ms)" \
	"$BACK_STATE" "$RESET_STATE" "$SRC_X"
