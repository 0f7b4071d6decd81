#include "raft/core/log.hpp"

#include <cassert>
#include <stdexcept>

namespace raft {

Log::Log(std::vector<LogEntry> entries) : entries_(std::move(entries)) {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].index != i + 1) {
      throw std::invalid_argument("log entries are not contiguous from 1");
    }
  }
}

Term Log::term_at(Index index) const {
  if (index == 0) {
    return 0;
  }
  return at(index).term;
}

const LogEntry& Log::at(Index index) const {
  assert(index >= 1 && index <= last_index());
  return entries_[index - 1];
}

Index Log::first_index_of_term_ending_at(Index from) const {
  assert(from >= 1 && from <= last_index());
  const Term term = term_at(from);
  Index index = from;
  while (index > 1 && term_at(index - 1) == term) {
    --index;
  }
  return index;
}

Index Log::last_index_of_term(Term term) const {
  // Terms never decrease along the log, so scan back from the end and stop
  // once below `term`.
  for (Index index = last_index(); index >= 1; --index) {
    const Term here = term_at(index);
    if (here == term) {
      return index;
    }
    if (here < term) {
      break;
    }
  }
  return 0;
}

std::vector<LogEntry> Log::slice(Index from, std::size_t max_count,
                                 std::size_t max_bytes) const {
  std::vector<LogEntry> out;
  std::size_t bytes = 0;
  for (Index index = from; index <= last_index() && out.size() < max_count;
       ++index) {
    const LogEntry& entry = at(index);

    // Always send at least one entry, however large, so progress is made.
    if (!out.empty() && bytes + entry.data.size() > max_bytes) {
      break;
    }
    bytes += entry.data.size();
    out.push_back(entry);
  }
  return out;
}

std::span<const LogEntry> Log::tail_from(Index from) const {
  assert(from >= 1);
  if (from > last_index()) {
    return {};
  }
  return std::span<const LogEntry>(entries_).subspan(from - 1);
}

void Log::append(LogEntry entry) {
  assert(entry.index == last_index() + 1);
  assert(entry.term >= last_term());
  entries_.push_back(std::move(entry));
}

void Log::truncate_from(Index from) {
  assert(from >= 1);
  if (from <= last_index()) {
    entries_.resize(from - 1);
  }
}

bool Log::is_up_to_date(Term last_log_term, Index last_log_index) const {
  if (last_log_term != last_term()) {
    return last_log_term > last_term();
  }
  return last_log_index >= last_index();
}

}  // namespace raft
