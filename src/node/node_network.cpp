// The node's network: accepting peers and clients on its port, reading
// their frames, and one persistent outgoing connection per peer.
#include "raft/node/node.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "raft/net/codec.hpp"

namespace raft::node {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Re-dial backoff starts here and doubles, with jitter, up to a cap of half
// the minimum election timeout: a restarted peer must hear the leader before
// its own timer fires, or it starts a needless election.
constexpr std::chrono::milliseconds first_backoff{10};

std::chrono::milliseconds max_backoff(const NodeOptions& options) {
  return std::max(first_backoff, options.election_timeout_min / 2);
}

}  // namespace

// ---------------------------------------------------------------------------
// Inbound: peers' requests, clients, status queries

asio::awaitable<void> Node::accept_loop() {
  while (!stopped_) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (stopped_) {
      co_return;
    }
    if (ec) {
      // Out of file descriptors, say: back off briefly instead of spinning.
      log_->warn("Accept failed: {}", ec.message());
      asio::steady_timer pause(strand_, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    std::erase_if(inbound_,
                  [](const auto& item) { return !item.first->is_open(); });
    const bool full = inbound_.size() >= options_.max_connections;
    if (full && !make_room_for_a_connection()) {
      // Closed unread; said once per time the node fills up.
      if (!connections_full_) {
        log_->warn("Refusing connections: {} are open (--max-connections)",
                   inbound_.size());
      }
      connections_full_ = true;
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    connections_full_ = full;
    auto connection = std::make_shared<net::Connection>(std::move(socket),
                                                        net::max_frame_bytes);
    spawn(serve_inbound(std::move(connection)), "inbound connection");
  }
}

bool Node::make_room_for_a_connection() {
  // Idle connections must not lock out the ones that matter: a peer
  // redialling after a restart, a client with work to do. So the client
  // connection that sent a line least recently makes way; peers never do.
  auto victim = inbound_.end();
  for (auto it = inbound_.begin(); it != inbound_.end(); ++it) {
    const bool evictable = !it->second.peer && !it->first->is_closing();
    if (evictable && (victim == inbound_.end() ||
                      it->second.last_line < victim->second.last_line)) {
      victim = it;
    }
  }
  if (victim == inbound_.end()) {
    return false;
  }
  // Said once per time the node fills up, like refusing.
  if (!connections_full_) {
    log_->warn(
        "Closed connection from {}: the least recently active, to make "
        "room ({} are open, --max-connections)",
        victim->first->remote(), inbound_.size());
  }
  victim->first->close();
  inbound_.erase(victim);
  return true;
}

asio::awaitable<void> Node::serve_inbound(
    std::shared_ptr<net::Connection> connection) {
  inbound_.emplace(connection, InboundActivity{++inbound_lines_, false});
  spawn(connection->write_loop(), "inbound writer");

  NodeId bound_peer = no_node;
  const net::CloseReason reason =
      co_await connection->read_lines([&](std::string_view line) {
        on_inbound_line(*connection, bound_peer, line);
        if (const auto it = inbound_.find(connection); it != inbound_.end()) {
          it->second = InboundActivity{++inbound_lines_, bound_peer != no_node};
        }
      });

  if (reason == net::CloseReason::oversized_frame) {
    reject(*connection,
           fmt::format("a line over {} bytes", net::max_frame_bytes));
  } else {
    log_->debug("Connection from {} ended: {}", connection->remote(),
                net::to_string(reason));
  }
  // A rejected connection lingers a while (Connection::close_after_flush):
  // until it closes it stays here, counted against --max-connections and
  // closed by stop().
  if (!connection->is_open()) {
    inbound_.erase(connection);
  }
}

void Node::on_inbound_line(net::Connection& connection, NodeId& bound_peer,
                           std::string_view line) {
  auto decoded = net::decode(line);
  if (auto* error = std::get_if<net::DecodeError>(&decoded)) {
    reject(connection, error->message);
    return;
  }
  net::Frame& frame = std::get<net::Frame>(decoded);

  if (auto* message = std::get_if<Message>(&frame)) {
    // One connection speaks for one peer: a second sender id is forged.
    if (bound_peer != no_node && message->from != bound_peer) {
      reject(connection, fmt::format("sender changed from {} to {}",
                                     bound_peer, message->from));
      return;
    }
    if (!accept_peer_message(*message, connection)) {
      return;
    }
    // Replies go back on the connection the latest request came in on, so
    // a peer that re-dials is answered on its new connection at once.
    // Not yet: peers do not authenticate, so anyone who can reach the port
    // can pose as a peer and draw its replies until the peer's next request.
    bound_peer = message->from;
    reply_routes_[bound_peer] = connection.shared_from_this();
    core_.step(*message);
    schedule_ready();
    return;
  }

  if (std::holds_alternative<net::StatusRequest>(frame)) {
    connection.send(net::encode(status()));
    return;
  }

  if (auto* request = std::get_if<net::ClientRequest>(&frame)) {
    on_client_request(connection, std::move(*request));
    return;
  }

  reject(connection, fmt::format("a node does not accept '{}' frames",
                                 net::type_name(frame)));
}

bool Node::accept_peer_message(const Message& message, net::Connection& from) {
  if (message.from == options_.id) {
    reject(from, fmt::format("sender {} is this node itself", message.from));
    return false;
  }
  if (!options_.peers.contains(message.from)) {
    reject(from, fmt::format("sender {} is not a peer of this cluster",
                             message.from));
    return false;
  }
  // Replies come back on the connection their request went out on, never
  // on one a peer opened to us.
  if (!is_request(message.body)) {
    reject(from, fmt::format("a {} from {} on a connection it opened; "
                             "replies travel on the requester's connection",
                             type_name(message.body), message.from));
    return false;
  }
  // The sender is who the request speaks for.
  NodeId claimed = message.from;
  if (const auto* vote = std::get_if<RequestVote>(&message.body)) {
    claimed = vote->candidate_id;
  } else if (const auto* append = std::get_if<AppendEntries>(&message.body)) {
    claimed = append->leader_id;
  }
  if (claimed != message.from) {
    reject(from, fmt::format("{} from {} names node {} as its sender",
                             type_name(message.body), message.from, claimed));
    return false;
  }
  if (message.to != options_.id) {
    reject(from, fmt::format("message for node {} sent to node {}", message.to,
                             options_.id));
    return false;
  }
  return true;
}

void Node::reject(net::Connection& connection, const std::string& why) {
  // Logged once, because the connection ends here; the sender is told why
  // before it is closed.
  log_->warn("Closed connection from {}: {}", connection.remote(), why);
  connection.send(net::encode(net::ErrorReply{why}));
  connection.close_after_flush();
}

// ---------------------------------------------------------------------------
// Outbound: one persistent connection per peer

asio::awaitable<void> Node::dial_loop(NodeId peer) {
  const PeerAddress& address = options_.peers.at(peer);
  tcp::resolver resolver(strand_);
  auto backoff = first_backoff;

  while (!stopped_) {
    auto [resolve_error, endpoints] = co_await resolver.async_resolve(
        address.host, std::to_string(address.port), use_tuple);

    tcp::socket socket(strand_);
    boost::system::error_code ec = resolve_error;
    if (!ec) {
      std::tie(ec) = co_await socket.async_connect(
          endpoints.begin()->endpoint(), use_tuple);
    }
    if (stopped_) {
      co_return;
    }

    if (!ec) {
      auto connection = std::make_shared<net::Connection>(
          std::move(socket), net::max_frame_bytes);
      links_[peer] = PeerLink{connection, std::nullopt};
      spawn(connection->write_loop(), "peer writer");
      spawn(watch_peer(peer, connection), "peer watchdog");
      log_->debug("Connected to peer {} at {}", peer, address.to_string());

      bool answered = false;
      const net::CloseReason reason =
          co_await connection->read_lines([&](std::string_view line) {
            answered = true;
            on_reply_line(peer, *connection, line);
          });
      connection->close();  // still open after an oversized frame
      links_.erase(peer);
      log_->debug("Connection to peer {} ended: {}", peer,
                  net::to_string(reason));
      if (answered) {
        backoff = first_backoff;
      }
    }
    if (stopped_) {
      co_return;
    }

    // Capped exponential backoff with jitter, so that restarted peers are
    // not hammered in lockstep.
    std::uniform_int_distribution<long> jitter(backoff.count() / 2,
                                               backoff.count());
    asio::steady_timer pause(strand_,
                             std::chrono::milliseconds(jitter(random_)));
    co_await pause.async_wait(use_tuple);
    backoff = std::min(backoff * 2, max_backoff(options_));
  }
}

asio::awaitable<void> Node::watch_peer(
    NodeId peer, std::shared_ptr<net::Connection> connection) {
  // A peer that is paused or behind a dead link keeps its socket open but
  // stops answering; after this long with a request unanswered, re-dial.
  const auto dead_after = std::max<Clock::duration>(
      std::chrono::seconds(1), 4 * options_.election_timeout_max);
  asio::steady_timer tick(strand_);

  while (!stopped_ && connection->is_open()) {
    tick.expires_after(options_.heartbeat);
    co_await tick.async_wait(use_tuple);

    const auto it = links_.find(peer);
    if (it == links_.end() || it->second.connection != connection) {
      co_return;
    }
    const auto& waiting_since = it->second.waiting_since;
    if (waiting_since && Clock::now() - *waiting_since > dead_after) {
      log_->debug("Peer {} stopped answering; re-dialling", peer);
      connection->close();
    }
  }
}

void Node::on_reply_line(NodeId peer, net::Connection& connection,
                         std::string_view line) {
  auto decoded = net::decode(line);
  if (auto* error = std::get_if<net::DecodeError>(&decoded)) {
    log_->warn("Closed connection to peer {}: {}", peer, error->message);
    connection.close();
    return;
  }
  const auto* message = std::get_if<Message>(&std::get<net::Frame>(decoded));
  // Our own connection to a peer carries its replies to our requests and
  // nothing else.
  if (message == nullptr || message->from != peer ||
      message->to != options_.id || is_request(message->body)) {
    log_->warn("Closed connection to peer {}: unexpected frame", peer);
    connection.close();
    return;
  }

  if (const auto it = links_.find(peer); it != links_.end()) {
    it->second.waiting_since.reset();
  }
  core_.step(*message);
  schedule_ready();
}
}  // namespace raft::node
