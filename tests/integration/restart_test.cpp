// Figure 2: currentTerm and votedFor are persistent state, updated on
// stable storage before responding to RPCs. A cluster stopped with SIGTERM
// and started again on the same data directories never goes back in term:
// the next leader's term is higher than the last one.
#define BOOST_TEST_MODULE restart_keeps_term_and_vote
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <iterator>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "fixture.hpp"

using namespace raft::integration;
using raft::NodeId;
using raft::Term;

namespace {

// DIR/hard_state.json, or nothing if it is unreadable.
std::optional<raft::HardState> hard_state_on_disk(
    const std::filesystem::path& dir) {
  std::ifstream file(dir / "hard_state.json");
  const std::string text{std::istreambuf_iterator<char>(file),
                         std::istreambuf_iterator<char>()};
  boost::system::error_code ec;
  const boost::json::value root = boost::json::parse(text, ec);
  if (ec || !root.is_object()) {
    return std::nullopt;
  }
  const auto* term = root.as_object().if_contains("current_term");
  const auto* vote = root.as_object().if_contains("voted_for");
  if (term == nullptr || !term->is_number() || vote == nullptr ||
      !vote->is_number()) {
    return std::nullopt;
  }
  return raft::HardState{.current_term = term->to_number<Term>(),
                         .voted_for = vote->to_number<NodeId>()};
}

void stop_cleanly(Process& node) {
  BOOST_TEST_CONTEXT(node.name()) {
    const auto status = node.wait_exit(deadline_in(exit_timeout));
    BOOST_REQUIRE_MESSAGE(status, "did not exit after SIGTERM");
    BOOST_TEST(WIFEXITED(*status), "was killed by signal "
                                       << WTERMSIG(*status));
    BOOST_TEST(WEXITSTATUS(*status) == 0);
    BOOST_TEST(node.printed(contains("Stopped")), "printed no 'Stopped'");
  }
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(restart_keeps_term_and_vote, ClusterFixture) {
  const auto first = start_and_elect();
  BOOST_TEST_MESSAGE("leader " << first.leader << " in term "
                               << first.term);

  // SIGTERM every node; each stops cleanly.
  for (const NodeId id : cluster.ids()) {
    cluster.node(id).kill(SIGTERM);
  }
  for (const NodeId id : cluster.ids()) {
    stop_cleanly(cluster.node(id));
  }

  // Each hard state on disk holds at least the leader's term, and the
  // leader's holds its vote for itself in that term.
  for (const NodeId id : cluster.ids()) {
    const auto state = hard_state_on_disk(cluster.data_dir(id));
    BOOST_TEST_REQUIRE(state.has_value(),
                       "node " << id << ": hard_state.json unreadable");
    BOOST_TEST(state->current_term >= first.term, "node " << id);
    if (id == first.leader) {
      BOOST_TEST(state->current_term == first.term);
      BOOST_TEST(state->voted_for == first.leader);
    }
  }

  // Restarted on the same directories, each starts in that term or later.
  cluster.start_all();
  for (const NodeId id : cluster.ids()) {
    const auto term = wait_started_term(cluster.node(id));
    BOOST_TEST_REQUIRE(term.has_value(), "node " << id << ": no 'Started'");
    BOOST_TEST(*term >= first.term, "node " << id);
  }

  // The next leader's term is higher: terms never go back.
  const auto second =
      cluster.wait_for_leader(cluster.ids(), deadline_in(election_timeout));
  BOOST_REQUIRE_MESSAGE(second, "no leader after the restart");
  BOOST_TEST(second->term > first.term);
}
