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

  asio::io_context io;
  tcp::socket far{io};
  std::shared_ptr<Connection> connection;
  std::vector<std::string> lines;
  std::optional<CloseReason> ended;
};

}  // namespace

BOOST_AUTO_TEST_CASE(lines_cut_anywhere_come_out_whole_and_in_order) {
  Pair pair;
  pair.write_far("a\nbb");
  BOOST_TEST(pair.run_until([&] { return pair.lines.size() == 1; }));
  BOOST_TEST(pair.lines.at(0) == "a");

  // The rest of "bbb", a CRLF, an empty line (skipped) and two more lines in
  // one write.
  pair.write_far("b\r\n\nccc\nd\n");
  BOOST_TEST(pair.run_until([&] { return pair.lines.size() == 4; }));
  const std::vector<std::string> expected{"a", "bbb", "ccc", "d"};
  BOOST_TEST(pair.lines == expected, boost::test_tools::per_element());
  BOOST_TEST(!pair.ended.has_value());
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
  BOOST_TEST(!pair.connection->is_open());
}

BOOST_AUTO_TEST_CASE(frames_sent_faster_than_the_socket_drains_arrive_in_order) {
  // 24 MiB, far more than loopback socket buffers hold: the first frames go
  // straight to the socket, later ones wait in the queue, one may be split
  // between the two.
  Pair pair;
  constexpr int frames = 3000;
  const std::string body(8 * 1024 - 16, 'z');
  std::string expected;
  for (int i = 0; i < frames; ++i) {
    std::string frame = std::to_string(i) + ":" + body;
    expected += frame + "\n";
    BOOST_TEST_REQUIRE(pair.connection->send(std::move(frame)));
  }

  std::string received(expected.size(), '\0');
  bool read_all = false;
  asio::async_read(pair.far, asio::buffer(received),
                   [&](boost::system::error_code ec, std::size_t) {
                     read_all = !ec;
                   });
  BOOST_TEST(pair.run_until([&] { return read_all; }));
  BOOST_TEST((received == expected));
}

BOOST_AUTO_TEST_CASE(a_closed_connection_refuses_frames) {
  Pair pair;
  pair.connection->close();
  BOOST_TEST(!pair.connection->send("late"));
  BOOST_TEST(pair.run_until([&] { return pair.ended.has_value(); }));
  BOOST_TEST((pair.ended == CloseReason::local));
}
