// Log replication: the AppendEntries rules of §5.3 and Figure 7.
#include <boost/test/unit_test.hpp>

#include <string>

#include "cluster.hpp"

namespace raft::test {
namespace {

// A follower of a 3-node cluster, node 1, whose log holds `terms`.
Raft follower_with(const std::vector<Term>& terms, Term current_term) {
  return make_raft(1, 3, Boot{HardState{current_term, no_node},
                              log_of(terms)});
}

AppendEntriesReply only_reply(const Ready& ready) {
  const auto replies = bodies_of<AppendEntriesReply>(ready.messages);
  BOOST_REQUIRE_EQUAL(replies.size(), 1u);
  BOOST_TEST(ready.messages_now.empty());
  return replies[0];
}

// Entries index..index+count-1, all of `term`.
std::vector<LogEntry> entries(Index index, std::size_t count, Term term) {
  std::vector<LogEntry> out;
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(LogEntry{term, index + i, EntryType::command,
                           "e" + std::to_string(index + i)});
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(section_5_3_consistency_check)

// §5.3: a follower accepts AppendEntries only if its log holds an entry at
// prev_log_index whose term is prev_log_term; then it appends what is new.
BOOST_AUTO_TEST_CASE(section_5_3_append_accepted_when_prev_entry_matches) {
  Raft raft = follower_with({1, 1}, 1);

  const Ready ready =
      step(raft, append_entries(2, 1, 1, 2, 1, entries(3, 2, 1), 0));

  const AppendEntriesReply reply = only_reply(ready);
  BOOST_TEST(reply.success);
  BOOST_TEST(reply.term == 1u);
  BOOST_TEST(reply.match_index == 4u);
  BOOST_TEST(raft.log().last_index() == 4u);
  BOOST_REQUIRE_EQUAL(ready.entries.size(), 2u);
  BOOST_TEST(ready.entries.front().index == 3u);
  BOOST_TEST(ready.reset_election_timer);
  BOOST_TEST(raft.leader_id() == 2u);
}

BOOST_AUTO_TEST_CASE(section_5_3_append_rejected_when_log_too_short) {
  Raft raft = follower_with({1, 1}, 1);

  const Ready ready =
      step(raft, append_entries(2, 1, 1, 5, 1, entries(6, 1, 1), 0));

  const AppendEntriesReply reply = only_reply(ready);
  BOOST_TEST(!reply.success);
  BOOST_TEST(reply.term == 1u);
  // Too short: no conflicting term; resume just past our last entry.
  BOOST_TEST(reply.conflict_term == 0u);
  BOOST_TEST(reply.conflict_index == 3u);
  BOOST_TEST(raft.log().last_index() == 2u);
  BOOST_TEST(ready.entries.empty());
  // It is still the current leader: the timer restarts.
  BOOST_TEST(ready.reset_election_timer);
}

// §5.3: on a term mismatch the follower names the conflicting term and the
// first index it holds for that term, so the leader can skip it whole.
BOOST_AUTO_TEST_CASE(section_5_3_append_rejected_on_term_mismatch_with_hint) {
  Raft raft = follower_with({1, 2, 2, 2}, 3);

  const Ready ready =
      step(raft, append_entries(2, 1, 3, 4, 3, entries(5, 1, 3), 0));

  const AppendEntriesReply reply = only_reply(ready);
  BOOST_TEST(!reply.success);
  BOOST_TEST(reply.conflict_term == 2u);
  BOOST_TEST(reply.conflict_index == 2u);
  BOOST_TEST(terms_of(raft.log()) == (std::vector<Term>{1, 2, 2, 2}));
}

// §5.3: if an existing entry conflicts with a new one (same index, other
// term), delete it and all that follow, and append the new ones; the Ready
// asks storage to overwrite from the conflict on.
BOOST_AUTO_TEST_CASE(section_5_3_conflicting_suffix_truncated) {
  Raft raft = follower_with({1, 2, 2, 2}, 2);

  std::vector<LogEntry> news = entries(2, 2, 3);
  const Ready ready = step(raft, append_entries(2, 1, 3, 1, 1, news, 0));

  BOOST_TEST(only_reply(ready).success);
  BOOST_TEST(only_reply(ready).match_index == 3u);
  BOOST_TEST(terms_of(raft.log()) == (std::vector<Term>{1, 3, 3}));
  BOOST_TEST(ready.entries == news);
}

// §5.3: "if an existing entry conflicts" — an entry that matches is kept,
// and so is everything after it. A stale or reordered AppendEntries must
// never cut a log that already holds more, nor move the commit back.
BOOST_AUTO_TEST_CASE(section_5_3_reordered_append_does_not_truncate) {
  Raft raft = follower_with({1, 1, 1, 1, 1}, 1);
  const auto six_to_nine = entries(6, 4, 1);
  const auto six_to_seven = entries(6, 2, 1);

  step(raft, append_entries(2, 1, 1, 5, 1, six_to_nine, 9));
  BOOST_TEST(raft.log().last_index() == 9u);
  BOOST_TEST(raft.commit_index() == 9u);

  const Ready late = step(raft, append_entries(2, 1, 1, 5, 1, six_to_seven, 7));

  BOOST_TEST(raft.log().last_index() == 9u);
  BOOST_TEST(raft.commit_index() == 9u);
  BOOST_TEST(late.entries.empty());
  BOOST_TEST(late.committed.empty());
  BOOST_TEST(only_reply(late).success);
  BOOST_TEST(only_reply(late).match_index == 7u);
}

// Figure 2: a follower sets commit_index to min(leader_commit, index of the
// last new entry). Past what this request verified, the follower's log may
// still hold entries of a deposed leader: they must not be committed.
BOOST_AUTO_TEST_CASE(section_5_3_follower_commit_limited_to_verified_prefix) {
  Raft raft = follower_with({1, 1, 1, 1, 1}, 1);

  const Ready heartbeat = step(raft, append_entries(2, 1, 2, 3, 1, {}, 4));

  BOOST_TEST(only_reply(heartbeat).success);
  BOOST_TEST(only_reply(heartbeat).match_index == 3u);
  BOOST_TEST(raft.commit_index() == 3u);
  BOOST_TEST(heartbeat.committed.size() == 3u);

  const Ready append =
      step(raft, append_entries(2, 1, 2, 3, 1, entries(4, 1, 2), 9));
  BOOST_TEST(raft.commit_index() == 4u);
  BOOST_TEST(raft.log().last_index() == 4u);
  BOOST_REQUIRE_EQUAL(append.committed.size(), 1u);
  BOOST_TEST(append.committed[0].term == 2u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(section_5_3_figure_7)

namespace {

// Figure 7: the leader of term 8 and its log, and six possible followers.
const std::vector<Term> figure_7_leader = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};

struct Figure7Case {
  const char* name;
  std::vector<Term> follower;
  // Rejected round trips fast backtracking should need: one per term the
  // follower holds past the common prefix, plus one if its log is shorter
  // than the leader's.
  std::size_t rejections;
};

const std::vector<Figure7Case> figure_7_cases = {
    {"a", {1, 1, 1, 4, 4, 5, 5, 6, 6}, 1},
    {"b", {1, 1, 1, 4}, 1},
    {"c", {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}, 0},
    {"d", {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}, 0},
    {"e", {1, 1, 1, 4, 4, 4, 4}, 2},
    {"f", {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}, 2},
};

// Node 1 holds the leader's log, node 2 the follower's, node 3 a copy of
// the leader's (a voter, so that node 1 can win term 8 even when node 2
// refuses). Elect node 1 and let the messages run until quiet.
Cluster run_figure_7(const Figure7Case& c) {
  Cluster cluster({Boot{HardState{7, no_node}, log_of(figure_7_leader)},
                   Boot{HardState{7, no_node}, log_of(c.follower)},
                   Boot{HardState{7, no_node}, log_of(figure_7_leader)}});
  cluster.election_timeout(1);
  cluster.deliver_all();
  BOOST_REQUIRE_EQUAL(cluster.leader(), 1u);
  BOOST_REQUIRE_EQUAL(cluster.node(1).current_term(), 8u);
  return cluster;
}

std::size_t rejections_from(const Cluster& cluster, NodeId node) {
  std::size_t count = 0;
  for (const Message& message : cluster.sent()) {
    const auto* reply = std::get_if<AppendEntriesReply>(&message.body);
    if (message.from == node && reply != nullptr && !reply->success) {
      ++count;
    }
  }
  return count;
}

}  // namespace

// §5.3: the leader forces followers' logs to duplicate its own: it finds
// the latest entry where they agree, deletes the follower's entries past it
// and sends its own. Each of Figure 7's followers ends with the leader's log.
BOOST_AUTO_TEST_CASE(section_5_3_figure_7_followers_brought_in_line) {
  for (const Figure7Case& c : figure_7_cases) {
    BOOST_TEST_CONTEXT("Figure 7 follower (" << c.name << ")") {
      Cluster cluster = run_figure_7(c);
      cluster.heartbeat(1);
      cluster.deliver_all();

      std::vector<Term> expected = figure_7_leader;
      expected.push_back(8);  // the new leader's no-op
      BOOST_TEST(terms_of(cluster.node(2).log()) == expected);
      BOOST_TEST(cluster.disk(2).log == cluster.disk(1).log);
      BOOST_TEST(cluster.node(1).commit_index() == 11u);
      BOOST_TEST(cluster.node(2).commit_index() == 11u);
    }
  }
}

// §5.3 (the optimization at the end of the section): with the conflicting
// term and its first index in each rejection, the leader needs one rejected
// round trip per conflicting term, not one per entry.
BOOST_AUTO_TEST_CASE(section_5_3_fast_backtracking_one_rejection_per_term) {
  for (const Figure7Case& c : figure_7_cases) {
    BOOST_TEST_CONTEXT("Figure 7 follower (" << c.name << ")") {
      const Cluster cluster = run_figure_7(c);

      BOOST_TEST(rejections_from(cluster, 2) == c.rejections);
      BOOST_TEST(rejections_from(cluster, 3) == 0u);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(section_5_3_batching)

namespace {

std::vector<AppendEntries> appends_from(const Cluster& cluster, NodeId from) {
  std::vector<AppendEntries> out;
  for (const Message& message : cluster.sent()) {
    if (const auto* request = std::get_if<AppendEntries>(&message.body)) {
      if (message.from == from) {
        out.push_back(*request);
      }
    }
  }
  return out;
}

std::size_t data_bytes(const std::vector<LogEntry>& batch) {
  std::size_t bytes = 0;
  for (const LogEntry& entry : batch) {
    bytes += entry.data.size();
  }
  return bytes;
}

// Node 1 boots with `log`, the others empty; node 1 wins term 2 and brings
// them up to date.
Cluster catch_up(std::vector<LogEntry> log, Config config) {
  Cluster cluster({Boot{HardState{1, no_node}, std::move(log)},
                   Boot{HardState{1, no_node}, {}},
                   Boot{HardState{1, no_node}, {}}},
                  std::move(config));
  cluster.election_timeout(1);
  cluster.deliver_all();
  for (int round = 0; round < 3; ++round) {
    cluster.heartbeat(1);
    cluster.deliver_all();
  }
  return cluster;
}

}  // namespace

// Bounded batches: no AppendEntries carries more than max_entries_per_append
// entries, and the followers still catch up.
BOOST_AUTO_TEST_CASE(section_5_3_append_respects_max_entries) {
  Config config;
  config.max_entries_per_append = 3;

  const Cluster cluster = catch_up(log_of(std::vector<Term>(10, 1)), config);

  std::size_t full = 0;
  for (const AppendEntries& request : appends_from(cluster, 1)) {
    BOOST_TEST(request.entries.size() <= 3u);
    full += request.entries.size() == 3 ? 1 : 0;
  }
  BOOST_TEST(full >= 3u);
  BOOST_TEST(cluster.disk(2).log == cluster.disk(1).log);
  BOOST_TEST(cluster.disk(3).log.size() == 11u);
}

// Bounded batches by size: past the first entry, a batch stays within
// max_bytes_per_append; a single entry larger than the bound still goes,
// alone, so that replication cannot get stuck.
BOOST_AUTO_TEST_CASE(section_5_3_append_respects_max_bytes) {
  Config config;
  config.max_bytes_per_append = 250;
  std::vector<LogEntry> log = log_of(std::vector<Term>(8, 1));
  for (LogEntry& entry : log) {
    entry.data = std::string(100, 'x');
  }
  log[4].data = std::string(1000, 'y');

  const Cluster cluster = catch_up(log, config);

  bool saw_pair = false;
  bool saw_big = false;
  for (const AppendEntries& request : appends_from(cluster, 1)) {
    if (request.entries.size() > 1) {
      BOOST_TEST(data_bytes(request.entries) <= 250u);
      saw_pair = true;
    }
    if (!request.entries.empty() && request.entries[0].index == 5) {
      BOOST_TEST(request.entries.size() == 1u);
      saw_big = true;
    }
  }
  BOOST_TEST(saw_pair);
  BOOST_TEST(saw_big);
  BOOST_TEST(cluster.disk(2).log == cluster.disk(1).log);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(section_5_3_retries)

// §5.3: "if followers ... network packets are lost, the leader retries
// AppendEntries indefinitely" until every follower stores every entry.
BOOST_AUTO_TEST_CASE(section_5_3_leader_retries_lost_appends) {
  Cluster cluster(3);
  cluster.election_timeout(1);
  cluster.deliver_all();

  // Lose every AppendEntries to node 3 while three commands go out.
  cluster.set_drop([](const Message& m) {
    return m.to == 3 && std::holds_alternative<AppendEntries>(m.body);
  });
  for (int i = 0; i < 3; ++i) {
    cluster.propose(1, "c" + std::to_string(i));
    cluster.deliver_all();
  }
  BOOST_TEST(cluster.node(3).log().last_index() == 1u);
  BOOST_TEST(cluster.node(1).commit_index() == 4u);

  cluster.heal();
  for (int round = 0; round < 4; ++round) {
    cluster.heartbeat(1);
    cluster.deliver_all();
  }
  BOOST_TEST(cluster.disk(3).log == cluster.disk(1).log);
  BOOST_TEST(cluster.node(3).commit_index() == 4u);
}

// Pipelining is bounded: a follower in step gets at most
// max_inflight_appends unanswered AppendEntries carrying entries.
BOOST_AUTO_TEST_CASE(section_5_3_inflight_appends_bounded) {
  Config config;
  config.max_inflight_appends = 2;
  Cluster cluster(3, config);
  cluster.election_timeout(1);
  cluster.deliver_all();
  cluster.set_drop([](const Message& m) { return m.from == 2; });
  const std::size_t before = cluster.sent().size();

  for (int i = 0; i < 6; ++i) {
    cluster.propose(1, "c" + std::to_string(i));
  }
  cluster.deliver_all();

  std::size_t with_entries = 0;
  for (std::size_t i = before; i < cluster.sent().size(); ++i) {
    const Message& m = cluster.sent()[i];
    const auto* request = std::get_if<AppendEntries>(&m.body);
    if (m.to == 2 && request != nullptr && !request->entries.empty()) {
      ++with_entries;
    }
  }
  BOOST_TEST(with_entries == 2u);
  BOOST_TEST(cluster.node(2).log().last_index() == 3u);

  // Once replies flow again, heartbeats notice the stall and catch up.
  cluster.heal();
  for (int round = 0; round < 4; ++round) {
    cluster.heartbeat(1);
    cluster.deliver_all();
  }
  BOOST_TEST(cluster.disk(2).log == cluster.disk(1).log);
}

// A rejection delayed past a later success must not move next_index below
// what the follower is known to hold (Figure 2: match_index only grows).
BOOST_AUTO_TEST_CASE(section_5_3_stale_rejection_keeps_match_index) {
  Raft raft = make_raft(1, 3, Boot{HardState{1, no_node}, log_of({1, 1})});
  elect(raft, 3);
  raft.persisted(3, 2);

  AppendEntriesReply ok;
  ok.term = 2;
  ok.success = true;
  ok.match_index = 3;
  step(raft, Message{2, 1, ok});
  BOOST_TEST(raft.progress(2)->match_index == 3u);

  AppendEntriesReply late;
  late.term = 2;
  late.conflict_index = 1;
  const Ready ready = step(raft, Message{2, 1, late});

  BOOST_TEST(raft.progress(2)->match_index == 3u);
  BOOST_TEST(raft.progress(2)->next_index == 4u);
  const auto appends = bodies_of<AppendEntries>(ready.messages_now);
  BOOST_REQUIRE_EQUAL(appends.size(), 1u);
  BOOST_TEST(appends[0].prev_log_index == 3u);
}

// §5.3 hint, leader side: when the leader holds entries of the follower's
// conflicting term it resumes just past its own last entry of that term;
// otherwise it skips the follower's whole term.
BOOST_AUTO_TEST_CASE(section_5_3_leader_uses_conflict_hint) {
  const Boot boot{HardState{5, no_node}, log_of({1, 2, 2, 2, 4, 4})};

  Raft known = make_raft(1, 3, boot);
  elect(known, 3);
  AppendEntriesReply has_term;
  has_term.term = 6;
  has_term.conflict_term = 2;
  has_term.conflict_index = 2;
  step(known, Message{2, 1, has_term});
  BOOST_TEST(known.progress(2)->next_index == 5u);

  Raft unknown = make_raft(1, 3, boot);
  elect(unknown, 3);
  AppendEntriesReply no_term;
  no_term.term = 6;
  no_term.conflict_term = 3;
  no_term.conflict_index = 3;
  step(unknown, Message{2, 1, no_term});
  BOOST_TEST(unknown.progress(2)->next_index == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raft::test
