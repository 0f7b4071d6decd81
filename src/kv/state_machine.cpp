#include "raft/kv/state_machine.hpp"

#include <cassert>
#include <string_view>
#include <utility>
#include <variant>

#include "raft/kv/command.hpp"
#include "raft/storage/crc32c.hpp"

namespace raft::kv {

namespace {

net::ClientReply ok_reply(std::uint64_t seq,
                          std::optional<std::string> value = std::nullopt) {
  net::ClientReply reply;
  reply.seq = seq;
  reply.ok = true;
  reply.value = std::move(value);
  return reply;
}

net::ClientReply error_reply(std::uint64_t seq, const char* error,
                             std::string message) {
  net::ClientReply reply;
  reply.seq = seq;
  reply.error = error;
  reply.message = std::move(message);
  return reply;
}

// One (key, value) pair's share of the digest: the CRC-32C of each (the
// crc32 instruction makes this cheap beside the write itself), spread over
// 64 bits by the splitmix64 finalizer so that the sum mixes well.
std::uint64_t pair_hash(std::string_view key, std::string_view value) {
  std::uint64_t hash = (std::uint64_t{storage::crc32c(key)} << 32) |
                       storage::crc32c(value);
  hash ^= hash >> 30;
  hash *= 0xbf58476d1ce4e5b9ULL;
  hash ^= hash >> 27;
  hash *= 0x94d049bb133111ebULL;
  hash ^= hash >> 31;
  return hash;
}

}  // namespace

StateMachine::StateMachine(std::size_t max_clients)
    : max_clients_(max_clients) {
  assert(max_clients_ >= 1);
}

net::ClientReply StateMachine::apply(Index index,
                                     const net::ClientRequest& request) {
  assert(index > applied_index_);
  applied_index_ = index;

  // A retry of the last request: answer as the first time, change nothing.
  // The client is plainly alive, so it moves to the young end of the table.
  auto found = sessions_.find(request.client_id);
  if (found != sessions_.end()) {
    Session& session = found->second;
    if (request.seq == session.seq) {
      touch(request.client_id, session, index);
      return session.reply;
    }

    // The client has moved on; this is an old retry that lost a race (its
    // reply, if it wants one, was given long ago).
    if (request.seq < session.seq) {
      return error_reply(request.seq, error_stale_request,
                         "seq " + std::to_string(request.seq) +
                             " is older than the last applied seq " +
                             std::to_string(session.seq));
    }
  }

  net::ClientReply reply = execute(request);
  remember(request, reply, index);
  return reply;
}

net::ClientReply StateMachine::apply_entry(const LogEntry& entry) {
  if (entry.type == EntryType::noop) {
    assert(entry.index > applied_index_);
    applied_index_ = entry.index;
    return ok_reply(0);
  }

  auto command = read_command(entry.data);
  if (auto* request = std::get_if<net::ClientRequest>(&command)) {
    return apply(entry.index, *request);
  }

  // Still consumes the index: every node skips the same entry the same way.
  assert(entry.index > applied_index_);
  applied_index_ = entry.index;
  return error_reply(0, error_bad_request,
                     "log entry " + std::to_string(entry.index) +
                         " is not a valid command: " +
                         std::get<net::DecodeError>(command).message);
}

std::optional<net::ClientReply> StateMachine::cached_reply(
    const std::string& client_id, std::uint64_t seq) const {
  auto found = sessions_.find(client_id);
  if (found == sessions_.end() || found->second.seq != seq) {
    return std::nullopt;
  }
  return found->second.reply;
}

std::optional<std::string> StateMachine::value(const std::string& key) const {
  auto found = data_.find(key);
  if (found == data_.end()) {
    return std::nullopt;
  }
  return found->second;
}

void StateMachine::set_value(const std::string& key,
                             const std::string& value) {
  auto [found, inserted] = data_.try_emplace(key);
  if (!inserted) {
    digest_ -= pair_hash(key, found->second);
  }
  found->second = value;
  digest_ += pair_hash(key, value);
}

std::optional<std::string> StateMachine::erase_value(const std::string& key) {
  auto node = data_.extract(key);
  if (node.empty()) {
    return std::nullopt;
  }
  digest_ -= pair_hash(key, node.mapped());
  return std::move(node.mapped());
}

net::ClientReply StateMachine::execute(const net::ClientRequest& request) {
  switch (request.op) {
    case net::KvOp::put:
      set_value(request.key, request.value);
      return ok_reply(request.seq);

    case net::KvOp::get:
      return ok_reply(request.seq, value(request.key));

    case net::KvOp::del:
      return ok_reply(request.seq, erase_value(request.key));

    case net::KvOp::cas:
      return compare_and_set(request);
  }
  assert(false && "unknown KvOp");
  return error_reply(request.seq, error_bad_request, "unknown operation");
}

net::ClientReply StateMachine::compare_and_set(
    const net::ClientRequest& request) {
  std::optional<std::string> current = value(request.key);

  // No `expected` means "create only": the compare holds iff both are
  // absent, which optional's == gives us directly.
  if (current != request.expected) {
    net::ClientReply reply = error_reply(
        request.seq, error_cas_failed,
        current ? "current value differs from expected" : "key is absent");
    reply.value = std::move(current);
    return reply;
  }

  set_value(request.key, request.value);
  return ok_reply(request.seq, request.value);
}

void StateMachine::touch(const std::string& client_id, Session& session,
                         Index index) {
  by_last_index_.erase(session.last_index);
  session.last_index = index;
  by_last_index_.emplace(index, client_id);
}

void StateMachine::remember(const net::ClientRequest& request,
                            const net::ClientReply& reply, Index index) {
  auto found = sessions_.find(request.client_id);
  if (found == sessions_.end()) {
    // Expire before inserting, so the table never exceeds its bound.
    if (sessions_.size() >= max_clients_) {
      expire_oldest_client();
    }
    found = sessions_.emplace(request.client_id, Session{}).first;
    found->second.last_index = index;
    by_last_index_.emplace(index, request.client_id);
  } else {
    touch(request.client_id, found->second, index);
  }

  found->second.seq = request.seq;
  found->second.reply = reply;
  assert(sessions_.size() == by_last_index_.size());
  assert(sessions_.size() <= max_clients_);
}

void StateMachine::expire_oldest_client() {
  assert(!by_last_index_.empty());
  auto oldest = by_last_index_.begin();
  sessions_.erase(oldest->second);
  by_last_index_.erase(oldest);
}

}  // namespace raft::kv
