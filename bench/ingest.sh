#!/usr/bin/env bash
# P1 ingest (a 3-node cluster pulls the master's binlog; baseline: a MariaDB replica's IO thread).
# Generates BENCH_MB (default 1024) MB of binlog on a fresh master and ingests it into a fresh 3-node cluster first
# (every part needs the data); knobs in bench/lib.sh.   bench/ingest.sh     BENCH_MB=100 bench/ingest.sh
source "$(dirname "$0")/lib.sh"
run_parts P1 "${BENCH_CMD:-$(env | grep -o '^BENCH_[A-Z0-9_]*=[^ ]*' | tr '\n' ' ')bench/ingest.sh}"
