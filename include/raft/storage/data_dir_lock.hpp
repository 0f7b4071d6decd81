// An exclusive lock on a node's data directory, held for the life of the
// process: two processes appending to one log and replacing one hard state
// would each break the other's durability promises (votes, entries).
#pragma once

#include <filesystem>

namespace raft::storage {

class DataDirLock {
 public:
  // Creates `dir` durably if it is missing and takes an flock on
  // `dir/LOCK`. Throws StorageError naming the directory when another
  // process holds it, and std::system_error on other I/O errors. The
  // kernel drops the lock when the process dies, so a crash never leaves a
  // stale lock behind.
  explicit DataDirLock(const std::filesystem::path& dir);
  ~DataDirLock();

  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace raft::storage
