#define BOOST_TEST_MODULE storage_test
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "raft/storage/data_dir_lock.hpp"
#include "raft/storage/hard_state_file.hpp"

namespace {

namespace fs = std::filesystem;
using raft::HardState;
using raft::storage::DataDirLock;
using raft::storage::HardStateFile;
using raft::storage::StorageError;

// A fresh directory under the system temp dir, removed at scope exit.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    std::random_device random;
    path_ = fs::temp_directory_path() /
            ("raft-hard-state-test-" + std::to_string(random()) + "-" +
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

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Expects load() to refuse the file with a message that names it.
void check_refused(const HardStateFile& file) {
  BOOST_CHECK_EXCEPTION(
      file.load(), StorageError, [&](const StorageError& error) {
        const std::string message = error.what();
        BOOST_TEST_MESSAGE(message);
        return message.find(file.path().string()) != std::string::npos;
      });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(hard_state_file)

BOOST_AUTO_TEST_CASE(load_of_a_fresh_dir_gives_term_zero_and_no_vote) {
  TempDir dir;
  const HardStateFile file(dir.path() / "node-1");

  BOOST_TEST(fs::is_directory(dir.path() / "node-1"));
  BOOST_TEST((file.load() == HardState{0, raft::no_node}));
}

BOOST_AUTO_TEST_CASE(save_then_load_from_a_new_object_round_trips) {
  TempDir dir;
  HardStateFile(dir.path()).save(HardState{3, 2});

  const HardStateFile reopened(dir.path());
  BOOST_TEST((reopened.load() == HardState{3, 2}));
  BOOST_TEST(read_text(dir.path() / "hard_state.json") ==
             "{\"current_term\":3,\"voted_for\":2}\n");
  BOOST_TEST(!fs::exists(dir.path() / "hard_state.json.tmp"));
}

BOOST_AUTO_TEST_CASE(overwrite_keeps_the_latest_state) {
  TempDir dir;
  HardStateFile file(dir.path());
  file.save(HardState{1, 1});
  file.save(HardState{2, raft::no_node});
  file.save(HardState{7, 3});

  BOOST_TEST((HardStateFile(dir.path()).load() == HardState{7, 3}));
}

BOOST_AUTO_TEST_CASE(largest_values_round_trip) {
  TempDir dir;
  const HardState state{raft::max_term, UINT64_MAX - 1};
  HardStateFile(dir.path()).save(state);

  BOOST_TEST((HardStateFile(dir.path()).load() == state));
}

BOOST_AUTO_TEST_CASE(a_corrupt_file_is_refused_with_a_message_naming_it) {
  const std::string corrupt_texts[] = {
      "",
      "{\"current_term\":3,\"vot",
      "not json",
      "[3, 2]",
      "{\"current_term\":3}",
      "{\"current_term\":\"3\",\"voted_for\":2}",
      "{\"current_term\":-1,\"voted_for\":2}",
      "{\"current_term\":1.5,\"voted_for\":2}",
      std::string(5000, ' ') + "{\"current_term\":3,\"voted_for\":2}",
      // Over max_term: the next election's term + 1 could overflow.
      "{\"current_term\":9007199254740992,\"voted_for\":2}",
      "{\"current_term\":18446744073709551615,\"voted_for\":2}",
  };
  for (const std::string& text : corrupt_texts) {
    TempDir dir;
    const HardStateFile file(dir.path());
    write_text(dir.path() / "hard_state.json", text);

    check_refused(file);
  }
}

BOOST_AUTO_TEST_CASE(a_stray_tmp_file_is_ignored_and_removed) {
  TempDir dir;
  HardStateFile(dir.path()).save(HardState{4, 1});
  write_text(dir.path() / "hard_state.json.tmp", "{\"current_te");

  const HardStateFile reopened(dir.path());
  BOOST_TEST(!fs::exists(dir.path() / "hard_state.json.tmp"));
  BOOST_TEST((reopened.load() == HardState{4, 1}));
}

BOOST_AUTO_TEST_CASE(a_stray_tmp_file_without_a_saved_state_gives_zeros) {
  TempDir dir;
  fs::create_directories(dir.path());
  write_text(dir.path() / "hard_state.json.tmp", "{\"current_term\":9,");

  BOOST_TEST((HardStateFile(dir.path()).load() == HardState{}));
}

// One process per data directory: a second lock is refused while the first
// is held (flock conflicts between open files, even in one process), and
// granted once it is released.
BOOST_AUTO_TEST_CASE(data_dir_lock_is_exclusive_until_released) {
  TempDir dir;
  {
    DataDirLock first(dir.path());
    BOOST_CHECK_EXCEPTION(DataDirLock second(dir.path()), StorageError,
                          [](const StorageError& error) {
                            return std::string(error.what()).find(
                                       "in use by another process") !=
                                   std::string::npos;
                          });
  }
  BOOST_CHECK_NO_THROW(DataDirLock again(dir.path()));
}

BOOST_AUTO_TEST_SUITE_END()
