// The one percentile every benchmark here reports.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace raft::bench {

// Nearest rank: the smallest of `sorted` (ascending) with at least
// `fraction` of all values at or below it; 0 when there are none.
template <typename T>
double nearest_rank(const std::vector<T>& sorted, double fraction) {
  if (sorted.empty()) {
    return 0;
  }
  const auto rank = static_cast<std::size_t>(
      std::ceil(fraction * static_cast<double>(sorted.size())));
  return static_cast<double>(
      sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1]);
}

}  // namespace raft::bench
