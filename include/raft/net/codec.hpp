// The newline-delimited JSON codec: one Frame is one compact JSON object on
// one line. The framing (splitting a byte stream at '\n') belongs to the
// transport; this header only turns one line into one Frame and back.
#pragma once

#include <span>
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

// The "entries" array of an AppendEntries, as encode() writes it. A leader
// sending the same entries to each follower encodes them once with this and
// passes the text to encode_append_entries().
std::string encode_entries(std::span<const LogEntry> entries);

// Room an AppendEntries needs around the data of its one entry: its fields,
// with every number at its widest.
inline constexpr std::size_t append_entries_overhead_bytes = 1024;

// True if an entry with `data` fits in an AppendEntries on its own, within
// max_frame_bytes once its data is escaped as a JSON string. Data that does
// not could never reach a follower: a leader must refuse to propose it.
bool fits_in_append_entries(std::string_view data);

// encode(message) for an AppendEntries whose entries are already encoded
// as `entries_json`, which must be encode_entries() of exactly its entries
// (the entries in `message` are not read again).
std::string encode_append_entries(const Message& message,
                                  std::string_view entries_json);

// The "type" field `frame` travels with ("append_entries", "put", ...).
const char* type_name(const Frame& frame);

// Parses and validates one line (without its '\n'). Never throws: malformed,
// oversized, mistyped or out-of-bounds input comes back as a DecodeError.
// Fields it does not know are ignored, for forward compatibility.
std::variant<Frame, DecodeError> decode(std::string_view line);

}  // namespace raft::net
