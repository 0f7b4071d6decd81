// The replicated log on disk: a directory of append-only segment files.
//
// A segment is named by the index of its first entry, zero-padded to 20
// digits with a `.seg` suffix (00000000000000000001.seg). It holds records
// back to back, each
//
//   u32 payload length | u32 CRC-32C of the payload | payload
//   payload = u64 term | u64 index | u8 type | data bytes
//
// with every integer little-endian. Only the last segment is ever appended
// to; once it passes the segment size the next entry starts a new one.
//
// The last segment is filled with zeros ahead of its records, a chunk at a
// time, so that the fsync after an append writes data blocks only: an
// append that grew the file would also commit the new size through the
// file system's journal (the README's write throughput section has the
// measurement).
// Recovery reads an all-zero rest of the last segment as the log's end. A
// segment is cut back to its records before the next one is started, so
// only the last segment ever holds zeros past its records. Writing into
// zeros has a cost: the sectors of an unsynced write can land in any order
// when the power fails, so a bad record of the last segment whose share of
// some sector reads all zeros is a torn write even with valid records after
// it (they were written later, and synced no sooner).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "raft/core/types.hpp"
#include "raft/storage/storage_error.hpp"

namespace raft::storage {

inline constexpr std::uint64_t default_segment_size_bytes = 16ULL << 20;

// How far ahead of its records the last segment is zero-filled at a time.
inline constexpr std::uint64_t default_zero_fill_bytes = 1ULL << 20;

// A length field above this is damage, not a record: it bounds what recovery
// reads for one record. write() refuses entries that would exceed it.
inline constexpr std::uint32_t max_record_payload_bytes = 64U << 20;

// Synchronous POSIX I/O; the caller runs it on its disk thread. Not safe for
// concurrent use from several threads. After any exception from write() or
// sync() (an I/O error) the object must be discarded and the node restarted:
// recovery, not this object, then decides what the disk holds.
class LogStore {
 public:
  // Opens (creating `dir` durably if needed) and recovers the log. A torn
  // tail (a partial or bad last record of the last segment, with no valid
  // record after it, or a partly landed one as above) is cut off at the
  // last good record, and the truncation fsynced. Damage anywhere else (a
  // bad record followed by valid data, a bad record in an earlier segment,
  // an index gap, a term going down) throws StorageError naming the file
  // and byte offset. Zeros after the last segment's records are not a torn
  // tail: they are left for later appends. The last segment is fsynced
  // before the constructor returns, since what it read may have been only
  // in the page cache of a process that crashed.
  //
  // `zero_fill_bytes` 0 turns zero-filling off: every append grows the file.
  explicit LogStore(
      std::filesystem::path dir,
      std::uint64_t segment_size_bytes = default_segment_size_bytes,
      std::uint64_t zero_fill_bytes = default_zero_fill_bytes);
  ~LogStore();

  LogStore(const LogStore&) = delete;
  LogStore& operator=(const LogStore&) = delete;

  // What recovery found on opening, indexes 1.. without gaps. Later writes
  // do not show here: the store keeps only each entry's term and place, so
  // the log is not held in memory twice (the core holds it).
  const std::vector<LogEntry>& recovered() const { return recovered_; }
  // Hands the recovered entries over, leaving recovered() empty.
  std::vector<LogEntry> take_recovered() { return std::move(recovered_); }

  // 0 when the log is empty.
  Index last_index() const;

  // How many bytes recovery cut off the tail of the last segment, up to the
  // last nonzero one, so that the caller can log it (a crash mid-write
  // leaves a few).
  std::uint64_t torn_tail_bytes() const { return torn_tail_bytes_; }

  // Writes `entries`, which must be contiguous with non-decreasing terms and
  // start at or before last_index() + 1; whatever is stored from
  // entries.front().index on is replaced (conflict truncation). Throws
  // std::invalid_argument, writing nothing, when they do not fit that shape.
  //
  // Plain appends are not fsynced (see sync()). Two rare steps are, because
  // recovery must never see a state it would refuse: cutting existing
  // entries (so that a crash cannot leave new records followed by old ones)
  // and finishing a segment (so that only the last segment can have a torn
  // tail).
  void write(std::span<const LogEntry> entries);

  // Makes every write() so far durable: fsyncs the last segment and, when a
  // segment was created, the directory. Group commit calls write() several
  // times and then sync() once.
  void sync();

  // Not yet: truncate_prefix for snapshots; recovery still insists the first
  // segment starts at index 1.

 private:
  struct Segment {
    // From the file name; the index of the segment's first record.
    Index first_index = 0;
    std::filesystem::path path;
    // Bytes of whole records; the next record is written here.
    std::uint64_t size_bytes = 0;
    // The file's size: zeros from size_bytes up to here.
    std::uint64_t file_bytes = 0;
  };

  // Where an entry's record starts, so that truncation is one lookup.
  struct Location {
    std::size_t segment = 0;
    std::uint64_t offset_bytes = 0;
  };

  void recover();
  void recover_segment(std::size_t segment, bool is_last);
  void accept_recovered(const LogEntry& entry, const Segment& segment,
                        Location location);
  // A bad record at `offset_bytes` of `segment`, not followed by zeros
  // only: cut it and what follows as a torn tail, or throw StorageError.
  void cut_torn_tail_or_refuse(Segment& segment, std::string_view file,
                               std::uint64_t offset_bytes,
                               const char* problem, bool is_last);
  void cut_torn_tail(Segment& segment, std::uint64_t offset_bytes,
                     std::uint64_t torn_bytes);

  void check_batch(std::span<const LogEntry> entries) const;
  void cut_suffix(Index first_cut);
  void remove_segments_after(std::size_t segment);
  void append(std::span<const LogEntry> entries);
  bool tail_needs_roll(std::size_t pending_bytes) const;
  void zero_fill(std::uint64_t end_bytes);
  void flush(std::string& pending);
  void cut_tail_file(std::uint64_t size_bytes);
  void roll(Index first_index);
  void open_tail();
  void close_tail();

  std::filesystem::path dir_;
  std::uint64_t segment_size_bytes_;
  std::uint64_t zero_fill_bytes_;

  // Sorted by first_index; the last one is the only one written to.
  std::vector<Segment> segments_;
  // The entry with index i + 1 has term terms_[i], and its record starts
  // at locations_[i].
  std::vector<Term> terms_;
  std::vector<Location> locations_;
  std::vector<LogEntry> recovered_;

  // Open for writing on segments_.back(), or -1 when there is no segment.
  int tail_fd_ = -1;
  // The tail has writes not yet fsynced.
  bool tail_unsynced_ = false;
  // A segment was created since the last directory fsync.
  bool dir_unsynced_ = false;
  std::uint64_t torn_tail_bytes_ = 0;
};

}  // namespace raft::storage
