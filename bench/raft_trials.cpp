#include "raft_trials.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <system_error>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "raft/client/client.hpp"

namespace raft::bench {

namespace {

using std::chrono::milliseconds;

// Every wait below is bounded by a deadline and its loop by a count.
constexpr int max_rounds = 1'000'000;

}  // namespace

std::optional<ElectionEvent> parse_raft_line(const std::string& line,
                                             NodeId node) {
  boost::system::error_code ec;
  const boost::json::value json = boost::json::parse(line, ec);
  if (ec || !json.is_object()) {
    return std::nullopt;  // a sanitizer report, say: not ours to read
  }
  const auto& object = json.get_object();
  const auto* mono = object.if_contains("mono_ns");
  const auto* msg = object.if_contains("msg");
  if (mono == nullptr || msg == nullptr || !msg->is_string() ||
      !mono->is_int64()) {
    return std::nullopt;
  }

  const std::string text(msg->get_string());
  ElectionEvent event;
  event.node = node;
  event.time_ns = mono->get_int64();
  unsigned long long a = 0;
  unsigned long long b = 0;

  // The lines of Node::log_event, one per kind.
  if (std::sscanf(text.c_str(), "Election term %llu", &a) == 1) {
    event.kind = ElectionEvent::Kind::candidate;
    event.term = a;
  } else if (std::sscanf(text.c_str(), "LEADER term %llu", &a) == 1) {
    event.kind = ElectionEvent::Kind::leader;
    event.term = a;
  } else if (std::sscanf(text.c_str(), "Following leader %llu in term %llu",
                         &a, &b) == 2) {
    event.kind = ElectionEvent::Kind::follows;
    event.leader = a;
    event.term = b;
  } else if (std::sscanf(text.c_str(), "Voted for %llu in term %llu", &a,
                         &b) == 2 ||
             std::sscanf(text.c_str(), "Denied vote to %llu in term %llu",
                         &a, &b) == 2) {
    event.kind = ElectionEvent::Kind::term_seen;
    event.term = b;
  } else if (std::sscanf(text.c_str(), "Stepped down in term %llu", &a) ==
             1) {
    event.kind = ElectionEvent::Kind::term_seen;
    event.term = a;
  } else {
    return std::nullopt;
  }
  return event;
}

RaftBench::RaftBench(RaftSetup setup)
    : setup_(std::move(setup)), random_(setup_.seed) {
  if (setup_.nodes < 3) {
    throw std::invalid_argument("a crash test needs at least 3 nodes");
  }
  const auto ports = integration::free_ports(setup_.nodes);
  for (std::size_t i = 0; i < setup_.nodes; ++i) {
    Member& member = members_[i + 1];
    member.port = ports[i];
    member.dir = make_data_dir(setup_.data_root,
                               fmt::format("raft-bench-n{}", i + 1));
  }
}

RaftBench::~RaftBench() {
  // Each Process kills (SIGKILL, by PID) and reaps its own in its
  // destructor; only then may the directories go.
  for (auto& [id, member] : members_) {
    (void)id;
    member.process.reset();
    std::error_code ignored;
    std::filesystem::remove_all(member.dir, ignored);
  }
}

void RaftBench::run(int trials,
                    const std::function<void(const Trial&)>& done) {
  Steady steady = bring_up();
  for (int index = 0; index < trials; ++index) {
    throw_if_stopped();
    const Trial trial = run_trial(index, steady);
    done(trial);
    steady = recover_after(trial);
  }
}

Trial RaftBench::run_trial(int index, Steady steady) {
  Trial trial;
  trial.system = "raft";
  trial.nodes = setup_.nodes;
  trial.range = setup_.range;
  trial.index = index;

  // The paper's worst case: some nodes cannot win for lack of entries.
  std::optional<NodeId> lagging;
  if (std::bernoulli_distribution(setup_.unequal_share)(random_)) {
    lagging = lag_one_follower(index, steady);
  }
  trial.unequal_logs = lagging.has_value();
  const NodeId leader = steady.leader;

  // Crash at a uniformly random moment of a heartbeat interval: first one
  // whole interval, so that the followers last heard a heartbeat rather
  // than a write, then a uniform share of the next.
  const std::int64_t heartbeat_ns =
      std::int64_t{setup_.range.heartbeat_ms()} * 1'000'000;
  std::uniform_int_distribution<std::int64_t> phase(0, heartbeat_ns - 1);
  pump_until(processes(ids()), monotonic_ns() + heartbeat_ns + phase(random_));

  // The kill time, taken right before the signal. Lines printed before it
  // are read now so that none of them is mistaken for the election's.
  const std::vector<NodeId> survivors = ids_except(leader);
  take_events(ids());
  const std::int64_t kill_ns = monotonic_ns();
  members_.at(leader).process->kill(SIGKILL);
  if (lagging) {
    start(*lagging);
  }

  ElectionWatch watch(survivors, steady.term, setup_.nodes);
  const std::int64_t cap_ns = kill_ns + setup_.cap.count() * 1'000'000;
  const auto survivor_processes = processes(survivors);
  std::optional<ElectionOutcome> outcome;
  for (int round = 0; round < max_rounds && !outcome; ++round) {
    for (const ElectionEvent& event : take_events(survivors)) {
      watch.observe(event);
    }
    outcome = watch.outcome();
    const std::int64_t left_ns = cap_ns - monotonic_ns();
    if (outcome || left_ns <= 0) {
      break;
    }
    pump(survivor_processes,
         milliseconds(std::clamp<std::int64_t>(left_ns / 1'000'000, 1, 20)));
  }

  trial.old_term = steady.term;
  trial.old_leader = std::to_string(leader);
  trial.rounds = watch.rounds();
  if (outcome) {
    trial.downtime_ms = ns_to_ms(outcome->all_ns - kill_ns);
    trial.majority_ms = ns_to_ms(outcome->majority_ns - kill_ns);
    trial.leader_ms = ns_to_ms(outcome->leader_ns - kill_ns);
    trial.new_term = outcome->term;
    trial.new_leader = std::to_string(outcome->leader);
    trial.split_vote = watch.split_vote(outcome->term);
  } else {
    trial.capped = true;
    trial.downtime_ms = trial.majority_ms = trial.leader_ms =
        static_cast<double>(setup_.cap.count());
    trial.new_term = watch.highest_term();
    trial.split_vote = watch.split_vote(trial.new_term + 1);
  }
  return trial;
}

std::optional<NodeId> RaftBench::lag_one_follower(int index, Steady& steady) {
  std::vector<NodeId> followers = ids_except(steady.leader);
  std::uniform_int_distribution<std::size_t> pick(0, followers.size() - 1);
  const NodeId lagging = followers[pick(random_)];
  kill(lagging);

  // Written while it is down, so it cannot have them: SIGSTOP would not
  // do, since the leader's messages would wait in its socket.
  const std::vector<NodeId> others = ids_except(lagging);
  std::vector<std::string> addresses;
  for (const NodeId id : others) {
    addresses.push_back(fmt::format("127.0.0.1:{}", members_.at(id).port));
  }
  client::ClientOptions options;
  options.attempt_timeout = milliseconds(500);
  options.deadline = milliseconds(3000);
  try {
    client::Client client(addresses, options);
    for (int entry = 0; entry < setup_.unequal_entries; ++entry) {
      client.put(fmt::format("bench-{}-{}", index, entry), "lag");
    }
  } catch (const client::ClientError& error) {
    fmt::print(stderr, "  trial {}: writes failed ({}); equal logs\n", index,
               error.what());
    start(lagging);
    return std::nullopt;
  }

  // Only the lagging node may be behind: wait for the rest to hold all.
  const auto caught_up = wait_steady(others, milliseconds(3000));
  if (!caught_up) {
    start(lagging);
    return std::nullopt;
  }
  steady = *caught_up;
  return lagging;
}

RaftBench::Steady RaftBench::recover_after(const Trial& trial) {
  for (const NodeId id : ids()) {
    if (!members_.at(id).process->running()) {
      start(id);
    }
  }
  // Without randomness a capped cluster may never settle by itself.
  if (!trial.capped) {
    const auto timeout = std::max(milliseconds(3000),
                                  milliseconds(20 * setup_.range.max_ms));
    if (auto steady = wait_steady(ids(), timeout)) {
      return *steady;
    }
  }
  return bring_up();
}

// ---------------------------------------------------------------------------
// Processes

void RaftBench::start(NodeId id) {
  Member& member = members_.at(id);
  const Range& range = setup_.range;
  std::vector<std::string> args{
      "--id",         std::to_string(id),
      "--peers",      peers_flag(),
      "--data-dir",   member.dir.string(),
      "--election-timeout", range.label(),
      "--heartbeat",  std::to_string(range.heartbeat_ms()),
      "--log-format", "json",
      // Debug adds "Denied vote" lines: a term change no info line shows.
      "--log-level",  "debug"};
  // The old process, if any, is killed by PID and reaped here.
  member.process.reset();
  member.process = std::make_unique<Process>(setup_.program, std::move(args),
                                             fmt::format("node {}", id));
  member.parsed = 0;
}

void RaftBench::kill(NodeId id) {
  Process& process = *members_.at(id).process;
  process.kill(SIGKILL);
  process.wait_exit(integration::deadline_in(milliseconds(5000)));
}

bool RaftBench::wait_started(NodeId id, integration::Deadline deadline) {
  Process& process = *members_.at(id).process;
  for (int round = 0; round < max_rounds; ++round) {
    if (process.printed(integration::contains("Started at"))) {
      return true;
    }
    if (process.output_ended() || integration::Clock::now() >= deadline) {
      return false;
    }
    pump({&process}, milliseconds(20));
  }
  return false;
}

RaftBench::Steady RaftBench::bring_up() {
  // Started one at a time, a third of the minimum timeout apart, so that
  // even a range without randomness has a first node to time out alone.
  const std::int64_t stagger_ns =
      std::int64_t{setup_.range.min_ms} * 1'000'000 / 3;
  const auto timeout =
      std::max(milliseconds(5000), milliseconds(40 * setup_.range.max_ms));

  constexpr int attempts = 3;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    for (const NodeId id : ids()) {
      members_.at(id).process.reset();
    }
    for (const NodeId id : ids()) {
      start(id);
      if (!wait_started(id, integration::deadline_in(milliseconds(10'000)))) {
        throw ClusterFailed(fmt::format(
            "node {} did not start:\n{}", id,
            fmt::join(members_.at(id).process->lines(), "\n")));
      }
      pump_until(processes(ids()), monotonic_ns() + stagger_ns);
    }
    if (auto steady = wait_steady(ids(), timeout)) {
      take_events(ids());
      return *steady;
    }
  }
  throw ClusterFailed(fmt::format("no steady leader for {} after {} starts",
                                  setup_.range.label(), attempts));
}

std::optional<RaftBench::Steady> RaftBench::agreement(
    const std::vector<NodeId>& ids) {
  std::vector<net::StatusReply> replies;
  for (const NodeId id : ids) {
    auto reply = integration::status(members_.at(id).port, milliseconds(500));
    if (!reply) {
      return std::nullopt;
    }
    replies.push_back(*reply);
  }

  const auto is_leader = [](const net::StatusReply& reply) {
    return reply.role == Role::leader;
  };
  if (std::count_if(replies.begin(), replies.end(), is_leader) != 1) {
    return std::nullopt;
  }
  const auto& leader = *std::find_if(replies.begin(), replies.end(),
                                     is_leader);
  for (const auto& reply : replies) {
    const bool with_leader =
        reply.term == leader.term &&
        reply.last_log_index == leader.last_log_index &&
        (&reply == &leader ||
         (reply.role == Role::follower && reply.leader_id == leader.id));
    if (!with_leader) {
      return std::nullopt;
    }
  }
  return Steady{leader.id, leader.term};
}

std::optional<RaftBench::Steady> RaftBench::wait_steady(
    const std::vector<NodeId>& ids, milliseconds timeout) {
  const auto deadline = integration::deadline_in(timeout);
  const auto watched = processes(ids);
  for (int round = 0; round < max_rounds; ++round) {
    if (auto steady = agreement(ids)) {
      return steady;
    }
    if (integration::Clock::now() >= deadline) {
      return std::nullopt;
    }
    // Catching up prints nothing, so the status is asked again soon.
    pump(watched, milliseconds(5));
  }
  return std::nullopt;
}

std::vector<ElectionEvent> RaftBench::take_events(
    const std::vector<NodeId>& ids) {
  std::vector<ElectionEvent> events;
  for (const NodeId id : ids) {
    Member& member = members_.at(id);
    member.process->read_available();
    const auto& lines = member.process->lines();
    for (; member.parsed < lines.size(); ++member.parsed) {
      if (auto event = parse_raft_line(lines[member.parsed], id)) {
        events.push_back(*event);
      }
    }
  }
  return events;
}

std::vector<Process*> RaftBench::processes(const std::vector<NodeId>& ids) {
  std::vector<Process*> found;
  for (const NodeId id : ids) {
    if (Process* process = members_.at(id).process.get()) {
      found.push_back(process);
    }
  }
  return found;
}

std::vector<NodeId> RaftBench::ids() const {
  std::vector<NodeId> all;
  for (const auto& [id, member] : members_) {
    (void)member;
    all.push_back(id);
  }
  return all;
}

std::vector<NodeId> RaftBench::ids_except(NodeId left_out) const {
  std::vector<NodeId> some = ids();
  some.erase(std::remove(some.begin(), some.end(), left_out), some.end());
  return some;
}

std::string RaftBench::peers_flag() const {
  std::vector<std::string> peers;
  for (const auto& [id, member] : members_) {
    peers.push_back(fmt::format("{}=127.0.0.1:{}", id, member.port));
  }
  return fmt::format("{}", fmt::join(peers, ","));
}

}  // namespace raft::bench
