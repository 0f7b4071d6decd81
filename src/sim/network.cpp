// The simulated network: per-message latency, order kept per link unless a
// delay fault reorders, loss, duplication, and a link table for partitions,
// bridges and one-way links.
#include <algorithm>

#include <fmt/format.h>

#include "raft/sim/simulator.hpp"

namespace raft::sim {

namespace {

constexpr Micros latency_min_us = 500;
constexpr Micros latency_max_us = 3'000;

}  // namespace

void Simulator::send(const Message& message) {
  count_sent(message);

  // A vote is on the wire from here: one per node per term (§5.2).
  if (const auto* reply = std::get_if<RequestVoteReply>(&message.body)) {
    if (reply->vote_granted) {
      checker_.on_vote_granted(message.from, message.to, reply->term);
    }
  }

  const bool lost = active_faults_.loss && rng_.chance(rates_.loss_ppm);
  if (!link_up(message.from, message.to) || lost) {
    ++stats_.messages_dropped;
    return;
  }
  if (active_faults_.duplicate && rng_.chance(rates_.duplicate_ppm)) {
    schedule_delivery(message, true);
  }
  schedule_delivery(message, false);
}

void Simulator::schedule_delivery(Message message, bool extra_copy) {
  Micros at_us = now_us_ + rng_.between(latency_min_us, latency_max_us);

  // A delayed message (or a duplicate) overtakes nothing and holds nothing
  // up; everything else keeps its link's order, as a TCP stream would.
  const bool delayed = active_faults_.delay && rng_.chance(rates_.delay_ppm);
  if (delayed) {
    at_us += rng_.between(0, rates_.delay_max_us);
  } else if (!extra_copy) {
    Micros& clear_us = link_clear_us_[message.from][message.to];
    at_us = std::max(at_us, clear_us);
    clear_us = at_us;
  }

  std::uint64_t slot = 0;
  if (free_slots_.empty()) {
    slot = in_flight_.size();
    in_flight_.push_back(std::move(message));
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
    in_flight_[slot] = std::move(message);
  }
  schedule(at_us, EventKind::deliver, no_node, 0, slot);
}

void Simulator::deliver(std::uint64_t slot) {
  const Message message = std::move(in_flight_[slot]);
  free_slots_.push_back(slot);

  // A link cut while the message was on its way loses it too.
  if (message.to == no_node) {
    return;  // lost in its sender's crash (lose_unsent), already counted
  }
  const SimNode& target = nodes_.at(message.to);
  if (!target.up || !link_up(message.from, message.to)) {
    ++stats_.messages_dropped;
    return;
  }
  ++stats_.deliveries;
  target.raft->step(message);
  process_ready(message.to);
}

std::size_t Simulator::lose_unsent(NodeId from) {
  // Free slots hold moved-from messages whose `to` may be anything, so
  // only slots in use count; a free list lookup per slot would be slow,
  // hence the mark.
  std::vector<bool> free(in_flight_.size(), false);
  for (const std::uint64_t slot : free_slots_) {
    free[slot] = true;
  }
  std::size_t lost = 0;
  for (std::size_t slot = 0; slot < in_flight_.size(); ++slot) {
    Message& message = in_flight_[slot];
    if (free[slot] || message.from != from || message.to == no_node ||
        !rng_.chance(rates_.unsent_loss_ppm)) {
      continue;
    }
    message.to = no_node;
    ++stats_.messages_dropped;
    ++lost;
  }
  return lost;
}

bool Simulator::link_up(NodeId from, NodeId to) const {
  return links_[from][to];
}

void Simulator::count_sent(const Message& message) {
  ++stats_.messages_sent;
  std::visit(
      [&](const auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, RequestVote>) {
          ++counts_.request_vote;
        } else if constexpr (std::is_same_v<T, RequestVoteReply>) {
          ++counts_.request_vote_reply;
        } else if constexpr (std::is_same_v<T, AppendEntries>) {
          ++counts_.append_entries;
        } else {
          ++counts_.append_entries_reply;
          counts_.rejections += body.success ? 0 : 1;
        }
      },
      message.body);
}

// ---------------------------------------------------------------------------
// The link table

void Simulator::partition(const std::vector<std::vector<NodeId>>& groups) {
  for (auto& row : links_) {
    std::fill(row.begin(), row.end(), false);
  }
  for (const auto& group : groups) {
    for (const NodeId a : group) {
      for (const NodeId b : group) {
        links_.at(a).at(b) = true;
      }
    }
  }
  trace("partition " + describe_groups(groups));
}

void Simulator::isolate(NodeId id) {
  for (NodeId other = 1; other <= size(); ++other) {
    if (other != id) {
      links_[id][other] = false;
      links_[other][id] = false;
    }
  }
  trace(fmt::format("isolate node {}", id));
}

void Simulator::cut(NodeId from, NodeId to) {
  links_.at(from).at(to) = false;
  trace(fmt::format("cut {} -> {} ({} no longer hears {})", from, to, to,
                    from));
}

void Simulator::heal() {
  for (auto& row : links_) {
    std::fill(row.begin(), row.end(), true);
  }
  trace("heal network");
}

std::string Simulator::describe_groups(
    const std::vector<std::vector<NodeId>>& groups) const {
  // "{1,2} | {3,4,5}", each group sorted; a bridge shows in two groups.
  std::string out;
  for (std::vector<NodeId> group : groups) {
    std::sort(group.begin(), group.end());
    out += fmt::format("{}{{{}}}", out.empty() ? "" : " | ",
                       fmt::join(group, ","));
  }
  return out;
}

}  // namespace raft::sim
