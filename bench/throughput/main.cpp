// throughput: durable-write throughput and latency of a 3-node raft_node
// cluster on 127.0.0.1, with the same closed-loop load against etcd when it
// is installed. See run.sh for the full sweep.
//
//   throughput --clients 1,8,32,128,512 --sizes 16,100,1024,4096
//              --fsync on,off --duration 5 --warmup 1 --out results
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "child.hpp"
#include "clusters.hpp"
#include "load.hpp"
#include "report.hpp"

namespace {

namespace po = boost::program_options;
namespace tp = raft::bench::tp;
using std::chrono::milliseconds;

struct Config {
  std::string raft_node;
  std::string etcd;
  std::string gnuplot;
  std::vector<std::string> systems;
  std::vector<std::size_t> clients;
  std::vector<std::size_t> sizes;
  std::vector<std::string> fsync_modes;
  milliseconds duration{5000};
  milliseconds warmup{1000};
  milliseconds startup_timeout{15000};
  std::filesystem::path out;
  std::string name;
  std::filesystem::path data_root;
  std::string command_line;
  bool show_pids = false;
  // Runs per point; the one with the median throughput is reported.
  int repeat = 1;
};

// One point of the sweep.
struct Point {
  std::string system;
  tp::Durability durability = tp::Durability::fsync_on;
  std::size_t clients = 0;
  std::size_t value_bytes = 0;
};

template <typename T>
std::vector<T> split_list(const std::string& text) {
  std::vector<T> items;
  std::stringstream in(text);
  std::string item;
  for (int count = 0; count < 1000 && std::getline(in, item, ','); ++count) {
    std::stringstream parse(item);
    T value{};
    if (!(parse >> value)) {
      throw po::error("bad list item '" + item + "' in '" + text + "'");
    }
    items.push_back(value);
  }
  return items;
}

milliseconds seconds_flag(double seconds) {
  return milliseconds(static_cast<long>(seconds * 1000));
}

std::optional<Config> parse(int argc, char** argv) {
  Config config;
  std::string systems, clients, sizes, fsync, out, data_root;
  double duration = 5, warmup = 1, startup = 15;

  po::options_description flags("throughput options");
  flags.add_options()
    ("help,h", "show this help and exit")
    ("raft-node", po::value(&config.raft_node)->default_value(RAFT_NODE_PATH),
     "the raft_node program (use a release build)")
    ("etcd", po::value(&config.etcd)->default_value("/usr/bin/etcd"),
     "the etcd program; etcd runs are skipped if it is missing")
    ("gnuplot", po::value(&config.gnuplot)->default_value("/usr/bin/gnuplot"),
     "gnuplot for the chart; none if missing or ''")
    ("systems", po::value(&systems)->default_value("raft,etcd"),
     "raft, etcd or both")
    ("clients", po::value(&clients)->default_value("1,8,32,128,512"),
     "concurrent closed-loop clients, a list")
    ("sizes", po::value(&sizes)->default_value("16,100,1024,4096"),
     "value sizes in bytes, a list")
    ("fsync", po::value(&fsync)->default_value("on,off"),
     "on, off or both (off: etcd --unsafe-no-fsync; raft_node "
     "--unsafe-no-fsync if it has it, else data on tmpfs)")
    ("duration", po::value(&duration)->default_value(5),
     "measured seconds per point")
    ("warmup", po::value(&warmup)->default_value(1),
     "seconds of load before measuring")
    ("startup-timeout", po::value(&startup)->default_value(15),
     "seconds a cluster may take to agree on a leader")
    ("out", po::value(&out)->default_value("."),
     "directory for NAME.csv, NAME.md, NAME.svg, NAME.png")
    ("name", po::value(&config.name)->default_value("throughput"),
     "file name stem of the results")
    ("data-root", po::value(&data_root)->default_value(
         std::filesystem::temp_directory_path().string()),
     "where fresh data directories are made (a disk, for fsync on)")
    ("repeat", po::value(&config.repeat)->default_value(1),
     "runs per point, each on a fresh cluster (1-9); the run with the "
     "median throughput is reported, with the lowest and highest beside it")
    ("show-pids", po::bool_switch(&config.show_pids),
     "print each cluster's PIDs (leader first) once it is up, for perf -p");

  po::variables_map vm;
  po::store(po::parse_command_line(argc, argv, flags), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << flags << "\n";
    return std::nullopt;
  }

  config.systems = split_list<std::string>(systems);
  config.clients = split_list<std::size_t>(clients);
  config.sizes = split_list<std::size_t>(sizes);
  config.fsync_modes = split_list<std::string>(fsync);
  if (config.repeat < 1 || config.repeat > 9) {
    throw po::error("--repeat must be from 1 to 9");
  }
  config.duration = seconds_flag(duration);
  config.warmup = seconds_flag(warmup);
  config.startup_timeout = seconds_flag(startup);
  config.out = out;
  config.data_root = data_root;
  for (int i = 0; i < argc; ++i) {
    config.command_line += i == 0 ? "" : " ";
    config.command_line += argv[i];
  }
  return config;
}

bool executable(const std::string& path) {
  return !path.empty() && ::access(path.c_str(), X_OK) == 0;
}

double cpu_of(const std::vector<pid_t>& pids) {
  double sum = 0;
  for (const pid_t pid : pids) {
    sum += tp::process_cpu_seconds(pid);
  }
  return sum;
}

std::unique_ptr<tp::ClusterBase> start_cluster(const Config& config,
                                               const Point& point) {
  if (point.system == "raft") {
    return std::make_unique<tp::RaftCluster>(
        config.raft_node, point.durability, config.data_root,
        config.startup_timeout);
  }
  return std::make_unique<tp::EtcdCluster>(config.etcd, point.durability,
                                           config.data_root,
                                           config.startup_timeout);
}

tp::Row run_point(const Config& config, const Point& point, int number) {
  auto cluster = start_cluster(config, point);

  tp::LoadSpec spec;
  spec.protocol = point.system == "raft" ? tp::Protocol::raft_json
                                         : tp::Protocol::etcd_http;
  spec.port = cluster->leader_port();
  spec.clients = point.clients;
  spec.value_bytes = point.value_bytes;
  spec.warmup = config.warmup;
  spec.duration = config.duration;
  spec.run_tag = fmt::format("{}-{}", ::getpid(), number);

  const auto pids = cluster->pids();
  if (config.show_pids) {
    fmt::print("pids: leader {} all {}\n", cluster->leader_pid(),
               fmt::join(pids, ","));
    std::fflush(stdout);
  }
  double cpu_open = 0;
  double cpu_close = 0;
  const tp::WindowHooks hooks{[&] { cpu_open = cpu_of(pids); },
                              [&] { cpu_close = cpu_of(pids); }};
  tp::LoadResult result = tp::run_load(spec, hooks);

  cluster->check_running();
  const long rss = tp::peak_rss_kib(cluster->leader_pid());
  return tp::summarize(point.system, tp::to_string(point.durability), spec,
                       result, cpu_close - cpu_open, rss);
}

// The points in run order: each raft point right before its etcd twin, so
// both see the machine in the same state.
std::vector<Point> plan(const Config& config, bool etcd_ok,
                        bool raft_has_flag) {
  std::vector<Point> points;
  for (const std::string& mode : config.fsync_modes) {
    const bool on = mode == "on";
    for (const std::size_t size : config.sizes) {
      for (const std::size_t clients : config.clients) {
        for (const std::string& system : config.systems) {
          if (system == "etcd" && !etcd_ok) {
            continue;
          }
          auto durability = tp::Durability::fsync_on;
          if (!on) {
            durability = system == "etcd" || raft_has_flag
                             ? tp::Durability::off_flag
                             : tp::Durability::off_tmpfs;
          }
          points.push_back({system, durability, clients, size});
        }
      }
    }
  }
  return points;
}

std::string machine_line() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  std::string model = "?";
  for (int n = 0; n < 100'000 && std::getline(cpuinfo, line); ++n) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return fmt::format("{} cores, {}", ::sysconf(_SC_NPROCESSORS_ONLN), model);
}

void write_markdown(const Config& config, const std::vector<tp::Row>& rows,
                    const std::filesystem::path& path) {
  std::ofstream out(path);
  out << "Command: `" << config.command_line << "`\n\n"
      << "Machine: " << machine_line() << "\n\n"
      << "Each point: a fresh 3-member cluster on 127.0.0.1, "
      << config.warmup.count() << " ms warm-up, " << config.duration.count()
      << " ms measured"
      << (config.repeat > 1
              ? fmt::format("; {} runs, the median shown with the lowest and "
                            "highest ops/s in brackets",
                            config.repeat)
              : std::string())
      << ". Ours: newline-delimited JSON puts on one TCP "
         "connection per client. etcd: POST /v3/kv/put on its JSON gateway, "
         "HTTP/1.1 keep-alive, one connection per client.\n\n"
      << tp::markdown_table(rows);
}

void write_results(const Config& config, const std::vector<tp::Row>& rows) {
  const auto stem = config.out / config.name;
  tp::write_csv(stem.string() + ".csv", rows);
  write_markdown(config, rows, stem.string() + ".md");
}

int sweep(const Config& config) {
  const bool etcd_ok = executable(config.etcd);
  const bool wants_etcd =
      std::count(config.systems.begin(), config.systems.end(), "etcd") > 0;
  if (wants_etcd && !etcd_ok) {
    fmt::print("etcd not found at {}: etcd runs skipped\n", config.etcd);
  }
  const bool raft_has_flag = tp::raft_node_has_no_fsync_flag(config.raft_node);
  std::filesystem::create_directories(config.out);

  std::vector<tp::Row> rows;
  int failures = 0;
  const auto points = plan(config, etcd_ok, raft_has_flag);
  for (std::size_t i = 0; i < points.size(); ++i) {
    tp::throw_if_interrupted();
    try {
      std::vector<tp::Row> runs;
      for (int run = 0; run < config.repeat; ++run) {
        runs.push_back(run_point(config, points[i], static_cast<int>(i)));
        fmt::print("[{}/{}]{} {}\n", i + 1, points.size(),
                   config.repeat > 1
                       ? fmt::format(" run {}/{}", run + 1, config.repeat)
                       : std::string(),
                   tp::format_progress(runs.back()));
        std::fflush(stdout);
      }
      rows.push_back(tp::median_run(std::move(runs)));
      write_results(config, rows);
    } catch (const tp::Interrupted&) {
      throw;
    } catch (const std::exception& error) {
      ++failures;
      fmt::print("[{}/{}] {} C={} S={} failed: {}\n", i + 1, points.size(),
                 points[i].system, points[i].clients, points[i].value_bytes,
                 error.what());
    }
    std::fflush(stdout);
  }

  write_results(config, rows);
  fmt::print("\n{}\n", tp::markdown_table(rows));
  if (executable(config.gnuplot) && !rows.empty()) {
    const std::string problem =
        tp::write_plot(config.out / config.name, rows, config.gnuplot);
    fmt::print("{}\n", problem.empty() ? "chart written" : problem);
  }
  fmt::print("results in {}/{}.{{csv,md,svg,png}}\n", config.out.string(),
             config.name);
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  tp::install_signal_cleanup();

  std::optional<Config> config;
  try {
    config = parse(argc, argv);
  } catch (const po::error& error) {
    fmt::print(stderr, "throughput: {}\n", error.what());
    return 2;
  }
  if (!config) {
    return 0;
  }

  try {
    return sweep(*config);
  } catch (const tp::Interrupted&) {
    fmt::print(stderr, "throughput: interrupted; every node stopped\n");
    return 130;
  } catch (const std::exception& error) {
    fmt::print(stderr, "throughput: {}\n", error.what());
    return 1;
  }
}
