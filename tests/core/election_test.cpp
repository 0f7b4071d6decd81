// Terms and elections: §5.1, §5.2 and the election restriction of §5.4.1.
#include <boost/test/unit_test.hpp>

#include "cluster.hpp"

namespace raft::test {
namespace {

// A 3-node cluster in which node 1 has won term 1 and everyone is in step.
Cluster elected_three() {
  Cluster cluster(3);
  cluster.election_timeout(1);
  cluster.deliver_all();
  BOOST_REQUIRE_EQUAL(cluster.leader(), 1u);
  return cluster;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(section_5_1_terms)

// §5.1: a server that sees a higher term in any request adopts it and, if it
// was leader or candidate, reverts to follower.
BOOST_AUTO_TEST_CASE(section_5_1_leader_steps_down_on_higher_term_request) {
  Cluster cluster = elected_three();

  cluster.deliver(request_vote(3, 1, 5, 0, 0));

  Raft& leader = cluster.node(1);
  BOOST_TEST(leader.role() == Role::follower);
  BOOST_TEST(leader.current_term() == 5u);
  BOOST_TEST(cluster.disk(1).hard_state.current_term == 5u);
  BOOST_TEST(has_event(cluster.readies(1).back(),
                       Event::Kind::stepped_down));
}

BOOST_AUTO_TEST_CASE(section_5_1_candidate_steps_down_on_higher_term_request) {
  Raft raft = make_raft(1, 3);
  campaign(raft);

  const Ready ready = step(raft, append_entries(2, 1, 4, 0, 0, {}, 0));

  BOOST_TEST(raft.role() == Role::follower);
  BOOST_TEST(raft.current_term() == 4u);
  BOOST_TEST(raft.leader_id() == 2u);
  BOOST_TEST(has_event(ready, Event::Kind::stepped_down));
  BOOST_TEST(ready.hard_state->current_term == 4u);
}

// A node at max_term (the highest the codec and the hard state file accept)
// does not stand for election: term + 1 could not be read back.
BOOST_AUTO_TEST_CASE(no_election_past_max_term) {
  Raft raft = make_raft(1, 3);
  step(raft, append_entries(2, 1, raft::max_term, 0, 0, {}, 0));
  BOOST_REQUIRE(raft.current_term() == raft::max_term);

  raft.election_timeout();

  BOOST_TEST(raft.role() == Role::follower);
  BOOST_TEST(raft.current_term() == raft::max_term);
  BOOST_TEST(!raft.take_ready().hard_state.has_value());
}

// §5.1: the same holds when the higher term arrives in a reply.
BOOST_AUTO_TEST_CASE(section_5_1_leader_steps_down_on_higher_term_reply) {
  Raft raft = make_raft(1, 3);
  elect(raft, 3);

  AppendEntriesReply reply;
  reply.term = 3;
  const Ready ready = step(raft, Message{2, 1, reply});

  BOOST_TEST(raft.role() == Role::follower);
  BOOST_TEST(raft.current_term() == 3u);
  BOOST_TEST(raft.leader_id() == no_node);
  BOOST_TEST(raft.voted_for() == no_node);
  BOOST_TEST(ready.reset_election_timer);
  BOOST_TEST(ready.hard_state == (HardState{3, no_node}));
}

BOOST_AUTO_TEST_CASE(section_5_1_candidate_steps_down_on_higher_term_reply) {
  Raft raft = make_raft(1, 3);
  campaign(raft);

  step(raft, Message{2, 1, RequestVoteReply{5, false}});

  BOOST_TEST(raft.role() == Role::follower);
  BOOST_TEST(raft.current_term() == 5u);
  BOOST_TEST(raft.voted_for() == no_node);
}

// §5.1: a request carrying a stale term is rejected, and the reply carries
// the receiver's term so the sender learns it is out of date.
BOOST_AUTO_TEST_CASE(section_5_1_stale_request_vote_rejected_with_term) {
  Raft raft = make_raft(1, 3, Boot{HardState{4, no_node}, {}});

  const Ready ready = step(raft, request_vote(2, 1, 3, 10, 3));

  const auto replies = bodies_of<RequestVoteReply>(ready.messages);
  BOOST_REQUIRE_EQUAL(replies.size(), 1u);
  BOOST_TEST(replies[0] == (RequestVoteReply{4, false}));
  BOOST_TEST(raft.voted_for() == no_node);
  BOOST_TEST(!ready.reset_election_timer);
}

BOOST_AUTO_TEST_CASE(section_5_1_stale_append_entries_rejected_with_term) {
  Raft raft = make_raft(1, 3, Boot{HardState{4, no_node}, log_of({1})});

  const Ready ready =
      step(raft, append_entries(2, 1, 3, 1, 1, log_of({1, 3}), 2));

  const auto replies = bodies_of<AppendEntriesReply>(ready.messages);
  BOOST_REQUIRE_EQUAL(replies.size(), 1u);
  BOOST_TEST(!replies[0].success);
  BOOST_TEST(replies[0].term == 4u);
  BOOST_TEST(raft.log().last_index() == 1u);
  BOOST_TEST(raft.commit_index() == 0u);
  BOOST_TEST(raft.leader_id() == no_node);
  BOOST_TEST(!ready.reset_election_timer);
}

// §5.1: a reply from an older term answers a question nobody is asking any
// more; it must change nothing.
BOOST_AUTO_TEST_CASE(section_5_1_stale_vote_replies_ignored) {
  Raft raft = make_raft(1, 3, Boot{HardState{2, no_node}, {}});
  campaign(raft);

  step(raft, Message{2, 1, RequestVoteReply{2, true}});
  step(raft, Message{3, 1, RequestVoteReply{1, true}});

  BOOST_TEST(raft.role() == Role::candidate);
  BOOST_TEST(raft.current_term() == 3u);
}

BOOST_AUTO_TEST_CASE(section_5_1_stale_append_replies_ignored) {
  Raft raft = make_raft(1, 3, Boot{HardState{2, no_node}, log_of({1, 2})});
  elect(raft, 3);
  const Progress before = *raft.progress(2);

  AppendEntriesReply stale;
  stale.term = 2;
  stale.success = true;
  stale.match_index = 3;
  const Ready ready = step(raft, Message{2, 1, stale});

  BOOST_TEST(raft.role() == Role::leader);
  BOOST_TEST(raft.progress(2)->match_index == before.match_index);
  BOOST_TEST(raft.progress(2)->next_index == before.next_index);
  BOOST_TEST(ready.messages_now.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(section_5_2_elections)

// §5.2: a follower that hears nothing for an election timeout becomes a
// candidate: it increments its term, votes for itself and asks every peer
// for a vote. The requests leave at once, beside the write of term and vote
// (a request reports nothing, so thesis §3.8 does not hold it back).
BOOST_AUTO_TEST_CASE(section_5_2_timeout_starts_election) {
  Raft raft = make_raft(1, 3, Boot{HardState{2, no_node}, log_of({1, 2})});

  raft.election_timeout();
  const Ready ready = raft.take_ready();

  BOOST_TEST(raft.role() == Role::candidate);
  BOOST_TEST(raft.current_term() == 3u);
  BOOST_TEST(raft.voted_for() == 1u);
  BOOST_TEST(ready.hard_state == (HardState{3, 1}));
  BOOST_TEST(ready.reset_election_timer);
  BOOST_TEST(has_event(ready, Event::Kind::election_started));
  BOOST_TEST(ready.messages.empty());

  const auto requests = bodies_of<RequestVote>(ready.messages_now);
  BOOST_REQUIRE_EQUAL(ready.messages_now.size(), 2u);
  BOOST_REQUIRE_EQUAL(requests.size(), 2u);
  for (const RequestVote& request : requests) {
    BOOST_TEST(request == (RequestVote{3, 1, 2, 2}));
  }
  BOOST_TEST(ready.messages_now[0].to != ready.messages_now[1].to);
}

// Thesis §3.8: since the requests outran the candidate's own write, its own
// vote may count only once that write is durable. Otherwise a candidate
// that crashed first could come back in the old term, vote for another
// candidate in this one, and have helped elect two leaders in one term.
BOOST_AUTO_TEST_CASE(section_5_2_own_vote_counts_only_once_durable) {
  Raft raft = make_raft(1, 3, Boot{HardState{2, no_node}, {}});
  raft.election_timeout();
  const Ready ready = raft.take_ready();
  BOOST_REQUIRE(ready.hard_state);

  step(raft, Message{2, 1, RequestVoteReply{3, true}});
  BOOST_TEST(raft.role() == Role::candidate);

  // A write of some other state finishing says nothing about this vote.
  raft.hard_state_persisted(HardState{2, no_node});
  raft.hard_state_persisted(HardState{3, 2});
  BOOST_TEST(raft.role() == Role::candidate);

  raft.hard_state_persisted(*ready.hard_state);
  BOOST_TEST(raft.role() == Role::leader);
  BOOST_TEST(has_event(raft.take_ready(), Event::Kind::became_leader));
}

// The same write finishing after the candidate already moved on (a newer
// term, or a leader of its term found) must not make it leader.
BOOST_AUTO_TEST_CASE(section_5_2_late_write_of_old_vote_changes_nothing) {
  Raft raft = make_raft(1, 3);
  raft.election_timeout();
  const HardState first = *raft.take_ready().hard_state;
  step(raft, Message{2, 1, RequestVoteReply{1, true}});

  raft.election_timeout();
  raft.take_ready();
  raft.hard_state_persisted(first);
  BOOST_TEST(raft.role() == Role::candidate);
  BOOST_TEST(raft.current_term() == 2u);

  step(raft, append_entries(3, 1, 2, 0, 0, {}, 0));
  raft.hard_state_persisted(HardState{2, 1});
  BOOST_TEST(raft.role() == Role::follower);
  BOOST_TEST(raft.leader_id() == 3u);
}

// §5.2: a candidate wins once a majority of the cluster, itself included,
// voted for it in this term.
BOOST_AUTO_TEST_CASE(section_5_2_candidate_wins_majority_of_three) {
  Raft raft = make_raft(1, 3);
  campaign(raft);

  const Ready ready = step(raft, Message{2, 1, RequestVoteReply{1, true}});

  BOOST_TEST(raft.role() == Role::leader);
  BOOST_TEST(raft.leader_id() == 1u);
  BOOST_TEST(has_event(ready, Event::Kind::became_leader));
}

BOOST_AUTO_TEST_CASE(section_5_2_candidate_wins_majority_of_five) {
  Raft raft = make_raft(1, 5);
  campaign(raft);

  step(raft, Message{2, 1, RequestVoteReply{1, true}});
  BOOST_TEST(raft.role() == Role::candidate);

  step(raft, Message{4, 1, RequestVoteReply{1, true}});
  BOOST_TEST(raft.role() == Role::leader);
}

BOOST_AUTO_TEST_CASE(section_5_2_candidate_does_not_win_with_minority) {
  Raft raft = make_raft(1, 5);
  campaign(raft);

  step(raft, Message{2, 1, RequestVoteReply{1, true}});
  step(raft, Message{3, 1, RequestVoteReply{1, false}});
  step(raft, Message{4, 1, RequestVoteReply{1, false}});
  step(raft, Message{5, 1, RequestVoteReply{1, false}});

  BOOST_TEST(raft.role() == Role::candidate);
  BOOST_TEST(raft.current_term() == 1u);
}

// §5.2: votes are counted per voter; the network may duplicate a reply.
BOOST_AUTO_TEST_CASE(section_5_2_duplicated_vote_replies_count_once) {
  Raft raft = make_raft(1, 5);
  campaign(raft);

  for (int i = 0; i < 4; ++i) {
    step(raft, Message{2, 1, RequestVoteReply{1, true}});
  }
  BOOST_TEST(raft.role() == Role::candidate);

  step(raft, Message{3, 1, RequestVoteReply{1, true}});
  BOOST_TEST(raft.role() == Role::leader);
}

// §5.2: a candidate that receives AppendEntries from a leader whose term is
// at least its own recognizes that leader and returns to follower.
BOOST_AUTO_TEST_CASE(section_5_2_candidate_steps_down_for_current_leader) {
  Raft raft = make_raft(1, 3);
  campaign(raft);

  const Ready ready = step(raft, append_entries(2, 1, 1, 0, 0, {}, 0));

  BOOST_TEST(raft.role() == Role::follower);
  BOOST_TEST(raft.current_term() == 1u);
  BOOST_TEST(raft.leader_id() == 2u);
  BOOST_TEST(ready.reset_election_timer);
  const auto replies = bodies_of<AppendEntriesReply>(ready.messages);
  BOOST_REQUIRE_EQUAL(replies.size(), 1u);
  BOOST_TEST(replies[0].success);
}

// §5.2: each server votes for at most one candidate per term, first come
// first served. Asking again (a lost reply) gets the same answer.
BOOST_AUTO_TEST_CASE(section_5_2_one_vote_per_term) {
  Raft raft = make_raft(1, 3);
  step(raft, request_vote(2, 1, 1, 0, 0));

  const Ready other = step(raft, request_vote(3, 1, 1, 0, 0));
  const auto refused = bodies_of<RequestVoteReply>(other.messages);
  BOOST_REQUIRE_EQUAL(refused.size(), 1u);
  BOOST_TEST(refused[0] == (RequestVoteReply{1, false}));
  BOOST_TEST(has_event(other, Event::Kind::vote_denied));
  BOOST_TEST(!other.reset_election_timer);
  BOOST_TEST(!other.hard_state);

  const Ready again = step(raft, request_vote(2, 1, 1, 0, 0));
  const auto granted = bodies_of<RequestVoteReply>(again.messages);
  BOOST_REQUIRE_EQUAL(granted.size(), 1u);
  BOOST_TEST(granted[0] == (RequestVoteReply{1, true}));
  BOOST_TEST(raft.voted_for() == 2u);
}

// §5.2: granting a vote restarts the election timer (the voter expects the
// candidate to win), and the vote is durable before the reply leaves.
BOOST_AUTO_TEST_CASE(section_5_2_granting_vote_resets_timer_and_persists) {
  Raft raft = make_raft(1, 3);

  const Ready ready = step(raft, request_vote(2, 1, 1, 0, 0));

  BOOST_TEST(ready.reset_election_timer);
  BOOST_TEST(ready.hard_state == (HardState{1, 2}));
  BOOST_TEST(ready.messages_now.empty());
  BOOST_TEST(bodies_of<RequestVoteReply>(ready.messages).size() == 1u);
  BOOST_TEST(has_event(ready, Event::Kind::voted));
}

// §5.2 with Figure 2's "persistent state": after a restart a server still
// knows its term and whom it voted for, so it cannot vote twice in a term.
BOOST_AUTO_TEST_CASE(section_5_2_restart_keeps_term_and_vote) {
  Cluster cluster(3);
  cluster.election_timeout(2);
  cluster.deliver_all();
  cluster.propose(2, "x");
  cluster.deliver_all();

  const Disk disk = cluster.disk(1);
  BOOST_TEST(disk.hard_state == (HardState{1, 2}));
  Raft restarted = make_raft(1, 3, Boot{disk.hard_state, disk.log});

  BOOST_TEST(restarted.current_term() == 1u);
  BOOST_TEST(restarted.voted_for() == 2u);
  BOOST_TEST(restarted.log().last_index() == 2u);

  const Ready other = step(restarted, request_vote(3, 1, 1, 5, 1));
  BOOST_TEST(bodies_of<RequestVoteReply>(other.messages).at(0) ==
             (RequestVoteReply{1, false}));

  const Ready same = step(restarted, request_vote(2, 1, 1, 2, 1));
  BOOST_TEST(bodies_of<RequestVoteReply>(same.messages).at(0) ==
             (RequestVoteReply{1, true}));
}

// §5.2: in a quiet cluster one election costs one RequestVote per peer and
// one reply each, nothing more.
BOOST_AUTO_TEST_CASE(section_5_2_quiet_election_takes_two_votes_two_replies) {
  Cluster cluster(3);

  cluster.election_timeout(1);
  cluster.deliver_all();

  BOOST_TEST(cluster.leader() == 1u);
  BOOST_TEST(cluster.sent_of<RequestVote>().size() == 2u);
  BOOST_TEST(cluster.sent_of<RequestVoteReply>().size() == 2u);
  BOOST_TEST(cluster.node(2).leader_id() == 1u);
  BOOST_TEST(cluster.node(3).leader_id() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(section_5_4_1_election_restriction)

// §5.4.1: a voter refuses a candidate whose log is less up to date than its
// own. The log whose last entry has the higher term is more up to date; with
// equal last terms, the longer log is.
BOOST_AUTO_TEST_CASE(section_5_4_1_higher_last_term_beats_longer_log) {
  Raft raft = make_raft(1, 3, Boot{HardState{2, no_node}, log_of({1, 1, 1})});

  const Ready ready = step(raft, request_vote(2, 1, 3, 2, 2));

  BOOST_TEST(bodies_of<RequestVoteReply>(ready.messages).at(0).vote_granted);
  BOOST_TEST(raft.voted_for() == 2u);
}

BOOST_AUTO_TEST_CASE(section_5_4_1_equal_last_term_longer_or_equal_log_wins) {
  Raft longer = make_raft(1, 3, Boot{HardState{2, no_node}, log_of({1, 2})});
  const Ready a = step(longer, request_vote(2, 1, 3, 3, 2));
  BOOST_TEST(bodies_of<RequestVoteReply>(a.messages).at(0).vote_granted);

  Raft equal = make_raft(1, 3, Boot{HardState{2, no_node}, log_of({1, 2})});
  const Ready b = step(equal, request_vote(2, 1, 3, 2, 2));
  BOOST_TEST(bodies_of<RequestVoteReply>(b.messages).at(0).vote_granted);
}

BOOST_AUTO_TEST_CASE(section_5_4_1_less_up_to_date_log_refused) {
  const Boot boot{HardState{2, no_node}, log_of({1, 2, 2})};

  Raft shorter = make_raft(1, 3, boot);
  const Ready a = step(shorter, request_vote(2, 1, 3, 2, 2));
  BOOST_TEST(!bodies_of<RequestVoteReply>(a.messages).at(0).vote_granted);
  BOOST_TEST(shorter.voted_for() == no_node);
  BOOST_TEST(!a.reset_election_timer);

  // Longer, but ending in an older term.
  Raft older = make_raft(1, 3, boot);
  const Ready b = step(older, request_vote(2, 1, 3, 9, 1));
  BOOST_TEST(!bodies_of<RequestVoteReply>(b.messages).at(0).vote_granted);

  // The refusal still adopts the candidate's higher term (§5.1).
  BOOST_TEST(older.current_term() == 3u);
}

// §5.4.1 end to end: a node missing a committed entry cannot win.
BOOST_AUTO_TEST_CASE(section_5_4_1_stale_node_cannot_win_election) {
  Cluster cluster(3);
  cluster.election_timeout(1);
  cluster.deliver_all();
  cluster.isolate(3);
  cluster.propose(1, "x");
  cluster.deliver_all();
  cluster.heal();

  cluster.election_timeout(3);
  cluster.deliver_all();

  BOOST_TEST(cluster.node(3).role() != Role::leader);
  BOOST_TEST(cluster.node(1).voted_for() != 3u);
  BOOST_TEST(cluster.node(2).voted_for() != 3u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raft::test
