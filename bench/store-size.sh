#!/usr/bin/env bash
# Store size (issue 6): a MariaDB master writes GB gigabytes (default 10) of row binlog, one Kingbus node
# stores it; prints heap after a full GC, RSS, restart times (clean stop, kill -9; and an empty node's, the floor in the same run), and the time to read it
# all from Kingbus vs from the master, and appends the row to docs/BENCHMARKS.md.
#
#   bench/store-size.sh         # 10 GB: needs about 25 GB of free disk
#   GB=2 bench/store-size.sh
#   ROWS=2500 bench/store-size.sh   # 10 MB transactions (default 250 rows of 4,000 bytes: 1 MB)
#   COMPRESSION=zstd bench/store-size.sh   # kingbus.store.compression (the rows are one letter repeated: an upper bound)
#   BENCH_JVM_ARGS=-XX:TieredStopAtLevel=4 bench/store-size.sh   # extra node JVM options, after the shipped ones
set -euo pipefail
cd "$(dirname "$0")/.."
gb=${GB:-10}
echo "== environment: $(nproc) cores, $(java -version 2>&1 | head -1), $(mariadbd --version), disk: $(df -h /tmp | tail -1)"
report=$(mktemp)
mvn -B -q verify -Dit.test=StoreSizeBench -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false \
 -Dkingbus.bench.store-gb="$gb" -Dkingbus.bench.rows-per-transaction="${ROWS:-250}" -Dkingbus.bench.report="$report" \
 -Dkingbus.bench.store-compression="${COMPRESSION:-none}" -Dkingbus.test.jvm-args="${BENCH_JVM_ARGS:-}"
row=$(tail -1 "$report"); rm -f "$report"
bench/append-row.py store-size "## Store size (issue 6)

\`GB=10 bench/store-size.sh\`: a master writes GB of row binlog (BLACKHOLE table), one node stores it.

" "$row"
echo "$row"
