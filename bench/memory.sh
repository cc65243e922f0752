#!/usr/bin/env bash
# P6 memory (heap after full GC and RSS with BENCH_P6_READERS replicas connected).
# Generates BENCH_MB (default 1024) MB of binlog on a fresh master and ingests it into a fresh 3-node cluster first
# (every part needs the data); knobs in bench/lib.sh.   bench/memory.sh     BENCH_MB=100 bench/memory.sh
source "$(dirname "$0")/lib.sh"
run_parts P6 "${BENCH_CMD:-$(env | grep -o '^BENCH_[A-Z0-9_]*=[^ ]*' | tr '\n' ' ')bench/memory.sh}"
