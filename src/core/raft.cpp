#include "raft/core/raft.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <utility>

namespace raft {

namespace {

// A broken invariant is a bug in this code, never bad input: stop at once.
[[noreturn]] void invariant_failed(const char* what, NodeId id) {
  std::fprintf(stderr, "raft invariant violated on node %llu: %s\n",
               static_cast<unsigned long long>(id), what);
  std::abort();
}

}  // namespace

Raft::Raft(Config config, HardState hard_state, std::vector<LogEntry> log)
    : config_(std::move(config)),
      current_term_(hard_state.current_term),
      voted_for_(hard_state.voted_for),
      log_(std::move(log)) {
  if (config_.id == no_node || !is_member(config_.id)) {
    throw std::invalid_argument("this node's id is not among the members");
  }
  if (config_.max_entries_per_append == 0 ||
      config_.max_inflight_appends == 0) {
    throw std::invalid_argument("append bounds must be positive");
  }

  // Whatever storage handed back is durable already.
  persisted_index_ = log_.last_index();
  checked_term_ = current_term_;
}

const Progress* Raft::progress(NodeId peer) const {
  const auto it = progress_.find(peer);
  return it == progress_.end() ? nullptr : &it->second;
}

bool Raft::is_member(NodeId node) const {
  return std::find(config_.members.begin(), config_.members.end(), node) !=
         config_.members.end();
}

// ---------------------------------------------------------------------------
// Events

void Raft::step(const Message& message) {
  if (message.to != config_.id || message.from == config_.id ||
      !is_member(message.from)) {
    return;
  }
  const Term term = term_of(message.body);

  // §5.1: a higher term anywhere makes this node a follower of that term.
  if (term > current_term_) {
    const bool from_leader =
        std::holds_alternative<AppendEntries>(message.body);
    become_follower(term, from_leader ? message.from : no_node,
                    message.from);
  }

  // §5.1: a request from a stale term is refused, with our term in the reply
  // so that the sender steps down; a stale reply is dropped.
  if (term < current_term_) {
    if (std::holds_alternative<RequestVote>(message.body)) {
      send(message.from, RequestVoteReply{current_term_, false});
    } else if (std::holds_alternative<AppendEntries>(message.body)) {
      AppendEntriesReply reply;
      reply.term = current_term_;
      send(message.from, reply);
    }
    return;
  }

  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, RequestVote>) {
          handle_request_vote(message.from, body);
        } else if constexpr (std::is_same_v<T, RequestVoteReply>) {
          handle_request_vote_reply(message.from, body);
        } else if constexpr (std::is_same_v<T, AppendEntries>) {
          handle_append_entries(message.from, body);
        } else {
          handle_append_entries_reply(message.from, body);
        }
      },
      message.body);
}

void Raft::election_timeout() {
  // A leader has no election timer; the runtime may still deliver a late
  // expiry, which means nothing.
  if (role_ == Role::leader) {
    return;
  }
  // The codec and the hard state file refuse terms past max_term; a node
  // brought there stays a follower rather than write a term it could not
  // read back.
  if (current_term_ >= max_term) {
    return;
  }
  become_candidate();
}

void Raft::heartbeat_timeout(NodeId peer) {
  if (role_ != Role::leader) {
    return;
  }
  const auto it = progress_.find(peer);
  if (it == progress_.end()) {
    return;
  }
  Progress& p = it->second;

  // Streaming with entries outstanding: if match_index has not moved for two
  // heartbeats, a request or reply was probably lost. Fall back to probing
  // from the last known match, which resends what is missing.
  const bool outstanding = !p.probing && p.next_index - 1 > p.match_index;
  if (outstanding && ++p.stalled_heartbeats >= 2) {
    p.probing = true;
    p.next_index = p.match_index + 1;
    p.inflight = 0;
    p.stalled_heartbeats = 0;
    send_append(peer, true);
    return;
  }

  // Entries still in flight: a heartbeat at the last known match keeps the
  // follower's timer quiet without claiming anything about what is in flight.
  if (outstanding) {
    send_keepalive(peer);
    return;
  }
  send_append(peer, true);
}

std::optional<Proposal> Raft::propose(std::string data) {
  if (role_ != Role::leader) {
    return std::nullopt;
  }
  const Proposal proposal{log_.last_index() + 1, current_term_};
  log_.append(LogEntry{proposal.term, proposal.index, EntryType::command,
                       std::move(data)});
  mark_unstable(proposal.index);

  // Sent when the Ready is taken, so that every command proposed in between
  // travels in one AppendEntries per follower (batching).
  broadcast_pending_ = true;
  return proposal;
}

void Raft::persisted(Index index, Term term) {
  // A write may finish after the entries it carried were truncated away;
  // only count it if the log still holds the same entry.
  if (index == 0 || !log_.holds(index) || log_.term_at(index) != term) {
    return;
  }
  persisted_index_ = std::max(persisted_index_, index);
  if (role_ == Role::leader) {
    advance_commit_index();
  }
}

Ready Raft::take_ready() {
  if (broadcast_pending_) {
    broadcast_pending_ = false;
    if (role_ == Role::leader) {
      broadcast_append();
    }
  }
  if (hard_state_dirty_) {
    ready_.hard_state = HardState{current_term_, voted_for_};
    hard_state_dirty_ = false;
  }
  if (unstable_from_) {
    const auto tail = log_.tail_from(*unstable_from_);
    ready_.entries.assign(tail.begin(), tail.end());
    unstable_from_.reset();
  }
  collect_committed();
  check_invariants();
  return std::exchange(ready_, Ready{});
}

// ---------------------------------------------------------------------------
// Role changes

void Raft::become_follower(Term term, NodeId leader, NodeId cause) {
  if (term > current_term_) {
    set_term(term);
  }
  if (role_ == Role::leader) {
    // The election timer meant nothing while leading; start it afresh.
    ready_.reset_election_timer = true;
  }
  if (role_ != Role::follower) {
    emit(Event::Kind::stepped_down, cause);
  }
  role_ = Role::follower;
  votes_granted_.clear();
  progress_.clear();
  if (leader != leader_id_) {
    leader_id_ = leader;
    if (leader != no_node) {
      emit(Event::Kind::following, leader);
    }
  }
}

void Raft::become_candidate() {
  // §5.2: increment the term, vote for self, reset the election timer, and
  // ask everyone else for their vote.
  role_ = Role::candidate;
  set_term(current_term_ + 1);
  voted_for_ = config_.id;
  leader_id_ = no_node;
  progress_.clear();
  votes_granted_.clear();
  ready_.reset_election_timer = true;
  emit(Event::Kind::election_started);

  // The requests leave at once, while our own term and vote are still being
  // written: a request is not a reply, so §3.8's persist-before-send does
  // not hold it back, and the two writes (ours and each voter's) overlap
  // instead of following one another. Our own vote counts only once it is
  // durable (hard_state_persisted): a candidate that crashed before that
  // may come back in the old term and vote for someone else in this one,
  // so it must not have won this one.
  const RequestVote request{current_term_, config_.id, log_.last_index(),
                            log_.last_term()};
  for (const NodeId peer : config_.members) {
    if (peer != config_.id) {
      send_now(peer, request);
    }
  }
}

void Raft::become_leader() {
  role_ = Role::leader;
  leader_id_ = config_.id;
  votes_granted_.clear();
  emit(Event::Kind::became_leader, config_.id);

  // Figure 2: next_index starts just past the leader's log, match_index at 0.
  progress_.clear();
  for (const NodeId peer : config_.members) {
    if (peer != config_.id) {
      progress_[peer] = Progress{log_.last_index() + 1, 0, true, 0, 0};
    }
  }

  // Thesis §6.4: a no-op of the new term lets entries of earlier terms be
  // committed (§5.4.2 forbids counting replicas of those directly).
  const Index index = log_.last_index() + 1;
  log_.append(LogEntry{current_term_, index, EntryType::noop, {}});
  mark_unstable(index);
  broadcast_append();
}

// ---------------------------------------------------------------------------
// RequestVote

void Raft::handle_request_vote(NodeId from, const RequestVote& request) {
  // §5.2 one vote per term, first come first served; §5.4.1 only for a
  // candidate whose log is at least as up to date as ours.
  const bool free_to_vote = voted_for_ == no_node || voted_for_ == from;
  const bool up_to_date =
      log_.is_up_to_date(request.last_log_term, request.last_log_index);
  const bool grant =
      request.candidate_id == from && free_to_vote && up_to_date;

  if (grant) {
    if (voted_for_ != from) {
      voted_for_ = from;
      hard_state_dirty_ = true;
      emit(Event::Kind::voted, from);
    }
    ready_.reset_election_timer = true;
  } else {
    emit(Event::Kind::vote_denied, from);
  }
#ifdef RAFT_BUG_SWITCHES
  if (grant && config_.bugs.vote_reply_before_persist) {
    send_now(from, RequestVoteReply{current_term_, grant});
    return;
  }
#endif
  send(from, RequestVoteReply{current_term_, grant});
}

void Raft::handle_request_vote_reply(NodeId from,
                                     const RequestVoteReply& reply) {
  if (role_ != Role::candidate || !reply.vote_granted) {
    return;
  }
  if (std::find(votes_granted_.begin(), votes_granted_.end(), from) !=
      votes_granted_.end()) {
    return;  // a duplicated reply counts once
  }
  votes_granted_.push_back(from);
  if (votes_granted_.size() >= quorum()) {
    become_leader();
  }
}

void Raft::hard_state_persisted(const HardState& state) {
  // Only the write of this term's vote for ourselves counts; an older write
  // finishing late says nothing about the current election.
  if (role_ != Role::candidate || state.current_term != current_term_ ||
      state.voted_for != config_.id) {
    return;
  }
  if (std::find(votes_granted_.begin(), votes_granted_.end(), config_.id) !=
      votes_granted_.end()) {
    return;
  }
  votes_granted_.push_back(config_.id);
  if (votes_granted_.size() >= quorum()) {
    become_leader();
  }
}

// ---------------------------------------------------------------------------
// AppendEntries, follower side

void Raft::handle_append_entries(NodeId from, const AppendEntries& request) {
  if (request.leader_id != from) {
    return;
  }
  // The codec already refuses these; a core that trusted its input blindly
  // would corrupt its log on the one path that skipped the check.
  for (std::size_t i = 0; i < request.entries.size(); ++i) {
    const LogEntry& entry = request.entries[i];
    if (entry.index != request.prev_log_index + 1 + i ||
        entry.term > request.term) {
      return;
    }
  }
  // Election Safety says there is one leader per term; a second one is bad
  // input from the network, not something to act on.
  if (role_ == Role::leader) {
    return;
  }

  // §5.2: a candidate that hears from a leader of its own term steps down.
  if (role_ == Role::candidate) {
    become_follower(current_term_, from, from);
  } else if (leader_id_ != from) {
    leader_id_ = from;
    emit(Event::Kind::following, from);
  }
  ready_.reset_election_timer = true;

  AppendEntriesReply reply;
  reply.term = current_term_;

  // §5.3 consistency check: our log must hold prev_log_index with
  // prev_log_term. If not, say where our log diverges so the leader can skip
  // a whole term per round trip.
  if (request.prev_log_index > log_.last_index()) {
    reply.conflict_index = log_.last_index() + 1;
    send(from, reply);
    return;
  }
  if (log_.term_at(request.prev_log_index) != request.prev_log_term) {
    reply.conflict_term = log_.term_at(request.prev_log_index);
    reply.conflict_index =
        log_.first_index_of_term_ending_at(request.prev_log_index);
    send(from, reply);
    return;
  }

#ifdef RAFT_BUG_SWITCHES
  if (config_.bugs.stale_append_truncates) {
    // The bug: cut everything past what this request carries. Committed
    // entries are spared only so the core's own asserts stay quiet.
    const Index keep = std::max(
        request.prev_log_index + request.entries.size(), commit_index_);
    if (keep < log_.last_index()) {
      log_.truncate_from(keep + 1);
      mark_unstable(keep + 1);
    }
  }
#endif

  // §5.3: delete a conflicting entry and all that follow it, then append
  // what is new. Entries that match are skipped, never truncated: a stale or
  // reordered request must not cut a log that already holds more.
  for (const LogEntry& entry : request.entries) {
    if (log_.holds(entry.index)) {
      if (log_.term_at(entry.index) == entry.term) {
        continue;
      }
      if (entry.index <= commit_index_) {
        invariant_failed("leader sent a conflicting committed entry",
                         config_.id);
      }
      log_.truncate_from(entry.index);
    }
    log_.append(entry);
    mark_unstable(entry.index);
  }

  // Figure 2: commit up to min(leader_commit, last entry this request
  // verified); never backwards.
  const Index last_verified = request.prev_log_index + request.entries.size();
  const Index commit = std::min(request.leader_commit, last_verified);
  commit_index_ = std::max(commit_index_, commit);

  reply.success = true;
  reply.match_index = last_verified;
  send(from, reply);
}

// ---------------------------------------------------------------------------
// AppendEntries, leader side

void Raft::handle_append_entries_reply(NodeId from,
                                       const AppendEntriesReply& reply) {
  if (role_ != Role::leader) {
    return;
  }
  Progress& p = progress_.at(from);

  if (reply.success) {
    // A follower cannot match what we never had; such a reply is bad input.
    if (reply.match_index > log_.last_index()) {
      return;
    }
    if (reply.match_index > p.match_index) {
      p.match_index = reply.match_index;
      p.stalled_heartbeats = 0;
    }
    p.next_index = std::max(p.next_index, p.match_index + 1);
    p.inflight = p.inflight > 0 ? p.inflight - 1 : 0;
    p.probing = false;
    advance_commit_index();

    // Fill the pipeline window, so that catching up a long log takes one
    // round trip per window rather than per batch.
    for (std::size_t i = 0; i < config_.max_inflight_appends; ++i) {
      const Index before = p.next_index;
      send_append(from, false);
      if (p.next_index == before) {
        break;
      }
    }
    return;
  }

  // Rejected: use the follower's hint. If we hold entries of its conflicting
  // term, resume just past our last one; otherwise skip its whole term.
  Index next = reply.conflict_index;
  if (reply.conflict_term != 0) {
    const Index ours = log_.last_index_of_term(reply.conflict_term);
    if (ours != 0) {
      next = ours + 1;
    }
  }
  // Each rejection must move next_index back (so probing ends), but never
  // below what the follower is known to hold.
  next = std::min(next, p.next_index > 1 ? p.next_index - 1 : 1);
  p.next_index = std::max(next, p.match_index + 1);
  p.probing = true;
  p.inflight = 0;
  send_append(from, true);
}

void Raft::send_append(NodeId peer, bool force) {
  Progress& p = progress_.at(peer);
  if (!force) {
    const bool nothing_new = p.next_index > log_.last_index();
    const bool window_full = p.probing
                                 ? p.inflight > 0
                                 : p.inflight >= config_.max_inflight_appends;
    if (nothing_new || window_full) {
      return;
    }
  }

  AppendEntries request;
  request.term = current_term_;
  request.leader_id = config_.id;
  request.prev_log_index = p.next_index - 1;
  request.prev_log_term = log_.term_at(request.prev_log_index);
  request.entries = log_.slice(p.next_index, config_.max_entries_per_append,
                               config_.max_bytes_per_append);
  request.leader_commit = commit_index_;

  // Probing: one request at a time. Streaming: assume it will land and move
  // on (a rejection or a stall puts us back to probing).
  if (p.probing) {
    p.inflight = 1;
  } else if (!request.entries.empty()) {
    p.next_index = request.entries.back().index + 1;
    ++p.inflight;
  }
  send_now(peer, std::move(request));
}

void Raft::send_keepalive(NodeId peer) {
  const Progress& p = progress_.at(peer);
  AppendEntries request;
  request.term = current_term_;
  request.leader_id = config_.id;
  request.prev_log_index = p.match_index;
  request.prev_log_term = log_.term_at(p.match_index);
  request.leader_commit = commit_index_;
  send_now(peer, std::move(request));
}

void Raft::broadcast_append() {
  for (auto& [peer, p] : progress_) {
    (void)p;
    send_append(peer, false);
  }
  // A single-node cluster has nobody to wait for but its own disk.
  advance_commit_index();
}

void Raft::advance_commit_index() {
  // §5.4.2: only an entry of the current term is committed by counting
  // replicas; earlier entries follow it. Terms only grow along the log, so
  // scan down from the end and stop at the first entry of an older term.
#ifdef RAFT_BUG_SWITCHES
  if (config_.bugs.commit_previous_term_by_counting) {
    // The bug: any entry on a majority counts as committed, whatever its
    // term (the paper's Figure 8 shows how that loses it).
    for (Index n = log_.last_index(); n > commit_index_; --n) {
      std::size_t replicas = persisted_index_ >= n ? 1 : 0;
      for (const auto& [peer, p] : progress_) {
        (void)peer;
        replicas += p.match_index >= n ? 1 : 0;
      }
      if (replicas >= quorum()) {
        commit_index_ = n;
        return;
      }
    }
    return;
  }
#endif
  for (Index n = log_.last_index(); n > commit_index_; --n) {
    if (log_.term_at(n) != current_term_) {
      return;
    }
    std::size_t replicas = persisted_index_ >= n ? 1 : 0;
    for (const auto& [peer, p] : progress_) {
      (void)peer;
      if (p.match_index >= n) {
        ++replicas;
      }
    }
    if (replicas >= quorum()) {
      commit_index_ = n;
      return;
    }
  }
}

// ---------------------------------------------------------------------------
// Output

void Raft::send(NodeId to, MessageBody body) {
  ready_.messages.push_back(Message{config_.id, to, std::move(body)});
}

void Raft::send_now(NodeId to, MessageBody body) {
  ready_.messages_now.push_back(Message{config_.id, to, std::move(body)});
}

void Raft::emit(Event::Kind kind, NodeId peer) {
  ready_.events.push_back(Event{kind, current_term_, peer});
}

void Raft::set_term(Term term) {
  if (term <= current_term_) {
    invariant_failed("term must only grow", config_.id);
  }
  current_term_ = term;
  voted_for_ = no_node;
  hard_state_dirty_ = true;
}

void Raft::mark_unstable(Index from) {
  unstable_from_ = unstable_from_ ? std::min(*unstable_from_, from) : from;
  // A truncation takes back whatever durability we had past `from`.
  persisted_index_ = std::min(persisted_index_, from - 1);
}

bool Raft::has_unstable() const {
  return hard_state_dirty_ || broadcast_pending_ ||
         unstable_from_.has_value() ||
         last_applied_ < commit_index_;
}

void Raft::collect_committed() {
  for (Index index = last_applied_ + 1; index <= commit_index_; ++index) {
    ready_.committed.push_back(log_.at(index));
  }
  last_applied_ = commit_index_;
}

void Raft::check_invariants() {
#ifdef RAFT_INVARIANTS
  if (current_term_ < checked_term_) {
    invariant_failed("current_term went backwards", config_.id);
  }
  if (commit_index_ < checked_commit_) {
    invariant_failed("commit_index went backwards", config_.id);
  }
  if (commit_index_ > log_.last_index()) {
    invariant_failed("commit_index past the end of the log", config_.id);
  }
  if (last_applied_ > commit_index_) {
    invariant_failed("applied an entry that is not committed", config_.id);
  }
  if (role_ == Role::leader &&
      (voted_for_ != config_.id || leader_id_ != config_.id)) {
    invariant_failed("a leader that did not vote for itself", config_.id);
  }
  for (const auto& [peer, p] : progress_) {
    if (p.match_index >= p.next_index || p.next_index > log_.last_index() + 1) {
      invariant_failed("follower progress out of range", peer);
    }
  }
#endif
  checked_term_ = current_term_;
  checked_commit_ = commit_index_;
}

}  // namespace raft
