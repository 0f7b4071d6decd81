// The in-memory Raft log as the core sees it: entries 1..last_index(), with
// index 0 / term 0 standing for the empty prefix every log shares.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "raft/core/types.hpp"

namespace raft {

class Log {
 public:
  Log() = default;
  // Restores a log read back from storage; entries must be 1..n, contiguous.
  explicit Log(std::vector<LogEntry> entries);

  Index last_index() const { return entries_.size(); }
  Term last_term() const { return term_at(last_index()); }

  // The term of the entry at `index`; 0 for index 0. `index` must be held.
  Term term_at(Index index) const;
  bool holds(Index index) const { return index <= last_index(); }

  const LogEntry& at(Index index) const;

  // The first index holding an entry of `term`, searching back from `from`
  // while the term stays the same (for the §5.3 conflict hint).
  Index first_index_of_term_ending_at(Index from) const;
  // The last index holding an entry of `term`, or 0 if none.
  Index last_index_of_term(Term term) const;

  // Entries [from, last_index()], at most `max_count` and, past the first
  // entry, at most `max_bytes` of data.
  std::vector<LogEntry> slice(Index from, std::size_t max_count,
                              std::size_t max_bytes) const;

  // Entries [from, last_index()], unbounded (for persistence and apply).
  std::span<const LogEntry> tail_from(Index from) const;

  void append(LogEntry entry);
  // Drops every entry at `from` or later.
  void truncate_from(Index from);

  // §5.4.1: is a log ending at (last_term, last_index) at least as up to date
  // as this one?
  bool is_up_to_date(Term last_log_term, Index last_log_index) const;

 private:
  std::vector<LogEntry> entries_;  // entries_[i] holds index i + 1
};

}  // namespace raft
