// Running many seeds and summing up what happened, for raft_sim --seeds and
// the sweep tests.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "raft/sim/simulator.hpp"

namespace raft::sim {

struct SweepSummary {
  std::uint64_t seeds = 0;
  Stats stats;
  double wall_seconds = 0;
  // Every seed that broke a rule, with what it broke.
  std::vector<Result> failures;
};

// Runs seeds first..last (both included) with `base` (see
// options_for_seed); `on_failure` hears of each failing seed as it happens;
// stops early after `max_failures` failures (0: never).
SweepSummary sweep(const Options& base, std::uint64_t first,
                   std::uint64_t last,
                   const std::function<void(const Result&)>& on_failure = {},
                   std::size_t max_failures = 0);

// "seed 7: 5 nodes, 5000 steps, faults loss,dup" and the command line that
// replays it.
std::string describe_run(const Options& options);
std::string replay_command(const Options& options);

// "vote_reply_before_persist,commit_previous_term_by_counting,
// stale_append_truncates" (any of them) or "none"; nothing if a name is
// unknown.
std::optional<Bugs> parse_bugs(std::string_view text);

// The report for a failing run: the violation, the seed, the command that
// replays it and the last trace lines.
std::string format_failure(const Options& options, const Result& result);
// The sweep's summary table.
std::string format_summary(const SweepSummary& summary);

}  // namespace raft::sim
