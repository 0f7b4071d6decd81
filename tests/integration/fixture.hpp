// What the integration tests share on top of the harness: a three-node
// cluster that prints every node's log when the test fails, and a few
// readers of the nodes' log lines. Include after <boost/test/unit_test.hpp>.
#pragma once

#include <chrono>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/framework.hpp>
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "harness.hpp"

namespace raft::integration {

// The nodes run under AddressSanitizer: be generous.
inline constexpr std::chrono::seconds election_timeout{20};
inline constexpr std::chrono::seconds exit_timeout{20};
inline constexpr std::chrono::seconds io_timeout{10};

inline bool current_test_failed() {
  namespace ut = boost::unit_test;
  const auto id = ut::framework::current_test_case().p_id;
  return !ut::results_collector.results(id).passed();
}

// A three-node cluster; on failure its logs go to stderr, else to the
// Boost.Test log at message level.
struct ClusterFixture {
  Cluster cluster{RAFT_NODE_PATH, 3};

  // Starts every node and waits until all three follow one leader; the
  // test stops there if they never do.
  Agreement start_and_elect() {
    cluster.start_all();
    const auto agreed =
        cluster.wait_for_leader(cluster.ids(), deadline_in(election_timeout));
    BOOST_REQUIRE_MESSAGE(agreed, "no leader that all three nodes follow");
    return *agreed;
  }

  ~ClusterFixture() {
    const std::string logs = cluster.logs();
    if (std::uncaught_exceptions() > 0 || current_test_failed()) {
      std::cerr << "===== node logs =====\n" << logs << std::flush;
      return;
    }
    BOOST_TEST_MESSAGE("node logs:\n" << logs);
  }
};

inline std::vector<NodeId> all_but(const std::vector<NodeId>& ids,
                                   NodeId left_out) {
  std::vector<NodeId> rest;
  for (const NodeId id : ids) {
    if (id != left_out) {
      rest.push_back(id);
    }
  }
  return rest;
}

// The term in "Started at HOST:PORT in term T, log ends at I".
inline std::optional<Term> started_term(const std::string& line) {
  const std::string marker = " in term ";
  const auto at = line.find(marker);
  if (line.find("Started at") == std::string::npos ||
      at == std::string::npos) {
    return std::nullopt;
  }
  return std::stoull(line.substr(at + marker.size()));
}

// A raw connection to one node, opened after noting how much of the node's
// output had been read, so that the WARNING the node logs when it closes
// this connection can be awaited from `mark` on.
struct WatchedConnection {
  std::optional<RawConnection> connection;  // nothing if not accepted
  std::size_t mark = 0;
  // How that WARNING starts: "WARNING: Closed connection from HOST:PORT".
  std::string warning;
};

inline WatchedConnection open_watched(Cluster& cluster, NodeId target) {
  Process& node = cluster.node(target);
  node.read_available();
  const std::size_t mark = node.lines().size();
  auto connection =
      RawConnection::open(cluster.port(target), deadline_in(io_timeout));
  std::string warning =
      connection ? "WARNING: Closed connection from 127.0.0.1:" +
                       std::to_string(connection->local_port())
                 : "";
  return WatchedConnection{std::move(connection), mark, std::move(warning)};
}

// Waits for the process's "Started at" line and reads its term.
inline std::optional<Term> wait_started_term(Process& process) {
  const auto line = process.wait_for_line(contains("Started at"),
                                          deadline_in(io_timeout));
  return line ? started_term(*line) : std::nullopt;
}

}  // namespace raft::integration
