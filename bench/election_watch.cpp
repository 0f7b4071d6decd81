#include "election_watch.hpp"

#include <algorithm>
#include <stdexcept>

namespace raft::bench {

ElectionWatch::ElectionWatch(std::vector<NodeId> survivors, Term old_term,
                             std::size_t cluster_size)
    : survivors_(std::move(survivors)),
      old_term_(old_term),
      majority_(cluster_size / 2 + 1) {
  if (survivors_.size() < majority_) {
    throw std::invalid_argument("fewer survivors than a majority");
  }
  for (const NodeId node : survivors_) {
    state_[node].term = old_term;
  }
}

void ElectionWatch::observe(const ElectionEvent& event) {
  const auto it = state_.find(event.node);
  if (it == state_.end() || event.term <= old_term_) {
    return;  // the crashed leader, or the term the trial started in
  }
  NodeState& node = it->second;

  switch (event.kind) {
    case ElectionEvent::Kind::candidate:
      candidates_[event.term].insert(event.node);
      node = NodeState{event.term, no_node, 0};
      break;
    case ElectionEvent::Kind::leader:
      node = NodeState{event.term, event.node, event.time_ns};
      break;
    case ElectionEvent::Kind::follows:
      // Only the first word from a leader counts: that is its first
      // heartbeat as this node saw it.
      if (event.term > node.term || node.leader != event.leader) {
        node = NodeState{event.term, event.leader, event.time_ns};
      }
      break;
    case ElectionEvent::Kind::term_seen:
      if (event.term > node.term) {
        node = NodeState{event.term, no_node, 0};
      }
      break;
  }
}

std::optional<ElectionOutcome> ElectionWatch::outcome() const {
  // The leader must be a survivor that says so itself.
  NodeId leader = no_node;
  Term term = 0;
  for (const auto& [id, node] : state_) {
    if (node.leader == id && node.term > old_term_) {
      leader = id;
      term = node.term;
    }
  }
  if (leader == no_node) {
    return std::nullopt;
  }

  std::vector<std::int64_t> followers_ns;
  for (const auto& [id, node] : state_) {
    if (node.term != term || node.leader != leader) {
      return std::nullopt;
    }
    if (id != leader) {
      followers_ns.push_back(node.since_ns);
    }
  }
  std::sort(followers_ns.begin(), followers_ns.end());

  ElectionOutcome outcome;
  outcome.leader = leader;
  outcome.term = term;
  outcome.leader_ns = state_.at(leader).since_ns;
  outcome.all_ns =
      followers_ns.empty() ? outcome.leader_ns : followers_ns.back();
  // A majority is the leader and majority - 1 followers.
  outcome.majority_ns =
      majority_ >= 2 ? followers_ns.at(majority_ - 2) : outcome.leader_ns;
  return outcome;
}

int ElectionWatch::rounds() const {
  return static_cast<int>(candidates_.size());
}

bool ElectionWatch::split_vote(Term final_term) const {
  return std::any_of(candidates_.begin(), candidates_.end(),
                     [&](const auto& round) {
                       return round.first < final_term &&
                              round.second.size() >= 2;
                     });
}

Term ElectionWatch::highest_term() const {
  Term highest = old_term_;
  for (const auto& [id, node] : state_) {
    (void)id;
    highest = std::max(highest, node.term);
  }
  return highest;
}

}  // namespace raft::bench
