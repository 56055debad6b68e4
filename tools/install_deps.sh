#!/usr/bin/env bash
# Installs the Debian 12 packages that autolrs' build, tests, demo and benchmarks use.
# Run as root (or with sudo available). Safe to run again.
set -euo pipefail
packages=(
  build-essential cmake python3 clang libclang-rt-14-dev
  libeigen3-dev libboost-math-dev catch2 libbenchmark-dev
  nlohmann-json3-dev libcli11-dev
  libtorch-dev dataset-fashion-mnist
  libopenmpi-dev openmpi-bin
  gnuplot-nox
  zlib1g-dev           # the Fashion-MNIST demo reads the gzip dataset files
  libopenblas0-openmp  # a fast BLAS for LibTorch: Debian's default reference BLAS makes the MLP ~18x slower
  valgrind
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  echo "autolrs: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
