#!/usr/bin/env bash
# diff follows the window, not the history: the same windows (1,000 and
# 100,000 updated rows) diffed near the start of a journal and after
# ROWS more changes should take about the same time.
#
#   bench/diff.sh [ROWS]        (default 1,000,000)
set -u
. "$(dirname "$0")/lib.sh"

ROWS=${1:-1000000}
BATCH=100000

bench_source 5704 "CREATE TABLE big (id bigint PRIMARY KEY, n int, t text)"
P() { "$PGTT" -q -c "$W/config.yaml" --headless "$@"; }

# windows PREFIX FIRST-ID: checkpoints PREFIX0..2 around 1,000 then
# 100,000 updated rows.
windows() {
	P checkpoint create "${1}0" >/dev/null || exit 1
	sql src app "UPDATE big SET n = n + 1 WHERE id > $2 AND id <= $2 + 1000"
	P checkpoint create "${1}1" >/dev/null || exit 1
	sql src app "UPDATE big SET n = n + 1 WHERE id > $2 AND id <= $2 + 100000"
	P checkpoint create "${1}2" >/dev/null || exit 1
}

sql src app "INSERT INTO big SELECT g, 0, md5(g::text) FROM generate_series(1, 100000) g"
windows s 0
done_rows=100000
while [ "$done_rows" -lt $((ROWS + 100000)) ]; do
	sql src app "INSERT INTO big SELECT g, 0, md5(g::text) FROM generate_series($done_rows + 1, $done_rows + $BATCH) g"
	done_rows=$((done_rows + BATCH))
done
windows e $((done_rows - 100000))
T0=$(now_ms)
P listen --until now || exit 1
echo "journaled $("$PGTT" -c "$W/config.yaml" --json --headless status | json_get journal.changes) changes in $(( $(now_ms) - T0 )) ms"

# timed LABEL FROM TO: run diff FROM TO to /dev/null, print the time.
timed() {
	local t0 t1
	t0=$(now_ms)
	P diff "$2" "$3" --format json >/dev/null || exit 1
	t1=$(now_ms)
	printf '%-40s %6d ms\n' "$1" $((t1 - t0))
}
timed "1,000 changes, start of history" s0 s1
timed "1,000 changes, after $ROWS more" e0 e1
timed "100,000 changes, start of history" s1 s2
timed "100,000 changes, after $ROWS more" e1 e2
