// The paper's Figure 16 experiment on real raft_node processes: a cluster
// on 127.0.0.1 whose leader is killed over and over, each election timed
// from the nodes' own CLOCK_MONOTONIC stamps.
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

struct RaftSetup {
  std::string program;  // the raft_node binary
  std::size_t nodes = 5;
  Range range;
  std::chrono::milliseconds cap{10'000};
  std::filesystem::path data_root;  // empty: the system temp directory
  // Share of trials in which one follower lacks the newest entries.
  double unequal_share = 0.5;
  int unequal_entries = 3;
  std::uint64_t seed = 1;
};

// Turns one JSON line of raft_node into an election event; nothing for
// lines that say nothing about elections.
std::optional<ElectionEvent> parse_raft_line(const std::string& line,
                                             NodeId node);

class RaftBench {
 public:
  explicit RaftBench(RaftSetup setup);
  ~RaftBench();

  RaftBench(const RaftBench&) = delete;
  RaftBench& operator=(const RaftBench&) = delete;

  // Runs `trials` crashes of the leader, handing each result to `done`.
  // Throws ClusterFailed if the cluster cannot be made whole again.
  void run(int trials, const std::function<void(const Trial&)>& done);

 private:
  struct Member {
    std::uint16_t port = 0;
    std::filesystem::path dir;
    std::unique_ptr<Process> process;
    // Lines of `process` already turned into events.
    std::size_t parsed = 0;
  };

  // One leader that every asked node follows, in one term, with logs of
  // one length.
  struct Steady {
    NodeId leader = no_node;
    Term term = 0;
  };

  Trial run_trial(int index, Steady steady);
  // Kills a follower, writes entries without it and waits until the others
  // hold them; returns that follower, or nothing if the writes failed.
  std::optional<NodeId> lag_one_follower(int index, Steady& steady);
  Steady recover_after(const Trial& trial);

  void start(NodeId id);
  void kill(NodeId id);
  bool wait_started(NodeId id, integration::Deadline deadline);
  // Kills every node and starts them again one by one, until one leader
  // rules them all; a few attempts, then ClusterFailed.
  Steady bring_up();
  std::optional<Steady> agreement(const std::vector<NodeId>& ids);
  std::optional<Steady> wait_steady(const std::vector<NodeId>& ids,
                                    std::chrono::milliseconds timeout);
  std::vector<ElectionEvent> take_events(const std::vector<NodeId>& ids);
  std::vector<Process*> processes(const std::vector<NodeId>& ids);
  std::vector<NodeId> ids() const;
  std::vector<NodeId> ids_except(NodeId left_out) const;
  std::string peers_flag() const;

  RaftSetup setup_;
  std::map<NodeId, Member> members_;
  Random random_;
};

}  // namespace raft::bench
