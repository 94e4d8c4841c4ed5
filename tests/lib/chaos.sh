# chaos.sh: the PITR chaos run shared by tests/integration/chaos.t (about
# a minute) and bench/chaos (--minutes N).  Source it after harness.sh and
# call chaos_run SECONDS RESTORES SRC_PORT RESTORE_PORT.
#
# Five writers insert rows with random payloads and unique ids, each in
# its own transaction, on a server with track_commit_timestamp, so the
# source itself is the verification log: every row's id and the time its
# transaction committed.  Meanwhile, at random intervals, the listener is
# killed with SIGKILL and started again, pg_receivewal is killed (pgtt
# must start it again), and the whole source is frozen with SIGSTOP for a
# few seconds.  Then several times T are picked from the log and the
# cluster is restored to each: the restored table must hold exactly the
# rows whose commit time is before T.
#
# Time semantics: recovery_target_time = T with inclusive off stops
# before the first commit record, in WAL order, whose time is >= T.  A
# commit takes its timestamp just before it writes its WAL record, so
# under concurrency time order and WAL order can differ by the few
# microseconds in between.  T is therefore taken in the middle of a gap
# of at least CHAOS_GAP_MS between consecutive commit times, where both
# orders agree: the rows restored are then exactly those with commit
# time < T.  Autovacuum is off so no other transaction commits.

CHAOS_GAP_MS=${CHAOS_GAP_MS:-20}

_chaos_pg_pids() {
	local pm
	pm=$(head -n 1 "$TEST_ROOT/src/data/postmaster.pid")
	echo "$pm $(pgrep -P "$pm" | tr '\n' ' ')"
}

chaos_run() {
	local seconds=$1 restores=$2 port=$3 rport=$4
	local kills=0 rkills=0 pauses=0 end listener w

	pg_start src "$port" "autovacuum = off" "track_commit_timestamp = on"
	sql src postgres "CREATE DATABASE app"
	sql src app "CREATE TABLE rows (id bigint PRIMARY KEY, w int, payload text);
		CREATE TABLE stop (x int)"
	W=$TEST_ROOT/w
	mkdir -p "$W"
	write_config "$W/config.yaml" "$(pg_dsn src app)" \
		"pitr:" "  restore_data_dir: $TEST_ROOT/restored" "  restore_port: $rport"
	C="-c $W/config.yaml"
	check_ok "setup" $C --headless setup

	bg "$PGTT" -q $C --headless listen
	listener=$BG_PID
	WRITERS=""
	for w in 1 2 3 4 5; do
		bg sql src app "DO \$\$ DECLARE i int := 0; BEGIN LOOP
			EXIT WHEN EXISTS (SELECT 1 FROM stop);
			i := i + 1;
			INSERT INTO rows VALUES ($w * 100000000 + i, $w, md5(random()::text));
			COMMIT;
			PERFORM pg_sleep(random() * 0.05);
			END LOOP; END \$\$"
		WRITERS="$WRITERS $BG_PID"
	done

	end=$(( $(date +%s) + seconds ))
	while [ "$(date +%s)" -lt "$end" ]; do
		sleep "$((1 + RANDOM % 3)).$((RANDOM % 10))"
		case $((RANDOM % 3)) in
		0)	kill -9 "$listener" 2>/dev/null
			wait "$listener" 2>/dev/null
			bg "$PGTT" -q $C --headless listen
			listener=$BG_PID
			kills=$((kills + 1)) ;;
		1)	if pkill -9 -P "$listener" -f pg_receivewal; then
				rkills=$((rkills + 1))
			fi ;;
		2)	local pids
			pids=$(_chaos_pg_pids)
			kill -STOP $pids
			sleep "$((1 + RANDOM % 3))"
			kill -CONT $pids
			pauses=$((pauses + 1)) ;;
		esac
	done
	sql src app "INSERT INTO stop VALUES (1)"
	wait $WRITERS
	diag "chaos: ${seconds}s, listener killed $kills times, pg_receivewal killed $rkills times, source paused $pauses times"

	# The log: id and commit time (µs since the epoch) of every row.
	sql src app "SELECT id, (extract(epoch FROM pg_xact_commit_timestamp(xmin)) * 1000000)::bigint
		FROM rows ORDER BY 2, 1" >"$TEST_ROOT/log"
	local total
	total=$(wc -l <"$TEST_ROOT/log")
	diag "chaos: $total rows committed"
	ok "$([ "$total" -gt 100 ]; echo $?)" "the writers committed rows through the chaos ($total)"

	# Everything is journaled, once: wait for the last row.
	local last_id
	last_id=$(tail -n 1 "$TEST_ROOT/log" | cut -d'|' -f1)
	wait_until 120 sh -c "\"$PGTT\" $C --json --headless log --table rows | grep -q '\"id\":\"$last_id\"'"
	"$PGTT" $C --json --headless log --table rows |
		perl -MJSON::PP -ne 'print JSON::PP->new->decode($_)->{new}{id}, "\n"' | sort >"$TEST_ROOT/journaled"
	is "$(wc -l <"$TEST_ROOT/journaled")" "$total" "the journal holds every logged row"
	is "$(uniq -d "$TEST_ROOT/journaled" | wc -l)" "0" "and none twice"
	is "$(md5sum <"$TEST_ROOT/journaled")" "$(cut -d'|' -f1 "$TEST_ROOT/log" | sort | md5sum)" "exactly the logged rows"

	# Times T in gaps of the log, with later commits for recovery to stop at.
	perl -e '
		my ($gap, $n, @t) = ($ARGV[0] * 1000, $ARGV[1]);
		open my $f, "<", $ARGV[2] or die;
		while (<$f>) { chomp; push @t, (split /\|/)[1] }
		my @cand = grep { $t[$_ + 1] - $t[$_] >= $gap } 0 .. $#t - 1;
		srand($ARGV[3]);
		for (1 .. $n) {
			last unless @cand;
			my $i = splice @cand, int(rand @cand), 1;
			my $T = int(($t[$i] + $t[$i + 1]) / 2);
			my @g = gmtime(int($T / 1e6));
			printf "%04d-%02d-%02d %02d:%02d:%02d.%06d+00 %d\n", $g[5] + 1900,
			    $g[4] + 1, $g[3], $g[2], $g[1], $g[0], $T % 1000000, $i + 1;
		}' "$CHAOS_GAP_MS" "$restores" "$TEST_ROOT/log" "$RANDOM" >"$TEST_ROOT/targets"
	is "$(wc -l <"$TEST_ROOT/targets")" "$restores" "found $restores times T in gaps of at least ${CHAOS_GAP_MS} ms"

	local n=0 T want got ms
	while read -r d t want; do
		T="$d $t"
		n=$((n + 1))
		run_pgtt $C --json --headless restore --to "$T" --force
		is "$RC" 0 "restore $n to $T" || { diag "$ERR"; continue; }
		ms=$(echo "$OUT" | json_get elapsed_ms)
		got=$(psql -X -A -t "$(echo "$OUT" | json_get conninfo)" -c "SELECT count(*) FROM rows")
		is "$got" "$want" "restore $n: the rows committed before T ($want of $total), in $ms ms"
	done <"$TEST_ROOT/targets"
	"$PGTT" $C --headless restore --stop "$TEST_ROOT/restored" >/dev/null
	diag "chaos: $n restores"
	kill -TERM "$listener"
	wait "$listener"
}
