#!/usr/bin/env bash
# Builds the release preset and runs a three-node Raft cluster on 127.0.0.1:
# elect a leader, write keys through raft_ctl, SIGKILL the leader, watch the
# others elect a new one in a higher term and serve every acknowledged key,
# restart the killed node and watch it follow and catch up. Every node's own
# output is shown as it happens, between the script's `==>` lines.
#
#   scripts/demo.sh                       # ports 7001-7003
#   DEMO_BASE_PORT=8001 scripts/demo.sh   # ports 8001-8003
#
# Exit status: 0 when every step happened, 1 (with the reason) otherwise.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly REPO_ROOT
readonly RAFT_NODE="${REPO_ROOT}/build/release/src/apps/raft_node"
readonly RAFT_CTL="${REPO_ROOT}/build/release/src/apps/raft_ctl"
# What the demo writes: key=value pairs, all checked after the failover.
readonly DEMO_KEYS=(jakarta=34.6N surabaya=2.9M bandung=2.5M medan=2.4M
  semarang=1.7M)
readonly BASE_PORT="${DEMO_BASE_PORT:-7001}"
readonly NODE_IDS=(1 2 3)
# Each wait gives up after this long, so the demo never hangs.
readonly WAIT_SECONDS=15

declare -A NODE_PID=()  # node id -> pid of its raft_node, while it runs
STARTED_PIDS=()         # every pid we ever started, for the exit trap
DATA_ROOT=""
PEERS=""

say() {
  printf '\n==> %s\n' "$*"
}

fail() {
  printf '\n==> FAILED: %s\n' "$*" >&2
  exit 1
}

# Runs on every exit path (success, failure, Ctrl-C), so no node outlives us.
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ -n "$DATA_ROOT" ]]; then
    rm -rf -- "$DATA_ROOT"
  fi
  exit "$status"
}

port_of() {
  echo $((BASE_PORT + $1 - 1))
}

check_base_port() {
  if ! [[ "$BASE_PORT" =~ ^[0-9]+$ ]] || ((BASE_PORT < 1 || BASE_PORT > 65533)); then
    fail "DEMO_BASE_PORT='${BASE_PORT}' must be a port number from 1 to 65533"
  fi
}

# A port is taken if something already answers on it; the node would then
# fail to bind, so say so before starting anything.
check_ports_free() {
  local id port
  for id in "${NODE_IDS[@]}"; do
    port="$(port_of "$id")"
    if timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/${port}" 2>/dev/null; then
      fail "port ${port} on 127.0.0.1 is already in use" \
        "(stop what uses it, or set DEMO_BASE_PORT to another base port)"
    fi
  done
}

build() {
  say "Installing missing Debian packages (if any)"
  "${REPO_ROOT}/scripts/install-deps.sh"

  say "Building the release preset"
  cd "$REPO_ROOT"
  cmake --preset release
  cmake --build --preset release
  [[ -x "$RAFT_NODE" ]] || fail "build finished but ${RAFT_NODE} is missing"
  [[ -x "$RAFT_CTL" ]] || fail "build finished but ${RAFT_CTL} is missing"
}

cluster_addresses() {
  local id out=""
  for id in "${NODE_IDS[@]}"; do
    out+="${out:+,}127.0.0.1:$(port_of "$id")"
  done
  echo "$out"
}

# raft_ctl against the whole cluster: it finds the leader by itself.
ctl() {
  "$RAFT_CTL" --cluster "$(cluster_addresses)" --timeout 10 "$@"
}

write_keys() {
  local pair
  for pair in "${DEMO_KEYS[@]}"; do
    printf '    raft_ctl put %s %s -> ' "${pair%%=*}" "${pair#*=}"
    ctl put "${pair%%=*}" "${pair#*=}" || fail "put ${pair%%=*} failed"
  done
}

# Every key the cluster acknowledged must read back with its value.
check_keys() {
  local pair value
  for pair in "${DEMO_KEYS[@]}"; do
    value="$(ctl get "${pair%%=*}")" || fail "get ${pair%%=*} failed"
    printf '    raft_ctl get %s -> %s\n' "${pair%%=*}" "$value"
    [[ "$value" == "${pair#*=}" ]] ||
      fail "key ${pair%%=*} reads '${value}', but '${pair#*=}' was acknowledged"
  done
}

# Waits until every running node has applied as far as the leader has
# committed: the replicas have converged.
wait_for_convergence() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  local id line commit applied target

  while ((SECONDS < deadline)); do
    check_alive
    line="$(query_status "$LEADER")"
    target="$(json_field "$line" commit_index)"
    local behind=0
    for id in "${!NODE_PID[@]}"; do
      line="$(query_status "$id")"
      applied="$(json_field "$line" last_applied)"
      if [[ -z "$target" || "${applied:-0}" != "$target" ]]; then
        behind=1
      fi
    done
    ((behind)) || return 0
    sleep 0.2
  done
  fail "the nodes did not converge within ${WAIT_SECONDS} s"
}

# Starts one node in the background, its output going straight to our
# terminal so all three interleave line by line.
start_node() {
  local id=$1
  "$RAFT_NODE" --id "$id" --peers "$PEERS" \
    --data-dir "${DATA_ROOT}/node-${id}" &
  NODE_PID[$id]=$!
  STARTED_PIDS+=("$!")
}

is_running() {
  kill -0 "${NODE_PID[$1]}" 2>/dev/null
}

# Prints the node's one-line status reply, or nothing if it does not answer
# within a second. Plain bash /dev/tcp: no python or netcat needed.
query_status() {
  local port
  port="$(port_of "$1")"
  # The inner script is single-quoted on purpose: $1 is its own argument.
  # shellcheck disable=SC2016
  timeout 1 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "{\"type\":\"status\"}\n" >&3
    IFS= read -r line <&3 && printf "%s\n" "$line"
  ' _ "$port" 2>/dev/null || true
}

# json_field LINE NAME: the value of a flat string or number field.
json_field() {
  local pattern="\"$2\":\"?([A-Za-z0-9_]+)\"?"
  if [[ "$1" =~ $pattern ]]; then
    echo "${BASH_REMATCH[1]}"
  fi
}

# Stops the demo if a node we expect to be running has exited on its own.
check_alive() {
  local id
  for id in "${!NODE_PID[@]}"; do
    is_running "$id" || fail "node ${id} exited unexpectedly (see its output above)"
  done
}

# Sets LEADER and LEADER_TERM once the running nodes agree: exactly one says it
# leads a term above $1, and every other one follows it in that term.
# Fails after WAIT_SECONDS.
wait_for_leader() {
  local min_term=$1
  local deadline=$((SECONDS + WAIT_SECONDS))
  local id line role term leader_id leaders agreed candidate candidate_term

  while ((SECONDS < deadline)); do
    check_alive
    leaders=0 agreed=1 candidate="" candidate_term=0
    declare -A seen_term=() seen_leader=()
    for id in "${!NODE_PID[@]}"; do
      line="$(query_status "$id")"
      role="$(json_field "$line" role)"
      term="$(json_field "$line" term)"
      leader_id="$(json_field "$line" leader_id)"
      seen_term[$id]="${term:-0}"
      seen_leader[$id]="${leader_id:-0}"
      if [[ "$role" == leader ]]; then
        leaders=$((leaders + 1))
        candidate="$id" candidate_term="${term:-0}"
      fi
    done
    if ((leaders == 1 && candidate_term > min_term)); then
      for id in "${!NODE_PID[@]}"; do
        if [[ "${seen_term[$id]}" != "$candidate_term" ||
              "${seen_leader[$id]}" != "$candidate" ]]; then
          agreed=0
        fi
      done
      if ((agreed)); then
        LEADER="$candidate" LEADER_TERM="$candidate_term"
        return 0
      fi
    fi
    sleep 0.2
  done
  fail "no single leader above term ${min_term} within ${WAIT_SECONDS} s"
}

# Waits until node $1 says it follows node $2 in term $3.
wait_for_follower() {
  local id=$1 leader=$2 term=$3
  local deadline=$((SECONDS + WAIT_SECONDS))
  local line

  while ((SECONDS < deadline)); do
    check_alive
    line="$(query_status "$id")"
    if [[ "$(json_field "$line" role)" == follower &&
          "$(json_field "$line" leader_id)" == "$leader" &&
          "$(json_field "$line" term)" == "$term" ]]; then
      return 0
    fi
    sleep 0.2
  done
  fail "node ${id} did not follow leader ${leader} in term ${term}" \
    "within ${WAIT_SECONDS} s"
}

# SIGTERM asks each node to stop cleanly; each should exit 0.
stop_all() {
  local id status
  for id in "${!NODE_PID[@]}"; do
    kill -TERM "${NODE_PID[$id]}" 2>/dev/null || true
  done
  for id in "${NODE_IDS[@]}"; do
    status=0
    wait "${NODE_PID[$id]}" || status=$?
    ((status == 0)) || fail "node ${id} exited with status ${status} on SIGTERM"
  done
}

main() {
  check_base_port
  build

  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  DATA_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/raft-demo.XXXXXX")"
  local id
  for id in "${NODE_IDS[@]}"; do
    PEERS+="${PEERS:+,}${id}=127.0.0.1:$(port_of "$id")"
  done
  check_ports_free

  say "Starting three nodes on 127.0.0.1 ports $(port_of 1)-$(port_of 3)" \
    "(data under ${DATA_ROOT})"
  for id in "${NODE_IDS[@]}"; do
    start_node "$id"
  done

  say "Waiting for the nodes to elect a leader"
  wait_for_leader 0
  say "Node ${LEADER} leads term ${LEADER_TERM}; raft_ctl status asks every node:"
  ctl status

  say "Writing ${#DEMO_KEYS[@]} keys with raft_ctl (each acknowledged once" \
    "a majority has it on disk and the leader applied it)"
  write_keys
  wait_for_convergence
  say "raft_ctl status: every node holds the same log"
  ctl status

  # Let a few heartbeats go by, so the cluster is seen to be steady.
  say "Letting the cluster run for 2 s (the leader sends heartbeats every 50 ms)"
  sleep 2
  local old_leader=$LEADER old_term=$LEADER_TERM
  say "Killing the leader, node ${old_leader} (pid ${NODE_PID[$old_leader]}), with SIGKILL"
  kill -KILL "${NODE_PID[$old_leader]}"
  wait "${NODE_PID[$old_leader]}" 2>/dev/null || true
  unset "NODE_PID[$old_leader]"

  say "Waiting for the two survivors to elect a new leader in a term above ${old_term}"
  wait_for_leader "$old_term"
  say "Node ${LEADER} leads term ${LEADER_TERM}:"
  ctl status

  say "Reading every acknowledged key back from the new leader"
  check_keys
  printf '    raft_ctl put after-failover yes -> '
  ctl put after-failover yes || fail "put after the failover failed"

  say "Restarting node ${old_leader} on its data dir (its term and vote survive the crash)"
  start_node "$old_leader"
  wait_for_follower "$old_leader" "$LEADER" "$LEADER_TERM"
  say "Node ${old_leader} follows leader ${LEADER} in term ${LEADER_TERM}"
  wait_for_convergence
  say "raft_ctl status: node ${old_leader} caught up on what it missed"
  ctl status

  say "Stopping every node with SIGTERM"
  stop_all
  say "Demo finished: all three nodes stopped cleanly"
}

main "$@"
