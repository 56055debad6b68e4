#!/usr/bin/env bash
# Builds and runs every test: g++ and clang++ (warnings are errors), then the
# unit tests once more under AddressSanitizer + UndefinedBehaviorSanitizer.
#   bash tools/test.sh            everything
#   QUICK=1 bash tools/test.sh    g++ only, no sanitizers
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
jobs=$(nproc)

configure_build_test() {  # <build dir> <ctest args...> -- <cmake args...>
  local dir=$1; shift
  local ctest_args=()
  while [ "$1" != "--" ]; do ctest_args+=("$1"); shift; done; shift
  # -O2 without -g: debug information costs a fifth of the compile time and no test reads it.
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
    -DAUTOLRS_WARNINGS_AS_ERRORS=ON "$@" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" -j "$jobs"
  (cd "$dir" && ctest --output-on-failure -j "$jobs" "${ctest_args[@]}")
}

mkdir -p build
echo "== g++: build and every test ($(date +%T))"
configure_build_test build/gcc -- -DCMAKE_CXX_COMPILER=g++
if [ "${QUICK:-0}" != 1 ]; then
  echo "== clang++: build and every test ($(date +%T))"
  # (examples, LibTorch and the single-header twins are covered by the g++ stage)
  configure_build_test build/clang -L "unit|compile_fail|build" -- -DCMAKE_CXX_COMPILER=clang++ \
    -DAUTOLRS_TEST_SINGLE_HEADER=OFF -DAUTOLRS_BUILD_BENCHMARKS=OFF -DAUTOLRS_BUILD_EXAMPLES=OFF
  echo "== g++ with AddressSanitizer + UndefinedBehaviorSanitizer: unit tests ($(date +%T))"
  configure_build_test build/asan -L unit -- -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Debug \
    -DAUTOLRS_TEST_SINGLE_HEADER=OFF -DAUTOLRS_BUILD_BENCHMARKS=OFF -DAUTOLRS_BUILD_EXAMPLES=OFF -DAUTOLRS_USE_TORCH=OFF \
    "-DCMAKE_CXX_FLAGS=-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1"
  echo "== clang++ libFuzzer: each fuzz target for \${AUTOLRS_FUZZ_SECONDS:-60} s (label fuzz) ($(date +%T))"
  (cd build/clang && ctest --output-on-failure -j "$jobs" -L fuzz)
  echo "== g++ with ThreadSanitizer: controllers and forecasters on several threads ($(date +%T))"
  cmake -S . -B build/tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER=g++ -DAUTOLRS_TEST_SINGLE_HEADER=OFF \
    -DAUTOLRS_BUILD_BENCHMARKS=OFF -DAUTOLRS_BUILD_EXAMPLES=OFF \
    "-DCMAKE_CXX_FLAGS=-fsanitize=thread -O1" >build/tsan.configure.log 2>&1 || { cat build/tsan.configure.log; exit 1; }
  cmake --build build/tsan -j "$jobs" --target test_reliability_threads
  build/tsan/tests/unit/test_reliability_threads
fi
echo "autolrs: all tests passed ($(date +%T))"
