# tmux.sh: drive the terminal UI as a person does, for tests/tui: the
# real binary in a tmux pane, keys sent with send-keys, the screen read
# with capture-pane.  Source it after harness.sh.  $T is the tmux command
# (its socket under TEST_ROOT); a test may point it at a new socket.

if ! command -v tmux >/dev/null 2>&1; then
	echo "1..0 # SKIP tmux is not installed"
	exit 0
fi

T="tmux -S $TEST_ROOT/tmux"
TUI_WAIT=${TUI_WAIT:-30}

screen() { $T capture-pane -p -t pgtt; }
# see REGEX NAME: wait until the screen shows REGEX (grep -E).
see() {
	if wait_until "$TUI_WAIT" sh -c "$T capture-pane -p -t pgtt | grep -Eq -- '$1'"; then
		ok 0 "$2"
	else
		ok 1 "$2"
		diag "screen:" "$(screen)"
	fi
}
keys() { $T send-keys -t pgtt "$@"; }
# tui_start COLS LINES ARGS...: pgtt ARGS in a new session; when it
# exits, the pane shows EXIT=status.  The cleanup kills what it runs.
tui_start() {
	local cols=$1 lines=$2
	shift 2
	$T -f /dev/null new-session -d -s pgtt -x "$cols" -y "$lines" -c "$TEST_ROOT" \
		"TERM=xterm-256color LANG=C.UTF-8 $PGTT $*; echo EXIT=\$?; sleep 60"
	_bg_pids="$_bg_pids $($T display -p -t pgtt '#{pane_pid}')"
}
