// One Raft server: the core, its storage and its network, driven by a set
// of coroutines that all run on one strand. Nothing here decides anything
// Raft decides; it moves events into the core and carries out its Ready.
//
// The coroutines (node.cpp: timers; node_network.cpp: connections):
//   accept_loop      accepts peers and clients on our port
//   serve_inbound    reads requests from one inbound connection
//   dial_loop        keeps one outgoing connection per peer, reads replies
//   watch_peer       re-dials a peer that stops answering
//   election_timer   the follower/candidate timeout, randomized
//   heartbeat_loop   as leader, one per follower, every heartbeat interval
// Vote gathering is the candidate's RequestVotes going out to every peer at
// once (as soon as its new term is durable) and each dial_loop feeding the
// replies to the core as they arrive.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/logger.h>

#include "raft/core/raft.hpp"
#include "raft/kv/state_machine.hpp"
#include "raft/net/connection.hpp"
#include "raft/net/wire.hpp"
#include "raft/node/disk_writer.hpp"
#include "raft/node/options.hpp"
#include "raft/storage/data_dir_lock.hpp"
#include "raft/storage/hard_state_file.hpp"
#include "raft/storage/log_store.hpp"

namespace raft::node {

class Node {
 public:
  // Opens the data directory and recovers term, vote and log. Throws
  // storage::StorageError if they are damaged.
  Node(boost::asio::io_context& io, NodeOptions options,
       std::shared_ptr<spdlog::logger> log);
  ~Node();

  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Binds the port and starts the coroutines. Throws if the port is taken.
  void start();
  // Closes every connection and timer and flushes the disk. Call on the
  // strand (or after the io_context stopped).
  void stop();

  // Called with a reason when the node cannot go on (the disk failed).
  void on_fatal(std::function<void(const std::string&)> handler) {
    on_fatal_ = std::move(handler);
  }

 private:
  using Clock = std::chrono::steady_clock;

  // A client request proposed by this leader and not yet answered. The
  // request itself is kept so that applying its entry need not decode the
  // entry's data again: by Log Matching (§5.3) an entry of this term at this
  // index is the one this leader made from it.
  struct PendingRequest {
    std::weak_ptr<net::Connection> connection;
    net::ClientRequest request;
    Term term = 0;
  };

  struct PeerLink {
    std::shared_ptr<net::Connection> connection;
    // When the oldest request still unanswered was sent.
    std::optional<Clock::time_point> waiting_since;
  };

  // Coroutines.
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve_inbound(
      std::shared_ptr<net::Connection> connection);
  boost::asio::awaitable<void> dial_loop(NodeId peer);
  boost::asio::awaitable<void> watch_peer(
      NodeId peer, std::shared_ptr<net::Connection> connection);
  boost::asio::awaitable<void> election_timer();
  boost::asio::awaitable<void> heartbeat_loop(NodeId peer, Term term);
  void spawn(boost::asio::awaitable<void> coroutine, const char* what);

  // Frames in.
  void on_inbound_line(net::Connection& connection, NodeId& bound_peer,
                       std::string_view line);
  void on_reply_line(NodeId peer, net::Connection& connection,
                     std::string_view line);
  bool accept_peer_message(const Message& message, net::Connection& from);
  void on_client_request(net::Connection& connection,
                         net::ClientRequest request);
  net::ClientReply not_leader_reply(std::uint64_t seq) const;
  void send_reply(net::Connection& connection, const net::ClientReply& reply);
  void reject(net::Connection& connection, const std::string& why);
  bool make_room_for_a_connection();

  // The core's Ready out.
  void schedule_ready();
  void process_ready();
  void log_event(const Event& event);
  void send_message(const Message& message);
  std::string encode_message(const Message& message);
  void on_write_done(const WriteDone& done);
  void apply(const LogEntry& entry);
  void fail_pending_requests();
  void reset_election_deadline();

  net::StatusReply status() const;

  boost::asio::io_context& io_;
  net::Strand strand_;
  NodeOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  std::function<void(const std::string&)> on_fatal_;

  // Taken before anything in the data directory is read or written.
  storage::DataDirLock data_dir_lock_;
  storage::HardStateFile hard_state_file_;
  storage::LogStore log_store_;
  Raft core_;
  std::unique_ptr<DiskWriter> disk_;

  boost::asio::ip::tcp::acceptor acceptor_;
  std::map<NodeId, PeerLink> links_;
  // Where replies to a peer's requests go: the connection they came in on.
  std::map<NodeId, std::weak_ptr<net::Connection>> reply_routes_;
  // What is known of each inbound connection: when it last sent a line
  // (a count of inbound lines, not a time) and whether a peer speaks on it.
  struct InboundActivity {
    std::uint64_t last_line = 0;
    bool peer = false;
  };
  std::map<std::shared_ptr<net::Connection>, InboundActivity> inbound_;
  std::uint64_t inbound_lines_ = 0;
  // At options_.max_connections: new connections are making room, or
  // being closed when there is none to make.
  bool connections_full_ = false;

  std::mt19937_64 random_;
  Clock::time_point election_deadline_;
  boost::asio::steady_timer election_timer_;

  // Persist-before-send: each write gets a sequence number; a message that
  // depends on the state of write N waits here until N is durable.
  static constexpr std::size_t max_waiting_messages = 65536;
  std::uint64_t submitted_seq_ = 0;
  std::uint64_t durable_seq_ = 0;
  std::deque<std::pair<std::uint64_t, Message>> waiting_messages_;

  // The entries of the last AppendEntries sent, encoded, so that the same
  // entries going to the next follower are not encoded again. Entries
  // first_index..last_index whose last has last_term are the same entries
  // wherever they are seen (Log Matching, §5.3), so these three name them.
  // Holds one AppendEntries' worth (at most max_entries_per_append);
  // emptied when the node stops leading.
  struct EncodedEntries {
    Index first_index = 0;
    Index last_index = 0;
    Term last_term = 0;
    std::string json;
  };
  EncodedEntries encoded_entries_;

  // The key-value store, rebuilt from the log on every start (no snapshots
  // yet), fed committed entries in order.
  kv::StateMachine state_machine_;
  // Bounds the client requests a leader holds open at once; past it a
  // client is told "overloaded" and retries.
  static constexpr std::size_t max_pending_requests = 8192;
  // The same for the bytes of their keys and values (a value may be 1 MiB).
  static constexpr std::size_t max_pending_bytes = 64 * 1024 * 1024;
  // By log index: the requests this leader proposed, answered when applied.
  std::map<Index, PendingRequest> pending_;
  // The bytes of keys and values held in pending_.
  std::size_t pending_bytes_ = 0;

  Index applied_index_ = 0;
  // A process_ready() is posted and has not run yet.
  bool ready_scheduled_ = false;
  bool stopped_ = false;
};

}  // namespace raft::node
