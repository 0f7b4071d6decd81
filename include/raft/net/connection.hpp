// One TCP connection carrying newline-delimited frames, owned by the node's
// strand. A reader coroutine hands each complete line to a callback; a
// writer coroutine drains a bounded queue. Socket errors are values here: a
// peer going away is normal, so nothing throws.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/io_context.hpp>

namespace raft::net {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

// Why a connection's read loop ended.
enum class CloseReason { peer_closed, io_error, oversized_frame, local };

const char* to_string(CloseReason reason);

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Bounds on what may wait in the send queue; past them frames are dropped
  // (Raft tolerates lost messages; a stalled peer must not eat our memory).
  static constexpr std::size_t max_queued_frames = 4096;
  static constexpr std::size_t max_queued_bytes = 64 * 1024 * 1024;
  // Frames gathered into one write (IOV_MAX is 1024 on Linux).
  static constexpr std::size_t max_frames_per_write = 512;
  // The read buffer starts at this size and grows, doubling, only for a
  // line longer than it. A buffer grown past max_kept_read_bytes shrinks
  // back to the first size as soon as what is left of it fits there;
  // a smaller one is kept for the life of the connection.
  static constexpr std::size_t initial_read_bytes = 16 * 1024;
  static constexpr std::size_t max_kept_read_bytes = 1024 * 1024;
  // close_after_flush() reads and drops what the far end still sends, up
  // to this many bytes, before it closes; and it closes this long after it
  // was called whatever is left to send or read (see there).
  static constexpr std::size_t max_linger_bytes = 16 * 1024 * 1024;
  static constexpr std::chrono::milliseconds max_linger_time{2000};

  using LineHandler = std::function<void(std::string_view line)>;

  Connection(boost::asio::ip::tcp::socket socket, std::size_t max_line_bytes);

  // Reads lines until the connection ends, calling `on_line` for each (on
  // the strand), without its '\n' (or "\r\n"); empty lines are skipped. The
  // view is valid only during the call. Every line that one read brought in
  // is handed out before the next read. Returns why it ended. Start it once.
  // On oversized_frame reading stops but the connection stays open, so that
  // the caller can send an error and close_after_flush(), or close().
  boost::asio::awaitable<CloseReason> read_lines(LineHandler on_line);

  // Drains the send queue until close(). Start it once, beside read_lines.
  boost::asio::awaitable<void> write_loop();

  // Sends one frame (a newline is appended): at once if nothing is queued
  // and the socket takes it all, else through the queue. False if the queue
  // is full or the connection is closed; the frame is then dropped.
  bool send(std::string frame);

  void close();
  // Stops reading, sends what is queued (say, an error reply), then shuts
  // its side and reads and drops what the far end still sends until that
  // end closes too, or the linger bounds pass; then closes. Closing with
  // bytes unread would make the kernel answer with a reset, which can
  // destroy the error reply before the far end has read it. A far end that
  // reads nothing is closed on anyway, max_linger_time after this call.
  void close_after_flush();
  bool is_open() const { return open_; }
  // close_after_flush() was called: the connection takes no more frames.
  bool is_closing() const { return draining_; }
  std::string remote() const { return remote_; }

 private:
  // The end of close_after_flush(), once the queue is flushed.
  boost::asio::awaitable<void> linger();

  boost::asio::ip::tcp::socket socket_;
  std::size_t max_line_bytes_;
  std::string remote_;
  bool open_ = true;
  bool draining_ = false;
  // read_lines() is waiting for bytes: nobody else may read meanwhile.
  bool reading_ = false;
  // The writer has a write in flight: new frames must queue behind it.
  bool writing_ = false;

  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  // Sleeps at time_point::max(); cancelled to wake the writer.
  boost::asio::steady_timer wake_writer_;
  // Armed by close_after_flush(): closes when it fires.
  boost::asio::steady_timer give_up_;
};

}  // namespace raft::net
