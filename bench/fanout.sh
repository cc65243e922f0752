#!/usr/bin/env bash
# P3 fan-out (BENCH_READERS concurrent dump sessions on one node; baseline: on the master).
# Generates BENCH_MB (default 1024) MB of binlog on a fresh master and ingests it into a fresh 3-node cluster first
# (every part needs the data); knobs in bench/lib.sh.   bench/fanout.sh     BENCH_MB=100 bench/fanout.sh
source "$(dirname "$0")/lib.sh"
run_parts P3 "${BENCH_CMD:-$(env | grep -o '^BENCH_[A-Z0-9_]*=[^ ]*' | tr '\n' ' ')bench/fanout.sh}"
