#include "raft/storage/hard_state_file.hpp"


#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "posix_file.hpp"

namespace raft::storage {

namespace {

// A real hard state is about 50 bytes; anything this large is not one.
constexpr std::size_t max_file_bytes = 4096;

using detail::create_dir_durably;
using detail::Fd;
using detail::fsync_dir;
using detail::throw_errno;

void write_all(int fd, std::string_view bytes,
               const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) throw_errno("cannot write", path);
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
}

// Reads at most max_file_bytes + 1 bytes, so an oversized file is detected
// without reading it all.
std::string read_bounded(int fd, const std::filesystem::path& path) {
  std::string text(max_file_bytes + 1, '\0');
  std::size_t size_bytes = 0;
  while (size_bytes < text.size()) {
    const ssize_t got =
        ::read(fd, text.data() + size_bytes, text.size() - size_bytes);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw_errno("cannot read", path);
    if (got == 0) break;
    size_bytes += static_cast<std::size_t>(got);
  }
  text.resize(size_bytes);
  return text;
}

[[noreturn]] void throw_corrupt(const std::filesystem::path& path,
                                const std::string& why) {
  throw StorageError("hard state file " + path.string() + " is corrupt (" +
                     why + "); refusing to start");
}

// JSON numbers come back as int64 when they fit, uint64 otherwise.
std::optional<std::uint64_t> as_u64(const boost::json::value& value) {
  if (value.is_uint64()) return value.get_uint64();
  if (value.is_int64() && value.get_int64() >= 0) {
    return static_cast<std::uint64_t>(value.get_int64());
  }
  return std::nullopt;
}

std::uint64_t field_u64(const boost::json::object& object,
                        std::string_view name,
                        const std::filesystem::path& path) {
  const boost::json::value* value = object.if_contains(name);
  if (value == nullptr) {
    throw_corrupt(path, "missing \"" + std::string(name) + "\"");
  }

  const std::optional<std::uint64_t> number = as_u64(*value);
  if (!number) {
    throw_corrupt(path, "\"" + std::string(name) +
                            "\" is not a non-negative integer");
  }
  return *number;
}

HardState parse(std::string_view text, const std::filesystem::path& path) {
  boost::system::error_code ec;
  const boost::json::value root = boost::json::parse(text, ec);
  if (ec) throw_corrupt(path, "invalid JSON: " + ec.message());
  if (!root.is_object()) throw_corrupt(path, "not a JSON object");

  const boost::json::object& object = root.get_object();
  const HardState state{
      .current_term = field_u64(object, "current_term", path),
      .voted_for = field_u64(object, "voted_for", path),
  };
  if (state.current_term > max_term) {
    throw_corrupt(path, "\"current_term\" is over the limit of " +
                            std::to_string(max_term));
  }
  return state;
}

}  // namespace

HardStateFile::HardStateFile(std::filesystem::path dir)
    : dir_(std::move(dir)),
      path_(dir_ / "hard_state.json"),
      temp_path_(dir_ / "hard_state.json.tmp") {
  create_dir_durably(dir_);

  // A leftover temp file is a save that crashed before its rename: the old
  // file is still the truth, so the leftover is only clutter.
  std::filesystem::remove(temp_path_);
}

HardState HardStateFile::load() const {
  Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0 && errno == ENOENT) return HardState{};
  if (fd.get() < 0) throw_errno("cannot open", path_);

  const std::string text = read_bounded(fd.get(), path_);
  if (text.size() > max_file_bytes) {
    throw_corrupt(path_, "larger than " + std::to_string(max_file_bytes) +
                             " bytes");
  }
  return parse(text, path_);
}

void HardStateFile::save(const HardState& state) {
  const boost::json::object object{
      {"current_term", state.current_term},
      {"voted_for", state.voted_for},
  };
  const std::string text = boost::json::serialize(object) + "\n";

  {
    Fd fd(::open(temp_path_.c_str(),
                 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (fd.get() < 0) throw_errno("cannot create", temp_path_);
    write_all(fd.get(), text, temp_path_);
    if (::fsync(fd.get()) != 0) throw_errno("cannot fsync", temp_path_);
  }

  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    throw_errno("cannot rename the temp file over", path_);
  }

  // The rename lives in the directory; without this it may not survive.
  fsync_dir(dir_);
}

}  // namespace raft::storage
