#!/usr/bin/env bash
# Chaos run under load (issue 4): a 3-node cluster between a real MariaDB master and replica, a node
# killed with SIGKILL every 10-20 s (the leader 60% of the time) and restarted, KILLS times (default 20).
# Checks at the end that the replica equals the master with nothing lost or doubled, and appends one row
# (kills, transactions, failover times, longest replica stall) to docs/BENCHMARKS.md.
#
#   bench/chaos.sh            # 20 kills, about 12 minutes on 2 cores
#   KILLS=5 bench/chaos.sh
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${KILLS:-20}
echo "== environment: $(nproc) cores, $(java -version 2>&1 | head -1), $(mariadbd --version)"
mvn -B -q verify -Dit.test=ChaosIT -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dkingbus.chaos.kills="$kills" -Dkingbus.chaos.min-interval-seconds=10 -Dkingbus.chaos.max-interval-seconds=20 \
  -Dkingbus.chaos.report="$PWD/docs/BENCHMARKS.md"
tail -1 docs/BENCHMARKS.md
