// A blocking key-value client for a Raft cluster. It speaks the nodes'
// newline-delimited JSON over TCP (net/wire.hpp), finds the leader by
// following redirects, and retries until an overall deadline: each
// operation takes one seq and keeps it on every retry, so a request that
// reaches the log twice is applied once (the store's exactly-once table).
//
// Not thread-safe: one Client per thread. Every call is bounded in time by
// the options below; none blocks without limit.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "raft/net/wire.hpp"

namespace raft::client {

// An operation could not be completed: no leader answered before the
// deadline, or the cluster rejected the request for good (bad_request,
// stale_request). what() is one line a person can act on.
class ClientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ClientOptions {
  // Identifies this client's requests for exactly-once. Empty means a random
  // "ctl-<16 hex>". Reusing an id across runs needs first_seq past the last
  // seq the cluster applied for it, or requests come back stale_request.
  std::string client_id;
  std::uint64_t first_seq = 1;
  // How long one try at one node may take (connect, send, reply).
  std::chrono::milliseconds attempt_timeout{1000};
  // How long one operation may take over all its tries.
  std::chrono::milliseconds deadline{10000};
};

// The outcome of a compare-and-swap: whether it happened and, when it did
// not, the key's current value (none if the key is absent).
struct CasResult {
  bool swapped = false;
  std::optional<std::string> current;
};

namespace detail {
class Link;
}

// True for "host:port" or "[v6 address]:port" with a port from 1 to 65535:
// the addresses Client can try.
bool is_address(const std::string& address);

class Client {
 public:
  using Options = ClientOptions;

  // `cluster` lists every node as "host:port"; it must not be empty. An
  // address that is not is_address() is skipped when tried.
  explicit Client(std::vector<std::string> cluster,
                  ClientOptions options = {});
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void put(const std::string& key, const std::string& value);

  // The key's value, or none if it is absent.
  std::optional<std::string> get(const std::string& key);

  // Deletes the key; true if it existed.
  bool remove(const std::string& key);

  // Sets the key to `value` only if its current value is `expected`, or,
  // with no `expected`, only if the key is absent. False if it was not set.
  bool cas(const std::string& key, std::optional<std::string> expected,
           const std::string& value);

  // cas, also telling the current value when the swap did not happen.
  CasResult compare_and_swap(const std::string& key,
                             std::optional<std::string> expected,
                             const std::string& value);

  // Asks the node at `address` to describe itself, in one try bounded by
  // the attempt timeout, on a connection of its own. Throws ClientError if
  // the node does not answer.
  net::StatusReply status(const std::string& address);

  const std::string& client_id() const { return options_.client_id; }
  // The node tried first by the next operation ("" before any).
  const std::string& current_address() const { return current_; }

 private:
  // Sends `request` under the next seq until a node gives a final answer;
  // returns ok replies and cas_failed, throws ClientError for the rest.
  net::ClientReply execute(net::ClientRequest request);

  // One try at the node `current_`: connect if needed, send, and read
  // until the reply with the request's seq. None on any transport failure
  // (the connection is then closed), with the reason in `problem`.
  std::optional<net::ClientReply> attempt(
      const net::ClientRequest& request,
      std::chrono::steady_clock::time_point deadline, std::string& problem);

  // Moves `current_` to the node after it in `cluster_`.
  void rotate();
  // Sleeps before the `retry`-th retry: capped exponential, jittered, and
  // never past `deadline`.
  void back_off(int retry, std::chrono::steady_clock::time_point deadline);

  std::vector<std::string> cluster_;
  ClientOptions options_;

  // The seq the next operation takes; it only grows.
  std::uint64_t next_seq_;
  // The node to try first: the last known leader, or the next in turn.
  std::string current_;
  // The open connection, if any, and to which node (`link_` knows).
  std::unique_ptr<detail::Link> link_;
  std::minstd_rand jitter_;
};

}  // namespace raft::client
