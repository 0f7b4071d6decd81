#include "report.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <numeric>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "percentile.hpp"

namespace raft::bench {

namespace {

std::optional<double> median_of(std::vector<double> values) {
  if (values.empty()) {
    return std::nullopt;
  }
  std::sort(values.begin(), values.end());
  return nearest_rank(values, 0.5);
}

std::string ms(double value, bool lower_bound) {
  return fmt::format("{}{:.1f}", lower_bound ? ">=" : "", value);
}

std::string optional_ms(const std::optional<double>& value) {
  return value ? fmt::format("{:.1f}", *value) : "-";
}

std::string percent(double share) {
  return fmt::format("{:.0f}%", 100 * share);
}

using Rows = std::vector<std::vector<std::string>>;

std::string render_rows(const Rows& rows, bool markdown) {
  std::vector<std::size_t> widths(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }

  std::string text;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::string line = markdown ? "|" : "";
    for (std::size_t i = 0; i < rows[r].size(); ++i) {
      line += markdown ? fmt::format(" {:<{}} |", rows[r][i], widths[i])
                       : fmt::format("{:<{}}  ", rows[r][i], widths[i]);
    }
    text += line + "\n";
    if (r == 0) {
      std::string rule = markdown ? "|" : "";
      for (const std::size_t width : widths) {
        rule += markdown ? std::string(width + 2, '-') + "|"
                         : std::string(width, '-') + "  ";
      }
      text += rule + "\n";
    }
  }
  return text;
}

const Summary* find(const std::vector<Summary>& summaries,
                    const std::string& system, const Range& range) {
  for (const Summary& summary : summaries) {
    if (summary.system == system && summary.range == range) {
      return &summary;
    }
  }
  return nullptr;
}

std::string target_line(const char* what, double value, bool lower_bound,
                        double limit) {
  const bool met = !lower_bound && value < limit;
  return fmt::format("{} {} ms (target < {:.0f}): {}", what,
                     ms(value, lower_bound), limit, met ? "met" : "MISSED");
}

}  // namespace

Summary summarize(const std::vector<Trial>& trials) {
  Summary s;
  if (trials.empty()) {
    return s;
  }
  s.system = trials.front().system;
  s.nodes = trials.front().nodes;
  s.range = trials.front().range;
  s.trials = trials.size();

  std::vector<double> all, leader, majority, equal, unequal;
  double cap = 0;
  std::size_t splits = 0, lagging = 0;
  int rounds = 0;
  for (const Trial& t : trials) {
    all.push_back(t.downtime_ms);
    leader.push_back(t.leader_ms);
    majority.push_back(t.majority_ms);
    (t.unequal_logs ? unequal : equal).push_back(t.downtime_ms);
    if (t.capped) {
      ++s.capped;
      cap = t.downtime_ms;
    }
    splits += t.split_vote ? 1 : 0;
    lagging += t.unequal_logs ? 1 : 0;
    rounds += t.rounds;
  }
  std::sort(all.begin(), all.end());
  const auto capped = [&](double value) {
    return s.capped > 0 && value >= cap;
  };

  s.min = all.front();
  s.median = nearest_rank(all, 0.5);
  s.mean = std::accumulate(all.begin(), all.end(), 0.0) / all.size();
  s.p90 = nearest_rank(all, 0.9);
  s.p99 = nearest_rank(all, 0.99);
  s.max = all.back();
  s.min_capped = capped(s.min);
  s.median_capped = capped(s.median);
  s.mean_capped = s.capped > 0;
  s.p90_capped = capped(s.p90);
  s.p99_capped = capped(s.p99);
  s.max_capped = capped(s.max);

  const auto n = static_cast<double>(trials.size());
  s.split_share = splits / n;
  s.unequal_share = lagging / n;
  s.mean_rounds = rounds / n;
  s.median_leader = *median_of(leader);
  s.median_majority = *median_of(majority);
  s.median_equal = median_of(equal);
  s.median_unequal = median_of(unequal);
  return s;
}

std::string paper_values(const Range& range) {
  static const std::map<std::string, std::string> paper{
      {"150-150", "every election > 10 s (100 trials)"},
      {"150-151", "86 / 1199 / 1537 / 3132 / 6013 / 8231"},
      {"150-155", "85 / 287 / 345 / 609 / 1242 / 2143"},
      {"150-175", "84 / 141 / 164 / 291 / 467 / 610"},
      {"150-200", "87 / 146 / 156 / 194 / 352 / 512"},
      {"150-300", "93 / 171 / 181 / 244 / 415 / 603"},
      {"12-24", "15 / 30 / 35 / 53 / 87 / 152"},
      {"25-50", "24 / 43 / 48 / 74 / 119 / 276"},
      {"50-100", "37 / 67 / 71 / 96 / 169 / 253"},
      {"100-200", "66 / 120 / 125 / 166 / 277 / 335"},
  };
  const auto it = paper.find(range.label());
  return it == paper.end() ? "" : it->second;
}

void write_csv_header(std::FILE* file) {
  std::fputs(
      "system,nodes,range,min_timeout_ms,max_timeout_ms,trial,downtime_ms,"
      "majority_ms,leader_ms,old_term,new_term,terms_used,rounds,split_vote,"
      "unequal_logs,capped,old_leader,new_leader\n",
      file);
}

void write_csv_row(std::FILE* file, const Trial& t) {
  const auto yes_no = [](bool value) { return value ? "yes" : "no"; };
  fmt::print(file,
             "{},{},{},{},{},{},{:.3f},{:.3f},{:.3f},{},{},{},{},{},{},{},{},"
             "{}\n",
             t.system, t.nodes, t.range.label(), t.range.min_ms,
             t.range.max_ms, t.index, t.downtime_ms, t.majority_ms,
             t.leader_ms, t.old_term, t.new_term, t.new_term - t.old_term,
             t.rounds, yes_no(t.split_vote), yes_no(t.unequal_logs),
             yes_no(t.capped), t.old_leader, t.new_leader);
  std::fflush(file);
}

std::vector<std::vector<Trial>> read_csv(const std::filesystem::path& path) {
  std::ifstream file(path);
  std::string line;
  if (!file || !std::getline(file, line) || line.rfind("system,", 0) != 0) {
    throw std::runtime_error("not an election_latency CSV: " + path.string());
  }

  std::vector<std::vector<Trial>> groups;
  std::map<std::string, std::size_t> group_of;
  // Bounded by the file, and by a count no real run comes near.
  for (int row = 0; row < 10'000'000 && std::getline(file, line); ++row) {
    std::vector<std::string> cells;
    std::stringstream stream(line);
    for (std::string cell; std::getline(stream, cell, ',');) {
      cells.push_back(cell);
    }
    if (!line.empty() && line.back() == ',') {
      cells.emplace_back();  // getline drops an empty last cell
    }
    if (cells.size() < 18) {
      throw std::runtime_error("short row in " + path.string() + ": " + line);
    }
    Trial t;
    t.system = cells[0];
    t.nodes = std::stoul(cells[1]);
    t.range = parse_range(cells[2]);
    t.index = std::stoi(cells[5]);
    t.downtime_ms = std::stod(cells[6]);
    t.majority_ms = std::stod(cells[7]);
    t.leader_ms = std::stod(cells[8]);
    t.old_term = std::stoull(cells[9]);
    t.new_term = std::stoull(cells[10]);
    t.rounds = std::stoi(cells[12]);
    t.split_vote = cells[13] == "yes";
    t.unequal_logs = cells[14] == "yes";
    t.capped = cells[15] == "yes";
    t.old_leader = cells[16];
    t.new_leader = cells[17];

    const std::string key = t.system + " " + cells[1] + " " + cells[2];
    const auto [it, fresh] = group_of.try_emplace(key, groups.size());
    if (fresh) {
      groups.emplace_back();
    }
    groups[it->second].push_back(std::move(t));
  }
  return groups;
}

std::string render_tables(const std::vector<Summary>& summaries,
                          const RunInfo& info, bool markdown) {
  std::string text;
  const std::string heading = markdown ? "### " : "== ";

  text += heading +
          "Election latency: time without a leader after killing it (ms)\n\n";
  Rows main{{"system", "nodes", "range (ms)", "trials", "min", "median",
             "mean", "p90", "p99", "max", "split votes",
             "paper: min / median / mean / p90 / p99 / max"}};
  for (const Summary& s : summaries) {
    main.push_back({s.system, std::to_string(s.nodes), s.range.label(),
                    std::to_string(s.trials), ms(s.min, s.min_capped),
                    ms(s.median, s.median_capped), ms(s.mean, s.mean_capped),
                    ms(s.p90, s.p90_capped), ms(s.p99, s.p99_capped),
                    ms(s.max, s.max_capped), percent(s.split_share),
                    s.system == "raft" ? paper_values(s.range) : ""});
  }
  text += render_rows(main, markdown) + "\n";

  text += heading + "Where the time goes (medians, ms from the kill)\n\n";
  Rows parts{{"system", "range (ms)", "leader elected", "majority follows",
              "all follow", "equal logs", "unequal logs", "unequal share",
              "mean rounds", "capped"}};
  for (const Summary& s : summaries) {
    parts.push_back({s.system, s.range.label(),
                     fmt::format("{:.1f}", s.median_leader),
                     fmt::format("{:.1f}", s.median_majority),
                     ms(s.median, s.median_capped),
                     optional_ms(s.median_equal),
                     optional_ms(s.median_unequal), percent(s.unequal_share),
                     fmt::format("{:.2f}", s.mean_rounds),
                     std::to_string(s.capped)});
  }
  text += render_rows(parts, markdown) + "\n";

  text += heading + "Targets (issue 5)\n\n";
  const std::string bullet = markdown ? "- " : "  ";
  if (const Summary* s = find(summaries, "raft", Range{150, 300})) {
    text += bullet + target_line("150-300 median", s->median,
                                 s->median_capped, 150) + "\n";
    text += bullet + target_line("150-300 p99", s->p99, s->p99_capped, 250) +
            "\n";
  }
  if (const Summary* s = find(summaries, "raft", Range{12, 24})) {
    text += bullet + target_line("12-24 mean", s->mean, s->mean_capped, 25) +
            "\n";
    text += bullet + target_line("12-24 max", s->max, s->max_capped, 80) +
            "\n";
  }
  text += "\n";

  text += heading + "How this was run\n\n";
  const std::vector<std::pair<std::string, std::string>> facts{
      {"command", info.command},
      {"started", info.started},
      {"host", info.host},
      {"load average before / after", info.load_before + " / " +
                                          info.load_after},
      {"nodes' data directories", info.data_fs},
      {"cap per trial", fmt::format("{} ms (a capped trial counts at the "
                                    "cap; '>=' marks a lower bound)",
                                    info.cap_ms)},
      {"seed", std::to_string(info.seed)},
      {"etcd", info.etcd_note},
  };
  for (const auto& [name, value] : facts) {
    text += bullet + name + ": " + value + "\n";
  }
  return text;
}

std::string write_plot(const std::filesystem::path& dir,
                       const std::string& base,
                       const std::vector<std::vector<Trial>>& per_range,
                       const std::string& gnuplot) {
  const auto data_path = dir / (base + "_cdf.dat");
  const auto script_path = dir / (base + ".gp");

  // One block per range: the uncapped downtimes in order against the share
  // of all trials at or below them. Capped trials never reach the line, so
  // a line that stops short of 100% says how many were capped.
  std::FILE* data = std::fopen(data_path.c_str(), "w");
  if (data == nullptr) {
    return "could not write " + data_path.string();
  }
  struct Line {
    int block;
    std::string title;
    std::string color;
    bool randomness;
    bool scale;
  };
  // One colour per range, the same in both panels; etcd dashed black.
  static const char* const palette[] = {
      "#9400d3", "#009e73", "#56b4e9", "#e69f00", "#f0e442", "#0072b2",
      "#e51e10", "#8b4513", "#808080", "#ff69b4", "#2e8b57", "#4169e1"};
  std::vector<Line> lines;
  std::vector<std::string> notes;
  int block = 0;
  for (std::size_t i = 0; i < per_range.size(); ++i) {
    const auto& trials = per_range[i];
    if (trials.empty()) {
      continue;
    }
    const Trial& first = trials.front();
    const bool etcd = first.system == "etcd";
    std::vector<double> values;
    for (const Trial& t : trials) {
      if (!t.capped) {
        values.push_back(t.downtime_ms);
      }
    }
    const std::size_t capped = trials.size() - values.size();
    std::string title = fmt::format("{}{} ms", etcd ? "etcd " : "",
                                    first.range.label());
    if (values.empty()) {
      notes.push_back(fmt::format("{}: all {} trials capped", title,
                                  trials.size()));
      continue;
    }
    if (capped > 0) {
      title += fmt::format(" ({} of {} capped)", capped, trials.size());
    }

    std::sort(values.begin(), values.end());
    fmt::print(data, "# {} {} nodes {}\n{:.3f} 0\n", first.system,
               first.nodes, first.range.label(), values.front());
    for (std::size_t k = 0; k < values.size(); ++k) {
      fmt::print(data, "{:.3f} {:.3f}\n", values[k],
                 100.0 * (k + 1) / trials.size());
    }
    fmt::print(data, "\n\n");
    const Range& r = first.range;
    lines.push_back(Line{block++, title,
                         etcd ? "black" : palette[i % std::size(palette)],
                         r.min_ms == 150 || etcd,
                         r.max_ms == 2 * r.min_ms && !etcd});
  }
  std::fclose(data);

  const auto panel = [&](bool randomness) {
    std::string plot;
    for (const Line& line : lines) {
      if (randomness ? !line.randomness : !line.scale) {
        continue;
      }
      plot += fmt::format(
          "{}'{}' index {} using 1:2 with steps lw 2 lc rgb '{}'{} "
          "title '{}'",
          plot.empty() ? "plot " : ", \\\n     ",
          data_path.filename().string(), line.block, line.color,
          line.color == "black" ? " dt 2" : "", line.title);
    }
    return plot.empty() ? std::string("plot NaN notitle") : plot;
  };

  std::string body;
  body += "set multiplot layout 2,1\n";
  body += fmt::format(
      "set title 'Randomness: minimum timeout 150 ms{}'\n",
      notes.empty() ? std::string()
                    : "\\n(" + fmt::format("{}", fmt::join(notes, "; ")) +
                          ")");
  body += panel(true) + "\n";
  body += "set title 'Scale: timeout ranges T to 2T'\n";
  body += panel(false) + "\n";
  body += "unset multiplot\n";

  std::FILE* script = std::fopen(script_path.c_str(), "w");
  if (script == nullptr) {
    return "could not write " + script_path.string();
  }
  fmt::print(script,
             "# Figure 16 of the Raft paper, from {}: cumulative\n"
             "# share of trials against the time without a leader.\n"
             "# Run in this directory: gnuplot election_latency.gp\n"
             "set logscale x 10\n"
             "set grid xtics mxtics ytics\n"
             "set yrange [0:100]\n"
             "set xlabel 'time without leader (ms)'\n"
             "set ylabel 'cumulative percent of trials'\n"
             "set key left top\n"
             "set terminal svg size 1000,1000 dynamic font 'sans,12' "
             "background rgb 'white'\n"
             "set output '{}'\n{}"
             "set terminal pngcairo size 1000,1000 font 'sans,11' "
             "background rgb 'white'\n"
             "set output '{}'\n{}"
             "set output\n",
             data_path.filename().string(), base + ".svg", body,
             base + ".png", body);
  std::fclose(script);

  if (gnuplot.empty()) {
    return "gnuplot not found: wrote " + script_path.string() +
           " but no SVG or PNG";
  }
  // The script names its files relative to `dir`, so that it still works
  // wherever the results are moved.
  Process run(gnuplot,
              {"-e", fmt::format("cd '{}'", dir.string()),
               script_path.filename().string()},
              "gnuplot");
  const auto status = run.wait_exit(
      integration::deadline_in(std::chrono::seconds(60)));
  if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    return fmt::format("gnuplot failed:\n{}", fmt::join(run.lines(), "\n"));
  }
  return "plotted " + (dir / (base + ".svg")).string() + " and .png";
}

}  // namespace raft::bench
