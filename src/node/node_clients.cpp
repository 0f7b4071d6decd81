// The node's clients: key-value requests proposed through the core,
// answered once applied, and the status query.
#include "raft/node/node.hpp"

#include <cassert>

#include <fmt/format.h>

#include "raft/kv/command.hpp"
#include "raft/net/codec.hpp"

namespace raft::node {

namespace {

// What a pending request holds on to, for the bound on them.
std::size_t request_bytes(const net::ClientRequest& request) {
  return request.client_id.size() + request.key.size() +
         request.value.size() +
         (request.expected ? request.expected->size() : 0);
}

}  // namespace

void Node::on_client_request(net::Connection& connection,
                             net::ClientRequest request) {
  if (core_.role() != Role::leader) {
    send_reply(connection, not_leader_reply(request.seq));
    return;
  }

  // A retry of a request already applied gets its original answer.
  if (auto cached = state_machine_.cached_reply(request.client_id,
                                                request.seq)) {
    send_reply(connection, *cached);
    return;
  }

  const std::size_t bytes = request_bytes(request);
  if (pending_.size() >= max_pending_requests ||
      pending_bytes_ + bytes > max_pending_bytes) {
    net::ClientReply reply;
    reply.seq = request.seq;
    reply.error = "overloaded";
    reply.message = "too many requests in flight; retry shortly";
    send_reply(connection, reply);
    return;
  }

  // A command that, escaped into an AppendEntries, would pass the frame
  // limit could never be replicated: each follower would close the
  // connection it came on, and the leader would lose its term retrying it.
  std::string command = kv::encode_command(request);
  if (!net::fits_in_append_entries(command)) {
    net::ClientReply reply;
    reply.seq = request.seq;
    reply.error = kv::error_bad_request;
    reply.message = fmt::format(
        "the request is {} bytes as a log entry, too large to replicate "
        "within the {}-byte frame limit; send a smaller value",
        command.size(), net::max_frame_bytes);
    send_reply(connection, reply);
    return;
  }

  // Answered once its entry is committed and applied (see apply()). A retry
  // still in flight is proposed again; the state machine applies it once.
  const auto proposal = core_.propose(std::move(command));
  pending_[proposal->index] = PendingRequest{
      connection.weak_from_this(), std::move(request), proposal->term};
  pending_bytes_ += bytes;
  schedule_ready();
}

void Node::send_reply(net::Connection& connection,
                      const net::ClientReply& reply) {
  if (connection.send(net::encode(reply))) {
    return;
  }
  // Its send queue is full: the client is not reading its replies. Going
  // on would drop this one and leave the client waiting for it; closing
  // tells it to reconnect and retry (a retry of its last request finds the
  // reply cached).
  if (connection.is_open() && !connection.is_closing()) {
    log_->warn("Closed connection from {}: its replies are not being read",
               connection.remote());
    connection.close_after_flush();
  }
}

net::ClientReply Node::not_leader_reply(std::uint64_t seq) const {
  net::ClientReply reply;
  reply.seq = seq;
  reply.error = "not_leader";
  reply.leader_id = core_.leader_id();
  if (const auto it = options_.peers.find(reply.leader_id);
      it != options_.peers.end()) {
    reply.leader_address = it->second.to_string();
    reply.message = fmt::format("node {} leads term {}", reply.leader_id,
                                core_.current_term());
  } else {
    reply.message = "no leader known yet; retry shortly";
  }
  return reply;
}

void Node::apply(const LogEntry& entry) {
  const auto it = pending_.find(entry.index);
  std::optional<PendingRequest> request;
  if (it != pending_.end()) {
    request = std::move(it->second);
    pending_.erase(it);
    pending_bytes_ -= request_bytes(request->request);
  }

  // Our own entry is applied from the request it was made from; every other
  // (all of a follower's, and another leader's in a slot we had proposed
  // to) from its data. Both give the same request: decoding what
  // encode_command() wrote gives back what it was given.
  const bool ours = request && request->term == entry.term;
  assert(!ours || kv::decode_command(entry.data) == request->request);
  const net::ClientReply result =
      ours ? state_machine_.apply(entry.index, request->request)
           : state_machine_.apply_entry(entry);
  applied_index_ = entry.index;
  if (!result.ok && result.error == kv::error_bad_request) {
    log_->error("Entry {} is not a valid command: {}", entry.index,
                result.message);
  }
  if (!request) {
    return;
  }

  const auto connection = request->connection.lock();
  if (!connection) {
    return;  // the client left; a retry will find the cached reply
  }
  if (!ours) {
    // Another leader's entry took this slot: ours was never committed.
    net::ClientReply lost;
    lost.seq = request->request.seq;
    lost.error = "leadership_lost";
    lost.message = "the entry was replaced; retry with the same seq";
    send_reply(*connection, lost);
    return;
  }
  net::ClientReply reply = result;
  reply.seq = request->request.seq;
  send_reply(*connection, reply);
}

void Node::fail_pending_requests() {
  // The entries may still commit under the next leader; the client retries
  // with the same seq and the state machine answers it once.
  for (const auto& [index, request] : pending_) {
    (void)index;
    if (const auto connection = request.connection.lock()) {
      net::ClientReply reply = not_leader_reply(request.request.seq);
      reply.error = "leadership_lost";
      send_reply(*connection, reply);
    }
  }
  pending_.clear();
  pending_bytes_ = 0;
}

net::StatusReply Node::status() const {
  net::StatusReply reply;
  reply.id = options_.id;
  reply.role = core_.role();
  reply.term = core_.current_term();
  reply.leader_id = core_.leader_id();
  reply.commit_index = core_.commit_index();
  reply.last_applied = applied_index_;
  reply.state_digest = state_machine_.digest();
  reply.keys = state_machine_.size();
  reply.last_log_index = core_.log().last_index();
  for (const auto& [peer, address] : options_.peers) {
    (void)address;
    if (const Progress* progress = core_.progress(peer)) {
      reply.peers.push_back(
          net::PeerProgress{peer, progress->match_index, progress->next_index});
    }
  }
  return reply;
}

}  // namespace raft::node
