# tui-pitr.sh: what the PITR tests of the terminal UI read off the screen.
# Source it after tmux.sh; C holds pgtt's -c option.

# window_covers LSN: the status pane's window ("restore A .. B") reaches it.
window_covers() {
	lsn_ge "$(screen | grep -oE 'restore +[0-9A-F]+/[0-9A-F]+ \.\. [0-9A-F]+/[0-9A-F]+' |
	    grep -oE '[0-9A-F]+/[0-9A-F]+$' | tail -n 1)" "$1"
}
# The connection string the message line gives after a restore.
shown_dsn() { screen | grep -oE 'connect: psql "[^"]+"' | tail -n 1 | sed 's/^connect: psql "//; s/"$//'; }
stop_restored() { "$PGTT" $C --headless restore --stop "$TEST_ROOT/restored"; }
