// The frames that travel over a node's TCP port, one JSON object per line:
// the peer messages of the core, the status query, and the key-value client
// protocol. Plain values only; codec.hpp turns them into lines and back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "raft/core/types.hpp"

namespace raft::net {

// Bounds on what one frame may carry, so that a peer or a client can never
// make a node buffer or allocate without limit.
inline constexpr std::size_t max_frame_bytes = 8 * 1024 * 1024;  // sans '\n'
inline constexpr std::size_t max_key_bytes = 1024;
inline constexpr std::size_t max_value_bytes = 1024 * 1024;
inline constexpr std::size_t max_entries_per_frame = 4096;

// {"type":"status"}: asks a node to describe itself.
struct StatusRequest {
  friend bool operator==(const StatusRequest&, const StatusRequest&) = default;
};

// What a leader knows of one follower (Figure 2, volatile leader state).
struct PeerProgress {
  NodeId id = no_node;
  Index match_index = 0;
  Index next_index = 0;

  friend bool operator==(const PeerProgress&, const PeerProgress&) = default;
};

// "type":"status_reply"; role travels as "follower", "candidate", "leader".
// `peers` is empty unless the node is leader.
struct StatusReply {
  NodeId id = no_node;
  Role role = Role::follower;
  Term term = 0;
  NodeId leader_id = no_node;
  Index commit_index = 0;
  Index last_applied = 0;
  Index last_log_index = 0;
  std::vector<PeerProgress> peers;
  // The key-value store: how many keys, and a hash of all of them, so that
  // replicas can be compared without reading every key.
  std::uint64_t keys = 0;
  std::uint64_t state_digest = 0;

  friend bool operator==(const StatusReply&, const StatusReply&) = default;
};

// A key-value operation; on the wire its "type" is "put", "get", "delete"
// or "cas".
enum class KvOp { put, get, del, cas };

// A client's request. `client_id` and `seq` identify it, so a retried request
// is applied once. put needs `value`; cas needs `value` and `expected`, where
// an absent (or null) `expected` means "the key must not exist"; get and
// delete use only `key`.
struct ClientRequest {
  KvOp op = KvOp::get;
  std::string client_id;
  std::uint64_t seq = 0;
  std::string key;
  std::string value;
  std::optional<std::string> expected;

  friend bool operator==(const ClientRequest&, const ClientRequest&) = default;
};

// "type":"reply": the answer to the ClientRequest with the same `seq`.
// `error` is "" on success, else "not_leader", "leadership_lost",
// "bad_request" or "timeout". On "not_leader", `leader_id` and
// `leader_address` name the leader when known (0 and "" when not).
struct ClientReply {
  std::uint64_t seq = 0;
  bool ok = false;
  std::string error;
  std::string message;
  std::optional<std::string> value;
  NodeId leader_id = no_node;
  std::string leader_address;

  friend bool operator==(const ClientReply&, const ClientReply&) = default;
};

// "type":"error": what a node writes back before it closes a connection
// that sent bad input.
struct ErrorReply {
  std::string message;

  friend bool operator==(const ErrorReply&, const ErrorReply&) = default;
};

using Frame = std::variant<Message, StatusRequest, StatusReply, ClientRequest,
                           ClientReply, ErrorReply>;

}  // namespace raft::net
