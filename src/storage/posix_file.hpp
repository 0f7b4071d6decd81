// Small POSIX helpers shared by the storage files (internal to storage).
#pragma once

#include <filesystem>

namespace raft::storage::detail {

// Throws std::system_error for the current errno. Takes a C string so that
// nothing allocates, and so clobbers errno, before errno is read.
[[noreturn]] void throw_errno(const char* what,
                              const std::filesystem::path& path);

// Owns one file descriptor and closes it on every path out.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd();
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  // Stops owning the descriptor and hands it over.
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

// Makes the directory's entries (files created, renamed, removed) durable.
void fsync_dir(const std::filesystem::path& dir);

// Like create_directories, but each new directory's entry in its parent is
// fsynced, so a fresh data directory does not vanish in a crash.
void create_dir_durably(const std::filesystem::path& dir);

}  // namespace raft::storage::detail
