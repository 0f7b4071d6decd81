#include "raft/storage/data_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "posix_file.hpp"
#include "raft/storage/storage_error.hpp"

namespace raft::storage {

DataDirLock::DataDirLock(const std::filesystem::path& dir) {
  // Durably: a directory entry lost to a power cut would take the synced
  // log and vote inside it along.
  detail::create_dir_durably(dir);
  const std::filesystem::path path = dir / "LOCK";

  detail::Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd.get() < 0) detail::throw_errno("cannot open", path);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      throw StorageError("data directory " + dir.string() +
                         " is in use by another process (it holds " +
                         path.string() + ")");
    }
    detail::throw_errno("cannot lock", path);
  }
  fd_ = fd.release();
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) {
    ::close(fd_);  // releases the flock
  }
}

}  // namespace raft::storage
