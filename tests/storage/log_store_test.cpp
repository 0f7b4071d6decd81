#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "raft/storage/log_store.hpp"

namespace {

namespace fs = std::filesystem;
using raft::EntryType;
using raft::Index;
using raft::LogEntry;
using raft::Term;
using raft::storage::LogStore;
using raft::storage::StorageError;

// Record framing as the format defines it: length, checksum, then term,
// index and type ahead of the data.
constexpr std::uint64_t record_overhead_bytes = 8 + 17;

// A fresh directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::random_device random;
    path_ = fs::temp_directory_path() /
            ("raft-log-store-test-" + std::to_string(random()) + "-" +
             std::to_string(counter++));
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

LogEntry entry(Index index, Term term, std::string data = "") {
  if (data.empty()) data = "entry-" + std::to_string(index);
  return LogEntry{term, index, EntryType::command, std::move(data)};
}

std::vector<LogEntry> entries(Index first, Index last, Term term) {
  std::vector<LogEntry> result;
  for (Index index = first; index <= last; ++index) {
    result.push_back(entry(index, term));
  }
  return result;
}

std::uint64_t record_bytes(const LogEntry& entry) {
  return record_overhead_bytes + entry.data.size();
}

std::vector<fs::path> segment_files(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& item : fs::directory_iterator(dir)) {
    if (item.path().extension() == ".seg") files.push_back(item.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(fs::file_size(path), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return bytes;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// The bytes of a segment's records: its file without the zeros that fill it
// ahead of them. Every record these tests write ends in a nonzero byte.
std::uint64_t used_bytes(const fs::path& path) {
  const std::string bytes = read_bytes(path);
  const std::size_t last = bytes.find_last_not_of('\0');
  return last == std::string::npos ? 0 : last + 1;
}

void flip_byte(const fs::path& path, std::uint64_t offset_bytes) {
  std::string bytes = read_bytes(path);
  bytes.at(offset_bytes) = static_cast<char>(bytes.at(offset_bytes) ^ 0xFF);
  write_bytes(path, bytes);
}

// A log with `entries` written and synced in `dir`, then closed.
void make_log(const fs::path& dir, const std::vector<LogEntry>& entries,
              std::uint64_t segment_size_bytes =
                  raft::storage::default_segment_size_bytes) {
  LogStore store(dir, segment_size_bytes);
  store.write(entries);
  store.sync();
}

std::vector<LogEntry> reopen(const fs::path& dir) {
  return LogStore(dir).recovered();
}

// Expects opening `dir` to be refused with a message that names `file` and
// gives an offset.
void check_refused(const fs::path& dir, const fs::path& file) {
  BOOST_CHECK_EXCEPTION(
      LogStore store(dir), StorageError, [&](const StorageError& error) {
        const std::string message = error.what();
        BOOST_TEST_MESSAGE(message);
        return message.find(file.string()) != std::string::npos &&
               message.find("offset") != std::string::npos;
      });
}

// Opens a copy whose last record was damaged, expects the records before it,
// and checks that appending after them survives another reopen.
void check_recovers_without_last(const fs::path& dir,
                                 const std::vector<LogEntry>& written,
                                 std::uint64_t good_bytes) {
  const std::vector<LogEntry> kept(written.begin(), written.end() - 1);
  const LogEntry replacement = entry(written.back().index, 9, "after");
  {
    LogStore store(dir);
    BOOST_TEST((store.recovered() == kept));
    BOOST_TEST(fs::file_size(segment_files(dir).front()) == good_bytes);

    store.write(std::vector{replacement});
    store.sync();
  }

  std::vector<LogEntry> expected = kept;
  expected.push_back(replacement);
  BOOST_TEST((reopen(dir) == expected));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(log_store)

BOOST_AUTO_TEST_CASE(a_fresh_dir_opens_an_empty_log) {
  TempDir dir;
  const LogStore store(dir.path() / "node-1" / "log");

  BOOST_TEST(store.recovered().empty());
  BOOST_TEST(store.last_index() == 0U);
  BOOST_TEST(fs::is_directory(dir.path() / "node-1" / "log"));
}

BOOST_AUTO_TEST_CASE(reopen_after_a_clean_sync_gives_the_same_entries) {
  TempDir dir;
  std::vector<LogEntry> written = entries(1, 20, 1);
  written[0].type = EntryType::noop;
  {
    LogStore store(dir.path());
    store.write(std::span(written).first(5));
    store.write(std::span(written).subspan(5, 10));
    store.write(std::span(written).subspan(15));
    store.sync();
    BOOST_TEST(store.last_index() == 20U);
  }

  LogStore reopened(dir.path());
  BOOST_TEST((reopened.recovered() == written));
  BOOST_TEST(reopened.last_index() == 20U);
  BOOST_TEST(reopened.torn_tail_bytes() == 0U);

  // Handing the entries to the core leaves the store holding only their
  // terms and places, and it still knows where the log ends.
  BOOST_TEST((reopened.take_recovered() == written));
  BOOST_TEST(reopened.recovered().empty());
  BOOST_TEST(reopened.last_index() == 20U);
  BOOST_TEST(segment_files(dir.path()).front().filename() ==
             "00000000000000000001.seg");
}

BOOST_AUTO_TEST_CASE(torn_tail_cut_at_every_byte_of_the_last_record) {
  TempDir original;
  const std::vector<LogEntry> written = entries(1, 5, 1);
  make_log(original.path(), written);
  const fs::path segment = segment_files(original.path()).front();
  const std::uint64_t size_bytes = used_bytes(segment);
  const std::uint64_t last_start_bytes =
      size_bytes - record_bytes(written.back());

  for (std::uint64_t cut = last_start_bytes; cut < size_bytes; ++cut) {
    BOOST_TEST_CONTEXT("file cut to " << cut << " bytes") {
      TempDir copy;
      fs::copy(original.path(), copy.path());
      fs::resize_file(copy.path() / segment.filename(), cut);

      // The tear counts up to its last nonzero byte (the term's high
      // bytes are zeros). Worked out before opening, which cuts it.
      const std::uint64_t torn_bytes =
          used_bytes(copy.path() / segment.filename()) - last_start_bytes;
      BOOST_TEST(LogStore(copy.path()).torn_tail_bytes() == torn_bytes);
      check_recovers_without_last(copy.path(), written, last_start_bytes);
    }
  }
}

BOOST_AUTO_TEST_CASE(torn_tail_with_any_byte_of_the_last_record_flipped) {
  TempDir original;
  const std::vector<LogEntry> written = entries(1, 5, 1);
  make_log(original.path(), written);
  const fs::path segment = segment_files(original.path()).front();
  const std::uint64_t size_bytes = used_bytes(segment);
  const std::uint64_t last_start_bytes =
      size_bytes - record_bytes(written.back());

  for (std::uint64_t at = last_start_bytes; at < size_bytes; ++at) {
    BOOST_TEST_CONTEXT("byte " << at << " flipped") {
      TempDir copy;
      fs::copy(original.path(), copy.path());
      flip_byte(copy.path() / segment.filename(), at);

      check_recovers_without_last(copy.path(), written, last_start_bytes);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_torn_only_record_leaves_an_empty_log_to_append_to) {
  TempDir dir;
  make_log(dir.path(), entries(1, 1, 1));
  fs::resize_file(segment_files(dir.path()).front(), 3);

  {
    LogStore store(dir.path());
    BOOST_TEST(store.recovered().empty());
    store.write(entries(1, 2, 2));
    store.sync();
  }
  BOOST_TEST((reopen(dir.path()) == entries(1, 2, 2)));
}

BOOST_AUTO_TEST_CASE(damage_in_the_first_of_several_records_is_refused) {
  TempDir original;
  const std::vector<LogEntry> written = entries(1, 5, 1);
  make_log(original.path(), written);
  const fs::path segment = segment_files(original.path()).front();
  const std::uint64_t size_bytes = fs::file_size(segment);

  for (std::uint64_t at = 0; at < record_bytes(written.front()); ++at) {
    BOOST_TEST_CONTEXT("byte " << at << " flipped") {
      TempDir copy;
      fs::copy(original.path(), copy.path());
      flip_byte(copy.path() / segment.filename(), at);

      check_refused(copy.path(), copy.path() / segment.filename());
      // Refusing must leave the evidence alone.
      BOOST_TEST(fs::file_size(copy.path() / segment.filename()) ==
                 size_bytes);
    }
  }
}

BOOST_AUTO_TEST_CASE(damage_in_a_middle_record_is_refused_at_its_offset) {
  TempDir dir;
  const std::vector<LogEntry> written = entries(1, 5, 1);
  make_log(dir.path(), written);
  const fs::path segment = segment_files(dir.path()).front();
  const std::uint64_t third_start_bytes = 2 * record_bytes(written[0]);
  flip_byte(segment, third_start_bytes + 20);

  BOOST_CHECK_EXCEPTION(
      LogStore store(dir.path()), StorageError, [&](const StorageError& e) {
        return std::string(e.what()).find(
                   "offset " + std::to_string(third_start_bytes) + " ") !=
               std::string::npos;
      });
}

BOOST_AUTO_TEST_CASE(a_torn_record_in_an_earlier_segment_is_refused) {
  TempDir original;
  // A one-byte segment size puts every record in its own segment.
  make_log(original.path(), entries(1, 4, 1), 1);
  const std::vector<fs::path> segments = segment_files(original.path());
  BOOST_TEST(segments.size() == 4U);

  {
    TempDir copy;
    fs::copy(original.path(), copy.path());
    const fs::path second = copy.path() / segments[1].filename();
    fs::resize_file(second, fs::file_size(second) - 1);
    check_refused(copy.path(), second);
  }
  {
    TempDir copy;
    fs::copy(original.path(), copy.path());
    const fs::path first = copy.path() / segments[0].filename();
    flip_byte(first, fs::file_size(first) - 1);
    check_refused(copy.path(), first);
  }
}

BOOST_AUTO_TEST_CASE(a_missing_segment_is_refused_as_an_index_gap) {
  TempDir dir;
  make_log(dir.path(), entries(1, 4, 1), 1);
  const std::vector<fs::path> segments = segment_files(dir.path());
  fs::remove(segments[1]);

  check_refused(dir.path(), segments[2]);
}

BOOST_AUTO_TEST_CASE(a_missing_first_segment_is_refused) {
  TempDir dir;
  make_log(dir.path(), entries(1, 4, 1), 1);
  const std::vector<fs::path> segments = segment_files(dir.path());
  fs::remove(segments[0]);

  check_refused(dir.path(), segments[1]);
}

BOOST_AUTO_TEST_CASE(a_valid_record_whose_index_skips_is_refused) {
  TempDir dir;
  const std::vector<LogEntry> written = entries(1, 3, 1);
  make_log(dir.path(), written);
  const fs::path segment = segment_files(dir.path()).front();

  // Splice record 2 out: every record left has a good checksum.
  const std::string bytes = read_bytes(segment);
  const std::uint64_t record_size_bytes = record_bytes(written[0]);
  write_bytes(segment, bytes.substr(0, record_size_bytes) +
                           bytes.substr(2 * record_size_bytes));

  check_refused(dir.path(), segment);
}

BOOST_AUTO_TEST_CASE(a_valid_record_whose_term_goes_down_is_refused) {
  TempDir high;
  TempDir low;
  make_log(high.path(), entries(1, 2, 2));
  make_log(low.path(), entries(1, 2, 1));
  const fs::path segment = segment_files(high.path()).front();

  // Record 1 of term 2 followed by record 2 of term 1.
  const std::uint64_t record_size_bytes = record_bytes(entry(1, 1));
  const std::string spliced =
      read_bytes(segment).substr(0, record_size_bytes) +
      read_bytes(segment_files(low.path()).front()).substr(record_size_bytes);
  write_bytes(segment, spliced);

  check_refused(high.path(), segment);
}

BOOST_AUTO_TEST_CASE(conflict_truncation_survives_reopen) {
  TempDir dir;
  {
    LogStore store(dir.path());
    store.write(entries(1, 10, 1));
    store.sync();
    store.write(entries(6, 7, 2));
    store.sync();
    BOOST_TEST(store.last_index() == 7U);
  }

  std::vector<LogEntry> expected = entries(1, 5, 1);
  for (const LogEntry& added : entries(6, 7, 2)) expected.push_back(added);
  BOOST_TEST((reopen(dir.path()) == expected));

  // Nothing of the cut entries is left behind the new ones.
  std::uint64_t expected_bytes = 0;
  for (const LogEntry& kept : expected) expected_bytes += record_bytes(kept);
  BOOST_TEST(used_bytes(segment_files(dir.path()).front()) == expected_bytes);
}

BOOST_AUTO_TEST_CASE(truncation_without_a_sync_in_between_survives_reopen) {
  TempDir dir;
  {
    LogStore store(dir.path());
    store.write(entries(1, 10, 1));
    store.write(entries(3, 4, 3));
    store.write(entries(5, 6, 3));
    store.sync();
  }

  std::vector<LogEntry> expected = entries(1, 2, 1);
  for (const LogEntry& added : entries(3, 6, 3)) expected.push_back(added);
  BOOST_TEST((reopen(dir.path()) == expected));
}

BOOST_AUTO_TEST_CASE(segments_roll_and_truncation_across_them_survives) {
  TempDir dir;
  // "entry-N" records are 32 or 33 bytes, so a segment passes 96 bytes
  // with its third record: segments start at 1, 4, 7, ..., 28.
  constexpr std::uint64_t segment_size_bytes = 96;
  {
    LogStore store(dir.path(), segment_size_bytes);
    store.write(entries(1, 10, 1));
    store.write(entries(11, 30, 1));
    store.sync();
  }

  const std::vector<fs::path> rolled = segment_files(dir.path());
  BOOST_TEST(rolled.size() == 10U);
  BOOST_TEST(rolled[1].filename() == "00000000000000000004.seg");
  BOOST_TEST((reopen(dir.path()) == entries(1, 30, 1)));

  // Index 12 is inside the segment of 10..12 and 13 rolls a new one; index
  // 7 starts a segment.
  {
    LogStore store(dir.path(), segment_size_bytes);
    store.write(entries(12, 13, 2));
    store.sync();
    BOOST_TEST(segment_files(dir.path()).size() == 5U);
  }
  std::vector<LogEntry> expected = entries(1, 11, 1);
  for (const LogEntry& added : entries(12, 13, 2)) expected.push_back(added);
  BOOST_TEST((reopen(dir.path()) == expected));

  {
    LogStore store(dir.path(), segment_size_bytes);
    store.write(entries(7, 20, 3));
    store.sync();
  }
  expected = entries(1, 6, 1);
  for (const LogEntry& added : entries(7, 20, 3)) expected.push_back(added);
  BOOST_TEST((reopen(dir.path()) == expected));
  BOOST_TEST(segment_files(dir.path()).size() == 7U);
}

// Zero-filling ahead of the records (log_store.hpp): the fsync after an
// append then writes data only, and recovery must read the zeros as the end
// of the log, neither a torn tail nor damage.
BOOST_AUTO_TEST_CASE(zeros_ahead_of_the_records_read_as_the_logs_end) {
  TempDir dir;
  const std::vector<LogEntry> written = entries(1, 5, 1);
  make_log(dir.path(), written);
  const fs::path segment = segment_files(dir.path()).front();
  std::uint64_t records_bytes = 0;
  for (const LogEntry& kept : written) records_bytes += record_bytes(kept);
  BOOST_TEST(used_bytes(segment) == records_bytes);
  BOOST_TEST(fs::file_size(segment) == raft::storage::default_zero_fill_bytes);

  {
    LogStore store(dir.path());
    BOOST_TEST((store.recovered() == written));
    BOOST_TEST(store.torn_tail_bytes() == 0U);
    // The zeros are kept for the appends to come.
    BOOST_TEST(fs::file_size(segment) ==
               raft::storage::default_zero_fill_bytes);
    store.write(entries(6, 8, 2));
    store.sync();
  }

  std::vector<LogEntry> expected = written;
  for (const LogEntry& added : entries(6, 8, 2)) expected.push_back(added);
  BOOST_TEST((reopen(dir.path()) == expected));
  BOOST_TEST(fs::file_size(segment) == raft::storage::default_zero_fill_bytes);
}

BOOST_AUTO_TEST_CASE(a_crash_part_way_through_zero_filling_loses_nothing) {
  TempDir dir;
  const std::vector<LogEntry> written = entries(1, 5, 1);
  make_log(dir.path(), written);
  const fs::path segment = segment_files(dir.path()).front();
  const std::uint64_t file_bytes = used_bytes(segment) + 100;
  fs::resize_file(segment, file_bytes);

  LogStore store(dir.path());
  BOOST_TEST((store.recovered() == written));
  BOOST_TEST(store.torn_tail_bytes() == 0U);
  // The zeros are the log's end, kept as they are, not a tear to cut.
  BOOST_TEST(fs::file_size(segment) == file_bytes);
}

// Power lost during the fsync of a batch: the sectors of that write landed
// in any order, so one that did not land reads as the zeros written ahead
// of it, with records of the same batch after it. Nothing from that record
// on was acknowledged; recovery cuts it as a torn tail instead of refusing
// to start.
BOOST_AUTO_TEST_CASE(a_write_whose_sector_did_not_land_is_cut_as_torn) {
  TempDir original;
  const std::vector<LogEntry> synced = entries(1, 5, 1);
  std::vector<LogEntry> unsynced;
  for (Index index = 6; index <= 40; ++index) {
    unsynced.push_back(entry(index, 1, std::string(100, 'v')));
  }
  {
    LogStore store(original.path());
    store.write(synced);
    store.sync();
    store.write(unsynced);  // left in the page cache, as a crash would
  }
  const fs::path segment = segment_files(original.path()).front();

  std::vector<std::uint64_t> starts;  // of every record, and the end
  std::uint64_t offset_bytes = 0;
  for (const LogEntry& kept : synced) {
    starts.push_back(offset_bytes);
    offset_bytes += record_bytes(kept);
  }
  for (const LogEntry& lost : unsynced) {
    starts.push_back(offset_bytes);
    offset_bytes += record_bytes(lost);
  }
  starts.push_back(offset_bytes);

  for (std::uint64_t sector = 1; sector * 512 < starts.back(); ++sector) {
    BOOST_TEST_CONTEXT("sector " << sector << " did not land") {
      TempDir copy;
      fs::copy(original.path(), copy.path());
      const fs::path file = copy.path() / segment.filename();
      std::string bytes = read_bytes(file);
      bytes.replace(sector * 512, 512, std::string(512, '\0'));
      write_bytes(file, bytes);

      // The first record with a byte in that sector, and all after it, go.
      std::size_t torn = 0;
      while (starts[torn + 1] <= sector * 512) ++torn;
      const std::vector<LogEntry> kept(unsynced.begin(),
                                       unsynced.begin() + (torn - 5));
      std::vector<LogEntry> expected = synced;
      expected.insert(expected.end(), kept.begin(), kept.end());
      {
        LogStore store(copy.path());
        BOOST_TEST((store.recovered() == expected));
        BOOST_TEST(store.torn_tail_bytes() ==
                   bytes.find_last_not_of('\0') + 1 - starts[torn]);
        BOOST_TEST(fs::file_size(file) == starts[torn]);
        store.write(std::vector{entry(torn + 1, 2, "after")});
        store.sync();
      }
      expected.push_back(entry(torn + 1, 2, "after"));
      BOOST_TEST((reopen(copy.path()) == expected));
    }
  }
}

BOOST_AUTO_TEST_CASE(garbage_among_the_zeros_is_cut_as_a_torn_tail) {
  TempDir dir;
  const std::vector<LogEntry> written = entries(1, 5, 1);
  make_log(dir.path(), written);
  const fs::path segment = segment_files(dir.path()).front();
  const std::uint64_t records_bytes = used_bytes(segment);

  // Half a record written into the zeros before a crash.
  std::string bytes = read_bytes(segment);
  bytes.replace(records_bytes, 3, "\x1e\x07\x09");
  write_bytes(segment, bytes);

  {
    LogStore store(dir.path());
    BOOST_TEST((store.recovered() == written));
    BOOST_TEST(store.torn_tail_bytes() == 3U);
    BOOST_TEST(fs::file_size(segment) == records_bytes);
    store.write(entries(6, 6, 1));
    store.sync();
  }
  BOOST_TEST((reopen(dir.path()) == entries(1, 6, 1)));
}

BOOST_AUTO_TEST_CASE(finished_segments_are_cut_back_to_their_records) {
  TempDir dir;
  // 512-byte segments zero-filled 128 bytes at a time: "entry-N" records
  // are 32 to 34 bytes, so both limits are crossed many times.
  constexpr std::uint64_t segment_size_bytes = 512;
  constexpr std::uint64_t zero_fill_bytes = 128;
  {
    LogStore store(dir.path(), segment_size_bytes, zero_fill_bytes);
    for (Index index = 1; index <= 60; ++index) {
      store.write(entries(index, index, 1));
      if (index % 7 == 0) store.sync();
    }
    store.sync();
  }

  const std::vector<fs::path> segments = segment_files(dir.path());
  BOOST_TEST(segments.size() == 4U);
  for (std::size_t at = 0; at + 1 < segments.size(); ++at) {
    BOOST_TEST_CONTEXT("segment " << segments[at].filename()) {
      BOOST_TEST(fs::file_size(segments[at]) == used_bytes(segments[at]));
    }
  }
  const fs::path last = segments.back();
  BOOST_TEST(fs::file_size(last) > used_bytes(last));
  BOOST_TEST(fs::file_size(last) % zero_fill_bytes == 0U);
  BOOST_TEST((reopen(dir.path()) == entries(1, 60, 1)));

  // A store reopened with a smaller segment size finds the last segment
  // zero-filled past that size, and cuts it back before starting the next.
  {
    TempDir shrunk;
    make_log(shrunk.path(), entries(1, 5, 1));
    {
      LogStore store(shrunk.path(), segment_size_bytes, zero_fill_bytes);
      store.write(entries(6, 30, 1));
      store.sync();
    }
    const std::vector<fs::path> files = segment_files(shrunk.path());
    BOOST_TEST(files.size() >= 2U);
    BOOST_TEST(fs::file_size(files.front()) == used_bytes(files.front()));
    BOOST_TEST((reopen(shrunk.path()) == entries(1, 30, 1)));
  }

}

// No write of this store leaves zeros after the records of a segment that
// is not the last, so there they are damage.
BOOST_AUTO_TEST_CASE(zeros_after_the_records_of_an_earlier_segment_are_refused) {
  TempDir dir;
  make_log(dir.path(), entries(1, 4, 1), 1);  // a segment per record
  const fs::path first = segment_files(dir.path()).front();
  std::string bytes = read_bytes(first);
  bytes.append(40, '\0');
  write_bytes(first, bytes);

  BOOST_CHECK_EXCEPTION(
      LogStore store(dir.path()), StorageError, [&](const StorageError& e) {
        const std::string message = e.what();
        BOOST_TEST_MESSAGE(message);
        return message.find(first.string()) != std::string::npos &&
               message.find("zeros after the records") != std::string::npos;
      });
}

// The other side of the rule above: a synced record whose share of a sector
// is zero bytes (its data ends in zeros) but whose sector holds the next
// record too did land, so damage elsewhere in it is refused, not cut.
BOOST_AUTO_TEST_CASE(damage_beside_zero_bytes_that_did_land_is_refused) {
  TempDir dir;
  // Record 2 runs from byte 32 to 520: its last 8 bytes, zeros, are all
  // it has in the second sector, which record 3 shares.
  std::string data(463, 'd');
  data.replace(455, 8, std::string(8, '\0'));
  const std::vector<LogEntry> written{entry(1, 1), entry(2, 1, data),
                                      entry(3, 1)};
  make_log(dir.path(), written);
  const fs::path segment = segment_files(dir.path()).front();
  BOOST_TEST(record_bytes(written[0]) + record_bytes(written[1]) == 520U);

  flip_byte(segment, 100);
  check_refused(dir.path(), segment);
}

BOOST_AUTO_TEST_CASE(zero_filling_off_grows_the_file_with_each_append) {
  TempDir dir;
  {
    LogStore store(dir.path(), raft::storage::default_segment_size_bytes, 0);
    store.write(entries(1, 5, 1));
    store.sync();
  }
  const fs::path segment = segment_files(dir.path()).front();
  BOOST_TEST(fs::file_size(segment) == used_bytes(segment));
  BOOST_TEST((reopen(dir.path()) == entries(1, 5, 1)));
}

BOOST_AUTO_TEST_CASE(empty_and_binary_data_round_trip) {
  TempDir dir;
  std::string every_byte;
  for (int value = 0; value < 256; ++value) {
    every_byte.push_back(static_cast<char>(value));
  }
  std::mt19937 random(7);
  std::string large(100'000, '\0');
  for (char& byte : large) byte = static_cast<char>(random());

  const std::vector<LogEntry> written = {
      LogEntry{1, 1, EntryType::noop, ""},
      LogEntry{1, 2, EntryType::command, ""},
      LogEntry{1, 3, EntryType::command, every_byte},
      LogEntry{2, 4, EntryType::command, std::string("a\0b\n\0", 5)},
      LogEntry{2, 5, EntryType::command, large},
  };
  make_log(dir.path(), written);

  BOOST_TEST((reopen(dir.path()) == written));
}

BOOST_AUTO_TEST_CASE(writes_of_the_wrong_shape_are_rejected_unwritten) {
  TempDir dir;
  LogStore store(dir.path());
  store.write(entries(1, 3, 2));

  BOOST_CHECK_THROW(store.write(entries(5, 6, 2)), std::invalid_argument);
  BOOST_CHECK_THROW(store.write(std::vector{entry(0, 2)}),
                    std::invalid_argument);
  BOOST_CHECK_THROW(store.write(std::vector{entry(4, 2), entry(6, 2)}),
                    std::invalid_argument);
  BOOST_CHECK_THROW(store.write(std::vector{entry(4, 1)}),
                    std::invalid_argument);
  BOOST_CHECK_THROW(store.write(std::vector{entry(4, 3), entry(5, 2)}),
                    std::invalid_argument);

  BOOST_TEST(store.last_index() == 3u);
  store.sync();
  BOOST_TEST((reopen(dir.path()) == entries(1, 3, 2)));
}

BOOST_AUTO_TEST_CASE(other_files_in_the_dir_are_left_alone) {
  TempDir dir;
  make_log(dir.path(), entries(1, 2, 1));
  write_bytes(dir.path() / "notes.txt", "hello");
  write_bytes(dir.path() / "1.seg", "not a segment name");

  BOOST_TEST((reopen(dir.path()) == entries(1, 2, 1)));
  BOOST_TEST(fs::exists(dir.path() / "notes.txt"));
}

BOOST_AUTO_TEST_SUITE_END()
