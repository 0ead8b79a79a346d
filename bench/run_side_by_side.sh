#!/bin/sh
# Runs the issue-7 benchmark workloads (bench/scenarios/*.yaml) with `/usr/bin/time -v` and
# prints a table: wall time, peak RSS, events, µs per connection and the ratio to ns-3.
# The ns-3 columns: measured in the same run (alternately with netsim) where an ns-3 program
# exists (bench/ns3/*.cc, built when libns3-dev is installed: src "run"), otherwise the figure
# the issue measured on this machine (ns-3 3.37: src "issue").
#
#   bench/run_side_by_side.sh [NETSIM_BINARY]     default: build-release/cli/netsim
#   QUICK=1 bench/run_side_by_side.sh              skip the 100k and 1M sizes (and the 1M-connection row)
#   ONLY=hold bench/run_side_by_side.sh            only the hold-model rows (no netsim CLI needed)
#   ONLY="handshake lossy" ...                      only these workloads (hold, handshake, lossy,
#                                                   flood, established)
#   NS3_SCHEDULERS="heap priority-queue" ...        ns-3 schedulers tried besides its default on
#                                                   the hold rows (also: calendar, list, map); the
#                                                   fastest is printed as "best" (issue 16)
#
# The hold-model rows (workload 1) run bench_hold, found next to the netsim binary
# ($(dirname NETSIM)/../bench/bench_hold: the same build tree) or at $BENCH_HOLD.
#
# Build netsim in Release first: cmake -B build-release -DCMAKE_BUILD_TYPE=Release &&
# cmake --build build-release --target netsim -j2
set -eu
here=$(cd "$(dirname "$0")" && pwd)
netsim=${1:-$here/../build-release/cli/netsim}
[ "${ONLY:-}" = hold ] || [ -x "$netsim" ] || { echo "run_side_by_side.sh: no netsim binary at $netsim" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "run_side_by_side.sh: needs /usr/bin/time (apt install time)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ns-3 programs: linked against its module libraries directly (Debian's ns3-core.pc names a
# libgsl.so that only libgsl-dev provides).
ns3_build=${NS3_BUILD:-$here/../build-ns3}
have_ns3=0
if [ -f /usr/include/ns3/core-module.h ]; then
  mkdir -p "$ns3_build"
  for src in "$here"/ns3/*.cc; do
    bin=$ns3_build/$(basename "$src" .cc)
    # Each program needs only these modules (applications for BulkSend/PacketSink); the TCP ones
    # include linux_like.h (the TCP set up as netsim's `linux` profile).
    if ! [ "$bin" -nt "$src" ] || ! [ "$bin" -nt "$here/ns3/linux_like.h" ]; then
      g++ -O2 -std=c++17 -o "$bin" "$src" -lns3-core -lns3-network -lns3-internet \
        -lns3-point-to-point -lns3-applications
    fi
  done
  have_ns3=1
fi

# measure CMD...: sets wall (s), cpu (user + system s) and rss (MiB) from /usr/bin/time -v.
measure() {
  /usr/bin/time -v -o "$tmp/time" "$@" >"$tmp/out" 2>&1 || return 1
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0;
           for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$tmp/time")
  cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ { s += $2 } END { printf "%.2f", s }' \
    "$tmp/time")
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$tmp/time")
}

# The last column of the scenario rows: the speedup in CPU time (user + system), steadier than
# wall time on a shared machine, where waiting for a core counts in wall time only.
printf '%-34s %9s %10s %11s %10s %9s %9s %9s %6s %7s\n' workload wall_s peak_MiB events us/conn \
  ns3_s ns3_MiB speedup src cpu_x
# run LABEL N NS3 SCENARIO --set ...: one row. NS3 is the issue's ns-3 seconds, "-", or
# "prog:NAME" to run bench/ns3/NAME.cc just before netsim (the two alternate).
run() {
  label=$1 n=$2 ns3=$3 file=$4
  shift 4
  ns3_rss=- src=issue ns3_cpu=-
  [ "$ns3" = - ] && src=-
  case $ns3 in prog:*)
    prog=${ns3#prog:}
    ns3=-
    src=-
    if [ $have_ns3 = 1 ]; then
      # shellcheck disable=SC2086 # "NAME --arg=value ...": split on purpose
      if measure $ns3_build/$prog; then ns3=$wall ns3_rss=$rss ns3_cpu=$cpu src=run; fi
    fi
    ;;
  esac
  if ! measure "$netsim" run "$here/scenarios/$file" -q --summary "$tmp/summary.json" "$@"; then
    printf '%-34s %s\n' "$label" "FAILED: $(head -c 300 "$tmp/out")"
    failed=1
    return 0
  fi
  events=$(grep -m1 '"events"' "$tmp/summary.json" | tr -dc '0-9')
  per=$(awk -v w="$wall" -v n="$n" 'BEGIN { if (n > 0) printf "%.1f", w * 1e6 / n; else print "-" }')
  ratio=$(awk -v w="$wall" -v r="$ns3" 'BEGIN { if (r == "-") print "-";
            else if (w < 0.01) printf ">%.0fx", r / 0.01; else printf "%.0fx", r / w }')
  cpu_ratio=$(awk -v c="$cpu" -v r="$ns3_cpu" 'BEGIN { if (r == "-") print "-";
                else if (c < 0.01) printf ">%.0fx", r / 0.01; else printf "%.0fx", r / c }')
  printf '%-34s %9s %10s %11s %10s %9s %9s %9s %6s %7s\n' "$label" "$wall" "$rss" "$events" \
    "$per" "$ns3" "$ns3_rss" "$ratio" "$src" "$cpu_ratio"
}

# hold_row LABEL N E ISSUE_S: workload 1, the hold model: bench/ns3/hold.cc, then bench_hold,
# with --n=N --events=E; both print "... executed=E run_s=S events_per_s=R". ISSUE_S is the
# issue's ns-3 seconds or "-", used when ns-3 is not installed. The extra last column is the
# run loop's rate (Simulator::Run / Simulator::run only), netsim/ns-3 in M events/s.
hold_row() {
  label=$1 n=$2 e=$3 ns3=$4
  ns3_rss=- ns3_rate=- src=issue
  if [ "$ns3" = - ]; then src=-; else ns3_rate=$(awk -v e="$e" -v s="$ns3" 'BEGIN { printf "%.2f", e / s / 1e6 }'); fi
  if [ $have_ns3 = 1 ]; then
    ns3=- ns3_rate=- src=-
    if measure "$ns3_build/hold" --n="$n" --events="$e"; then
      ns3=$wall ns3_rss=$rss src=run ns3_rate=$(mrate)
    fi
  fi
  if [ ! -x "$bench_hold" ]; then
    printf '%-34s %s\n' "$label" "skipped: no bench_hold at $bench_hold (build target bench_hold or set BENCH_HOLD)"
    return 0
  fi
  if ! measure "$bench_hold" --n="$n" --events="$e"; then
    printf '%-34s %s\n' "$label" "FAILED: $(head -c 300 "$tmp/out")"
    failed=1
    return 0
  fi
  events=$(sed -n 's/.* executed=\([0-9]*\).*/\1/p' "$tmp/out")
  ratio=$(awk -v w="$wall" -v r="$ns3" 'BEGIN { if (r == "-") print "-";
            else if (w < 0.01) printf ">%.0fx", r / 0.01; else printf "%.1fx", r / w }')
  # Saved: the ns-3 schedulers measured next overwrite wall, rss and the rate.
  ours_wall=$wall ours_rss=$rss ours_rate=$(mrate)
  # ns-3's other schedulers, run after netsim; the fastest is "best" (its run-loop rate and
  # netsim's speedup over it, both on wall time).
  best=-
  if [ $have_ns3 = 1 ]; then
    best_s=
    for sched in ${NS3_SCHEDULERS-heap priority-queue}; do
      if measure "$ns3_build/hold" --n="$n" --events="$e" --scheduler="$sched"; then
        if [ -z "$best_s" ] || awk -v a="$wall" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then
          best_s=$wall best_name=$sched best_rate=$(mrate)
        fi
      fi
    done
    if [ -n "$best_s" ]; then
      best=$(awk -v w="$ours_wall" -v r="$best_s" -v n="$best_name" -v m="$best_rate" \
        'BEGIN { printf "%s %ss %sMev/s %.1fx", n, r, m, r / w }')
    fi
  fi
  printf '%-34s %9s %10s %11s %10s %9s %9s %9s %6s  Mev/s %s/%s  ns3-best: %s\n' "$label" \
    "$ours_wall" "$ours_rss" "$events" - "$ns3" "$ns3_rss" "$ratio" "$src" "$ours_rate" "$ns3_rate" \
    "$best"
}
# mrate: the events_per_s of the last measured program, in M events/s.
mrate() {
  sed -n 's/.* events_per_s=\([0-9]*\).*/\1/p' "$tmp/out" | awk '{ printf "%.2f", $1 / 1e6 }'
}

# wanted NAME: true when workload NAME is to run (ONLY unset: all of them).
wanted() {
  case " ${ONLY:-$1} " in *" $1 "*) return 0 ;; esac
  return 1
}

failed=0
sizes="1000 10000 100000"
floods="10000 20000 100000 1000000"
holds="1000 100000 1000000"
if [ "${QUICK:-0}" = 1 ]; then sizes="1000 10000"; floods="10000 20000"; holds="1000 100000"; fi

# Workload 1: the hold model, N pending events, 5M executed (issue: ns-3 ~1.0 M events/s at
# N = 1e5 with its default scheduler, so 5.0 s).
bench_hold=${BENCH_HOLD:-$(dirname "$netsim")/../bench/bench_hold}
wanted hold || holds=
for n in $holds; do
  issue=-; [ "$n" = 100000 ] && issue=5.0
  hold_row "hold N=$(awk -v n="$n" 'BEGIN { printf "1e%d", log(n) / log(10) + 0.5 }') E=5e6" \
    "$n" 5000000 "$issue"
done
if [ "${ONLY:-}" = hold ]; then exit $failed; fi

# Workload 2: handshake-echo, sequential (one at a time) and concurrent (2.5 ms apart, ~24 in
# flight). Closer than 60 s / 28,232 ephemeral ports = 2.1 ms, the client's TIME_WAITs would use
# up its ports and connect() fails with EADDRINUSE, as on Linux.
# ns-3 runs at 1k and 10k only (100k sequential would take it minutes).
wanted handshake || sizes=
for n in $sizes; do
  ns3=-; [ "$n" = 10000 ] && ns3=13.2
  [ $have_ns3 = 1 ] && [ "$n" -le 10000 ] && ns3="prog:handshake_echo --n=$n --interval=0.1"
  run "handshake-echo seq N=$n" "$n" "$ns3" handshake-echo.yaml \
    --set apps.1.tcp_client.count="$n" --set apps.1.tcp_client.interval=100ms
done
for n in $sizes; do
  ns3=-; [ "$n" = 10000 ] && ns3=17.9
  [ $have_ns3 = 1 ] && [ "$n" -le 10000 ] && ns3="prog:handshake_echo --n=$n --interval=0.0025"
  run "handshake-echo conc N=$n" "$n" "$ns3" handshake-echo.yaml \
    --set apps.1.tcp_client.count="$n" --set apps.1.tcp_client.interval=2500us
done
# Workload 3: lossy bulk, 100 MB, 1% loss.
if ! wanted lossy; then
  :
elif [ $have_ns3 = 1 ]; then
  run "lossy-bulk 100MB 1%" 0 "prog:lossy_bulk" lossy-bulk.yaml
else
  run "lossy-bulk 100MB 1%" 0 2.5 lossy-bulk.yaml
fi
# Workload 4: SYN flood, the legitimate client in the middle of it.
wanted flood || floods=
for n in $floods; do
  ns3=-; [ "$n" = 10000 ] && ns3=32.5; [ "$n" = 20000 ] && ns3=163
  # ns-3 at 10k and 20k only: it grows quadratically (1M would take it days).
  [ $have_ns3 = 1 ] && [ "$n" -le 20000 ] && ns3="prog:syn_flood --n=$n --rate=10000"
  mid=$(awk -v n="$n" 'BEGIN { printf "%gs", n / 20000 }')
  run "syn-flood N=$n" "$n" "$ns3" syn-flood.yaml --set apps.2.syn_flood.count="$n" --set apps.1.tcp_client.at="$mid"
done
# Scale: one million concurrent established connections in one run (target: under 2 GiB).
# No ns-3 row: its sockets cost far more (not measured).
if [ "${QUICK:-0}" != 1 ] && wanted established; then
  run "established N=1000000 (held open)" 1000000 - million-established.yaml
fi
exit $failed
