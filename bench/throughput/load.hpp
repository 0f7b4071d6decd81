// The closed-loop load: C clients, each on its own keep-alive connection
// with its own client id, each sending its next put as soon as the last was
// answered. All clients share one io_context thread.
//
//   raft: newline-delimited JSON puts (net/wire.hpp), following not_leader
//         redirects, retrying "overloaded"/"timeout"/"leadership_lost";
//   etcd: HTTP/1.1 POST /v3/kv/put on etcd's JSON gateway, key and value
//         base64-encoded.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace raft::bench::tp {

enum class Protocol { raft_json, etcd_http };

struct LoadSpec {
  Protocol protocol = Protocol::raft_json;
  std::uint16_t port = 0;  // the leader's client port on 127.0.0.1
  std::size_t clients = 1;
  std::size_t value_bytes = 100;
  std::chrono::milliseconds warmup{1000};
  std::chrono::milliseconds duration{5000};
  // Makes client ids unique across runs.
  std::string run_tag;
};

// Called on the load thread when the measured window opens and closes, to
// sample the nodes' CPU at the same instants.
struct WindowHooks {
  std::function<void()> open;
  std::function<void()> close;
};

struct LoadResult {
  // One entry per put completed inside the window, in microseconds from
  // its first send to its final successful answer (retries included).
  std::vector<std::uint32_t> latencies_us;
  double window_s = 0;
  std::uint64_t errors = 0;      // final failures (not counted as ops)
  std::uint64_t retries = 0;     // overloaded, timeout, 429, ...
  std::uint64_t redirects = 0;   // not_leader answers followed
  std::uint64_t reconnects = 0;  // transport failures
  double loadgen_cpu_s = 0;      // this process, inside the window
};

// Runs the load; returns when every client has stopped (bounded: the last
// answers get a short grace, then connections are closed). Throws
// Interrupted on SIGINT/SIGTERM.
LoadResult run_load(const LoadSpec& spec, const WindowHooks& hooks);

// The "seq" of a reply line and whether it says "ok":true, found without
// a full JSON parse (the load thread reads tens of thousands a second).
struct QuickReply {
  bool parsed = false;
  bool ok = false;
  std::uint64_t seq = 0;
};
QuickReply quick_parse(std::string_view line);

// Standard base64 with padding, as etcd's JSON gateway wants bytes.
std::string base64(const std::string& bytes);

}  // namespace raft::bench::tp
