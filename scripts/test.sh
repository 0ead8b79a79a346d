#!/usr/bin/env bash
# Builds netsim (Release, warnings as errors) and runs the whole test suite with ctest.
# Usage: scripts/test.sh [--sanitize]   (ASan+UBSan build in build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=build
flags=(-DCMAKE_BUILD_TYPE=Release -DNETSIM_WERROR=ON)
if [ "${1:-}" = "--sanitize" ]; then
  build=build-asan
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DNETSIM_WERROR=ON -DNETSIM_SANITIZE=ON -DNETSIM_BUILD_BENCH=OFF)
fi
cmake -S . -B "$build" "${flags[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build" && ctest --output-on-failure -j"$(nproc)"
