#!/bin/bash
# The full write-throughput sweep: ours against etcd, fsync on and off.
#
#   bench/throughput/run.sh [throughput flags...]
#
# Builds the release raft_node and the benchmark in build/tprel, installs
# etcd (Debian etcd-server) when it is missing, and writes
# bench/throughput/results/throughput.{csv,md,svg,png}. Extra flags go to
# the benchmark, e.g. --duration 2 --clients 1,128 --repeat 1. Each point
# runs 3 times on fresh clusters and the median run is reported.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/tprel"
results="$root/bench/throughput/results"

if ! command -v etcd >/dev/null 2>&1; then
  echo "etcd missing: installing etcd-server"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get install -y etcd-server || echo "no etcd: ours only"
fi
if ! command -v gnuplot >/dev/null 2>&1; then
  echo "gnuplot missing: no chart (apt-get install gnuplot-nox)"
fi

cmake --preset release -B "$build" >/dev/null
cmake --build "$build" -j2 --target raft_node throughput

# The sweep's defaults, each only where the caller did not give its own
# (the benchmark refuses a flag given twice).
defaults=()
for flag in duration:5 warmup:1 repeat:3 out:bench/throughput/results; do
  name=${flag%%:*}
  case " $* " in
    *" --$name "* | *" --$name="*) ;;
    *) defaults+=("--$name" "${flag#*:}") ;;
  esac
done

# The console output goes beside the results, wherever --out puts them.
out="$results"
previous=""
for arg in "$@"; do
  [ "$previous" = "--out" ] && out="$arg"
  case "$arg" in --out=*) out="${arg#--out=}" ;; esac
  previous="$arg"
done

mkdir -p "$results" "$out"
cd "$root"
"$build/bench/throughput/throughput" \
  --raft-node "$build/src/apps/raft_node" \
  --etcd "$(command -v etcd || echo /usr/bin/etcd)" \
  "${defaults[@]}" "$@" 2>&1 |
  tee "$out/throughput.log"
