#include "load.hpp"

#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "child.hpp"
#include "raft/net/codec.hpp"

namespace raft::bench::tp {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// Bounds: every loop ends by count as well as by time.
constexpr int max_attempts_per_put = 10'000;
constexpr std::uint64_t max_puts_per_client = 100'000'000;
constexpr int max_stale_lines = 64;
constexpr std::size_t max_reply_bytes = 1 << 20;
constexpr std::size_t max_samples = 50'000'000;
constexpr std::size_t keys_per_client = 16;
constexpr milliseconds tick{5};
constexpr milliseconds grace{3000};
constexpr milliseconds retry_pause{1};
constexpr milliseconds reconnect_pause{10};

// What one try at one put came to.
enum class Outcome { ok, redirect, retry, transport, failed };

std::string make_value(std::size_t bytes) {
  std::string value(bytes, 'a');
  for (std::size_t i = 0; i < bytes; ++i) {
    value[i] = static_cast<char>('a' + i % 26);
  }
  return value;
}

// State every client shares; touched only on the one load thread.
struct Shared {
  explicit Shared(const LoadSpec& load)
      : spec(load),
        value(make_value(load.value_bytes)),
        value_b64(base64(value)) {}

  const LoadSpec& spec;
  std::string value;      // spec.value_bytes letters
  std::string value_b64;  // the same, for etcd
  bool window_open = false;
  bool stopping = false;  // window closed: finish the current put, stop
  bool closing = false;   // grace over or a signal: drop connections
  std::size_t active = 0;
  LoadResult result;
  std::vector<std::function<void()>> closers;

  void record(Clock::time_point start, bool ok) {
    if (!ok || !window_open || result.latencies_us.size() >= max_samples) {
      return;
    }
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
        Clock::now() - start);
    result.latencies_us.push_back(static_cast<std::uint32_t>(
        std::min<std::int64_t>(us.count(), UINT32_MAX)));
  }

  void close_all() {
    closing = true;
    for (auto& close : closers) {
      close();
    }
  }
};

asio::awaitable<void> pause(milliseconds how_long) {
  asio::steady_timer timer(co_await asio::this_coro::executor, how_long);
  co_await timer.async_wait(use_tuple);
}

tcp::endpoint loopback(std::uint16_t port) {
  return {asio::ip::make_address_v4("127.0.0.1"), port};
}

// "127.0.0.1:7002" -> 7002; only loopback addresses are followed.
std::optional<std::uint16_t> loopback_port(const std::string& address) {
  const std::string prefix = "127.0.0.1:";
  if (address.rfind(prefix, 0) != 0) {
    return std::nullopt;
  }
  std::uint16_t port = 0;
  const char* begin = address.data() + prefix.size();
  const char* end = address.data() + address.size();
  const auto [rest, ec] = std::from_chars(begin, end, port);
  if (ec != std::errc() || rest != end || port == 0) {
    return std::nullopt;
  }
  return port;
}

// ---------------------------------------------------------------------------
// raft: newline-delimited JSON

struct RaftSlot {
  explicit RaftSlot(asio::io_context& io) : socket(io) {}

  tcp::socket socket;
  bool connected = false;
  std::uint16_t port = 0;
  std::string client_id;
  std::size_t index = 0;
  std::uint64_t seq = 0;
  std::string out;  // the request line of the current put
  std::string in;   // bytes read; in[0, taken) was handed out already
  std::size_t taken = 0;

  void close() {
    boost::system::error_code ignored;
    socket.close(ignored);
    connected = false;
    in.clear();
    taken = 0;
  }
};

void build_put_line(RaftSlot& slot, const Shared& shared) {
  slot.out.clear();
  fmt::format_to(std::back_inserter(slot.out),
                 "{{\"type\":\"put\",\"client_id\":\"{}\",\"seq\":{},"
                 "\"key\":\"k{}-{}\",\"value\":\"{}\"}}\n",
                 slot.client_id, slot.seq, slot.index,
                 slot.seq % keys_per_client, shared.value);
}

asio::awaitable<bool> raft_connect(Shared& shared, RaftSlot& slot) {
  slot.close();
  slot.socket = tcp::socket(co_await asio::this_coro::executor);
  auto [ec] = co_await slot.socket.async_connect(loopback(slot.port),
                                                 use_tuple);
  if (ec) {
    ++shared.result.reconnects;
    co_await pause(reconnect_pause);
    co_return false;
  }
  slot.socket.set_option(tcp::no_delay(true), ec);
  // Requests are written without waiting when the socket takes them; a
  // socket that cannot be made non-blocking would stall every client.
  slot.socket.non_blocking(true, ec);
  if (ec) {
    slot.close();
    ++shared.result.reconnects;
    co_await pause(reconnect_pause);
    co_return false;
  }
  slot.connected = true;
  co_return true;
}

// The outcome of a reply that is not a plain success.
Outcome classify_failure(Shared& shared, RaftSlot& slot,
                         const std::string& line) {
  auto decoded = net::decode(line);
  auto* frame = std::get_if<net::Frame>(&decoded);
  auto* reply = frame ? std::get_if<net::ClientReply>(frame) : nullptr;
  if (reply == nullptr) {
    return Outcome::failed;
  }
  if (reply->ok) {
    return Outcome::ok;
  }
  if (reply->error == "not_leader") {
    const auto port = loopback_port(reply->leader_address);
    if (!port) {
      return Outcome::retry;  // no leader known yet
    }
    slot.port = *port;
    ++shared.result.redirects;
    return Outcome::redirect;
  }
  const bool transient = reply->error == "overloaded" ||
                         reply->error == "timeout" ||
                         reply->error == "leadership_lost";
  return transient ? Outcome::retry : Outcome::failed;
}

// Writes the current put: at once if the socket takes it all (it almost
// always does), else the rest through Asio. Like the node's own connections,
// this saves the load generator a round through the event loop per request,
// so that more of the machine is left to the cluster.
asio::awaitable<bool> raft_write(RaftSlot& slot) {
  boost::system::error_code ec;
  const std::size_t written =
      slot.socket.write_some(asio::buffer(slot.out), ec);
  if (ec && ec != asio::error::would_block) {
    co_return false;
  }
  if (written == slot.out.size()) {
    co_return true;
  }
  auto [write_error, rest] = co_await asio::async_write(
      slot.socket, asio::buffer(slot.out) + written, use_tuple);
  co_return !write_error;
}

// The next line the server sent, without its newline; it stays valid until
// the next call. Nothing if the connection failed, or if more than
// max_reply_bytes (plus one read) arrived without a newline.
asio::awaitable<std::optional<std::string_view>> raft_read_line(
    RaftSlot& slot) {
  slot.in.erase(0, slot.taken);
  slot.taken = 0;
  std::size_t scanned = 0;
  while (true) {
    const auto newline = slot.in.find('\n', scanned);
    if (newline != std::string::npos) {
      slot.taken = newline + 1;
      co_return std::string_view(slot.in).substr(0, newline);
    }
    scanned = slot.in.size();
    if (scanned > max_reply_bytes) {
      co_return std::nullopt;
    }
    char chunk[4096];
    auto [ec, length] = co_await slot.socket.async_read_some(
        asio::buffer(chunk), use_tuple);
    if (ec) {
      co_return std::nullopt;
    }
    slot.in.append(chunk, length);
  }
}

// Sends the current put once and reads lines until its reply.
asio::awaitable<Outcome> raft_try(Shared& shared, RaftSlot& slot) {
  if (!co_await raft_write(slot)) {
    co_return Outcome::transport;
  }

  for (int line_count = 0; line_count < max_stale_lines; ++line_count) {
    const auto line = co_await raft_read_line(slot);
    if (!line) {
      co_return Outcome::transport;
    }

    const QuickReply quick = quick_parse(*line);
    if (quick.parsed && quick.seq != slot.seq) {
      continue;  // an answer to an earlier try
    }
    if (quick.parsed && quick.ok) {
      co_return Outcome::ok;
    }
    co_return classify_failure(shared, slot, std::string(*line));
  }
  co_return Outcome::transport;
}

asio::awaitable<bool> raft_put(Shared& shared, RaftSlot& slot) {
  for (int attempt = 0; attempt < max_attempts_per_put && !shared.closing;
       ++attempt) {
    if (!slot.connected && !co_await raft_connect(shared, slot)) {
      continue;
    }

    switch (co_await raft_try(shared, slot)) {
      case Outcome::ok:
        co_return true;
      case Outcome::redirect:
        slot.close();
        break;
      case Outcome::retry:
        ++shared.result.retries;
        co_await pause(retry_pause);
        break;
      case Outcome::transport:
        ++shared.result.reconnects;
        slot.close();
        co_await pause(reconnect_pause);
        break;
      case Outcome::failed:
        ++shared.result.errors;
        co_return false;
    }
  }
  ++shared.result.errors;
  co_return false;
}

asio::awaitable<void> raft_client(Shared& shared, RaftSlot& slot) {
  for (std::uint64_t n = 0; n < max_puts_per_client && !shared.stopping;
       ++n) {
    const auto start = Clock::now();
    ++slot.seq;
    build_put_line(slot, shared);
    shared.record(start, co_await raft_put(shared, slot));
  }
  slot.close();
}

// ---------------------------------------------------------------------------
// etcd: POST /v3/kv/put on the JSON gateway, keep-alive HTTP/1.1

struct EtcdSlot {
  explicit EtcdSlot(asio::io_context& io) : stream(io) {}

  beast::tcp_stream stream;
  bool connected = false;
  std::uint16_t port = 0;
  std::size_t index = 0;
  std::uint64_t count = 0;
  beast::flat_buffer buffer;
  http::request<http::string_body> request;
  http::response<http::string_body> response;

  void close() {
    boost::system::error_code ignored;
    stream.socket().close(ignored);
    connected = false;
    buffer.clear();
  }
};

void build_put_request(EtcdSlot& slot, const Shared& shared) {
  const std::string key =
      fmt::format("k{}-{}", slot.index, slot.count % keys_per_client);
  auto& request = slot.request;
  request.clear();
  request.method(http::verb::post);
  request.target("/v3/kv/put");
  request.version(11);
  request.set(http::field::host, fmt::format("127.0.0.1:{}", slot.port));
  request.set(http::field::content_type, "application/json");
  request.body() = fmt::format(R"({{"key":"{}","value":"{}"}})", base64(key),
                               shared.value_b64);
  request.prepare_payload();
}

asio::awaitable<bool> etcd_connect(Shared& shared, EtcdSlot& slot) {
  slot.close();
  auto [ec] = co_await slot.stream.async_connect(loopback(slot.port),
                                                 use_tuple);
  if (ec) {
    ++shared.result.reconnects;
    co_await pause(reconnect_pause);
    co_return false;
  }
  slot.stream.socket().set_option(tcp::no_delay(true), ec);
  slot.connected = true;
  co_return true;
}

asio::awaitable<Outcome> etcd_try(EtcdSlot& slot) {
  auto [write_error, written] =
      co_await http::async_write(slot.stream, slot.request, use_tuple);
  if (write_error) {
    co_return Outcome::transport;
  }

  slot.response = {};
  auto [read_error, read] = co_await http::async_read(
      slot.stream, slot.buffer, slot.response, use_tuple);
  if (read_error) {
    co_return Outcome::transport;
  }
  if (!slot.response.keep_alive()) {
    slot.close();
  }

  const auto status = slot.response.result();
  if (status == http::status::ok) {
    co_return Outcome::ok;
  }
  // Too many requests, leader changed, timed out: worth another try.
  const bool transient = status == http::status::too_many_requests ||
                         status == http::status::service_unavailable ||
                         status == http::status::internal_server_error ||
                         status == http::status::gateway_timeout;
  co_return transient ? Outcome::retry : Outcome::failed;
}

asio::awaitable<bool> etcd_put(Shared& shared, EtcdSlot& slot) {
  for (int attempt = 0; attempt < max_attempts_per_put && !shared.closing;
       ++attempt) {
    if (!slot.connected && !co_await etcd_connect(shared, slot)) {
      continue;
    }

    switch (co_await etcd_try(slot)) {
      case Outcome::ok:
        co_return true;
      case Outcome::redirect:
      case Outcome::retry:
        ++shared.result.retries;
        co_await pause(retry_pause);
        break;
      case Outcome::transport:
        ++shared.result.reconnects;
        slot.close();
        co_await pause(reconnect_pause);
        break;
      case Outcome::failed:
        ++shared.result.errors;
        co_return false;
    }
  }
  ++shared.result.errors;
  co_return false;
}

asio::awaitable<void> etcd_client(Shared& shared, EtcdSlot& slot) {
  for (; slot.count < max_puts_per_client && !shared.stopping;
       ++slot.count) {
    const auto start = Clock::now();
    build_put_request(slot, shared);
    shared.record(start, co_await etcd_put(shared, slot));
  }
  slot.close();
}

// ---------------------------------------------------------------------------
// The run

// Opens and closes the measured window on time, ends the grace, and
// notices signals; returns once every client has stopped.
asio::awaitable<void> supervise(Shared& shared, const WindowHooks& hooks) {
  const auto start = Clock::now();
  const auto open_at = start + shared.spec.warmup;
  const auto close_at = open_at + shared.spec.duration;
  const auto max_ticks = (shared.spec.warmup + shared.spec.duration + grace) /
                             tick + 1000;
  Clock::time_point opened;
  Clock::time_point closed;
  double cpu_at_open = 0;

  for (long n = 0; n < max_ticks && shared.active > 0; ++n) {
    co_await pause(tick);
    const auto now = Clock::now();

    if (interrupted() || (shared.stopping && now >= closed + grace)) {
      shared.close_all();
    }
    if (!shared.window_open && !shared.stopping && now >= open_at) {
      hooks.open();
      cpu_at_open = self_cpu_seconds();
      opened = Clock::now();
      shared.window_open = true;
    }
    if (shared.window_open && now >= close_at) {
      closed = Clock::now();
      shared.window_open = false;
      shared.stopping = true;
      shared.result.loadgen_cpu_s = self_cpu_seconds() - cpu_at_open;
      shared.result.window_s =
          std::chrono::duration<double>(closed - opened).count();
      hooks.close();
    }
  }
  shared.close_all();
}

template <typename Slot, typename Body>
void spawn_clients(asio::io_context& io, Shared& shared,
                   std::vector<std::unique_ptr<Slot>>& slots, Body body) {
  for (std::size_t i = 0; i < shared.spec.clients; ++i) {
    auto slot = std::make_unique<Slot>(io);
    slot->port = shared.spec.port;
    slot->index = i;
    Slot& ref = *slot;
    shared.closers.push_back([&ref] { ref.close(); });
    slots.push_back(std::move(slot));

    ++shared.active;
    asio::co_spawn(io, body(ref), [&shared](std::exception_ptr error) {
      --shared.active;
      if (error) {
        std::rethrow_exception(error);
      }
    });
  }
}

}  // namespace

QuickReply quick_parse(std::string_view line) {
  QuickReply reply;
  constexpr std::string_view seq_key = "\"seq\":";
  const auto at = line.find(seq_key);
  if (at == std::string_view::npos) {
    return reply;
  }
  const char* begin = line.data() + at + seq_key.size();
  const char* end = line.data() + line.size();
  const auto [rest, ec] = std::from_chars(begin, end, reply.seq);
  if (ec != std::errc() || rest == begin) {
    return reply;
  }
  reply.parsed = true;
  reply.ok = line.find("\"ok\":true") != std::string_view::npos;
  return reply;
}

std::string base64(const std::string& bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t left = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t chunk = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      const auto byte = j < left ? static_cast<unsigned char>(bytes[i + j])
                                 : 0u;
      chunk = (chunk << 8) | byte;
    }
    for (std::size_t j = 0; j < 4; ++j) {
      out += j <= left ? alphabet[(chunk >> (18 - 6 * j)) & 63] : '=';
    }
  }
  return out;
}

LoadResult run_load(const LoadSpec& spec, const WindowHooks& hooks) {
  asio::io_context io(1);
  Shared shared(spec);
  shared.result.latencies_us.reserve(1 << 20);

  std::vector<std::unique_ptr<RaftSlot>> raft_slots;
  std::vector<std::unique_ptr<EtcdSlot>> etcd_slots;
  if (spec.protocol == Protocol::raft_json) {
    spawn_clients(io, shared, raft_slots, [&](RaftSlot& slot) {
      slot.client_id = fmt::format("tp-{}-{}", spec.run_tag, slot.index);
      return raft_client(shared, slot);
    });
  } else {
    spawn_clients(io, shared, etcd_slots, [&](EtcdSlot& slot) {
      return etcd_client(shared, slot);
    });
  }
  asio::co_spawn(io, supervise(shared, hooks), [](std::exception_ptr error) {
    if (error) {
      std::rethrow_exception(error);
    }
  });

  io.run();
  throw_if_interrupted();
  return std::move(shared.result);
}

}  // namespace raft::bench::tp
