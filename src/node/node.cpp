#include "raft/node/node.hpp"

#include <algorithm>
#include <exception>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "raft/kv/command.hpp"
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

bool is_request(const Message& message) {
  return std::holds_alternative<RequestVote>(message.body) ||
         std::holds_alternative<AppendEntries>(message.body);
}

Config core_config(const NodeOptions& options) {
  Config config;
  config.id = options.id;
  for (const auto& [id, address] : options.peers) {
    (void)address;
    config.members.push_back(id);
  }
  return config;
}

}  // namespace

Node::Node(asio::io_context& io, NodeOptions options,
           std::shared_ptr<spdlog::logger> log)
    : io_(io),
      strand_(asio::make_strand(io)),
      options_(std::move(options)),
      log_(std::move(log)),
      hard_state_file_(options_.data_dir),
      log_store_(options_.data_dir / "log"),
      core_(core_config(options_), hard_state_file_.load(),
            log_store_.entries()),
      acceptor_(strand_),
      random_(std::random_device{}() ^ options_.id),
      election_timer_(strand_) {
  // Completions come from the disk thread; hop onto the strand to use them.
  disk_ = std::make_unique<DiskWriter>(
      hard_state_file_, log_store_, [this](WriteDone done) {
        asio::post(strand_, [this, done = std::move(done)] {
          on_write_done(done);
        });
      },
      !options_.unsafe_no_fsync);
}

Node::~Node() {
  if (disk_) {
    disk_->stop();
  }
}

void Node::start() {
  const PeerAddress& self = options_.peers.at(options_.id);
  tcp::resolver resolver(io_);
  const auto endpoints = resolver.resolve(self.host, std::to_string(self.port));
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();

  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();

  log_->info("Started at {} in term {}, log ends at {}", self.to_string(),
             core_.current_term(), core_.log().last_index());
  if (options_.unsafe_no_fsync) {
    log_->warn("fsync is off: a machine crash can lose acknowledged writes");
  }

  asio::post(strand_, [this] {
    reset_election_deadline();
    spawn(accept_loop(), "accept loop");
    spawn(election_timer(), "election timer");
    for (const auto& [peer, address] : options_.peers) {
      (void)address;
      if (peer != options_.id) {
        spawn(dial_loop(peer), "peer dialer");
      }
    }
  });
}

void Node::stop() {
  if (stopped_) {
    return;
  }
  stopped_ = true;

  boost::system::error_code ignored;
  acceptor_.close(ignored);
  election_timer_.cancel();
  for (auto& [peer, link] : links_) {
    (void)peer;
    if (link.connection) {
      link.connection->close();
    }
  }
  for (const auto& connection : inbound_) {
    connection->close();
  }

  // Whatever the core asked to persist reaches the disk before we go.
  disk_->stop();
  log_->info("Stopped in term {}", core_.current_term());
}

void Node::spawn(asio::awaitable<void> coroutine, const char* what) {
  // Never swallow a coroutine's exception: it is a bug, so say so loudly.
  asio::co_spawn(strand_, std::move(coroutine),
                 [log = log_, what](std::exception_ptr error) {
                   if (!error) {
                     return;
                   }
                   try {
                     std::rethrow_exception(error);
                   } catch (const std::exception& e) {
                     log->error("{} failed: {}", what, e.what());
                   }
                 });
}

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
    auto connection = std::make_shared<net::Connection>(std::move(socket),
                                                        net::max_frame_bytes);
    spawn(serve_inbound(std::move(connection)), "inbound connection");
  }
}

asio::awaitable<void> Node::serve_inbound(
    std::shared_ptr<net::Connection> connection) {
  inbound_.insert(connection);
  spawn(connection->write_loop(), "inbound writer");

  NodeId bound_peer = no_node;
  const net::CloseReason reason =
      co_await connection->read_lines([&](std::string_view line) {
        on_inbound_line(*connection, bound_peer, line);
      });

  if (reason == net::CloseReason::oversized_frame) {
    log_->warn("Closed connection from {}: a line over {} bytes",
               connection->remote(), net::max_frame_bytes);
  } else {
    log_->debug("Connection from {} ended: {}", connection->remote(),
                net::to_string(reason));
  }
  inbound_.erase(connection);
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
    if (bound_peer == no_node) {
      bound_peer = message->from;
      reply_routes_[bound_peer] = connection.shared_from_this();
    }
    core_.step(*message);
    schedule_ready();
    return;
  }

  if (std::holds_alternative<net::StatusRequest>(frame)) {
    connection.send(net::encode(status()));
    return;
  }

  if (auto* request = std::get_if<net::ClientRequest>(&frame)) {
    on_client_request(connection, *request);
    return;
  }

  reject(connection, fmt::format("a node does not accept '{}' frames",
                                 net::encode(frame).substr(0, 40)));
}

bool Node::accept_peer_message(const Message& message, net::Connection& from) {
  if (!options_.peers.contains(message.from) || message.from == options_.id) {
    reject(from, fmt::format("sender {} is not a peer of this cluster",
                             message.from));
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

void Node::on_client_request(net::Connection& connection,
                             const net::ClientRequest& request) {
  if (core_.role() != Role::leader) {
    connection.send(net::encode(not_leader_reply(request.seq)));
    return;
  }

  // A retry of a request already applied gets its original answer.
  if (auto cached = state_machine_.cached_reply(request.client_id,
                                                request.seq)) {
    connection.send(net::encode(*cached));
    return;
  }

  if (pending_.size() >= max_pending_requests) {
    net::ClientReply reply;
    reply.seq = request.seq;
    reply.error = "overloaded";
    reply.message = "too many requests in flight; retry shortly";
    connection.send(net::encode(reply));
    return;
  }

  // Answered once its entry is committed and applied (see apply()). A retry
  // still in flight is proposed again; the state machine applies it once.
  const auto proposal = core_.propose(kv::encode_command(request));
  pending_[proposal->index] = PendingRequest{
      connection.weak_from_this(), request.seq, proposal->term};
  schedule_ready();
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
  if (message == nullptr || message->from != peer ||
      message->to != options_.id) {
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

// ---------------------------------------------------------------------------
// Timers

asio::awaitable<void> Node::election_timer() {
  // Resetting only moves the deadline later, so the timer never needs
  // cancelling: on waking early it simply waits for the new deadline.
  while (!stopped_) {
    election_timer_.expires_at(election_deadline_);
    co_await election_timer_.async_wait(use_tuple);
    if (stopped_) {
      co_return;
    }
    if (Clock::now() < election_deadline_) {
      continue;
    }
    reset_election_deadline();
    core_.election_timeout();
    process_ready();
  }
}

void Node::reset_election_deadline() {
  const auto min = std::chrono::duration_cast<std::chrono::microseconds>(
      options_.election_timeout_min);
  const auto max = std::chrono::duration_cast<std::chrono::microseconds>(
      options_.election_timeout_max);
  std::uniform_int_distribution<long> timeout(min.count(), max.count());
  election_deadline_ =
      Clock::now() + std::chrono::microseconds(timeout(random_));
}

asio::awaitable<void> Node::heartbeat_loop(NodeId peer, Term term) {
  asio::steady_timer tick(strand_);

  // The new leader's first AppendEntries went out as it took office; from
  // then on, one per interval. The world may have changed during every
  // wait: lead only while the term and role this loop was started for hold.
  while (!stopped_) {
    tick.expires_after(options_.heartbeat);
    co_await tick.async_wait(use_tuple);

    if (stopped_ || core_.role() != Role::leader ||
        core_.current_term() != term) {
      co_return;
    }
    core_.heartbeat_timeout(peer);
    process_ready();
  }
}

// ---------------------------------------------------------------------------
// Carrying out the core's Ready

void Node::schedule_ready() {
  // Frames that arrive together (many clients, a burst of replies) are all
  // stepped into the core before its Ready is taken once: one disk write
  // and one round of messages for the lot.
  if (ready_scheduled_) {
    return;
  }
  ready_scheduled_ = true;
  asio::post(strand_, [this] {
    ready_scheduled_ = false;
    process_ready();
  });
}

void Node::process_ready() {
  if (stopped_ || !core_.has_ready()) {
    return;
  }
  Ready ready = core_.take_ready();

  for (const Event& event : ready.events) {
    log_event(event);
    if (event.kind == Event::Kind::became_leader) {
      for (const auto& [peer, address] : options_.peers) {
        (void)address;
        if (peer != options_.id) {
          spawn(heartbeat_loop(peer, event.term), "heartbeat loop");
        }
      }
    }
  }
  if (ready.reset_election_timer) {
    reset_election_deadline();
  }

  // 1. Hand the writes to the disk thread.
  if (ready.hard_state || !ready.entries.empty()) {
    ++submitted_seq_;
    disk_->submit(WriteRequest{submitted_seq_, ready.hard_state,
                               std::move(ready.entries)});
  }

  // 2. A leader's AppendEntries go at once; everything else waits until
  // the writes before it are durable.
  for (const Message& message : ready.messages_now) {
    send_message(message);
  }
  for (Message& message : ready.messages) {
    if (durable_seq_ >= submitted_seq_) {
      send_message(message);
    } else if (waiting_messages_.size() < max_waiting_messages) {
      waiting_messages_.emplace_back(submitted_seq_, std::move(message));
    } else {
      log_->warn("Dropped a message to {}: {} already wait for the disk",
                 message.to, max_waiting_messages);
    }
  }

  // 3. Apply, in log order, and answer the clients waiting on them.
  for (const LogEntry& entry : ready.committed) {
    apply(entry);
  }
  if (core_.role() != Role::leader && !pending_.empty()) {
    fail_pending_requests();
  }
}

void Node::apply(const LogEntry& entry) {
  const net::ClientReply result = state_machine_.apply_entry(entry);
  applied_index_ = entry.index;
  if (!result.ok && result.error == kv::error_bad_request) {
    log_->error("Entry {} is not a valid command: {}", entry.index,
                result.message);
  }

  const auto it = pending_.find(entry.index);
  if (it == pending_.end()) {
    return;
  }
  PendingRequest request = it->second;
  pending_.erase(it);

  const auto connection = request.connection.lock();
  if (!connection) {
    return;  // the client left; a retry will find the cached reply
  }
  if (request.term != entry.term) {
    // Another leader's entry took this slot: ours was never committed.
    net::ClientReply lost;
    lost.seq = request.seq;
    lost.error = "leadership_lost";
    lost.message = "the entry was replaced; retry with the same seq";
    connection->send(net::encode(lost));
    return;
  }
  net::ClientReply reply = result;
  reply.seq = request.seq;
  connection->send(net::encode(reply));
}

void Node::fail_pending_requests() {
  // The entries may still commit under the next leader; the client retries
  // with the same seq and the state machine answers it once.
  for (const auto& [index, request] : pending_) {
    (void)index;
    if (const auto connection = request.connection.lock()) {
      net::ClientReply reply = not_leader_reply(request.seq);
      reply.error = "leadership_lost";
      connection->send(net::encode(reply));
    }
  }
  pending_.clear();
}

void Node::on_write_done(const WriteDone& done) {
  if (stopped_) {
    return;
  }
  if (!done.error.empty()) {
    // Nothing written can be trusted; carrying on could break safety.
    log_->error("Disk write failed: {}; stopping", done.error);
    stop();
    if (on_fatal_) {
      on_fatal_(done.error);
    }
    return;
  }

  durable_seq_ = std::max(durable_seq_, done.seq);
  if (done.last_index != 0) {
    core_.persisted(done.last_index, done.last_term);
  }
  while (!waiting_messages_.empty() &&
         waiting_messages_.front().first <= durable_seq_) {
    send_message(waiting_messages_.front().second);
    waiting_messages_.pop_front();
  }
  process_ready();
}

void Node::send_message(const Message& message) {
  // Requests go out on our own connection to the peer; replies go back on
  // the connection the request came in on. Either may be down: Raft
  // tolerates a lost message, and the next heartbeat or timeout retries.
  if (is_request(message)) {
    const auto it = links_.find(message.to);
    if (it == links_.end() || !it->second.connection->is_open()) {
      return;
    }
    PeerLink& link = it->second;
    if (link.connection->send(net::encode(message)) && !link.waiting_since) {
      link.waiting_since = Clock::now();
    }
    return;
  }

  const auto route = reply_routes_.find(message.to);
  if (route == reply_routes_.end()) {
    return;
  }
  if (const auto connection = route->second.lock()) {
    connection->send(net::encode(message));
  }
}

void Node::log_event(const Event& event) {
  switch (event.kind) {
    case Event::Kind::election_started:
      log_->info("Election term {}", event.term);
      break;
    case Event::Kind::became_leader:
      log_->info("LEADER term {}", event.term);
      break;
    case Event::Kind::voted:
      log_->info("Voted for {} in term {}", event.peer, event.term);
      break;
    case Event::Kind::following:
      log_->info("Following leader {} in term {}", event.peer, event.term);
      break;
    case Event::Kind::stepped_down:
      log_->info("Stepped down in term {} (heard from node {})", event.term,
                 event.peer);
      break;
    case Event::Kind::vote_denied:
      log_->debug("Denied vote to {} in term {}", event.peer, event.term);
      break;
  }
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
