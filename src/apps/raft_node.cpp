// raft_node: one Raft server per process.
//
//   raft_node --id 1 --peers 1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003
//
// Parses flags, wires the node to an io_context, and runs until SIGINT or
// SIGTERM. Exit codes: 0 after a clean stop, 1 if the node could not run
// (damaged data, port taken, disk failure), 2 for bad options.
#include <cstdio>
#include <exception>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>

#include "raft/node/logging.hpp"
#include "raft/node/node.hpp"
#include "raft/node/options.hpp"

int main(int argc, char** argv) {
  using namespace raft::node;

  ParsedCommandLine parsed;
  try {
    parsed = parse_command_line(argc, argv);
  } catch (const OptionError& error) {
    fmt::print(stderr, "raft_node: {}\n", error.what());
    return 2;
  }
  if (!parsed.help.empty()) {
    fmt::print("{}", parsed.help);
    return 0;
  }

  const NodeOptions& options = parsed.options;
  auto log = make_logger(options.id, options.log_format, options.log_level);
  boost::asio::io_context io;
  int exit_code = 0;

  try {
    Node node(io, options, log);
    node.on_fatal([&](const std::string&) {
      exit_code = 1;
      io.stop();
    });
    node.start();

    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
      if (ec) {
        return;
      }
      log->info("Received signal {}, stopping", signal);
      node.stop();
      io.stop();
    });

    io.run();
  } catch (const std::exception& error) {
    log->error("{}", error.what());
    return 1;
  }
  return exit_code;
}
