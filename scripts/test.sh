#!/usr/bin/env bash
# Installs, builds and runs every test: the release build's tests, then a
# clang ASan+UBSan build of the tests (which also runs over ../shared/corpus)
# and each libFuzzer target for a bounded time. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh --test
jobs=$(nproc)
fuzz_seconds=${SG_FUZZ_SECONDS:-6}

echo "== release build and tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 600
bash scripts/test-package.sh build  # the .deb, installed into a fresh root, run with the source tree hidden

python3 scripts/signature-coverage.py || echo "signature coverage: the script failed (figures not printed)"

echo "== sanitizer (ASan+UBSan) build of the tests, and fuzzers"
CC=clang-14 CXX=clang++-14 cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Debug -DSG_FUZZ=ON -DSG_BENCH=OFF >/dev/null
cmake --build build-san -j"$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-san --output-on-failure -j"$jobs" --timeout 1200

echo "== fuzzing, ${fuzz_seconds}s per target"
for f in build-san/*_fuzz; do
  [[ -x "$f" ]] || continue
  name=$(basename "$f")
  seeds="tests/fuzz_seeds/${name%_fuzz}"
  work=$(mktemp -d)
  args=("$work")
  [[ -d "$seeds" ]] && args+=("$seeds")
  echo "-- $name"
  # A crashing input is kept in build-san/fuzz-artifacts/ (named in the output).
  mkdir -p build-san/fuzz-artifacts
  "$f" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 \
       -artifact_prefix=build-san/fuzz-artifacts/"$name"- "${args[@]}" 2>&1 | tail -n 3
  rm -rf "$work"
done
echo "== all tests passed"
