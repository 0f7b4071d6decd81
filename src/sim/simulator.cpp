#include "raft/sim/simulator.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

namespace raft::sim {

namespace {

// How long a simulated disk takes to make one write durable.
constexpr Micros disk_latency_min_us = 100;
constexpr Micros disk_latency_max_us = 2'000;

// The liveness phase: how long a leader must hold still to count as the
// one leader, and how long everything may take.
constexpr Micros stable_leader_us = 1'000'000;
constexpr Micros leader_deadline_us = 30'000'000;
constexpr Micros commit_deadline_us = 10'000'000;
constexpr Micros liveness_poll_us = 10'000;
constexpr std::size_t liveness_commands = 3;
// A healthy liveness phase takes a few thousand events (heartbeats for a
// few simulated seconds); a hundred times that is a storm.
constexpr std::uint64_t liveness_max_events = 500'000;

}  // namespace

Stats& Stats::operator+=(const Stats& other) {
  events += other.events;
  deliveries += other.deliveries;
  messages_sent += other.messages_sent;
  messages_dropped += other.messages_dropped;
  elections += other.elections;
  leaders += other.leaders;
  commits += other.commits;
  proposals += other.proposals;
  client_acks += other.client_acks;
  faults += other.faults;
  simulated_us += other.simulated_us;
  return *this;
}

Options options_for_seed(const Options& base, std::uint64_t seed) {
  Options options = base;
  options.seed = seed;
  if (base.nodes == 0) {
    // A stream of its own, so the size does not shift the run's numbers.
    Rng size_rng(seed ^ 0x5eed5eed5eed5eedULL);
    options.nodes = static_cast<std::size_t>(size_rng.between(3, 9));
  }
  return options;
}

// ---------------------------------------------------------------------------
// Setup

Simulator::Simulator(Options options, TraceSink sink)
    : options_(std::move(options)),
      sink_(std::move(sink)),
      rng_(options_.seed),
      timer_rng_(rng_.fork()),
      fault_rng_(rng_.fork()),
      client_rng_(rng_.fork()),
      script_rng_(rng_.fork()),
      nodes_(options_.nodes + 1),
      checker_(options_.nodes) {
  if (options_.nodes < 1 || options_.nodes > 9) {
    throw std::invalid_argument("the simulator runs 1 to 9 nodes");
  }
  const std::size_t slots = options_.nodes + 1;
  links_.assign(slots, std::vector<bool>(slots, true));
  link_clear_us_.assign(slots, std::vector<Micros>(slots, 0));
  tail_.resize(std::max<std::size_t>(options_.trace_tail_lines, 1));
  clients_.resize(options_.clients);
  draw_rates();

  for (NodeId id = 1; id <= options_.nodes; ++id) {
    boot(id);
  }
}

Simulator::~Simulator() = default;

Config Simulator::config_for(NodeId id) const {
  Config config;
  config.id = id;
  for (NodeId member = 1; member <= options_.nodes; ++member) {
    config.members.push_back(member);
  }
  config.max_entries_per_append = options_.max_entries_per_append;
#ifdef RAFT_BUG_SWITCHES
  config.bugs.vote_reply_before_persist =
      options_.bugs.vote_reply_before_persist;
  config.bugs.commit_previous_term_by_counting =
      options_.bugs.commit_previous_term_by_counting;
  config.bugs.stale_append_truncates = options_.bugs.stale_append_truncates;
#endif
  return config;
}

void Simulator::draw_rates() {
  // Every rate is drawn whether or not its fault is on, so that turning
  // one fault off leaves the others' rates as they were for this seed.
  Rng rates_rng = fault_rng_.fork();
  rates_.loss_ppm = rates_rng.between(0, 150'000);
  rates_.duplicate_ppm = rates_rng.between(0, 100'000);
  rates_.delay_ppm = rates_rng.between(10'000, 250'000);
  rates_.delay_max_us = rates_rng.between(20'000, 800'000);
  rates_.nemesis_mean_us = rates_rng.between(50'000, 600'000);
  rates_.crash_mean_us = rates_rng.between(100'000, 2'000'000);
  rates_.downtime_max_us = rates_rng.between(5'000, 2'000'000);
  rates_.crash_soon_ppm = rates_rng.between(0, 100'000);
  rates_.torn_tail_ppm = 500'000;
  rates_.unsent_loss_ppm = 500'000;
  if (options_.crash_soon_ppm != 0) {
    rates_.crash_soon_ppm = options_.crash_soon_ppm;
  }
}

void Simulator::boot(NodeId id) {
  SimNode& node = nodes_.at(id);
  node.raft = std::make_unique<Raft>(config_for(id), node.durable_state,
                                     node.durable_log);
  node.up = true;
  node.submitted_seq = 0;
  node.durable_seq = 0;
  node.disk_free_at_us = now_us_;
  node.armed = false;
  checker_.on_boot(id, node.durable_state);
  reset_election_timer(id);
}

// ---------------------------------------------------------------------------
// Running

Result Simulator::run() {
  set_random_faults(options_.faults);
  set_clients(options_.clients);

  // The fault phase: every loop step is one event, so `steps` bounds it.
  while (!violation_ && stats_.events < options_.steps) {
    if (!step()) {
      break;
    }
  }
  if (!violation_ && options_.check_liveness) {
    check_liveness();
  }

  Result result;
  result.seed = options_.seed;
  result.violation = violation_;
  result.stats = stats_;
  result.stats.commits = checker_.committed_count();
  result.trace_tail = trace_tail();
  return result;
}

bool Simulator::step() {
  if (violation_ || queue_.empty()) {
    return false;
  }
  if (event_limit_ != 0 && stats_.events >= event_limit_) {
    violation_ = Violation{
        fmt::format("Liveness: {} events after healing (a message storm)",
                    liveness_max_events),
        stats_.events, now_us_};
    trace("VIOLATION: " + violation_->what);
    return false;
  }
  const SimEvent event = queue_.top();
  queue_.pop();
  now_us_ = std::max(now_us_, event.at_us);
  ++stats_.events;
  stats_.simulated_us = now_us_;

  dispatch(event);
  if (checker_.violation() && !violation_) {
    record_violation();
  }
  return !violation_;
}

void Simulator::run_for(Micros duration_us) {
  const Micros end_us = now_us_ + duration_us;
  while (!violation_ && !queue_.empty() && queue_.top().at_us <= end_us) {
    step();
  }
  now_us_ = std::max(now_us_, end_us);
}

bool Simulator::run_until(const std::function<bool()>& done,
                          Micros limit_us) {
  const Micros end_us = now_us_ + limit_us;
  if (done()) {
    return true;
  }
  while (!violation_ && !queue_.empty() && queue_.top().at_us <= end_us) {
    step();
    if (done()) {
      return true;
    }
  }
  now_us_ = std::max(now_us_, end_us);
  return false;
}

bool Simulator::check_liveness() {
  set_random_faults(Faults::none());
  set_clients(0);
  heal();
  for (NodeId id = 1; id <= size(); ++id) {
    if (!nodes_[id].up) {
      restart(id);
    }
  }
  set_manual_timers(false);
  event_limit_ = stats_.events + liveness_max_events;

  // One leader, holding still for a while: a leader elected a moment before
  // a rejoining node disrupts it does not count.
  NodeId stable = no_node;
  Micros stable_for_us = 0;
  for (Micros waited_us = 0;
       waited_us < leader_deadline_us && stable_for_us < stable_leader_us;
       waited_us += liveness_poll_us) {
    run_for(liveness_poll_us);
    if (violation_) {
      return false;
    }
    const std::vector<NodeId> now = leaders();
    const NodeId current = now.size() == 1 ? now.front() : no_node;
    stable_for_us = current != no_node && current == stable
                        ? stable_for_us + liveness_poll_us
                        : 0;
    stable = current;
  }
  if (stable_for_us < stable_leader_us) {
    violation_ = Violation{"Liveness: no single stable leader within 30 s "
                           "of healing",
                           stats_.events, now_us_};
    trace("VIOLATION: " + violation_->what);
    return false;
  }

  // Commands proposed to that leader commit on every node.
  std::vector<std::string> commands;
  for (std::size_t i = 1; i <= liveness_commands; ++i) {
    commands.push_back(fmt::format("live.{}", i));
    if (!propose(stable, commands.back())) {
      violation_ = Violation{"Liveness: the stable leader refused a command",
                             stats_.events, now_us_};
      return false;
    }
  }
  const auto all_applied = [&] {
    for (NodeId id = 1; id <= size(); ++id) {
      for (const std::string& command : commands) {
        if (!has_applied(id, command)) {
          return false;
        }
      }
    }
    return true;
  };
  if (!run_until(all_applied, commit_deadline_us)) {
    if (!violation_) {
      violation_ = Violation{
          fmt::format("Liveness: commands proposed to leader {} not applied "
                      "everywhere within 10 s",
                      stable),
          stats_.events, now_us_};
      trace("VIOLATION: " + violation_->what);
    }
    return false;
  }
  event_limit_ = 0;
  trace(fmt::format("liveness: leader {} committed {} commands everywhere",
                    stable, liveness_commands));
  return true;
}

// ---------------------------------------------------------------------------
// Events

void Simulator::schedule(Micros at_us, EventKind kind, NodeId node,
                         std::uint64_t incarnation, std::uint64_t arg) {
  queue_.push(SimEvent{at_us, next_seq_++, kind, node, incarnation, arg});
}

void Simulator::dispatch(const SimEvent& event) {
  // Timer and disk events belong to one life of a node.
  const auto alive = [&] {
    const SimNode& node = nodes_.at(event.node);
    return node.up && node.incarnation == event.incarnation;
  };
  switch (event.kind) {
    case EventKind::deliver:
      deliver(event.arg);
      return;
    case EventKind::election_timer:
      if (alive()) {
        on_election_timer(event.node, event.arg);
      }
      return;
    case EventKind::heartbeat:
      if (alive()) {
        on_heartbeat(event.node, event.arg);
      }
      return;
    case EventKind::disk_done:
      if (alive()) {
        on_disk_done(event.node, event.arg);
      }
      return;
    case EventKind::client:
      on_client(event.node, event.arg);
      return;
    case EventKind::nemesis:
      on_nemesis(event.arg);
      return;
    case EventKind::crash_nemesis:
      on_crash_nemesis(event.arg);
      return;
    case EventKind::crash:
      if (alive() && event.arg == nemesis_gen_) {
        crash(event.node);
      }
      return;
    case EventKind::restart:
      on_restart_due(event.node, event.incarnation);
      return;
  }
}

void Simulator::on_election_timer(NodeId id, std::uint64_t gen) {
  SimNode& node = nodes_[id];
  if (gen != node.timer_gen || manual_timers_) {
    return;  // a stale event: a newer one is armed, or timers are manual
  }
  node.armed = false;

  // The deadline moved later since this event was armed: wait for it.
  if (now_us_ < node.deadline_us) {
    arm_timer(id, node.deadline_us);
    return;
  }
  reset_election_timer(id);
  node.raft->election_timeout();
  process_ready(id);
}

void Simulator::on_heartbeat(NodeId id, std::uint64_t gen) {
  SimNode& node = nodes_[id];
  if (gen != node.heartbeat_gen || node.raft->role() != Role::leader) {
    return;
  }
  for (NodeId peer = 1; peer <= size(); ++peer) {
    if (peer != id) {
      node.raft->heartbeat_timeout(peer);
    }
  }
  process_ready(id);
  schedule(now_us_ + heartbeat_interval_us, EventKind::heartbeat, id,
           node.incarnation, gen);
}

void Simulator::on_disk_done(NodeId id, std::uint64_t seq) {
  SimNode& node = nodes_[id];
  if (node.writes.empty() || node.writes.front().seq != seq) {
    throw std::logic_error("simulated disk completed writes out of order");
  }
  const Write write = std::move(node.writes.front());
  node.writes.pop_front();

  apply_write(node, write, write.entries.size());
  if (write.hard_state) {
    node.durable_state = *write.hard_state;
    checker_.on_durable(id, *write.hard_state);
    node.raft->hard_state_persisted(*write.hard_state);
  }
  node.durable_seq = seq;
  if (!write.entries.empty()) {
    node.raft->persisted(write.entries.back().index,
                         write.entries.back().term);
  }

  // Messages that waited for this write (and every one before it) go now.
  while (!node.waiting.empty() && node.waiting.front().first <= seq) {
    const Message message = std::move(node.waiting.front().second);
    node.waiting.pop_front();
    send(message);
  }
  process_ready(id);
}

void Simulator::apply_write(SimNode& node, const Write& write,
                            std::size_t max_count) {
  if (write.entries.empty() || max_count == 0) {
    return;
  }
  // Entries replace everything stored from the first one on.
  const Index first = write.entries.front().index;
  if (first - 1 > node.durable_log.size()) {
    throw std::logic_error("simulated disk would leave a hole in the log");
  }
  node.durable_log.resize(first - 1);
  const std::size_t count = std::min(max_count, write.entries.size());
  node.durable_log.insert(node.durable_log.end(), write.entries.begin(),
                          write.entries.begin() + count);
}

// ---------------------------------------------------------------------------
// Carrying out a Ready, as the real node does

void Simulator::process_ready(NodeId id) {
  SimNode& node = nodes_[id];
  Raft& raft = *node.raft;
  if (!raft.has_ready()) {
    check_state(id);
    return;
  }
  Ready ready = raft.take_ready();

  checker_.on_entries(id, ready.entries, raft.log());
  handle_events(id, ready);
  if (ready.reset_election_timer) {
    reset_election_timer(id);
  }

  // 1. Writes go to the disk; 2. a leader's appends leave at once, every
  // other message waits until all writes submitted so far are durable.
  submit_write(id, ready);
  for (const Message& message : ready.messages_now) {
    send(message);
  }
  for (Message& message : ready.messages) {
    if (node.durable_seq >= node.submitted_seq) {
      send(message);
    } else {
      node.waiting.emplace_back(node.submitted_seq, std::move(message));
    }
  }

  // 3. Apply.
  handle_applied(id, ready.committed);
  check_state(id);
}

void Simulator::handle_events(NodeId id, const Ready& ready) {
  const Raft& raft = *nodes_[id].raft;
  for (const Event& event : ready.events) {
    switch (event.kind) {
      case Event::Kind::election_started:
        ++stats_.elections;
        trace(fmt::format("[Node {}] Election term {}", id, event.term));
        break;
      case Event::Kind::became_leader:
        ++stats_.leaders;
        trace(fmt::format("[Node {}] LEADER term {}", id, event.term));
        checker_.on_leader(id, event.term, raft.log());
        start_heartbeats(id);
        maybe_crash_soon(id);
        break;
      case Event::Kind::voted:
        trace(fmt::format("[Node {}] Voted for {} in term {}", id,
                          event.peer, event.term));
        maybe_crash_soon(id);
        break;
      case Event::Kind::following:
        trace(fmt::format("[Node {}] Following leader {} in term {}", id,
                          event.peer, event.term));
        break;
      case Event::Kind::stepped_down:
        trace(fmt::format("[Node {}] Stepped down in term {} (heard from "
                          "node {})",
                          id, event.term, event.peer));
        break;
      case Event::Kind::vote_denied:
        break;  // the node logs these at debug only; so does the trace
    }
  }
}

void Simulator::submit_write(NodeId id, Ready& ready) {
  if (!ready.hard_state && ready.entries.empty()) {
    return;
  }
  SimNode& node = nodes_[id];
  const std::uint64_t seq = ++node.submitted_seq;
  node.writes.push_back(Write{seq, ready.hard_state, std::move(ready.entries)});

  // One disk per node: writes finish in the order they were submitted.
  const Micros latency_us =
      rng_.between(disk_latency_min_us, disk_latency_max_us);
  const Micros done_us = std::max(now_us_ + latency_us, node.disk_free_at_us);
  node.disk_free_at_us = done_us;
  schedule(done_us, EventKind::disk_done, id, node.incarnation, seq);
}

void Simulator::handle_applied(NodeId id,
                               const std::vector<LogEntry>& committed) {
  if (committed.empty()) {
    return;
  }
  const Raft& raft = *nodes_[id].raft;
  checker_.on_applied(id, raft.current_term(), committed);
  if (raft.role() == Role::leader) {
    maybe_crash_soon(id);
  }
  trace(fmt::format("[Node {}] Applied {}..{}", id, committed.front().index,
                    committed.back().index));

  // A client learns the fate of its command from the node it asked.
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    Client& client = clients_[i];
    const bool asked_here = client.waiting && client.node == id &&
                            client.incarnation == nodes_[id].incarnation;
    if (!asked_here || client.index < committed.front().index ||
        client.index > committed.back().index) {
      continue;
    }
    const LogEntry& entry =
        committed[client.index - committed.front().index];
    client.waiting = false;
    if (entry.term != client.term || entry.data != client.data) {
      trace(fmt::format("client {} lost {} at {}", i + 1, client.data,
                        client.index));
      continue;
    }
    ++stats_.client_acks;
    checker_.on_client_ack(entry.index, entry.term, entry.data,
                           raft.current_term());
    trace(fmt::format("client {} saw {} committed at {}", i + 1,
                      client.data, client.index));
  }
}

// ---------------------------------------------------------------------------
// Timers

void Simulator::reset_election_timer(NodeId id) {
  SimNode& node = nodes_[id];
  node.deadline_us =
      now_us_ + timer_rng_.between(election_timeout_min_us,
                                   election_timeout_max_us);
  // Moving the deadline later needs no new event: the armed one re-arms
  // itself when it wakes early. Only an earlier deadline needs one.
  if (!manual_timers_ && (!node.armed || node.deadline_us < node.armed_at_us)) {
    arm_timer(id, node.deadline_us);
  }
}

void Simulator::arm_timer(NodeId id, Micros at_us) {
  SimNode& node = nodes_[id];
  ++node.timer_gen;
  node.armed = true;
  node.armed_at_us = at_us;
  schedule(at_us, EventKind::election_timer, id, node.incarnation,
           node.timer_gen);
}

void Simulator::start_heartbeats(NodeId id) {
  SimNode& node = nodes_[id];
  ++node.heartbeat_gen;
  schedule(now_us_ + heartbeat_interval_us, EventKind::heartbeat, id,
           node.incarnation, node.heartbeat_gen);
}

void Simulator::set_manual_timers(bool manual) {
  manual_timers_ = manual;
  for (NodeId id = 1; id <= size(); ++id) {
    nodes_[id].armed = false;
    ++nodes_[id].timer_gen;
    if (!manual && nodes_[id].up) {
      reset_election_timer(id);
    }
  }
}

void Simulator::fire_election_timeout(NodeId id) {
  if (!nodes_.at(id).up) {
    return;
  }
  nodes_[id].raft->election_timeout();
  process_ready(id);
}

std::optional<Proposal> Simulator::propose(NodeId id, std::string data) {
  if (!nodes_.at(id).up) {
    return std::nullopt;
  }
  auto proposal = nodes_[id].raft->propose(std::move(data));
  process_ready(id);
  return proposal;
}

// ---------------------------------------------------------------------------
// Crashes

void Simulator::crash(NodeId id) {
  SimNode& node = nodes_.at(id);
  if (!node.up) {
    return;
  }

  // What was not synced is lost, except perhaps a torn prefix of the
  // entries in flight: the log is synced before the hard state is saved,
  // so a torn tail never carries a hard state with it.
  std::size_t unsynced = 0;
  for (const Write& write : node.writes) {
    unsynced += write.entries.size();
  }
  std::size_t kept = 0;
  if (unsynced > 0 && rng_.chance(rates_.torn_tail_ppm)) {
    kept = rng_.between(1, unsynced);
  }
  std::size_t budget = kept;
  for (const Write& write : node.writes) {
    apply_write(node, write, budget);
    budget -= std::min(budget, write.entries.size());
  }

  const std::size_t lost_writes = node.writes.size();
  const std::size_t lost_messages = lose_unsent(id);
  node.writes.clear();
  node.waiting.clear();
  node.raft.reset();
  node.up = false;
  ++node.incarnation;
  ++stats_.faults;
  for (Client& client : clients_) {
    if (client.waiting && client.node == id) {
      client.waiting = false;
    }
  }
  trace(fmt::format("crash node {} (lost {} unsynced writes and {} unsent "
                    "messages, torn tail of {} entries kept)",
                    id, lost_writes, lost_messages, kept));
}

void Simulator::restart(NodeId id) {
  if (nodes_.at(id).up) {
    return;
  }
  boot(id);
  const SimNode& node = nodes_[id];
  trace(fmt::format("restart node {} (term {}, voted for {}, log {})", id,
                    node.durable_state.current_term,
                    node.durable_state.voted_for, node.durable_log.size()));
  check_state(id);
}

// ---------------------------------------------------------------------------
// Observation, checking, tracing

std::vector<NodeId> Simulator::leaders() const {
  std::vector<NodeId> out;
  for (NodeId id = 1; id <= size(); ++id) {
    if (nodes_[id].up && nodes_[id].raft->role() == Role::leader) {
      out.push_back(id);
    }
  }
  return out;
}

NodeId Simulator::leader() const {
  NodeId best = no_node;
  Term best_term = 0;
  for (const NodeId id : leaders()) {
    if (nodes_[id].raft->current_term() >= best_term) {
      best = id;
      best_term = nodes_[id].raft->current_term();
    }
  }
  return best;
}

bool Simulator::has_applied(NodeId id, std::string_view data) const {
  if (!nodes_.at(id).up) {
    return false;
  }
  const Index applied = checker_.applied_index(id);
  for (Index index = 1; index <= applied; ++index) {
    if (checker_.committed_at(index)->data == data) {
      return true;
    }
  }
  return false;
}

void Simulator::check_state(NodeId id) {
  const Raft& raft = *nodes_[id].raft;
  checker_.on_state(id, raft.current_term(), raft.commit_index());
}

void Simulator::record_violation() {
  violation_ = Violation{*checker_.violation(), stats_.events, now_us_};
  trace("VIOLATION: " + violation_->what);
}

void Simulator::note(std::string_view text) { trace(std::string(text)); }

void Simulator::trace(std::string line) {
  std::string& slot = tail_[tail_next_];
  slot.clear();
  fmt::format_to(std::back_inserter(slot), "{:>4}.{:06} {}",
                 now_us_ / 1'000'000, now_us_ % 1'000'000, line);
  if (sink_) {
    sink_(slot);
  }
  tail_next_ = (tail_next_ + 1) % tail_.size();
  ++tail_count_;
}

std::vector<std::string> Simulator::trace_tail() const {
  std::vector<std::string> out;
  const std::size_t count =
      static_cast<std::size_t>(std::min<std::uint64_t>(tail_count_,
                                                        tail_.size()));
  const std::size_t start = (tail_next_ + tail_.size() - count) % tail_.size();
  for (std::size_t i = 0; i < count; ++i) {
    out.push_back(tail_[(start + i) % tail_.size()]);
  }
  return out;
}

}  // namespace raft::sim
