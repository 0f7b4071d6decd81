#include "raft/kv/command.hpp"

#include <utility>

namespace raft::kv {

std::string encode_command(const net::ClientRequest& request) {
  return net::encode(request);
}

std::variant<net::ClientRequest, net::DecodeError> read_command(
    std::string_view data) {
  auto decoded = net::decode(data);
  if (auto* error = std::get_if<net::DecodeError>(&decoded)) {
    return std::move(*error);
  }

  // Valid JSON of another frame kind is still not a command: only a bug
  // could have put, say, a status frame into the log.
  auto& frame = std::get<net::Frame>(decoded);
  if (auto* request = std::get_if<net::ClientRequest>(&frame)) {
    return std::move(*request);
  }
  return net::DecodeError{"entry data is a frame but not a client request"};
}

std::optional<net::ClientRequest> decode_command(std::string_view data) {
  auto command = read_command(data);
  if (auto* request = std::get_if<net::ClientRequest>(&command)) {
    return std::move(*request);
  }
  return std::nullopt;
}

}  // namespace raft::kv
