// Each scenario file replays a classic Raft situation in the simulator and
// states its outcome (tests/sim/scenarios/*.scn; the language is described
// in raft/sim/script.hpp).
#include <string>

#include <boost/test/unit_test.hpp>

#include "raft/sim/script.hpp"

namespace raft::sim {
namespace {

void check_scenario(const std::string& name) {
  const std::string path =
      std::string(RAFT_SIM_SCENARIOS) + "/" + name + ".scn";
  const ScriptResult result = run_script_file(path);
  std::string tail;
  for (const std::string& line : result.trace_tail) {
    tail += "\n    " + line;
  }
  BOOST_TEST(result.ok, result.error << "\n  last trace lines:" << tail);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(scenarios)

// §5.2, and the message count of a quiet election and an idle cluster.
BOOST_AUTO_TEST_CASE(first_election) { check_scenario("first_election"); }

// §5.2: an isolated leader is replaced; when it rejoins it steps down.
BOOST_AUTO_TEST_CASE(reelection_when_old_leader_rejoins) {
  check_scenario("reelection_old_leader_rejoins");
}

// §5.2: one node of three cannot win an election.
BOOST_AUTO_TEST_CASE(no_leader_with_two_of_three_down) {
  check_scenario("no_leader_two_of_three_down");
}

// §5.2: two of three can.
BOOST_AUTO_TEST_CASE(leader_again_when_quorum_returns) {
  check_scenario("leader_when_quorum_returns");
}

// §5.2 Election Safety through many rounds of random disconnections.
BOOST_AUTO_TEST_CASE(seven_nodes_many_elections) {
  check_scenario("seven_nodes_many_elections");
}

// §5.3: a deposed leader's uncommitted entries are overwritten.
BOOST_AUTO_TEST_CASE(old_leader_entries_overwritten) {
  check_scenario("old_leader_entries_overwritten");
}

// §5.3: the conflict hint backs up a whole term per round trip.
BOOST_AUTO_TEST_CASE(fast_backup_over_divergent_suffixes) {
  check_scenario("fast_backup");
}

// §5.3/§5.4: nothing commits without a majority.
BOOST_AUTO_TEST_CASE(nothing_commits_without_majority) {
  check_scenario("no_commit_without_majority");
}

// §5.4.2, Figure 8: an old-term entry on a majority is not committed.
BOOST_AUTO_TEST_CASE(figure_8) { check_scenario("figure8"); }

// Crashes and restarts while clients write, then liveness after healing.
BOOST_AUTO_TEST_CASE(churn_with_crashes_while_clients_write) {
  check_scenario("churn");
}

// A bridge node and one-way links, then healing.
BOOST_AUTO_TEST_CASE(bridge_and_one_way_links) {
  check_scenario("bridge_and_asym");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raft::sim
