#!/usr/bin/env bash
# Builds and runs every test: g++ and clang++ (warnings are errors), then the
# unit tests once more under AddressSanitizer + UndefinedBehaviorSanitizer.
# Each stage is a preset of CMakePresets.json (configure, build and test presets of the same
# name; binary dirs build/<preset>): the flags are defined there, once.
#   bash tools/test.sh            everything
#   QUICK=1 bash tools/test.sh    g++ only, no sanitizers
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

configure() {  # <preset>: configure build/<preset>, printing the log only when it fails
  cmake --preset "$1" >"build/$1.configure.log" 2>&1 || { cat "build/$1.configure.log"; exit 1; }
}
configure_build_test() {  # <preset>
  configure "$1"
  cmake --build --preset "$1" -j "$jobs"
  ctest --preset "$1" -j "$jobs"
}

# Each stage's wall time, printed when it ends and again, all together, at the end.
stage_times=()
stage_name=""
stage_start=$SECONDS
stage() {  # <title>: ends the running stage (if any) and starts the next
  if [ -n "$stage_name" ]; then
    local took=$((SECONDS - stage_start))
    stage_times+=("$(printf '%3dm%02ds  %s' $((took / 60)) $((took % 60)) "$stage_name")")
    echo "   ($stage_name: $((took / 60))m$((took % 60))s)"
  fi
  stage_name=$1
  stage_start=$SECONDS
  [ -n "$1" ] && echo "== $1 ($(date +%T))"
  return 0
}

mkdir -p build
stage "install_deps.sh"
bash tools/install_deps.sh
stage "g++: build and every test"
configure_build_test gcc
if [ "${QUICK:-0}" != 1 ]; then
  stage "clang++: build and every test"
  # (examples, LibTorch and the single-header twins are covered by the g++ stage)
  configure_build_test clang
  stage "clang++ with AddressSanitizer + UndefinedBehaviorSanitizer: unit tests"
  configure_build_test asan
  stage "clang++ libFuzzer: the fuzz targets side by side, each for ${AUTOLRS_FUZZ_SECONDS:-60} s (label fuzz)"
  # All at once, however many cores: a fuzzer's time is fixed, not its work, so three on two
  # cores take one slot of wall time instead of two (each gets two thirds of a core).
  fuzzers=$(ctest --preset clang-fuzz -N | sed -n 's/^Total Tests: //p')
  ctest --preset clang-fuzz -j "$((fuzzers > 0 ? fuzzers : 1))"
  stage "g++ with ThreadSanitizer: controllers and forecasters on several threads"
  configure_build_test tsan  # builds and runs test_reliability_threads only
fi
stage ""
echo "stage times (wall):"
printf '  %s\n' "${stage_times[@]}"
echo "autolrs: all tests passed in $((SECONDS / 60))m$((SECONDS % 60))s ($(date +%T))"
