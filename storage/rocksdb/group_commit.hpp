#pragma once
// The group-commit writer: one thread that turns the commits of every broker thread into few
// RocksDB writes and fsyncs (design.md §2.3, §4).
//
// commit() appends to a queue (mutex + condition variable; the writer is woken only when the
// queue becomes non-empty or full, not per commit). The writer takes everything queued, waiting
// first, while the queue holds fewer than `max_commits`, until the oldest queued commit is
// `max_delay` old (so no commit waits longer than that for company). It encodes the group into
// one rocksdb::WriteBatch and writes it:
//   kSync     sync = true; every callback runs after the write (and its fsync) returned.
//   kBatched  sync = false; the WAL is fsynced (SyncWAL) at most every `batch_interval`, and the
//             callbacks of the groups it covers run after it.
//   kNone     sync = false; callbacks run after the write (benchmarks only).
// Callbacks run on the writer thread, in commit order. A failed write (or WAL sync) fails every
// commit it carried; a commit whose batch does not validate fails alone.
//
// A plugin key-value change that a later change of the same key in the same group overrides is
// left out of the write (superseded.hpp): the group is applied atomically, so what is stored is
// the same, with one WAL record and memtable update per key and group instead of one per change.
//
// THREADING: commit() and stop() from any thread; everything else belongs to the writer thread.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/rocksdb/database.hpp"
#include "storage/rocksdb/superseded.hpp"
#include "storage/store.hpp"

namespace gridmq::storage::rocks {

class GroupCommitWriter {
 public:
  using Clock = std::chrono::steady_clock;
  using Done = std::function<void(const Status&)>;
  /// Gets the batch back after the write (Store::commit_and_return).
  using DoneReturning = std::function<void(const Status&, Batch&&)>;

  struct Config {
    SyncPolicy sync = SyncPolicy::kSync;
    std::chrono::microseconds max_delay{500};
    std::size_t max_commits = 256;
    std::chrono::milliseconds batch_interval{10};
  };

  /// `persisted_max_id`: meta/"max_message_id" as read at open; the writer raises it in the same
  /// write as any message with a larger id, so ids stay monotonic after their bodies are deleted.
  /// Starts the thread (std::system_error if it cannot).
  GroupCommitWriter(Database& db, Config config, MessageId persisted_max_id);
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;
  ~GroupCommitWriter();  // stop()

  /// Queues `batch`; after stop() fails it at once with "storage: store is closed".
  void commit(Batch batch, Done done);
  void commit(Batch batch, DoneReturning done);
  /// Writes (and syncs) everything queued so far, runs its callbacks, joins the thread.
  /// Idempotent. Must not be called from a callback.
  void stop();
  bool on_writer_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  struct Pending {
    Batch batch;
    Done done;
    DoneReturning done_returning;  // instead of `done`
    Clock::time_point enqueued;
    Status status;
  };

  void run();
  void write_group(std::vector<Pending>& group);
  /// Validates and encodes every batch of `group` into write_batch_, leaving out the plugin
  /// changes that later ones override when `coalesce`. False if a batch failed to encode.
  bool encode_group(std::vector<Pending>& group, bool coalesce);
  /// Encodes batch number `index` of the group, without its superseded changes.
  [[nodiscard]] rocksdb::Status append(const Batch& batch, std::size_t index);
  void sync_wal();
  Clock::time_point next_sync() const { return last_sync_ + config_.batch_interval; }
  void enqueue(Pending p);
  static void finish_one(Pending& p);
  static void finish(std::vector<Pending>& list);

  Database& db_;
  const Config config_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> queue_;  // guarded by mutex_
  bool stopping_ = false;       // guarded by mutex_
  std::once_flag join_once_;

  // Writer thread only.
  std::vector<Pending> unsynced_;  // kBatched: written, waiting for the WAL sync
  Clock::time_point last_sync_;
  MessageId persisted_max_id_;
  MessageId group_max_id_ = 0;
  rocksdb::WriteBatch write_batch_;
  SupersededPluginChanges superseded_;
  std::vector<const Batch*> planned_;  // the group as the planner sees it
  std::string key_;
  std::string value_;

  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace gridmq::storage::rocks
