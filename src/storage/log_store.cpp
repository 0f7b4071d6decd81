#include "raft/storage/log_store.hpp"


#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

#include "posix_file.hpp"
#include "raft/storage/crc32c.hpp"

namespace raft::storage {

namespace {

// u32 payload length, then u32 CRC-32C of the payload.
constexpr std::size_t record_header_bytes = 8;
// u64 term, u64 index, u8 type; the data bytes follow.
constexpr std::size_t payload_fixed_bytes = 17;
constexpr std::size_t segment_name_digits = 20;
constexpr std::string_view segment_suffix = ".seg";

// What zero_fill() writes from, one piece at a time.
constexpr std::array<char, 64 * 1024> zeros{};

// Not yet: the log always starts at index 1; snapshots will shift this.
std::size_t position_of(Index index) { return index - 1; }

// ---- POSIX helpers -------------------------------------------------------

using detail::create_dir_durably;
using detail::Fd;
using detail::fsync_dir;
using detail::throw_errno;

void pwrite_all(int fd, std::string_view bytes, std::uint64_t offset_bytes,
                const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::pwrite(fd, bytes.data(), bytes.size(),
                                     static_cast<off_t>(offset_bytes));
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) throw_errno("cannot write", path);
    bytes.remove_prefix(static_cast<std::size_t>(written));
    offset_bytes += static_cast<std::uint64_t>(written);
  }
}

void pread_all(int fd, std::string& bytes, const std::filesystem::path& path) {
  std::size_t done_bytes = 0;
  while (done_bytes < bytes.size()) {
    const ssize_t got = ::pread(fd, bytes.data() + done_bytes,
                                bytes.size() - done_bytes,
                                static_cast<off_t>(done_bytes));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw_errno("cannot read", path);
    if (got == 0) {
      throw std::runtime_error(path.string() + " shrank while being read");
    }
    done_bytes += static_cast<std::size_t>(got);
  }
}

// ---- record format -------------------------------------------------------

[[noreturn]] void throw_damage(const std::filesystem::path& path,
                               std::uint64_t offset_bytes,
                               const std::string& why) {
  throw StorageError("log segment " + path.string() +
                     " is damaged at offset " + std::to_string(offset_bytes) +
                     " (" + why + "); refusing to start");
}

std::string segment_file_name(Index first_index) {
  std::string digits = std::to_string(first_index);
  digits.insert(0, segment_name_digits - digits.size(), '0');
  return digits + std::string(segment_suffix);
}

// The first index a segment file name announces, or nothing when the name
// is not a segment's (other files in the directory are left alone).
std::optional<Index> parse_segment_file_name(std::string_view name) {
  if (name.size() != segment_name_digits + segment_suffix.size() ||
      !name.ends_with(segment_suffix)) {
    return std::nullopt;
  }

  const char* digits_end = name.data() + segment_name_digits;
  Index first_index = 0;
  const auto [end, ec] = std::from_chars(name.data(), digits_end, first_index);
  if (ec != std::errc{} || end != digits_end) return std::nullopt;
  return first_index;
}

void put_u64(std::string& out, std::uint64_t value) {
  for (int byte = 0; byte < 8; ++byte) {
    out.push_back(static_cast<char>((value >> (8 * byte)) & 0xFF));
  }
}

void set_u32(std::string& out, std::size_t at, std::uint32_t value) {
  for (int byte = 0; byte < 4; ++byte) {
    out[at + static_cast<std::size_t>(byte)] =
        static_cast<char>((value >> (8 * byte)) & 0xFF);
  }
}

std::uint64_t get_le(std::string_view bytes, std::size_t at, int width) {
  std::uint64_t value = 0;
  for (int byte = width - 1; byte >= 0; --byte) {
    const auto octet = static_cast<unsigned char>(
        bytes[at + static_cast<std::size_t>(byte)]);
    value = (value << 8) | octet;
  }
  return value;
}

void encode_record(const LogEntry& entry, std::string& out) {
  const std::size_t start = out.size();
  out.append(record_header_bytes, '\0');

  put_u64(out, entry.term);
  put_u64(out, entry.index);
  out.push_back(static_cast<char>(entry.type));
  out.append(entry.data);

  const std::size_t payload_bytes = out.size() - start - record_header_bytes;
  const std::uint32_t checksum = crc32c(std::string_view(out).substr(
      start + record_header_bytes, payload_bytes));
  set_u32(out, start, static_cast<std::uint32_t>(payload_bytes));
  set_u32(out, start + 4, checksum);
}

// One record's framing checked: either its payload, or why it is not one.
struct Frame {
  std::string_view payload;
  std::uint64_t end_bytes = 0;
  const char* problem = nullptr;
};

Frame bad_frame(const char* problem) { return Frame{{}, 0, problem}; }

Frame read_frame(std::string_view file, std::uint64_t offset_bytes) {
  const std::uint64_t available_bytes = file.size() - offset_bytes;
  if (available_bytes < record_header_bytes) {
    return bad_frame("record header cut short");
  }

  const auto length = static_cast<std::uint32_t>(get_le(file, offset_bytes, 4));
  if (length < payload_fixed_bytes || length > max_record_payload_bytes) {
    return bad_frame("length field out of range");
  }
  if (length > available_bytes - record_header_bytes) {
    return bad_frame("record cut short");
  }

  const std::string_view payload =
      file.substr(offset_bytes + record_header_bytes, length);
  const auto checksum =
      static_cast<std::uint32_t>(get_le(file, offset_bytes + 4, 4));
  if (crc32c(payload) != checksum) return bad_frame("checksum mismatch");
  return {payload, offset_bytes + record_header_bytes + length, nullptr};
}

// The first offset from `from_bytes` on that starts a well-framed record.
// This is what tells a torn tail (garbage to the end) from damage in the
// middle (good data follows), whichever header byte the damage hit.
std::optional<std::uint64_t> first_valid_frame(std::string_view file,
                                               std::uint64_t from_bytes) {
  const std::uint64_t min_record_bytes =
      record_header_bytes + payload_fixed_bytes;
  for (std::uint64_t at = from_bytes; at + min_record_bytes <= file.size();
       ++at) {
    // A record's length field is at least payload_fixed_bytes, so one of
    // its four bytes is nonzero: the zero-fill is skipped, not scanned.
    const std::size_t nonzero_bytes = file.find_first_not_of('\0', at);
    if (nonzero_bytes == std::string_view::npos) return std::nullopt;
    if (nonzero_bytes > at + 3) {
      at = nonzero_bytes - 3;
      if (at + min_record_bytes > file.size()) return std::nullopt;
    }
    if (read_frame(file, at).problem == nullptr) return at;
  }
  return std::nullopt;
}

bool all_zero(std::string_view bytes) {
  return bytes.find_first_not_of('\0') == std::string_view::npos;
}

// The unit a disk writes whole: a crash leaves each sector old or new.
constexpr std::uint64_t sector_bytes = 512;

// Whether the bad record at `offset_bytes` of the last segment, followed
// by a valid one at `next_bytes`, is a write that reached the disk only in
// part. Records go into zeros written ahead of them, and the sectors of
// one write may land in any order before its fsync returns. A sector that
// did not land holds what it held before: zeros from where the appends had
// reached, so from the bad record's first byte in it to the sector's end.
// The records after it were written later and synced no sooner, so none
// of them was acknowledged either. A length field with zeros where its
// bytes did not land reads no larger than the real one, so a record that
// claims to run past the next valid one is damaged, not torn. What this
// cannot tell apart: a synced record that was damaged and also ends, at a
// sector's end, in zero bytes. That one is cut as torn, not refused.
bool partly_written(std::string_view file, std::uint64_t offset_bytes,
                    std::uint64_t next_bytes) {
  const std::uint64_t end_bytes =
      offset_bytes + record_header_bytes + get_le(file, offset_bytes, 4);
  if (end_bytes > next_bytes) return false;

  std::uint64_t from_bytes = offset_bytes;
  while (from_bytes < end_bytes) {
    const std::uint64_t sector_end_bytes = std::min<std::uint64_t>(
        file.size(), (from_bytes / sector_bytes + 1) * sector_bytes);
    if (all_zero(file.substr(from_bytes, sector_end_bytes - from_bytes))) {
      return true;
    }
    from_bytes = sector_end_bytes;
  }
  return false;
}

// A payload whose checksum matched; nothing when its type is unknown.
std::optional<LogEntry> decode_payload(std::string_view payload) {
  const auto type = static_cast<std::uint8_t>(payload[16]);
  if (type != static_cast<std::uint8_t>(EntryType::command) &&
      type != static_cast<std::uint8_t>(EntryType::noop)) {
    return std::nullopt;
  }

  return LogEntry{
      .term = get_le(payload, 0, 8),
      .index = get_le(payload, 8, 8),
      .type = static_cast<EntryType>(type),
      .data = std::string(payload.substr(payload_fixed_bytes)),
  };
}

// A whole segment file. No segment this store writes is larger than its
// size limit plus one record, so the bound only trips on a foreign file.
std::string read_segment(const std::filesystem::path& path,
                         std::uint64_t max_bytes) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw_errno("cannot open", path);

  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw_errno("cannot stat", path);
  const auto size_bytes = static_cast<std::uint64_t>(info.st_size);
  if (size_bytes > max_bytes) {
    throw_damage(path, max_bytes, "file larger than any segment written");
  }

  std::string bytes(size_bytes, '\0');
  pread_all(fd.get(), bytes, path);
  return bytes;
}

}  // namespace

// ---- recovery ------------------------------------------------------------

LogStore::LogStore(std::filesystem::path dir,
                   std::uint64_t segment_size_bytes,
                   std::uint64_t zero_fill_bytes)
    : dir_(std::move(dir)),
      segment_size_bytes_(segment_size_bytes),
      zero_fill_bytes_(zero_fill_bytes) {
  if (segment_size_bytes_ == 0) {
    throw std::invalid_argument("log segment size must be positive");
  }

  create_dir_durably(dir_);
  recover();
}

LogStore::~LogStore() { close_tail(); }

Index LogStore::last_index() const {
  return terms_.size();
}

void LogStore::recover() {
  for (const auto& item : std::filesystem::directory_iterator(dir_)) {
    const std::optional<Index> first_index =
        parse_segment_file_name(item.path().filename().string());
    if (!first_index) continue;
    segments_.push_back(Segment{*first_index, item.path(), 0, 0});
  }
  std::sort(segments_.begin(), segments_.end(),
            [](const Segment& a, const Segment& b) {
              return a.first_index < b.first_index;
            });

  for (std::size_t segment = 0; segment < segments_.size(); ++segment) {
    recover_segment(segment, segment + 1 == segments_.size());
  }

  // What was read may have been only in the page cache (the last run
  // crashed before its fsync): make it durable before anyone relies on it.
  // The directory too: the last segment may be new, its entry unsynced.
  open_tail();
  tail_unsynced_ = tail_fd_ >= 0;
  dir_unsynced_ = tail_fd_ >= 0;
  sync();
}

void LogStore::recover_segment(std::size_t segment, bool is_last) {
  Segment& current = segments_[segment];
  // A missing segment shows up here, as a name that skips indexes.
  if (current.first_index != last_index() + 1) {
    throw_damage(current.path, 0,
                 "named for index " + std::to_string(current.first_index) +
                     " but the log before it ends at index " +
                     std::to_string(last_index()));
  }

  const std::uint64_t max_file_bytes =
      std::max(segment_size_bytes_, default_segment_size_bytes) +
      record_header_bytes + max_record_payload_bytes;
  const std::string file = read_segment(current.path, max_file_bytes);

  std::uint64_t offset_bytes = 0;
  while (offset_bytes < file.size()) {
    const Frame frame = read_frame(file, offset_bytes);
    if (frame.problem != nullptr) {
      // Zero-filled ahead of the records: the end of the log, kept for the
      // appends to come. Roll cuts a segment's zeros before the next one
      // exists, so only the last segment may have them.
      if (is_last && all_zero(std::string_view(file).substr(offset_bytes))) {
        break;
      }
      cut_torn_tail_or_refuse(current, file, offset_bytes, frame.problem,
                              is_last);
      return;
    }

    const std::optional<LogEntry> entry = decode_payload(frame.payload);
    if (!entry) throw_damage(current.path, offset_bytes, "unknown entry type");
    accept_recovered(*entry, current, Location{segment, offset_bytes});
    offset_bytes = frame.end_bytes;
  }
  current.size_bytes = offset_bytes;
  current.file_bytes = file.size();
}

void LogStore::accept_recovered(const LogEntry& entry, const Segment& segment,
                                Location location) {
  if (entry.index != last_index() + 1) {
    throw_damage(segment.path, location.offset_bytes,
                 "index " + std::to_string(entry.index) + " where " +
                     std::to_string(last_index() + 1) + " was expected");
  }
  if (!terms_.empty() && entry.term < terms_.back()) {
    throw_damage(segment.path, location.offset_bytes,
                 "term " + std::to_string(entry.term) +
                     " below the previous entry's term " +
                     std::to_string(terms_.back()));
  }

  terms_.push_back(entry.term);
  locations_.push_back(location);
  recovered_.push_back(entry);
}

void LogStore::cut_torn_tail_or_refuse(Segment& segment,
                                       std::string_view file,
                                       std::uint64_t offset_bytes,
                                       const char* problem, bool is_last) {
  if (!is_last) {
    const bool zeros_to_end = all_zero(file.substr(offset_bytes));
    throw_damage(segment.path, offset_bytes,
                 std::string(zeros_to_end ? "zeros after the records"
                                          : problem) +
                     ", in a segment that is not the last");
  }
  const std::optional<std::uint64_t> next_bytes =
      first_valid_frame(file, offset_bytes + 1);
  if (next_bytes && !partly_written(file, offset_bytes, *next_bytes)) {
    throw_damage(segment.path, offset_bytes,
                 std::string(problem) + ", with valid records after it");
  }
  // Zeros after the garbage are the zero-fill, not part of the tear.
  cut_torn_tail(segment, offset_bytes,
                file.find_last_not_of('\0') + 1 - offset_bytes);
}

void LogStore::cut_torn_tail(Segment& segment, std::uint64_t offset_bytes,
                             std::uint64_t torn_bytes) {
  Fd fd(::open(segment.path.c_str(), O_WRONLY | O_CLOEXEC));
  if (fd.get() < 0) throw_errno("cannot open", segment.path);

  // Cut now and durably, so that records appended later can never be
  // followed by this garbage after another crash.
  if (::ftruncate(fd.get(), static_cast<off_t>(offset_bytes)) != 0) {
    throw_errno("cannot truncate", segment.path);
  }
  if (::fdatasync(fd.get()) != 0) throw_errno("cannot fsync", segment.path);

  segment.size_bytes = offset_bytes;
  segment.file_bytes = offset_bytes;
  torn_tail_bytes_ = torn_bytes;
}

// ---- writing -------------------------------------------------------------

void LogStore::write(std::span<const LogEntry> entries) {
  if (entries.empty()) return;

  check_batch(entries);

  const Index first_index = entries.front().index;
  if (first_index <= last_index()) cut_suffix(first_index);

  append(entries);
}

void LogStore::check_batch(std::span<const LogEntry> entries) const {
  const Index first_index = entries.front().index;
  if (first_index == 0 || first_index > last_index() + 1) {
    throw std::invalid_argument(
        "log write starts at index " + std::to_string(first_index) +
        ", not within 1.." + std::to_string(last_index() + 1));
  }

  Term previous_term =
      first_index > 1 ? terms_[position_of(first_index - 1)] : 0;
  Index expected_index = first_index;
  for (const LogEntry& entry : entries) {
    if (entry.index != expected_index) {
      throw std::invalid_argument("log write is not contiguous at index " +
                                  std::to_string(expected_index));
    }
    if (entry.term < previous_term) {
      throw std::invalid_argument("log write lowers the term at index " +
                                  std::to_string(entry.index));
    }
    if (entry.data.size() > max_record_payload_bytes - payload_fixed_bytes) {
      throw std::invalid_argument("log entry " + std::to_string(entry.index) +
                                  " is larger than a record may be");
    }
    if (entry.type != EntryType::command && entry.type != EntryType::noop) {
      throw std::invalid_argument("log entry " + std::to_string(entry.index) +
                                  " has an unknown type");
    }
    previous_term = entry.term;
    ++expected_index;
  }
}

void LogStore::cut_suffix(Index first_cut) {
  const std::size_t position = position_of(first_cut);
  const Location at = locations_[position];

  remove_segments_after(at.segment);

  // Durable before anything new is written: otherwise a crash could keep
  // the new records and lose the cut, leaving old records after new ones.
  cut_tail_file(at.offset_bytes);

  terms_.resize(position);
  locations_.resize(position);
}

void LogStore::remove_segments_after(std::size_t segment) {
  if (segments_.size() == segment + 1) return;

  close_tail();

  // Last first, with a directory fsync after each removal: a crash part way
  // leaves a shorter log, never one with a hole that recovery must refuse.
  while (segments_.size() > segment + 1) {
    std::filesystem::remove(segments_.back().path);
    fsync_dir(dir_);
    segments_.pop_back();
  }
  dir_unsynced_ = false;

  open_tail();
}

void LogStore::append(std::span<const LogEntry> entries) {
  // One pwrite per segment touched rather than one per entry.
  std::string pending;
  for (const LogEntry& entry : entries) {
    if (tail_needs_roll(pending.size())) {
      flush(pending);
      roll(entry.index);
    }

    const std::uint64_t offset_bytes =
        segments_.back().size_bytes + pending.size();
    locations_.push_back(Location{segments_.size() - 1, offset_bytes});
    encode_record(entry, pending);
    terms_.push_back(entry.term);
  }
  flush(pending);
}

bool LogStore::tail_needs_roll(std::size_t pending_bytes) const {
  return segments_.empty() ||
         segments_.back().size_bytes + pending_bytes >= segment_size_bytes_;
}

void LogStore::flush(std::string& pending) {
  if (pending.empty()) return;

  Segment& tail = segments_.back();
  pwrite_all(tail_fd_, pending, tail.size_bytes, tail.path);
  tail.size_bytes += pending.size();
  tail.file_bytes = std::max(tail.file_bytes, tail.size_bytes);
  tail_unsynced_ = true;
  pending.clear();

  if (tail.file_bytes == tail.size_bytes) zero_fill(tail.size_bytes);
}

void LogStore::zero_fill(std::uint64_t end_bytes) {
  if (zero_fill_bytes_ == 0) return;

  // To the next multiple of the chunk, short of the size limit: once past
  // it the segment takes no more records.
  Segment& tail = segments_.back();
  const std::uint64_t target_bytes = std::min(
      (end_bytes / zero_fill_bytes_ + 1) * zero_fill_bytes_,
      segment_size_bytes_);
  while (tail.file_bytes < target_bytes) {
    const std::uint64_t piece_bytes =
        std::min<std::uint64_t>(zeros.size(), target_bytes - tail.file_bytes);
    pwrite_all(tail_fd_, std::string_view(zeros.data(), piece_bytes),
               tail.file_bytes, tail.path);
    tail.file_bytes += piece_bytes;
  }
}

void LogStore::cut_tail_file(std::uint64_t size_bytes) {
  Segment& tail = segments_.back();
  if (::ftruncate(tail_fd_, static_cast<off_t>(size_bytes)) != 0) {
    throw_errno("cannot truncate", tail.path);
  }
  if (::fdatasync(tail_fd_) != 0) throw_errno("cannot fsync", tail.path);
  tail.size_bytes = size_bytes;
  tail.file_bytes = size_bytes;
  tail_unsynced_ = false;
}

void LogStore::roll(Index first_index) {
  // A finished segment is made durable (with its directory entry) and cut
  // back to its records before the next one exists, so that only the last
  // segment can have a torn tail or zeros.
  if (!segments_.empty() &&
      segments_.back().file_bytes > segments_.back().size_bytes) {
    cut_tail_file(segments_.back().size_bytes);
  }
  sync();
  close_tail();

  const std::filesystem::path path = dir_ / segment_file_name(first_index);
  tail_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                    0644);
  if (tail_fd_ < 0) throw_errno("cannot create", path);
  segments_.push_back(Segment{first_index, path, 0, 0});
  dir_unsynced_ = true;
}

void LogStore::sync() {
  if (tail_unsynced_) {
    if (::fdatasync(tail_fd_) != 0) {
      throw_errno("cannot fsync", segments_.back().path);
    }
    tail_unsynced_ = false;
  }

  if (dir_unsynced_) {
    fsync_dir(dir_);
    dir_unsynced_ = false;
  }
}

void LogStore::open_tail() {
  if (segments_.empty()) return;

  const std::filesystem::path& path = segments_.back().path;
  tail_fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (tail_fd_ < 0) throw_errno("cannot open", path);
}

void LogStore::close_tail() {
  if (tail_fd_ >= 0) ::close(tail_fd_);
  tail_fd_ = -1;
  tail_unsynced_ = false;
}

}  // namespace raft::storage
