# Shared by the bench/ scripts (issue 7): runs parts of the Kingbus-vs-MariaDB suite (JUnit BenchSuiteIT,
# kingbus.bench.Bench) in one Maven invocation; each part prints its ratio and appends a dated row with
# the command to docs/BENCHMARKS.md. Knobs (environment):
#   BENCH_MB=1024          binlog generated on the master (1 MB transactions); P6's "stored" size too (10240 = 10 GB)
#   BENCH_FILE_MB=256      the master's max_binlog_size
#   BENCH_READERS=50       P3 concurrent readers;  BENCH_READER_MB=256  what each reads
#   BENCH_P6_READERS=50    P6 connected replicas;  BENCH_HEAP=1g        each Kingbus node's -Xmx
#   BENCH_P4_RATE=200      P4 sysbench tps;        BENCH_P4_SECONDS=30
#   BENCH_JVM_ARGS=...     extra JVM options for every Kingbus node (e.g. -XX:+UseZGC)
#   BENCH_JFR=1            record JFR on the leader (P1, P4) and the serving follower (P2, P3) into target/bench-jfr/
#                          (read them with bench/jfr-top.py)
set -eo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bench_environment() {
  echo "== environment: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(java -version 2>&1 | head -1)," \
    "$(mariadbd --version | awk '{print $3}'), $(sysbench --version), disk: $(df -hT /tmp | tail -1 | awk '{print $1, $2}')," \
    "load: $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD)"
}

# run_parts PARTS COMMAND-AS-RECORDED
run_parts() {
  local parts=$1 command=$2
  bench_environment
  mvn -B -q verify -Dit.test=BenchSuiteIT -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false \
    -Dkingbus.bench.parts="$parts" \
    -Dkingbus.bench.mb="${BENCH_MB:-1024}" -Dkingbus.bench.file-mb="${BENCH_FILE_MB:-256}" \
    -Dkingbus.bench.readers="${BENCH_READERS:-50}" -Dkingbus.bench.reader-mb="${BENCH_READER_MB:-256}" \
    -Dkingbus.bench.p6-readers="${BENCH_P6_READERS:-50}" -Dkingbus.bench.heap="${BENCH_HEAP:-1g}" \
    -Dkingbus.bench.p4-rate="${BENCH_P4_RATE:-200}" -Dkingbus.bench.p4-seconds="${BENCH_P4_SECONDS:-30}" \
    -Dkingbus.bench.jfr="$([ "${BENCH_JFR:-0}" = 1 ] && echo true || echo false)" \
    -Dkingbus.test.jvm-args="${BENCH_JVM_ARGS:-}" -Dkingbus.bench.report="$PWD/docs/BENCHMARKS.md" -Dkingbus.bench.command="$command" \
    | filtered
}

# Shows the benchmark's own lines (and failures), hides Maven's noise; keeps mvn's exit status.
filtered() {
  set +e
  grep --line-buffered -v -E '^\[(INFO|WARNING)\]|^$'
  set -e
  return 0
}
