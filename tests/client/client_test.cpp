// The client against scripted fake nodes on 127.0.0.1: it follows
// redirects, retries with the seq it took once, skips dead nodes and stray
// replies, honours its deadline, and maps the store's answers to its API.
#define BOOST_TEST_MODULE client_test
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "raft/client/client.hpp"
#include "raft/net/codec.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using raft::client::Client;
using raft::client::ClientError;
using raft::client::ClientOptions;
using raft::net::ClientReply;
using raft::net::ClientRequest;
using raft::net::KvOp;
using raft::net::StatusReply;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr auto as_value = asio::as_tuple(asio::use_awaitable);

// The lines a fake node writes back to one request; none means silence.
using Script = std::function<std::vector<std::string>(const ClientRequest&)>;

// A node that speaks only the client protocol, on a thread of its own:
// it records every request and answers with what its script says, and
// answers status requests with `status` if given.
class FakeNode {
 public:
  explicit FakeNode(Script script, std::optional<StatusReply> status = {})
      : script_(std::move(script)), status_(std::move(status)) {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();

    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~FakeNode() {
    io_.stop();
    thread_.join();
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  std::vector<ClientRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  asio::awaitable<void> accept_loop() {
    while (true) {
      auto [ec, socket] = co_await acceptor_.async_accept(as_value);
      if (ec) {
        co_return;
      }
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    std::string buffer;
    while (true) {
      auto [ec, length] = co_await asio::async_read_until(
          socket, asio::dynamic_buffer(buffer, 1 << 20), '\n', as_value);
      if (ec) {
        co_return;
      }
      const std::string line = buffer.substr(0, length - 1);
      buffer.erase(0, length);

      std::string out;
      for (const std::string& reply : answer(line)) {
        out += reply + '\n';
      }
      if (!out.empty()) {
        auto [write_ec, n] =
            co_await asio::async_write(socket, asio::buffer(out), as_value);
        if (write_ec) {
          co_return;
        }
      }
    }
  }

  std::vector<std::string> answer(const std::string& line) {
    auto decoded = raft::net::decode(line);
    BOOST_REQUIRE(std::holds_alternative<raft::net::Frame>(decoded));
    const auto& frame = std::get<raft::net::Frame>(decoded);

    if (std::holds_alternative<raft::net::StatusRequest>(frame) && status_) {
      return {raft::net::encode(*status_)};
    }
    const auto* request = std::get_if<ClientRequest>(&frame);
    if (request == nullptr) {
      return {};
    }

    // Recorded before the answer leaves, so the client never sees a reply
    // to a request the test cannot yet see.
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(*request);
    }
    return script_(*request);
  }

  Script script_;
  std::optional<StatusReply> status_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_};
  unsigned short port_ = 0;

  mutable std::mutex mutex_;
  std::vector<ClientRequest> requests_;

  std::thread thread_;
};

std::string reply(const ClientRequest& request, std::string error = "",
                  std::optional<std::string> value = std::nullopt,
                  std::string leader_address = "") {
  ClientReply out;
  out.seq = request.seq;
  out.ok = error.empty();
  out.error = std::move(error);
  out.value = std::move(value);
  out.leader_address = std::move(leader_address);
  out.leader_id = out.leader_address.empty() ? 0 : 2;
  return raft::net::encode(out);
}

std::string ok(const ClientRequest& request,
               std::optional<std::string> value = std::nullopt) {
  return reply(request, "", std::move(value));
}

Script always_ok() {
  return [](const ClientRequest& request) {
    return std::vector{ok(request)};
  };
}

// An address where nothing listens: a port just bound and released.
std::string dead_address() {
  asio::io_context io;
  tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = acceptor.local_endpoint().port();
  acceptor.close();
  return "127.0.0.1:" + std::to_string(port);
}

ClientOptions fast_options() {
  ClientOptions options;
  options.client_id = "test-client";
  options.attempt_timeout = 200ms;
  options.deadline = 2s;
  return options;
}

}  // namespace

BOOST_AUTO_TEST_CASE(not_leader_redirect_keeps_the_seq) {
  FakeNode leader(always_ok());
  const std::string leader_address = leader.address();
  FakeNode follower([&](const ClientRequest& request) {
    return std::vector{reply(request, "not_leader", {}, leader_address)};
  });
  Client client({follower.address(), leader.address()}, fast_options());

  client.put("k", "v");

  const auto asked = follower.requests();
  const auto answered = leader.requests();
  BOOST_REQUIRE_EQUAL(asked.size(), 1u);
  BOOST_REQUIRE_EQUAL(answered.size(), 1u);
  BOOST_TEST(answered[0].seq == asked[0].seq);
  BOOST_TEST(answered[0].client_id == "test-client");
  BOOST_TEST((answered[0].op == KvOp::put));
  BOOST_TEST(answered[0].key == "k");
  BOOST_TEST(answered[0].value == "v");

  // The leader is remembered: the next operation goes straight to it,
  // under the next seq.
  client.put("k2", "v2");
  BOOST_TEST(follower.requests().size() == 1u);
  BOOST_REQUIRE_EQUAL(leader.requests().size(), 2u);
  BOOST_TEST(leader.requests()[1].seq == asked[0].seq + 1);
  BOOST_TEST(client.current_address() == leader_address);
}

BOOST_AUTO_TEST_CASE(leadership_lost_is_retried_with_the_same_seq) {
  int calls = 0;
  FakeNode node([&calls](const ClientRequest& request) {
    ++calls;
    return std::vector{calls == 1 ? reply(request, "leadership_lost")
                                  : ok(request)};
  });
  Client client({node.address()}, fast_options());

  client.put("k", "v");

  const auto requests = node.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), 2u);
  BOOST_TEST(requests[0].seq == requests[1].seq);
}

BOOST_AUTO_TEST_CASE(overloaded_and_timeout_move_to_the_next_node) {
  FakeNode busy([](const ClientRequest& request) {
    return std::vector{reply(request, "overloaded")};
  });
  FakeNode slow([](const ClientRequest& request) {
    return std::vector{reply(request, "timeout")};
  });
  FakeNode good(always_ok());
  Client client({busy.address(), slow.address(), good.address()},
                fast_options());

  client.put("k", "v");

  BOOST_REQUIRE_EQUAL(good.requests().size(), 1u);
  BOOST_TEST(busy.requests().at(0).seq == good.requests()[0].seq);
  BOOST_TEST(slow.requests().at(0).seq == good.requests()[0].seq);
}

BOOST_AUTO_TEST_CASE(an_unreachable_address_is_skipped) {
  FakeNode node(always_ok());
  Client client({dead_address(), node.address()}, fast_options());

  client.put("k", "v");

  BOOST_TEST(node.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_malformed_address_is_skipped) {
  FakeNode node(always_ok());
  Client client({"no-port-here", node.address()}, fast_options());

  client.put("k", "v");

  BOOST_TEST(node.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(the_deadline_is_honoured_when_no_node_says_ok) {
  FakeNode lost([](const ClientRequest& request) {
    return std::vector{reply(request, "leadership_lost")};
  });
  FakeNode silent([](const ClientRequest&) {
    return std::vector<std::string>{};
  });
  const std::string dead = dead_address();
  ClientOptions options = fast_options();
  options.attempt_timeout = 100ms;
  options.deadline = 500ms;
  Client client({lost.address(), silent.address(), dead}, options);

  const auto start = Clock::now();
  std::string message;
  try {
    client.put("k", "v");
  } catch (const ClientError& error) {
    message = error.what();
  }
  const auto elapsed = Clock::now() - start;

  BOOST_TEST_MESSAGE("error: " << message);
  BOOST_TEST(message.find("no leader reachable within 0.5 s") == 0u);
  BOOST_TEST(message.find(lost.address()) != std::string::npos);
  BOOST_TEST(message.find(silent.address()) != std::string::npos);
  BOOST_TEST(message.find(dead) != std::string::npos);
  BOOST_TEST(elapsed >= 500ms);
  BOOST_TEST(elapsed < 1500ms);

  // Every try, at every node, carried the one seq the operation took.
  auto requests = lost.requests();
  const auto silent_requests = silent.requests();
  requests.insert(requests.end(), silent_requests.begin(),
                  silent_requests.end());
  BOOST_REQUIRE(requests.size() >= 2u);
  for (const ClientRequest& request : requests) {
    BOOST_TEST(request.seq == requests[0].seq);
  }
}

BOOST_AUTO_TEST_CASE(no_node_listening_fails_within_the_deadline) {
  ClientOptions options = fast_options();
  options.deadline = 300ms;
  Client client({dead_address(), dead_address()}, options);

  const auto start = Clock::now();
  BOOST_CHECK_THROW(client.get("k"), ClientError);
  BOOST_TEST((Clock::now() - start < 1s));
}

BOOST_AUTO_TEST_CASE(cas_failed_returns_false_with_the_current_value) {
  FakeNode node([](const ClientRequest& request) {
    return std::vector{reply(request, "cas_failed", "old")};
  });
  Client client({node.address()}, fast_options());

  BOOST_TEST(!client.cas("k", std::nullopt, "new"));
  const auto result = client.compare_and_swap("k", "older", "new");

  BOOST_TEST(!result.swapped);
  BOOST_TEST((result.current == std::optional<std::string>("old")));
  const auto requests = node.requests();
  BOOST_REQUIRE_EQUAL(requests.size(), 2u);
  BOOST_TEST((requests[0].op == KvOp::cas));
  BOOST_TEST(!requests[0].expected.has_value());
  BOOST_TEST((requests[1].expected == std::optional<std::string>("older")));
  BOOST_TEST(requests[1].seq == requests[0].seq + 1);
}

BOOST_AUTO_TEST_CASE(cas_that_holds_returns_true) {
  FakeNode node([](const ClientRequest& request) {
    return std::vector{ok(request, request.value)};
  });
  Client client({node.address()}, fast_options());

  BOOST_TEST(client.cas("k", "old", "new"));
}

BOOST_AUTO_TEST_CASE(get_of_an_absent_key_returns_nullopt) {
  FakeNode node([](const ClientRequest& request) {
    if (request.key == "present") {
      return std::vector{ok(request, "value")};
    }
    return std::vector{ok(request)};
  });
  Client client({node.address()}, fast_options());

  BOOST_TEST(!client.get("absent").has_value());
  BOOST_TEST((client.get("present") == std::optional<std::string>("value")));
}

BOOST_AUTO_TEST_CASE(remove_tells_whether_the_key_existed) {
  FakeNode node([](const ClientRequest& request) {
    if (request.key == "present") {
      return std::vector{ok(request, "old value")};
    }
    return std::vector{ok(request)};
  });
  Client client({node.address()}, fast_options());

  BOOST_TEST(client.remove("present"));
  BOOST_TEST(!client.remove("absent"));
  BOOST_TEST((node.requests().at(0).op == KvOp::del));
}

BOOST_AUTO_TEST_CASE(replies_with_another_seq_are_skipped) {
  FakeNode node([](const ClientRequest& request) {
    ClientRequest earlier = request;
    earlier.seq = request.seq - 1;
    return std::vector{reply(earlier, "", "stale"), ok(request, "fresh")};
  });
  Client client({node.address()}, fast_options());

  BOOST_TEST((client.get("k") == std::optional<std::string>("fresh")));
  BOOST_TEST(node.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(bad_request_throws_the_nodes_message) {
  FakeNode node([](const ClientRequest& request) {
    ClientReply out;
    out.seq = request.seq;
    out.error = "bad_request";
    out.message = "key must not be empty";
    return std::vector{raft::net::encode(out)};
  });
  Client client({node.address()}, fast_options());

  std::string message;
  try {
    client.put("", "v");
  } catch (const ClientError& error) {
    message = error.what();
  }

  BOOST_TEST(message.find("key must not be empty") != std::string::npos,
             message);
  // Not retryable: asked once.
  BOOST_TEST(node.requests().size() == 1u);
}

BOOST_AUTO_TEST_CASE(oversized_key_is_refused_before_sending) {
  FakeNode node(always_ok());
  Client client({node.address()}, fast_options());

  const std::string key(raft::net::max_key_bytes + 1, 'k');
  BOOST_CHECK_THROW(client.put(key, "v"), ClientError);
  BOOST_TEST(node.requests().empty());
}

BOOST_AUTO_TEST_CASE(status_reads_the_nodes_reply) {
  StatusReply status;
  status.id = 1;
  status.role = raft::Role::leader;
  status.term = 3;
  status.leader_id = 1;
  status.commit_index = 15;
  status.peers = {{.id = 2, .match_index = 15, .next_index = 16}};
  FakeNode node(always_ok(), status);
  Client client({node.address()}, fast_options());

  BOOST_TEST((client.status(node.address()) == status));
  BOOST_CHECK_THROW(client.status(dead_address()), ClientError);
}

BOOST_AUTO_TEST_CASE(a_random_client_id_is_made_when_none_is_given) {
  Client client({"127.0.0.1:1"});

  BOOST_TEST(client.client_id().rfind("ctl-", 0) == 0u);
  BOOST_TEST(client.client_id().size() == 20u);
}
