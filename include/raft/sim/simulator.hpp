// A deterministic cluster simulator that runs the project's real core.
//
// N cores (3 to 9) live in one process, on one thread, under simulated time:
// a simulated network (latency, loss, duplication, delay and reordering,
// partitions, bridges, one-way links), simulated disks (writes complete
// after a latency; a crash loses what was not yet synced, perhaps keeping a
// torn prefix of it), per-node election timers and leader heartbeats, and
// clients that propose commands to whoever they think leads. Everything
// random comes from one seed, so a run replays byte-for-byte.
//
// The core's contract is honoured as the real node honours it: hard state
// and entries are durable before `messages` leave, `messages_now` leave at
// once, and persisted() is called when a write completes. A Checker sees
// every step and the first broken rule stops the run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

#include "raft/core/raft.hpp"
#include "raft/sim/checker.hpp"
#include "raft/sim/random.hpp"

namespace raft::sim {

// Simulated time, in microseconds since the start of the run.
using Micros = std::uint64_t;

// The kinds of fault a run may inject; which ones, and how often, the seed
// decides.
struct Faults {
  bool loss = false;
  bool duplicate = false;
  bool delay = false;
  bool partition = false;  // one node isolated, or a majority/minority split
  bool bridge = false;     // two halves joined through one node
  bool asymmetric = false; // A hears B, B does not hear A
  bool crash = false;      // crash and restart, losing unsynced writes

  static Faults none() { return {}; }
  static Faults all() { return {true, true, true, true, true, true, true}; }
  bool any_link_fault() const { return partition || bridge || asymmetric; }
};

// "loss,dup,delay,partition,bridge,asym,crash", "none" or "all".
std::optional<Faults> parse_faults(std::string_view text);
std::string to_string(const Faults& faults);

// Test-only bugs for the core (honoured only when the simulator and core
// are built with RAFT_BUG_SWITCHES; see raft/core/raft.hpp).
struct Bugs {
  bool vote_reply_before_persist = false;
  bool commit_previous_term_by_counting = false;
  bool stale_append_truncates = false;
};

struct Options {
  std::uint64_t seed = 1;
  std::size_t nodes = 5;
  // Events processed in the fault phase, before healing.
  std::uint64_t steps = 5000;
  Faults faults = Faults::all();
  std::size_t clients = 3;
  // Core bounds; small batches make more interleavings reachable.
  std::size_t max_entries_per_append = 64;
  // Trace lines kept for the report when a rule breaks.
  std::size_t trace_tail_lines = 40;
  // Chance (per million) of crashing a node within 1.5 ms of it voting,
  // winning an election or (as leader) committing: the moments when a
  // missing fsync or an unsent message matters. Zero leaves it to the seed.
  std::uint64_t crash_soon_ppm = 0;
  // Run the liveness phase after the fault phase.
  bool check_liveness = true;
  Bugs bugs;
};

struct Stats {
  std::uint64_t events = 0;
  std::uint64_t deliveries = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_dropped = 0;
  std::uint64_t elections = 0;
  std::uint64_t leaders = 0;
  std::uint64_t commits = 0;
  std::uint64_t proposals = 0;
  std::uint64_t client_acks = 0;
  std::uint64_t faults = 0;
  Micros simulated_us = 0;

  Stats& operator+=(const Stats& other);
};

// Messages sent by kind, for tests that count them.
struct MessageCounts {
  std::uint64_t request_vote = 0;
  std::uint64_t request_vote_reply = 0;
  std::uint64_t append_entries = 0;
  std::uint64_t append_entries_reply = 0;
  std::uint64_t rejections = 0;  // AppendEntriesReply with success=false

  std::uint64_t total() const {
    return request_vote + request_vote_reply + append_entries +
           append_entries_reply;
  }
};

struct Violation {
  std::string what;
  std::uint64_t step = 0;
  Micros time_us = 0;
};

struct Result {
  std::uint64_t seed = 0;
  std::optional<Violation> violation;
  Stats stats;
  // The last trace lines before the end of the run.
  std::vector<std::string> trace_tail;
};

// Receives each trace line as it is produced (no newline).
using TraceSink = std::function<void(std::string_view)>;

class Simulator {
 public:
  explicit Simulator(Options options, TraceSink sink = {});
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // A whole random run: the fault phase for `steps` events, then heal and
  // check liveness. Stops at the first violation.
  Result run();

  // Running by hand. Each returns early once a rule breaks.
  // Process the next event; false if nothing is scheduled.
  bool step();
  void run_for(Micros duration_us);
  // Run until `done` holds (checked after every event) or `limit_us`
  // passes; returns whether it held.
  bool run_until(const std::function<bool()>& done, Micros limit_us);
  // Heal, restart crashed nodes, stop random faults; then require one
  // stable leader and that commands proposed to it commit everywhere.
  // Returns false (and records a violation) if not.
  bool check_liveness();

  // Faults by hand.
  void crash(NodeId id);
  void restart(NodeId id);
  // Nodes can talk iff some group holds both; a node in no group is alone.
  // Overlapping groups make a bridge.
  void partition(const std::vector<std::vector<NodeId>>& groups);
  void isolate(NodeId id);
  // Messages from `from` to `to` are lost (one direction only).
  void cut(NodeId from, NodeId to);
  void heal();
  // Turn the seed's random faults on or off (network rates and nemesis).
  void set_random_faults(const Faults& faults);
  void set_clients(std::size_t count);
  // Manual timers: election timers never fire by themselves.
  void set_manual_timers(bool manual);
  void fire_election_timeout(NodeId id);
  std::optional<Proposal> propose(NodeId id, std::string data);

  // Observation.
  std::size_t size() const { return nodes_.size() - 1; }
  bool is_up(NodeId id) const { return nodes_.at(id).up; }
  // The node's core; it must be up.
  const Raft& node(NodeId id) const { return *nodes_.at(id).raft; }
  // The up node that leads the highest term among leaders, or no_node.
  NodeId leader() const;
  // Up nodes in the leader role.
  std::vector<NodeId> leaders() const;
  // Has `id` applied a command with `data` in its current life?
  bool has_applied(NodeId id, std::string_view data) const;
  const Checker& checker() const { return checker_; }
  const Stats& stats() const { return stats_; }
  const MessageCounts& counts() const { return counts_; }
  void reset_counts() { counts_ = {}; }
  const std::optional<Violation>& violation() const { return violation_; }
  Micros now_us() const { return now_us_; }
  std::uint64_t steps_done() const { return stats_.events; }
  Rng& script_rng() { return script_rng_; }
  std::vector<std::string> trace_tail() const;
  // Add a line to the trace (for scripts narrating what they do).
  void note(std::string_view text);

 private:
  enum class EventKind : std::uint8_t {
    deliver,
    election_timer,
    heartbeat,
    disk_done,
    client,
    nemesis,
    crash_nemesis,
    crash,
    restart,
  };

  struct SimEvent {
    Micros at_us = 0;
    std::uint64_t seq = 0;
    EventKind kind = EventKind::deliver;
    NodeId node = no_node;
    std::uint64_t incarnation = 0;
    std::uint64_t arg = 0;

    // std::priority_queue is a max-heap: invert for earliest first, with
    // the scheduling order breaking ties so runs are deterministic.
    bool operator<(const SimEvent& other) const {
      return at_us != other.at_us ? at_us > other.at_us : seq > other.seq;
    }
  };

  // One write handed to a node's simulated disk.
  struct Write {
    std::uint64_t seq = 0;
    std::optional<HardState> hard_state;
    std::vector<LogEntry> entries;
  };

  struct SimNode {
    std::unique_ptr<Raft> raft;
    bool up = false;
    // Bumped by every crash; events of an older life are ignored.
    std::uint64_t incarnation = 0;

    // The disk: what survives a crash, and what is still in flight.
    HardState durable_state;
    std::vector<LogEntry> durable_log;
    std::deque<Write> writes;
    std::uint64_t submitted_seq = 0;
    std::uint64_t durable_seq = 0;
    Micros disk_free_at_us = 0;
    // Messages waiting for the write numbered `first` to be durable.
    std::deque<std::pair<std::uint64_t, Message>> waiting;

    // Election timer: fires at `deadline_us`; `armed_at_us` is when the one
    // live timer event is due, `timer_gen` tells it from stale ones.
    Micros deadline_us = 0;
    Micros armed_at_us = 0;
    bool armed = false;
    std::uint64_t timer_gen = 0;
    std::uint64_t heartbeat_gen = 0;
  };

  struct Client {
    NodeId guess = no_node;
    std::uint64_t seq = 0;
    // The proposal waiting to be applied, if any.
    bool waiting = false;
    NodeId node = no_node;
    std::uint64_t incarnation = 0;
    Index index = 0;
    Term term = 0;
    std::string data;
    Micros give_up_at_us = 0;
  };

  // Per-seed fault rates, drawn once at the start.
  struct Rates {
    std::uint64_t loss_ppm = 0;
    std::uint64_t duplicate_ppm = 0;
    std::uint64_t delay_ppm = 0;
    Micros delay_max_us = 0;
    Micros nemesis_mean_us = 0;
    Micros crash_mean_us = 0;
    Micros downtime_max_us = 0;
    std::uint64_t crash_soon_ppm = 0;
    std::uint64_t torn_tail_ppm = 0;
    // A crash is a machine crash: each message it sent that is still on
    // its way is lost with this chance (it had not left the NIC).
    std::uint64_t unsent_loss_ppm = 0;
  };

  // Setup (simulator.cpp).
  Config config_for(NodeId id) const;
  void draw_rates();
  void boot(NodeId id);

  // Events (simulator.cpp).
  void schedule(Micros at_us, EventKind kind, NodeId node,
                std::uint64_t incarnation, std::uint64_t arg);
  void dispatch(const SimEvent& event);
  void deliver(std::uint64_t slot);
  void on_election_timer(NodeId id, std::uint64_t gen);
  void on_heartbeat(NodeId id, std::uint64_t gen);
  void on_disk_done(NodeId id, std::uint64_t seq);

  // Carrying out a Ready (simulator.cpp).
  void process_ready(NodeId id);
  void handle_events(NodeId id, const Ready& ready);
  void submit_write(NodeId id, Ready& ready);
  void handle_applied(NodeId id, const std::vector<LogEntry>& committed);
  void reset_election_timer(NodeId id);
  void arm_timer(NodeId id, Micros at_us);
  void start_heartbeats(NodeId id);
  void apply_write(SimNode& node, const Write& write, std::size_t max_count);

  // The network (network.cpp).
  void send(const Message& message);
  void schedule_delivery(Message message, bool extra_copy);
  bool link_up(NodeId from, NodeId to) const;
  std::size_t lose_unsent(NodeId from);
  void count_sent(const Message& message);

  // Random faults and clients (nemesis.cpp).
  void schedule_nemesis();
  void on_nemesis(std::uint64_t gen);
  void on_crash_nemesis(std::uint64_t gen);
  void on_restart_due(NodeId id, std::uint64_t incarnation);
  void maybe_crash_soon(NodeId id);
  void split_randomly();
  void bridge_randomly();
  void cut_randomly();
  void on_client(std::size_t index, std::uint64_t gen);
  void propose_for(Client& client, std::size_t index);
  NodeId random_up_node();

  // Checking and tracing.
  void check_state(NodeId id);
  void record_violation();
  void trace(std::string line);
  std::string describe_groups(
      const std::vector<std::vector<NodeId>>& groups) const;

  Options options_;
  TraceSink sink_;
  Rng rng_;          // network and disk
  Rng timer_rng_;    // election timeouts
  Rng fault_rng_;    // nemesis and crashes
  Rng client_rng_;   // clients
  Rng script_rng_;   // for scripts choosing nodes at random
  Rates rates_;
  Faults active_faults_;

  Micros now_us_ = 0;
  std::uint64_t next_seq_ = 0;
  std::priority_queue<SimEvent> queue_;
  std::vector<SimNode> nodes_;  // indexed by id; [0] unused

  // Messages in flight, by slot; free slots are reused.
  std::vector<Message> in_flight_;
  std::vector<std::uint64_t> free_slots_;
  // links_[from][to]: may a message from `from` reach `to`?
  std::vector<std::vector<bool>> links_;
  // links_fifo_us_[from][to]: when the last in-order message on the link
  // lands, so that an undisturbed link keeps order as TCP would.
  std::vector<std::vector<Micros>> link_clear_us_;

  std::vector<Client> clients_;
  std::size_t active_clients_ = 0;
  bool manual_timers_ = false;
  // Generations of the client and nemesis event chains: turning either
  // off and on again must not leave two chains running.
  std::uint64_t client_gen_ = 0;
  std::uint64_t nemesis_gen_ = 0;

  Checker checker_;
  std::optional<Violation> violation_;
  // Past this many events the run stops with a liveness violation (0: no
  // limit). Set for the liveness phase, where a healed cluster that keeps
  // busy without making progress (a message storm) must fail, not spin.
  std::uint64_t event_limit_ = 0;
  Stats stats_;
  MessageCounts counts_;

  std::vector<std::string> tail_;  // ring buffer of trace lines
  std::size_t tail_next_ = 0;
  std::uint64_t tail_count_ = 0;
};

// The options a sweep uses for one seed: the cluster size comes from the
// seed when `base.nodes` is 0.
Options options_for_seed(const Options& base, std::uint64_t seed);

// Time constants of the simulated cluster, as the real node's defaults.
inline constexpr Micros election_timeout_min_us = 150'000;
inline constexpr Micros election_timeout_max_us = 300'000;
inline constexpr Micros heartbeat_interval_us = 50'000;

}  // namespace raft::sim
