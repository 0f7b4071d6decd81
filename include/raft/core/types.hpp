// The vocabulary of Raft: terms, indexes, log entries and the RPCs of the
// paper's Figure 2. Plain values only, so that the core, the codec, the
// storage and the simulator can all share them without pulling in I/O.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace raft {

using NodeId = std::uint64_t;
using Term = std::uint64_t;
using Index = std::uint64_t;

// Node ids start at 1; zero means "nobody" (no vote cast, no known leader).
inline constexpr NodeId no_node = 0;

// The highest term a node accepts from the wire or its disk, 2^53 - 1 (what
// any JSON reader holds exactly): a term a millisecond would take 285,000
// years to get there, while a forged term near 2^64 would overflow the
// next election's term + 1.
inline constexpr Term max_term = (Term{1} << 53) - 1;

enum class Role { follower, candidate, leader };

const char* to_string(Role role);

enum class EntryType : std::uint8_t {
  // A command for the state machine; `data` is opaque to the core.
  command = 0,
  // Appended by a new leader at the start of its term (§5.4.2, thesis §6.4)
  // so that entries of earlier terms can become committed.
  noop = 1,
};

// One slot of the replicated log. Indexes start at 1; index 0 with term 0 is
// the empty prefix every log shares.
struct LogEntry {
  Term term = 0;
  Index index = 0;
  EntryType type = EntryType::command;
  std::string data;

  friend bool operator==(const LogEntry&, const LogEntry&) = default;
};

// The state Figure 2 calls "persistent state on all servers", less the log:
// it must be durable before the node answers anything that depends on it.
struct HardState {
  Term current_term = 0;
  NodeId voted_for = no_node;

  friend bool operator==(const HardState&, const HardState&) = default;
};

// Figure 2, RequestVote RPC arguments.
struct RequestVote {
  Term term = 0;
  NodeId candidate_id = no_node;
  Index last_log_index = 0;
  Term last_log_term = 0;

  friend bool operator==(const RequestVote&, const RequestVote&) = default;
};

// Figure 2, RequestVote RPC results.
struct RequestVoteReply {
  Term term = 0;
  bool vote_granted = false;

  friend bool operator==(const RequestVoteReply&,
                         const RequestVoteReply&) = default;
};

// Figure 2, AppendEntries RPC arguments. An empty `entries` is a heartbeat.
struct AppendEntries {
  Term term = 0;
  NodeId leader_id = no_node;
  Index prev_log_index = 0;
  Term prev_log_term = 0;
  std::vector<LogEntry> entries;
  Index leader_commit = 0;

  friend bool operator==(const AppendEntries&, const AppendEntries&) = default;
};

// Figure 2, AppendEntries RPC results, plus what the leader needs to move
// quickly: on success, `match_index` is the last index this request verified;
// on failure, a hint for skipping a whole conflicting term at once (§5.3,
// "the follower can include the term of the conflicting entry and the first
// index it stores for that term").
struct AppendEntriesReply {
  Term term = 0;
  bool success = false;
  Index match_index = 0;
  // On failure: the term of the follower's entry at prev_log_index, or 0 if
  // the follower's log is shorter than prev_log_index.
  Term conflict_term = 0;
  // On failure: the first index the follower holds for `conflict_term`, or
  // its last index + 1 when its log is too short.
  Index conflict_index = 0;

  friend bool operator==(const AppendEntriesReply&,
                         const AppendEntriesReply&) = default;
};

using MessageBody = std::variant<RequestVote, RequestVoteReply, AppendEntries,
                                 AppendEntriesReply>;

// A message between two members of the cluster.
struct Message {
  NodeId from = no_node;
  NodeId to = no_node;
  MessageBody body;

  friend bool operator==(const Message&, const Message&) = default;
};

// The term a message carries, whatever its kind.
Term term_of(const MessageBody& body);

// RequestVote and AppendEntries ask; their replies answer.
bool is_request(const MessageBody& body);

// A short name for the kind of a message ("request_vote", ...), as the codec
// writes it in the "type" field.
const char* type_name(const MessageBody& body);

}  // namespace raft
