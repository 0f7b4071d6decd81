#include "raft/node/disk_writer.hpp"

#include <exception>

namespace raft::node {

DiskWriter::DiskWriter(storage::HardStateFile& hard_state,
                       storage::LogStore& log,
                       std::function<void(WriteDone)> on_done,
                       bool fsync_log)
    : hard_state_(hard_state),
      log_(log),
      on_done_(std::move(on_done)),
      fsync_log_(fsync_log) {
  thread_ = std::thread([this] { run(); });
}

DiskWriter::~DiskWriter() { stop(); }

void DiskWriter::submit(WriteRequest request) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] {
    return queue_.size() < max_queued_requests || stopping_;
  });
  queue_.push_back(std::move(request));
  changed_.notify_all();
}

void DiskWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
  }
}

void DiskWriter::run() {
  while (true) {
    std::deque<WriteRequest> batch;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) {
        return;  // stopping, and nothing left to write
      }
      batch.swap(queue_);
    }
    changed_.notify_all();  // wake a submitter blocked on a full queue
    on_done_(write_batch(batch));
  }
}

WriteDone DiskWriter::write_batch(std::deque<WriteRequest>& batch) {
  WriteDone done;
  done.seq = batch.back().seq;

  try {
    // Only the newest hard state matters. It is saved before the entries:
    // a log never holds an entry of a term its hard state has not reached,
    // so a log without a hard state file at start means the file was lost
    // (the node refuses to start), never a crash between the two writes.
    std::optional<HardState> hard_state;
    for (const WriteRequest& request : batch) {
      if (request.hard_state) {
        hard_state = request.hard_state;
      }
    }
    if (hard_state) {
      hard_state_.save(*hard_state);
      done.hard_state = hard_state;
    }

    // Entries in request order (a later request may replace a suffix an
    // earlier one wrote), then one fsync for the whole batch: this is the
    // group commit.
    for (const WriteRequest& request : batch) {
      if (!request.entries.empty()) {
        log_.write(request.entries);
        done.last_index = request.entries.back().index;
        done.last_term = request.entries.back().term;
      }
    }
    if (fsync_log_) {
      log_.sync();
    }
  } catch (const std::exception& error) {
    done.error = error.what();
  }
  return done;
}

}  // namespace raft::node
