// No acknowledged write is lost when the leader dies (§5.4 Leader
// Completeness, §8 exactly-once clients): one client writes 1,000 keys in
// sequence while the leader is SIGKILLed after ~300 acknowledged writes and
// restarted on its data directory after ~700. Every write the client saw
// acknowledged is then readable with its value from the current leader, and
// all three replicas apply the same log to the same state.
#define BOOST_TEST_MODULE kv_failover_keeps_acknowledged_writes
#include <boost/test/unit_test.hpp>

#include <signal.h>

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "fixture.hpp"
#include "kv_support.hpp"

using namespace raft::integration;
using raft::NodeId;
using raft::client::Client;
using raft::client::ClientError;

namespace {

constexpr int total_writes = 1000;
constexpr std::size_t kill_after_acked = 300;
constexpr std::size_t restart_after_acked = 700;
// A write may time out while no leader is known; more than a handful means
// the cluster stopped serving.
constexpr std::size_t max_failed_writes = 10;
// Bounds the disrupting thread's waits for the writer.
constexpr std::chrono::minutes write_phase_timeout{5};

struct FailedWrite {
  int i = 0;
  std::string error;
};

// How many writes were acknowledged so far, for the thread that waits for
// the moment to kill or restart. stop() releases it if the writer quits.
class AckCounter {
 public:
  void add() {
    {
      const std::lock_guard lock(mutex_);
      ++count_;
    }
    changed_.notify_all();
  }

  void stop() {
    {
      const std::lock_guard lock(mutex_);
      stopped_ = true;
    }
    changed_.notify_all();
  }

  // True once `count` writes were acknowledged; false at the deadline or
  // after stop().
  bool wait_for(std::size_t count, Deadline deadline) {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline,
                        [&] { return count_ >= count || stopped_; });
    return count_ >= count;
  }

  std::size_t count() {
    const std::lock_guard lock(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::size_t count_ = 0;
  bool stopped_ = false;
};

// What the disrupting thread did; Boost.Test is not thread-safe, so it
// reports here and the test checks after joining it.
struct Disruption {
  std::optional<NodeId> killed;
  raft::Term killed_term = 0;
  std::size_t killed_after = 0;
  bool restarted = false;
  std::size_t restarted_after = 0;
  std::string problem;
};

// Runs beside the writer, so that the SIGKILL lands while a write is in
// flight: kills the leader after `kill_after_acked` acknowledged writes and
// restarts it on its data directory after `restart_after_acked`. Only this
// thread touches `cluster` until it returns; the writer uses a Client.
Disruption disrupt(Cluster& cluster, AckCounter& acks) {
  Disruption done;
  const Deadline deadline = deadline_in(write_phase_timeout);
  if (!acks.wait_for(kill_after_acked, deadline)) {
    done.problem = "the writer never reached the kill point";
    return done;
  }
  const auto leader =
      cluster.wait_for_leader(cluster.ids(), deadline_in(election_timeout));
  if (!leader) {
    done.problem = "no leader to kill";
    return done;
  }
  cluster.node(leader->leader).kill(SIGKILL);
  done.killed = leader->leader;
  done.killed_term = leader->term;
  done.killed_after = acks.count();
  if (!cluster.node(leader->leader).wait_exit(deadline_in(exit_timeout))) {
    done.problem = "the killed leader did not exit";
    return done;
  }

  if (!acks.wait_for(restart_after_acked, deadline)) {
    done.problem = "the writer never reached the restart point";
    return done;
  }
  cluster.start(leader->leader);
  done.restarted = true;
  done.restarted_after = acks.count();
  return done;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(kv_failover_keeps_acknowledged_writes,
                        ClusterFixture) {
  const auto first = start_and_elect();
  BOOST_TEST_MESSAGE("leader " << first.leader << " in term "
                               << first.term);

  // Write 1,000 keys while another thread kills and restarts the leader.
  AckCounter acks;
  auto disruption = std::async(std::launch::async, disrupt,
                               std::ref(cluster), std::ref(acks));
  // Should the writer throw, the thread must not wait out its deadline.
  struct StopOnExit {
    AckCounter& acks;
    ~StopOnExit() { acks.stop(); }
  } stop_on_exit{acks};
  Client client(addresses(cluster), client_options("failover-writer"));
  std::vector<int> acked;
  std::vector<FailedWrite> failed;
  for (int i = 0; i < total_writes && failed.size() <= max_failed_writes;
       ++i) {
    try {
      client.put(key_of(i), value_of(i));
      acked.push_back(i);
      acks.add();
    } catch (const ClientError& e) {
      failed.push_back(FailedWrite{i, e.what()});
    }
  }
  acks.stop();
  const Disruption done = disruption.get();

  for (const FailedWrite& write : failed) {
    BOOST_TEST_MESSAGE("write " << write.i << " failed: " << write.error);
  }
  BOOST_REQUIRE_MESSAGE(failed.size() <= max_failed_writes,
                        failed.size() << " writes failed");
  BOOST_REQUIRE_MESSAGE(done.problem.empty(), done.problem);
  BOOST_REQUIRE(done.killed.has_value());
  BOOST_REQUIRE(done.restarted);
  BOOST_TEST_MESSAGE("killed leader " << *done.killed << " (term "
                                      << done.killed_term << ") after "
                                      << done.killed_after
                                      << " writes; restarted it after "
                                      << done.restarted_after);
  BOOST_TEST_MESSAGE(acked.size() << " writes acknowledged, "
                                  << failed.size() << " failed");

  // Every replica, the restarted one included, applies the whole log.
  const Convergence convergence =
      wait_converged(cluster, deadline_in(converge_timeout));
  BOOST_REQUIRE_MESSAGE(convergence.reached,
                        "the replicas did not converge; last seen:\n"
                            << convergence.last_seen);
  BOOST_TEST_MESSAGE("converged:\n" << convergence.last_seen);

  // Every acknowledged write reads back, through the log, from the leader.
  Client reader(addresses(cluster), client_options("failover-reader"));
  std::size_t lost = 0;
  for (const int i : acked) {
    const auto value = reader.get(key_of(i));
    if (value != value_of(i)) {
      ++lost;
      BOOST_TEST(value.has_value(), "acknowledged " << key_of(i)
                                                    << " is missing");
      BOOST_TEST(value.value_or("") == value_of(i),
                 "acknowledged " << key_of(i) << " has the wrong value");
    }
  }
  BOOST_TEST(lost == 0u, lost << " acknowledged writes lost");

  // An unacknowledged write may or may not have been applied; count those
  // that were, so that the number of keys can be checked exactly.
  std::size_t failed_but_applied = 0;
  for (const FailedWrite& write : failed) {
    const auto value = reader.get(key_of(write.i));
    BOOST_TEST_MESSAGE("failed write " << write.i << " ("
                                       << write.error << ") reads back as "
                                       << value.value_or("<absent>"));
    if (value) {
      BOOST_TEST(*value == value_of(write.i));
      ++failed_but_applied;
    }
  }

  const auto* leader = leader_of(convergence);
  BOOST_REQUIRE(leader != nullptr);
  BOOST_TEST(leader->keys == acked.size() + failed_but_applied,
             "the store holds " << leader->keys << " keys for "
                                << acked.size() << " acknowledged and "
                                << failed_but_applied
                                << " unacknowledged but applied writes");

  // The reads went through the log too: the replicas agree again after.
  const Convergence after =
      wait_converged(cluster, deadline_in(converge_timeout));
  BOOST_TEST(after.reached, "the replicas did not converge after the reads;"
                            " last seen:\n"
                                << after.last_seen);
  BOOST_TEST_MESSAGE(failed.size() << " writes were not acknowledged "
                                    << "(allowed up to " << max_failed_writes
                                    << ")");
}
