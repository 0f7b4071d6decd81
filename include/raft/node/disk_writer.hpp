// Persists what the core asks for, on a thread of its own so a slow fsync
// never stalls the strand (heartbeats, votes, replies keep flowing).
//
// Group commit: requests queue up while a write is in flight; the thread
// takes everything queued, writes it all, and makes it durable with one
// atomic replace of the hard state, then one fsync of the log. It then reports
// the newest request it covered, so the runtime releases every message that
// was waiting on any of them.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "raft/core/types.hpp"
#include "raft/storage/hard_state_file.hpp"
#include "raft/storage/log_store.hpp"

namespace raft::node {

struct WriteRequest {
  std::uint64_t seq = 0;
  std::optional<HardState> hard_state;
  std::vector<LogEntry> entries;
};

struct WriteDone {
  // Every request up to and including this one is durable.
  std::uint64_t seq = 0;
  // The last entry written by the batch, if it wrote any.
  Index last_index = 0;
  Term last_term = 0;
  // The hard state the batch wrote, if it wrote one.
  std::optional<HardState> hard_state;
  // Non-empty if the disk failed; nothing in the batch can be trusted.
  std::string error;
};

class DiskWriter {
 public:
  // Bounds the queue: a submit beyond it blocks the caller until the disk
  // catches up, which is the backpressure a flood of proposals deserves.
  static constexpr std::size_t max_queued_requests = 4096;

  // `on_done` runs on the disk thread; it must post to the strand. With
  // `fsync_log` false the log is written but never fsynced (benchmarks).
  DiskWriter(storage::HardStateFile& hard_state, storage::LogStore& log,
             std::function<void(WriteDone)> on_done, bool fsync_log = true);
  ~DiskWriter();

  DiskWriter(const DiskWriter&) = delete;
  DiskWriter& operator=(const DiskWriter&) = delete;

  void submit(WriteRequest request);
  // Finishes every queued write, then stops the thread.
  void stop();

 private:
  void run();
  WriteDone write_batch(std::deque<WriteRequest>& batch);

  storage::HardStateFile& hard_state_;
  storage::LogStore& log_;
  std::function<void(WriteDone)> on_done_;
  bool fsync_log_;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<WriteRequest> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace raft::node
