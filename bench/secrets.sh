#!/usr/bin/env bash
# What resolving a secret costs an operation (issue 14), beside the same
# operation without one, in the same run: the static release binary as a
# server and a runner on 127.0.0.1, a data dir on tmpfs, and `tether admin
# op run system.echo` run cold (a new process, TLS handshake, submit, wait)
#   - with a literal parameter (the reference),
#   - with ${secret:bench} (the runner fetches it over the API, every time),
#   - with ${secret:bench} from a second runner whose values.cache_ttl is set.
# Each figure is the median wall time of COUNT runs (default 100).
#   bench/secrets.sh [BUILD_DIR]   (default build-release, built by packaging/release)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tether=${1:-$root/build-release}/src/tether
count=${COUNT:-100}
[ -x "$tether" ] || { echo "no $tether: run packaging/release build-release first" >&2; exit 69; }

work=$(mktemp -d /dev/shm/tether-secrets-bench-XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
api_port=$(free_port)
tunnel_port=$(free_port)

"$tether" server init --data-dir "$work/data" --hostname localhost >/dev/null 2>&1
"$tether" server --data-dir "$work/data" --api-listen "127.0.0.1:$api_port" --tunnel-listen "127.0.0.1:$tunnel_port" \
  --public-api-url "https://localhost:$api_port" --public-tunnel-address "localhost:$tunnel_port" \
  --log-level warn 2>"$work/server.log" &
pids+=($!)
admin() { "$tether" admin --config "$work/data/admin.toml" --server "https://localhost:$api_port" "$@"; }
for _ in $(seq 100); do admin status >/dev/null 2>&1 && break; sleep 0.1; done

start_runner() {  # name, extra runner.toml text
  local dir=$work/$1
  mkdir -p "$dir"
  admin runner create "$1" >/dev/null
  admin runner generate-credentials "$1" --output-dir "$dir" >/dev/null 2>&1
  printf '[policy]\noperations = ["system.*"]\nsecrets = ["bench"]\n%s' "$2" >"$dir/runner.toml"
  "$tether" runner --credentials "$dir/credentials.json" --config "$dir/runner.toml" --log-level info \
    2>"$dir/runner.log" &
  pids+=($!)
  for _ in $(seq 200); do grep -q "control plane session up" "$dir/runner.log" && return; sleep 0.1; done
  echo "runner $1 did not come up" >&2; cat "$dir/runner.log" >&2; exit 69
}
start_runner fetching ""
start_runner caching $'[values]\ncache_ttl = "1h"\n'

printf 'bench-secret-value-0123456789' >"$work/value"
chmod 600 "$work/value"
admin secret set bench --from-file "$work/value" >/dev/null

measure() {  # label, runner, parameter
  : >"$work/times"
  for _ in $(seq "$count"); do
    local started ended
    started=$(date +%s%N)
    admin op run --runner "$2" system.echo --param "v=$3" -o json >"$work/answer"
    ended=$(date +%s%N)
    # The whole cold command, and the runner's part as the server saw it
    # (sent to finished), where the resolution happens.
    python3 -c '
import json, sys
op = json.load(open(sys.argv[1]))
assert op["status"] == "succeeded", op
print((int(sys.argv[3]) - int(sys.argv[2])) // 1000, op["finished_at_ms"] - op["started_at_ms"])
' "$work/answer" "$started" "$ended" >>"$work/times"
  done
  python3 -c '
import statistics, sys
rows = [line.split() for line in open(sys.argv[2])]
cold = sorted(int(row[0]) for row in rows)
runner = sorted(int(row[1]) for row in rows)
p90 = lambda values: values[len(values) * 9 // 10]
print(f"| {sys.argv[1]} | {statistics.median(cold) / 1000:.1f} ms | {p90(cold) / 1000:.1f} ms | "
      f"{statistics.median(runner):.0f} ms | {p90(runner):.0f} ms |")
' "$1" "$work/times"
}

echo "| $count runs each | cold \`admin op run\`, median | p90 | sent to finished, median | p90 |"
echo "|---|---|---|---|---|"
measure "system.echo, a literal parameter (reference)" fetching "bench-secret-value-0123456789"
measure "system.echo, \${secret:bench} fetched every time" fetching '${secret:bench}'
measure "system.echo, \${secret:bench} with values.cache_ttl = 1h" caching '${secret:bench}'
