// The rules of Raft as a deterministic state machine: no I/O, no clock, no
// threads. The runtime (or the simulator) feeds it events — a message
// arrived, a timer fired, a client proposed a command, the disk caught up —
// and drains a Ready that says what to persist, send and apply.
//
// State members carry the names of the paper's Figure 2.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "raft/core/log.hpp"
#include "raft/core/types.hpp"

namespace raft {

#ifdef RAFT_BUG_SWITCHES
// Test-only: known Raft bugs the simulator must catch. Compiled in only for
// the raft_core_buggy library the simulator's bug test links; the product
// core never sees this macro.
struct BugSwitches {
  // A granted vote leaves in messages_now, before the vote is durable, so a
  // crash can make the node vote twice in one term (thesis §3.8).
  bool vote_reply_before_persist = false;
  // The leader commits an entry of an earlier term by counting replicas,
  // which §5.4.2 and Figure 8 forbid.
  bool commit_previous_term_by_counting = false;
  // A follower cuts its log after prev_log_index on every AppendEntries,
  // even a stale one whose entries all match (Figure 2, receiver rule 3).
  bool stale_append_truncates = false;
};
#endif

struct Config {
  NodeId id = no_node;
  // Every voting member, this node included.
  std::vector<NodeId> members;
  // Bounds on one AppendEntries: entry count, and bytes of entry data past
  // the first entry.
  std::size_t max_entries_per_append = 256;
  std::size_t max_bytes_per_append = 1024 * 1024;
  // How many AppendEntries carrying entries may be unanswered per follower
  // while it is known to be in step (pipelining).
  std::size_t max_inflight_appends = 16;
#ifdef RAFT_BUG_SWITCHES
  BugSwitches bugs;
#endif
};

// Something that happened, worth a line in the node's log.
struct Event {
  enum class Kind {
    election_started,  // became candidate in `term`
    became_leader,     // won the election of `term`
    voted,             // granted our vote in `term` to `peer`
    following,         // learned that `peer` leads `term`
    stepped_down,      // saw `term` from `peer` and left leader/candidate
    vote_denied,       // refused `peer`'s vote request in `term`
  };
  Kind kind;
  Term term = 0;
  NodeId peer = no_node;
};

// What the runtime must do after a step, in this order:
//   1. persist `hard_state` and `entries` (entries replace anything stored
//      at entries.front().index or later);
//   2. only once both are durable, send `messages` (thesis §3.8: a reply or
//      vote may never outrun the state it reports);
//   meanwhile, `messages_now` may leave at once: they are requests, which
//   report nothing: a leader's AppendEntries (thesis §10.2.1; the leader
//   counts itself toward commit only after `Raft::persisted`) and a
//   candidate's RequestVote (it counts its own vote only after
//   `Raft::hard_state_persisted`);
//   3. hand `committed` to the state machine, in order.
struct Ready {
  std::optional<HardState> hard_state;
  std::vector<LogEntry> entries;
  std::vector<Message> messages;
  std::vector<Message> messages_now;
  std::vector<LogEntry> committed;
  // Restart the election timer with a fresh random timeout.
  bool reset_election_timer = false;
  std::vector<Event> events;

  bool empty() const {
    return !hard_state && entries.empty() && messages.empty() &&
           messages_now.empty() && committed.empty() &&
           !reset_election_timer && events.empty();
  }
};

// The leader's view of one follower (Figure 2, "volatile state on leaders").
struct Progress {
  Index next_index = 1;
  Index match_index = 0;
  // Probing: the follower's log position is unknown, so send one
  // AppendEntries at a time and wait. Otherwise stream (pipeline) entries.
  bool probing = true;
  // AppendEntries with entries sent and not yet answered (at most one while
  // probing).
  std::size_t inflight = 0;
  // Heartbeats in a row during which entries were outstanding and
  // match_index did not move: a sign that a request or reply was lost.
  std::size_t stalled_heartbeats = 0;
};

struct Proposal {
  Index index = 0;
  Term term = 0;
};

class Raft {
 public:
  // `hard_state` and `log` are what storage recovered.
  Raft(Config config, HardState hard_state, std::vector<LogEntry> log);

  // Events.
  void step(const Message& message);
  void election_timeout();
  // Leader: time to send `peer` an AppendEntries (a heartbeat if it is in
  // step). Ignored in other roles.
  void heartbeat_timeout(NodeId peer);
  // Leader: append a command; nullopt in other roles.
  std::optional<Proposal> propose(std::string data);
  // The runtime made the log durable up to `index`, whose entry had `term`.
  void persisted(Index index, Term term);
  // The runtime made `state` durable. A candidate counts its own vote only
  // from here on.
  void hard_state_persisted(const HardState& state);

  // Output accumulated since the last call.
  Ready take_ready();
  bool has_ready() const { return !ready_.empty() || has_unstable(); }

  // Read-only view, for status and tests.
  NodeId id() const { return config_.id; }
  Role role() const { return role_; }
  Term current_term() const { return current_term_; }
  NodeId voted_for() const { return voted_for_; }
  NodeId leader_id() const { return leader_id_; }
  Index commit_index() const { return commit_index_; }
  Index last_applied() const { return last_applied_; }
  const Log& log() const { return log_; }
  const Config& config() const { return config_; }
  // Leader only: the follower's progress; nullptr otherwise.
  const Progress* progress(NodeId peer) const;

 private:
  // Role changes.
  // `cause` is the peer whose message made us step down, if we do.
  void become_follower(Term term, NodeId leader, NodeId cause);
  void become_candidate();
  void become_leader();

  // Message handlers.
  void handle_request_vote(NodeId from, const RequestVote& request);
  void handle_request_vote_reply(NodeId from, const RequestVoteReply& reply);
  void handle_append_entries(NodeId from, const AppendEntries& request);
  void handle_append_entries_reply(NodeId from,
                                   const AppendEntriesReply& reply);

  // Leader helpers.
  void send_append(NodeId peer, bool force);
  void send_keepalive(NodeId peer);
  void broadcast_append();
  void advance_commit_index();

  // Output helpers.
  void send(NodeId to, MessageBody body);
  void send_now(NodeId to, MessageBody body);
  void emit(Event::Kind kind, NodeId peer = no_node);
  void set_term(Term term);
  void mark_unstable(Index from);
  bool has_unstable() const;
  void collect_committed();
  std::size_t quorum() const { return config_.members.size() / 2 + 1; }
  bool is_member(NodeId node) const;
  void check_invariants();

  Config config_;

  // Figure 2, persistent state. Changed only through set_term() and the
  // vote paths, which mark the hard state dirty for the next Ready.
  Term current_term_ = 0;
  NodeId voted_for_ = no_node;
  Log log_;

  // Figure 2, volatile state on all servers. commit_index_ never decreases;
  // last_applied_ is the last index handed out in Ready::committed.
  Index commit_index_ = 0;
  Index last_applied_ = 0;

  Role role_ = Role::follower;
  NodeId leader_id_ = no_node;

  // Candidate: who granted us their vote this term (ourselves too, once our
  // vote is durable).
  std::vector<NodeId> votes_granted_;

  // Leader: per-follower progress (Figure 2's next_index and match_index).
  std::map<NodeId, Progress> progress_;

  // The log from this index on is not yet handed to storage; no value
  // means everything is. Lowered by a truncation so the rewrite covers it.
  std::optional<Index> unstable_from_;
  // The runtime reported the log durable up to here (for the leader's own
  // vote toward commit).
  Index persisted_index_ = 0;

  bool hard_state_dirty_ = false;
  // Leader: commands were proposed since the last Ready; send them.
  bool broadcast_pending_ = false;
  Ready ready_;

  // What check_invariants() saw last, to check that neither goes back.
  Term checked_term_ = 0;
  Index checked_commit_ = 0;
};

}  // namespace raft
