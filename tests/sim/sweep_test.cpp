// Seed sweeps of the correct core under every fault, and byte-for-byte
// replay of a seed. Each part is its own ctest test so that they run in
// parallel; together they cover 1,200 seeds.
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "raft/sim/simulator.hpp"
#include "raft/sim/sweep.hpp"

namespace raft::sim {
namespace {

// Enough steps for several elections, crashes and partitions per seed,
// few enough that the debug build (sanitizers on) sweeps 1,000+ seeds in
// well under a minute on two cores.
constexpr std::uint64_t sweep_steps = 1500;

void sweep_and_check(Options base, std::uint64_t first, std::uint64_t last) {
  base.steps = sweep_steps;
  const SweepSummary summary =
      sweep(base, first, last, [&](const Result& result) {
        BOOST_TEST_MESSAGE(
            format_failure(options_for_seed(base, result.seed), result));
      });
  BOOST_TEST_MESSAGE(format_summary(summary));
  BOOST_TEST(summary.failures.empty());
  BOOST_TEST(summary.stats.leaders > 0u);
  BOOST_TEST(summary.stats.client_acks > 0u);
}

std::vector<std::string> traced_run(const Options& options, Result& result) {
  std::vector<std::string> lines;
  Simulator simulator(options, [&](std::string_view line) {
    lines.emplace_back(line);
  });
  result = simulator.run();
  return lines;
}

Options with_nodes(std::size_t nodes) {
  Options options;
  options.nodes = nodes;  // 0: drawn from each seed
  return options;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(seed_sweep)

// Every fault, cluster sizes 3 to 9 drawn from the seed.
BOOST_AUTO_TEST_CASE(part_1) { sweep_and_check(with_nodes(0), 1, 300); }

BOOST_AUTO_TEST_CASE(part_2) {
  sweep_and_check(with_nodes(0), 301, 600);
}

// Three nodes, where one crash already costs the majority, under crashes
// and a reordering network.
BOOST_AUTO_TEST_CASE(part_3) {
  Options base = with_nodes(3);
  base.faults = *parse_faults("crash,delay,dup,loss");
  sweep_and_check(base, 601, 900);
}

// Five nodes, one entry per AppendEntries, under every fault.
BOOST_AUTO_TEST_CASE(part_4) {
  Options base = with_nodes(5);
  base.max_entries_per_append = 1;
  sweep_and_check(base, 901, 1200);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(replay)

// A seed is the whole run: the same seed gives the same trace, line for
// line, and a different seed a different one.
BOOST_AUTO_TEST_CASE(same_seed_same_trace) {
  Options options;
  options.seed = 42;
  options.nodes = 7;
  options.steps = 3000;
  Result first;
  Result second;
  const auto trace_a = traced_run(options, first);
  const auto trace_b = traced_run(options, second);
  BOOST_TEST(trace_a.size() > 100u);
  BOOST_TEST(trace_a == trace_b);
  BOOST_TEST(first.stats.events == second.stats.events);
  BOOST_TEST(first.stats.deliveries == second.stats.deliveries);

  options.seed = 43;
  Result other;
  BOOST_TEST(traced_run(options, other) != trace_a);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raft::sim
