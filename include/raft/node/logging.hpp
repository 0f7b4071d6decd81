// Console logging for a node: one line per event, the node id first.
//
//   text: 18:43:43.123 [Node 1] Election term 1
//   json: {"time":"2026-12-03T18:43:43.123Z","level":"info","node":1,
//          "msg":"Election term 1"}
#pragma once

#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "raft/core/types.hpp"

namespace raft::node {

enum class LogFormat { text, json };

// A logger that writes to stdout, where a person running the node in a
// terminal looks. Level names are spdlog's ("debug", "info", "warn",
// "error", "off").
std::shared_ptr<spdlog::logger> make_logger(NodeId id, LogFormat format,
                                            spdlog::level::level_enum level);

}  // namespace raft::node
