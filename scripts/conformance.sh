#!/usr/bin/env bash
# The Linux kernel's packetdrill selftests (tools/testing/selftests/net/packetdrill/tcp_*.pkt)
# run through `netsim drill` as a conformance suite (docs/conformance.md). Installs Debian's
# linux-source-6.12 when missing, extracts only that folder, runs every script and prints a
# table: pass, fail (the first mismatch) or out of scope (the feature netsim does not model).
# Exit 1 only when a script listed as passing in tests/drill/conformance-expected.txt no longer
# passes; other changes are printed. Usage: scripts/conformance.sh [--markdown] [NETSIM]
set -euo pipefail
cd "$(dirname "$0")/.."
markdown=0
if [ "${1:-}" = "--markdown" ]; then
  markdown=1
  shift
fi
netsim=${1:-}
if [ -z "$netsim" ]; then
  for b in build/cli/netsim build-dev/cli/netsim; do
    if [ -x "$b" ]; then netsim=$b; break; fi
  done
fi
if [ -z "$netsim" ] || [ ! -x "$netsim" ]; then
  echo "conformance: no netsim binary (build first, or pass its path)" >&2
  exit 2
fi

tarball=/usr/src/linux-source-6.12.tar.xz
if [ ! -f "$tarball" ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "conformance: installing linux-source-6.12 (the kernel selftests live in its tarball)" >&2
  $sudo apt-get install -y -q linux-source-6.12 >/dev/null
fi
folder=linux-source-6.12/tools/testing/selftests/net/packetdrill
cache=${NETSIM_CONFORMANCE_DIR:-${TMPDIR:-/tmp}/netsim-conformance}
if [ ! -f "$cache/$folder/defaults.sh" ] || [ "$tarball" -nt "$cache/$folder/defaults.sh" ]; then
  rm -rf "$cache"
  mkdir -p "$cache"
  tar -xJf "$tarball" -C "$cache" --wildcards "$folder/*"
fi
dir=$cache/$folder
expected=tests/drill/conformance-expected.txt

declare -A want=()
if [ -f "$expected" ]; then
  while read -r name status _; do
    [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
    want[$name]=$status
  done <"$expected"
fi

if [ $markdown -eq 1 ]; then
  echo "| script | result | why |"
  echo "|---|---|---|"
else
  printf '%-58s %-12s %s\n' script result why
fi
pass=0 fail=0 scope=0 regressed=0
for f in "$dir"/tcp_*.pkt; do
  name=$(basename "$f")
  set +e
  out=$(cd "$dir" && "$OLDPWD/$netsim" drill "$name" 2>&1)
  set -e
  first=${out%%$'\n'*}
  why=$(printf '%s\n' "$out" | sed -n 2p | sed -e 's/^ *//' -e "s/^$name:[0-9]*:[0-9]*: //")
  case "$first" in
    PASS*) status=pass why=""; pass=$((pass + 1)) ;;
    SKIP*) status=out-of-scope why=${why#not modelled by netsim: }; scope=$((scope + 1)) ;;
    FAIL*) status=fail; fail=$((fail + 1)) ;;
    *) status=error; fail=$((fail + 1)) ;;
  esac
  line=$(printf '%s\n' "$out" | sed -n 2p | { grep -o "^ *$name:[0-9]*" || true; } | sed 's/.*://')
  if [ "$status" = fail ]; then why="line $line: $why"; fi
  if [ $markdown -eq 1 ]; then
    echo "| $name | $status | ${why//|/\\|} |"
  else
    printf '%-58s %-12s %s\n' "$name" "$status" "$why"
  fi
  if [ "${want[$name]:-}" = pass ] && [ "$status" != pass ]; then
    echo "conformance: REGRESSION: $name passed before and is now $status" >&2
    regressed=$((regressed + 1))
  elif [ -n "${want[$name]:-}" ] && [ "${want[$name]}" != "$status" ]; then
    echo "conformance: note: $name was ${want[$name]}, now $status (update $expected)" >&2
  fi
done
echo
echo "conformance: $pass pass, $fail fail, $scope out of scope ($dir)"
[ $regressed -eq 0 ] || exit 1
