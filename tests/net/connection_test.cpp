// The line transport on a loopback socket pair: lines cut anywhere by TCP
// come out whole and in order, a line over the cap ends the connection, and
// frames sent faster than the socket drains still arrive complete and in
// order (some go straight to the socket, the rest through the queue).
#define BOOST_TEST_MODULE connection_test
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "raft/net/connection.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using raft::net::CloseReason;
using raft::net::Connection;

namespace {

// A Connection on one end of a loopback TCP pair; the test drives the other
// end, `far`, with asynchronous writes and reads on the same io_context.
struct Pair {
  explicit Pair(std::size_t max_line_bytes = 1024) {
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    far.connect(acceptor.local_endpoint());
    connection =
        std::make_shared<Connection>(acceptor.accept(), max_line_bytes);
    asio::co_spawn(io,
                   connection->read_lines([this](std::string_view line) {
                     lines.emplace_back(line);
                     if (line == close_on) {
                       connection->close();
                     }
                   }),
                   [this](std::exception_ptr error, CloseReason reason) {
                     if (error) {
                       std::rethrow_exception(error);
                     }
                     ended = reason;
                   });
    asio::co_spawn(io, connection->write_loop(), asio::detached);
  }

  // Runs handlers until `done()` holds: at most 100,000 of them or 10 s.
  bool run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::seconds(10);
    for (int handlers = 0; handlers < 100'000 && !done(); ++handlers) {
      if (io.run_one_until(deadline) == 0) {
        break;
      }
    }
    return done();
  }

  // Writes `bytes` from the far end; run_until() carries it out.
  void write_far(std::string bytes) {
    auto kept = std::make_shared<std::string>(std::move(bytes));
    asio::async_write(far, asio::buffer(*kept),
                      [kept](boost::system::error_code, std::size_t) {});
  }

  // Writes `bytes` from the far end and lets the connection read all of
  // them before returning, so the next write arrives in a read of its own.
  void write_far_and_settle(std::string bytes) {
    bool written = false;
    auto kept = std::make_shared<std::string>(std::move(bytes));
    asio::async_write(far, asio::buffer(*kept),
                      [kept, &written](boost::system::error_code, std::size_t) {
                        written = true;
                      });
    BOOST_TEST_REQUIRE(run_until([&] { return written; }));
    for (int round = 0; round < 100 && io.poll() > 0; ++round) {
    }
  }

  asio::io_context io;
  tcp::socket far{io};
  std::shared_ptr<Connection> connection;
  std::vector<std::string> lines;
  // A line that makes the handler close the connection.
  std::string close_on = "\x01never";
  std::optional<CloseReason> ended;
};

}  // namespace

BOOST_AUTO_TEST_CASE(lines_cut_at_any_byte_come_out_whole_and_in_order) {
  // A CRLF and an empty line (skipped) among them.
  const std::string input = "a\nbbb\r\n\nccc\nd\n";
  const std::vector<std::string> expected{"a", "bbb", "ccc", "d"};
  for (std::size_t cut = 0; cut <= input.size(); ++cut) {
    BOOST_TEST_CONTEXT("cut at byte " << cut) {
      Pair pair;
      pair.write_far_and_settle(input.substr(0, cut));
      pair.write_far(input.substr(cut));
      BOOST_TEST(pair.run_until([&] { return pair.lines.size() == 4; }));
      BOOST_TEST(pair.lines == expected, boost::test_tools::per_element());
      BOOST_TEST(!pair.ended.has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_handler_that_closes_ends_the_batch_it_is_in) {
  Pair pair;
  pair.close_on = "stop";
  pair.write_far("a\nstop\nb\n");
  BOOST_TEST(pair.run_until([&] { return pair.ended.has_value(); }));
  BOOST_TEST((pair.ended == CloseReason::local));
  const std::vector<std::string> expected{"a", "stop"};
  BOOST_TEST(pair.lines == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_line_at_the_cap_is_read_and_one_past_it_ends_the_read) {
  // Longer than the first read buffer, so the buffer must grow to hold it.
  const std::size_t cap = 3 * Connection::initial_read_bytes;
  Pair pair(cap);
  pair.write_far(std::string(cap, 'x') + "\n");
  BOOST_TEST(pair.run_until([&] { return pair.lines.size() == 1; }));
  BOOST_TEST(pair.lines.at(0).size() == cap);

  pair.write_far(std::string(cap + 1, 'y'));
  BOOST_TEST(pair.run_until([&] { return pair.ended.has_value(); }));
  BOOST_TEST((pair.ended == CloseReason::oversized_frame));
  BOOST_TEST(pair.lines.size() == 1U);
  // Left open for its owner to answer, then close.
  BOOST_TEST(pair.connection->is_open());
}

// The far end is still sending when the connection gives up on it (here
// after an oversized line): the error reply reaches it, then an orderly end
// of stream; what it sends meanwhile is read and dropped, not answered with
// a reset (which on some systems destroys a reply not yet read), until the
// far end closes too.
BOOST_AUTO_TEST_CASE(an_error_reply_survives_a_far_end_still_sending) {
  Pair pair(8);
  pair.write_far("123456789" + std::string(256 * 1024, 'z'));
  BOOST_TEST_REQUIRE(pair.run_until([&] { return pair.ended.has_value(); }));
  BOOST_TEST((pair.ended == CloseReason::oversized_frame));

  BOOST_TEST(pair.connection->send("error: too long"));
  pair.connection->close_after_flush();

  std::string received;
  std::optional<boost::system::error_code> ended;
  asio::async_read(pair.far, asio::dynamic_buffer(received),
                   [&](boost::system::error_code ec, std::size_t) {
                     ended = ec;
                   });
  BOOST_TEST(pair.run_until([&] { return ended.has_value(); }));
  BOOST_TEST(received == "error: too long\n");
  BOOST_TEST((ended == asio::error::eof), ended->message());

  // Still lingering: more bytes from the far end are taken, not refused.
  std::optional<boost::system::error_code> more_written;
  const std::string more(256 * 1024, 'z');
  asio::async_write(pair.far, asio::buffer(more),
                    [&](boost::system::error_code ec, std::size_t) {
                      more_written = ec;
                    });
  BOOST_TEST(pair.run_until([&] { return more_written.has_value(); }));
  BOOST_TEST(!more_written->failed(), more_written->message());
  BOOST_TEST(pair.connection->is_open());

  pair.far.close();
  BOOST_TEST(pair.run_until([&] { return !pair.connection->is_open(); }));
}

BOOST_AUTO_TEST_CASE(a_partial_line_may_reach_the_cap_but_not_pass_it) {
  Pair pair(8);
  pair.write_far_and_settle("a\n12345678");
  pair.write_far_and_settle("\n");
  const std::vector<std::string> expected{"a", "12345678"};
  BOOST_TEST(pair.lines == expected, boost::test_tools::per_element());
  BOOST_TEST(!pair.ended.has_value());

  pair.write_far("123456789");
  BOOST_TEST(pair.run_until([&] { return pair.ended.has_value(); }));
  BOOST_TEST((pair.ended == CloseReason::oversized_frame));
}

BOOST_AUTO_TEST_CASE(a_cap_below_the_buffer_size_holds_for_complete_lines) {
  Pair pair(8);
  pair.write_far("12345678\n123456789\nnever\n");
  BOOST_TEST(pair.run_until([&] { return pair.ended.has_value(); }));
  BOOST_TEST((pair.ended == CloseReason::oversized_frame));
  const std::vector<std::string> expected{"12345678"};
  BOOST_TEST(pair.lines == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(frames_sent_faster_than_the_socket_drains_keep_order) {
  // 24 MiB, far more than loopback socket buffers hold: the first frames go
  // straight to the socket, later ones wait in the queue, one may be split
  // between the two. The far end reads and the writer writes between sends,
  // so frames are also sent while the socket has room again but one of the
  // writer's writes is still in flight: they must queue behind it.
  Pair pair;
  constexpr int frames = 3000;
  const std::string body(8 * 1024 - 16, 'z');
  std::string expected;
  for (int i = 0; i < frames; ++i) {
    expected += std::to_string(i) + ":" + body + "\n";
  }
  std::string received(expected.size(), '\0');
  bool read_all = false;
  asio::async_read(pair.far, asio::buffer(received),
                   [&](boost::system::error_code ec, std::size_t) {
                     read_all = !ec;
                   });

  for (int i = 0; i < frames; ++i) {
    BOOST_TEST_REQUIRE(
        pair.connection->send(std::to_string(i) + ":" + body));
    pair.io.poll_one();
  }
  BOOST_TEST(pair.run_until([&] { return read_all; }));
  BOOST_TEST((received == expected));
}

BOOST_AUTO_TEST_CASE(a_frame_sent_while_a_write_waits_goes_behind_it) {
  // Fill the socket until frames queue (fewer than one batch of them), let
  // the writer take them all and wait for room, then make room: a frame
  // sent now must not slip into the socket ahead of the waiting write.
  Pair pair;
  constexpr int frames = 300;
  const std::string body(64 * 1024, 'w');
  std::string expected;
  for (int i = 0; i < frames; ++i) {
    std::string frame = std::to_string(i) + ":" + body;
    expected += frame + "\n";
    BOOST_TEST_REQUIRE(pair.connection->send(std::move(frame)));
  }
  for (int round = 0; round < 100 && pair.io.poll() > 0; ++round) {
  }

  std::string received(1024 * 1024, '\0');
  asio::read(pair.far, asio::buffer(received));
  BOOST_TEST_REQUIRE(pair.connection->send("last"));
  expected += "last\n";

  received.resize(expected.size());
  bool read_all = false;
  asio::async_read(pair.far, asio::buffer(received.data() + 1024 * 1024,
                                          expected.size() - 1024 * 1024),
                   [&](boost::system::error_code ec, std::size_t) {
                     read_all = !ec;
                   });
  BOOST_TEST(pair.run_until([&] { return read_all; }));
  BOOST_TEST((received == expected));
}

// A far end that reads nothing cannot hold a closing connection open: the
// flush never finishes, and the connection closes max_linger_time after
// close_after_flush() all the same.
BOOST_AUTO_TEST_CASE(a_far_end_that_never_reads_is_closed_on_in_bounded_time) {
  Pair pair;
  const std::string frame(64 * 1024, 'f');
  int queued = 0;
  while (queued < 400 && pair.connection->send(frame)) {
    ++queued;
  }
  BOOST_TEST(queued == 400);  // more than the socket buffers hold
  for (int round = 0; round < 1000 && pair.io.poll() > 0; ++round) {
  }  // the writer fills the socket and stalls

  pair.connection->close_after_flush();
  for (int round = 0; round < 1000 && pair.io.poll() > 0; ++round) {
  }
  BOOST_TEST(pair.connection->is_open());  // still flushing
  BOOST_TEST(pair.run_until([&] { return !pair.connection->is_open(); }));
}

BOOST_AUTO_TEST_CASE(a_closed_connection_refuses_frames) {
  Pair pair;
  pair.connection->close();
  BOOST_TEST(!pair.connection->send("late"));
  BOOST_TEST(pair.run_until([&] { return pair.ended.has_value(); }));
  BOOST_TEST((pair.ended == CloseReason::local));
}
