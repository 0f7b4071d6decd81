// log_fsync: what one append-and-fsync of the log costs, with the last
// segment zero-filled ahead of its records and without. No cluster, no
// network: LogStore alone on the disk under --dir, as a node's disk thread
// drives it (write a batch, then fdatasync).
//
//   log_fsync --dir /tmp --seconds 3 --rounds 3 --batch 32 --data-bytes 150
//
// The two ways alternate, each round on a fresh directory, so that a drift
// in the machine's speed falls on both alike.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "percentile.hpp"
#include "raft/storage/log_store.hpp"

namespace {

namespace fs = std::filesystem;
namespace po = boost::program_options;
using Clock = std::chrono::steady_clock;

struct Config {
  fs::path dir;
  double seconds = 3;
  int rounds = 3;
  std::size_t batch = 32;
  std::size_t data_bytes = 150;
};

struct Way {
  const char* name;
  std::uint64_t zero_fill_bytes;
};

constexpr Way ways[] = {
    {"zero-fill 1 MiB", raft::storage::default_zero_fill_bytes},
    {"grow the file", 0},
};

// Bounds a round whatever --seconds says, so a stalled disk cannot keep it
// running: at most this many batches.
constexpr std::size_t max_batches_per_round = 1'000'000;

struct Round {
  std::size_t batches = 0;
  double seconds = 0;
  std::vector<double> batch_us;  // write + fdatasync of each batch
};

double percentile(std::vector<double> values, double fraction) {
  std::sort(values.begin(), values.end());
  return raft::bench::nearest_rank(values, fraction);
}

Round run_round(const Config& config, const Way& way, int round) {
  std::random_device random;
  const fs::path dir =
      config.dir / fmt::format("raft-log-fsync-{}-{}-{}", random(), round,
                               way.zero_fill_bytes);
  Round result;
  {
    raft::storage::LogStore store(
        dir, raft::storage::default_segment_size_bytes, way.zero_fill_bytes);
    std::vector<raft::LogEntry> batch(config.batch);
    raft::Index next_index = 1;
    const std::string data(config.data_bytes, 'v');
    const auto deadline =
        Clock::now() + std::chrono::duration<double>(config.seconds);
    const auto start = Clock::now();
    while (Clock::now() < deadline &&
           result.batches < max_batches_per_round) {
      for (raft::LogEntry& entry : batch) {
        entry = raft::LogEntry{1, next_index++, raft::EntryType::command,
                               data};
      }
      const auto batch_start = Clock::now();
      store.write(batch);
      store.sync();
      result.batch_us.push_back(
          std::chrono::duration<double, std::micro>(Clock::now() -
                                                    batch_start)
              .count());
      ++result.batches;
    }
    result.seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
  }
  fs::remove_all(dir);
  return result;
}

Config parse(int argc, char** argv) {
  Config config;
  std::string dir;
  po::options_description options("log_fsync options");
  options.add_options()
      ("help,h", "show this help and exit")
      ("dir", po::value(&dir)->default_value("/tmp"),
       "where the fresh log directories are made (a disk, not tmpfs)")
      ("seconds", po::value(&config.seconds)->default_value(3),
       "seconds per round and way")
      ("rounds", po::value(&config.rounds)->default_value(3),
       "rounds; each runs both ways (1-20)")
      ("batch", po::value(&config.batch)->default_value(32),
       "entries per fsync (1-4096)")
      ("data-bytes", po::value(&config.data_bytes)->default_value(150),
       "bytes of data per entry (at most 1 MiB)");
  po::variables_map values;
  po::store(po::parse_command_line(argc, argv, options), values);
  if (values.count("help") != 0) {
    std::cout << options << '\n';
    std::exit(0);
  }
  po::notify(values);
  if (config.seconds <= 0 || config.seconds > 600 || config.rounds < 1 ||
      config.rounds > 20 || config.batch < 1 || config.batch > 4096 ||
      config.data_bytes > (1U << 20)) {
    throw std::invalid_argument(
        "out of range: --seconds 0-600, --rounds 1-20, --batch 1-4096, "
        "--data-bytes up to 1 MiB");
  }
  config.dir = dir;
  return config;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Config config = parse(argc, argv);
    fmt::print("log_fsync: batches of {} entries x {} B, {} s per way, "
               "{} rounds, in {}\n",
               config.batch, config.data_bytes, config.seconds,
               config.rounds, config.dir.string());
    fmt::print("{:<6} {:<16} {:>10} {:>12} {:>10} {:>10}\n", "round", "way",
               "fsyncs/s", "entries/s", "p50 us", "p99 us");
    std::vector<std::vector<double>> rates(std::size(ways));
    for (int round = 1; round <= config.rounds; ++round) {
      for (std::size_t way = 0; way < std::size(ways); ++way) {
        const Round result = run_round(config, ways[way], round);
        const double per_second = result.batches / result.seconds;
        rates[way].push_back(per_second);
        fmt::print("{:<6} {:<16} {:>10.0f} {:>12.0f} {:>10.1f} {:>10.1f}\n",
                   round, ways[way].name, per_second,
                   per_second * config.batch,
                   percentile(result.batch_us, 0.50),
                   percentile(result.batch_us, 0.99));
      }
    }
    const double median_zero_fill = percentile(rates[0], 0.5);
    const double median_grow = percentile(rates[1], 0.5);
    fmt::print("median fsyncs/s: {} {:.0f}, {} {:.0f}: zero-fill does "
               "{:.2f}x\n",
               ways[0].name, median_zero_fill, ways[1].name, median_grow,
               median_grow > 0 ? median_zero_fill / median_grow : 0.0);
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "log_fsync: " << error.what() << '\n';
    return 2;
  }
}
