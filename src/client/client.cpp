#include "raft/client/client.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <iterator>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>

#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>

#include "raft/net/codec.hpp"

namespace raft::client {

using Clock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

namespace detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// One line-framed TCP connection, used synchronously: each call starts one
// asynchronous operation and runs the private io_context until it finishes
// or the deadline passes, in which case the socket is closed (that cancels
// the operation) and the call returns timed_out. Errors are values: a node
// going away is normal for a client.
//
// Not yet: a host name is looked up by the system resolver, whose own
// timeout (not ours) bounds a lookup that hangs; IP literals never wait.
class Link {
 public:
  const std::string& address() const { return address_; }
  bool is_open() const { return socket_.is_open(); }

  ErrorCode open(const std::string& address, Clock::time_point deadline);
  ErrorCode write_line(std::string_view line, Clock::time_point deadline);
  // One line without its '\n'; a line longer than net::max_frame_bytes
  // fails with message_size.
  ErrorCode read_line(std::string& line, Clock::time_point deadline);
  void close();

 private:
  // Runs the pending operation to completion or to `deadline`; returns
  // `result` as its handler set it, or timed_out.
  ErrorCode run_until(Clock::time_point deadline, const ErrorCode& result);

  asio::io_context io_;
  tcp::resolver resolver_{io_};
  tcp::socket socket_{io_};
  // Bytes read past the last line returned; at most max_frame_bytes + 1.
  std::string buffer_;
  std::string address_;
};

namespace {

struct HostPort {
  std::string host;
  std::string port;
};

// "host:port", or "[v6 address]:port", with a port from 1 to 65535.
std::optional<HostPort> split_address(const std::string& address) {
  const std::size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return std::nullopt;
  }
  const std::string port = address.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  if (const unsigned long number = std::stoul(port);
      number == 0 || number > 65535) {
    return std::nullopt;
  }

  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return HostPort{std::move(host), port};
}

}  // namespace

ErrorCode Link::open(const std::string& address, Clock::time_point deadline) {
  close();
  address_ = address;
  const std::optional<HostPort> parts = split_address(address);
  if (!parts) {
    return asio::error::invalid_argument;
  }

  ErrorCode result = asio::error::would_block;
  tcp::resolver::results_type endpoints;
  resolver_.async_resolve(
      parts->host, parts->port, tcp::resolver::numeric_service,
      [&](const ErrorCode& ec, tcp::resolver::results_type found) {
        result = ec;
        endpoints = std::move(found);
      });
  if (ErrorCode ec = run_until(deadline, result)) {
    return ec;
  }

  result = asio::error::would_block;
  asio::async_connect(socket_, endpoints,
                      [&](const ErrorCode& ec, const tcp::endpoint&) {
                        result = ec;
                      });
  if (ErrorCode ec = run_until(deadline, result)) {
    close();
    return ec;
  }

  // Requests are single small writes; Nagle would only add latency.
  ErrorCode ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  return {};
}

ErrorCode Link::write_line(std::string_view line,
                           Clock::time_point deadline) {
  std::string frame;
  frame.reserve(line.size() + 1);
  frame.append(line);
  frame.push_back('\n');

  ErrorCode result = asio::error::would_block;
  asio::async_write(socket_, asio::buffer(frame),
                    [&](const ErrorCode& ec, std::size_t) { result = ec; });
  if (ErrorCode ec = run_until(deadline, result)) {
    close();
    return ec;
  }
  return {};
}

ErrorCode Link::read_line(std::string& line, Clock::time_point deadline) {
  ErrorCode result = asio::error::would_block;
  std::size_t length = 0;
  asio::async_read_until(
      socket_, asio::dynamic_buffer(buffer_, net::max_frame_bytes + 1), '\n',
      [&](const ErrorCode& ec, std::size_t n) {
        result = ec;
        length = n;
      });
  if (ErrorCode ec = run_until(deadline, result)) {
    close();
    // read_until says not_found when the buffer filled with no '\n'.
    return ec == asio::error::not_found ? asio::error::message_size : ec;
  }

  line.assign(buffer_, 0, length - 1);
  buffer_.erase(0, length);
  return {};
}

void Link::close() {
  ErrorCode ignored;
  socket_.close(ignored);
  buffer_.clear();
}

ErrorCode Link::run_until(Clock::time_point deadline,
                          const ErrorCode& result) {
  io_.restart();
  io_.run_until(deadline);
  if (io_.stopped()) {
    return result;
  }

  // Still pending at the deadline: cancel, then let the handler run so that
  // it no longer refers to the caller's locals once we return.
  resolver_.cancel();
  ErrorCode ignored;
  socket_.close(ignored);
  io_.restart();
  io_.run();
  return asio::error::timed_out;
}

}  // namespace detail

bool is_address(const std::string& address) {
  return detail::split_address(address).has_value();
}

namespace {

// A node may interleave other frames; past this many we give up on it.
constexpr int max_skipped_frames = 64;

constexpr std::chrono::milliseconds backoff_min{20};
constexpr std::chrono::milliseconds backoff_max{320};

std::string random_client_id() {
  std::random_device device;
  const std::uint64_t bits =
      (std::uint64_t{device()} << 32) | std::uint64_t{device()};

  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(bits));
  return std::string("ctl-") + hex;
}

// "10 s", "2.5 s": how long a deadline was, for error messages.
std::string seconds_text(std::chrono::milliseconds duration) {
  const auto count = duration.count();
  std::string text = std::to_string(count / 1000);
  if (count % 1000 != 0) {
    char fraction[8];
    std::snprintf(fraction, sizeof fraction, ".%03lld",
                  static_cast<long long>(count % 1000));
    std::string digits = fraction;
    digits.erase(digits.find_last_not_of('0') + 1);
    text += digits;
  }
  return text + " s";
}

std::string describe(const ErrorCode& ec) {
  if (ec == boost::asio::error::timed_out) {
    return "no answer in time";
  }
  if (ec == boost::asio::error::message_size) {
    return "reply longer than the frame limit";
  }
  if (ec == boost::asio::error::invalid_argument) {
    return "not a host:port address";
  }
  return ec.message();
}

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) {
    text += text.empty() ? "" : ", ";
    text += item;
  }
  return text;
}

// Refuses locally what a node would refuse, so the cause reads clearly.
void check_bounds(const net::ClientRequest& request) {
  if (request.key.size() > net::max_key_bytes) {
    throw ClientError("key is " + std::to_string(request.key.size()) +
                      " bytes; the limit is " +
                      std::to_string(net::max_key_bytes));
  }
  const std::size_t expected_size =
      request.expected ? request.expected->size() : 0;
  if (std::max(request.value.size(), expected_size) > net::max_value_bytes) {
    throw ClientError("value is longer than the limit of " +
                      std::to_string(net::max_value_bytes) + " bytes");
  }
}

// The next frame from `link`, or why there is none.
std::variant<net::Frame, std::string> read_frame(detail::Link& link,
                                                 Clock::time_point until) {
  std::string line;
  if (ErrorCode ec = link.read_line(line, until)) {
    return describe(ec);
  }

  auto decoded = net::decode(line);
  if (auto* error = std::get_if<net::DecodeError>(&decoded)) {
    link.close();
    return "unreadable reply: " + error->message;
  }
  return std::get<net::Frame>(std::move(decoded));
}

// client_id and seq are execute's to fill in.
net::ClientRequest make_request(
    net::KvOp op, const std::string& key, const std::string& value = "",
    std::optional<std::string> expected = std::nullopt) {
  net::ClientRequest request;
  request.op = op;
  request.key = key;
  request.value = value;
  request.expected = std::move(expected);
  return request;
}

bool is_retryable(const net::ClientReply& reply) {
  return reply.error == "not_leader" || reply.error == "leadership_lost" ||
         reply.error == "timeout" || reply.error == "overloaded";
}

}  // namespace

Client::Client(std::vector<std::string> cluster, ClientOptions options)
    : cluster_(std::move(cluster)),
      options_(std::move(options)),
      next_seq_(options_.first_seq),
      link_(std::make_unique<detail::Link>()),
      jitter_(std::random_device{}()) {
  if (cluster_.empty()) {
    throw ClientError("the cluster has no addresses");
  }
  if (options_.client_id.empty()) {
    options_.client_id = random_client_id();
  }
  current_ = cluster_.front();
}

Client::~Client() = default;

void Client::put(const std::string& key, const std::string& value) {
  execute(make_request(net::KvOp::put, key, value));
}

std::optional<std::string> Client::get(const std::string& key) {
  return execute(make_request(net::KvOp::get, key)).value;
}

bool Client::remove(const std::string& key) {
  // A delete answers with the old value, if there was one.
  return execute(make_request(net::KvOp::del, key)).value.has_value();
}

bool Client::cas(const std::string& key, std::optional<std::string> expected,
                 const std::string& value) {
  return compare_and_swap(key, std::move(expected), value).swapped;
}

CasResult Client::compare_and_swap(const std::string& key,
                                   std::optional<std::string> expected,
                                   const std::string& value) {
  net::ClientReply reply = execute(
      make_request(net::KvOp::cas, key, value, std::move(expected)));
  if (reply.ok) {
    return CasResult{.swapped = true, .current = std::move(reply.value)};
  }
  return CasResult{.swapped = false, .current = std::move(reply.value)};
}

net::StatusReply Client::status(const std::string& address) {
  detail::Link link;
  const Clock::time_point until = Clock::now() + options_.attempt_timeout;
  if (ErrorCode ec = link.open(address, until)) {
    throw ClientError(address + ": " + describe(ec));
  }
  if (ErrorCode ec =
          link.write_line(net::encode(net::StatusRequest{}), until)) {
    throw ClientError(address + ": " + describe(ec));
  }

  for (int skipped = 0; skipped <= max_skipped_frames; ++skipped) {
    auto frame = read_frame(link, until);
    if (auto* problem = std::get_if<std::string>(&frame)) {
      throw ClientError(address + ": " + *problem);
    }
    if (auto* reply = std::get_if<net::StatusReply>(&std::get<0>(frame))) {
      return std::move(*reply);
    }
  }
  throw ClientError(address + ": no status reply among its frames");
}

net::ClientReply Client::execute(net::ClientRequest request) {
  check_bounds(request);
  request.client_id = options_.client_id;
  request.seq = next_seq_++;
  const Clock::time_point deadline = Clock::now() + options_.deadline;

  // Each step: maybe pause, try the current node, then judge its answer.
  std::vector<std::string> tried;
  std::string problem = "no node tried";
  int retries = 0;
  int redirects_in_row = 0;
  bool pause = false;
  while (true) {
    if (pause) {
      back_off(retries++, deadline);
    }
    if (Clock::now() >= deadline) {
      break;
    }
    if (std::find(tried.begin(), tried.end(), current_) == tried.end()) {
      tried.push_back(current_);
    }

    std::optional<net::ClientReply> reply =
        attempt(request, deadline, problem);
    if (reply && (reply->ok || reply->error == "cas_failed")) {
      return std::move(*reply);
    }

    // A redirect goes straight to the leader named; only a chain of them
    // (nodes that disagree on who leads) is slowed down.
    if (reply && reply->error == "not_leader" &&
        !reply->leader_address.empty() && reply->leader_address != current_) {
      problem = current_ + ": not leader, redirected to " +
                reply->leader_address;
      current_ = reply->leader_address;
      pause = ++redirects_in_row > 1;
      continue;
    }

    if (reply && !is_retryable(*reply)) {
      throw ClientError(current_ + " refused the request: " + reply->error +
                        (reply->message.empty() ? "" : ": ") +
                        reply->message);
    }
    if (reply) {
      problem = current_ + ": " + reply->error;
    }
    redirects_in_row = 0;
    pause = true;
    rotate();
  }

  throw ClientError("no leader reachable within " +
                    seconds_text(options_.deadline) + "; tried " +
                    join(tried) + " (last: " + problem + ")");
}

std::optional<net::ClientReply> Client::attempt(
    const net::ClientRequest& request, Clock::time_point deadline,
    std::string& problem) {
  const Clock::time_point until =
      std::min(deadline, Clock::now() + options_.attempt_timeout);

  if (!link_->is_open() || link_->address() != current_) {
    if (ErrorCode ec = link_->open(current_, until)) {
      problem = current_ + ": " + describe(ec);
      return std::nullopt;
    }
  }
  if (ErrorCode ec = link_->write_line(net::encode(request), until)) {
    problem = current_ + ": " + describe(ec);
    return std::nullopt;
  }

  // Replies to earlier requests (answered after we gave up on them) may
  // still be on this connection: skip any whose seq is not ours.
  for (int skipped = 0; skipped <= max_skipped_frames; ++skipped) {
    auto frame = read_frame(*link_, until);
    if (auto* text = std::get_if<std::string>(&frame)) {
      problem = current_ + ": " + *text;
      return std::nullopt;
    }

    net::Frame& got = std::get<net::Frame>(frame);
    if (auto* error = std::get_if<net::ErrorReply>(&got)) {
      link_->close();
      throw ClientError(current_ + " rejected the request: " +
                        error->message);
    }
    auto* reply = std::get_if<net::ClientReply>(&got);
    if (reply && reply->seq == request.seq) {
      return std::move(*reply);
    }
  }

  link_->close();
  problem = current_ + ": no reply among its frames";
  return std::nullopt;
}

void Client::rotate() {
  const auto found = std::find(cluster_.begin(), cluster_.end(), current_);
  // A leader address spelled differently from our list restarts the turn.
  if (found == cluster_.end()) {
    current_ = cluster_.front();
    return;
  }

  const auto next = std::next(found);
  current_ = next == cluster_.end() ? cluster_.front() : *next;
}

void Client::back_off(int retry, Clock::time_point deadline) {
  const int doublings = std::min(retry, 4);
  const std::chrono::milliseconds cap =
      std::min(backoff_max, backoff_min * (1 << doublings));

  // Between half and all of the cap, so that clients do not retry in step.
  std::uniform_int_distribution<long long> pick(cap.count() / 2,
                                                cap.count());
  const auto delay = std::chrono::milliseconds(pick(jitter_));
  const auto remaining = deadline - Clock::now();
  if (remaining > Clock::duration::zero()) {
    std::this_thread::sleep_for(
        std::min<Clock::duration>(delay, remaining));
  }
}

}  // namespace raft::client
