#!/usr/bin/env bash
# ddl-values.t again, with every window replay can apply by net effect applied
# so (replay-net.c), not only those of 2,000 changes or more: each
# replay must leave the same state either way.
export PGTT_TEST_REPLAY_NET_MIN=0
exec "$(dirname "$0")/ddl-values.t"
