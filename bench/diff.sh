#!/usr/bin/env bash
# diff and history follow the window or the row, not the history.  One
# run builds a journal of HISTORY changes (default 5,000,000) on table big
# and diffs, in it:
#
#   - a 1,000-change window near the start of the history (s0..s1),
#   - a 1,000-change window at its end (e0..e1), whose rows were inserted
#     millions of changes earlier, so their values before the window come
#     from far back in the journal,
#   - a 1,000,000-change window in the middle (w0..w1): 500,000 updates,
#     250,000 inserts and 250,000 deletes;
#
# then asks for the history of one row inserted millions of changes back.
#
# Each is compared, in the same run, with what a user would otherwise do:
# copy the table out at both points (sorted) and diff the two files.  The
# copies are timed as they are taken; `diff` is timed on them afterwards.
#
#   bench/diff.sh [HISTORY]
#   BENCH_KEEP=DIR bench/diff.sh   also keeps the journal and a config
#                                  for it in DIR, to diff it again later
set -u
. "$(dirname "$0")/lib.sh"

HISTORY=${1:-5000000}
BATCH=100000
[ "$HISTORY" -ge 3000000 ] || { echo "HISTORY must be >= 3000000" >&2; exit 2; }

bench_source 5704 "CREATE TABLE big (id bigint PRIMARY KEY, n int, t text)"
P() { "$PGTT" -q -c "$W/config.yaml" --headless "$@"; }

# snap NAME: the table as a user would keep it, timed into SNAP_MS[NAME].
declare -A SNAP_MS
snap() {
	local t0
	t0=$(now_ms)
	psql -X -q "$(pg_dsn src app)" -c \
	    "\\copy (SELECT * FROM big ORDER BY id) TO '$TEST_ROOT/$1.copy'" ||
	    exit 1
	SNAP_MS[$1]=$(( $(now_ms) - t0 ))
}

mark() { P checkpoint create "$1" >/dev/null || exit 1; snap "$1"; }

# insert_upto N: insert rows until ids 1..N exist, BATCH per transaction.
inserted=0
insert_upto() {
	local n
	while [ "$inserted" -lt "$1" ]; do
		n=$(( $1 - inserted < BATCH ? $1 - inserted : BATCH ))
		sql src app "INSERT INTO big SELECT g, 0, md5(g::text)
		    FROM generate_series($inserted + 1, $inserted + $n) g"
		inserted=$((inserted + n))
	done
}

insert_upto 10000
mark s0
sql src app "UPDATE big SET n = n + 1 WHERE id <= 1000"
mark s1
insert_upto 2000000

mark w0
for i in 0 1 2 3 4; do
	sql src app "UPDATE big SET n = n + 1, t = md5(t)
	    WHERE id > $((i * 100000)) AND id <= $(((i + 1) * 100000))"
done
base=$inserted
for i in 0 1; do
	sql src app "INSERT INTO big SELECT g, 1, md5(g::text)
	    FROM generate_series($base + $i * 125000 + 1, $base + ($i + 1) * 125000) g"
done
inserted=$((base + 250000))
sql src app "DELETE FROM big WHERE id > 500000 AND id <= 750000"
mark w1

# The rest of the history, then a small window over old rows.
# So far 2,001,000 changes before the window and 1,000,000 in it; the
# last window adds 1,000.
insert_upto $((inserted + HISTORY - 3002000))
mark e0
sql src app "UPDATE big SET n = n + 1 WHERE id > 1000000 AND id <= 1001000"
mark e1

T0=$(now_ms)
P listen --until now || exit 1
echo "journaled $("$PGTT" -c "$W/config.yaml" --json --headless status |
    json_get journal.changes) changes in $(( $(now_ms) - T0 )) ms"
if [ -n "${BENCH_KEEP:-}" ]; then
	mkdir -p "$BENCH_KEEP"
	rm -rf "$BENCH_KEEP/data"
	cp -a "$W/data" "$BENCH_KEEP/data"
	write_config "$BENCH_KEEP/config.yaml" "$(pg_dsn src app)"
	echo "journal kept in $BENCH_KEEP"
fi

# timed LABEL FROM TO: pgtt against snapshots and diff(1), one line.
timed() {
	local t0 pg_ms pg_stat_ms diff_ms lines
	t0=$(now_ms)
	P diff "$2" "$3" --stat >/dev/null || exit 1
	pg_stat_ms=$(( $(now_ms) - t0 ))
	t0=$(now_ms)
	P diff "$2" "$3" --format json >"$TEST_ROOT/out.json" || exit 1
	pg_ms=$(( $(now_ms) - t0 ))
	t0=$(now_ms)
	lines=$(diff "$TEST_ROOT/$2.copy" "$TEST_ROOT/$3.copy" | grep -c '^[<>]')
	diff_ms=$(( $(now_ms) - t0 ))
	printf '%-34s %7d %7d %9d %9d %8d\n' "$1" "$pg_stat_ms" "$pg_ms" \
	    $(( SNAP_MS[$2] + SNAP_MS[$3] )) "$diff_ms" "$lines"
}
printf '%-34s %7s %7s %9s %9s %8s\n' "window (ms)" "--stat" "json" \
    "2 copies" "diff(1)" "lines"
timed "1,000 changes, start of history" s0 s1
timed "1,000 changes, end of history" e0 e1
timed "1,000,000 changes, mid-history" w0 w1
# peak LABEL CMD...: CMD's wall time, rate over the window and peak RSS.
peak() {
	local label=$1
	shift
	/usr/bin/time -f "%e %M" -o "$TEST_ROOT/time" "$@" >/dev/null || exit 1
	read -r secs kb <"$TEST_ROOT/time"
	perl -e 'printf "%-34s %6.2f s %9.0f changes/s %6d MB peak RSS\n",
	    $ARGV[0], $ARGV[1], 1000000 / $ARGV[1], $ARGV[2] / 1024' \
	    "$label" "$secs" "$kb"
}
echo "1,000,000-change window (targets: <= 256 MB, >= 1,000,000 changes/s):"
peak "pgtt diff --stat" "$PGTT" -q -c "$W/config.yaml" --headless \
    diff w0 w1 --stat
peak "pgtt diff --format json" "$PGTT" -q -c "$W/config.yaml" --headless \
    diff w0 w1 --format json
# diff(1) exits 1 when the files differ, as they do.
peak "diff(1) of the two copies" sh -c 'diff "$1" "$2"; [ $? -le 1 ]' sh \
    "$TEST_ROOT/w0.copy" "$TEST_ROOT/w1.copy"

# One row's history through the row index, in the same journal, against
# what a user would otherwise run: the table's whole log, filtered.
t0=$(now_ms)
P history big id=1000500 --json >"$TEST_ROOT/hist.json" || exit 1
hist_ms=$(( $(now_ms) - t0 ))
# What any command pays before its work: start, config, journal open.
t0=$(now_ms)
P checkpoint list --json >/dev/null || exit 1
floor_ms=$(( $(now_ms) - t0 ))
t0=$(now_ms)
"$PGTT" -q -c "$W/config.yaml" --json --headless log --table big |
    grep '"id":"1000500"' >"$TEST_ROOT/hist.log"
log_ms=$(( $(now_ms) - t0 ))
echo "history of one row ($(wc -l <"$TEST_ROOT/hist.json") changes) in" \
    "a journal of $HISTORY changes: $hist_ms ms, process start included" \
    "(checkpoint list, the same start and journal open: $floor_ms ms);" \
    "log --table big | grep: $log_ms ms ($(wc -l <"$TEST_ROOT/hist.log") lines)"
