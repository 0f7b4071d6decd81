#!/bin/bash
# Profiles the leader under 128 clients x 100-byte puts, fsync on: perf
# stat and a flat perf record (self time per function) of the leader's
# process for 3 s of steady load, then the share of every thread on the
# machine for 2 s. Writes bench/throughput/results/profile-cCLIENTS-sSIZE.txt.
#
#   bench/throughput/profile.sh [clients] [value_bytes]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build="$root/build/tprel"
results="$root/bench/throughput/results"
work=$(mktemp -d /tmp/tp-profile-XXXXXX)
clients=${1:-128}
size=${2:-100}
bench_pid=""

cleanup() {
  if [ -n "$bench_pid" ]; then
    kill "$bench_pid" 2>/dev/null || true
    wait "$bench_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The same release build run.sh uses, built if missing or stale.
cmake --preset release -B "$build" >/dev/null
cmake --build "$build" -j2 --target raft_node throughput >/dev/null

if ! command -v perf >/dev/null; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get install -y linux-perf
fi

"$build/bench/throughput/throughput" --raft-node "$build/src/apps/raft_node" \
  --systems raft --clients "$clients" --sizes "$size" --fsync on \
  --warmup 1 --duration 9 --show-pids --gnuplot "" --out "$work" \
  > "$work/bench.out" 2>&1 &
bench_pid=$!

# The leader's PID, once the cluster is up (at most 30 s).
leader=""
for _ in $(seq 60); do
  leader=$(sed -n 's/^pids: leader \([0-9]*\).*/\1/p' "$work/bench.out")
  [ -n "$leader" ] && break
  sleep 0.5
done
[ -n "$leader" ] || { cat "$work/bench.out"; exit 1; }

# Every thread of the cluster, named by its role, for the machine-wide view.
all=$(sed -n 's/^pids: .* all \([0-9,]*\).*/\1/p' "$work/bench.out" | tr ',' ' ')
: > "$work/roles.sed"
for pid in $all; do
  role=follower
  [ "$pid" = "$leader" ] && role=leader
  for tid in $(ls "/proc/$pid/task" 2>/dev/null); do
    thread="disk thread"
    [ "$tid" = "$pid" ] && thread="strand"
    echo "s/^\\( *[0-9.]*%  *\\)$tid:raft_node/\\1$role $thread ($tid)/" \
      >> "$work/roles.sed"
  done
done

sleep 2  # past the warm-up
perf stat -p "$leader" -o "$work/stat.txt" \
  -e task-clock,context-switches,cpu-migrations,page-faults,cycles,instructions \
  -- sleep 3 &
stat_pid=$!
perf record -F 1999 -p "$leader" -o "$work/perf.data" -- sleep 3 \
  2> "$work/record.log"
wait "$stat_pid"
# The whole machine: the cluster, the load generator, the kernel's workers.
perf record -a -F 999 -o "$work/all.data" -- sleep 2 2> "$work/record-all.log"
wait "$bench_pid"
bench_pid=""

{
  echo "# leader under $clients clients x $size B puts, fsync on"
  grep '^\[' "$work/bench.out"
  cat "$work/stat.txt"
  echo "# self time by function (perf record -F 1999, 3 s)"
  perf report -i "$work/perf.data" --no-children --sort dso,sym --stdio \
    2>/dev/null | grep -v "^$" | head -70 || true
  echo "# self time by DSO"
  perf report -i "$work/perf.data" --no-children --sort dso --stdio \
    2>/dev/null | grep -v "^#" | grep -v "^$" | head -15 || true
  echo "# the whole machine (2 s, perf record -a): CPU time by thread"
  perf report -i "$work/all.data" --no-children --sort pid --stdio \
    2>/dev/null | grep '%' | grep -v '^#' | sed -f "$work/roles.sed" |
    head -15 || true
} > "$results/profile-c${clients}-s${size}.txt"
cat "$results/profile-c${clients}-s${size}.txt"
