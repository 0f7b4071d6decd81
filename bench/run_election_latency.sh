#!/usr/bin/env bash
# Runs the election latency benchmark (the Raft paper's Figure 16) in one
# command: installs what is missing (the build's packages, etcd-server and
# gnuplot-nox from Debian), builds the release preset, and runs the whole
# experiment, writing CSV, tables and plot to bench/results/.
#
#   bench/run_election_latency.sh                  # the full run: 1,000 trials
#   bench/run_election_latency.sh --trials 200 \
#       --range-trials 150-150=20,150-151=20       # a shorter sweep
#   bench/run_election_latency.sh --quick          # a few seconds
#
# Any flag is passed on to election_latency (see its --help); --out
# defaults to bench/results.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/install-deps.sh

packages=(etcd-server gnuplot-nox)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null \
      | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing missing packages: ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
fi

cmake --preset release
cmake --build --preset release

# A private copy of raft_node, so that a rebuild during a long run cannot
# mix two binaries in one experiment.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$root/build/release/src/apps/raft_node" "$work/raft_node"

out=(--out "$root/bench/results")
node=(--raft-node "$work/raft_node")
for arg in "$@"; do
  case "$arg" in
    --out|--out=*) out=() ;;
    --raft-node|--raft-node=*) node=() ;;
  esac
done
"$root/build/release/bench/election_latency" "${out[@]}" "${node[@]}" "$@"
