#!/usr/bin/env bash
# Follower catch-up (issue 4): a 3-node cluster; one follower is stopped while MB megabytes (default 200) of
# binlog are written on a real MariaDB master; the follower is started again. Measures the time from its
# restart until it holds what the master has, checks every completed file is byte-identical to the
# master's, and appends one row to docs/BENCHMARKS.md.
#
#   bench/catchup.sh          # 200 MB
#   MB=50 bench/catchup.sh
set -euo pipefail
cd "$(dirname "$0")/.."
mb=${MB:-200}
echo "== environment: $(nproc) cores, $(java -version 2>&1 | head -1), $(mariadbd --version)"
mvn -B -q verify -Dit.test=FollowerCatchUpIT -Dtest=NoSuchTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dkingbus.catchup.mb="$mb" -Dkingbus.catchup.report="$PWD/docs/CATCHUP-RESULTS.tmp"
row=$(tail -1 docs/CATCHUP-RESULTS.tmp); rm -f docs/CATCHUP-RESULTS.tmp
python3 - "$row" <<'PY'
import sys
path = "docs/BENCHMARKS.md"
text = open(path).read()
marker = "<!-- catch-up rows -->"
text = text.replace(marker, sys.argv[1].rstrip("\n") + "\n" + marker)
open(path, "w").write(text)
PY
echo "$row"
