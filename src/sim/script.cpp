// The scenario script interpreter. Commands, after options:
//
//   seed N | max-entries N | bug NAME      before `nodes`
//   nodes N                                start N nodes, no faults
//   tick MS                                let MS simulated ms pass
//   timers manual | auto                   election timers off / on
//   timeout REF                            fire REF's election timer now
//   elect [REF]                            run until a leader is elected in
//                                          a term above every current
//                                          leader's (REF: make it that node)
//   crash REF | restart REF | restart-all
//   isolate REF | isolate-random K | heal
//   partition LIST | LIST ...              nodes talk iff a group has both
//   cut REF -> REF                         one-way link loss
//   until match LEADER PEER INDEX          run until the leader knows PEER
//                                          holds INDEX (at most 5 s)
//   until committed DATA on LIST           run until applied there
//   propose DATA [to REF]                  REF defaults to the leader
//   propose-many COUNT PREFIX [to REF]     PREFIX.1 ... PREFIX.COUNT
//   faults SPEC | clients N | heal-all     random faults, clients, undo all
//   let NAME = REF
//   reset-counts
//   note TEXT
//   expect leader [REF | not REF]
//   expect one-leader
//   expect no-leader [among LIST]
//   expect committed DATA on LIST|all
//   expect not-committed DATA [on LIST|all]
//   expect log REF = TERM TERM ...
//   expect logs-match                      every up node holds the leader's
//   expect sent [KIND] <= N                KIND: request_vote,
//                                          request_vote_reply, append_entries,
//                                          append_entries_reply, rejections
//   expect live                            heal, then a stable leader
//                                          commits new commands everywhere
//   expect violation                       the checker caught something
//   repeat N ... end
#include "raft/sim/script.hpp"

#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

namespace raft::sim {

namespace {

constexpr Micros ms_us = 1'000;
constexpr Micros elect_limit_us = 10'000'000;
constexpr Micros elect_attempt_us = 500'000;
constexpr std::size_t elect_attempts = 20;
constexpr Micros until_limit_us = 5'000'000;
constexpr std::uint64_t max_repeat = 10'000;

struct ScriptError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Line {
  std::size_t number = 0;
  std::vector<std::string> words;
};

std::vector<Line> parse_lines(std::string_view text) {
  std::vector<Line> lines;
  std::istringstream in{std::string(text)};
  std::string raw;
  for (std::size_t number = 1; std::getline(in, raw); ++number) {
    const std::size_t hash = raw.find('#');
    std::istringstream words(raw.substr(0, hash));
    Line line{number, {}};
    for (std::string word; words >> word;) {
      line.words.push_back(word);
    }
    if (!line.words.empty()) {
      lines.push_back(std::move(line));
    }
  }
  return lines;
}

std::uint64_t number_of(const std::string& word) {
  std::size_t used = 0;
  std::uint64_t value = 0;
  try {
    value = std::stoull(word, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != word.size() || word.empty()) {
    throw ScriptError(fmt::format("'{}' is not a number", word));
  }
  return value;
}

std::vector<std::string> split(const std::string& text, char by) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(text);
  while (std::getline(in, part, by)) {
    if (!part.empty()) {
      out.push_back(part);
    }
  }
  return out;
}

std::string join_from(const std::vector<std::string>& words,
                      std::size_t from) {
  std::string out;
  for (std::size_t i = from; i < words.size(); ++i) {
    out += (out.empty() ? "" : " ") + words[i];
  }
  return out;
}

class Runner {
 public:
  Runner(std::vector<Line> lines, TraceSink sink, const Bugs& bugs)
      : lines_(std::move(lines)), sink_(std::move(sink)) {
    options_.faults = Faults::none();
    options_.clients = 0;
    options_.bugs = bugs;
    for (const Line& line : lines_) {
      if (line.words == std::vector<std::string>{"expect", "violation"}) {
        violation_expected_ = true;
      }
    }
  }

  void run() { run_block(0, lines_.size()); }

  const Line* current() const { return current_; }
  Simulator* simulator() { return sim_.get(); }

 private:
  void run_block(std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) {
      current_ = &lines_[i];
      const auto& words = lines_[i].words;
      if (words[0] != "repeat") {
        run_line(words);
        continue;
      }

      // `repeat N` runs the lines up to its matching `end` N times.
      need(words, 2);
      const std::uint64_t count = number_of(words[1]);
      if (count > max_repeat) {
        throw ScriptError("repeat count too large");
      }
      const std::size_t close = matching_end(i);
      for (std::uint64_t round = 0; round < count; ++round) {
        run_block(i + 1, close);
      }
      i = close;
    }
  }

  std::size_t matching_end(std::size_t open) const {
    std::size_t depth = 0;
    for (std::size_t i = open; i < lines_.size(); ++i) {
      const std::string& word = lines_[i].words[0];
      depth += word == "repeat" ? 1 : 0;
      if (word == "end" && --depth == 0) {
        return i;
      }
    }
    throw ScriptError("repeat without end");
  }

  static void need(const std::vector<std::string>& words, std::size_t count) {
    if (words.size() < count) {
      throw ScriptError(fmt::format("'{}' needs {} arguments", words[0],
                                    count - 1));
    }
  }

  void run_line(const std::vector<std::string>& words) {
    const std::string& verb = words[0];
    if (!sim_) {
      run_option(words);
    } else if (verb == "expect") {
      need(words, 2);
      run_expect(words);
    } else {
      run_action(words);
    }
    if (sim_ && sim_->violation() && !violation_expected_) {
      throw ScriptError("safety violation: " + sim_->violation()->what);
    }
  }

  // -------------------------------------------------------------------------
  // Options, before the cluster exists

  void run_option(const std::vector<std::string>& words) {
    const std::string& verb = words[0];
    need(words, 2);
    if (verb == "seed") {
      options_.seed = number_of(words[1]);
    } else if (verb == "max-entries") {
      options_.max_entries_per_append = number_of(words[1]);
    } else if (verb == "bug") {
      set_bug(words[1]);
    } else if (verb == "nodes") {
      options_.nodes = number_of(words[1]);
      sim_ = std::make_unique<Simulator>(options_, sink_);
    } else {
      throw ScriptError(fmt::format("'{}' before 'nodes'", verb));
    }
  }

  void set_bug(const std::string& name) {
    if (name == "vote_reply_before_persist") {
      options_.bugs.vote_reply_before_persist = true;
    } else if (name == "commit_previous_term_by_counting") {
      options_.bugs.commit_previous_term_by_counting = true;
    } else if (name == "stale_append_truncates") {
      options_.bugs.stale_append_truncates = true;
    } else {
      throw ScriptError("unknown bug " + name);
    }
  }

  // -------------------------------------------------------------------------
  // Node names

  NodeId node_of(const std::string& word) {
    const std::size_t plus = word.find('+');
    if (plus != std::string::npos) {
      const NodeId base = node_of(word.substr(0, plus));
      const std::uint64_t step = number_of(word.substr(plus + 1));
      return (base - 1 + step) % sim_->size() + 1;
    }
    NodeId id = no_node;
    if (word == "leader") {
      id = sim_->leader();
      if (id == no_node) {
        throw ScriptError("there is no leader");
      }
    } else if (const auto it = vars_.find(word); it != vars_.end()) {
      id = it->second;
    } else {
      id = number_of(word);
    }
    if (id == no_node || id > sim_->size()) {
      throw ScriptError(fmt::format("no node '{}'", word));
    }
    return id;
  }

  std::vector<NodeId> nodes_of(const std::string& list) {
    std::vector<NodeId> ids;
    if (list == "all") {
      for (NodeId id = 1; id <= sim_->size(); ++id) {
        ids.push_back(id);
      }
      return ids;
    }
    for (const std::string& part : split(list, ',')) {
      ids.push_back(node_of(part));
    }
    return ids;
  }

  // -------------------------------------------------------------------------
  // Actions

  void run_action(const std::vector<std::string>& words) {
    const std::string& verb = words[0];
    if (verb == "tick") {
      need(words, 2);
      sim_->run_for(number_of(words[1]) * ms_us);
    } else if (verb == "timers") {
      need(words, 2);
      sim_->set_manual_timers(words[1] == "manual");
    } else if (verb == "timeout") {
      need(words, 2);
      sim_->fire_election_timeout(node_of(words[1]));
    } else if (verb == "elect") {
      words.size() > 1 ? elect_node(node_of(words[1])) : elect_any();
    } else if (verb == "until") {
      need(words, 3);
      run_until(words);
    } else if (verb == "crash") {
      need(words, 2);
      sim_->crash(node_of(words[1]));
    } else if (verb == "restart") {
      need(words, 2);
      sim_->restart(node_of(words[1]));
    } else if (verb == "restart-all") {
      restart_all();
    } else if (verb == "isolate") {
      need(words, 2);
      sim_->isolate(node_of(words[1]));
    } else if (verb == "isolate-random") {
      need(words, 2);
      isolate_random(number_of(words[1]));
    } else if (verb == "heal") {
      sim_->heal();
    } else if (verb == "partition") {
      partition(join_from(words, 1));
    } else if (verb == "cut") {
      need(words, 4);
      sim_->cut(node_of(words[1]), node_of(words[3]));
    } else if (verb == "propose") {
      need(words, 2);
      propose(words[1], target_of(words, 2));
    } else if (verb == "propose-many") {
      need(words, 3);
      const NodeId target = target_of(words, 3);
      const std::uint64_t count = number_of(words[1]);
      for (std::uint64_t i = 1; i <= count && i <= max_repeat; ++i) {
        propose(fmt::format("{}.{}", words[2], i), target);
      }
    } else if (verb == "faults") {
      need(words, 2);
      const auto faults = parse_faults(words[1]);
      if (!faults) {
        throw ScriptError("bad fault list " + words[1]);
      }
      sim_->set_random_faults(*faults);
    } else if (verb == "clients") {
      need(words, 2);
      sim_->set_clients(number_of(words[1]));
    } else if (verb == "heal-all") {
      sim_->set_random_faults(Faults::none());
      sim_->heal();
      restart_all();
    } else if (verb == "let") {
      need(words, 4);
      vars_[words[1]] = node_of(words[3]);
    } else if (verb == "reset-counts") {
      sim_->reset_counts();
    } else if (verb == "note") {
      sim_->note("note: " + join_from(words, 1));
    } else {
      throw ScriptError("unknown command " + verb);
    }
  }

  void run_until(const std::vector<std::string>& words) {
    std::function<bool()> done;
    if (words[1] == "match") {
      // until match LEADER PEER INDEX: the leader knows PEER holds INDEX.
      need(words, 5);
      const NodeId leader = node_of(words[2]);
      const NodeId peer = node_of(words[3]);
      const Index index = number_of(words[4]);
      done = [this, leader, peer, index] {
        if (!sim_->is_up(leader)) {
          return false;
        }
        const Progress* progress = sim_->node(leader).progress(peer);
        return progress != nullptr && progress->match_index >= index;
      };
    } else if (words[1] == "committed") {
      // until committed DATA on LIST
      need(words, 5);
      const std::vector<NodeId> on = nodes_of(words[4]);
      done = [this, data = words[2], on] {
        for (const NodeId id : on) {
          if (!sim_->has_applied(id, data)) {
            return false;
          }
        }
        return true;
      };
    } else {
      throw ScriptError("until match L P N | until committed DATA on LIST");
    }
    if (!sim_->run_until(done, until_limit_us)) {
      throw ScriptError("condition not reached within 5 s");
    }
  }

  NodeId target_of(const std::vector<std::string>& words, std::size_t at) {
    if (words.size() > at + 1 && words[at] == "to") {
      return node_of(words[at + 1]);
    }
    return node_of("leader");
  }

  void propose(const std::string& data, NodeId target) {
    if (!sim_->is_up(target) || !sim_->propose(target, data)) {
      throw ScriptError(fmt::format("node {} refused '{}'", target, data));
    }
  }

  Term highest_leader_term() const {
    Term term = 0;
    for (const NodeId id : sim_->leaders()) {
      term = std::max(term, sim_->node(id).current_term());
    }
    return term;
  }

  void elect_any() {
    const Term above = highest_leader_term();
    const bool elected = sim_->run_until(
        [&] { return highest_leader_term() > above; }, elect_limit_us);
    if (!elected) {
      throw ScriptError("no leader elected within 10 s");
    }
  }

  void elect_node(NodeId id) {
    // Each attempt is a fresh term: a vote split or refused in one term
    // does not carry over.
    const auto leads = [&] {
      return sim_->is_up(id) && sim_->node(id).role() == Role::leader;
    };
    for (std::size_t attempt = 0; attempt < elect_attempts; ++attempt) {
      sim_->fire_election_timeout(id);
      if (sim_->run_until(leads, elect_attempt_us)) {
        return;
      }
    }
    throw ScriptError(fmt::format("node {} could not win an election", id));
  }

  void restart_all() {
    for (NodeId id = 1; id <= sim_->size(); ++id) {
      if (!sim_->is_up(id)) {
        sim_->restart(id);
      }
    }
  }

  void isolate_random(std::uint64_t count) {
    std::vector<NodeId> ids;
    for (NodeId id = 1; id <= sim_->size(); ++id) {
      ids.push_back(id);
    }
    for (std::uint64_t i = 0; i < count && !ids.empty(); ++i) {
      const std::size_t pick =
          sim_->script_rng().between(0, ids.size() - 1);
      sim_->isolate(ids[pick]);
      ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(pick));
    }
  }

  void partition(const std::string& spec) {
    std::vector<std::vector<NodeId>> groups;
    for (const std::string& group : split(spec, '|')) {
      std::string compact;
      for (const char c : group) {
        if (c != ' ') {
          compact += c;
        }
      }
      groups.push_back(nodes_of(compact));
    }
    sim_->partition(groups);
  }

  // -------------------------------------------------------------------------
  // Expectations

  void run_expect(const std::vector<std::string>& words) {
    const std::string& what = words[1];
    if (what == "leader") {
      expect_leader(words);
    } else if (what == "one-leader") {
      const auto leaders = sim_->leaders();
      if (leaders.size() != 1) {
        throw ScriptError(fmt::format("expected one leader, found {}",
                                      leaders.size()));
      }
    } else if (what == "no-leader") {
      expect_no_leader(words);
    } else if (what == "committed" || what == "not-committed") {
      expect_committed(words, what == "committed");
    } else if (what == "log") {
      expect_log(words);
    } else if (what == "logs-match") {
      expect_logs_match();
    } else if (what == "sent") {
      expect_sent(words);
    } else if (what == "live") {
      if (!sim_->check_liveness()) {
        throw ScriptError(sim_->violation() ? sim_->violation()->what
                                            : "not live");
      }
    } else if (what == "violation") {
      if (!sim_->violation()) {
        throw ScriptError("expected a safety violation, saw none");
      }
    } else {
      throw ScriptError("unknown expectation " + what);
    }
  }

  void expect_leader(const std::vector<std::string>& words) {
    const NodeId leader = sim_->leader();
    if (leader == no_node) {
      throw ScriptError("expected a leader, found none");
    }
    if (words.size() == 3 && leader != node_of(words[2])) {
      throw ScriptError(fmt::format("expected leader {}, found {}",
                                    node_of(words[2]), leader));
    }
    if (words.size() == 4 && words[2] == "not" &&
        leader == node_of(words[3])) {
      throw ScriptError(fmt::format("expected a leader other than {}",
                                    leader));
    }
  }

  void expect_no_leader(const std::vector<std::string>& words) {
    const std::vector<NodeId> among =
        words.size() >= 4 && words[2] == "among" ? nodes_of(words[3])
                                                 : nodes_of("all");
    for (const NodeId id : among) {
      if (sim_->is_up(id) && sim_->node(id).role() == Role::leader) {
        throw ScriptError(fmt::format("expected no leader, node {} leads "
                                      "term {}",
                                      id, sim_->node(id).current_term()));
      }
    }
  }

  void expect_committed(const std::vector<std::string>& words, bool want) {
    need(words, 3);
    const std::vector<NodeId> on =
        words.size() >= 5 && words[3] == "on" ? nodes_of(words[4])
                                              : nodes_of("all");
    for (const NodeId id : on) {
      if (sim_->has_applied(id, words[2]) != want) {
        throw ScriptError(fmt::format("'{}' is {}committed on node {}",
                                      words[2], want ? "not " : "", id));
      }
    }
  }

  void expect_log(const std::vector<std::string>& words) {
    need(words, 4);
    const NodeId id = node_of(words[2]);
    std::vector<Term> want;
    for (std::size_t i = 4; i < words.size(); ++i) {
      want.push_back(number_of(words[i]));
    }
    std::vector<Term> have;
    const Log& log = sim_->node(id).log();
    for (Index index = 1; index <= log.last_index(); ++index) {
      have.push_back(log.term_at(index));
    }
    if (have != want) {
      throw ScriptError(fmt::format("node {} log terms are [{}], expected "
                                    "[{}]",
                                    id, fmt::join(have, " "),
                                    fmt::join(want, " ")));
    }
  }

  void expect_logs_match() {
    // Every up node holds exactly the leader's log.
    const NodeId leader = node_of("leader");
    const Log& want = sim_->node(leader).log();
    for (NodeId id = 1; id <= sim_->size(); ++id) {
      if (!sim_->is_up(id)) {
        continue;
      }
      const Log& have = sim_->node(id).log();
      bool same = have.last_index() == want.last_index();
      for (Index i = 1; same && i <= want.last_index(); ++i) {
        same = have.at(i) == want.at(i);
      }
      if (!same) {
        throw ScriptError(fmt::format("node {}'s log differs from leader "
                                      "{}'s",
                                      id, leader));
      }
    }
  }

  void expect_sent(const std::vector<std::string>& words) {
    // expect sent [KIND] <= N
    const bool has_kind = words.size() == 5;
    need(words, 4);
    const std::string kind = has_kind ? words[2] : "total";
    const std::uint64_t bound = number_of(words.back());
    const MessageCounts& c = sim_->counts();
    const std::map<std::string, std::uint64_t> by_kind = {
        {"total", c.total()},
        {"request_vote", c.request_vote},
        {"request_vote_reply", c.request_vote_reply},
        {"append_entries", c.append_entries},
        {"append_entries_reply", c.append_entries_reply},
        {"rejections", c.rejections}};
    const auto it = by_kind.find(kind);
    if (it == by_kind.end() || words[words.size() - 2] != "<=") {
      throw ScriptError("expect sent [KIND] <= N");
    }
    if (it->second > bound) {
      throw ScriptError(fmt::format("sent {} {} messages, expected at most "
                                    "{}",
                                    it->second, kind, bound));
    }
  }

  std::vector<Line> lines_;
  TraceSink sink_;
  Options options_;
  std::unique_ptr<Simulator> sim_;
  std::map<std::string, NodeId> vars_;
  bool violation_expected_ = false;
  const Line* current_ = nullptr;
};

}  // namespace

ScriptResult run_script(std::string_view text, const std::string& name,
                        TraceSink sink, const Bugs& bugs) {
  Runner runner(parse_lines(text), std::move(sink), bugs);
  ScriptResult result;
  try {
    runner.run();
  } catch (const ScriptError& error) {
    result.ok = false;
    const std::size_t line = runner.current() ? runner.current()->number : 0;
    result.error = fmt::format("{}:{}: {}", name, line, error.what());
  }
  if (Simulator* sim = runner.simulator()) {
    result.violation = sim->violation();
    result.trace_tail = sim->trace_tail();
  }
  return result;
}

ScriptResult run_script_file(const std::string& path, TraceSink sink,
                             const Bugs& bugs) {
  std::ifstream in(path);
  if (!in) {
    ScriptResult result;
    result.ok = false;
    result.error = "cannot read " + path;
    return result;
  }
  std::stringstream text;
  text << in.rdbuf();
  return run_script(text.str(), path, std::move(sink), bugs);
}

}  // namespace raft::sim
