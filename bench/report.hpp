// The benchmark's outputs: a CSV row per trial, a table per range beside
// the paper's figures, and a gnuplot script drawing Figure 16's two panels.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bench_common.hpp"

namespace raft::bench {

// Order statistics of one range's downtimes. Capped trials count at the
// cap, so a statistic that reaches a capped trial is only a lower bound.
struct Summary {
  std::string system;
  std::size_t nodes = 0;
  Range range;
  std::size_t trials = 0;
  double min = 0, median = 0, mean = 0, p90 = 0, p99 = 0, max = 0;
  // Whether each of the six above is a lower bound.
  bool min_capped = false, median_capped = false, mean_capped = false,
       p90_capped = false, p99_capped = false, max_capped = false;
  double split_share = 0;
  double unequal_share = 0;
  std::size_t capped = 0;
  double mean_rounds = 0;
  double median_leader = 0;
  double median_majority = 0;
  std::optional<double> median_equal;
  std::optional<double> median_unequal;
};

Summary summarize(const std::vector<Trial>& trials);

// The paper's values for a range (five servers, 1,000 trials), read from
// its published plot: "min / median / mean / p90 / p99 / max", or "".
std::string paper_values(const Range& range);

// What the run was, for the head of the table.
struct RunInfo {
  std::string command;
  std::string started;
  std::string host;
  std::string load_before;
  std::string load_after;
  std::string data_fs;
  std::string etcd_note;
  std::uint64_t seed = 0;
  int cap_ms = 0;
};

void write_csv_header(std::FILE* file);
void write_csv_row(std::FILE* file, const Trial& trial);

// Reads a CSV this program wrote back into trials, one list per system and
// range in the order they first appear. Throws std::runtime_error.
std::vector<std::vector<Trial>> read_csv(const std::filesystem::path& path);

// Both tables and the targets, as Markdown (for the README) or as aligned
// plain text (stdout and the .txt file).
std::string render_tables(const std::vector<Summary>& summaries,
                          const RunInfo& info, bool markdown);

// Writes <base>_cdf.dat and <base>.gp; runs gnuplot on it when `gnuplot`
// is not empty, making <base>.svg and <base>.png. Returns what it did.
std::string write_plot(const std::filesystem::path& dir,
                       const std::string& base,
                       const std::vector<std::vector<Trial>>& per_range,
                       const std::string& gnuplot);

}  // namespace raft::bench
