// Follows the story of one election in the nodes' own log lines and says
// when it is over: every surviving node knows one new leader, in one term
// above the crashed leader's. Works for raft_node and etcd alike; each
// system's lines are turned into these events by its own parser.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "raft/core/types.hpp"

namespace raft::bench {

struct ElectionEvent {
  enum class Kind {
    candidate,  // stood for election in `term`
    leader,     // took office in `term`
    follows,    // first heard from leader `leader` in `term`
    term_seen,  // moved to `term` (a vote, a step-down), leader unknown
  };
  Kind kind = Kind::term_seen;
  NodeId node = no_node;
  Term term = 0;
  NodeId leader = no_node;
  // On the clock the trial's kill time was taken with.
  std::int64_t time_ns = 0;
};

struct ElectionOutcome {
  NodeId leader = no_node;
  Term term = 0;
  // The new leader's own time, and the time the last and the
  // majority-making follower heard it.
  std::int64_t leader_ns = 0;
  std::int64_t all_ns = 0;
  std::int64_t majority_ns = 0;
};

class ElectionWatch {
 public:
  // `survivors` are the nodes that must learn the new leader; `cluster_size`
  // sets the majority.
  ElectionWatch(std::vector<NodeId> survivors, Term old_term,
                std::size_t cluster_size);

  // Events of one node must come in that node's order.
  void observe(const ElectionEvent& event);

  // Set once every survivor follows one leader of a new term.
  std::optional<ElectionOutcome> outcome() const;

  // Rounds: terms above the old one in which somebody stood.
  int rounds() const;
  // Whether a round below `final_term` had two or more candidates.
  bool split_vote(Term final_term) const;
  // The highest term any node reached (for a capped trial).
  Term highest_term() const;

 private:
  struct NodeState {
    Term term = 0;
    NodeId leader = no_node;
    std::int64_t since_ns = 0;
  };

  std::vector<NodeId> survivors_;
  Term old_term_;
  std::size_t majority_;
  std::map<NodeId, NodeState> state_;
  std::map<Term, std::set<NodeId>> candidates_;
};

}  // namespace raft::bench
