#include "raft/net/connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cstring>
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
      wake_writer_(socket_.get_executor()),
      give_up_(socket_.get_executor()) {
  boost::system::error_code ec;
  const auto endpoint = socket_.remote_endpoint(ec);
  remote_ = ec ? "?" : endpoint.address().to_string() + ":" +
                           std::to_string(endpoint.port());
  socket_.set_option(tcp::no_delay(true), ec);
  // send() writes without waiting when it can; a full socket buffer must
  // then report would_block, not block the strand.
  socket_.non_blocking(true, ec);
  wake_writer_.expires_at(asio::steady_timer::time_point::max());
}

asio::awaitable<CloseReason> Connection::read_lines(LineHandler on_line) {
  auto self = shared_from_this();
  // [0, filled) of `buffer` is read and not yet handed out; [0, scanned)
  // of that holds no newline.
  std::vector<char> buffer(initial_read_bytes);
  std::size_t filled = 0;
  std::size_t scanned = 0;

  while (open_ && !draining_) {
    if (filled == buffer.size()) {
      // A line longer than the buffer so far: grow it up to the frame cap
      // (plus its newline), which bounds memory.
      buffer.resize(std::min(buffer.size() * 2, max_line_bytes_ + 1));
    }
    reading_ = true;
    auto [ec, length] = co_await socket_.async_read_some(
        asio::buffer(buffer.data() + filled, buffer.size() - filled),
        use_tuple);
    reading_ = false;
    if (ec) {
      const bool local = !open_;
      close();
      if (local) {
        co_return CloseReason::local;
      }
      co_return ec == asio::error::eof ? CloseReason::peer_closed
                                       : CloseReason::io_error;
    }
    filled += length;

    // Every complete line that arrived, in order, before reading again.
    std::size_t line_start = 0;
    while (open_ && !draining_) {
      const void* newline = std::memchr(buffer.data() + scanned, '\n',
                                        filled - scanned);
      if (newline == nullptr) {
        scanned = filled;
        break;
      }
      const auto line_end = static_cast<std::size_t>(
          static_cast<const char*>(newline) - buffer.data());
      if (line_end - line_start > max_line_bytes_) {
        // Only with a cap below the first buffer's size.
        co_return CloseReason::oversized_frame;
      }
      std::string_view line(buffer.data() + line_start,
                            line_end - line_start);
      if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);  // be kind to people typing into nc/telnet
      }
      if (!line.empty()) {
        on_line(line);
      }
      line_start = line_end + 1;
      scanned = line_start;
    }

    if (!open_ || draining_) {
      break;  // a handler closed the connection: the rest goes unread
    }

    // The start of the next line moves to the front, once per read.
    std::memmove(buffer.data(), buffer.data() + line_start,
                 filled - line_start);
    filled -= line_start;
    scanned -= line_start;  // the scan never stops before a line's start
    if (filled > max_line_bytes_) {
      co_return CloseReason::oversized_frame;
    }
    if (buffer.size() > max_kept_read_bytes && filled <= initial_read_bytes) {
      buffer.resize(initial_read_bytes);
      buffer.shrink_to_fit();
    }
  }
  co_return CloseReason::local;
}

asio::awaitable<void> Connection::write_loop() {
  auto self = shared_from_this();

  while (open_) {
    if (queue_.empty()) {
      if (draining_) {
        co_await linger();
        close();
        break;
      }
      co_await wake_writer_.async_wait(use_tuple);
      continue;
    }

    // Everything queued goes out in one gathered write: once the socket's
    // buffer is full and frames queue up, many share one syscall.
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

    writing_ = true;
    auto [ec, written] =
        co_await asio::async_write(socket_, buffers, use_tuple);
    (void)written;
    writing_ = false;
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

  // Nothing ahead of it: offer it to the socket now, without waiting. A
  // frame usually fits in the socket's buffer, and then the writer need not
  // wake. Whatever is left (or an error) goes through the writer.
  if (queue_.empty() && !writing_) {
    boost::system::error_code ec;
    const std::size_t written = socket_.write_some(asio::buffer(frame), ec);
    if (written == frame.size()) {
      return true;
    }
    frame.erase(0, written);
  }

  queued_bytes_ += frame.size();
  queue_.push_back(std::move(frame));
  wake_writer_.cancel();
  return true;
}

asio::awaitable<void> Connection::linger() {
  boost::system::error_code shutdown_ec;
  socket_.shutdown(tcp::socket::shutdown_send, shutdown_ec);
  if (shutdown_ec || reading_) {
    co_return;  // a read of read_lines() is pending: only closing is safe
  }

  std::vector<char> dropped(initial_read_bytes);
  std::size_t dropped_bytes = 0;
  while (open_ && dropped_bytes <= max_linger_bytes) {
    auto [read_ec, length] =
        co_await socket_.async_read_some(asio::buffer(dropped), use_tuple);
    if (read_ec) {
      break;
    }
    dropped_bytes += length;
  }
}

void Connection::close_after_flush() {
  if (!open_ || draining_) {
    return;
  }
  draining_ = true;
  wake_writer_.cancel();
  give_up_.expires_after(max_linger_time);
  give_up_.async_wait(
      [self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) {
          self->close();
        }
      });
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
  give_up_.cancel();
  queue_.clear();
  queued_bytes_ = 0;
}

}  // namespace raft::net
