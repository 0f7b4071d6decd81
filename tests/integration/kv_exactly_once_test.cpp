// Exactly-once (§8, issue 3 "Key-value state machine"): a request retried
// with the same client_id and seq is applied once and answered with its
// original result, even when another client wrote the same key in between,
// and even when the duplicate reaches the log while the first is in flight.
#define BOOST_TEST_MODULE kv_exactly_once
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>

#include "fixture.hpp"
#include "kv_support.hpp"

using namespace raft::integration;
using raft::NodeId;
using raft::client::Client;
using raft::net::ClientReply;

namespace {

std::string cas_if_absent_line(const std::string& client_id,
                               std::uint64_t seq, const std::string& key,
                               const std::string& value) {
  raft::net::ClientRequest request;
  request.op = raft::net::KvOp::cas;
  request.client_id = client_id;
  request.seq = seq;
  request.key = key;
  request.value = value;
  return raft::net::encode(request) + "\n";
}

NodeId wait_leader(Cluster& cluster) {
  const auto found =
      cluster.wait_for_leader(cluster.ids(), deadline_in(election_timeout));
  BOOST_REQUIRE_MESSAGE(found, "no leader that all three nodes follow");
  return found->leader;
}

RawConnection open_to(Cluster& cluster, NodeId id) {
  auto connection =
      RawConnection::open(cluster.port(id), deadline_in(io_timeout));
  BOOST_REQUIRE_MESSAGE(connection, "could not connect to node " << id);
  return std::move(*connection);
}

ClientReply must_exchange(RawConnection& connection, const std::string& line) {
  std::string problem;
  auto reply = exchange(connection, line, problem);
  BOOST_REQUIRE_MESSAGE(reply, "no reply: " << problem);
  return *reply;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(retry_after_another_write_is_not_reapplied,
                        ClusterFixture) {
  cluster.start_all();
  const NodeId leader = wait_leader(cluster);
  const std::string retried = put_line("eo-a", 1, "shared", "from-a");

  // Client A's put is applied and answered.
  RawConnection a = open_to(cluster, leader);
  const ClientReply first = must_exchange(a, retried);
  BOOST_TEST_MESSAGE("first answer: " << raft::net::encode(first));
  BOOST_TEST(first.ok, "the put failed: " << first.error << " "
                                          << first.message);
  BOOST_TEST(first.seq == 1u);

  // Client B overwrites the key.
  Client b(addresses(cluster), client_options("eo-b"));
  b.put("shared", "from-b");

  // A's retry, on the same connection and on a new one, gets the original
  // answer and changes nothing.
  const ClientReply again = must_exchange(a, retried);
  BOOST_TEST((again == first), "retry answered " << raft::net::encode(again)
                                               << ", first "
                                               << raft::net::encode(first));
  RawConnection a_reconnected = open_to(cluster, leader);
  const ClientReply after_reconnect = must_exchange(a_reconnected, retried);
  BOOST_TEST((after_reconnect == first),
             "retry on a new connection answered "
                 << raft::net::encode(after_reconnect));

  BOOST_TEST(b.get("shared").value_or("<absent>") == "from-b",
             "the retry was applied again");

  const Convergence convergence =
      wait_converged(cluster, deadline_in(converge_timeout));
  BOOST_REQUIRE_MESSAGE(convergence.reached, "no convergence; last seen:\n"
                                                 << convergence.last_seen);
  BOOST_TEST(leader_of(convergence)->keys == 1u);
}

// A cas-if-absent sent twice back to back: both copies may reach the log,
// but only the first is executed, so both answers are its success (a second
// execution would answer cas_failed).
BOOST_FIXTURE_TEST_CASE(duplicate_in_flight_is_applied_once,
                        ClusterFixture) {
  cluster.start_all();
  const NodeId leader = wait_leader(cluster);
  const std::string line = cas_if_absent_line("eo-c", 1, "once", "from-c");

  RawConnection c = open_to(cluster, leader);
  const std::string twice = line + line;
  BOOST_REQUIRE_EQUAL(c.send(twice, deadline_in(io_timeout)), twice.size());

  std::optional<ClientReply> answers[2];
  for (auto& answer : answers) {
    auto frame = read_frame(c, deadline_in(io_timeout));
    // The message is built even when the check passes: no std::get in it.
    const auto* problem = std::get_if<std::string>(&frame);
    BOOST_REQUIRE_MESSAGE(problem == nullptr,
                          "no reply: " << (problem ? *problem : ""));
    const auto* reply =
        std::get_if<ClientReply>(&std::get<raft::net::Frame>(frame));
    BOOST_REQUIRE_MESSAGE(reply, "not a reply");
    answer = *reply;
  }
  BOOST_TEST_MESSAGE("answers: " << raft::net::encode(*answers[0]) << " and "
                                 << raft::net::encode(*answers[1]));
  BOOST_TEST(answers[0]->ok, "first cas failed: " << answers[0]->error);
  BOOST_TEST((*answers[1] == *answers[0]));

  // Another client's write, then the retry: still the first answer.
  Client d(addresses(cluster), client_options("eo-d"));
  d.put("once", "from-d");
  const ClientReply retry = must_exchange(c, line);
  BOOST_TEST((retry == *answers[0]),
             "retry answered " << raft::net::encode(retry));
  BOOST_TEST(d.get("once").value_or("<absent>") == "from-d");
}
