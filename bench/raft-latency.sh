#!/usr/bin/env bash
# The Raft part of P4's latency (no Liberty, master or readers): three members in one JVM, each with its own store
# and fsync'd log; the leader proposes 400-byte entries one at a time, each timed until each store holds it. The
# members run with Nagle's algorithm on (JGroups' default, the baseline) and off (Kingbus's setting), alternating,
# in the same run; appends the row to docs/BENCHMARKS.md. About 3 minutes.
#
#   bench/raft-latency.sh
#   PROPOSALS=500 ROUNDS=1 bench/raft-latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== environment: $(nproc) cores, $(java -version 2>&1 | head -1), disk: $(df -h /tmp | tail -1), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
report=$(mktemp)
mvn -B -q test -Dtest=RaftCommitLatencyBench -Dsurefire.failIfNoSpecifiedTests=false \
 -Dkingbus.bench.proposals="${PROPOSALS:-2000}" -Dkingbus.bench.rounds="${ROUNDS:-2}" -Dkingbus.bench.report="$report"
row=$(tail -1 "$report"); rm -f "$report"
bench/append-row.py raft-latency "## Raft without Nagle (\`bench/raft-latency.sh\`)

| date | machine | load | baseline | Kingbus | ratio | command |
|---|---|---|---|---|---|---|" "$row"
echo "$row"
