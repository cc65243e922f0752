#!/usr/bin/env bash
# P4 latency (sysbench oltp_write_only at a fixed rate; commit to arrival, via Kingbus vs direct).
# Generates BENCH_MB (default 1024) MB of binlog on a fresh master and ingests it into a fresh 3-node cluster first
# (every part needs the data); knobs in bench/lib.sh.   bench/latency.sh     BENCH_MB=100 bench/latency.sh
source "$(dirname "$0")/lib.sh"
run_parts P4 "${BENCH_CMD:-$(env | grep -o '^BENCH_[A-Z0-9_]*=[^ ]*' | tr '\n' ' ')bench/latency.sh}"
