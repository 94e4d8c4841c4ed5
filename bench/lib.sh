# bench/lib.sh: what every capture benchmark starts with: a throwaway
# server (tests/lib/harness.sh), database "app" with one table, pgtt set
# up on it, and a second slot "recv" on the same publication for the tool
# pgtt is compared with.
PGTT_BIN=${PGTT_BIN:-$(cd "$(dirname "$0")/.." && pwd)/pgtt}
. "$(dirname "$0")/../tests/lib/harness.sh"

# The figures are this binary's: say which, and whether the tree changed
# after it was built (the default one is the tree's own, not rebuilt here).
bench_binary() {
	echo "pgtt: $PGTT ($(date -r "$PGTT" '+built %Y-%m-%d %H:%M'))"
	if [ -n "$(find "$(dirname "$0")/../src" -newer "$PGTT" \
	    -name '*.[ch]' | head -1)" ]; then
		echo "warning: the sources changed after $PGTT was built:" \
		    "run make first, or set PGTT_BIN" >&2
	fi
}
bench_binary

# BENCH_TCP=1: the source listens on 127.0.0.1, and every connection to
# it (pgtt's, the peer tool's, the bench's own) goes over TCP instead of
# its unix socket: a source on another host is only reached that way.
BENCH_TCP=${BENCH_TCP:-0}
if [ "$BENCH_TCP" = 1 ]; then
	pg_dsn() {
		if [ "$1" = src ]; then
			echo "host=127.0.0.1 port=$(cat "$TEST_ROOT/$1/port") user=postgres dbname=${2:-postgres}"
		else
			echo "host=$TEST_ROOT/$1 port=$(cat "$TEST_ROOT/$1/port") user=postgres dbname=${2:-postgres}"
		fi
	}
fi

# bench_server PORT: starts the source cluster "src", reached as
# BENCH_TCP says.
bench_server() {
	if [ "$BENCH_TCP" = 1 ]; then
		echo "source: TCP to 127.0.0.1 (BENCH_TCP=1)"
		pg_start src "$1" "listen_addresses = '127.0.0.1'"
	else
		echo "source: its unix socket (BENCH_TCP=1 for TCP)"
		pg_start src "$1"
	fi
}

# bench_source PORT TABLE-DDL [LOADER]: sets W (work dir with
# config.yaml).  LOADER, a command, fills database "app" before pgtt is
# set up on it; the DDL may then be empty.
bench_source() {
	bench_server "$1"
	sql src postgres "CREATE DATABASE app"
	[ -z "$2" ] || sql src app "$2"
	[ -z "${3:-}" ] || "$3" || exit 1
	W=$TEST_ROOT/w
	mkdir -p "$W"
	write_config "$W/config.yaml" "$(pg_dsn src app)"
	"$PGTT" -q -c "$W/config.yaml" --headless setup || exit 1
	sql src app "SELECT 1 FROM pg_create_logical_replication_slot('recv', 'pgoutput')" >/dev/null
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
