#include "report.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "child.hpp"
#include "percentile.hpp"

namespace raft::bench::tp {

namespace {

double ms(double us) { return us / 1000.0; }

const Row* find_etcd(const std::vector<Row>& rows, const Row& ours) {
  for (const Row& row : rows) {
    if (row.system == "etcd" && row.fsync_on() == ours.fsync_on() &&
        row.clients == ours.clients && row.value_bytes == ours.value_bytes) {
      return &row;
    }
  }
  return nullptr;
}

// Ops/s, and the range over the runs when there were several.
std::string throughput_cell(const Row& row) {
  if (row.runs <= 1) {
    return fmt::format("{:.0f}", row.ops_per_s);
  }
  return fmt::format("{:.0f} ({:.0f}-{:.0f})", row.ops_per_s,
                     row.ops_per_s_low, row.ops_per_s_high);
}

std::string table_line(const Row& ours, const Row* etcd) {
  const double cpu_us_per_op =
      ours.ops > 0 ? ours.node_cpu_s * 1e6 / static_cast<double>(ours.ops) : 0;
  const double loadgen_share =
      ours.window_s > 0 ? 100 * ours.loadgen_cpu_s / ours.window_s : 0;
  std::string line = fmt::format(
      "| {} | {} | {} | {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.0f} | "
      "{:.0f}% | {:.1f} | {} |",
      ours.durability, ours.value_bytes, ours.clients, throughput_cell(ours),
      ms(ours.p50_us), ms(ours.p99_us), ms(ours.p999_us), ms(ours.max_us),
      cpu_us_per_op, loadgen_share, ours.leader_peak_rss_kib / 1024.0,
      ours.errors);
  if (etcd == nullptr) {
    return line + " | | | |\n";
  }
  const double ratio =
      etcd->ops_per_s > 0 ? ours.ops_per_s / etcd->ops_per_s : 0;
  return line + fmt::format(" {} | {:.2f} | {:.2f} | **{:.2f}** |\n",
                            throughput_cell(*etcd), ms(etcd->p50_us),
                            ms(etcd->p99_us), ratio);
}

// etcd rows that no raft row matched (an etcd-only run).
std::string etcd_only_lines(const std::vector<Row>& rows) {
  std::string text;
  for (const Row& row : rows) {
    if (row.system != "etcd") {
      continue;
    }
    const bool matched = std::any_of(rows.begin(), rows.end(), [&](auto& r) {
      return r.system == "raft" && r.fsync_on() == row.fsync_on() &&
             r.clients == row.clients && r.value_bytes == row.value_bytes;
    });
    if (!matched) {
      text += fmt::format("| {} | {} | {} | | | | | | | | | | {:.0f} | {:.2f} "
                          "| {:.2f} | |\n",
                          row.durability, row.value_bytes, row.clients,
                          row.ops_per_s, ms(row.p50_us), ms(row.p99_us));
    }
  }
  return text;
}

// Datablock name for one line of the chart.
std::string block_name(const Row& row) {
  return fmt::format("${}_{}_{}", row.system, row.fsync_on() ? "on" : "off",
                     row.value_bytes);
}

std::string datablocks(const std::vector<Row>& rows) {
  std::map<std::string, std::vector<const Row*>> blocks;
  for (const Row& row : rows) {
    if (row.ops > 0) {
      blocks[block_name(row)].push_back(&row);
    }
  }
  std::string text;
  for (auto& [name, members] : blocks) {
    std::sort(members.begin(), members.end(),
              [](auto* a, auto* b) { return a->clients < b->clients; });
    text += name + " << EOD\n";
    for (const Row* row : members) {
      text += fmt::format("{:.1f} {:.3f} {}\n", row->ops_per_s,
                          ms(row->p99_us), row->clients);
    }
    text += "EOD\n";
  }
  return text;
}

// The plot commands of one panel (fsync on or off).
std::string panel(const std::vector<Row>& rows, bool fsync_on) {
  std::set<std::size_t> sizes;
  std::vector<std::string> systems;
  for (const Row& row : rows) {
    if (row.fsync_on() == fsync_on && row.ops > 0) {
      sizes.insert(row.value_bytes);
      if (std::find(systems.begin(), systems.end(), row.system) ==
          systems.end()) {
        systems.push_back(row.system);  // ours first: it runs first
      }
    }
  }

  std::string plots;
  int color = 0;
  for (const std::size_t size : sizes) {
    ++color;
    for (const std::string& system : systems) {
      Row key;
      key.system = system;
      key.durability = fsync_on ? "on" : "off";
      key.value_bytes = size;
      const bool raft = system == "raft";
      plots += fmt::format(
          "{}{} using 1:2 with linespoints lc {} dt {} pt {} ps 0.8 "
          "lw 1.5 title '{} {} B'",
          plots.empty() ? "" : ", \\\n  ", block_name(key), color,
          raft ? 1 : 2, raft ? 7 : 6, raft ? "ours" : "etcd", size);
    }
  }
  return fmt::format("set title 'fsync {}: p99 latency vs throughput "
                     "(points: 1, 8, 32, 128, 512 clients)'\n"
                     "plot {}\n",
                     fsync_on ? "on" : "off", plots);
}

std::string plot_body(const std::vector<Row>& rows) {
  const bool any_on = std::any_of(rows.begin(), rows.end(),
                                  [](auto& r) { return r.fsync_on(); });
  const bool any_off = std::any_of(rows.begin(), rows.end(),
                                   [](auto& r) { return !r.fsync_on(); });
  std::string body = fmt::format(
      "set multiplot layout 1,{}\n"
      "set logscale xy\nset grid\nset key top left font ',9'\n"
      "set xlabel 'writes/s (3 nodes, 127.0.0.1)'\n"
      "set ylabel 'p99 latency (ms)'\n",
      any_on && any_off ? 2 : 1);
  if (any_on) {
    body += panel(rows, true);
  }
  if (any_off) {
    body += panel(rows, false);
  }
  return body + "unset multiplot\n";
}

}  // namespace

Row summarize(std::string system, std::string durability,
              const LoadSpec& spec, LoadResult& result, double node_cpu_s,
              long leader_peak_rss_kib) {
  auto& samples = result.latencies_us;
  std::sort(samples.begin(), samples.end());

  Row row;
  row.system = std::move(system);
  row.durability = std::move(durability);
  row.clients = spec.clients;
  row.value_bytes = spec.value_bytes;
  row.window_s = result.window_s;
  row.ops = samples.size();
  row.ops_per_s = result.window_s > 0
                      ? static_cast<double>(row.ops) / result.window_s
                      : 0;
  row.p50_us = nearest_rank(samples, 0.50);
  row.p90_us = nearest_rank(samples, 0.90);
  row.p99_us = nearest_rank(samples, 0.99);
  row.p999_us = nearest_rank(samples, 0.999);
  row.max_us = samples.empty() ? 0 : samples.back();
  row.errors = result.errors;
  row.retries = result.retries;
  row.redirects = result.redirects;
  row.reconnects = result.reconnects;
  row.node_cpu_s = node_cpu_s;
  row.loadgen_cpu_s = result.loadgen_cpu_s;
  row.leader_peak_rss_kib = leader_peak_rss_kib;
  return row;
}

Row median_run(std::vector<Row> runs) {
  assert(!runs.empty());
  std::sort(runs.begin(), runs.end(), [](const Row& a, const Row& b) {
    return a.ops_per_s < b.ops_per_s;
  });
  Row median = runs[(runs.size() - 1) / 2];
  median.runs = static_cast<int>(runs.size());
  median.ops_per_s_low = runs.front().ops_per_s;
  median.ops_per_s_high = runs.back().ops_per_s;
  return median;
}

std::string format_progress(const Row& row) {
  return fmt::format(
      "{:<4} fsync {:<9} S={:<4} C={:<3} {:>8.0f} ops/s  p50 {:>7.2f} ms  "
      "p99 {:>7.2f} ms  max {:>7.2f} ms  nodes {:.2f} cpu-s  load {:.2f} "
      "cpu-s  rss {:.1f} MiB  err {} retry {}",
      row.system, row.durability, row.value_bytes, row.clients, row.ops_per_s,
      ms(row.p50_us), ms(row.p99_us), ms(row.max_us), row.node_cpu_s,
      row.loadgen_cpu_s, row.leader_peak_rss_kib / 1024.0, row.errors,
      row.retries);
}

void write_csv(const std::filesystem::path& path,
               const std::vector<Row>& rows) {
  std::ofstream out(path);
  out << "system,fsync,clients,value_bytes,window_s,ops,ops_per_s,p50_us,"
         "p90_us,p99_us,p999_us,max_us,errors,retries,redirects,reconnects,"
         "node_cpu_s,node_cpu_us_per_op,loadgen_cpu_s,leader_peak_rss_kib,"
         "runs,ops_per_s_low,ops_per_s_high\n";
  for (const Row& row : rows) {
    const double per_op =
        row.ops > 0 ? row.node_cpu_s * 1e6 / static_cast<double>(row.ops) : 0;
    out << fmt::format(
        "{},{},{},{},{:.3f},{},{:.1f},{:.0f},{:.0f},{:.0f},{:.0f},{:.0f},{},"
        "{},{},{},{:.2f},{:.1f},{:.2f},{},{},{:.1f},{:.1f}\n",
        row.system, row.durability, row.clients, row.value_bytes,
        row.window_s, row.ops, row.ops_per_s, row.p50_us, row.p90_us,
        row.p99_us, row.p999_us, row.max_us, row.errors, row.retries,
        row.redirects, row.reconnects, row.node_cpu_s, per_op,
        row.loadgen_cpu_s, row.leader_peak_rss_kib, row.runs,
        row.ops_per_s_low, row.ops_per_s_high);
  }
  if (!out) {
    throw std::runtime_error("could not write " + path.string());
  }
}

std::string markdown_table(const std::vector<Row>& rows) {
  std::string text =
      "| fsync | value B | clients | ops/s | p50 ms | p99 ms | p99.9 ms | "
      "max ms | node CPU µs/op | loadgen CPU | leader peak RSS MiB | errors "
      "| etcd ops/s | etcd p50 ms | etcd p99 ms | ours/etcd |\n"
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
      "|---:|---:|\n";
  for (const Row& row : rows) {
    if (row.system == "raft") {
      text += table_line(row, find_etcd(rows, row));
    }
  }
  return text + etcd_only_lines(rows);
}

std::string write_plot(const std::filesystem::path& stem,
                       const std::vector<Row>& rows,
                       const std::string& gnuplot) {
  const std::string body = plot_body(rows);
  std::filesystem::path script = stem;
  script += ".gp";
  {
    std::ofstream out(script);
    out << datablocks(rows)
        << fmt::format("set terminal svg size 1400,560 dynamic "
                       "font 'sans,11'\nset output '{}.svg'\n{}",
                       stem.string(), body)
        << fmt::format("set terminal pngcairo size 1400,560 "
                       "font 'sans,10'\nset output '{}.png'\n{}",
                       stem.string(), body);
  }

  std::filesystem::path log = stem;
  log += ".gnuplot.log";
  Child child(gnuplot, {script.string()}, log);
  if (!child.wait_exit(std::chrono::seconds(30))) {
    return "gnuplot did not finish in 30 s";
  }
  const std::string said = child.log_tail();
  if (!said.empty()) {
    return "gnuplot said: " + said;
  }
  std::filesystem::remove(log);
  return "";
}

}  // namespace raft::bench::tp
