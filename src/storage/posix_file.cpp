#include "posix_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

namespace raft::storage::detail {

void throw_errno(const char* what, const std::filesystem::path& path) {
  const int error = errno;
  throw std::system_error(error, std::generic_category(),
                          std::string(what) + " " + path.string());
}

Fd::~Fd() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

void fsync_dir(const std::filesystem::path& dir) {
  const std::filesystem::path target = dir.empty() ? "." : dir;
  Fd fd(::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    throw_errno("cannot open directory", target);
  }
  if (::fsync(fd.get()) != 0) {
    throw_errno("cannot fsync directory", target);
  }
}

void create_dir_durably(const std::filesystem::path& dir) {
  if (dir.empty() || std::filesystem::exists(dir)) {
    return;
  }
  create_dir_durably(dir.parent_path());

  std::filesystem::create_directory(dir);
  fsync_dir(dir.parent_path());
}

}  // namespace raft::storage::detail
