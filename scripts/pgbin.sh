# pgbin.sh: where PostgreSQL's server programs (initdb, pg_ctl) live, for
# the scripts that start throwaway servers (the demo, the test harness).
# Sourced; defines pg_bindir.

pg_bindir() {
	local d
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir)
		[ -x "$d/initdb" ] && { echo "$d"; return; }
	fi
	# shellcheck disable=SC2012
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && [ -x "$d/initdb" ] && { echo "$d"; return; }
	d=$(command -v initdb 2>/dev/null) && dirname "$d"
}
