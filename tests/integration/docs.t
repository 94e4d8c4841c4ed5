#!/usr/bin/env bash
# The documentation follows the program: the man page's KEYS section is
# the key table, every command --help lists is in the man page, and the
# page renders without warnings.
. "$(dirname "$0")/../lib/harness.sh"
MAN=$(dirname "$0")/../../man/pgtt.1

KEYS=$(sed -n '/^\.\\" keys: begin/,/^\.\\" keys: end/p' "$MAN" | sed '1d;$d')
is "$KEYS" "$("$PGTT" --keys-mdoc)" "the man page's KEYS section is the key table (make man-keys writes it)"

for cmd in $("$PGTT" --help | sed -n '/^commands:/,/^$/p' | awk '/^  [a-z]/ { print $1 }'); do
	grep -q "^\.It Cm $cmd\|^\.Cm $cmd" "$MAN"
	ok $? "the man page documents \"$cmd\""
done

if command -v groff >/dev/null 2>&1; then
	is "$(groff -mdoc -ww -z "$MAN" 2>&1)" "" "the man page renders without warnings"
fi
done_testing
