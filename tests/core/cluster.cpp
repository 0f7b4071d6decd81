#include "cluster.hpp"

#include <stdexcept>
#include <utility>

namespace raft::test {

std::vector<LogEntry> log_of(const std::vector<Term>& terms) {
  std::vector<LogEntry> log;
  for (const Term term : terms) {
    const Index index = log.size() + 1;
    log.push_back(LogEntry{term, index, EntryType::command,
                           "e" + std::to_string(index)});
  }
  return log;
}

std::vector<Term> terms_of(const Log& log) {
  std::vector<Term> terms;
  for (Index index = 1; index <= log.last_index(); ++index) {
    terms.push_back(log.term_at(index));
  }
  return terms;
}

Message request_vote(NodeId from, NodeId to, Term term, Index last_index,
                     Term last_term) {
  return Message{from, to, RequestVote{term, from, last_index, last_term}};
}

Message append_entries(NodeId from, NodeId to, Term term, Index prev_index,
                       Term prev_term, std::vector<LogEntry> entries,
                       Index leader_commit) {
  AppendEntries request;
  request.term = term;
  request.leader_id = from;
  request.prev_log_index = prev_index;
  request.prev_log_term = prev_term;
  request.entries = std::move(entries);
  request.leader_commit = leader_commit;
  return Message{from, to, std::move(request)};
}

bool has_event(const Ready& ready, Event::Kind kind) {
  for (const Event& event : ready.events) {
    if (event.kind == kind) {
      return true;
    }
  }
  return false;
}

namespace {

Config config_for(NodeId id, std::size_t size, Config base) {
  base.id = id;
  base.members.clear();
  for (NodeId member = 1; member <= size; ++member) {
    base.members.push_back(member);
  }
  return base;
}

}  // namespace

Raft make_raft(NodeId id, std::size_t size, Boot boot, Config base) {
  return Raft(config_for(id, size, std::move(base)), boot.hard_state,
              std::move(boot.log));
}

Ready step(Raft& raft, const Message& message) {
  raft.step(message);
  return raft.take_ready();
}

Ready campaign(Raft& raft) {
  raft.election_timeout();
  Ready ready = raft.take_ready();
  if (ready.hard_state) {
    raft.hard_state_persisted(*ready.hard_state);
  }
  return ready;
}

Ready elect(Raft& raft, std::size_t size) {
  Ready ready = campaign(raft);
  const Term term = raft.current_term();

  // Votes from the peers after this node, wrapping round, until it leads.
  for (NodeId i = 1; i < size && raft.role() != Role::leader; ++i) {
    const NodeId peer = (raft.id() + i - 1) % size + 1;
    raft.step(Message{peer, raft.id(), RequestVoteReply{term, true}});
  }
  Ready won = raft.take_ready();
  ready.entries = std::move(won.entries);
  ready.messages_now = std::move(won.messages_now);
  ready.events.insert(ready.events.end(), won.events.begin(),
                      won.events.end());
  return ready;
}

Cluster::Cluster(std::size_t size, Config base)
    : Cluster(std::vector<Boot>(size), std::move(base)) {}

Cluster::Cluster(std::vector<Boot> boots, Config base) {
  const std::size_t size = boots.size();
  for (NodeId id = 1; id <= size; ++id) {
    Boot& boot = boots[id - 1];
    disks_[id] = Disk{boot.hard_state, boot.log};
    nodes_[id] = std::make_unique<Raft>(config_for(id, size, base),
                                        boot.hard_state, std::move(boot.log));
  }
}

std::vector<NodeId> Cluster::ids() const {
  std::vector<NodeId> out;
  for (const auto& [id, raft] : nodes_) {
    out.push_back(id);
  }
  return out;
}

void Cluster::flush() {
  for (const NodeId id : ids()) {
    flush(id);
  }
}

void Cluster::flush(NodeId id) {
  Raft& raft = node(id);
  while (raft.has_ready()) {
    handle_ready(id, raft.take_ready());
  }
}

void Cluster::election_timeout(NodeId id) {
  node(id).election_timeout();
  flush(id);
}

void Cluster::heartbeat(NodeId leader) {
  for (const NodeId peer : ids()) {
    if (peer != leader) {
      node(leader).heartbeat_timeout(peer);
    }
  }
  flush(leader);
}

std::optional<Proposal> Cluster::propose(NodeId leader, std::string data) {
  auto proposal = node(leader).propose(std::move(data));
  flush(leader);
  return proposal;
}

void Cluster::handle_ready(NodeId id, Ready ready) {
  readies_[id].push_back(ready);

  // Ordering contract: a leader's appends leave at once, the rest only
  // once what this Ready asked to persist is durable.
  for (const Message& message : ready.messages_now) {
    send(message);
  }
  write(id, ready);

  Pending& pending = pending_[id];
  pending.messages.insert(pending.messages.end(), ready.messages.begin(),
                          ready.messages.end());
  if (!ready.entries.empty()) {
    pending.index = ready.entries.back().index;
    pending.term = ready.entries.back().term;
  }
  if (ready.hard_state) {
    pending.hard_state = ready.hard_state;
  }
  if (!disk_held_[id]) {
    persist(id);
  }

  auto& applied = applied_[id];
  applied.insert(applied.end(), ready.committed.begin(),
                 ready.committed.end());
}

void Cluster::write(NodeId id, const Ready& ready) {
  Disk& disk = disks_[id];
  if (ready.hard_state) {
    disk.hard_state = *ready.hard_state;
  }
  if (!ready.entries.empty()) {
    disk.log.resize(ready.entries.front().index - 1);
    disk.log.insert(disk.log.end(), ready.entries.begin(),
                    ready.entries.end());
  }
}

void Cluster::persist(NodeId id) {
  Pending pending = std::exchange(pending_[id], Pending{});
  if (pending.index != 0) {
    node(id).persisted(pending.index, pending.term);
  }
  if (pending.hard_state) {
    node(id).hard_state_persisted(*pending.hard_state);
  }
  for (const Message& message : pending.messages) {
    send(message);
  }
  // persisted() may have let a leader commit.
  if (!disk_held_[id]) {
    flush(id);
  }
}

void Cluster::send(const Message& message) {
  sent_.push_back(message);
  if (drop_ && drop_(message)) {
    return;
  }
  in_flight_.push_back(message);
}

void Cluster::set_drop(std::function<bool(const Message&)> drop) {
  drop_ = std::move(drop);
}

void Cluster::isolate(NodeId id) {
  set_drop([id](const Message& m) { return m.from == id || m.to == id; });
}

void Cluster::deliver(const Message& message) {
  node(message.to).step(message);
  flush(message.to);
}

bool Cluster::deliver_one() {
  if (in_flight_.empty()) {
    return false;
  }
  const Message message = in_flight_.front();
  in_flight_.pop_front();
  deliver(message);
  return true;
}

std::size_t Cluster::deliver_all() {
  constexpr std::size_t max_deliveries = 100000;
  std::size_t delivered = 0;
  while (deliver_one()) {
    if (++delivered > max_deliveries) {
      throw std::runtime_error("network never went quiet");
    }
  }
  return delivered;
}

std::vector<Message> Cluster::take(
    const std::function<bool(const Message&)>& pick) {
  std::vector<Message> taken;
  std::deque<Message> kept;
  for (Message& message : in_flight_) {
    if (pick(message)) {
      taken.push_back(std::move(message));
    } else {
      kept.push_back(std::move(message));
    }
  }
  in_flight_ = std::move(kept);
  return taken;
}

NodeId Cluster::leader() const {
  NodeId best = no_node;
  Term best_term = 0;
  for (const auto& [id, raft] : nodes_) {
    if (raft->role() == Role::leader && raft->current_term() >= best_term) {
      best = id;
      best_term = raft->current_term();
    }
  }
  return best;
}

}  // namespace raft::test
