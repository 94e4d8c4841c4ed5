#!/bin/sh
# Run every libFuzzer target built under build/fuzz for FUZZ_SECONDS each,
# starting from its seed corpus.  New inputs go to a scratch directory, so
# the checked-in corpus only changes by hand.
cd "$(dirname "$0")/../.." || exit 1
seconds=${FUZZ_SECONDS:-5}
set -- $(ls build/fuzz/fuzz_* 2>/dev/null)
if [ $# -eq 0 ]; then
	echo "1..0 # SKIP no fuzz targets built (clang missing?)"
	exit 0
fi
echo "1..$#"
n=0
for bin in "$@"; do
	n=$((n + 1))
	name=$(basename "$bin")
	scratch=$(mktemp -d)
	log=$(mktemp)
	seeds=tests/fuzz/corpus/$name
	[ -d "$seeds" ] || seeds=""
	if "$bin" -max_total_time="$seconds" -artifact_prefix="$scratch/" \
	    "$scratch" $seeds >"$log" 2>&1; then
		echo "ok $n - $name: $(grep -o 'Done [0-9]* runs' "$log" | tail -n 1) in ${seconds}s"
	else
		echo "not ok $n - $name"
		tail -n 40 "$log" | sed 's/^/# /'
		ls "$scratch" | sed 's/^/# artifact: /'
	fi
	rm -rf "$scratch" "$log"
done
