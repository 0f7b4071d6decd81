// The safety checker: the paper's guarantees (Figure 3) plus the promises
// the core makes about its own state, checked against everything every node
// has done, after every step of a simulation.
//
// It sees the cluster only through what nodes report (the entries they ask
// to persist, the entries they apply, the votes that leave them, their term
// and commit index), never through a node's private state, so the same
// checks would hold for any implementation.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "raft/core/log.hpp"
#include "raft/core/types.hpp"

namespace raft::sim {

// An entry some node applied, with the lowest term any node was in when it
// applied it: the term of the leader that committed it.
struct CommittedEntry {
  Term term = 0;
  EntryType type = EntryType::command;
  std::string data;
  Term commit_term = 0;
};

class Checker {
 public:
  explicit Checker(std::size_t node_count);

  // A node (re)started from its durable state: its volatile state starts
  // over, its durable term must not have gone back.
  void on_boot(NodeId id, const HardState& durable);
  // The disk made `state` durable for node `id`.
  void on_durable(NodeId id, const HardState& state);
  // Entries a node put in its log (a Ready's `entries`); `log` is the log
  // they now sit in.
  void on_entries(NodeId id, const std::vector<LogEntry>& entries,
                  const Log& log);
  // `id` won the election of `term` holding `log`.
  void on_leader(NodeId id, Term term, const Log& log);
  // `id`, in `term_now`, handed `entries` to its state machine.
  void on_applied(NodeId id, Term term_now,
                  const std::vector<LogEntry>& entries);
  // A granted vote left `from` for `to`.
  void on_vote_granted(NodeId from, NodeId to, Term term);
  // A node's term and commit index after a step.
  void on_state(NodeId id, Term term, Index commit_index);
  // A client heard from the leader of `leader_term` that `data` committed
  // at `index` with `term`.
  void on_client_ack(Index index, Term term, const std::string& data,
                     Term leader_term);

  // The first broken rule, if any; once set, later reports are ignored.
  const std::optional<std::string>& violation() const { return violation_; }

  // The last index node `id` applied in its current life.
  Index applied_index(NodeId id) const { return nodes_.at(id).applied; }
  // What is known committed at `index`, or nullptr.
  const CommittedEntry* committed_at(Index index) const;
  std::size_t committed_count() const { return committed_.size(); }

 private:
  // What the checker remembers of one node.
  struct NodeRecord {
    Term durable_term = 0;
    NodeId durable_vote = no_node;
    // Volatile: reset on every boot.
    Term term = 0;
    Index commit_index = 0;
    Index applied = 0;
  };

  // One (index, term) ever seen in any log, with what it must always be.
  struct Slot {
    Term term = 0;
    Term prev_term = 0;
    EntryType type = EntryType::command;
    std::string data;
  };

  void fail(std::string what);
  void check_log_matching(NodeId id, const LogEntry& entry, Term prev_term);
  void check_leader_completeness(NodeId id, Term term, const Log& log);
  void check_client_acks(NodeId id, Term term, const Log& log);

  std::optional<std::string> violation_;
  std::vector<NodeRecord> nodes_;  // indexed by node id; [0] unused

  // Election Safety: the leader of each term.
  std::map<Term, NodeId> leaders_;
  // One vote per term per node, as seen on the wire.
  std::map<std::pair<NodeId, Term>, NodeId> votes_;
  // Log Matching: slots_[index] holds every term seen at that index.
  std::vector<std::vector<Slot>> slots_;
  // State Machine Safety: committed_[i] is the entry applied at index i+1.
  std::vector<CommittedEntry> committed_;

  struct Ack {
    Index index;
    Term term;
    std::string data;
    Term leader_term;
  };
  std::vector<Ack> acks_;
};

}  // namespace raft::sim
