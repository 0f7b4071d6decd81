// What the key-value integration tests share on top of fixture.hpp: client
// options fit for nodes under AddressSanitizer, raw request lines and their
// decoded answers, and a bounded wait for every replica to apply the same
// state. Include after fixture.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "raft/client/client.hpp"
#include "raft/net/codec.hpp"

namespace raft::integration {

// A leader kill costs an election, and every write an fsync on two nodes.
inline constexpr std::chrono::seconds client_attempt_timeout{3};
inline constexpr std::chrono::seconds client_deadline{40};
inline constexpr std::chrono::seconds converge_timeout{60};

inline std::string loopback_address(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

inline std::vector<std::string> addresses(const Cluster& cluster) {
  std::vector<std::string> list;
  for (const NodeId id : cluster.ids()) {
    list.push_back(loopback_address(cluster.port(id)));
  }
  return list;
}

inline client::ClientOptions client_options(std::string client_id = "") {
  client::ClientOptions options;
  options.client_id = std::move(client_id);
  options.attempt_timeout = client_attempt_timeout;
  options.deadline = client_deadline;
  return options;
}

inline std::string key_of(int i) { return "key-" + std::to_string(i); }
inline std::string value_of(int i) { return "value-" + std::to_string(i); }

inline std::string describe(const net::StatusReply& status) {
  std::ostringstream text;
  text << "node " << status.id << ": " << to_string(status.role) << " term "
       << status.term << " leader " << status.leader_id << " commit "
       << status.commit_index << " applied " << status.last_applied
       << " last log " << status.last_log_index << " keys " << status.keys
       << " digest " << status.state_digest;
  return text.str();
}

// ---------------------------------------------------------------------------
// Raw requests

inline std::string put_line(const std::string& client_id, std::uint64_t seq,
                            const std::string& key, const std::string& value) {
  net::ClientRequest request;
  request.op = net::KvOp::put;
  request.client_id = client_id;
  request.seq = seq;
  request.key = key;
  request.value = value;
  return net::encode(request) + "\n";
}

// The next frame the node sends, or why there is none.
inline std::variant<net::Frame, std::string> read_frame(
    RawConnection& connection, Deadline deadline) {
  const auto line = connection.read_line(deadline);
  if (!line) {
    return std::string("no line before the deadline or the close");
  }
  auto decoded = net::decode(*line);
  if (auto* error = std::get_if<net::DecodeError>(&decoded)) {
    return "undecodable line '" + *line + "': " + error->message;
  }
  return std::get<net::Frame>(std::move(decoded));
}

// Sends `line` and reads the ClientReply; nothing (with the reason in
// `problem`) if anything else came back.
inline std::optional<net::ClientReply> exchange(RawConnection& connection,
                                                const std::string& line,
                                                std::string& problem) {
  const Deadline deadline = deadline_in(io_timeout);
  if (connection.send(line, deadline) != line.size()) {
    problem = "could not send the request";
    return std::nullopt;
  }
  auto frame = read_frame(connection, deadline);
  if (auto* text = std::get_if<std::string>(&frame)) {
    problem = *text;
    return std::nullopt;
  }
  auto* reply = std::get_if<net::ClientReply>(&std::get<net::Frame>(frame));
  if (reply == nullptr) {
    problem = "not a reply: " + net::encode(std::get<net::Frame>(frame));
    return std::nullopt;
  }
  return *reply;
}

// ---------------------------------------------------------------------------
// Convergence

// Every node's status at the moment all of them agreed, or the last ones
// seen when they never did.
struct Convergence {
  bool reached = false;
  std::vector<net::StatusReply> nodes;
  std::string last_seen;
};

// True when one node leads and every node has applied exactly the leader's
// commit index and holds the same state.
inline bool converged(const std::vector<net::StatusReply>& nodes) {
  const net::StatusReply* leader = nullptr;
  for (const auto& status : nodes) {
    if (status.role == Role::leader) {
      leader = &status;
    }
  }
  if (leader == nullptr || leader->commit_index == 0) {
    return false;
  }
  for (const auto& status : nodes) {
    if (status.last_applied != leader->commit_index ||
        status.state_digest != leader->state_digest ||
        status.keys != leader->keys) {
      return false;
    }
  }
  return true;
}

// Polls every node's status until they converge, or the deadline.
inline Convergence wait_converged(Cluster& cluster, Deadline deadline) {
  Convergence result;
  for (int round = 0; round < 10'000; ++round) {
    result.nodes.clear();
    result.last_seen.clear();
    for (const NodeId id : cluster.ids()) {
      const auto status = cluster.status(id);
      if (!status) {
        result.last_seen += "node " + std::to_string(id) + ": no status\n";
        continue;
      }
      result.nodes.push_back(*status);
      result.last_seen += describe(*status) + "\n";
    }
    if (result.nodes.size() == cluster.ids().size() &&
        converged(result.nodes)) {
      result.reached = true;
      return result;
    }
    if (Clock::now() >= deadline) {
      break;
    }
    cluster.wait_for_output(std::chrono::milliseconds(100));
  }
  return result;
}

inline const net::StatusReply* leader_of(const Convergence& convergence) {
  for (const auto& status : convergence.nodes) {
    if (status.role == Role::leader) {
      return &status;
    }
  }
  return nullptr;
}

}  // namespace raft::integration
