// What every part of the election latency benchmark shares: the timeout
// ranges, one trial's result, the two clocks, and the stop flag that SIGINT
// and SIGTERM raise so that every process we started is killed on the way
// out (their owners' destructors do it, by PID).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "harness.hpp"
#include "raft/core/types.hpp"

namespace raft::bench {

using integration::Process;

// One election timeout range, in whole milliseconds as raft_node takes it.
struct Range {
  int min_ms = 150;
  int max_ms = 300;

  std::string label() const;
  // Half the minimum, as in the paper; raft_node needs it below the minimum.
  int heartbeat_ms() const { return std::max(1, min_ms / 2); }

  friend bool operator==(const Range&, const Range&) = default;
};

// "150-300" -> {150, 300}. Throws std::invalid_argument.
Range parse_range(std::string_view text);

// What one crash of the leader cost. Times are from the kill, in ms.
struct Trial {
  std::string system;  // "raft" or "etcd"
  std::size_t nodes = 0;
  Range range;
  int index = 0;
  // Until every surviving node had heard the new leader's first heartbeat
  // (the paper's measure); the cap when `capped`.
  double downtime_ms = 0;
  // Until a majority (the leader and enough followers) knew the new leader.
  double majority_ms = 0;
  // Until the new leader took office.
  double leader_ms = 0;
  Term old_term = 0;
  Term new_term = 0;
  // Election rounds: terms in which some node stood as candidate.
  int rounds = 0;
  // Some round before the last had two or more candidates.
  bool split_vote = false;
  bool unequal_logs = false;
  bool capped = false;
  std::string old_leader;
  std::string new_leader;
};

// Both clocks by clock_gettime, in nanoseconds. CLOCK_MONOTONIC is the one
// raft_node stamps its JSON lines with; etcd stamps its lines with the wall
// clock, so its trials use CLOCK_REALTIME.
std::int64_t monotonic_ns();
std::int64_t realtime_ns();
double ns_to_ms(std::int64_t ns);

// Thrown out of every wait once SIGINT or SIGTERM arrived.
class Stopped : public std::runtime_error {
 public:
  Stopped() : std::runtime_error("stopped by a signal") {}
};

// Installs handlers (without SA_RESTART, so that poll() returns early).
void install_stop_handlers();
bool stop_requested();
void throw_if_stopped();

// A cluster could not be brought to a steady state with one leader.
class ClusterFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Waits up to `timeout` for output from any of `processes`, then reads what
// every one of them has printed. Returns early on output or a signal.
void pump(const std::vector<Process*>& processes,
          std::chrono::milliseconds timeout);

// Keeps reading `processes` until `until` (a monotonic_ns time): a wait
// that is part of the experiment's design, never a stand-in for an event.
void pump_until(const std::vector<Process*>& processes, std::int64_t until);

// A fresh directory under `root` (the system temp directory when empty).
std::filesystem::path make_data_dir(const std::filesystem::path& root,
                                    const std::string& prefix);

// "ext4", "tmpfs" or the magic number: where the nodes' fsyncs go.
std::string filesystem_kind(const std::filesystem::path& path);

// `name` if it holds a '/', else the first executable of that name on PATH;
// empty if there is none.
std::string find_program(const std::string& name);

using Random = std::mt19937_64;

}  // namespace raft::bench
