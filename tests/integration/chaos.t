#!/usr/bin/env bash
# PITR under chaos, bounded to about a minute: see tests/lib/chaos.sh.
# Longer runs: bench/chaos --minutes N.
. "$(dirname "$0")/../lib/harness.sh"
. "$(dirname "$0")/../lib/chaos.sh"

chaos_run "${CHAOS_SECONDS:-35}" 3 5677 5678
done_testing
