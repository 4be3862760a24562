#!/usr/bin/env bash
# The release binary is fully static and still resolves host names at run
# time: `localhost` and a name taken from /etc/hosts, both through the
# server's listen address (Asio's resolver, i.e. glibc's static getaddrinfo).
set -euo pipefail
binary=$1
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# A host name only /etc/hosts knows. Where user namespaces allow, the test
# runs in a private mount namespace whose /etc/hosts adds a name that no DNS
# server can answer; elsewhere it takes a name the machine's /etc/hosts maps
# to 127.x (the host's own name, on Debian and in containers).
private_name=tether-static-test.invalid
if [ -z "${TETHER_HOSTS_NAMESPACE:-}" ] && unshare --mount --map-root-user true 2>/dev/null; then
  hosts=$work/hosts
  { cat /etc/hosts; echo "127.0.0.1 $private_name"; } > "$hosts"
  TETHER_HOSTS_NAMESPACE=1 unshare --mount --map-root-user \
    bash -c 'mount --bind "$1" /etc/hosts && shift && exec "$@"' _ "$hosts" "$0" "$@"
  exit $?
fi
if [ -n "${TETHER_HOSTS_NAMESPACE:-}" ]; then
  hosts_name=$private_name
else
  hosts_name=$(awk '$1 !~ /^#/ && $1 ~ /^127\./ { for (i = 2; i <= NF; i++) if ($i != "localhost" && $i !~ /^localhost\./) { print $i; exit } }' /etc/hosts)
  [ -n "$hosts_name" ] || fail "no user namespaces, and no name besides localhost on a 127.x line of /etc/hosts"
fi
echo "testing names: localhost, $hosts_name"

# 1. Not a dynamic executable: no interpreter, nothing for ldd to list.
ldd_out=$(ldd "$binary" 2>&1 || true)
echo "ldd: $ldd_out"
case "$ldd_out" in
  *"not a dynamic executable"*|*"statically linked"*) ;;
  *) fail "ldd lists dynamic dependencies" ;;
esac
if readelf -l "$binary" | grep -q INTERP; then fail "the binary has a program interpreter"; fi
readelf -d "$binary" 2>/dev/null | grep -q NEEDED && fail "the binary has NEEDED entries"

# 2. Resolution: start the server on a name, ask it over that name (TLS).
check_name() {
  local name=$1 dir=$work/$1
  mkdir -p "$dir"
  "$binary" server init --data-dir "$dir/data" --hostname "$name" > /dev/null || fail "server init for $name failed"
  "$binary" server --data-dir "$dir/data" --api-listen "$name:0" --log-format json 2>"$dir/log" &
  local pid=$!
  pids+=("$pid")
  local address=""
  for _ in $(seq 1 200); do
    address=$(sed -n 's/.*"msg":"api listening","address":"\([^"]*\)".*/\1/p' "$dir/log")
    [ -n "$address" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/log" >&2; fail "server on $name exited"; }
    sleep 0.05
  done
  [ -n "$address" ] || fail "server on $name never listened"
  local port=${address##*:}
  # The admin client resolves the name as well, and checks it against the
  # server's certificate.
  "$binary" admin status --server "https://$name:$port" --ca "$dir/data/ca.crt" || fail "admin status over $name failed"
  kill -TERM "$pid"
  wait "$pid" || fail "server on $name did not stop cleanly"
  echo "resolved $name -> $address"
}

check_name localhost
check_name "$hosts_name"
echo "static binary OK"
