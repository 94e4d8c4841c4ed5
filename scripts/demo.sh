#!/usr/bin/env bash
# demo.sh: pgtt on a throwaway shop database with a live workload.
#
# Starts a primary (the source) and a replica PostgreSQL server under one
# temporary directory, on unix sockets only (no TCP port, so nothing can
# clash), creates a small shop schema, sets pgtt up on it, starts a
# background workload and opens the terminal UI.  Quitting stops everything
# it started and removes that directory; nothing else is touched.
# `make demo` installs what is missing and builds pgtt first.

set -eu
set -o pipefail

usage() {
	cat <<'EOF'
usage: scripts/demo.sh [--no-tui]

  --no-tui   start everything, run setup and `pgtt --headless listen`,
             print the DSNs and the config path, and wait for Ctrl-C

environment:
  PGTT_DEMO_KEEP=1             keep the temporary directory at the end
  PGTT_DEMO_MINUTES=15         how long the workload runs
  PGTT_DEMO_MIGRATE_AFTER=30   seconds before the migration
  PGTT_BIN                     the pgtt binary (default: ./pgtt)
EOF
}

NO_TUI=0
for arg in "$@"; do
	case $arg in
	--no-tui)	NO_TUI=1 ;;
	-h | --help)	usage; exit 0 ;;
	*)		echo "demo: unknown argument: $arg" >&2; usage >&2; exit 2 ;;
	esac
done

say() { printf 'demo: %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGTT=${PGTT_BIN:-$ROOT/pgtt}
WORKLOAD=$ROOT/scripts/demo-workload.sh
MINUTES=${PGTT_DEMO_MINUTES:-15}
MIGRATE_AFTER=${PGTT_DEMO_MIGRATE_AFTER:-30}
case $MINUTES$MIGRATE_AFTER in
*[!0-9]*) die "PGTT_DEMO_MINUTES and PGTT_DEMO_MIGRATE_AFTER take whole numbers" ;;
esac

# The demo talks to its own servers only: settings that could point pgtt
# or psql anywhere else are dropped.
unset PGTT_CONFIG PGTT_SOURCE_DSN PGTT_REPLICA_DSN PGHOST PGHOSTADDR PGPORT \
    PGUSER PGDATABASE PGSERVICE PGSERVICEFILE PGOPTIONS PGSSLMODE \
    PGTARGETSESSIONATTRS PGPASSFILE PGPASSWORD PGCLIENTENCODING
export PGCLIENTENCODING=UTF8

[ -x "$PGTT" ] || die "$PGTT is missing: run 'make demo' (or 'make') first"
command -v psql >/dev/null 2>&1 || die "psql is missing: run 'make deps'"
command -v setsid >/dev/null 2>&1 || die "setsid is missing: run 'make deps'"

. "$(dirname "$0")/pgbin.sh"
PG_BINDIR=$(pg_bindir) || true
[ -n "$PG_BINDIR" ] || die "no PostgreSQL server programs (initdb): run 'make deps'"
PG_VERSION=$("$PG_BINDIR/initdb" --version | sed 's/.* \([0-9][0-9.]*\).*/\1/')

# PostgreSQL refuses to run as root: as root, the servers run as postgres.
if [ "$(id -u)" -eq 0 ]; then
	PG_OS_USER=postgres
	id "$PG_OS_USER" >/dev/null 2>&1 ||
	    die "there is no '$PG_OS_USER' OS user to run the servers: run 'make deps'"
	AS_PG=(runuser -u "$PG_OS_USER" --)
else
	PG_OS_USER=""
	AS_PG=()
fi

# --- cleanup: only what this script started and created -----------------

TMP=""
STARTED=""
WORKLOAD_PID=""
LISTEN_PID=""

# stop_pid PID WHAT [GROUP]: SIGTERM, up to 10 s of grace, then SIGKILL.
stop_pid() {
	local pid=$1 what=$2 target=$1 _
	[ "${3:-}" = group ] && target=-$1
	if ! kill -0 -- "$target" 2>/dev/null; then
		wait "$pid" 2>/dev/null
		say "$what had already stopped"
		return 0
	fi
	kill -TERM -- "$target" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 -- "$target" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 -- "$target" 2>/dev/null; then
		kill -KILL -- "$target" 2>/dev/null
		say "killed $what (it did not stop within 10 s)"
	else
		say "stopped $what"
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# stop_server NAME: a second try covers a server whose pg_ctl start was
# interrupted before it wrote postmaster.pid.
stop_server() {
	local _
	for _ in 1 2; do
		if "${AS_PG[@]}" "$PG_BINDIR/pg_ctl" -D "$TMP/$1/data" -m fast -w \
		    stop >/dev/null 2>&1; then
			say "stopped the $1 server"
			return 0
		fi
		sleep 1
	done
}

# stop_restored: clusters pgtt started from the demo's config (a restore
# with R or `restore`, a verify's scratch cluster) run from data
# directories under $TMP: each is stopped before the directory goes.
stop_restored() {
	local pidfile dir
	find "$TMP" -name postmaster.pid 2>/dev/null | while read -r pidfile; do
		dir=$(dirname "$pidfile")
		if "${AS_PG[@]}" "$PG_BINDIR/pg_ctl" -D "$dir" -m fast -w \
		    stop >/dev/null 2>&1; then
			say "stopped the cluster pgtt started in $dir"
		else
			say "could not stop the cluster in $dir; stop it with: ${PG_OS_USER:+runuser -u $PG_OS_USER -- }$PG_BINDIR/pg_ctl -D $dir stop"
		fi
	done
}

cleanup() {
	local rc=$? name
	set +e
	# A second Ctrl-C or a closed terminal must not cut the cleanup short.
	trap - EXIT TERM
	trap '' INT HUP
	echo
	[ -n "$WORKLOAD_PID" ] && stop_pid "$WORKLOAD_PID" "the workload" group
	[ -n "$LISTEN_PID" ] && stop_pid "$LISTEN_PID" "pgtt listen"
	for name in $STARTED; do
		stop_server "$name"
	done
	[ -n "$TMP" ] && [ -d "$TMP" ] && stop_restored
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		if [ "${PGTT_DEMO_KEEP:-0}" = 1 ]; then
			say "kept $TMP (PGTT_DEMO_KEEP=1): config.yaml, the journal in pgtt-data, both servers' data directories and logs"
			say "start a server again with: ${PG_OS_USER:+runuser -u $PG_OS_USER -- }$PG_BINDIR/pg_ctl -D $TMP/primary/data -l $TMP/primary/server.log start"
		else
			rm -rf -- "$TMP"
			say "removed $TMP (both servers' data, config.yaml, the journal, the logs)"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- the temporary directory ---------------------------------------------

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgtt-demo.XXXXXX")
chmod 0755 "$TMP"
case $TMP in
*[!A-Za-z0-9/._-]*) die "TMPDIR holds characters the DSNs cannot carry: $TMP" ;;
esac
# A unix socket path holds at most 107 bytes.
[ ${#TMP} -le 80 ] || die "TMPDIR is too long for a unix socket path: $TMP"
if [ -n "$PG_OS_USER" ]; then
	chown "$PG_OS_USER" "$TMP"
	"${AS_PG[@]}" test -w "$TMP" ||
	    die "$PG_OS_USER cannot reach $TMP: set TMPDIR to a directory it can (e.g. /tmp)"
fi
say "everything lives in $TMP (PGTT_DEMO_KEEP=1 keeps it)"

# --- the servers -------------------------------------------------------------

# start_server NAME PORT [postgresql.conf lines...]
start_server() {
	local name=$1 port=$2 dir=$TMP/$1 line
	shift 2
	mkdir -p "$dir"
	[ -n "$PG_OS_USER" ] && chown "$PG_OS_USER" "$dir"
	"${AS_PG[@]}" "$PG_BINDIR/initdb" -D "$dir/data" -A trust \
	    -U postgres -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		die "initdb of the $name server failed"
	}
	{
		echo "# added by scripts/demo.sh: a throwaway server"
		echo "listen_addresses = ''"
		echo "port = $port"
		echo "unix_socket_directories = '$dir'"
		echo "fsync = off"
		for line in "$@"; do echo "$line"; done
	} >>"$dir/data/postgresql.conf"
	STARTED="$STARTED $name"
	"${AS_PG[@]}" "$PG_BINDIR/pg_ctl" -D "$dir/data" \
	    -l "$dir/server.log" -w start >/dev/null 2>&1 || {
		tail -n 20 "$dir/server.log" >&2
		die "the $name server did not start"
	}
}

# Each server has its own socket directory, so the ports cannot clash
# with anything; they only name the socket file.
PRIMARY_PORT=5441
REPLICA_PORT=5442

# dsn NAME DB: the libpq DSN of one of the demo's servers.
dsn() {
	local port=$PRIMARY_PORT
	[ "$1" = replica ] && port=$REPLICA_PORT
	echo "host=$TMP/$1 port=$port user=postgres dbname=$2"
}
# psql_to NAME DB ARGS...: psql on one of the demo's servers.
psql_to() {
	local name=$1 db=$2
	shift 2
	psql -X -q -A -t -v ON_ERROR_STOP=1 "$(dsn "$name" "$db")" "$@"
}

start_server primary $PRIMARY_PORT "wal_level = logical" \
    "max_replication_slots = 16" "max_wal_senders = 16"
psql_to primary postgres -c "CREATE DATABASE shop"
SOURCE_DSN=$(dsn primary shop)
say "started the primary (the source): PostgreSQL $PG_VERSION, wal_level=logical, database shop, socket $TMP/primary port $PRIMARY_PORT"

start_server replica $REPLICA_PORT
psql_to replica postgres -c "CREATE DATABASE shop_replica"
REPLICA_DSN=$(dsn replica shop_replica)
say "started the replica (the target of replay): PostgreSQL $PG_VERSION, database shop_replica, socket $TMP/replica port $REPLICA_PORT"

# --- the schema, the config, setup ---------------------------------------

bash "$WORKLOAD" schema "$SOURCE_DSN"
psql_to primary shop -o "$TMP/schema.txt" -c "
    SELECT string_agg(format('%s (%s rows)', t, n), ', ' ORDER BY o)
    FROM (VALUES (1, 'customers', (SELECT count(*) FROM customers)),
                 (2, 'products', (SELECT count(*) FROM products)),
                 (3, 'product_docs', (SELECT count(*) FROM product_docs)),
                 (4, 'orders', (SELECT count(*) FROM orders)),
                 (5, 'order_items', (SELECT count(*) FROM order_items))) v(o, t, n)"
say "created the shop schema: $(cat "$TMP/schema.txt")"

CONFIG=$TMP/config.yaml
{
	echo "# Written by scripts/demo.sh for the demo servers; removed with them."
	echo "source:"
	echo "  dsn: \"$SOURCE_DSN\""
	echo "  # old rows travel with every UPDATE and DELETE"
	echo "  full_row_images: true"
	echo "replica:"
	echo "  dsn: \"$REPLICA_DSN\""
	echo "storage:"
	echo "  path: $TMP/pgtt-data"
	echo "pitr:"
	echo "  bindir: $PG_BINDIR"
	if [ -n "$PG_OS_USER" ]; then echo "  os_user: $PG_OS_USER"; fi
} >"$CONFIG"
say "wrote $CONFIG"

say "running pgtt --headless setup:"
rc=0
"$PGTT" -c "$CONFIG" --headless setup >"$TMP/setup.log" 2>&1 || rc=$?
sed 's/^/  /' "$TMP/setup.log"
[ "$rc" = 0 ] || die "setup failed (status $rc)"

# --- the workload --------------------------------------------------------

# Its own session (setsid): Ctrl-C in the terminal does not reach it, and
# the cleanup stops its whole process group at once.  It also stops by
# itself after $MINUTES minutes, or when this script is gone.
mkdir -p "$TMP/workload"
setsid bash "$WORKLOAD" run "$SOURCE_DSN" "$TMP/workload" "$MINUTES" \
    "$MIGRATE_AFTER" $$ >"$TMP/workload/workload.log" 2>&1 </dev/null &
WORKLOAD_PID=$!
say "started the workload: 3 writers (orders, customers, catalog), a migration after ${MIGRATE_AFTER} s (customers.loyalty_points, table reviews, then a 4th writer); it stops by itself after $MINUTES min; logs in $TMP/workload"

start_listen() {
	"$PGTT" -c "$CONFIG" --headless listen >"$TMP/listen.log" 2>&1 </dev/null &
	LISTEN_PID=$!
	say "started pgtt --headless listen (log: $TMP/listen.log)"
}

if [ "$NO_TUI" = 1 ]; then
	start_listen
	cat <<EOF

  config    $CONFIG
  source    psql "$SOURCE_DSN"
  replica   psql "$REPLICA_DSN"
  history   $PGTT -c $CONFIG --headless log --follow
  status    $PGTT -c $CONFIG --headless status

demo: running; Ctrl-C stops everything.
EOF
	said_migration=0 said_workload=0 said_listen=0
	while :; do
		sleep 1 &
		wait $! || true
		if [ $said_migration = 0 ] && [ -e "$TMP/workload/migrated" ]; then
			say "the migration ran: customers.loyalty_points and table reviews exist"
			said_migration=1
		fi
		if [ $said_workload = 0 ] && ! kill -0 "$WORKLOAD_PID" 2>/dev/null; then
			say "the workload has finished"
			said_workload=1
		fi
		if [ $said_listen = 0 ] && ! kill -0 "$LISTEN_PID" 2>/dev/null; then
			rc=0
			wait "$LISTEN_PID" || rc=$?
			say "pgtt listen exited with status $rc; see $TMP/listen.log"
			said_listen=1
		fi
	done
fi

# The TUI owns the terminal: its stderr is kept and shown after it quits.
say "opening the TUI; quitting it stops the demo"
rc=0
"$PGTT" -c "$CONFIG" 2>"$TMP/tui.err" || rc=$?
if [ "$rc" = 1 ] && grep -q "not part of this build" "$TMP/tui.err"; then
	say "the TUI is not part of this build yet; following the history with"
	say "'pgtt --headless log --follow' instead, fed by 'pgtt --headless listen'"
	start_listen
	say "Ctrl-C stops everything"
	"$PGTT" -c "$CONFIG" --headless log --follow || true
else
	[ -s "$TMP/tui.err" ] && cat "$TMP/tui.err" >&2
	exit "$rc"
fi
