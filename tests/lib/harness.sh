# harness.sh: TAP helpers and throwaway PostgreSQL clusters for pgtt tests.
#
# Source it from a test script.  Clusters live under one temporary
# directory, listen only on a unix socket inside it (so no port can clash
# with anything on the machine), and are stopped and removed by an EXIT
# trap, also when a test fails.  PostgreSQL refuses to run as root: as
# root, servers run as the "postgres" OS user (override: PGTT_TEST_OS_USER).

set -u

PGTT=${PGTT_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/pgtt}
TEST_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/pgtt-test.XXXXXX")
chmod 0755 "$TEST_ROOT"
_started_clusters=""
_tap_n=0
_tap_failed=0

# Random workloads ($RANDOM) follow one seed, said in the output, so a
# failure can be run again the same way: PGTT_TEST_SEED=N.
PGTT_TEST_SEED=${PGTT_TEST_SEED:-$(( $(date +%s%N) % 1000000 ))}
RANDOM=$PGTT_TEST_SEED

if [ "$(id -u)" -eq 0 ]; then
	PG_OS_USER=${PGTT_TEST_OS_USER:-postgres}
	chown "$PG_OS_USER" "$TEST_ROOT"
else
	PG_OS_USER=""
fi

. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/pgbin.sh"
PG_BINDIR=$(pg_bindir)

# Run a command as the server's OS user.
as_pg() {
	if [ -n "$PG_OS_USER" ]; then
		runuser -u "$PG_OS_USER" -- "$@"
	else
		"$@"
	fi
}

_bg_pids=""

_cleanup() {
	local name pid
	for pid in $_bg_pids; do
		kill -9 "$pid" 2>/dev/null
	done
	for name in $_started_clusters; do
		as_pg "$PG_BINDIR/pg_ctl" -D "$TEST_ROOT/$name/data" -m immediate \
		    stop >/dev/null 2>&1
	done
	rm -rf "$TEST_ROOT"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# pg_start NAME PORT [postgresql.conf lines...]: a fresh cluster.  The
# settings are the ones docker-compose.yml gives its primary; extra lines
# override them.  Sets nothing global: use pg_dsn NAME [DB].
pg_start() {
	local name=$1 port=$2 dir
	shift 2
	dir="$TEST_ROOT/$name"
	mkdir -p "$dir"
	[ -n "$PG_OS_USER" ] && chown "$PG_OS_USER" "$dir"
	as_pg "$PG_BINDIR/initdb" -D "$dir/data" -A trust -U postgres \
	    --no-sync >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log" >&2
		bail "initdb of cluster $name failed"
	}
	{
		echo "listen_addresses = ''"
		echo "port = $port"
		echo "unix_socket_directories = '$dir'"
		echo "wal_level = logical"
		echo "max_replication_slots = 16"
		echo "max_wal_senders = 16"
		echo "fsync = off"
		for line in "$@"; do echo "$line"; done
	} >>"$dir/data/postgresql.conf"
	echo "$port" >"$dir/port"
	as_pg "$PG_BINDIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
	    start >/dev/null 2>&1 || {
		cat "$dir/server.log" >&2
		bail "cluster $name did not start"
	}
	_started_clusters="$_started_clusters $name"
}

pg_restart() {
	as_pg "$PG_BINDIR/pg_ctl" -D "$TEST_ROOT/$1/data" -l "$TEST_ROOT/$1/server.log" \
	    -m fast -w restart >/dev/null 2>&1 || bail "cluster $1 did not restart"
}

pg_stop() {
	as_pg "$PG_BINDIR/pg_ctl" -D "$TEST_ROOT/$1/data" -m fast -w stop \
	    >/dev/null 2>&1
}

# pg_dsn NAME [DB]: a libpq DSN for the cluster.
pg_dsn() {
	echo "host=$TEST_ROOT/$1 port=$(cat "$TEST_ROOT/$1/port") user=postgres dbname=${2:-postgres}"
}

# sql NAME DB SQL...: run SQL, print unaligned tuples, fail loudly.
sql() {
	local name=$1 db=$2
	shift 2
	psql -X -q -A -t -v ON_ERROR_STOP=1 "$(pg_dsn "$name" "$db")" -c "$*"
}

# write_config FILE SOURCE-DSN [extra yaml...]: a config for pgtt.
write_config() {
	local file=$1 dsn=$2
	shift 2
	{
		echo "source:"
		echo "  dsn: \"$dsn\""
		echo "storage:"
		echo "  path: $(dirname "$file")/data"
		for line in "$@"; do echo "$line"; done
	} >"$file"
}

# bg CMD...: run in the background, killed by the cleanup; sets BG_PID.
bg() {
	"$@" &
	BG_PID=$!
	_bg_pids="$_bg_pids $BG_PID"
}

# wait_until SECONDS CMD...: poll CMD every 0.2 s until it succeeds.
wait_until() {
	local deadline=$(( $(date +%s) + $1 ))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.2
	done
}

# --- TAP ----------------------------------------------------------------

plan() { echo "1..$1"; }
bail() {
	diag "random seed $PGTT_TEST_SEED: PGTT_TEST_SEED=$PGTT_TEST_SEED runs it the same way"
	echo "Bail out! $*"
	exit 255
}
diag() { printf '%s\n' "$@" | sed 's/^/# /' >&2; }

ok() {
	local cond=$1
	shift
	_tap_n=$((_tap_n + 1))
	if [ "$cond" -eq 0 ]; then
		echo "ok $_tap_n - $*"
	else
		echo "not ok $_tap_n - $*"
		_tap_failed=$((_tap_failed + 1))
	fi
	return "$cond"
}

# is GOT WANT NAME
is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "got:  '$1'" "want: '$2'"
		return 1
	fi
}

# like TEXT REGEX NAME (grep -E)
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "text: '$1'" "does not match: '$2'"
		return 1
	fi
}

unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		diag "text: '$1'" "matches: '$2'"
	else
		ok 0 "$3"
	fi
}

# run_pgtt ARGS...: run pgtt; sets OUT, ERR, RC.
run_pgtt() {
	local o e
	o=$(mktemp "$TEST_ROOT/out.XXXXXX")
	e=$(mktemp "$TEST_ROOT/err.XXXXXX")
	"$PGTT" "$@" >"$o" 2>"$e" </dev/null
	RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	rm -f "$o" "$e"
}

# check_ok NAME ARGS...: pgtt ARGS must exit 0.
check_ok() {
	local name=$1
	shift
	run_pgtt "$@"
	is "$RC" 0 "$name" || diag "stdout: $OUT" "stderr: $ERR"
}

# check_fail NAME STATUS ARGS...: pgtt ARGS must exit STATUS.
check_fail() {
	local name=$1 want=$2
	shift 2
	run_pgtt "$@"
	is "$RC" "$want" "$name" || diag "stdout: $OUT" "stderr: $ERR"
}

# lsn_ge A B: A is a position (X/Y) at or past B; false when A is empty
# or "null" (not known yet).
lsn_ge() {
	perl -e 'sub v { my ($h, $l) = split m{/}, shift; hex($h) * 2**32 + hex $l }
		exit($ARGV[0] ne "" && $ARGV[0] ne "null" &&
		    v($ARGV[0]) >= v($ARGV[1]) ? 0 : 1)' "$1" "$2"
}

# jq-free JSON field access through perl's core JSON::PP.
json_get() {
	perl -MJSON::PP -e 'binmode STDOUT, ":utf8";
		my $d = JSON::PP->new->decode(do { local $/; <STDIN> });
		for my $k (split /\./, $ARGV[0]) {
			$d = ref $d eq "ARRAY" ? $d->[$k] : $d->{$k};
		}
		print defined $d ? (ref $d ? JSON::PP->new->canonical->encode($d)
		    : JSON::PP::is_bool($d) ? ($d ? "true" : "false") : $d)
		    : "null";
	' "$1"
}

# The plan goes last, so a script need not count its tests.
done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ] && return 0
	diag "random seed $PGTT_TEST_SEED: PGTT_TEST_SEED=$PGTT_TEST_SEED runs it the same way"
	return 1
}
