// The node's life cycle, its timers, and carrying out the core's Ready.
#include "raft/node/node.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "raft/net/codec.hpp"

namespace raft::node {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

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
      data_dir_lock_(options_.data_dir),
      hard_state_file_(options_.data_dir),
      log_store_(options_.data_dir / "log"),
      core_(core_config(options_), hard_state_file_.load(),
            log_store_.take_recovered()),
      acceptor_(strand_),
      random_(std::random_device{}() ^ options_.id),
      election_timer_(strand_) {
  // The disk writer saves the hard state before any entry of its term, so
  // a hard state behind the log (or missing, term 0) was lost or replaced:
  // starting in an older term, with no vote, could vote twice in a term it
  // already voted in.
  if (core_.current_term() < core_.log().last_term()) {
    throw storage::StorageError(fmt::format(
        "{} says term {} but the log holds entries of term {}: it was lost "
        "or replaced; refusing to start",
        hard_state_file_.path().string(), core_.current_term(),
        core_.log().last_term()));
  }
  if (log_store_.torn_tail_bytes() > 0) {
    log_->warn("Cut {} bytes of a torn write off the end of the log "
               "(records the last crash interrupted before their fsync); "
               "log ends at {}",
               log_store_.torn_tail_bytes(), core_.log().last_index());
  }

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
  const auto cannot_listen = [&](const boost::system::error_code& ec) {
    return std::runtime_error(fmt::format("cannot listen on {}: {}",
                                          self.to_string(), ec.message()));
  };

  // Errors as values, so that the one line a person reads says which
  // address failed and why (say, another node already holds the port).
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  const auto endpoints =
      resolver.resolve(self.host, std::to_string(self.port), ec);
  if (ec || endpoints.empty()) {
    throw cannot_listen(ec);
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();

  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor_.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor_.listen(tcp::acceptor::max_listen_connections, ec);
  }
  if (ec) {
    throw cannot_listen(ec);
  }

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
  for (const auto& [connection, activity] : inbound_) {
    (void)activity;
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
  if (core_.role() != Role::leader && !encoded_entries_.json.empty()) {
    encoded_entries_ = EncodedEntries{};  // only a leader sends entries
  }
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
  if (done.hard_state) {
    core_.hard_state_persisted(*done.hard_state);
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
  if (is_request(message.body)) {
    const auto it = links_.find(message.to);
    if (it == links_.end() || !it->second.connection->is_open()) {
      return;
    }
    PeerLink& link = it->second;
    if (link.connection->send(encode_message(message)) &&
        !link.waiting_since) {
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

std::string Node::encode_message(const Message& message) {
  const auto* append = std::get_if<AppendEntries>(&message.body);
  if (append == nullptr || append->entries.empty()) {
    return net::encode(message);
  }

  const LogEntry& first = append->entries.front();
  const LogEntry& last = append->entries.back();
  EncodedEntries& cached = encoded_entries_;
  if (cached.first_index != first.index || cached.last_index != last.index ||
      cached.last_term != last.term) {
    cached = EncodedEntries{first.index, last.index, last.term,
                            net::encode_entries(append->entries)};
  }
  return net::encode_append_entries(message, cached.json);
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

}  // namespace raft::node
