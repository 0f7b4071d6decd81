#include "raft/core/types.hpp"

namespace raft {

const char* to_string(Role role) {
  switch (role) {
    case Role::follower:
      return "follower";
    case Role::candidate:
      return "candidate";
    case Role::leader:
      return "leader";
  }
  return "unknown";
}

Term term_of(const MessageBody& body) {
  return std::visit([](const auto& rpc) { return rpc.term; }, body);
}

namespace {

struct TypeName {
  const char* operator()(const RequestVote&) const { return "request_vote"; }
  const char* operator()(const RequestVoteReply&) const {
    return "request_vote_reply";
  }
  const char* operator()(const AppendEntries&) const {
    return "append_entries";
  }
  const char* operator()(const AppendEntriesReply&) const {
    return "append_entries_reply";
  }
};

}  // namespace

bool is_request(const MessageBody& body) {
  return std::holds_alternative<RequestVote>(body) ||
         std::holds_alternative<AppendEntries>(body);
}

const char* type_name(const MessageBody& body) {
  return std::visit(TypeName{}, body);
}

}  // namespace raft
