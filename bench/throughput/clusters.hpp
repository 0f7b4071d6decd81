// Three-member clusters on 127.0.0.1 for the throughput benchmark: real
// raft_node processes, or etcd members, each with a fresh data directory,
// started, asked who leads, and killed by PID when the object goes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child.hpp"

namespace raft::bench::tp {

// How a run treats the disk. `off_flag` passes the system's
// --unsafe-no-fsync; `off_tmpfs` keeps the data directories on tmpfs
// (/dev/shm), where fsync costs nothing.
enum class Durability { fsync_on, off_flag, off_tmpfs };
const char* to_string(Durability durability);

class ClusterBase {
 public:
  virtual ~ClusterBase();

  std::uint16_t leader_port() const { return client_ports_.at(leader_); }
  pid_t leader_pid() const { return members_.at(leader_)->pid(); }
  std::vector<pid_t> pids() const;
  // Throws if a member has exited (with the end of its log).
  void check_running();

 protected:
  // Makes `count` fresh directories under `root`.
  void make_dirs(const std::filesystem::path& root, std::size_t count,
                 const std::string& prefix);

  std::vector<std::filesystem::path> dirs_;
  std::vector<std::uint16_t> client_ports_;
  std::vector<std::unique_ptr<Child>> members_;
  std::size_t leader_ = 0;
};

class RaftCluster : public ClusterBase {
 public:
  // Starts three raft_node processes and waits (up to `timeout`) until one
  // leads and the others follow it. Throws on failure.
  RaftCluster(const std::string& program, Durability durability,
              const std::filesystem::path& root,
              std::chrono::milliseconds timeout);

 private:
  std::optional<std::size_t> agreed_leader();
};

class EtcdCluster : public ClusterBase {
 public:
  // Starts three etcd members with default settings and waits for an
  // agreed leader. Throws on failure.
  EtcdCluster(const std::string& program, Durability durability,
              const std::filesystem::path& root,
              std::chrono::milliseconds timeout);

 private:
  std::optional<std::size_t> agreed_leader();
};

// True if `raft_node --help` lists --unsafe-no-fsync.
bool raft_node_has_no_fsync_flag(const std::string& program);

// One HTTP/1.1 POST to 127.0.0.1:`port`; the body of a 200 answer, or
// nothing on any failure or at the timeout.
std::optional<std::string> http_post(std::uint16_t port,
                                     const std::string& target,
                                     const std::string& body,
                                     std::chrono::milliseconds timeout);

}  // namespace raft::bench::tp
