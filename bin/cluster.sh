#!/usr/bin/env bash
# Run a Kingbus cluster of N nodes on this host, for trying it out.
#
#   bin/cluster.sh start 3     start n1..n3 (builds target/kingbus.jar first if missing)
#   bin/cluster.sh status      each node's /health/ready
#   bin/cluster.sh kill n2     kill -9 one node
#   bin/cluster.sh restart n2  start one node again on its data
#   bin/cluster.sh stop        stop every node (SIGTERM)
#   bin/cluster.sh repoint HOST PORT [--force]   the whole cluster pulls from another master (PUT /api/v1/master;
#                              refused when Kingbus could not pull from it, unless --force)
#   bin/cluster.sh repoint --clear     back to each node's configured master (DELETE /api/v1/master)
#   bin/cluster.sh master      the master in force and why (GET /api/v1/master)
#
# Node i listens on MySQL port 3306+i+BASE_OFFSET... see the table printed by "start". Set the master with
# KINGBUS_MASTER_HOST / _PORT / _USER / _PASSWORD and the replicas' password with KINGBUS_REPLICA_PASSWORD.
# Data and logs live under ${KINGBUS_CLUSTER_DIR:-./cluster}/nI. Each JVM gets the options in bin/kingbus.jvm-options,
# then JVM_ARGS (e.g. JVM_ARGS=-Xmx2g).
set -euo pipefail
cd "$(dirname "$0")/.."
root=${KINGBUS_CLUSTER_DIR:-$PWD/cluster}
mysql_base=${KINGBUS_MYSQL_BASE:-3310}   # node i: mysql_base + i
http_base=${KINGBUS_HTTP_BASE:-9080}     # node i: http_base + i
raft_base=${KINGBUS_RAFT_BASE:-7800}     # node i: raft_base + i (and +100 for failure detection)

count() { ls -d "$root"/n* 2>/dev/null | wc -l; }

# The admin API on the first node that answers, with the admin credentials (KINGBUS_ADMIN_USER, default admin, and
# KINGBUS_ADMIN_PASSWORD) given to curl on its standard input, not its command line, so that ps does not show them.
admin() {
  local method=$1 path=$2 body=${3:-} dir i
  local args=(-sS --fail-with-body -K - -X "$method")
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' -d "$body")
  : "${KINGBUS_ADMIN_PASSWORD:?set KINGBUS_ADMIN_PASSWORD (kingbus.admin.password of the nodes)}"
  for dir in "$root"/n*; do
    [ -d "$dir" ] || continue
    i=${dir##*/n}
    curl -sf -o /dev/null "http://127.0.0.1:$((http_base + i))/health/live" 2>/dev/null || continue
    printf 'user = "%s:%s"\n' "${KINGBUS_ADMIN_USER:-admin}" "$KINGBUS_ADMIN_PASSWORD" |
      curl "${args[@]}" -w "\n(HTTP %{http_code} from n$i)\n" "http://127.0.0.1:$((http_base + i))/api/v1/$path"
    return
  done
  echo "no node answers under $root" >&2; return 1
}

members() {
  local n=$1 list=""
  for i in $(seq 1 "$n"); do list+="${list:+,}n$i@127.0.0.1:$((raft_base + i))"; done
  echo "$list"
}

start_node() {
  local i=$1 n=$2 dir="$root/n$1"
  mkdir -p "$dir"
  if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then echo "n$i already running"; return; fi
  rm -rf "$dir/wlp"   # a node killed with -9 leaves its extract dir behind; Liberty refuses to reuse it
  (
    cd "$dir"
    export WLP_JAR_EXTRACT_DIR="$dir/wlp" HTTP_PORT=$((http_base + i))
    export KINGBUS_NODE_NAME="n$i" KINGBUS_DATA_DIR="$dir/data" KINGBUS_MYSQL_PORT=$((mysql_base + i))
    export KINGBUS_RAFT_PORT=$((raft_base + i)) KINGBUS_RAFT_MEMBERS="$(members "$n")"
    # shellcheck disable=SC2046,SC2086
    nohup java $(grep -v -e '^#' -e '^[[:space:]]*$' "$OLDPWD/bin/kingbus.jvm-options") ${JVM_ARGS:-} \
      -jar "$OLDPWD/target/kingbus.jar" >> "$dir/console.log" 2>&1 &
    echo $! > "$dir/pid"
  )
  echo "n$i: mysql 127.0.0.1:$((mysql_base + i))  http http://127.0.0.1:$((http_base + i))  raft $((raft_base + i))  dir $dir"
}

case "${1:-}" in
  start)
    n=${2:-3}
    [ -f target/kingbus.jar ] || mvn -q -B package -DskipTests
    for i in $(seq 1 "$n"); do start_node "$i" "$n"; done
    echo "waiting for readiness..."
    for i in $(seq 1 "$n"); do
      for _ in $(seq 1 120); do
        curl -sf -o /dev/null "http://127.0.0.1:$((http_base + i))/health/ready" && break
        sleep 1
      done
    done
    "$0" status
    ;;
  status)
    for dir in "$root"/n*; do
      i=${dir##*/n}
      printf 'n%s: ' "$i"; curl -s "http://127.0.0.1:$((http_base + i))/health/ready" || echo "(down)"; echo
    done
    ;;
  kill)
    kill -9 "$(cat "$root/${2:?node name}/pid")" && echo "killed $2"
    ;;
  restart)
    i=${2:?node name}; i=${i#n}
    start_node "$i" "$(count)"
    ;;
  stop)
    for dir in "$root"/n*; do
      [ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null && echo "stopping ${dir##*/}" || true
    done
    for dir in "$root"/n*; do
      while [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; do sleep 0.5; done
    done
    ;;
  repoint)
    if [ "${2:-}" = --clear ]; then
      admin DELETE master
    else
      host=${2:?usage: bin/cluster.sh repoint HOST PORT, or --clear}
      port=${3:?usage: bin/cluster.sh repoint HOST PORT}
      case $host$port in *[\"\\]*) echo "no quotes or backslashes in HOST or PORT" >&2; exit 2 ;; esac
      force=false
      case ${4:-} in --force) force=true ;; '') ;; *) echo "unknown option ${4}" >&2; exit 2 ;; esac
      admin PUT master "{\"host\": \"$host\", \"port\": $port, \"force\": $force}"
    fi
    ;;
  master)
    admin GET master
    ;;
  *)
    sed -n '2,17p' "$0"; exit 2
    ;;
esac
