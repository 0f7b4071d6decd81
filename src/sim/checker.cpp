#include "raft/sim/checker.hpp"

#include <fmt/format.h>

namespace raft::sim {

Checker::Checker(std::size_t node_count) : nodes_(node_count + 1) {}

void Checker::fail(std::string what) {
  if (!violation_) {
    violation_ = std::move(what);
  }
}

const CommittedEntry* Checker::committed_at(Index index) const {
  if (index == 0 || index > committed_.size()) {
    return nullptr;
  }
  return &committed_[index - 1];
}

// ---------------------------------------------------------------------------
// Terms, votes and commit indexes

void Checker::on_boot(NodeId id, const HardState& durable) {
  NodeRecord& node = nodes_.at(id);
  on_durable(id, durable);

  // Volatile state starts over: commit_index may restart from 0.
  node.term = durable.current_term;
  node.commit_index = 0;
  node.applied = 0;
}

void Checker::on_durable(NodeId id, const HardState& state) {
  NodeRecord& node = nodes_.at(id);
  if (state.current_term < node.durable_term) {
    fail(fmt::format("durable term went back on node {}: {} -> {}", id,
                     node.durable_term, state.current_term));
    return;
  }

  // Within one term a durable vote may be cast, never changed.
  const bool same_term = state.current_term == node.durable_term;
  if (same_term && node.durable_vote != no_node &&
      state.voted_for != node.durable_vote) {
    fail(fmt::format("durable vote changed on node {} in term {}: {} -> {}",
                     id, state.current_term, node.durable_vote,
                     state.voted_for));
    return;
  }
  node.durable_term = state.current_term;
  node.durable_vote = state.voted_for;
}

void Checker::on_vote_granted(NodeId from, NodeId to, Term term) {
  // §5.2: each server votes for at most one candidate in a given term.
  const auto [it, inserted] = votes_.try_emplace({from, term}, to);
  if (!inserted && it->second != to) {
    fail(fmt::format("Vote Safety: node {} voted for {} and for {} in term {}",
                     from, it->second, to, term));
  }
}

void Checker::on_state(NodeId id, Term term, Index commit_index) {
  NodeRecord& node = nodes_.at(id);
  if (term < node.term) {
    fail(fmt::format("term went back on node {}: {} -> {}", id, node.term,
                     term));
  }
  if (commit_index < node.commit_index) {
    fail(fmt::format("commit index went back on node {}: {} -> {}", id,
                     node.commit_index, commit_index));
  }
  node.term = term;
  node.commit_index = commit_index;
}

// ---------------------------------------------------------------------------
// Log Matching

void Checker::on_entries(NodeId id, const std::vector<LogEntry>& entries,
                         const Log& log) {
  for (const LogEntry& entry : entries) {
    const Term prev_term = log.term_at(entry.index - 1);
    check_log_matching(id, entry, prev_term);
  }
}

void Checker::check_log_matching(NodeId id, const LogEntry& entry,
                                 Term prev_term) {
  // Two logs agreeing on (index, term) agree on everything before it. By
  // induction it is enough that every (index, term) ever seen always holds
  // the same entry and follows the same term.
  if (slots_.size() <= entry.index) {
    slots_.resize(entry.index + 1);
  }
  for (const Slot& slot : slots_[entry.index]) {
    if (slot.term != entry.term) {
      continue;
    }
    if (slot.prev_term != prev_term || slot.type != entry.type ||
        slot.data != entry.data) {
      fail(fmt::format("Log Matching: node {} holds a different entry at "
                       "index {} term {} (data '{}' after term {}, seen "
                       "'{}' after term {})",
                       id, entry.index, entry.term, entry.data, prev_term,
                       slot.data, slot.prev_term));
    }
    return;
  }
  slots_[entry.index].push_back(
      Slot{entry.term, prev_term, entry.type, entry.data});
}

// ---------------------------------------------------------------------------
// Leaders

void Checker::on_leader(NodeId id, Term term, const Log& log) {
  const auto [it, inserted] = leaders_.try_emplace(term, id);
  if (!inserted && it->second != id) {
    fail(fmt::format("Election Safety: nodes {} and {} both lead term {}",
                     it->second, id, term));
    return;
  }
  check_leader_completeness(id, term, log);
  check_client_acks(id, term, log);
}

void Checker::check_leader_completeness(NodeId id, Term term,
                                        const Log& log) {
  // §5.4: an entry committed in a term is in the log of every leader of
  // every later term.
  for (Index index = 1; index <= committed_.size(); ++index) {
    const CommittedEntry& entry = committed_[index - 1];
    if (entry.commit_term >= term) {
      continue;
    }
    if (!log.holds(index) || log.term_at(index) != entry.term ||
        log.at(index).data != entry.data) {
      fail(fmt::format("Leader Completeness: node {} leads term {} without "
                       "entry {} (term {}, '{}') committed in term {}",
                       id, term, index, entry.term, entry.data,
                       entry.commit_term));
      return;
    }
  }
}

void Checker::check_client_acks(NodeId id, Term term, const Log& log) {
  for (const Ack& ack : acks_) {
    if (ack.leader_term >= term) {
      continue;
    }
    if (!log.holds(ack.index) || log.term_at(ack.index) != ack.term ||
        log.at(ack.index).data != ack.data) {
      fail(fmt::format("a client saw '{}' committed at {} in term {}, but "
                       "node {} leads term {} without it",
                       ack.data, ack.index, ack.leader_term, id, term));
      return;
    }
  }
}

// ---------------------------------------------------------------------------
// State Machine Safety

void Checker::on_applied(NodeId id, Term term_now,
                         const std::vector<LogEntry>& entries) {
  NodeRecord& node = nodes_.at(id);
  for (const LogEntry& entry : entries) {
    if (entry.index != node.applied + 1) {
      fail(fmt::format("node {} applied index {} after {}", id, entry.index,
                       node.applied));
      return;
    }
    node.applied = entry.index;

    if (entry.index > committed_.size()) {
      committed_.push_back(
          CommittedEntry{entry.term, entry.type, entry.data, term_now});
      continue;
    }
    CommittedEntry& known = committed_[entry.index - 1];
    if (known.term != entry.term || known.data != entry.data) {
      fail(fmt::format("State Machine Safety: node {} applied '{}' (term "
                       "{}) at index {}, another node applied '{}' (term {})",
                       id, entry.data, entry.term, entry.index, known.data,
                       known.term));
      return;
    }
    known.commit_term = std::min(known.commit_term, term_now);
  }
}

void Checker::on_client_ack(Index index, Term term, const std::string& data,
                            Term leader_term) {
  acks_.push_back(Ack{index, term, data, leader_term});
}

}  // namespace raft::sim
