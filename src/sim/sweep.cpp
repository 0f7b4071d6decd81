#include "raft/sim/sweep.hpp"

#include <chrono>

#include <fmt/format.h>

#include "raft/sim/flag_list.hpp"

namespace raft::sim {

SweepSummary sweep(const Options& base, std::uint64_t first,
                   std::uint64_t last,
                   const std::function<void(const Result&)>& on_failure,
                   std::size_t max_failures) {
  SweepSummary summary;
  // Wall time only measures the sweep; nothing in a run reads it.
  const auto start = std::chrono::steady_clock::now();

  for (std::uint64_t seed = first; seed <= last && seed >= first; ++seed) {
    Simulator simulator(options_for_seed(base, seed));
    Result result = simulator.run();
    ++summary.seeds;
    summary.stats += result.stats;
    if (result.violation) {
      if (on_failure) {
        on_failure(result);
      }
      summary.failures.push_back(std::move(result));
      if (max_failures != 0 && summary.failures.size() >= max_failures) {
        break;
      }
    }
  }

  const std::chrono::duration<double> wall =
      std::chrono::steady_clock::now() - start;
  summary.wall_seconds = wall.count();
  return summary;
}

namespace {

constexpr FlagName<Bugs> bug_flag_names[] = {
    {&Bugs::vote_reply_before_persist, "vote_reply_before_persist"},
    {&Bugs::commit_previous_term_by_counting,
     "commit_previous_term_by_counting"},
    {&Bugs::stale_append_truncates, "stale_append_truncates"}};

std::string bug_names(const Bugs& bugs) {
  return format_flag_list<Bugs>(bugs, bug_flag_names);
}

}  // namespace

std::optional<Bugs> parse_bugs(std::string_view text) {
  if (text == "none") {
    return Bugs{};
  }
  return parse_flag_list<Bugs>(text, bug_flag_names);
}

std::string describe_run(const Options& options) {
  const std::string bugs = bug_names(options.bugs);
  return fmt::format("seed {}: {} nodes, {} steps, faults {}{}{}",
                     options.seed, options.nodes, options.steps,
                     to_string(options.faults), bugs.empty() ? "" : ", bugs ",
                     bugs);
}

std::string replay_command(const Options& options) {
  // The product raft_sim has no bug switches: a bug's seed replays in the
  // test-only build that has them (tests/sim/raft_sim_buggy).
  const std::string bugs = bug_names(options.bugs);
  std::string command = bugs.empty()
                            ? std::string("raft_sim")
                            : fmt::format("raft_sim_buggy --bugs {}", bugs);
  command += fmt::format(
      " --seed {} --nodes {} --steps {} --faults {} --max-entries {} "
      "--clients {}",
      options.seed, options.nodes, options.steps, to_string(options.faults),
      options.max_entries_per_append, options.clients);
  if (options.crash_soon_ppm != 0) {
    command += fmt::format(" --crash-soon-ppm {}", options.crash_soon_ppm);
  }
  return command + " --trace";
}

std::string format_failure(const Options& options, const Result& result) {
  std::string out = fmt::format(
      "VIOLATION in {}\n  at step {}, simulated time {}.{:06} s: {}\n"
      "  replay: {}\n  last {} trace lines:\n",
      describe_run(options), result.violation->step,
      result.violation->time_us / 1'000'000,
      result.violation->time_us % 1'000'000, result.violation->what,
      replay_command(options), result.trace_tail.size());
  for (const std::string& line : result.trace_tail) {
    out += "    " + line + "\n";
  }
  return out;
}

std::string format_summary(const SweepSummary& summary) {
  const Stats& s = summary.stats;
  const double wall = summary.wall_seconds > 0 ? summary.wall_seconds : 1e-9;
  return fmt::format(
      "seeds run            {}\n"
      "wall time            {:.2f} s\n"
      "simulated time       {:.1f} s\n"
      "events               {} ({:.0f} per second)\n"
      "message deliveries   {} ({:.0f} per second)\n"
      "messages sent        {} ({} dropped)\n"
      "elections            {} ({} won)\n"
      "entries committed    {}\n"
      "client commands      {} proposed, {} seen committed\n"
      "faults injected      {}\n"
      "violations           {}\n",
      summary.seeds, summary.wall_seconds,
      static_cast<double>(s.simulated_us) / 1e6, s.events,
      static_cast<double>(s.events) / wall, s.deliveries,
      static_cast<double>(s.deliveries) / wall, s.messages_sent,
      s.messages_dropped, s.elections, s.leaders, s.commits, s.proposals,
      s.client_acks, s.faults, summary.failures.size());
}

}  // namespace raft::sim
