#!/usr/bin/env bash
# Capture throughput: one backlog drained in turns by pg_recvlogical
# (pgoutput, to a file) and by `pgtt --headless listen` (into the journal,
# with durable LMDB commits), each drain on a slot of its own, all on one
# server:
#
#   pg_recvlogical 1, pgtt 1, pg_recvlogical 2, pgtt 2, ... pg_recvlogical N+1
#
# A shared machine's speed drifts by up to 2x within a minute, so each
# pgtt drain is compared with the mean of the pg_recvlogical drains on
# either side of it, and the run's figures are the medians of its ROUNDS
# rounds.  Prints every drain (time, CPU per change, peak RSS, and the
# CPU of the walsender that served it), each round's ratio, and the
# medians.
#
#   bench/capture.sh [TRANSACTIONS [ROWS_PER_TRANSACTION]]
#
# Default: 100000 transactions of 10 rows = 1,000,000 changes, ROUNDS=3.
# PGTT_BIN_B=BUILD runs the even rounds with another build, to compare.
#
# BENCH_WORKLOAD=pgbench makes the backlog with pgbench's own schema
# (scale PGBENCH_SCALE, 10 by default, loaded before pgtt is set up) and
# workload, two clients: TRANSACTIONS of 4 changes each (3 updates of
# rows all over the tables, 1 insert into a table without a key), 150000
# by default.  The default workload, BENCH_WORKLOAD=inserts, adds rows in
# key order.
set -u
. "$(dirname "$0")/lib.sh"

BENCH_WORKLOAD=${BENCH_WORKLOAD:-inserts}
ROUNDS=${ROUNDS:-3}
case $BENCH_WORKLOAD in
inserts)
	TXNS=${1:-100000}
	ROWS=${2:-10} ;;
pgbench)
	# Two clients run half each: an odd count would not be the backlog.
	TXNS=$(( ${1:-150000} / 2 * 2 ))
	ROWS=4 ;;
*)	echo "bench/capture.sh: BENCH_WORKLOAD is \"$BENCH_WORKLOAD\"; it takes inserts or pgbench" >&2
	exit 2 ;;
esac
CHANGES=$((TXNS * ROWS))
# A slot per drain, and setup's WAL slot per pgtt drain, of the
# harness's max_replication_slots = 16.
case $ROUNDS in
[1-5]) ;;
*)	echo "bench/capture.sh: ROUNDS is \"$ROUNDS\"; it takes 1 to 5" >&2
	exit 2 ;;
esac

pgbench_load() {
	"$PG_BINDIR/pgbench" -i -q -s "${PGBENCH_SCALE:-10}" "$(pg_dsn src app)" \
	    >"$TEST_ROOT/pgbench-init.log" 2>&1 || {
		cat "$TEST_ROOT/pgbench-init.log" >&2
		return 1
	}
}
if [ "$BENCH_WORKLOAD" = pgbench ]; then
	bench_source 5701 "" pgbench_load
else
	bench_source 5701 "CREATE TABLE bench (id bigint PRIMARY KEY, n int, t text, ts timestamptz)"
fi

# Round 1 uses bench_source's config and slot; the others get their own.
for i in $(seq 2 "$ROUNDS"); do
	mkdir -p "$TEST_ROOT/p$i"
	cat >"$TEST_ROOT/p$i/config.yaml" <<-EOF
	source:
	  dsn: "$(pg_dsn src app)"
	  slot: pgtt$i
	storage:
	  path: $TEST_ROOT/p$i/data
	EOF
	"$PGTT" -q -c "$TEST_ROOT/p$i/config.yaml" --headless setup || exit 1
done
for i in $(seq 2 $((ROUNDS + 1))); do
	sql src app "SELECT 1 FROM pg_create_logical_replication_slot('recv$i', 'pgoutput')" >/dev/null
done
config_of() { [ "$1" = 1 ] && echo "$W/config.yaml" || echo "$TEST_ROOT/p$1/config.yaml"; }

echo "backlog ($BENCH_WORKLOAD): $TXNS transactions x $ROWS rows = $CHANGES changes, $ROUNDS rounds"
if [ "$BENCH_WORKLOAD" = pgbench ]; then
	"$PG_BINDIR/pgbench" -n -c 2 -j 2 -t $((TXNS / 2)) "$(pg_dsn src app)" \
	    >"$TEST_ROOT/pgbench.log" 2>&1 || {
		cat "$TEST_ROOT/pgbench.log" >&2
		exit 1
	}
else
	sql src app "DO \$\$ BEGIN FOR i IN 0..$((TXNS - 1)) LOOP
	INSERT INTO bench SELECT i * $ROWS + g, g, md5(g::text), now()
	FROM generate_series(1, $ROWS) g; COMMIT; END LOOP; END \$\$"
fi
END_LSN=$(sql src app "SELECT pg_current_wal_lsn()")
echo "backlog ends at $END_LSN"
# Done now, autovacuum's work on the backlog would otherwise fall in some
# drains and not others, and count as the walsender's CPU.
sql src app "VACUUM ANALYZE"

# Both tools wait on one walsender, so how busy it was says how much of a
# drain either tool left on the table.  Its CPU is what the postmaster's
# reaped children used in the drain, read once the drain's walsender has
# exited and been reaped (until then it is a child of the postmaster: a
# zombie has no command line to match).
PM_PID=$(head -1 "$TEST_ROOT/src/data/postmaster.pid")
reaped_ticks() {
	local i stat
	for i in $(seq 250); do
		ps --ppid "$PM_PID" -o stat=,args= |
		    grep -q -e '^Z' -e 'walsender' || break
		sleep 0.02
	done
	[ "$i" = 250 ] && echo "bench/capture.sh: a walsender was still" \
	    "there after 5 s; its CPU is not counted" >&2
	stat=$(cat "/proc/$PM_PID/stat")
	set -- ${stat##*) }
	echo $(( ${14} + ${15} ))
}

# Each drain leaves "ms user sys rss-kB server-ticks" in
# $TEST_ROOT/NAME.drain.  A failed drain stops the run: its figures would
# only mislead.
drained() {
	local name=$1 t0=$2 status=$3 err=$4 ticks0=$5 ms
	ms=$(( $(now_ms) - t0 ))
	if [ "$status" != 0 ]; then
		echo "bench/capture.sh: $name failed (exit status $status):" >&2
		cat "$err" >&2
		exit 1
	fi
	echo "$ms $(cat "$TEST_ROOT/$name.time") $(( $(reaped_ticks) - ticks0 ))" \
	    >"$TEST_ROOT/$name.drain"
}

# pg_recvlogical: stops by itself at END_LSN, after an fsync of its file.
drain_recvlogical() {
	local slot=$1 name=$2 t0 ticks0
	ticks0=$(reaped_ticks)
	t0=$(now_ms)
	/usr/bin/time -f "%U %S %M" -o "$TEST_ROOT/$name.time" \
		"$PG_BINDIR/pg_recvlogical" -d "$(pg_dsn src app)" --slot "$slot" \
		--start --endpos "$END_LSN" -o proto_version=1 \
		-o publication_names=pgtt -f "$TEST_ROOT/$slot.out" --no-loop \
		2>"$TEST_ROOT/$slot.err"
	drained "$name" "$t0" $? "$TEST_ROOT/$slot.err" "$ticks0"
	rm -f "$TEST_ROOT/$slot.out"
}

# pgtt: stops by itself once END_LSN is durable and confirmed.
# PGTT_WRAP="strace -c -f -o FILE" and the like profile the listener.
# With PGTT_BIN_B set, even rounds run that build: two builds compared
# in one run, each between the same pg_recvlogical drains.
build_of() {
	if [ -n "${PGTT_BIN_B:-}" ] && [ $(($1 % 2)) = 0 ]; then
		echo "$PGTT_BIN_B"
	else
		echo "$PGTT"
	fi
}
drain_pgtt() {
	local i=$1 t0 ticks0 got
	ticks0=$(reaped_ticks)
	t0=$(now_ms)
	/usr/bin/time -f "%U %S %M" -o "$TEST_ROOT/pgtt$i.time" \
		${PGTT_WRAP:-} "$(build_of "$i")" -c "$(config_of "$i")" \
		--headless listen --until "$END_LSN" \
		>/dev/null 2>"$TEST_ROOT/pgtt$i.err"
	drained "pgtt$i" "$t0" $? "$TEST_ROOT/pgtt$i.err" "$ticks0"
	got=$("$(build_of "$i")" -c "$(config_of "$i")" --json --headless \
	    status | json_get journal.changes)
	if [ "$got" != "$CHANGES" ]; then
		echo "bench/capture.sh: pgtt$i journaled $got of $CHANGES changes" >&2
		exit 1
	fi
}

[ -n "${PGTT_BIN_B:-}" ] && echo "even rounds: $PGTT_BIN_B" \
    "($(date -r "$PGTT_BIN_B" '+built %Y-%m-%d %H:%M'))"
drain_recvlogical recv recv1
for i in $(seq 1 "$ROUNDS"); do
	drain_pgtt "$i"
	drain_recvlogical "recv$((i + 1))" "recv$((i + 1))"
done

{
	echo "recv 1 $(cat "$TEST_ROOT/recv1.drain")"
	for i in $(seq 1 "$ROUNDS"); do
		echo "pgtt $i $(cat "$TEST_ROOT/pgtt$i.drain")"
		echo "recv $((i + 1)) $(cat "$TEST_ROOT/recv$((i + 1)).drain")"
	done
} | perl -e '
	my ($n, $ab, $hz) = @ARGV;
	my (@recv, @pgtt, %ratio, %cpu);
	sub med {
		my @s = sort { $a <=> $b } @_;
		my $m = int($#s / 2);
		return @s % 2 ? $s[$m] : ($s[$m] + $s[$m + 1]) / 2;
	}
	sub list { join(" ", map { sprintf "%.2f", $_ } @_) }
	while (<STDIN>) {
		chomp;
		my ($what, $i, $ms, $u, $s, $rss, $ticks) = split;
		my $label = $what eq "recv" ? "pg_recvlogical" :
		    $ab && $i % 2 == 0 ? "pgtt listen (B)" : "pgtt listen";
		printf "%-16s %8.0f changes/s  (%5d ms, cpu %.2f us/change, rss %3d MB; server %.2f us/change, busy %2d%%)\n",
		    $label, $n / $ms * 1000, $ms, ($u + $s) * 1e6 / $n, $rss / 1024,
		    $ticks / $hz * 1e6 / $n, $ticks / $hz * 1e5 / $ms;
		if ($what eq "recv") { $recv[$i] = $ms } else { $pgtt[$i] = [$ms, ($u + $s) * 1e6 / $n] }
	}
	for my $i (1 .. $#pgtt) {
		my $b = $ab && $i % 2 == 0 ? "B" : "A";
		push @{$ratio{$b}}, ($recv[$i] + $recv[$i + 1]) / 2 / $pgtt[$i][0];
		push @{$cpu{$b}}, $pgtt[$i][1];
	}
	for my $b (sort keys %ratio) {
		printf "ratio pgtt%s/recvlogical: %.2f, median of %d rounds (%s); pgtt cpu %.2f us/change, median (%s)  (target >= 1.0, cpu <= 1.5 us/change)\n",
		    $ab ? " $b" : "", med(@{$ratio{$b}}), scalar @{$ratio{$b}},
		    list(@{$ratio{$b}}), med(@{$cpu{$b}}), list(@{$cpu{$b}});
	}
' "$CHANGES" "${PGTT_BIN_B:+1}" "$(getconf CLK_TCK)"
