// The one error the storage layer raises on purpose: the data directory holds
// something the node must not start with (a damaged log record, a corrupt
// hard state file). Plain I/O failures (a full disk, EIO from fsync) arrive
// as std::system_error instead; both mean the node must stop.
#pragma once

#include <stdexcept>

namespace raft::storage {

// The message names the file and, for the log, the byte offset of the
// damage, so that an operator can find it with a hex dump.
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace raft::storage
