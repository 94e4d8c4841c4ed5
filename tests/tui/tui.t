#!/usr/bin/env bash
# The terminal UI as a person uses it: the real binary in tmux, keys sent
# with send-keys, the screen read with capture-pane, at 80x24 and 160x48.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/tmux.sh"

pg_start src 5631
sql src postgres "CREATE DATABASE app"
sql src app "CREATE TABLE items (id int PRIMARY KEY, name text, note text);
	CREATE TABLE other (id int PRIMARY KEY); CREATE SEQUENCE tui_seq"
W=$TEST_ROOT/w
mkdir -p "$W"
write_config "$W/config.yaml" "$(pg_dsn src app)"
check_ok "setup" -c "$W/config.yaml" --headless setup

# A new socket per start: a killed server unlinks its socket as it exits,
# which would take the next server's socket with it if they shared a path.
ROUND=0
TUI_WAIT=20
start_ui() {
	$T kill-server 2>/dev/null
	ROUND=$((ROUND + 1))
	T="tmux -S $TEST_ROOT/tmux.$ROUND"
	tui_start "$1" "$2" -c "$W/config.yaml"
}
trap '$T kill-server 2>/dev/null; _cleanup' EXIT

# --- 80x24 ---
start_ui 80 24
see 'Sessions' "80x24: the sessions pane is drawn"
see 'Checkpoints' "80x24: the checkpoints pane is drawn"
see '# creation' "the creation checkpoint is listed, marked fixed"
see 'Status' "80x24: the status pane is drawn"
see 'listener.*streaming' "the status pane shows the listener streaming"
see 'Stream \(following\)' "the stream follows by default"

sql src app "INSERT INTO items VALUES (1, 'hello-tui', 'a note')"
see 'insert public.items id=1' "a row inserted on the source appears in the stream"
keys Enter
see 'name +hello-tui' "Enter shows its columns in the detail pane"
see 'insert public.items +at' "with the change's header"
keys Tab
keys '?'
see 'Keys \(any key closes\)' "? opens the help"
MISSING=""
for k in $("$PGTT" --keys-mdoc | sed -n 's/^\.It Ic //p' | cut -d, -f1); do
	screen | grep -q -- "$k" || MISSING="$MISSING $k"
done
is "$MISSING" "" "the help lists every bound key"
keys Escape
see 'Stream' "a key closes the help"

sql src app "INSERT INTO other VALUES (7); UPDATE items SET note = 'changed' WHERE id = 1"
see 'update public.items' "an update appears"
keys '/' ; keys 'other' Enter
see 'filter: other' "/ sets a filter"
items_hidden() { [ "$(screen | grep -c 'public.items')" = 0 ]; }
wait_until 5 items_hidden
ok $? "the filter hides other tables"
see 'insert public.other id=7' "and keeps the filtered one"
keys '/' ; keys 'update' Enter
see 'update public.items' "an operation filter keeps updates"
keys '/' ; keys Enter
see 'insert public.items id=1' "an empty filter shows everything again"

$T resize-window -t pgtt -x 60 -y 20
see 'terminal too small: 60x20, pgtt needs 80x24' "a too small terminal is said plainly"
$T resize-window -t pgtt -x 100 -y 30
see 'Detail' "after a resize the layout is drawn again"
see 'insert public.items id=1' "with the stream's rows"

keys q
see 'EXIT=0' "q exits with status 0"
unlike "$(screen)" 'Checkpoints' "and the terminal is given back"

# --- 160x48 ---
start_ui 160 48
see 'Stream \(following\)' "160x48: the stream is drawn"
see 'update public.items' "160x48: history from before the UI started is shown"
see 'capture +2 tables, DDL on' "160x48: the status pane has room for everything"
# Each row of the key table, as the man page lists it, is a row of the
# help: each key, its pane, then all of what it does, wrapped in the box.
keys '?'
see 'Keys \(any key closes\)' "160x48: ? opens the help in one column"
"$PGTT" --keys-mdoc >"$TEST_ROOT/keys.mdoc"
screen >"$TEST_ROOT/help.screen"
BAD=$(perl -e '
	open(my $m, "<", $ARGV[0]) or die; open(my $s, "<", $ARGV[1]) or die;
	my @screen = <$s>; my ($keys, @bad, $text, $left, $right, $top);
	# The box: its top corner before the title, its bottom line under.
	for my $i (0 .. $#screen) {
		next unless $screen[$i] =~ /l Keys \(any key closes\)/;
		($top, $left) = ($i, $-[0]);
	}
	die "no box" unless defined $top;
	for my $i ($top + 1 .. $#screen) {
		if (substr($screen[$i], $left, 1) eq "m") {
			$right = $left + length((substr($screen[$i], $left) =~ /^(mq+j)/)[0]) - 1;
			last;
		}
	}
	for my $i ($top + 1 .. $#screen) {
		last if substr($screen[$i], $left, 1) eq "m";
		$text .= " " . substr($screen[$i], $left + 1, $right - $left - 1);
	}
	$text =~ s/\s+/ /g;
	while (<$m>) {
		chomp;
		if (/^\.It Ic (.*)/) { $keys = $1; next; }
		next unless defined $keys && !/^\./;
		s/\.$//;	# the man page ends each with a period,
		my $pane = s/^In the (\w+) pane: // ? "$1 " : "";	# names the pane in words
		push @bad, $keys if index($text, "$keys $pane$_") < 0;
		undef $keys;
	}
	print join("; ", @bad);' "$TEST_ROOT/keys.mdoc" "$TEST_ROOT/help.screen")
is "$BAD" "" "every key's row is in the help: its keys, its pane, all it does" ||
	diag "$(cat "$TEST_ROOT/help.screen")"
keys Escape
keys k
keys c ; keys 'after-insert' Enter
see 'checkpoint "after-insert" at' "c makes a checkpoint after the selected change"
see '  after-insert +[0-9A-F]+/' "it is listed in the checkpoints pane"
see '─* checkpoint after-insert at|q+ checkpoint after-insert at' "the checkpoint is drawn as a marker line in the stream"
keys ':' ; keys 'after-insert' Enter
see 'after-insert is [0-9A-F]+/[0-9A-F]+: the stream shows what came before it' ": goes to a point by name"
see 'Stream filter|Stream q' "and stops following"
keys ':' ; keys 'nowhere' Enter
see 'no checkpoint or point "nowhere"' "an unknown point is said in the message line"
keys s ; keys 'bug-7' Enter
see '\* bug-7' "s makes a session and marks it active"
unlike "$(screen)" '  after-insert ' "the new session starts without the other session's checkpoints"
keys s ; keys 'bug-8' Enter
see '\* bug-8' "a second session becomes the active one"
keys Tab Tab ; keys g Enter
see '\* bug-7' "Enter on a session in the sessions pane switches to it"
keys Tab ; keys g Enter
see 'Stream q' "Enter on a checkpoint shows the stream up to it"
keys G ; keys c ; keys 'end-mark' Enter
see 'checkpoint "end-mark" at' "a checkpoint at the newest change"
keys d
see 'mark two checkpoints with Space' "d without two marks says what to do"
# A checkpoint made headless at "now" samples the sequences as well.
sql src app "SELECT nextval('tui_seq'), nextval('tui_seq'), nextval('tui_seq')" >/dev/null
check_ok "checkpoint seq-now" -c "$W/config.yaml" --headless checkpoint create seq-now --session bug-7
see '  seq-now' "a checkpoint made by another process shows in the pane"
keys Tab Tab Tab ; keys g Space G Space
see '\+# creation' "Space marks a checkpoint"
see '\+  seq-now' "and a second one"
keys d
see 'Diff [0-9A-F]+/[0-9A-F]+ \.\. [0-9A-F]+/[0-9A-F]+: 2 tables changed' "d shows the diff between the marked checkpoints"
see 'public.items  \+1  -0  ~0' "a table with its counts"
see 'sequence public.tui_seq  1 \(not called\) -> 3' "and a sequence that moved, from setup's sample to the checkpoint's"
keys w
see 'wrote the diff as SQL to pgtt-diff-[0-9A-F-]+\.sql' "w writes the diff as SQL"
SQLFILE=$(ls "$TEST_ROOT"/pgtt-diff-*.sql 2>/dev/null | head -1)
like "$(cat "$SQLFILE" 2>/dev/null)" 'INSERT INTO "public"\."items" \("id", "name", "note"\) VALUES \(.1., .hello-tui., .changed.\);' \
	"the file holds the statements diff --format sql prints"
P_FROM=$(sed -n 's/^-- pgtt diff \([^ ]*\) \([^ ]*\)$/\1/p' "$SQLFILE")
P_TO=$(sed -n 's/^-- pgtt diff \([^ ]*\) \([^ ]*\)$/\2/p' "$SQLFILE")
is "$("$PGTT" -c "$W/config.yaml" --headless diff "$P_FROM" "$P_TO" --format sql)" "$(cat "$SQLFILE")" "word for word"
keys Enter
see "\\+ id=1 name=hello-tui note=changed" "Enter shows its rows, net of the update"
keys Escape
see 'Stream' "Esc goes back to the panes"
keys q
see 'EXIT=0' "160x48: q exits with status 0"

# --- the UI never waits for a worker: d again while a diff runs ---
# Each diff takes 6 s more here; the keys after the second d must be
# answered at once, not once the first diff is done.
export PGTT_TEST_DIFF_DELAY_MS=6000
start_ui 160 48
unset PGTT_TEST_DIFF_DELAY_MS
see '\* bug-7' "a slow diff's round starts in the active session"
keys Tab Tab Tab ; keys g Space G Space
see '\+  seq-now' "two checkpoints are marked"
keys d ; keys d ; keys '?'
TUI_WAIT=3 see 'Keys \(any key closes\)' "? is answered while the diffs run: a second d does not freeze the UI"
keys Escape
see 'Diff [0-9A-F]+/[0-9A-F]+ \.\. [0-9A-F]+/[0-9A-F]+: 2 tables changed' "the diff asked for last is shown"
keys Escape ; keys q
see 'EXIT=0' "and q exits with status 0"

# --- another process holds the slot: follow the journal it writes ---
bg "$PGTT" -c "$W/config.yaml" --headless listen
EXTERNAL=$BG_PID
wait_until 20 sh -c "[ \"\$(psql -X -A -t \"$(pg_dsn src app)\" -c \"SELECT active FROM pg_replication_slots WHERE slot_name = 'pgtt'\")\" = t ]"
start_ui 100 30
see 'listener external' "with the slot held by pgtt --headless listen, the UI starts no listener of its own"
sql src app "INSERT INTO items VALUES (3, 'from-outside', NULL)"
see 'insert public.items id=3 name=from-outside' "and shows what that process journals"
keys q
see 'EXIT=0' "and quits cleanly"
kill -TERM "$EXTERNAL"; wait "$EXTERNAL"

# --- first start on a source setup has not prepared ---
sql src postgres "CREATE DATABASE fresh"
sql src fresh "CREATE TABLE f (id int PRIMARY KEY)"
mkdir -p "$TEST_ROOT/fresh"
printf 'source:\n  dsn: "%s"\n  slot: fresh\n  publication: fresh\nstorage:\n  path: %s/data\n' \
	"$(pg_dsn src fresh)" "$TEST_ROOT/fresh" >"$TEST_ROOT/fresh/config.yaml"
$T kill-server 2>/dev/null
ROUND=$((ROUND + 1)); T="tmux -S $TEST_ROOT/tmux.$ROUND"
tui_start 100 30 -c "$TEST_ROOT/fresh/config.yaml"
see 'Setup would do this on it' "a first start on an unprepared source shows what setup would create"
see 'planned +replication slot "fresh"' "listing the slot"
keys y
see 'Stream' "y runs setup and opens the panes"
sql src fresh "INSERT INTO f VALUES (42)"
see 'insert public.f id=42' "capture starts right away"
keys q
see 'EXIT=0' "and q quits"

# --- the terminal goes away: the UI must not outlive it ---
start_ui 80 24
see 'Stream' "started again"
UI_PID=$(pgrep -P "$($T display -p -t pgtt '#{pane_pid}')" -x "$(basename "$PGTT")")
$T kill-server
# Exiting stops the listener and the archiver, which on a loaded machine
# takes seconds: wait long enough to tell that from spinning.
T0=$(date +%s)
wait_until 30 sh -c "! kill -0 $UI_PID"
ok $? "when its terminal is closed the UI exits instead of spinning"
diag "it took $(( $(date +%s) - T0 )) s (informational)"
kill -9 "$UI_PID" 2>/dev/null

# --- SIGTERM gives the terminal back too ---
start_ui 80 24
see 'Stream' "started again"
kill -TERM "$(pgrep -P "$($T display -p -t pgtt '#{pane_pid}')" -x "$(basename "$PGTT")")"
see 'EXIT=0' "SIGTERM ends the UI with status 0"

done_testing
