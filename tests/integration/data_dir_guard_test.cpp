// A node refuses to start on a data directory it cannot trust, and a peer
// connection cannot be used to steer where a node's replies go.
#define BOOST_TEST_MODULE data_dir_guard
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "fixture.hpp"

using namespace raft::integration;
using raft::NodeId;

namespace {

std::string peers_of(Cluster& cluster) {
  std::string peers;
  for (const NodeId id : cluster.ids()) {
    peers += fmt::format("{}{}=127.0.0.1:{}", peers.empty() ? "" : ",", id,
                         cluster.port(id));
  }
  return peers;
}

// Waits for `node` to exit and checks it failed with status 1 after
// printing a line that contains `why`.
void expect_refused(Process& node, const std::string& why) {
  const auto status = node.wait_exit(deadline_in(exit_timeout));
  BOOST_REQUIRE_MESSAGE(status, node.name() << " kept running");
  BOOST_TEST(WIFEXITED(*status));
  BOOST_TEST(WEXITSTATUS(*status) == 1);
  BOOST_TEST(node.printed(contains(why)), node.name() << " never said '"
                                                      << why << "'");
}

}  // namespace

// Two processes on one data directory would interleave their writes to
// one log and one hard state, and each would break the other's promises.
BOOST_FIXTURE_TEST_CASE(a_second_process_on_a_data_dir_is_refused,
                        ClusterFixture) {
  const auto leader = start_and_elect();

  Process intruder(RAFT_NODE_PATH,
                   {"--id", "1", "--peers", peers_of(cluster), "--data-dir",
                    cluster.data_dir(1).string()},
                   "intruder on node 1's data dir");
  expect_refused(intruder, "is in use by another process");

  // The cluster never noticed.
  const auto after =
      cluster.wait_for_leader(cluster.ids(), deadline_in(election_timeout));
  BOOST_REQUIRE(after);
  BOOST_TEST(after->term == leader.term);
}

// Figure 2: currentTerm and votedFor are persistent. A log whose hard state
// is gone, or behind it, could have voted in a term it no longer remembers.
BOOST_FIXTURE_TEST_CASE(a_hard_state_behind_the_log_is_refused,
                        ClusterFixture) {
  start_and_elect();

  // Node 1's log holds the leader's no-op (a clean stop writes it out).
  const Deadline holds_entry = deadline_in(election_timeout);
  bool has_entry = false;
  while (!has_entry && Clock::now() < holds_entry) {
    const auto status = cluster.status(1);
    has_entry = status && status->last_log_index >= 1;
    if (!has_entry) {
      cluster.wait_for_output(std::chrono::milliseconds(20));
    }
  }
  BOOST_REQUIRE_MESSAGE(has_entry, "node 1's log stayed empty");

  for (const NodeId id : cluster.ids()) {
    cluster.node(id).kill(SIGTERM);
  }
  for (const NodeId id : cluster.ids()) {
    BOOST_REQUIRE(cluster.node(id).wait_exit(deadline_in(exit_timeout)));
  }

  // Node 1's hard state is replaced by one behind its log, then lost.
  const auto hard_state = cluster.data_dir(1) / "hard_state.json";
  std::ofstream(hard_state) << R"({"current_term":0,"voted_for":0})";
  expect_refused(cluster.start(1), "but the log holds entries of term");
  BOOST_REQUIRE(std::filesystem::remove(hard_state));
  expect_refused(cluster.start(1), "but the log holds entries of term");
}

// Replies travel on the connection their request went out on, so a reply
// arriving on a connection someone opened to a node is refused.
BOOST_FIXTURE_TEST_CASE(a_reply_on_an_inbound_connection_is_refused,
                        ClusterFixture) {
  const auto leader = start_and_elect();
  const NodeId follower = leader.leader == 1 ? 2 : 1;

  auto connection = RawConnection::open(cluster.port(follower),
                                        deadline_in(io_timeout));
  BOOST_REQUIRE(connection);
  const std::string forged = fmt::format(
      "{{\"type\":\"request_vote_reply\",\"from\":{},\"to\":{},\"term\":0,"
      "\"vote_granted\":false}}\n",
      leader.leader, follower);
  connection->send(forged, deadline_in(io_timeout));
  const auto answer = connection->read_line(deadline_in(io_timeout));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->find("replies travel") != std::string::npos, *answer);
  BOOST_TEST(connection->wait_closed(deadline_in(io_timeout)));
}

// A request speaks for its sender: a RequestVote whose candidate is not
// the node that sent it is refused.
BOOST_FIXTURE_TEST_CASE(a_request_for_another_sender_is_refused,
                        ClusterFixture) {
  start_and_elect();

  auto connection =
      RawConnection::open(cluster.port(1), deadline_in(io_timeout));
  BOOST_REQUIRE(connection);
  connection->send(
      "{\"type\":\"request_vote\",\"from\":2,\"to\":1,\"term\":0,"
      "\"candidate_id\":3,\"last_log_index\":0,\"last_log_term\":0}\n",
      deadline_in(io_timeout));
  const auto answer = connection->read_line(deadline_in(io_timeout));
  BOOST_REQUIRE(answer);
  BOOST_TEST(answer->find("names node 3 as its sender") != std::string::npos,
             *answer);
  BOOST_TEST(connection->wait_closed(deadline_in(io_timeout)));
}
