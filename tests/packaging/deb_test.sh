#!/usr/bin/env bash
# The Debian package, built from the binary under test as packaging/release
# builds it: lintian (Debian's own checker) finds no error and no warning,
# and every override has its reason; the package holds what docs/deployment.md
# says it holds; its systemd units pass `systemd-analyze verify` (Debian's
# systemd) in a scratch root where only the package is unpacked, and
# `systemd-analyze security` rates their exposure low.
#   deb_test.sh TETHER_BINARY
set -euo pipefail
binary=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$root/packaging/strip" "$binary" "$scratch/tether"
deb=$("$root/packaging/deb/build" "$scratch/tether" 0.0.0 "$scratch/out")
echo "built $deb"

echo "== lintian"
# --fail-on error,warning: a warning fails too; info and pedantic tags are
# shown. The overrides it applied, each with its reason, are in
# packaging/deb/lintian-overrides (checked below: every one has a reason).
verdict=0
lintian --fail-on error,warning --display-info --pedantic "$deb" > "$scratch/lintian.txt" 2>&1 || verdict=$?
grep -v 'running with root privileges' "$scratch/lintian.txt" || true
[ "$verdict" -eq 0 ] || fail "lintian reports an error or a warning (exit $verdict)"
awk '/^#/ { reason = 1; next } /^tether: / { if (!reason) { print "no reason for: " $0; bad = 1 } ; next }
     /^$/ { reason = 0 } END { exit bad }' "$root/packaging/deb/lintian-overrides" || fail "an override without a reason"

echo "== contents"
tree=$scratch/root
dpkg-deb -x "$deb" "$tree"
dpkg-deb -e "$deb" "$scratch/control"
expect_mode() {  # expect_mode MODE PATH
  local mode
  mode=$(stat -c %a "$tree/$2" 2>/dev/null) || fail "the package has no /$2"
  [ "$mode" = "$1" ] || fail "/$2 is $mode, not $1"
}
expect_mode 755 usr/bin/tether
expect_mode 644 lib/systemd/system/tether-server.service
expect_mode 644 lib/systemd/system/tether-runner.service
for config in server runner admin; do
  expect_mode 644 "etc/tether/$config.toml"
  grep -qx "/etc/tether/$config.toml" "$scratch/control/conffiles" || fail "/etc/tether/$config.toml is not a conffile"
  cmp -s "$tree/etc/tether/$config.toml" "$root/examples/$config.toml" || fail "/etc/tether/$config.toml is not examples/$config.toml"
done
cmp -s "$tree/usr/bin/tether" "$scratch/tether" || fail "/usr/bin/tether is not the binary under test"
"$tree/usr/bin/tether" version > /dev/null || fail "the packaged binary does not run"
[ "$(dpkg-deb -f "$deb" Package)" = tether ] || fail "the package is not named tether"
# Installing creates the user and /var/lib/tether (0700, owned by tether),
# and starts or enables nothing.
grep -q 'adduser --system --group' "$scratch/control/postinst" || fail "postinst does not create the tether system user"
grep -q 'install -d -m 0700 -o tether -g tether /var/lib/tether' "$scratch/control/postinst" ||
  fail "postinst does not create /var/lib/tether at 0700"
if grep -Eq 'systemctl[^#]*(enable|start|restart)|deb-systemd-invoke' "$scratch/control/postinst"; then
  fail "postinst starts or enables a unit"
fi
[ -z "$(find "$tree/etc" -path '*systemd*')" ] || fail "the package enables a unit through /etc/systemd"

echo "== systemd-analyze verify"
# The scratch root stands for a host: the package, plus the targets the
# units name (from the running Debian's systemd).
cp /lib/systemd/system/*.target "$tree/lib/systemd/system/"
systemd-analyze verify --man=no --root="$tree" \
  /lib/systemd/system/tether-server.service /lib/systemd/system/tether-runner.service

echo "== systemd-analyze security"
for unit in tether-server.service tether-runner.service; do
  # Exposure is 0.0 (locked down) to 10.0 (unprotected); 2.0 and below is "OK".
  systemd-analyze security --offline=yes --threshold=20 --root="$tree" "$unit" | tail -1
done
echo "ok"
