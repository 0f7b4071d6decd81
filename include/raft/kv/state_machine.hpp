// The replicated key-value store: the state machine a node applies committed
// log entries to, in log order. Pure: no I/O, no clock, no threads, so every
// node that applies the same log reaches the same state, and the simulator
// can run it as is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>

#include "raft/core/types.hpp"
#include "raft/net/wire.hpp"

namespace raft::kv {

// Replies use the wire's errors plus two of the store's own: "cas_failed"
// (the compare did not hold; `value` is the key's current value) and
// "stale_request" (the client has since had a later seq applied).
inline constexpr const char* error_cas_failed = "cas_failed";
inline constexpr const char* error_stale_request = "stale_request";
inline constexpr const char* error_bad_request = "bad_request";

class StateMachine {
 public:
  // `max_clients` (at least 1) bounds the exactly-once table; see Session.
  explicit StateMachine(std::size_t max_clients = 10000);

  // Applies one committed command at log index `index`; indexes must
  // increase from call to call (they may skip no-op and config entries).
  //
  // put sets `key` (reply value: none); get reads it (reply value: the
  // value, or none if absent), through the log so that reads are
  // linearizable; delete removes it (reply value: the old value, if any);
  // cas sets it to `value` only if its current value equals `expected`, or,
  // with no `expected`, only if the key is absent (reply value: the new
  // value; on failure ok=false, "cas_failed", and the current value).
  //
  // Exactly-once: a request whose seq equals the client's last applied seq
  // is not applied again and gets the remembered reply; a lower seq is not
  // applied and gets ok=false, "stale_request".
  net::ClientReply apply(Index index, const net::ClientRequest& request);

  // Applies one committed log entry of any kind. A leader's no-op entry
  // changes nothing and gets ok=true. A command whose data does not decode
  // (a bug or a damaged log, never a client's fault: the leader encodes
  // what it decoded) changes nothing either, and gets ok=false,
  // "bad_request" with the reason in `message`, for the node to log; the
  // store must not stop, or every node would stop at the same entry.
  net::ClientReply apply_entry(const LogEntry& entry);

  // The remembered reply if `seq` is the last request applied for
  // `client_id`, so a node can answer a retry without proposing it again.
  std::optional<net::ClientReply> cached_reply(const std::string& client_id,
                                               std::uint64_t seq) const;

  // The index of the last entry applied; 0 before the first.
  Index applied_index() const { return applied_index_; }
  // The number of keys held.
  std::size_t size() const { return data_.size(); }
  // The number of clients remembered for exactly-once (at most max_clients).
  std::size_t client_count() const { return sessions_.size(); }
  std::optional<std::string> value(const std::string& key) const;

  // The sum (mod 2^64) of a 64-bit hash of each (key, value) pair, kept
  // up to date by every write so that reading it costs nothing: a status
  // query must not stall the node for a pass over the whole store. Key and
  // value are hashed apart, so ("ab","c") and ("a","bc") differ. Equal on
  // two nodes iff (up to hash collisions) they hold the same keys and
  // values; the client table and applied_index are left out. 0 when empty.
  std::uint64_t digest() const { return digest_; }

 private:
  // What the store remembers of one client for exactly-once.
  struct Session {
    // The highest seq applied for this client.
    std::uint64_t seq = 0;
    // The reply that request got, returned again to a retry of it.
    net::ClientReply reply;
    // The log index at which this client was last seen (its last request
    // applied, or a retry of it); the key of its slot in by_last_index_.
    Index last_index = 0;
  };

  // Runs the operation itself, with no exactly-once bookkeeping.
  net::ClientReply execute(const net::ClientRequest& request);
  net::ClientReply compare_and_set(const net::ClientRequest& request);

  // Moves `client_id`'s slot in by_last_index_ to `index`.
  void touch(const std::string& client_id, Session& session, Index index);
  // Records a newly applied request, expiring the oldest client if the
  // table would grow past max_clients_.
  void remember(const net::ClientRequest& request,
                const net::ClientReply& reply, Index index);
  void expire_oldest_client();

  // Every change to data_ goes through these, which keep digest_.
  void set_value(const std::string& key, const std::string& value);
  std::optional<std::string> erase_value(const std::string& key);

  // The keys and their values, in key order (for snapshots and range
  // reads, later).
  std::map<std::string, std::string> data_;
  std::uint64_t digest_ = 0;

  // Last applied request per client. Bounded by max_clients_: the cost of
  // the bound is that a client silent for max_clients_ other clients' worth
  // of requests is forgotten, and a late retry of its last request is then
  // applied a second time, as new (the bound trades exactly-once for
  // clients that vanish mid-retry against unbounded memory).
  std::unordered_map<std::string, Session> sessions_;

  // Every client in sessions_, keyed by its Session::last_index, so the
  // oldest is found and expired in O(log n). Indexes are unique keys: each
  // log index touches at most one client.
  std::map<Index, std::string> by_last_index_;

  // The most clients sessions_ may hold; at least 1.
  std::size_t max_clients_;

  // The index of the last entry applied; strictly increases.
  Index applied_index_ = 0;
};

}  // namespace raft::kv
