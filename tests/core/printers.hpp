// Stream output for the core's value types, so Boost.Test can print the two
// sides of a failed comparison. Found by argument-dependent lookup.
#pragma once

#include <optional>
#include <ostream>

#include "raft/core/raft.hpp"

namespace raft {

inline std::ostream& operator<<(std::ostream& out, Role role) {
  return out << to_string(role);
}

inline std::ostream& operator<<(std::ostream& out, EntryType type) {
  return out << (type == EntryType::noop ? "noop" : "command");
}

inline std::ostream& operator<<(std::ostream& out, const HardState& state) {
  return out << "{term " << state.current_term << ", voted_for "
             << state.voted_for << "}";
}

inline std::ostream& operator<<(std::ostream& out,
                                const std::optional<HardState>& state) {
  if (!state) {
    return out << "none";
  }
  return out << *state;
}

inline std::ostream& operator<<(std::ostream& out, const LogEntry& entry) {
  return out << "{" << entry.index << "@" << entry.term << " " << entry.type
             << " '" << entry.data << "'}";
}

inline std::ostream& operator<<(std::ostream& out, const RequestVote& rpc) {
  return out << "RequestVote{term " << rpc.term << ", candidate "
             << rpc.candidate_id << ", last " << rpc.last_log_index << "@"
             << rpc.last_log_term << "}";
}

inline std::ostream& operator<<(std::ostream& out,
                                const RequestVoteReply& rpc) {
  return out << "RequestVoteReply{term " << rpc.term << ", granted "
             << rpc.vote_granted << "}";
}

inline std::ostream& operator<<(std::ostream& out,
                                const AppendEntriesReply& rpc) {
  return out << "AppendEntriesReply{term " << rpc.term << ", success "
             << rpc.success << ", match " << rpc.match_index
             << ", conflict " << rpc.conflict_index << "@"
             << rpc.conflict_term << "}";
}

}  // namespace raft
