// The same crash experiment on etcd (Debian's etcd-server 3.4), for
// comparison: three members on 127.0.0.1 with --heartbeat-interval 30
// --election-timeout 150, which etcd randomizes over [150, 300) ms in
// whole 30 ms ticks.
//
// etcd has no monotonic stamps in its logs. Its zap logger stamps each
// line with the wall clock in whole milliseconds, so the kill time is taken
// with CLOCK_REALTIME and each downtime is known to about 1 ms (the stamps
// are truncated: a downtime reads up to 1 ms short). "raft.node: X elected
// leader Y at term T" is what a member logs when it first hears from the
// new leader, the counterpart of raft_node's "Following leader".
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "election_watch.hpp"

namespace raft::bench {

struct EtcdSetup {
  std::string program;  // the etcd binary
  std::size_t members = 3;
  int heartbeat_ms = 30;
  int election_timeout_ms = 150;
  std::chrono::milliseconds cap{10'000};
  std::filesystem::path data_root;
  std::uint64_t seed = 1;
};

// One line of etcd's zap JSON: its wall-clock stamp and message.
struct EtcdLine {
  std::int64_t time_ns = 0;  // CLOCK_REALTIME
  std::string msg;
};
std::optional<EtcdLine> parse_etcd_line(const std::string& line);

class EtcdBench {
 public:
  explicit EtcdBench(EtcdSetup setup);
  ~EtcdBench();

  EtcdBench(const EtcdBench&) = delete;
  EtcdBench& operator=(const EtcdBench&) = delete;

  void run(int trials, const std::function<void(const Trial&)>& done);

  // The range etcd's flags amount to, for the table.
  Range range() const;

 private:
  struct Member {
    std::uint16_t client_port = 0;
    std::uint16_t peer_port = 0;
    std::filesystem::path dir;
    std::unique_ptr<Process> process;
    std::size_t parsed = 0;
    // What this member last said about terms and leaders.
    Term term = 0;
    NodeId leader = no_node;
  };
  struct Steady {
    NodeId leader = no_node;
    Term term = 0;
  };

  Trial run_trial(int index, Steady steady);
  void start(NodeId id);
  Steady bring_up();
  std::optional<Steady> agreement() const;
  std::optional<Steady> wait_steady(std::chrono::milliseconds timeout);
  // Reads new lines, updates each member's view and returns the events.
  std::vector<ElectionEvent> take_events();
  std::optional<ElectionEvent> to_event(NodeId id, const EtcdLine& line);
  std::vector<Process*> processes();
  std::vector<NodeId> ids() const;
  std::string cluster_flag() const;

  EtcdSetup setup_;
  std::map<NodeId, Member> members_;
  // etcd's hexadecimal member ids, as each member names itself in its log.
  std::map<std::uint64_t, NodeId> by_hex_;
  Random random_;
};

}  // namespace raft::bench
