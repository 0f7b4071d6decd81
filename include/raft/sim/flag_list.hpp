// On/off switches named on a command line as a comma-separated list
// ("loss,dup,crash"), for the simulator's faults and its test-only bugs.
#pragma once

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace raft::sim {

template <typename Flags>
struct FlagName {
  bool Flags::*flag;
  std::string_view name;
};

// The flags `text` names, or nothing if a name is unknown or empty.
template <typename Flags>
std::optional<Flags> parse_flag_list(std::string_view text,
                                     std::span<const FlagName<Flags>> names) {
  Flags flags{};
  // Every loop step consumes one name.
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view name = text.substr(0, comma);
    const auto known =
        std::find_if(names.begin(), names.end(),
                     [&](const FlagName<Flags>& each) {
                       return each.name == name;
                     });
    if (known == names.end()) {
      return std::nullopt;
    }
    flags.*(known->flag) = true;
    if (comma == std::string_view::npos) {
      return flags;
    }
    text.remove_prefix(comma + 1);
  }
}

// The names of the flags that are on, comma-separated; "" when none is.
template <typename Flags>
std::string format_flag_list(const Flags& flags,
                             std::span<const FlagName<Flags>> names) {
  std::string text;
  for (const FlagName<Flags>& each : names) {
    if (flags.*(each.flag)) {
      text += text.empty() ? "" : ",";
      text += each.name;
    }
  }
  return text;
}

}  // namespace raft::sim
