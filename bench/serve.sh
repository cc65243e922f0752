#!/usr/bin/env bash
# P2 serve one (mariadb-binlog --raw of every file from a Kingbus node; baseline: from the master).
# Generates BENCH_MB (default 1024) MB of binlog on a fresh master and ingests it into a fresh 3-node cluster first
# (every part needs the data); knobs in bench/lib.sh.   bench/serve.sh     BENCH_MB=100 bench/serve.sh
source "$(dirname "$0")/lib.sh"
run_parts P2 "${BENCH_CMD:-$(env | grep -o '^BENCH_[A-Z0-9_]*=[^ ]*' | tr '\n' ' ')bench/serve.sh}"
