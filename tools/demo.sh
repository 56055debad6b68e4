#!/usr/bin/env bash
# Builds and runs the main demo: AutoLRS on Fashion-MNIST with LibTorch (CPU).
#   bash tools/demo.sh                          defaults (outputs in build/demo/out)
#   bash tools/demo.sh --model cnn --optimizer adam --steps 4000
#   bash tools/demo.sh --range-test               nothing set: an LR range test finds the interval
# (examples/quickstart.cpp, target autolrs_quickstart, is the dependency-free example.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DAUTOLRS_BUILD_TESTS=OFF -DAUTOLRS_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build build/demo -j "$(nproc)" --target autolrs_demo
out=(--out build/demo/out)
for arg in "$@"; do
  case "$arg" in --out|--out=*) out=() ;; esac
done
./build/demo/examples/fashion_mnist/autolrs_demo "${out[@]}" "$@"
