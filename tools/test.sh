#!/usr/bin/env bash
# Builds and runs every test: g++ and clang++ (warnings are errors), then the
# unit tests once more under AddressSanitizer + UndefinedBehaviorSanitizer.
# Each stage is a preset of CMakePresets.json (configure, build and test presets of the same
# name; binary dirs build/<preset>): the flags are defined there, once.
#   bash tools/test.sh            everything
#   QUICK=1 bash tools/test.sh    g++ only, no sanitizers
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
jobs=$(nproc)

configure() {  # <preset>: configure build/<preset>, printing the log only when it fails
  cmake --preset "$1" >"build/$1.configure.log" 2>&1 || { cat "build/$1.configure.log"; exit 1; }
}
configure_build_test() {  # <preset>
  configure "$1"
  cmake --build --preset "$1" -j "$jobs"
  ctest --preset "$1" -j "$jobs"
}

mkdir -p build
echo "== g++: build and every test ($(date +%T))"
configure_build_test gcc
if [ "${QUICK:-0}" != 1 ]; then
  echo "== clang++: build and every test ($(date +%T))"
  # (examples, LibTorch and the single-header twins are covered by the g++ stage)
  configure_build_test clang
  echo "== g++ with AddressSanitizer + UndefinedBehaviorSanitizer: unit tests ($(date +%T))"
  configure_build_test asan
  echo "== clang++ libFuzzer: each fuzz target for \${AUTOLRS_FUZZ_SECONDS:-60} s (label fuzz) ($(date +%T))"
  ctest --preset clang-fuzz -j "$jobs"
  echo "== g++ with ThreadSanitizer: controllers and forecasters on several threads ($(date +%T))"
  configure_build_test tsan  # builds and runs test_reliability_threads only
fi
echo "autolrs: all tests passed ($(date +%T))"
