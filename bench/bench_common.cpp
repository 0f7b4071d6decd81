#include "bench_common.hpp"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <system_error>

#include <fmt/format.h>

namespace raft::bench {

namespace {

volatile sig_atomic_t stop_flag = 0;

void on_stop_signal(int) { stop_flag = 1; }

int parse_ms(std::string_view text, std::string_view whole) {
  int value = 0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value <= 0) {
    throw std::invalid_argument(
        fmt::format("'{}' is not a range MIN-MAX of milliseconds", whole));
  }
  return value;
}

std::int64_t read_clock(clockid_t clock) {
  timespec now{};
  ::clock_gettime(clock, &now);
  return std::int64_t{now.tv_sec} * 1'000'000'000 + now.tv_nsec;
}

}  // namespace

std::string Range::label() const {
  return fmt::format("{}-{}", min_ms, max_ms);
}

Range parse_range(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) {
    throw std::invalid_argument(
        fmt::format("'{}' is not a range MIN-MAX of milliseconds", text));
  }
  const Range range{parse_ms(text.substr(0, dash), text),
                    parse_ms(text.substr(dash + 1), text)};
  if (range.min_ms > range.max_ms || range.min_ms < 2) {
    throw std::invalid_argument(
        fmt::format("'{}' needs 2 <= MIN <= MAX", text));
  }
  return range;
}

std::int64_t monotonic_ns() { return read_clock(CLOCK_MONOTONIC); }
std::int64_t realtime_ns() { return read_clock(CLOCK_REALTIME); }
double ns_to_ms(std::int64_t ns) { return static_cast<double>(ns) / 1e6; }

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  // A node that dies while we write to its socket must not kill us.
  ::signal(SIGPIPE, SIG_IGN);
}

bool stop_requested() { return stop_flag != 0; }

void throw_if_stopped() {
  if (stop_requested()) {
    throw Stopped();
  }
}

void pump(const std::vector<Process*>& processes,
          std::chrono::milliseconds timeout) {
  std::vector<pollfd> fds;
  for (Process* process : processes) {
    // A pipe at its end would wake poll() at once, every time.
    if (!process->output_ended()) {
      fds.push_back(pollfd{process->output_fd(), POLLIN, 0});
    }
  }
  const int millis = static_cast<int>(std::clamp<long>(timeout.count(), 0,
                                                       60'000));
  ::poll(fds.data(), fds.size(), millis);

  for (Process* process : processes) {
    process->read_available();
  }
  throw_if_stopped();
}

void pump_until(const std::vector<Process*>& processes, std::int64_t until) {
  // Bounded twice: by the time, and by a count that the time never needs.
  for (int round = 0; round < 100'000; ++round) {
    const std::int64_t left_ns = until - monotonic_ns();
    if (left_ns <= 0) {
      return;
    }
    // poll() takes whole milliseconds: sleep off the fraction first.
    if (left_ns < 1'000'000) {
      const timespec pause{0, static_cast<long>(left_ns)};
      ::nanosleep(&pause, nullptr);
      continue;
    }
    pump(processes, std::chrono::milliseconds(left_ns / 1'000'000));
  }
}

std::filesystem::path make_data_dir(const std::filesystem::path& root,
                                    const std::string& prefix) {
  const auto parent =
      root.empty() ? std::filesystem::temp_directory_path() : root;
  std::string path = (parent / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(path.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(),
                            "mkdtemp " + path);
  }
  return path;
}

std::string filesystem_kind(const std::filesystem::path& path) {
  struct statfs info {};
  if (::statfs(path.c_str(), &info) != 0) {
    return "unknown";
  }
  switch (static_cast<unsigned long>(info.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x01021994:
      return "tmpfs";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x794C7630:
      return "overlayfs";
    default:
      return fmt::format("fs 0x{:x}", static_cast<unsigned long>(info.f_type));
  }
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return ::access(name.c_str(), X_OK) == 0 ? name : std::string();
  }
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const auto dir = dirs.substr(0, colon);
    const std::string candidate = std::string(dir) + "/" + name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    dirs = colon == std::string_view::npos ? std::string_view()
                                           : dirs.substr(colon + 1);
  }
  return {};
}

}  // namespace raft::bench
