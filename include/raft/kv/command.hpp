// How a client's request is stored as the data of a command log entry: the
// same compact JSON object the client sent (codec.hpp's ClientRequest
// frame), so an entry can be read with `nc`-level tools and is validated by
// the same code that validates the wire.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "raft/net/codec.hpp"
#include "raft/net/wire.hpp"

namespace raft::kv {

// The entry data for `request`: one compact JSON object, no newline. The
// request's strings must be UTF-8, as for any frame.
std::string encode_command(const net::ClientRequest& request);

// Reads entry data back. Never throws: data that is not valid JSON, is out
// of bounds, or is some other kind of frame comes back as a DecodeError that
// says why, so the state machine can report it.
std::variant<net::ClientRequest, net::DecodeError> read_command(
    std::string_view data);

// read_command, without the reason.
std::optional<net::ClientRequest> decode_command(std::string_view data);

}  // namespace raft::kv
