// Random faults and clients: the parts of a run the seed plays against the
// cluster.
#include <algorithm>

#include <fmt/format.h>

#include "raft/sim/flag_list.hpp"
#include "raft/sim/simulator.hpp"

namespace raft::sim {

namespace {

// Between faults: uniform in [0, 2 * mean], so the mean is as drawn.
Micros next_gap_us(Rng& rng, Micros mean_us) {
  return rng.between(1'000, 2 * mean_us);
}

// The window after a vote or a win in which a targeted crash lands: wide
// enough to fall before or after the disk write it races.
constexpr Micros crash_soon_max_us = 1'500;

constexpr Micros client_gap_min_us = 5'000;
constexpr Micros client_gap_max_us = 100'000;
constexpr Micros client_patience_us = 2'000'000;

}  // namespace

namespace {

constexpr FlagName<Faults> fault_names[] = {
    {&Faults::loss, "loss"},           {&Faults::duplicate, "dup"},
    {&Faults::delay, "delay"},         {&Faults::partition, "partition"},
    {&Faults::bridge, "bridge"},       {&Faults::asymmetric, "asym"},
    {&Faults::crash, "crash"}};

}  // namespace

std::optional<Faults> parse_faults(std::string_view text) {
  if (text == "none") {
    return Faults::none();
  }
  if (text == "all") {
    return Faults::all();
  }
  return parse_flag_list<Faults>(text, fault_names);
}

std::string to_string(const Faults& faults) {
  const std::string names = format_flag_list<Faults>(faults, fault_names);
  return names.empty() ? "none" : names;
}

// ---------------------------------------------------------------------------
// The nemesis

void Simulator::set_random_faults(const Faults& faults) {
  active_faults_ = faults;
  ++nemesis_gen_;
  if (faults.any_link_fault()) {
    schedule(now_us_ + next_gap_us(fault_rng_, rates_.nemesis_mean_us),
             EventKind::nemesis, no_node, 0, nemesis_gen_);
  }
  if (faults.crash) {
    schedule(now_us_ + next_gap_us(fault_rng_, rates_.crash_mean_us),
             EventKind::crash_nemesis, no_node, 0, nemesis_gen_);
  }
}

void Simulator::on_nemesis(std::uint64_t gen) {
  if (gen != nemesis_gen_) {
    return;
  }

  // Healing is one choice among the enabled faults, weighted so the
  // cluster spends a good part of the run whole.
  std::vector<int> choices = {0, 0};
  if (active_faults_.partition) {
    choices.push_back(1);
  }
  if (active_faults_.bridge) {
    choices.push_back(2);
  }
  if (active_faults_.asymmetric) {
    choices.push_back(3);
  }
  const int choice = choices[fault_rng_.between(0, choices.size() - 1)];
  switch (choice) {
    case 0:
      heal();
      break;
    case 1:
      split_randomly();
      break;
    case 2:
      bridge_randomly();
      break;
    default:
      cut_randomly();
      break;
  }
  ++stats_.faults;
  schedule(now_us_ + next_gap_us(fault_rng_, rates_.nemesis_mean_us),
           EventKind::nemesis, no_node, 0, gen);
}

namespace {

std::vector<NodeId> shuffled_ids(Rng& rng, std::size_t count) {
  std::vector<NodeId> ids;
  for (NodeId id = 1; id <= count; ++id) {
    ids.push_back(id);
  }
  // Fisher-Yates with our own generator: std::shuffle is not portable.
  for (std::size_t i = ids.size(); i > 1; --i) {
    std::swap(ids[i - 1], ids[rng.between(0, i - 1)]);
  }
  return ids;
}

}  // namespace

void Simulator::split_randomly() {
  if (fault_rng_.chance(500'000)) {
    isolate(fault_rng_.between(1, size()));
    return;
  }
  // A minority and a majority, each side fully connected inside.
  const std::vector<NodeId> ids = shuffled_ids(fault_rng_, size());
  const std::size_t minority = fault_rng_.between(1, size() / 2);
  partition({{ids.begin(), ids.begin() + minority},
             {ids.begin() + minority, ids.end()}});
}

void Simulator::bridge_randomly() {
  // ids[0] is the bridge; the rest split into two non-empty halves.
  const std::vector<NodeId> ids = shuffled_ids(fault_rng_, size());
  const std::size_t left = fault_rng_.between(1, size() - 2);
  std::vector<NodeId> a(ids.begin(), ids.begin() + 1 + left);
  std::vector<NodeId> b(ids.begin() + 1 + left, ids.end());
  b.push_back(ids[0]);
  trace(fmt::format("bridge through node {}", ids[0]));
  partition({a, b});
}

void Simulator::cut_randomly() {
  const NodeId from = fault_rng_.between(1, size());
  NodeId to = fault_rng_.between(1, size() - 1);
  to += to >= from ? 1 : 0;
  cut(from, to);
}

void Simulator::on_crash_nemesis(std::uint64_t gen) {
  if (gen != nemesis_gen_) {
    return;
  }
  const NodeId id = random_up_node();
  if (id != no_node) {
    crash(id);
    schedule(now_us_ + fault_rng_.between(1'000, rates_.downtime_max_us),
             EventKind::restart, id, nodes_[id].incarnation, 0);
  }
  schedule(now_us_ + next_gap_us(fault_rng_, rates_.crash_mean_us),
           EventKind::crash_nemesis, no_node, 0, gen);
}

void Simulator::maybe_crash_soon(NodeId id) {
  if (!active_faults_.crash ||
      !fault_rng_.chance(rates_.crash_soon_ppm)) {
    return;
  }
  const SimNode& node = nodes_[id];
  schedule(now_us_ + fault_rng_.between(0, crash_soon_max_us),
           EventKind::crash, id, node.incarnation, nemesis_gen_);
  // The crash bumps the incarnation; the restart is for the life after it.
  const Micros downtime_us = fault_rng_.between(1'000, rates_.downtime_max_us);
  schedule(now_us_ + crash_soon_max_us + downtime_us, EventKind::restart, id,
           node.incarnation + 1, 0);
}

void Simulator::on_restart_due(NodeId id, std::uint64_t incarnation) {
  const SimNode& node = nodes_.at(id);
  if (!node.up && node.incarnation == incarnation) {
    restart(id);
  }
}

NodeId Simulator::random_up_node() {
  std::vector<NodeId> up;
  for (NodeId id = 1; id <= size(); ++id) {
    if (nodes_[id].up) {
      up.push_back(id);
    }
  }
  return up.empty() ? no_node : up[fault_rng_.between(0, up.size() - 1)];
}

// ---------------------------------------------------------------------------
// Clients

void Simulator::set_clients(std::size_t count) {
  if (count > clients_.size()) {
    clients_.resize(count);
  }
  active_clients_ = count;
  ++client_gen_;
  for (std::size_t i = 0; i < count; ++i) {
    schedule(now_us_ + client_rng_.between(1'000, client_gap_max_us),
             EventKind::client, i, 0, client_gen_);
  }
}

void Simulator::on_client(std::size_t index, std::uint64_t gen) {
  if (gen != client_gen_ || index >= active_clients_) {
    return;
  }
  Client& client = clients_[index];
  if (client.waiting && now_us_ >= client.give_up_at_us) {
    client.waiting = false;
  }
  if (!client.waiting) {
    propose_for(client, index);
  }
  schedule(now_us_ + client_rng_.between(client_gap_min_us,
                                         client_gap_max_us),
           EventKind::client, index, 0, gen);
}

void Simulator::propose_for(Client& client, std::size_t index) {
  NodeId target = client.guess;
  if (target == no_node || !nodes_[target].up) {
    target = random_up_node();
  }
  if (target == no_node) {
    return;
  }

  // A node that does not lead says who it thinks does, as the real one
  // answers "not leader" with a hint.
  Raft& raft = *nodes_[target].raft;
  std::string data = fmt::format("c{}.{}", index + 1, client.seq + 1);
  const auto proposal = raft.propose(data);
  if (!proposal) {
    const NodeId hint = raft.leader_id();
    client.guess = hint != no_node && hint != target ? hint : no_node;
    return;
  }

  ++client.seq;
  ++stats_.proposals;
  client.guess = target;
  client.waiting = true;
  client.node = target;
  client.incarnation = nodes_[target].incarnation;
  client.index = proposal->index;
  client.term = proposal->term;
  client.data = std::move(data);
  client.give_up_at_us = now_us_ + client_patience_us;
  trace(fmt::format("client {} -> node {}: {} at index {} term {}",
                    index + 1, target, client.data, client.index,
                    client.term));
  process_ready(target);
}

}  // namespace raft::sim
