// Turning load results into rows, and rows into a console line, a CSV, a
// Markdown table with ours/etcd ratios, and a gnuplot chart (throughput
// against p99 latency, one line per value size).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "load.hpp"

namespace raft::bench::tp {

struct Row {
  std::string system;      // "raft" or "etcd"
  std::string durability;  // "on", "off-flag", "off-tmpfs"
  std::size_t clients = 0;
  std::size_t value_bytes = 0;
  double window_s = 0;
  std::uint64_t ops = 0;
  double ops_per_s = 0;
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  double max_us = 0;
  std::uint64_t errors = 0;
  std::uint64_t retries = 0;
  std::uint64_t redirects = 0;
  std::uint64_t reconnects = 0;
  double node_cpu_s = 0;     // the three members, inside the window
  double loadgen_cpu_s = 0;  // this process, inside the window
  long leader_peak_rss_kib = 0;
  // With several runs of a point: how many, and their lowest and highest
  // throughput (this row is the median run).
  int runs = 1;
  double ops_per_s_low = 0;
  double ops_per_s_high = 0;

  bool fsync_on() const { return durability == "on"; }
};

// The run with the median throughput (the lower middle one of an even
// count), with the count and the range of all of them filled in.
Row median_run(std::vector<Row> runs);

// Sorts `result.latencies_us` and fills a row from it.
Row summarize(std::string system, std::string durability,
              const LoadSpec& spec, LoadResult& result, double node_cpu_s,
              long leader_peak_rss_kib);

// One line for the console as a run finishes.
std::string format_progress(const Row& row);

void write_csv(const std::filesystem::path& path, const std::vector<Row>& rows);

// The table: one line per (fsync, size, clients) of ours, with etcd's
// matching run and the ratio ours/etcd of ops/s when there is one.
std::string markdown_table(const std::vector<Row>& rows);

// Writes `stem`.gp and runs gnuplot on it to make `stem`.svg and
// `stem`.png. Returns "" or what went wrong.
std::string write_plot(const std::filesystem::path& stem,
                       const std::vector<Row>& rows,
                       const std::string& gnuplot);

}  // namespace raft::bench::tp
