#include "child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace raft::bench::tp {

namespace {

// Children the signal handler must kill; 0 marks a free slot. Fixed size
// and lock-free, so the handler may read it.
constexpr std::size_t max_children = 64;
std::array<std::atomic<pid_t>, max_children> registry{};
volatile std::sig_atomic_t signalled = 0;

void on_signal(int) {
  signalled = 1;
  for (auto& slot : registry) {
    const pid_t pid = slot.load();
    if (pid > 0) {
      ::kill(pid, SIGKILL);
    }
  }
}

void register_child(pid_t pid) {
  for (auto& slot : registry) {
    pid_t expected = 0;
    if (slot.compare_exchange_strong(expected, pid)) {
      return;
    }
  }
  ::kill(pid, SIGKILL);
  throw std::runtime_error("too many child processes");
}

void unregister_child(pid_t pid) {
  for (auto& slot : registry) {
    pid_t expected = pid;
    if (slot.compare_exchange_strong(expected, 0)) {
      return;
    }
  }
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

std::vector<char*> make_argv(std::vector<std::string>& strings) {
  std::vector<char*> argv;
  for (std::string& text : strings) {
    argv.push_back(text.data());
  }
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

void install_signal_cleanup() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  ::sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

bool interrupted() { return signalled != 0; }

void throw_if_interrupted() {
  if (interrupted()) {
    throw Interrupted();
  }
}

Child::Child(const std::string& program, const std::vector<std::string>& args,
             std::filesystem::path log_path)
    : log_path_(std::move(log_path)) {
  std::vector<std::string> strings{program};
  strings.insert(strings.end(), args.begin(), args.end());
  std::vector<char*> argv = make_argv(strings);

  const int fd = ::open(log_path_.c_str(),
                        O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    fail("opening " + log_path_.string());
  }

  pid_ = ::fork();
  if (pid_ == 0) {
    // Only async-signal-safe calls until exec.
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fd);
  if (pid_ < 0) {
    fail("fork");
  }
  register_child(pid_);
}

Child::~Child() { stop(); }

void Child::reap(int options) {
  if (reaped_) {
    return;
  }
  int status = 0;
  pid_t done = -1;
  do {
    done = ::waitpid(pid_, &status, options);
  } while (done < 0 && errno == EINTR);
  if (done == pid_ || (done < 0 && errno == ECHILD)) {
    reaped_ = true;
    unregister_child(pid_);
  }
}

bool Child::running() {
  reap(WNOHANG);
  return !reaped_;
}

bool Child::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int round = 0; round < 100'000 && running(); ++round) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return !running();
}

void Child::stop() {
  if (reaped_) {
    return;
  }
  ::kill(pid_, SIGKILL);
  reap(0);
}

std::string Child::log_tail(std::size_t bytes) const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() <= bytes ? all : all.substr(all.size() - bytes);
}

std::string run_and_capture(const std::string& program,
                            const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout) {
  char path[] = "/tmp/tp-capture-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) {
    fail("mkstemp");
  }
  ::close(fd);

  std::string output;
  {
    Child child(program, args, path);
    child.wait_exit(timeout);
    child.stop();
    output = child.log_tail(1 << 20);
  }
  std::filesystem::remove(path);
  return output;
}

double process_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);

  // Fields after the command name, which is in parentheses and may hold
  // spaces: state is field 3, utime 14, stime 15.
  const auto close = line.rfind(')');
  if (close == std::string::npos) {
    return 0;
  }
  std::istringstream fields(line.substr(close + 2));
  std::string skip;
  for (int field = 3; field < 14; ++field) {
    fields >> skip;
  }
  unsigned long long utime = 0;
  unsigned long long stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) /
         static_cast<double>(::sysconf(_SC_CLK_TCK));
}

long peak_rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  for (int lines = 0; lines < 200 && std::getline(in, line); ++lines) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::stol(line.substr(6));
    }
  }
  return 0;
}

double self_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace raft::bench::tp
