#include "etcd_trials.hpp"

#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <system_error>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

namespace raft::bench {

namespace {

using std::chrono::milliseconds;

constexpr int max_rounds = 1'000'000;

// "2026-12-03T19:05:14.023Z" or "...14.023+0100": zap's ISO 8601 stamp.
std::optional<std::int64_t> parse_iso8601_ns(const std::string& text) {
  std::tm parts{};
  int millis = 0;
  int consumed = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%3d%n", &parts.tm_year,
                  &parts.tm_mon, &parts.tm_mday, &parts.tm_hour,
                  &parts.tm_min, &parts.tm_sec, &millis, &consumed) != 7) {
    return std::nullopt;
  }
  parts.tm_year -= 1900;
  parts.tm_mon -= 1;
  std::int64_t seconds = ::timegm(&parts);

  // A zone other than Z is an offset from UTC: take it back off.
  const char* zone = text.c_str() + consumed;
  int hours = 0;
  int minutes = 0;
  if ((zone[0] == '+' || zone[0] == '-') &&
      std::sscanf(zone + 1, "%2d%*[:]%2d", &hours, &minutes) >= 1) {
    const int offset = hours * 3600 + minutes * 60;
    seconds += zone[0] == '+' ? -offset : offset;
  }
  return seconds * 1'000'000'000 + std::int64_t{millis} * 1'000'000;
}

}  // namespace

std::optional<EtcdLine> parse_etcd_line(const std::string& line) {
  boost::system::error_code ec;
  const boost::json::value json = boost::json::parse(line, ec);
  if (ec || !json.is_object()) {
    return std::nullopt;
  }
  const auto& object = json.get_object();
  const auto* ts = object.if_contains("ts");
  const auto* msg = object.if_contains("msg");
  if (ts == nullptr || msg == nullptr || !ts->is_string() ||
      !msg->is_string()) {
    return std::nullopt;
  }
  const auto time_ns = parse_iso8601_ns(std::string(ts->get_string()));
  if (!time_ns) {
    return std::nullopt;
  }
  return EtcdLine{*time_ns, std::string(msg->get_string())};
}

EtcdBench::EtcdBench(EtcdSetup setup)
    : setup_(std::move(setup)), random_(setup_.seed) {
  const auto ports = integration::free_ports(2 * setup_.members);
  for (std::size_t i = 0; i < setup_.members; ++i) {
    Member& member = members_[i + 1];
    member.client_port = ports[2 * i];
    member.peer_port = ports[2 * i + 1];
    member.dir = make_data_dir(setup_.data_root,
                               fmt::format("etcd-bench-m{}", i + 1));
  }
}

EtcdBench::~EtcdBench() {
  for (auto& [id, member] : members_) {
    (void)id;
    member.process.reset();  // SIGKILL by PID, then reaped
    std::error_code ignored;
    std::filesystem::remove_all(member.dir, ignored);
  }
}

Range EtcdBench::range() const {
  return Range{setup_.election_timeout_ms, 2 * setup_.election_timeout_ms};
}

void EtcdBench::run(int trials,
                    const std::function<void(const Trial&)>& done) {
  Steady steady = bring_up();
  for (int index = 0; index < trials; ++index) {
    throw_if_stopped();
    const Trial trial = run_trial(index, steady);
    done(trial);

    start(std::stoull(trial.old_leader));
    auto next = trial.capped ? std::nullopt : wait_steady(milliseconds(15'000));
    steady = next ? *next : bring_up();
  }
}

Trial EtcdBench::run_trial(int index, Steady steady) {
  Trial trial;
  trial.system = "etcd";
  trial.nodes = setup_.members;
  trial.range = range();
  trial.index = index;

  // One whole heartbeat interval, then a uniform share of the next.
  const std::int64_t heartbeat_ns =
      std::int64_t{setup_.heartbeat_ms} * 1'000'000;
  std::uniform_int_distribution<std::int64_t> phase(0, heartbeat_ns - 1);
  pump_until(processes(), monotonic_ns() + heartbeat_ns + phase(random_));

  take_events();
  std::vector<NodeId> survivors = ids();
  survivors.erase(std::remove(survivors.begin(), survivors.end(),
                              steady.leader),
                  survivors.end());
  const std::int64_t kill_mono_ns = monotonic_ns();
  const std::int64_t kill_ns = realtime_ns();
  members_.at(steady.leader).process->kill(SIGKILL);

  ElectionWatch watch(survivors, steady.term, setup_.members);
  const std::int64_t cap_ns = kill_mono_ns + setup_.cap.count() * 1'000'000;
  std::optional<ElectionOutcome> outcome;
  for (int round = 0; round < max_rounds && !outcome; ++round) {
    for (const ElectionEvent& event : take_events()) {
      watch.observe(event);
    }
    outcome = watch.outcome();
    const std::int64_t left_ns = cap_ns - monotonic_ns();
    if (outcome || left_ns <= 0) {
      break;
    }
    pump(processes(),
         milliseconds(std::clamp<std::int64_t>(left_ns / 1'000'000, 1, 20)));
  }

  trial.old_term = steady.term;
  trial.old_leader = std::to_string(steady.leader);
  trial.rounds = watch.rounds();
  if (outcome) {
    // Stamps are whole milliseconds, truncated: never below the kill.
    const auto since_kill = [&](std::int64_t ns) {
      return std::max(0.0, ns_to_ms(ns - kill_ns));
    };
    trial.downtime_ms = since_kill(outcome->all_ns);
    trial.majority_ms = since_kill(outcome->majority_ns);
    trial.leader_ms = since_kill(outcome->leader_ns);
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

void EtcdBench::start(NodeId id) {
  Member& member = members_.at(id);
  const std::string client_url =
      fmt::format("http://127.0.0.1:{}", member.client_port);
  const std::string peer_url =
      fmt::format("http://127.0.0.1:{}", member.peer_port);
  std::vector<std::string> args{
      "--name", fmt::format("m{}", id),
      "--data-dir", member.dir.string(),
      "--listen-client-urls", client_url,
      "--advertise-client-urls", client_url,
      "--listen-peer-urls", peer_url,
      "--initial-advertise-peer-urls", peer_url,
      "--initial-cluster", cluster_flag(),
      "--initial-cluster-state", "new",
      "--initial-cluster-token", "raft-bench",
      "--heartbeat-interval", std::to_string(setup_.heartbeat_ms),
      "--election-timeout", std::to_string(setup_.election_timeout_ms),
      "--logger", "zap",
      "--log-outputs", "stderr"};
  member.process.reset();
  member.process = std::make_unique<Process>(setup_.program, std::move(args),
                                             fmt::format("etcd m{}", id));
  member.parsed = 0;
  member.term = 0;
  member.leader = no_node;
}

EtcdBench::Steady EtcdBench::bring_up() {
  constexpr int attempts = 3;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    for (const NodeId id : ids()) {
      members_.at(id).process.reset();
    }
    for (const NodeId id : ids()) {
      start(id);
    }
    if (auto steady = wait_steady(milliseconds(20'000))) {
      return *steady;
    }
  }
  std::string logs;
  for (const auto& [id, member] : members_) {
    logs += fmt::format("--- m{}\n{}\n", id,
                        fmt::join(member.process->lines(), "\n"));
  }
  throw ClusterFailed("etcd did not elect a leader:\n" + logs);
}

std::optional<EtcdBench::Steady> EtcdBench::agreement() const {
  const auto leader_it = std::find_if(
      members_.begin(), members_.end(),
      [](const auto& entry) { return entry.second.leader == entry.first; });
  if (leader_it == members_.end()) {
    return std::nullopt;
  }
  const Steady steady{leader_it->first, leader_it->second.term};
  for (const auto& [id, member] : members_) {
    (void)id;
    if (member.leader != steady.leader || member.term != steady.term) {
      return std::nullopt;
    }
  }
  return steady;
}

std::optional<EtcdBench::Steady> EtcdBench::wait_steady(
    milliseconds timeout) {
  const auto deadline = integration::deadline_in(timeout);
  for (int round = 0; round < max_rounds; ++round) {
    take_events();
    if (auto steady = agreement()) {
      return steady;
    }
    if (integration::Clock::now() >= deadline) {
      return std::nullopt;
    }
    pump(processes(), milliseconds(50));
  }
  return std::nullopt;
}

std::vector<ElectionEvent> EtcdBench::take_events() {
  std::vector<ElectionEvent> events;
  for (auto& [id, member] : members_) {
    member.process->read_available();
    const auto& lines = member.process->lines();
    for (; member.parsed < lines.size(); ++member.parsed) {
      const auto line = parse_etcd_line(lines[member.parsed]);
      if (!line) {
        continue;
      }
      if (auto event = to_event(id, *line)) {
        events.push_back(*event);
      }
    }
  }
  return events;
}

std::optional<ElectionEvent> EtcdBench::to_event(NodeId id,
                                                 const EtcdLine& line) {
  unsigned long long self = 0;
  unsigned long long other = 0;
  unsigned long long term = 0;
  const char* text = line.msg.c_str();
  ElectionEvent event;
  event.node = id;
  event.time_ns = line.time_ns;

  // The messages of etcd's raft package (raft.go, node.go).
  if (std::sscanf(text, "raft.node: %llx elected leader %llx at term %llu",
                  &self, &other, &term) == 3) {
    by_hex_[self] = id;
    const auto leader = by_hex_.find(other);
    if (leader == by_hex_.end()) {
      return std::nullopt;  // a member not heard from yet
    }
    event.kind = ElectionEvent::Kind::follows;
    event.leader = leader->second;
  } else if (std::sscanf(text, "raft.node: %llx lost leader %llx at term %llu",
                         &self, &other, &term) == 3) {
    event.kind = ElectionEvent::Kind::term_seen;
  } else if (std::sscanf(text, "%llx became leader at term %llu", &self,
                         &term) == 2) {
    event.kind = ElectionEvent::Kind::leader;
  } else if (std::sscanf(text, "%llx became candidate at term %llu", &self,
                         &term) == 2) {
    event.kind = ElectionEvent::Kind::candidate;
  } else if (std::sscanf(text, "%llx became follower at term %llu", &self,
                         &term) == 2) {
    event.kind = ElectionEvent::Kind::term_seen;
  } else {
    return std::nullopt;
  }
  by_hex_[self] = id;
  event.term = term;

  // Keep this member's own view for the steady-state check.
  Member& member = members_.at(id);
  if (event.kind == ElectionEvent::Kind::leader) {
    member.leader = id;
    member.term = term;
  } else if (event.kind == ElectionEvent::Kind::follows) {
    member.leader = event.leader;
    member.term = term;
  } else if (term > member.term ||
             event.kind == ElectionEvent::Kind::candidate) {
    member.leader = no_node;
    member.term = term;
  }
  return event;
}

std::vector<Process*> EtcdBench::processes() {
  std::vector<Process*> found;
  for (auto& [id, member] : members_) {
    (void)id;
    found.push_back(member.process.get());
  }
  return found;
}

std::vector<NodeId> EtcdBench::ids() const {
  std::vector<NodeId> all;
  for (const auto& [id, member] : members_) {
    (void)member;
    all.push_back(id);
  }
  return all;
}

std::string EtcdBench::cluster_flag() const {
  std::vector<std::string> parts;
  for (const auto& [id, member] : members_) {
    parts.push_back(fmt::format("m{}=http://127.0.0.1:{}", id,
                                member.peer_port));
  }
  return fmt::format("{}", fmt::join(parts, ","));
}

}  // namespace raft::bench
