#include "raft/net/connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <vector>

namespace raft::net {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

const char* to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::peer_closed:
      return "closed by peer";
    case CloseReason::io_error:
      return "I/O error";
    case CloseReason::oversized_frame:
      return "oversized frame";
    case CloseReason::local:
      return "closed locally";
  }
  return "unknown";
}

Connection::Connection(tcp::socket socket, std::size_t max_line_bytes)
    : socket_(std::move(socket)),
      max_line_bytes_(max_line_bytes),
      wake_writer_(socket_.get_executor()) {
  boost::system::error_code ec;
  const auto endpoint = socket_.remote_endpoint(ec);
  remote_ = ec ? "?" : endpoint.address().to_string() + ":" +
                           std::to_string(endpoint.port());
  socket_.set_option(tcp::no_delay(true), ec);
  wake_writer_.expires_at(asio::steady_timer::time_point::max());
}

asio::awaitable<CloseReason> Connection::read_lines(LineHandler on_line) {
  auto self = shared_from_this();
  std::string buffer;

  while (open_ && !draining_) {
    // The dynamic buffer's limit bounds memory: a line longer than the
    // frame cap fails with not_found instead of growing without end.
    auto [ec, length] = co_await asio::async_read_until(
        socket_, asio::dynamic_buffer(buffer, max_line_bytes_ + 1), '\n',
        use_tuple);

    if (ec == asio::error::not_found) {
      close();
      co_return CloseReason::oversized_frame;
    }
    if (ec) {
      const bool local = !open_;
      close();
      if (local) {
        co_return CloseReason::local;
      }
      co_return ec == asio::error::eof ? CloseReason::peer_closed
                                       : CloseReason::io_error;
    }

    std::string_view line(buffer.data(), length - 1);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);  // be kind to people typing into nc/telnet
    }
    if (!line.empty()) {
      on_line(line);
    }
    buffer.erase(0, length);
  }
  co_return CloseReason::local;
}

asio::awaitable<void> Connection::write_loop() {
  auto self = shared_from_this();

  while (open_) {
    if (queue_.empty()) {
      if (draining_) {
        close();
        break;
      }
      co_await wake_writer_.async_wait(use_tuple);
      continue;
    }

    // Everything queued goes out in one gathered write: under load, many
    // frames share one syscall.
    std::vector<std::string> batch;
    batch.reserve(std::min(queue_.size(), max_frames_per_write));
    while (!queue_.empty() && batch.size() < max_frames_per_write) {
      queued_bytes_ -= queue_.front().size();
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(batch.size());
    for (const std::string& frame : batch) {
      buffers.push_back(asio::buffer(frame));
    }

    auto [ec, written] =
        co_await asio::async_write(socket_, buffers, use_tuple);
    (void)written;
    if (ec) {
      close();
    }
  }
}

bool Connection::send(std::string frame) {
  if (!open_ || draining_ || queue_.size() >= max_queued_frames ||
      queued_bytes_ + frame.size() + 1 > max_queued_bytes) {
    return false;
  }
  frame.push_back('\n');
  queued_bytes_ += frame.size();
  queue_.push_back(std::move(frame));
  wake_writer_.cancel();
  return true;
}

void Connection::close_after_flush() {
  draining_ = true;
  wake_writer_.cancel();
}

void Connection::close() {
  if (!open_) {
    return;
  }
  open_ = false;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  wake_writer_.cancel();
  queue_.clear();
  queued_bytes_ = 0;
}

}  // namespace raft::net
