// The hard state (Figure 2's current_term and voted_for) in one small JSON
// file, `hard_state.json`, that an operator can read with cat. It is replaced
// atomically, so a crash leaves either the old or the new state, never a mix.
#pragma once

#include <filesystem>

#include "raft/core/types.hpp"
#include "raft/storage/storage_error.hpp"

namespace raft::storage {

// Synchronous POSIX I/O; the caller runs it on its disk thread. Not safe for
// concurrent use from several threads.
class HardStateFile {
 public:
  // Creates `dir` (durably) if it is missing and removes a `.tmp` file left
  // by a save that crashed before its rename.
  explicit HardStateFile(std::filesystem::path dir);

  // The saved state, or {0, no_node} when nothing was ever saved. Throws
  // StorageError naming the file when it is not a valid hard state (invalid
  // JSON, missing fields, wrong types), and std::system_error on I/O errors.
  HardState load() const;

  // Durable when it returns: writes a temp file, fsyncs it, renames it over
  // the old file and fsyncs the directory so the rename itself survives.
  void save(const HardState& state);

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path dir_;
  // dir_ / "hard_state.json".
  std::filesystem::path path_;
  // dir_ / "hard_state.json.tmp": written first, then renamed over path_.
  std::filesystem::path temp_path_;
};

}  // namespace raft::storage
