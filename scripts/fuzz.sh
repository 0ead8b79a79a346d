#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang in build-fuzz/ and runs each for SECONDS
# (default 60), starting from the committed seeds in fuzz/corpus/<target>/. New inputs collect
# in build-fuzz/corpus/<target>/; a crash, hang or memory blow-up stops the script with exit 1
# and leaves its input in build-fuzz/findings/. docs/reliability.md explains what to do next.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: fuzz_loader fuzz_tcp fuzz_wire fuzz_drill)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_loader fuzz_tcp fuzz_wire fuzz_drill)

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not found; the fuzz targets need clang's libFuzzer (skipped)"
  exit 0
fi
build=build-fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNETSIM_FUZZ=ON \
  -DNETSIM_BUILD_TESTS=OFF -DNETSIM_BUILD_BENCH=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

# Per target: the longest input worth trying and extra options.
declare -A extra=(
  [fuzz_loader]="-max_len=16384 -dict=fuzz/loader.dict"
  [fuzz_tcp]="-max_len=4096"
  [fuzz_wire]="-max_len=2048 -use_value_profile=1"
  [fuzz_drill]="-max_len=4096 -dict=fuzz/drill.dict"
)
mkdir -p "$build/findings"
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t"
  log="$build/findings/$t.log"
  echo "fuzz: $t for ${seconds} s"
  # -timeout: one input may take 10 s at most (a hang); -rss_limit_mb: 2 GiB (unbounded
  # allocation); -error_exitcode: any finding fails the script.
  # shellcheck disable=SC2086
  if ! "$build/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 ${extra[$t]} \
      -artifact_prefix="$build/findings/$t-" "$build/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $t found a problem; its input is in $build/findings/ (log: $log)"
    exit 1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
  echo "fuzz: $t: ${runs} runs, ${rate} per second, ${cov}, corpus $(ls "$build/corpus/$t" | wc -l) new inputs"
done
