// A request within every client limit whose log entry, escaped once more
// into an AppendEntries, would pass max_frame_bytes: a cas whose value and
// expected are each max_value_bytes of '"' (2 bytes each in the request, 4
// in the AppendEntries). No follower could ever take that frame; each
// closed the connection it came on, the leader lost its term retrying, and
// a client retrying the request kept the cluster electing. The leader must
// refuse it with bad_request and stay leader; the cluster keeps serving.
#define BOOST_TEST_MODULE kv_entry_too_large
#include <boost/test/unit_test.hpp>

#include <string>
#include <variant>

#include "fixture.hpp"
#include "kv_support.hpp"

using namespace raft::integration;
using raft::client::Client;

BOOST_FIXTURE_TEST_CASE(kv_entry_too_large_to_replicate, ClusterFixture) {
  // As in kv_bad_client_input: a sanitized node parsing megabytes must not
  // time out the followers on its own.
  cluster.add_node_flags(
      {"--election-timeout", "1000-2000", "--heartbeat", "100"});
  const auto before = start_and_elect();

  raft::net::ClientRequest request;
  request.op = raft::net::KvOp::cas;
  request.client_id = "too-large";
  request.seq = 1;
  request.key = "k";
  request.value = std::string(raft::net::max_value_bytes, '"');
  request.expected = request.value;
  const std::string line = raft::net::encode(request) + "\n";
  BOOST_REQUIRE_LE(line.size(), raft::net::max_frame_bytes);

  auto connection = RawConnection::open(cluster.port(before.leader),
                                        deadline_in(io_timeout));
  BOOST_REQUIRE_MESSAGE(connection, "could not connect");
  std::string problem;
  const auto reply = exchange(*connection, line, problem);
  BOOST_REQUIRE_MESSAGE(reply, "no reply: " << problem);
  BOOST_TEST_MESSAGE("reply: " << reply->error << ": " << reply->message);
  BOOST_TEST(!reply->ok);
  BOOST_TEST(reply->error == "bad_request");
  BOOST_TEST(reply->message.find("too large") != std::string::npos);

  // The cluster still serves, under the same leader in the same term, and
  // nothing was written.
  Client client(addresses(cluster), client_options("after-too-large"));
  client.put("after", "still-serving");
  BOOST_TEST(client.get("after").value_or("<absent>") == "still-serving");
  BOOST_TEST(!client.get("k").has_value());
  const auto after =
      cluster.wait_for_leader(cluster.ids(), deadline_in(io_timeout));
  BOOST_REQUIRE_MESSAGE(after, "no leader that all three nodes follow");
  BOOST_TEST(after->leader == before.leader);
  BOOST_TEST(after->term == before.term);
  for (const raft::NodeId id : cluster.ids()) {
    BOOST_TEST(!cluster.node(id).printed(contains("a line over")),
               "node " << id << " was sent an oversized frame");
  }
}
