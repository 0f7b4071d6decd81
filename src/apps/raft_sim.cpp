// raft_sim: the deterministic simulator on the command line.
//
//   raft_sim --seed 7 --nodes 5 --steps 20000 --faults all --trace
//   raft_sim --seeds 1..1000
//   raft_sim --script tests/sim/scenarios/figure8.scn --trace
//
// Built a second time against the core's test-only bug switches as
// tests/sim/raft_sim_buggy, which adds --bugs.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "raft/sim/script.hpp"
#include "raft/sim/simulator.hpp"
#include "raft/sim/sweep.hpp"

namespace po = boost::program_options;
using namespace raft::sim;

namespace {

struct SeedRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;
};

// "A..B", both included.
std::optional<SeedRange> parse_range(const std::string& text) {
  const std::size_t dots = text.find("..");
  if (dots == std::string::npos) {
    return std::nullopt;
  }
  try {
    SeedRange range{std::stoull(text.substr(0, dots)),
                    std::stoull(text.substr(dots + 2))};
    if (range.last < range.first) {
      return std::nullopt;
    }
    return range;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void print_line(std::string_view line) { fmt::print("{}\n", line); }

int run_one(const Options& options, bool trace) {
  fmt::print("raft_sim {}\n", describe_run(options));
  Simulator simulator(options, trace ? TraceSink(print_line) : TraceSink{});
  const Result result = simulator.run();
  if (result.violation) {
    fmt::print("{}", format_failure(options, result));
    return 1;
  }
  const Stats& s = result.stats;
  fmt::print("ok: {} events, {} deliveries, {} elections ({} won), {} "
             "entries committed, {} client commands seen committed, {} "
             "faults, {}.{:06} s simulated\n",
             s.events, s.deliveries, s.elections, s.leaders, s.commits,
             s.client_acks, s.faults, s.simulated_us / 1'000'000,
             s.simulated_us % 1'000'000);
  return 0;
}

int run_sweep(const Options& base, const SeedRange& range) {
  fmt::print("raft_sim sweep of seeds {}..{}: {} nodes, {} steps, faults "
             "{}\n",
             range.first, range.last,
             base.nodes == 0 ? std::string("3-9") :
                               std::to_string(base.nodes),
             base.steps, to_string(base.faults));
  const SweepSummary summary =
      sweep(base, range.first, range.last, [&](const Result& result) {
        fmt::print("{}", format_failure(options_for_seed(base, result.seed),
                                        result));
        std::fflush(stdout);
      });
  fmt::print("{}", format_summary(summary));
  return summary.failures.empty() ? 0 : 1;
}

int run_script_command(const std::string& path, const Bugs& bugs,
                       bool trace) {
  const ScriptResult result = run_script_file(
      path, trace ? TraceSink(print_line) : TraceSink{}, bugs);
  if (!result.ok) {
    fmt::print("FAILED {}\n", result.error);
    for (const std::string& line : result.trace_tail) {
      fmt::print("    {}\n", line);
    }
    return 1;
  }
  fmt::print("ok: {}\n", path);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description flags("raft_sim options");
  flags.add_options()
      ("help,h", "show this help")
      ("seed", po::value<std::uint64_t>(), "run one simulation with this seed")
      ("seeds", po::value<std::string>(), "sweep seeds A..B")
      ("nodes", po::value<std::size_t>(),
       "cluster size, 3-9 (default 5; a sweep draws it from each seed)")
      ("steps", po::value<std::uint64_t>()->default_value(5000),
       "events in the fault phase")
      ("faults", po::value<std::string>()->default_value("all"),
       "loss,dup,delay,partition,bridge,asym,crash | none | all")
      ("clients", po::value<std::size_t>()->default_value(3),
       "clients proposing commands")
      ("max-entries", po::value<std::size_t>()->default_value(64),
       "entries per AppendEntries")
      ("crash-soon-ppm", po::value<std::uint64_t>()->default_value(0),
       "chance per million of a crash right after a vote, win or commit "
       "(0: from the seed)")
      ("script", po::value<std::string>(), "run a scenario script")
#ifdef RAFT_BUG_SWITCHES
      ("bugs", po::value<std::string>()->default_value("none"),
       "test-only core bugs to switch on: vote_reply_before_persist, "
       "commit_previous_term_by_counting, stale_append_truncates")
#endif
      ("trace", "print every event as it happens");

  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, flags), vm);
    po::notify(vm);
  } catch (const po::error& error) {
    fmt::print(stderr, "raft_sim: {}\n", error.what());
    return 2;
  }
  if (vm.count("help") ||
      vm.count("seed") + vm.count("seeds") + vm.count("script") != 1) {
    std::cout << "usage: raft_sim --seed N | --seeds A..B | --script FILE "
                 "[options]\n"
              << flags;
    return vm.count("help") ? 0 : 2;
  }
  const bool trace = vm.count("trace") > 0;
  Options options;
#ifdef RAFT_BUG_SWITCHES
  const auto bugs = parse_bugs(vm["bugs"].as<std::string>());
  if (!bugs) {
    fmt::print(stderr, "raft_sim: bad --bugs\n");
    return 2;
  }
  options.bugs = *bugs;
#endif
  if (vm.count("script")) {
    return run_script_command(vm["script"].as<std::string>(), options.bugs,
                              trace);
  }

  options.steps = vm["steps"].as<std::uint64_t>();
  options.clients = vm["clients"].as<std::size_t>();
  options.max_entries_per_append = vm["max-entries"].as<std::size_t>();
  options.crash_soon_ppm = vm["crash-soon-ppm"].as<std::uint64_t>();
  const auto faults = parse_faults(vm["faults"].as<std::string>());
  const std::size_t nodes = vm.count("nodes") ? vm["nodes"].as<std::size_t>()
                                              : 0;
  if (!faults || (vm.count("nodes") && (nodes < 3 || nodes > 9)) ||
      options.max_entries_per_append == 0) {
    fmt::print(stderr, "raft_sim: bad --faults, --nodes (3-9) or "
                       "--max-entries\n");
    return 2;
  }
  options.faults = *faults;

  if (vm.count("seed")) {
    options.seed = vm["seed"].as<std::uint64_t>();
    options.nodes = nodes == 0 ? 5 : nodes;
    return run_one(options, trace);
  }
  const auto range = parse_range(vm["seeds"].as<std::string>());
  if (!range) {
    fmt::print(stderr, "raft_sim: --seeds wants A..B\n");
    return 2;
  }
  options.nodes = nodes;
  return run_sweep(options, *range);
}
