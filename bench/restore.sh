#!/usr/bin/env bash
# Restore time: `pgtt --headless restore` against PostgreSQL's own
# recovery of the same base backup and WAL, started by hand (copy the
# backup, write the recovery settings, pg_ctl start, wait for promotion),
# in one run on one backlog.  Prints both times and the ratio.
#
#   bench/restore.sh [TRANSACTIONS [ROWS_PER_TRANSACTION]]
#
# Default: 100000 transactions of 10 rows = 1,000,000 changes to replay.
set -u
. "$(dirname "$0")/lib.sh"

TXNS=${1:-100000}
ROWS=${2:-10}
CHANGES=$((TXNS * ROWS))

bench_source 5771 "CREATE TABLE bench (id bigint PRIMARY KEY, n int, t text, ts timestamptz)"
sql src app "SELECT pg_drop_replication_slot('recv')" >/dev/null
printf 'pitr:\n  restore_data_dir: %s/pgtt-restore\n  restore_port: 5772\n' "$TEST_ROOT" >>"$W/config.yaml"
C="-c $W/config.yaml"
bg "$PGTT" -q $C --headless listen
LISTENER=$BG_PID

echo "backlog: $TXNS transactions x $ROWS rows = $CHANGES changes after the base backup"
sql src app "DO \$\$ BEGIN FOR i IN 0..$((TXNS - 1)) LOOP
	INSERT INTO bench SELECT i * $ROWS + g, g, md5(g::text), now()
	FROM generate_series(1, $ROWS) g; COMMIT; END LOOP; END \$\$"
"$PGTT" -q $C --headless checkpoint create end
TARGET=$("$PGTT" $C --json --headless checkpoint list | perl -MJSON::PP -ne '$o = JSON::PP->new->decode($_); print $o->{lsn} if $o->{name} eq "end"')
sql src app "INSERT INTO bench VALUES (-1, 0, 'after', now())"
reached() {
	lsn_ge "$("$PGTT" $C --json --headless status | json_get window.latest)" "$TARGET"
}
wait_until "${WAIT:-600}" reached || { "$PGTT" $C --headless status >&2; ls -la "$W/data/wal" >&2; echo "the archive did not reach $TARGET" >&2; exit 1; }
kill -TERM "$LISTENER"
wait "$LISTENER"
BACKUP=$("$PGTT" $C --json --headless backup list | tail -n 1 | json_get path)
echo "target $TARGET; base backup $(du -sh "$BACKUP" | cut -f1), WAL archive $(du -sh "$W/data/wal" | cut -f1)"

# By hand: the archive made readable to the server beforehand (not timed),
# the .partial segment under its final name, restore_command a cp from it.
HAND_WAL=$TEST_ROOT/hand-wal
mkdir -p "$HAND_WAL"
for f in "$W/data/wal"/*; do
	cp "$f" "$HAND_WAL/$(basename "$f" .partial)"
done
chown -R "${PG_OS_USER:-$(id -un)}" "$HAND_WAL"
HAND=$TEST_ROOT/hand
T0=$(now_ms)
cp -a "$BACKUP" "$HAND"
rm -f "$HAND/backup_manifest"
cat >>"$HAND/postgresql.auto.conf" <<CONF
restore_command = 'cp "$HAND_WAL/%f" "%p"'
recovery_target_lsn = '$TARGET'
recovery_target_inclusive = off
recovery_target_action = 'promote'
port = 5773
listen_addresses = ''
unix_socket_directories = '$HAND'
archive_mode = off
CONF
touch "$HAND/recovery.signal"
[ -n "$PG_OS_USER" ] && chown -R "$PG_OS_USER" "$HAND"
as_pg "$PG_BINDIR/pg_ctl" -D "$HAND" -l "$TEST_ROOT/hand.log" -w -t 3600 start >/dev/null
until [ "$(psql -X -A -t "host=$HAND port=5773 dbname=app user=postgres" -c "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ]; do
	sleep 0.05
done
T1=$(now_ms)
HAND_MS=$((T1 - T0))
HAND_ROWS=$(psql -X -A -t "host=$HAND port=5773 dbname=app user=postgres" -c "SELECT count(*) FROM bench")
as_pg "$PG_BINDIR/pg_ctl" -D "$HAND" -m immediate stop >/dev/null

T0=$(now_ms)
"$PGTT" $C --json --headless restore --to end >"$TEST_ROOT/pgtt.json" || exit 1
T1=$(now_ms)
PGTT_MS=$((T1 - T0))
PGTT_DSN=$(json_get conninfo <"$TEST_ROOT/pgtt.json")
PGTT_ROWS=$(psql -X -A -t "$PGTT_DSN" -c "SELECT count(*) FROM bench")
"$PGTT" -q $C --headless restore --stop "$TEST_ROOT/pgtt-restore"

perl -e '
	my ($n, $hms, $pms, $hrows, $prows, $inner) = @ARGV;
	printf "rows restored:          by hand %d, pgtt %d (of %d)\n", $hrows, $prows, $n;
	printf "PostgreSQL by hand:     %6d ms  (copy backup, settings, pg_ctl start, wait for promotion)\n", $hms;
	printf "pgtt restore:           %6d ms  (its own elapsed_ms %d: checks, copy, WAL staging, start, promotion)\n", $pms, $inner;
	printf "ratio pgtt/by hand:     %.2f  (target <= 1.10)\n", $pms / $hms;
' "$CHANGES" "$HAND_MS" "$PGTT_MS" "$HAND_ROWS" "$PGTT_ROWS" "$(json_get elapsed_ms <"$TEST_ROOT/pgtt.json")"
