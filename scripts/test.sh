#!/usr/bin/env bash
# Builds netsim (Release, warnings as errors) and runs the whole test suite with ctest.
# Usage: scripts/test.sh [--sanitize]   (ASan+UBSan build with clang in build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
build=build
flags=(-DCMAKE_BUILD_TYPE=Release -DNETSIM_WERROR=ON)
if [ "${1:-}" = "--sanitize" ]; then
  # The sanitizer build is also the clang build (-Werror as well), so CI compiles everything
  # with both gcc and clang without a third build (docs/reliability.md "CI").
  build=build-asan
  flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DNETSIM_WERROR=ON -DNETSIM_SANITIZE=ON -DNETSIM_BUILD_BENCH=OFF)
  if command -v clang++ >/dev/null 2>&1; then
    flags+=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++)
  else
    echo "test.sh: clang++ not found; the sanitizer build uses the default compiler" >&2
  fi
fi
cmake -S . -B "$build" "${flags[@]}" >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build" && ctest --output-on-failure -j"$(nproc)"
