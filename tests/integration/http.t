#!/usr/bin/env bash
# listen --http: /health, /status and /metrics from the running listener.
# /health is 200 while it streams and 503 soon after the source stops;
# /metrics counters move by exactly what was committed; /status is the
# status object, with no DSN; no password reaches any of them; loopback
# unless told otherwise; bad addresses are refused with where they were.
. "$(dirname "$0")/../lib/harness.sh"

pg_start src 5806
sql src postgres "CREATE DATABASE app"
sql src app "CREATE TABLE t (id int PRIMARY KEY, v text)"
W=$TEST_ROOT/w
mkdir -p "$W"
# trust auth ignores the password: it is here only to be hidden.
write_config "$W/config.yaml" "$(pg_dsn src app) password=s3cr3t-pw" \
	"pitr:" "  enabled: false" "http:" "  max_lag: 30"
check_ok "setup" -c "$W/config.yaml" --headless setup

check_fail "a bad --http address" 2 -c "$W/config.yaml" listen --http nonsense:port
like "$ERR" 'is not an address to listen on' "says what is wrong with it"
sed 's/  max_lag: 30/  listen: "localhost:99999"/' "$W/config.yaml" >"$W/bad.yaml"
check_fail "a bad http.listen" 2 -c "$W/bad.yaml" status
like "$ERR" 'bad.yaml:[0-9]+:[0-9]+.*"http.listen"' "names the file, line, column and key"

bg "$PGTT_BIN" -c "$W/config.yaml" listen --http :0
wait_until 20 grep -q 'serving /health' "$W/data/pgtt.log"
PORT=$(sed -n 's/.*serving .* (port \([0-9]*\)).*/\1/p' "$W/data/pgtt.log" | tail -1)
ok "$([ -n "$PORT" ]; echo $?)" "listen says which port it serves on"
# get PATH: the body in OUT, the status in CODE.
get() {
	OUT=$(perl -MHTTP::Tiny -e '$r = HTTP::Tiny->new(timeout => 10)->get($ARGV[0]);
		print $r->{status}, "\n", $r->{content}' "http://127.0.0.1:$PORT$1")
	CODE=$(echo "$OUT" | head -1)
	OUT=$(echo "$OUT" | tail -n +2)
}
# Bound to 127.0.0.1 (0100007F in /proc/net/tcp), not to every address.
ok "$(grep -qi "0100007F:$(printf '%04X' "$PORT") 00000000:0000 0A" /proc/net/tcp; echo $?)" \
	"an address without a host is loopback"

wait_until 20 sh -c "perl -MHTTP::Tiny -e 'exit(HTTP::Tiny->new->get(\"http://127.0.0.1:$PORT/health\")->{status} == 200 ? 0 : 1)'"
get /health
is "$CODE" 200 "/health is 200 while the listener streams"
is "$(echo "$OUT" | json_get status)" "ok" "and says ok"
is "$(echo "$OUT" | json_get max_lag)" "30" "with http.max_lag from the config"

metric() { echo "$OUT" | sed -n "s/^$1 //p"; }
get /metrics
is "$CODE" 200 "/metrics"
like "$OUT" '# TYPE pgtt_changes_journaled_total counter' "in Prometheus text format"
C0=$(metric pgtt_changes_journaled_total)
T0=$(metric pgtt_transactions_journaled_total)
sql src app "INSERT INTO t SELECT g, 'v' FROM generate_series(1, 25) g"
sql src app "UPDATE t SET v = 'w' WHERE id <= 5"
AT=$(sql src app "SELECT pg_current_wal_lsn()")
wait_until 30 sh -c "[ \"\$(psql -X -A -t \"$(pg_dsn src app)\" -c \"SELECT confirmed_flush_lsn >= '$AT' FROM pg_replication_slots WHERE slot_name = 'pgtt'\")\" = t ]"
get /metrics
is "$(( $(metric pgtt_changes_journaled_total) - C0 ))" 30 \
	"the changes counter moves by exactly the 30 changes committed"
is "$(( $(metric pgtt_transactions_journaled_total) - T0 ))" 2 \
	"the transactions counter by the 2 transactions"
is "$(metric pgtt_up)" 1 "pgtt_up is 1"
like "$(metric pgtt_journal_size_bytes)" '^[1-9][0-9]*$' "the journal's size in bytes"

keys_of() { perl -MJSON::PP -0ne 'print join(",", sort keys %{JSON::PP->new->decode($_)})'; }
get /status
is "$CODE" 200 "/status"
SERVED=$(echo "$OUT" | keys_of)
run_pgtt -c "$W/config.yaml" --json status
is "$SERVED" "$(echo "$OUT" | keys_of)" "the same object as status --json"
get /status
unlike "$OUT" '"dsn"' "without the DSN"
is "$(echo "$OUT" | json_get listener)" "running" "it sees its own listener running"
for p in /health /status /metrics; do
	get $p
	unlike "$OUT" 's3cr3t-pw' "no password in $p"
done
unlike "$(cat "$W/data/pgtt.log")" 's3cr3t-pw' "nor in the log"
get /nope
is "$CODE" 404 "another path is 404"
is "$(perl -MHTTP::Tiny -e 'print HTTP::Tiny->new->post("http://127.0.0.1:$ARGV[0]/health")->{status}' "$PORT")" \
	405 "POST is refused"

pg_stop src
START=$(date +%s)
wait_until 30 sh -c "perl -MHTTP::Tiny -e 'exit(HTTP::Tiny->new->get(\"http://127.0.0.1:$PORT/health\")->{status} == 503 ? 0 : 1)'"
ELAPSED=$(( $(date +%s) - START ))
ok "$([ "$ELAPSED" -le 15 ]; echo $?)" "/health turns 503 within 15 s of the source stopping (took ${ELAPSED} s)"
get /health
like "$(echo "$OUT" | json_get reason)" 'source unreachable' "and says why"
get /metrics
is "$(metric pgtt_up)" 0 "pgtt_up is 0"
like "$(metric pgtt_listener_restarts_total)" '^[1-9]' "restarts are counted"
done_testing
