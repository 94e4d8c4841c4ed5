#!/usr/bin/env bash
# Several databases of one cluster: the same backlog in two databases,
# drained once by two pg_recvlogical processes side by side (what a user
# would otherwise run, one per database) and once by one
# `pgtt --headless listen --until now`: a listener thread and a journal
# per database, so the two commit without waiting for each other (LMDB
# has one writer per environment).
#
#   bench/databases.sh [TRANSACTIONS_PER_DATABASE [ROWS_PER_TRANSACTION]]
#
# Default: 30000 transactions of 10 rows, 300,000 changes per database.
set -u
. "$(dirname "$0")/lib.sh"

TXNS=${1:-30000}
ROWS=${2:-10}
CHANGES=$((TXNS * ROWS))
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

bench_server 5705
W=$TEST_ROOT/w
mkdir -p "$W"
cat >"$W/config.yaml" <<EOF
source:
  dsn: "$(pg_dsn src postgres)"
  databases: [app, billing]
storage:
  path: $W/data
pitr:
  enabled: false
EOF
C="-c $W/config.yaml"
for db in app billing; do
	sql src postgres "CREATE DATABASE $db"
	sql src "$db" "CREATE TABLE bench (id bigint PRIMARY KEY, n int, t text, ts timestamptz)"
done
"$PGTT" -q $C --headless setup || exit 1
for db in app billing; do
	sql src "$db" "SELECT 1 FROM pg_create_logical_replication_slot('recv_$db', 'pgoutput')" >/dev/null
done
echo "backlog: $TXNS transactions x $ROWS rows = $CHANGES changes in each of app and billing"
for db in app billing; do
	sql src "$db" "DO \$\$ BEGIN FOR i IN 0..$((TXNS - 1)) LOOP
		INSERT INTO bench SELECT i * $ROWS + g, g, md5(g::text), now()
		FROM generate_series(1, $ROWS) g; COMMIT; END LOOP; END \$\$" &
done
wait
END_LSN=$(sql src postgres "SELECT pg_current_wal_lsn()")

T0=$(now_ms)
for db in app billing; do
	"$PG_BINDIR/pg_recvlogical" -d "$(pg_dsn src "$db")" \
	    --slot "recv_$db" --start --endpos "$END_LSN" -o proto_version=1 \
	    -o publication_names=pgtt -f "$TEST_ROOT/recv_$db.out" --no-loop \
	    2>"$TEST_ROOT/recv_$db.err" &
done
wait
RECV_MS=$(( $(now_ms) - T0 ))

T0=$(now_ms)
/usr/bin/time -f "%U %S %M" -o "$TEST_ROOT/pgtt.time" \
    "$PGTT" $C --headless listen --until now >/dev/null 2>"$TEST_ROOT/pgtt.err" || {
	cat "$TEST_ROOT/pgtt.err"; exit 1; }
PGTT_MS=$(( $(now_ms) - T0 ))
read -r PU PS PRSS <"$TEST_ROOT/pgtt.time"
JOURNALED=""
for db in app billing; do
	JOURNALED="$JOURNALED $db=$("$PGTT" $C -d "$db" --json --headless status | json_get journal.changes)"
done

perl -e '
	my ($n, $rms, $pms, $pu, $ps, $prss, $got) = @ARGV;
	printf "journaled:%s (of %d each)\n", $got, $n;
	printf "2 x pg_recvlogical:      %8.0f changes/s  (%d ms for both)\n",
	    2 * $n / $rms * 1000, $rms;
	printf "pgtt listen, 2 databases: %7.0f changes/s  (%d ms, cpu %.2f s, %.2f us/change, rss %d MB)\n",
	    2 * $n / $pms * 1000, $pms, $pu + $ps, ($pu + $ps) * 1e6 / (2 * $n), $prss / 1024;
	printf "ratio pgtt/recvlogical: %.2f\n", $rms / $pms;
' "$CHANGES" "$RECV_MS" "$PGTT_MS" "$PU" "$PS" "$PRSS" "$JOURNALED"
