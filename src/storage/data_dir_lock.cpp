#include "raft/storage/data_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "posix_file.hpp"
#include "raft/storage/storage_error.hpp"

namespace raft::storage {

DataDirLock::DataDirLock(const std::filesystem::path& dir) {
  // Durably: a directory entry lost to a power cut would take the synced
  // log and vote inside it along.
  detail::create_dir_durably(dir);
  const std::filesystem::path path = dir / "LOCK";

  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int error = errno;
    throw std::system_error(error, std::generic_category(),
                            "cannot open " + path.string());
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    if (error == EWOULDBLOCK) {
      throw StorageError("data directory " + dir.string() +
                         " is in use by another process (it holds " +
                         path.string() + ")");
    }
    throw std::system_error(error, std::generic_category(),
                            "cannot lock " + path.string());
  }
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) {
    ::close(fd_);  // releases the flock
  }
}

}  // namespace raft::storage
