// election_latency: the Raft paper's Figure 16 on real raft_node processes.
//
//   election_latency --nodes 5 --trials 1000 --out results
//   election_latency --quick --out /tmp/quick      (a smoke run for ctest)
//
// For each election timeout range it starts a cluster on 127.0.0.1, kills
// the leader with SIGKILL at a random moment of its heartbeat interval,
// times how long the survivors are without a leader (from the nodes'
// CLOCK_MONOTONIC stamps), restarts the dead node and goes again. Then the
// same against etcd if it is installed. Writes a CSV row per trial, a table
// per range (stdout, .md, .txt) and the plot (gnuplot: .svg, .png).
// Exit codes: 0 done, 1 a cluster failed, 2 bad options, 130 interrupted.
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "bench_common.hpp"
#include "etcd_trials.hpp"
#include "raft_trials.hpp"
#include "report.hpp"

namespace po = boost::program_options;
using namespace raft::bench;

namespace {

const char* const all_ranges =
    "150-150,150-151,150-155,150-175,150-200,150-300,12-24,25-50,50-100,"
    "100-200";

struct Options {
  std::size_t nodes = 5;
  std::vector<Range> ranges;
  int trials = 1000;
  std::map<std::string, int> range_trials;
  int cap_ms = 10'000;
  std::filesystem::path out;
  std::string etcd;  // on, off, auto
  int etcd_trials = 0;
  std::string etcd_path;
  std::string raft_node;
  std::filesystem::path data_root;
  double unequal_share = 0.5;
  int unequal_entries = 3;
  std::uint64_t seed = 0;
  std::string gnuplot;
  std::string plot_only;
};

std::vector<std::string> split(const std::string& text, char by) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, by);) {
    if (!part.empty()) {
      parts.push_back(part);
    }
  }
  return parts;
}

// Returns nothing after printing --help.
std::optional<Options> parse_options(int argc, char** argv) {
  po::options_description flags("election_latency options");
  flags.add_options()
      ("help", "show this help")
      ("nodes", po::value<std::size_t>()->default_value(5), "cluster size")
      ("ranges", po::value<std::string>()->default_value(all_ranges),
       "election timeout ranges MIN-MAX (ms), comma separated")
      ("trials", po::value<int>()->default_value(1000), "trials per range")
      ("range-trials", po::value<std::string>()->default_value(""),
       "trials for particular ranges, e.g. 150-150=20,150-151=20 (when "
       "neither this nor --trials is given: 150-150=100, as in the paper)")
      ("cap-ms", po::value<int>()->default_value(10'000),
       "a trial longer than this is recorded as capped")
      ("out", po::value<std::string>()->default_value(
                  "election-latency-results"),
       "directory for the CSV, tables and plot")
      ("quick", po::bool_switch(),
       "smoke run: 3 trials of 50-100 and 150-300, cap 3 s, unless given")
      ("etcd", po::value<std::string>()->default_value("auto"),
       "on, off, or auto (on when etcd is installed)")
      ("etcd-trials", po::value<int>(),
       "etcd trials (default: those of 150-300)")
      ("etcd-path", po::value<std::string>()->default_value("etcd"),
       "the etcd binary")
      ("raft-node", po::value<std::string>()->default_value(RAFT_NODE_PATH),
       "the raft_node binary")
      ("data-root", po::value<std::string>()->default_value(""),
       "where the nodes' data directories go (default: the temp directory)")
      ("unequal-share", po::value<double>()->default_value(0.5),
       "share of trials with one follower lacking the newest entries")
      ("unequal-entries", po::value<int>()->default_value(3),
       "entries that follower lacks")
      ("seed", po::value<std::uint64_t>(), "random seed (default: random)")
      ("gnuplot", po::value<std::string>()->default_value("gnuplot"),
       "the gnuplot binary, or off")
      ("plot-only", po::value<std::string>(),
       "run nothing: redraw the plot in --out from this CSV");

  po::variables_map values;
  po::store(po::parse_command_line(argc, argv, flags), values);
  po::notify(values);
  if (values.count("help")) {
    std::cout << flags;
    return std::nullopt;
  }

  const bool quick = values["quick"].as<bool>();
  const auto pick = [&](const char* name, auto quick_value) {
    using T = decltype(quick_value);
    return quick && values[name].defaulted() ? quick_value
                                             : values[name].as<T>();
  };

  Options options;
  options.nodes = values["nodes"].as<std::size_t>();
  for (const auto& text :
       split(pick("ranges", std::string("50-100,150-300")), ',')) {
    options.ranges.push_back(parse_range(text));
  }
  options.trials = pick("trials", 3);
  std::string range_trials = values["range-trials"].as<std::string>();
  if (!quick && values["trials"].defaulted() &&
      values["range-trials"].defaulted()) {
    range_trials = "150-150=100";
  }
  for (const auto& item : split(range_trials, ',')) {
    const auto equals = item.find('=');
    if (equals == std::string::npos) {
      throw std::invalid_argument("--range-trials wants RANGE=N, got " +
                                  item);
    }
    options.range_trials[parse_range(item.substr(0, equals)).label()] =
        std::stoi(item.substr(equals + 1));
  }
  options.cap_ms = pick("cap-ms", 3000);
  options.out = values["out"].as<std::string>();
  options.etcd = values["etcd"].as<std::string>();
  options.etcd_path = values["etcd-path"].as<std::string>();
  options.raft_node = values["raft-node"].as<std::string>();
  options.data_root = values["data-root"].as<std::string>();
  options.unequal_share = values["unequal-share"].as<double>();
  options.unequal_entries = values["unequal-entries"].as<int>();
  options.seed = values.count("seed") ? values["seed"].as<std::uint64_t>()
                                      : std::random_device{}();
  options.gnuplot = values["gnuplot"].as<std::string>();
  if (values.count("plot-only")) {
    options.plot_only = values["plot-only"].as<std::string>();
  }

  const auto trials_of_300 = options.range_trials.count("150-300")
                                 ? options.range_trials.at("150-300")
                                 : options.trials;
  options.etcd_trials = values.count("etcd-trials")
                            ? values["etcd-trials"].as<int>()
                            : trials_of_300;

  if (options.etcd != "on" && options.etcd != "off" &&
      options.etcd != "auto") {
    throw std::invalid_argument("--etcd takes on, off or auto");
  }
  if (options.trials < 1 || options.cap_ms < 1 || options.nodes < 3 ||
      options.unequal_share < 0 || options.unequal_share > 1) {
    throw std::invalid_argument(
        "need --trials >= 1, --cap-ms >= 1, --nodes >= 3, "
        "0 <= --unequal-share <= 1");
  }
  return options;
}

std::string load_average() {
  std::ifstream file("/proc/loadavg");
  std::string one, five, fifteen;
  file >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M UTC", &utc);
  return text;
}

std::string host_description() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string model;
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return fmt::format("{} cores{}", std::thread::hardware_concurrency(),
                     model.empty() ? "" : ", " + model);
}

// Runs one range's trials into `done`, writing each to the CSV as it comes
// and a progress line every tenth of the way. What finished stays in `done`
// when a signal or a failed cluster ends the range early.
template <typename Bench>
void run_range(Bench& bench, int trials, std::FILE* csv,
               const std::string& name, std::vector<Trial>& done) {
  const int every = std::max(1, trials / 10);
  bench.run(trials, [&](const Trial& trial) {
    done.push_back(trial);
    write_csv_row(csv, trial);
    if (done.size() % every == 0 || static_cast<int>(done.size()) == trials) {
      const Summary so_far = summarize(done);
      fmt::print("  {} {}/{}: median {:.1f} ms, max {:.1f} ms, {} capped\n",
                 name, done.size(), trials, so_far.median, so_far.max,
                 so_far.capped);
      std::fflush(stdout);
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> parsed;
  try {
    parsed = parse_options(argc, argv);
  } catch (const std::exception& error) {
    fmt::print(stderr, "election_latency: {}\n", error.what());
    return 2;
  }
  if (!parsed) {
    return 0;
  }
  const Options& options = *parsed;
  install_stop_handlers();
  const std::string gnuplot =
      options.gnuplot == "off" ? "" : find_program(options.gnuplot);

  if (!options.plot_only.empty()) {
    try {
      std::filesystem::create_directories(options.out);
      fmt::print("{}\n", write_plot(options.out, "election_latency",
                                    read_csv(options.plot_only), gnuplot));
      return 0;
    } catch (const std::exception& error) {
      fmt::print(stderr, "election_latency: {}\n", error.what());
      return 1;
    }
  }

  std::filesystem::create_directories(options.out);
  const auto path = [&](const char* suffix) {
    return (options.out / (std::string("election_latency") + suffix)).string();
  };
  std::FILE* csv = std::fopen(path(".csv").c_str(), "w");
  if (csv == nullptr) {
    fmt::print(stderr, "election_latency: cannot write {}\n", path(".csv"));
    return 2;
  }
  write_csv_header(csv);

  RunInfo info;
  info.command = fmt::format("{}", fmt::join(argv, argv + argc, " "));
  info.started = utc_now();
  info.host = host_description();
  info.load_before = load_average();
  const auto data_root = options.data_root.empty()
                             ? std::filesystem::temp_directory_path()
                             : options.data_root;
  info.data_fs = fmt::format("{} ({}); every vote and term is fsynced there",
                             data_root.string(), filesystem_kind(data_root));
  info.seed = options.seed;
  info.cap_ms = options.cap_ms;

  std::vector<std::vector<Trial>> per_range;
  int failures = 0;
  bool interrupted = false;
  try {
    for (std::size_t i = 0; i < options.ranges.size(); ++i) {
      const Range& range = options.ranges[i];
      const auto it = options.range_trials.find(range.label());
      const int trials =
          it == options.range_trials.end() ? options.trials : it->second;
      fmt::print("raft {} ms, {} nodes, heartbeat {} ms: {} trials\n",
                 range.label(), options.nodes, range.heartbeat_ms(), trials);
      std::fflush(stdout);

      RaftSetup setup{options.raft_node,
                      options.nodes,
                      range,
                      std::chrono::milliseconds(options.cap_ms),
                      options.data_root,
                      options.unequal_share,
                      options.unequal_entries,
                      options.seed + 1000 * i};
      per_range.emplace_back();
      try {
        RaftBench bench(setup);
        run_range(bench, trials, csv, range.label(), per_range.back());
      } catch (const ClusterFailed& error) {
        ++failures;
        fmt::print(stderr, "raft {}: {}\n", range.label(), error.what());
      }
    }

    const std::string etcd = find_program(options.etcd_path);
    if (options.etcd == "off") {
      info.etcd_note = "not run (--etcd off)";
    } else if (etcd.empty()) {
      info.etcd_note = "not run: no etcd binary (Debian: etcd-server)";
      failures += options.etcd == "on" ? 1 : 0;
    } else {
      EtcdSetup setup;
      setup.program = etcd;
      setup.cap = std::chrono::milliseconds(options.cap_ms);
      setup.data_root = options.data_root;
      setup.seed = options.seed + 999'999;
      info.etcd_note = fmt::format(
          "{}, 3 members, --heartbeat-interval 30 --election-timeout 150 "
          "(random 150-300 ms in 30 ms ticks); timed from its zap log "
          "stamps (wall clock, whole ms, so about 1 ms precision) against "
          "a CLOCK_REALTIME kill time; 'raft.node: X elected leader Y' is "
          "its 'Following leader'; no writes, so equal logs",
          etcd);
      fmt::print("etcd 150-300 ms, 3 members: {} trials\n",
                 options.etcd_trials);
      per_range.emplace_back();
      try {
        EtcdBench bench(setup);
        run_range(bench, options.etcd_trials, csv, "etcd", per_range.back());
      } catch (const ClusterFailed& error) {
        ++failures;
        fmt::print(stderr, "etcd: {}\n", error.what());
      }
    }
  } catch (const Stopped&) {
    interrupted = true;
    fmt::print(stderr, "interrupted: writing what was measured\n");
  }
  std::fclose(csv);

  // Whatever was measured is reported, even after an interruption.
  info.load_after = load_average();
  std::vector<Summary> summaries;
  for (const auto& trials : per_range) {
    if (!trials.empty()) {
      summaries.push_back(summarize(trials));
    }
  }
  if (summaries.empty()) {
    fmt::print(stderr, "no trial finished\n");
    return interrupted ? 130 : 1;
  }
  const std::string plain = render_tables(summaries, info, false);
  fmt::print("\n{}", plain);
  std::ofstream(path(".txt")) << plain;
  std::ofstream(path(".md")) << render_tables(summaries, info, true);

  fmt::print("{}\nwrote {}, {}, {}\n",
             write_plot(options.out, "election_latency", per_range, gnuplot),
             path(".csv"), path(".md"), path(".txt"));
  if (interrupted) {
    return 130;
  }
  return failures == 0 ? 0 : 1;
}
