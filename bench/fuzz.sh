#!/usr/bin/env bash
# Runs the libFuzzer targets under tests/fuzz, each for SECONDS, starting
# from its committed seed corpus (tests/fuzz/corpus/<name>/), and prints one
# line per target: executions, coverage, corpus size and the outcome. New
# inputs go to a scratch corpus, never into the committed one; a crash,
# leak or sanitizer report leaves its input in DIR/fuzz-artifacts/ and makes
# the script exit non-zero.
#
#   bench/fuzz.sh BUILD_DIR SECONDS [TARGET…]   e.g. bench/fuzz.sh build-fuzz 3600 json_fuzz
#
# BUILD_DIR is a clang tree configured with -Dfuzz=enabled (tests/fuzz/meson.build).
# With SECONDS of a few, it is the regression run CI does: every seed still passes.
#
# FUZZ_CLOCK=cpu counts SECONDS of the target's own CPU time instead of wall
# time, so an hour's run is an hour of fuzzing even on a machine that does
# other work meanwhile (run it under `nice`); the wall time is capped at six
# times SECONDS, and the table shows both.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: bench/fuzz.sh BUILD_DIR SECONDS [TARGET...]}
seconds=${2:?usage: bench/fuzz.sh BUILD_DIR SECONDS [TARGET...]}
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for path in "$root"/tests/fuzz/*_fuzz.cpp; do targets+=("$(basename "$path" .cpp)"); done
fi
artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# UBSan reports are failures, not warnings; leaks are checked at exit.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1

clock=${FUZZ_CLOCK:-wall}
case $clock in
  wall) wall_limit=$seconds ;;
  cpu) wall_limit=$(( seconds * 6 )) ;;
  *) echo "FUZZ_CLOCK must be wall or cpu, not $clock" >&2; exit 64 ;;
esac
ticks=$(getconf CLK_TCK)
# Whether a child still runs (an exited one stays a zombie until waited for).
running() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true)
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}
# CPU seconds a process has used so far (user and system).
cpu_seconds() { awk -v t="$ticks" '{ print int(($14 + $15) / t) }' "/proc/$1/stat" 2>/dev/null || echo 0; }

failed=0
printf '%-24s %8s %8s %12s %8s %8s  %s\n' target wall_s cpu_s executions coverage corpus outcome
for target in "${targets[@]}"; do
  name=${target%_fuzz}
  binary="$build/tests/fuzz/$target"
  [ -x "$binary" ] || { echo "$target: not built in $build (ninja -C $build fuzz)"; failed=1; continue; }
  mkdir -p "$scratch/$name"
  log="$scratch/$name.log"
  start=$(date +%s)
  "$binary" -max_total_time="$wall_limit" -timeout=20 -rss_limit_mb=2560 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$target-" "$scratch/$name" "$root/tests/fuzz/corpus/$name" > "$log" 2>&1 &
  pid=$!
  used=0
  interrupted=0
  while running "$pid"; do
    used=$(cpu_seconds "$pid")
    if [ "$clock" = cpu ] && [ "$used" -ge "$seconds" ]; then
      kill -INT "$pid" 2>/dev/null && interrupted=1
      break
    fi
    sleep 1
  done
  set +e
  wait "$pid"
  rc=$?
  set -e
  # libFuzzer answers SIGINT with its statistics and exit code 72.
  if [ $interrupted -eq 1 ] && [ $rc -eq 72 ]; then rc=0; fi
  took=$(( $(date +%s) - start ))
  # A crash on the first input prints no statistics: nothing found is not an error here.
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
  coverage=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -1 | cut -d' ' -f2)
  corpus=$(find "$scratch/$name" "$root/tests/fuzz/corpus/$name" -type f | wc -l)
  outcome="no crash, leak or sanitizer report"
  if [ $rc -ne 0 ]; then
    outcome="FAILED (exit $rc): $(grep -m1 -E 'ERROR|runtime error|SUMMARY' "$log" || echo 'see the log')"
    cp "$log" "$artifacts/$target.log"
    failed=1
  fi
  printf '%-24s %8s %8s %12s %8s %8s  %s\n' "$target" "$took" "$used" "${runs:-?}" "${coverage:-?}" "$corpus" "$outcome"
done
exit $failed
