# bench/lib.sh: what every capture benchmark starts with: a throwaway
# server (tests/lib/harness.sh), database "app" with one table, pgtt set
# up on it, and a second slot "recv" on the same publication for the tool
# pgtt is compared with.
PGTT_BIN=${PGTT_BIN:-$(cd "$(dirname "$0")/.." && pwd)/pgtt}
. "$(dirname "$0")/../tests/lib/harness.sh"

# bench_source PORT TABLE-DDL: sets W (work dir with config.yaml).
bench_source() {
	pg_start src "$1"
	sql src postgres "CREATE DATABASE app"
	sql src app "$2"
	W=$TEST_ROOT/w
	mkdir -p "$W"
	write_config "$W/config.yaml" "$(pg_dsn src app)"
	"$PGTT" -q -c "$W/config.yaml" --headless setup || exit 1
	sql src app "SELECT 1 FROM pg_create_logical_replication_slot('recv', 'pgoutput')" >/dev/null
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
