#!/usr/bin/env bash
# Builds and runs the main demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DAUTOLRS_BUILD_TESTS=OFF -DAUTOLRS_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/demo -j "$(nproc)" --target autolrs_quickstart
./build/demo/examples/autolrs_quickstart "$@"
