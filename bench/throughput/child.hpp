// Child processes for the throughput benchmark: started with fork/execv,
// their output sent to a log file (never a pipe, which a busy node could
// fill), and stopped by PID. A SIGINT or SIGTERM handler kills every child
// still running, by PID, and raises a flag the benchmark's loops check.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace raft::bench::tp {

// Thrown by a wait when SIGINT or SIGTERM arrived.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted by a signal") {}
};

// Kills registered children on SIGINT/SIGTERM and sets interrupted().
void install_signal_cleanup();
bool interrupted();
void throw_if_interrupted();

class Child {
 public:
  // Starts `program` with `args`; stdout and stderr go to `log_path`.
  // Throws std::runtime_error if the log file or the fork fails.
  Child(const std::string& program, const std::vector<std::string>& args,
        std::filesystem::path log_path);
  // Kills (SIGKILL) and reaps the process if it still runs.
  ~Child();

  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  const std::filesystem::path& log_path() const { return log_path_; }

  // True until the process has exited (waitpid WNOHANG).
  bool running();
  // Waits up to `timeout` for the process to exit by itself.
  bool wait_exit(std::chrono::milliseconds timeout);
  // SIGKILL, then reap.
  void stop();
  // The last `bytes` of the log, for error messages.
  std::string log_tail(std::size_t bytes = 2000) const;

 private:
  void reap(int options);

  pid_t pid_ = -1;
  bool reaped_ = false;
  std::filesystem::path log_path_;
};

// Runs `program args` to completion (bounded by `timeout`) and returns what
// it printed; the child is killed at the timeout.
std::string run_and_capture(const std::string& program,
                            const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout);

// CPU seconds (user + system) a process has used, from /proc/PID/stat; 0 if
// the process is gone.
double process_cpu_seconds(pid_t pid);
// Peak resident set (VmHWM) in KiB, from /proc/PID/status; 0 if unknown.
long peak_rss_kib(pid_t pid);
// CPU seconds this process has used (getrusage).
double self_cpu_seconds();

}  // namespace raft::bench::tp
