// Three real raft_node processes elect a leader (§5.2); when the leader is
// killed the other two elect a new one in a higher term, and the old leader,
// restarted on its data directory, keeps its term (§5.1, Figure 2: persistent
// state) and follows the new leader.
#define BOOST_TEST_MODULE election_and_failover
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <string>

#include "fixture.hpp"

using namespace raft::integration;
using raft::NodeId;
using raft::Role;

namespace {

// Polls the node's status until it follows `leader`; returns the last
// status seen.
std::optional<raft::net::StatusReply> wait_follows(Cluster& cluster,
                                                   NodeId id, NodeId leader) {
  const Deadline deadline = deadline_in(election_timeout);
  std::optional<raft::net::StatusReply> last;
  for (int round = 0; round < 1000; ++round) {
    last = cluster.status(id);
    if (last && last->role == Role::follower && last->leader_id == leader) {
      return last;
    }
    if (Clock::now() >= deadline) {
      break;
    }
    cluster.wait_for_output(std::chrono::milliseconds(100));
  }
  return last;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(election_and_failover, ClusterFixture) {
  const auto first = start_and_elect();
  BOOST_TEST_MESSAGE("leader " << first.leader << " in term "
                               << first.term);

  // Kill the leader without warning.
  Process& old_leader = cluster.node(first.leader);
  old_leader.kill(SIGKILL);
  const auto killed = old_leader.wait_exit(deadline_in(exit_timeout));
  BOOST_REQUIRE_MESSAGE(killed, "the killed leader did not exit");

  // The other two elect a new leader in a higher term.
  const auto survivors = all_but(cluster.ids(), first.leader);
  const auto second = cluster.wait_for_leader(
      survivors, deadline_in(election_timeout), first.term + 1);
  BOOST_REQUIRE_MESSAGE(second, "no new leader among the other two");
  BOOST_TEST(second->leader != first.leader);
  BOOST_TEST(second->term > first.term);
  BOOST_TEST_MESSAGE("new leader " << second->leader << " in term "
                                   << second->term);

  // The old leader comes back with the term it had on disk.
  Process& restarted = cluster.start(first.leader);
  const auto term_on_disk = wait_started_term(restarted);
  BOOST_REQUIRE_MESSAGE(term_on_disk, "no 'Started at' line after restart");
  BOOST_TEST(*term_on_disk >= first.term);

  // It follows the new leader, by its log and by its status.
  const std::string following =
      "Following leader " + std::to_string(second->leader);
  BOOST_TEST(restarted
                 .wait_for_line(contains(following),
                                deadline_in(election_timeout))
                 .has_value(),
             "no '" << following << "' line from the restarted node");

  const auto status = wait_follows(cluster, first.leader, second->leader);
  BOOST_REQUIRE_MESSAGE(status, "the restarted node does not answer status");
  BOOST_TEST((status->role == Role::follower));
  BOOST_TEST(status->leader_id == second->leader);
  BOOST_TEST(status->term >= first.term);

  // Its return did not disturb the leader it found.
  BOOST_TEST(status->term == second->term,
             "the restarted node disrupted term " << second->term);
}
