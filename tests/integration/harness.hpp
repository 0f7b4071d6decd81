// A harness for integration tests: real raft_node processes on 127.0.0.1,
// started with fork/execv, their output read line by line, killed by PID,
// and asked for their status over TCP. Every wait has a deadline and every
// loop a bound; nothing sleeps in place of waiting for an event.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "raft/core/types.hpp"
#include "raft/net/wire.hpp"

namespace raft::integration {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;
using LinePredicate = std::function<bool(const std::string& line)>;

Deadline deadline_in(std::chrono::milliseconds timeout);

// A predicate true for lines that contain `text`.
LinePredicate contains(std::string text);

// One child process whose stdout and stderr go to one pipe we read.
class Process {
 public:
  // Starts `path` with `args` (argv[1..]). Throws std::runtime_error if the
  // pipe or the fork fails.
  Process(std::string path, std::vector<std::string> args, std::string name);
  ~Process();

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  int output_fd() const { return fd_; }
  bool output_ended() const { return output_ended_; }

  // Reads what the pipe holds now, without blocking.
  void read_available();

  // Waits until a line at or after `from` (an index into lines()) matches,
  // reading the pipe as it fills. Returns the line, or nothing at the
  // deadline or at end of output.
  std::optional<std::string> wait_for_line(const LinePredicate& matches,
                                           Deadline deadline,
                                           std::size_t from = 0);

  // Every complete line printed so far (plus a trailing partial one once
  // the output has ended).
  const std::vector<std::string>& lines() const { return lines_; }
  bool printed(const LinePredicate& matches, std::size_t from = 0) const;

  // Sends `signal` to the PID, if the process has not been reaped.
  void kill(int signal);

  // True until the process has exited (checked with waitpid WNOHANG).
  bool running();

  // Waits for the process to exit, reading its output meanwhile; returns the
  // waitpid status, or nothing at the deadline.
  std::optional<int> wait_exit(Deadline deadline);

 private:
  bool poll_output(Deadline deadline);
  void split_lines();
  void reap(int options);

  std::string name_;
  pid_t pid_ = -1;
  int fd_ = -1;
  bool output_ended_ = false;
  std::optional<int> exit_status_;
  std::string partial_;
  std::vector<std::string> lines_;
};

// A raw client connection to a node on 127.0.0.1, for sending it
// whatever bytes a test likes. Non-blocking underneath; every call has a
// deadline.
class RawConnection {
 public:
  // Connects; nothing if the node does not accept by the deadline.
  static std::optional<RawConnection> open(std::uint16_t port,
                                           Deadline deadline);
  ~RawConnection();

  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&&) = delete;

  // Our end's port, as the node sees it in "from 127.0.0.1:PORT".
  std::uint16_t local_port() const;

  // Writes `bytes` until done, the deadline, or the node closes or resets
  // the connection (EPIPE, ECONNRESET). Returns how many bytes went out.
  std::size_t send(std::string_view bytes, Deadline deadline);

  // The errno that stopped send(), or 0.
  int send_error() const { return send_error_; }

  // Reads one line (without its '\n'); nothing at the deadline or the end.
  std::optional<std::string> read_line(Deadline deadline);

  // Reads until the node closes the connection (read returns 0 or fails);
  // false if it is still open at the deadline.
  bool wait_closed(Deadline deadline);

  // The bytes the node sent that no read_line() took (first 64 KiB).
  const std::string& received() const { return received_; }

 private:
  explicit RawConnection(int fd) : fd_(fd) {}

  // Reads once after waiting for input; false when the connection ended.
  bool read_some(Deadline deadline);

  int fd_ = -1;
  int send_error_ = 0;
  bool ended_ = false;
  std::string received_;
};

// Asks the node on 127.0.0.1:`port` for its status; nothing if it does not
// answer with a status_reply in time.
std::optional<net::StatusReply> status(
    std::uint16_t port,
    std::chrono::milliseconds timeout = std::chrono::seconds(2));

// `count` distinct loopback ports that were free a moment ago.
std::vector<std::uint16_t> free_ports(std::size_t count);

// A fresh, empty directory under the system temp directory.
std::filesystem::path make_temp_dir();

// What a status poll of the cluster found: one leader that every asked
// node agrees on, in one term.
struct Agreement {
  NodeId leader = no_node;
  Term term = 0;
};

// A cluster of raft_node processes with ids 1..size on loopback ports, one
// fresh data directory each. Its destructor SIGKILLs and reaps every process
// it started and removes the directories.
class Cluster {
 public:
  Cluster(std::string program, std::size_t size);
  ~Cluster();

  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  std::vector<NodeId> ids() const;
  std::uint16_t port(NodeId id) const { return ports_.at(id); }
  const std::filesystem::path& data_dir(NodeId id) const {
    return dirs_.at(id);
  }

  // Flags added to every node started from now on (say, longer timeouts).
  void add_node_flags(std::vector<std::string> flags);

  // Starts node `id` (again, after a kill) on its port and data directory.
  Process& start(NodeId id);
  void start_all();

  // The latest process started for `id`.
  Process& node(NodeId id);

  std::optional<net::StatusReply> status(NodeId id);

  // Polls the status of `nodes` until exactly one of them is leader in a
  // term of at least `min_term` and all the others follow it in that term.
  std::optional<Agreement> wait_for_leader(const std::vector<NodeId>& nodes,
                                           Deadline deadline,
                                           Term min_term = 0);

  // Waits up to `timeout` for any node to print something, and reads it.
  void wait_for_output(std::chrono::milliseconds timeout);

  // Every line of every process started, oldest process first.
  std::string logs();

 private:
  std::optional<Agreement> agreement(const std::vector<NodeId>& nodes,
                                     Term min_term);
  std::string peers_flag() const;

  std::string program_;

  std::map<NodeId, std::uint16_t> ports_;
  std::map<NodeId, std::filesystem::path> dirs_;
  std::vector<std::string> extra_flags_;
  std::vector<std::unique_ptr<Process>> processes_;
  std::map<NodeId, Process*> latest_;
};

}  // namespace raft::integration
