#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>
#include <variant>

#include "raft/net/codec.hpp"

namespace raft::integration {

namespace {

// Bounds on every loop, on top of its deadline.
constexpr int max_rounds = 100'000;
constexpr std::size_t read_chunk_bytes = 64 * 1024;
constexpr std::size_t max_received_bytes = 1024 * 1024;
constexpr std::size_t max_reads_per_drain = 1024;

[[noreturn]] void fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Milliseconds left until `deadline`, for poll(); never negative.
int millis_until(Deadline deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(
      deadline - Clock::now());
  return static_cast<int>(std::clamp<long>(left.count(), 0, 60'000));
}

// Waits for `events` on `fd`; true if they (or an error or hang-up) came.
bool wait_fd(int fd, short events, Deadline deadline) {
  pollfd entry{fd, events, 0};
  const int ready = ::poll(&entry, 1, millis_until(deadline));
  return ready > 0;
}

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

std::uint16_t bound_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) !=
      0) {
    fail("getsockname");
  }
  return ntohs(address.sin_port);
}

// argv for execv, built before fork: the child may only call
// async-signal-safe functions.
std::vector<char*> make_argv(std::vector<std::string>& strings) {
  std::vector<char*> argv;
  for (std::string& text : strings) {
    argv.push_back(text.data());
  }
  argv.push_back(nullptr);
  return argv;
}

[[noreturn]] void exec_child(int output_fd, char* const* argv) {
  ::dup2(output_fd, STDOUT_FILENO);
  ::dup2(output_fd, STDERR_FILENO);
  // Dispositions set to "ignore" survive exec; the node gets the defaults.
  ::signal(SIGPIPE, SIG_DFL);
  ::execv(argv[0], argv);
  ::_exit(127);
}

}  // namespace

Deadline deadline_in(std::chrono::milliseconds timeout) {
  return Clock::now() + timeout;
}

LinePredicate contains(std::string text) {
  return [text = std::move(text)](const std::string& line) {
    return line.find(text) != std::string::npos;
  };
}

// ---------------------------------------------------------------------------
// Process

Process::Process(std::string path, std::vector<std::string> args,
                 std::string name)
    : name_(std::move(name)) {
  std::vector<std::string> strings{std::move(path)};
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char*> argv = make_argv(strings);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    fail("pipe2");
  }

  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    fail("fork");
  }
  if (pid_ == 0) {
    exec_child(fds[1], argv.data());
  }

  ::close(fds[1]);
  fd_ = fds[0];
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
}

Process::~Process() {
  if (!exit_status_) {
    ::kill(pid_, SIGKILL);
    reap(0);
  }
  ::close(fd_);
}

void Process::read_available() {
  char buffer[read_chunk_bytes];
  for (std::size_t reads = 0; reads < max_reads_per_drain && !output_ended_;
       ++reads) {
    const ssize_t got = ::read(fd_, buffer, sizeof(buffer));
    if (got > 0) {
      partial_.append(buffer, static_cast<std::size_t>(got));
      continue;
    }
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0 && errno == EAGAIN) {
      break;
    }
    output_ended_ = true;
  }
  split_lines();
}

void Process::split_lines() {
  std::size_t start = 0;
  for (std::size_t end = partial_.find('\n'); end != std::string::npos;
       end = partial_.find('\n', start)) {
    lines_.push_back(partial_.substr(start, end - start));
    start = end + 1;
  }
  partial_.erase(0, start);

  if (output_ended_ && !partial_.empty()) {
    lines_.push_back(std::move(partial_));
    partial_.clear();
  }
}

bool Process::poll_output(Deadline deadline) {
  const bool ready = wait_fd(fd_, POLLIN, deadline);
  read_available();
  return ready;
}

std::optional<std::string> Process::wait_for_line(
    const LinePredicate& matches, Deadline deadline, std::size_t from) {
  std::size_t next = from;
  for (int round = 0; round < max_rounds; ++round) {
    read_available();
    for (; next < lines_.size(); ++next) {
      if (matches(lines_[next])) {
        return lines_[next];
      }
    }
    if (output_ended_ || Clock::now() >= deadline) {
      return std::nullopt;
    }
    poll_output(deadline);
  }
  return std::nullopt;
}

bool Process::printed(const LinePredicate& matches, std::size_t from) const {
  const auto begin = lines_.begin() + static_cast<std::ptrdiff_t>(
                                          std::min(from, lines_.size()));
  return std::any_of(begin, lines_.end(), matches);
}

void Process::kill(int signal) {
  if (!exit_status_) {
    ::kill(pid_, signal);
  }
}

void Process::reap(int options) {
  int status = 0;
  pid_t done = -1;
  do {
    done = ::waitpid(pid_, &status, options);
  } while (done < 0 && errno == EINTR);
  if (done == pid_) {
    exit_status_ = status;
  }
}

bool Process::running() {
  if (!exit_status_) {
    reap(WNOHANG);
  }
  return !exit_status_;
}

std::optional<int> Process::wait_exit(Deadline deadline) {
  for (int round = 0; round < max_rounds; ++round) {
    if (!running()) {
      read_available();
      return exit_status_;
    }
    if (Clock::now() >= deadline) {
      return std::nullopt;
    }

    // The end of output comes with the exit; after it, only the short gap
    // until the kernel reports the exit is left to wait out.
    if (!output_ended_) {
      poll_output(deadline);
    } else {
      ::poll(nullptr, 0, 10);
    }
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// RawConnection

std::optional<RawConnection> RawConnection::open(std::uint16_t port,
                                                 Deadline deadline) {
  const int fd =
      ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail("socket");
  }
  RawConnection connection(fd);

  const sockaddr_in address = loopback(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address),
                sizeof(address)) == 0) {
    return connection;
  }
  if (errno != EINPROGRESS || !wait_fd(fd, POLLOUT, deadline)) {
    return std::nullopt;
  }

  int error = 0;
  socklen_t length = sizeof(error);
  ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) {
    return std::nullopt;
  }
  return connection;
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      send_error_(other.send_error_),
      ended_(other.ended_),
      received_(std::move(other.received_)) {}

std::uint16_t RawConnection::local_port() const { return bound_port(fd_); }

std::size_t RawConnection::send(std::string_view bytes, Deadline deadline) {
  std::size_t sent = 0;
  for (int round = 0; round < max_rounds && sent < bytes.size(); ++round) {
    const ssize_t wrote = ::send(fd_, bytes.data() + sent, bytes.size() - sent,
                                 MSG_NOSIGNAL);
    if (wrote > 0) {
      sent += static_cast<std::size_t>(wrote);
      continue;
    }
    if (wrote < 0 && errno == EINTR) {
      continue;
    }
    if (wrote < 0 && errno == EAGAIN) {
      if (Clock::now() >= deadline) {
        break;
      }
      wait_fd(fd_, POLLOUT, deadline);
      continue;
    }
    send_error_ = wrote < 0 ? errno : EPIPE;
    break;
  }
  return sent;
}

bool RawConnection::read_some(Deadline deadline) {
  if (ended_ || !wait_fd(fd_, POLLIN, deadline)) {
    return false;
  }

  char buffer[read_chunk_bytes];
  const ssize_t got = ::recv(fd_, buffer, sizeof(buffer), 0);
  if (got > 0) {
    const std::size_t room = max_received_bytes - received_.size();
    received_.append(buffer, std::min(room, static_cast<std::size_t>(got)));
    return true;
  }
  if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
    return true;
  }
  ended_ = true;
  return false;
}

std::optional<std::string> RawConnection::read_line(Deadline deadline) {
  for (int round = 0; round < max_rounds; ++round) {
    const std::size_t end = received_.find('\n');
    if (end != std::string::npos) {
      std::string line = received_.substr(0, end);
      received_.erase(0, end + 1);
      return line;
    }
    if (!read_some(deadline) && (ended_ || Clock::now() >= deadline)) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

bool RawConnection::wait_closed(Deadline deadline) {
  for (int round = 0; round < max_rounds && !ended_; ++round) {
    if (!read_some(deadline) && Clock::now() >= deadline) {
      break;
    }
  }
  return ended_;
}

// ---------------------------------------------------------------------------
// Free functions

std::optional<net::StatusReply> status(std::uint16_t port,
                                       std::chrono::milliseconds timeout) {
  const Deadline deadline = deadline_in(timeout);
  auto connection = RawConnection::open(port, deadline);
  if (!connection) {
    return std::nullopt;
  }

  const std::string request = net::encode(net::StatusRequest{}) + "\n";
  if (connection->send(request, deadline) != request.size()) {
    return std::nullopt;
  }

  const auto line = connection->read_line(deadline);
  if (!line) {
    return std::nullopt;
  }
  auto decoded = net::decode(*line);
  auto* frame = std::get_if<net::Frame>(&decoded);
  if (frame == nullptr) {
    return std::nullopt;
  }
  auto* reply = std::get_if<net::StatusReply>(frame);
  return reply ? std::optional(*reply) : std::nullopt;
}

std::vector<std::uint16_t> free_ports(std::size_t count) {
  // Hold every socket until all are bound, so the ports are distinct.
  std::vector<int> fds;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < count; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in address = loopback(0);
    if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr*>(&address),
                         sizeof(address)) != 0) {
      fail("binding a loopback port");
    }
    fds.push_back(fd);
    ports.push_back(bound_port(fd));
  }

  for (const int fd : fds) {
    ::close(fd);
  }
  return ports;
}

std::filesystem::path make_temp_dir() {
  std::string path =
      (std::filesystem::temp_directory_path() / "raft-integ-XXXXXX").string();
  if (::mkdtemp(path.data()) == nullptr) {
    fail("mkdtemp");
  }
  return path;
}

// ---------------------------------------------------------------------------
// Cluster

Cluster::Cluster(std::string program, std::size_t size)
    : program_(std::move(program)) {
  const std::vector<std::uint16_t> ports = free_ports(size);
  for (std::size_t i = 0; i < size; ++i) {
    const NodeId id = i + 1;
    ports_[id] = ports[i];
    dirs_[id] = make_temp_dir();
  }
}

Cluster::~Cluster() {
  for (const auto& process : processes_) {
    process->kill(SIGKILL);
  }
  processes_.clear();  // Each reaps its own.

  for (const auto& [id, dir] : dirs_) {
    (void)id;
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
}

std::vector<NodeId> Cluster::ids() const {
  std::vector<NodeId> ids;
  for (const auto& [id, port] : ports_) {
    (void)port;
    ids.push_back(id);
  }
  return ids;
}

std::string Cluster::peers_flag() const {
  std::string flag;
  for (const auto& [id, port] : ports_) {
    if (!flag.empty()) {
      flag += ",";
    }
    flag += std::to_string(id) + "=127.0.0.1:" + std::to_string(port);
  }
  return flag;
}

void Cluster::add_node_flags(std::vector<std::string> flags) {
  extra_flags_.insert(extra_flags_.end(), flags.begin(), flags.end());
}

Process& Cluster::start(NodeId id) {
  std::vector<std::string> args{"--id",       std::to_string(id),
                                "--peers",    peers_flag(),
                                "--data-dir", dirs_.at(id).string()};
  args.insert(args.end(), extra_flags_.begin(), extra_flags_.end());
  const std::string name = "node " + std::to_string(id) + " (run " +
                           std::to_string(processes_.size() + 1) + ")";
  processes_.push_back(
      std::make_unique<Process>(program_, std::move(args), name));
  latest_[id] = processes_.back().get();
  return *processes_.back();
}

void Cluster::start_all() {
  for (const NodeId id : ids()) {
    start(id);
  }
}

Process& Cluster::node(NodeId id) { return *latest_.at(id); }

std::optional<net::StatusReply> Cluster::status(NodeId id) {
  return integration::status(port(id));
}

std::optional<Agreement> Cluster::agreement(const std::vector<NodeId>& nodes,
                                            Term min_term) {
  std::vector<net::StatusReply> replies;
  for (const NodeId id : nodes) {
    auto reply = status(id);
    if (!reply) {
      return std::nullopt;
    }
    replies.push_back(*reply);
  }

  const auto is_leader = [](const net::StatusReply& reply) {
    return reply.role == Role::leader;
  };
  if (std::count_if(replies.begin(), replies.end(), is_leader) != 1) {
    return std::nullopt;
  }
  const auto& leader = *std::find_if(replies.begin(), replies.end(),
                                     is_leader);
  if (leader.term < min_term) {
    return std::nullopt;
  }

  for (const auto& reply : replies) {
    const bool follows = reply.role == Role::follower &&
                         reply.leader_id == leader.id &&
                         reply.term == leader.term;
    if (&reply != &leader && !follows) {
      return std::nullopt;
    }
  }
  return Agreement{leader.id, leader.term};
}

std::optional<Agreement> Cluster::wait_for_leader(
    const std::vector<NodeId>& nodes, Deadline deadline, Term min_term) {
  for (int round = 0; round < 1000; ++round) {
    if (auto found = agreement(nodes, min_term)) {
      return found;
    }
    if (Clock::now() >= deadline) {
      return std::nullopt;
    }
    // A change of role or term prints a line; wait for one, briefly.
    wait_for_output(std::chrono::milliseconds(100));
  }
  return std::nullopt;
}

void Cluster::wait_for_output(std::chrono::milliseconds timeout) {
  std::vector<pollfd> fds;
  for (const auto& [id, process] : latest_) {
    (void)id;
    // A pipe at its end would wake poll() at once, every time.
    if (!process->output_ended()) {
      fds.push_back(pollfd{process->output_fd(), POLLIN, 0});
    }
  }
  ::poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));

  for (const auto& process : processes_) {
    process->read_available();
  }
}

std::string Cluster::logs() {
  std::string text;
  for (const auto& process : processes_) {
    process->read_available();
    text += "----- " + process->name() + ", pid " +
            std::to_string(process->pid()) + " -----\n";
    for (const std::string& line : process->lines()) {
      text += line + "\n";
    }
  }
  return text;
}

}  // namespace raft::integration
