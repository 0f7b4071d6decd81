// Entries are durable before they are acknowledged (Figure 2: persistent
// state; persist before send): a cluster whose three nodes are all
// SIGKILLed at once and started again on the same data directories still
// holds every write a client saw acknowledged, and the replicas converge on
// the same state.
#define BOOST_TEST_MODULE kv_whole_cluster_restart_keeps_writes
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <string>
#include <vector>

#include "fixture.hpp"
#include "kv_support.hpp"

using namespace raft::integration;
using raft::NodeId;
using raft::client::Client;
using raft::client::ClientError;

namespace {

constexpr int total_writes = 200;

}  // namespace

BOOST_FIXTURE_TEST_CASE(kv_whole_cluster_restart_keeps_writes,
                        ClusterFixture) {
  const auto first = start_and_elect();

  // Nothing disturbs these writes, so every one must be acknowledged.
  std::vector<int> acked;
  {
    Client client(addresses(cluster), client_options("restart-writer"));
    for (int i = 0; i < total_writes; ++i) {
      try {
        client.put(key_of(i), value_of(i));
        acked.push_back(i);
      } catch (const ClientError& e) {
        BOOST_TEST(false, "write " << i << " failed: " << e.what());
      }
    }
  }
  BOOST_TEST_MESSAGE(acked.size() << " writes acknowledged");

  // Kill all three at once: the signals go out before any wait.
  for (const NodeId id : cluster.ids()) {
    cluster.node(id).kill(SIGKILL);
  }
  for (const NodeId id : cluster.ids()) {
    BOOST_REQUIRE_MESSAGE(
        cluster.node(id).wait_exit(deadline_in(exit_timeout)),
        "node " << id << " did not exit after SIGKILL");
  }

  // Started again on the same directories, they elect a leader in a later
  // term and apply the whole log again.
  cluster.start_all();
  const auto second = cluster.wait_for_leader(
      cluster.ids(), deadline_in(election_timeout), first.term + 1);
  BOOST_REQUIRE_MESSAGE(second, "no leader after the restart");

  const Convergence convergence =
      wait_converged(cluster, deadline_in(converge_timeout));
  BOOST_REQUIRE_MESSAGE(convergence.reached,
                        "the replicas did not converge; last seen:\n"
                            << convergence.last_seen);
  BOOST_TEST_MESSAGE("converged:\n" << convergence.last_seen);
  const auto* leader = leader_of(convergence);
  BOOST_REQUIRE(leader != nullptr);
  BOOST_TEST(leader->keys == acked.size());

  // Every acknowledged write reads back with its value.
  Client reader(addresses(cluster), client_options("restart-reader"));
  std::size_t lost = 0;
  for (const int i : acked) {
    const auto value = reader.get(key_of(i));
    if (value != value_of(i)) {
      ++lost;
      BOOST_TEST(value.value_or("<absent>") == value_of(i),
                 "acknowledged " << key_of(i) << " lost");
    }
  }
  BOOST_TEST(lost == 0u, lost << " acknowledged writes lost");
}
