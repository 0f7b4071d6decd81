// The newline-delimited JSON codec: one Frame is one compact JSON object on
// one line. The framing (splitting a byte stream at '\n') belongs to the
// transport; this header only turns one line into one Frame and back.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "raft/net/wire.hpp"

namespace raft::net {

// Why a line was not a valid frame, as one line a person can act on, e.g.
// "field 'term' must be an unsigned integer".
struct DecodeError {
  std::string message;

  friend bool operator==(const DecodeError&, const DecodeError&) = default;
};

// One compact JSON object, with no '\n' anywhere (strings escape theirs), and
// no trailing newline. Strings in `frame` must be UTF-8.
std::string encode(const Frame& frame);

// The "type" field `frame` travels with ("append_entries", "put", ...).
const char* type_name(const Frame& frame);

// Parses and validates one line (without its '\n'). Never throws: malformed,
// oversized, mistyped or out-of-bounds input comes back as a DecodeError.
// Fields it does not know are ignored, for forward compatibility.
std::variant<Frame, DecodeError> decode(std::string_view line);

}  // namespace raft::net
