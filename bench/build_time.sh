#!/usr/bin/env bash
# Measures clean build times and the release binary's size, each beside a
# reference taken in the same run on the same machine:
#   - reference: one translation unit that includes only Asio + Beast
#     (the floor cost of any file that speaks HTTP), at -O0 and at -O2;
#   - the debug build of the tether binary alone, one translation unit per
#     file (the default) and as a unity build, and of everything;
#   - the ASan+UBSan build of everything as scripts/test makes it (unity, -g1);
#   - the static release binary as packaging/release makes it (-O2, unity),
#     and its stripped size.
# Wall time and CPU time (user+sys) with `ninja -j$(nproc)`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root"
scripts/setup-deps

timed() {  # label, command…
  local label=$1
  shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f '%U %S' -o "$work/time" "$@" > "$work/out" 2>&1 || { cat "$work/out"; exit 1; }
  end=$(date +%s.%N)
  read -r user sys < "$work/time"
  printf '| %s | %.0f s | %.0f s |\n' "$label" "$(echo "$end - $start" | bc)" "$(echo "$user + $sys" | bc)"
}

cat > "$work/floor.cpp" <<'CPP'
#include <utility>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
int main() { boost::asio::io_context io; boost::beast::flat_buffer b; return static_cast<int>(b.size()); }
CPP

echo "machine: $(nproc) cores, $(g++ --version | head -1)"
echo
echo "| what | wall | CPU |"
echo "|---|---|---|"
timed "reference: one Asio+Beast TU, -O0" g++ -std=c++20 -O0 -g -c "$work/floor.cpp" -o "$work/floor.o"
timed "reference: one Asio+Beast TU, -O2" g++ -std=c++20 -O2 -c "$work/floor.cpp" -o "$work/floor.o"

meson setup "$work/debug" --wrap-mode=nodownload > /dev/null
timed "debug: tether binary only" ninja -C "$work/debug" src/tether
rm -rf "$work/debug"
meson setup "$work/debug" --wrap-mode=nodownload -Dunity=on > /dev/null
timed "debug, unity: tether binary only" ninja -C "$work/debug" src/tether
rm -rf "$work/debug"
meson setup "$work/debug" --wrap-mode=nodownload > /dev/null
timed "debug: everything (binary + tests)" ninja -C "$work/debug"

meson setup "$work/asan" --wrap-mode=nodownload -Db_sanitize=address,undefined -Db_lundef=false \
  -Dunity=on -Dcpp_args=-g1 > /dev/null
timed "ASan+UBSan (unity, -g1): everything" ninja -C "$work/asan"

meson setup "$work/release" --wrap-mode=nodownload --buildtype=release -Doptimization=2 -Dunity=on \
  -Dstatic=true > /dev/null
timed "release: static tether binary" ninja -C "$work/release" src/tether
strip --strip-all -o "$work/tether.stripped" "$work/release/src/tether"
echo
echo "release binary: $(stat -c %s "$work/release/src/tether") bytes unstripped, $(stat -c %s "$work/tether.stripped") bytes stripped"
