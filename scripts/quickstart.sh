#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, run the hello-echo scenario
# and draw its sequence diagram. Outputs land in out/hello-echo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target netsim
out=out/hello-echo
build/cli/netsim run scenarios/hello-echo.yaml -o "$out" --trace - \
  --diagram hello-echo.svg --diagram hello-echo.png --diagram hello-echo.txt \
  --pcap hello-echo.pcap --events events.jsonl --summary summary.json
echo
cat "$out/hello-echo.txt"
echo
echo "Wrote $out/hello-echo.svg, $out/hello-echo.png, $out/hello-echo.pcap, $out/events.jsonl, $out/summary.json"
