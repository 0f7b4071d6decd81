// The settings of one raft_node process, from the command line and an
// optional config file (the same option names, `name = value` per line).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

#include <spdlog/common.h>

#include "raft/core/types.hpp"
#include "raft/node/logging.hpp"

namespace raft::node {

struct PeerAddress {
  std::string host;
  std::uint16_t port = 0;

  std::string to_string() const { return host + ":" + std::to_string(port); }
};

struct NodeOptions {
  NodeId id = no_node;
  // Every member of the cluster, this node included.
  std::map<NodeId, PeerAddress> peers;
  std::filesystem::path data_dir;
  std::chrono::milliseconds election_timeout_min{150};
  std::chrono::milliseconds election_timeout_max{300};
  std::chrono::milliseconds heartbeat{50};
  spdlog::level::level_enum log_level = spdlog::level::info;
  LogFormat log_format = LogFormat::text;
  // Inbound connections (peers and clients) served at once; a bound, so
  // that a flood of connections cannot take the descriptors the log files
  // and the dials to peers need.
  std::size_t max_connections = 1024;
  // Benchmarks only: write the log without fsync, so that a machine crash
  // (not a process crash) can lose acknowledged writes.
  bool unsafe_no_fsync = false;
};

// A bad option: the message is one line and names the option.
class OptionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ParsedCommandLine {
  // Set when --help was asked for; `options` is then meaningless.
  std::string help;
  NodeOptions options;
};

// Parses argv (and --config FILE). Throws OptionError.
ParsedCommandLine parse_command_line(int argc, const char* const* argv);

// "1=127.0.0.1:7001,2=127.0.0.1:7002" -> {1: ..., 2: ...}. Throws
// OptionError.
std::map<NodeId, PeerAddress> parse_peers(const std::string& text);

}  // namespace raft::node
