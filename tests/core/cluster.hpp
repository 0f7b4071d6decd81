// A hand-driven cluster of Raft cores for scenario tests.
//
// Nothing happens on its own: a test fires timers, and the cluster only
// drains Readies, "writes" them to an in-memory disk, reports them
// persisted, and moves messages onto a network that the test delivers,
// drops, holds or reorders as the scenario needs.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "printers.hpp"
#include "raft/core/raft.hpp"

namespace raft::test {

// What one node's storage holds: everything its Readies asked to persist.
struct Disk {
  HardState hard_state;
  std::vector<LogEntry> log;
};

// A node's starting point: the state storage would hand back on boot.
struct Boot {
  HardState hard_state;
  std::vector<LogEntry> log;
};

// Builds a log 1..n from a list of terms, e.g. log_of({1, 1, 4}).
std::vector<LogEntry> log_of(const std::vector<Term>& terms);

// The terms along a log, for readable comparisons.
std::vector<Term> terms_of(const Log& log);

Message request_vote(NodeId from, NodeId to, Term term, Index last_index,
                     Term last_term);

Message append_entries(NodeId from, NodeId to, Term term, Index prev_index,
                       Term prev_term, std::vector<LogEntry> entries,
                       Index leader_commit);

// The messages of kind T in `messages`.
template <typename T>
std::vector<T> bodies_of(const std::vector<Message>& messages) {
  std::vector<T> out;
  for (const Message& message : messages) {
    if (const auto* body = std::get_if<T>(&message.body)) {
      out.push_back(*body);
    }
  }
  return out;
}

bool has_event(const Ready& ready, Event::Kind kind);

// A lone core with id `id` in a cluster of members 1..size, for tests that
// hand it messages one at a time.
Raft make_raft(NodeId id, std::size_t size, Boot boot = {}, Config base = {});

// Step `raft` with `message` and return what it asks for.
Ready step(Raft& raft, const Message& message);

// Time `raft` out into a candidate and report its term and vote durable, as
// a runtime would once its write finished; returns the Ready of the timeout.
Ready campaign(Raft& raft);

// Make `raft` (of a cluster of `size`) leader of its next term by handing it
// votes from the following ids; returns the Ready of the election.
Ready elect(Raft& raft, std::size_t size);

class Cluster {
 public:
  // `size` fresh nodes with ids 1..size.
  explicit Cluster(std::size_t size, Config base = {});
  // One node per Boot, ids 1..boots.size().
  explicit Cluster(std::vector<Boot> boots, Config base = {});

  Raft& node(NodeId id) { return *nodes_.at(id); }
  const Disk& disk(NodeId id) const { return disks_.at(id); }
  std::vector<NodeId> ids() const;

  // Drain every node's Ready until none has output left.
  void flush();
  void flush(NodeId id);

  // Timers.
  void election_timeout(NodeId id);
  void heartbeat(NodeId leader);

  // Client.
  std::optional<Proposal> propose(NodeId leader, std::string data);

  // Hold a node's writes: its entries stay unreported to persisted() and
  // its persistence-bound messages stay unsent until persist() is called.
  void hold_disk(NodeId id, bool hold) { disk_held_[id] = hold; }
  void persist(NodeId id);

  // The network. Messages wait in `in_flight` in send order; a test may
  // edit, reorder or clear it.
  std::deque<Message>& in_flight() { return in_flight_; }
  // Messages for which `drop` returns true vanish when sent.
  void set_drop(std::function<bool(const Message&)> drop);
  void isolate(NodeId id);
  void heal() { set_drop(nullptr); }
  // Deliver `message` now, whatever is in flight.
  void deliver(const Message& message);
  // Deliver the first in-flight message; false if none is left.
  bool deliver_one();
  // Deliver until the network is quiet (bounded); returns how many.
  std::size_t deliver_all();
  // Remove and return every in-flight message matching `pick`.
  std::vector<Message> take(const std::function<bool(const Message&)>& pick);

  // Everything each node ever sent, in order, dropped messages included.
  const std::vector<Message>& sent() const { return sent_; }
  template <typename T>
  std::vector<T> sent_of() const {
    return bodies_of<T>(sent_);
  }
  // Committed entries each node handed out, in order.
  const std::vector<LogEntry>& applied(NodeId id) { return applied_[id]; }
  // Every Ready each node produced, in order.
  const std::vector<Ready>& readies(NodeId id) { return readies_[id]; }

  // The leader of the highest term, or no_node.
  NodeId leader() const;

 private:
  struct Pending {
    std::vector<Message> messages;
    Index index = 0;
    Term term = 0;
    std::optional<HardState> hard_state;
  };

  void handle_ready(NodeId id, Ready ready);
  void write(NodeId id, const Ready& ready);
  void send(const Message& message);

  std::map<NodeId, std::unique_ptr<Raft>> nodes_;
  std::map<NodeId, Disk> disks_;
  std::map<NodeId, bool> disk_held_;
  std::map<NodeId, Pending> pending_;
  std::map<NodeId, std::vector<LogEntry>> applied_;
  std::map<NodeId, std::vector<Ready>> readies_;
  std::deque<Message> in_flight_;
  std::function<bool(const Message&)> drop_;
  std::vector<Message> sent_;
};

}  // namespace raft::test
