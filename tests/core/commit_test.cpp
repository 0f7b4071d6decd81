// Commitment: §5.3's commit rules, §5.4.2 (Figure 8), the leader's no-op,
// and the persist-before-count rule of the thesis (§10.2.1).
#include <boost/test/unit_test.hpp>

#include <deque>
#include <string>

#include "cluster.hpp"

namespace raft::test {
namespace {

bool to_or_from(const Message& message, NodeId node) {
  return message.from == node || message.to == node;
}

std::vector<Index> indexes_of(const std::vector<LogEntry>& entries) {
  std::vector<Index> out;
  for (const LogEntry& entry : entries) {
    out.push_back(entry.index);
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(section_5_4_2_commitment)

// §5.4.2 and Figure 8: a leader never commits an entry of an earlier term by
// counting replicas; it commits an entry of its own term that way, and the
// earlier entries with it. Here node 1 (log 1,2) wins term 4 with node 2's
// vote; node 3 holds a rival entry of term 3 at index 2 and is cut off.
BOOST_AUTO_TEST_CASE(section_5_4_2_figure_8_old_term_not_committed_by_count) {
  Config config;
  config.max_entries_per_append = 1;  // so index 2 travels alone
  Cluster cluster({Boot{HardState{3, no_node}, log_of({1, 2})},
                   Boot{HardState{3, no_node}, log_of({1})},
                   Boot{HardState{3, no_node}, log_of({1, 3})}},
                  config);
  cluster.set_drop([](const Message& m) { return to_or_from(m, 3); });
  cluster.election_timeout(1);

  // Run until node 2 acknowledges index 2: a majority holds it now.
  Raft& leader = cluster.node(1);
  while (leader.role() != Role::leader || leader.progress(2)->match_index < 2) {
    BOOST_REQUIRE(cluster.deliver_one());
  }
  BOOST_TEST(leader.current_term() == 4u);
  BOOST_TEST(leader.progress(2)->match_index == 2u);
  BOOST_TEST(cluster.node(2).log().term_at(2) == 2u);
  BOOST_TEST(leader.commit_index() == 0u);
  BOOST_TEST(cluster.applied(1).empty());

  // Once the term-4 no-op reaches node 2, it commits, and 1..2 with it.
  cluster.deliver_all();
  BOOST_TEST(leader.commit_index() == 3u);
  BOOST_TEST(indexes_of(cluster.applied(1)) == (std::vector<Index>{1, 2, 3}));

  // Node 3's rival entry of term 3 is overwritten once it hears from us.
  cluster.heal();
  cluster.heartbeat(1);
  cluster.deliver_all();
  BOOST_TEST(terms_of(cluster.node(3).log()) == (std::vector<Term>{1, 2, 4}));
  BOOST_TEST(cluster.node(3).commit_index() == 3u);
}

// Thesis §10.2.1: the leader may send entries before its own write is done,
// but counts itself toward a majority only once they are durable.
BOOST_AUTO_TEST_CASE(section_5_4_2_leader_counts_itself_only_after_persisted) {
  Cluster cluster(3);
  cluster.election_timeout(1);
  cluster.deliver_all();
  BOOST_REQUIRE_EQUAL(cluster.node(1).commit_index(), 1u);

  cluster.set_drop([](const Message& m) { return to_or_from(m, 3); });
  cluster.hold_disk(1, true);
  cluster.propose(1, "x");
  BOOST_TEST(cluster.in_flight().size() == 1u);  // sent before the write
  cluster.deliver_all();

  BOOST_TEST(cluster.node(1).progress(2)->match_index == 2u);
  BOOST_TEST(cluster.node(1).commit_index() == 1u);

  cluster.hold_disk(1, false);
  cluster.persist(1);
  BOOST_TEST(cluster.node(1).commit_index() == 2u);
  BOOST_TEST(cluster.applied(1).back().data == "x");
}

// A single-node cluster is its own majority: it elects itself at once, and
// commits each entry as soon as its own disk has it.
BOOST_AUTO_TEST_CASE(section_5_2_single_node_elects_itself_commits_on_persist) {
  Raft raft = make_raft(1, 1);

  raft.election_timeout();
  Ready ready = raft.take_ready();
  BOOST_TEST(raft.role() == Role::candidate);
  BOOST_TEST(ready.hard_state == (HardState{1, 1}));
  BOOST_TEST(ready.messages_now.empty());

  // Its own durable vote is a majority of one.
  raft.hard_state_persisted(*ready.hard_state);
  ready = raft.take_ready();
  BOOST_TEST(raft.role() == Role::leader);
  BOOST_REQUIRE_EQUAL(ready.entries.size(), 1u);
  BOOST_TEST(ready.committed.empty());
  BOOST_TEST(ready.messages.empty());

  raft.persisted(1, 1);
  ready = raft.take_ready();
  BOOST_TEST(indexes_of(ready.committed) == (std::vector<Index>{1}));

  BOOST_REQUIRE(raft.propose("a"));
  ready = raft.take_ready();
  BOOST_TEST(ready.committed.empty());
  BOOST_TEST(raft.commit_index() == 1u);

  raft.persisted(2, 1);
  ready = raft.take_ready();
  BOOST_REQUIRE_EQUAL(ready.committed.size(), 1u);
  BOOST_TEST(ready.committed[0].data == "a");
}

// §5.4.2 / thesis §6.4: a new leader appends a no-op entry of its own term
// at once, and starts replicating it, so that earlier entries can commit
// without waiting for a client.
BOOST_AUTO_TEST_CASE(section_5_4_2_new_leader_appends_noop_at_once) {
  Raft raft = make_raft(1, 3, Boot{HardState{2, no_node}, log_of({1, 2})});

  const Ready ready = elect(raft, 3);

  BOOST_TEST(raft.role() == Role::leader);
  const LogEntry noop{3, 3, EntryType::noop, {}};
  BOOST_TEST(raft.log().at(3) == noop);
  BOOST_TEST(ready.entries == std::vector<LogEntry>{noop});

  const auto appends = bodies_of<AppendEntries>(ready.messages_now);
  BOOST_REQUIRE_EQUAL(appends.size(), 2u);
  for (const AppendEntries& request : appends) {
    BOOST_TEST(request.term == 3u);
    BOOST_TEST(request.prev_log_index == 2u);
    BOOST_TEST(request.prev_log_term == 2u);
    BOOST_TEST(request.entries == std::vector<LogEntry>{noop});
  }
}

// Figure 2 ("if commitIndex > lastApplied: apply log[lastApplied]"): every
// committed entry is handed to the state machine exactly once, in log
// order, even when the network duplicates AppendEntries.
BOOST_AUTO_TEST_CASE(section_5_3_committed_entries_handed_out_once_in_order) {
  Cluster cluster(3);
  cluster.election_timeout(1);
  cluster.deliver_all();

  for (int i = 0; i < 5; ++i) {
    cluster.propose(1, "c" + std::to_string(i));
    if (i % 2 == 0) {
      // Duplicate everything in flight.
      auto& network = cluster.in_flight();
      const std::deque<Message> copy = network;
      network.insert(network.end(), copy.begin(), copy.end());
    }
    cluster.deliver_all();
    cluster.heartbeat(1);
  }
  cluster.deliver_all();

  const std::vector<Index> all = {1, 2, 3, 4, 5, 6};
  for (const NodeId id : cluster.ids()) {
    BOOST_TEST_CONTEXT("node " << id) {
      BOOST_TEST(indexes_of(cluster.applied(id)) == all);
      BOOST_TEST(cluster.applied(id).back().data == "c4");
      BOOST_TEST(cluster.node(id).last_applied() == 6u);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raft::test
