#!/bin/sh
# Write the KEYS section of the man page from the binary's key table:
# everything between the two marker comments is replaced.
set -eu
bin=$1
man=$2
tmp=$(mktemp)
"$bin" --keys-mdoc >"$tmp.keys"
awk -v keys="$tmp.keys" '
	/^\.\\" keys: begin/ { print; while ((getline l < keys) > 0) print l; skip = 1; next }
	/^\.\\" keys: end/ { skip = 0 }
	!skip { print }
' "$man" >"$tmp"
mv "$tmp" "$man"
rm -f "$tmp.keys"
