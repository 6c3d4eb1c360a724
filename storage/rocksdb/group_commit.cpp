#include "storage/rocksdb/group_commit.hpp"

#include <pthread.h>

#include <algorithm>

namespace gridmq::storage::rocks {

GroupCommitWriter::GroupCommitWriter(Database& db, Config config, MessageId persisted_max_id)
    : db_(db),
      config_([&] {
        config.max_commits = std::max<std::size_t>(config.max_commits, 1);
        return config;
      }()),
      last_sync_(Clock::now()),
      persisted_max_id_(persisted_max_id),
      thread_([this] {
        pthread_setname_np(pthread_self(), "gridmq-commit");  // top -H, perf, /proc comm
        run();
      }) {}

GroupCommitWriter::~GroupCommitWriter() {
  stop();
}

void GroupCommitWriter::commit(Batch batch, Done done) {
  enqueue(Pending{std::move(batch), std::move(done), {}, {}, {}});
}

void GroupCommitWriter::commit(Batch batch, DoneReturning done) {
  enqueue(Pending{std::move(batch), {}, std::move(done), {}, {}});
}

void GroupCommitWriter::enqueue(Pending p) {
  std::unique_lock lock(mutex_);
  if (stopping_) {
    lock.unlock();
    p.status = Status::failure("storage: store is closed");
    finish_one(p);
    return;
  }
  p.enqueued = Clock::now();
  queue_.push_back(std::move(p));
  // Wake the writer only when it can act: it sleeps on an empty queue, or gathers until full.
  bool wake = queue_.size() == 1 || queue_.size() == config_.max_commits;
  lock.unlock();
  if (wake) wake_.notify_one();
}

void GroupCommitWriter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  std::call_once(join_once_, [this] {
    if (thread_.joinable()) thread_.join();
  });
}

void GroupCommitWriter::run() {
  std::vector<Pending> group;
  std::unique_lock lock(mutex_);
  for (;;) {
    // Wait for work, or for the WAL sync that written kBatched commits wait for.
    while (queue_.empty() && !stopping_) {
      if (unsynced_.empty()) {
        wake_.wait(lock);
      } else if (wake_.wait_until(lock, next_sync()) == std::cv_status::timeout) {
        break;
      }
    }
    // Gather company for a small group, bounded by the oldest commit's delay.
    if (!queue_.empty() && !stopping_ && config_.max_delay.count() > 0 &&
        queue_.size() < config_.max_commits) {
      auto deadline = queue_.front().enqueued + config_.max_delay;
      wake_.wait_until(lock, deadline,
                       [this] { return stopping_ || queue_.size() >= config_.max_commits; });
    }
    group.swap(queue_);  // queue_ keeps the previous group's (cleared) capacity
    bool stopping = stopping_;
    lock.unlock();

    if (!group.empty()) write_group(group);
    group.clear();
    if (!unsynced_.empty() && (stopping || Clock::now() >= next_sync())) sync_wal();

    lock.lock();
    if (stopping_ && queue_.empty() && unsynced_.empty()) return;
  }
}

void GroupCommitWriter::write_group(std::vector<Pending>& group) {
  if (!encode_group(group, /*coalesce=*/true) && superseded_.skipped() > 0) {
    // A batch that failed to encode is rolled back, so the changes it overrode must be written
    // after all: encode the group again, every change in.
    encode_group(group, /*coalesce=*/false);
  }
  Status written;
  rocksdb::Status s;
  if (group_max_id_ > persisted_max_id_) {
    encode_max_message_id(group_max_id_, value_);
    s = write_batch_.Put(db_.cf(Cf::kMeta), kMetaMaxMessageIdKey, value_);
  }
  if (s.ok() && write_batch_.Count() > 0) {
    rocksdb::WriteOptions options;
    options.sync = config_.sync == SyncPolicy::kSync;
    s = db_.db().Write(options, &write_batch_);
  }
  if (s.ok()) {
    persisted_max_id_ = group_max_id_;
  } else {
    written = Status::failure("storage: write to RocksDB at '" + db_.path() +
                              "' failed: " + s.ToString());
  }
  for (auto& p : group) {
    if (p.status.ok) p.status = written;
  }
  if (config_.sync == SyncPolicy::kBatched) {
    // Callbacks run in commit order, so even failed commits wait behind the unsynced ones.
    std::move(group.begin(), group.end(), std::back_inserter(unsynced_));
    return;
  }
  finish(group);
}

bool GroupCommitWriter::encode_group(std::vector<Pending>& group, bool coalesce) {
  write_batch_.Clear();
  group_max_id_ = persisted_max_id_;
  superseded_.reset();
  for (auto& p : group) p.status = p.batch.validate();
  if (coalesce) {
    planned_.clear();
    for (const auto& p : group) planned_.push_back(p.status.ok ? &p.batch : nullptr);
    superseded_.plan(planned_);
  }
  bool encoded = true;
  for (std::size_t i = 0; i < group.size(); ++i) {
    Pending& p = group[i];
    if (!p.status.ok) continue;
    write_batch_.SetSavePoint();
    rocksdb::Status s = append(p.batch, i);
    if (s.ok()) {
      write_batch_.PopSavePoint().PermitUncheckedError();
    } else {
      write_batch_.RollbackToSavePoint().PermitUncheckedError();
      p.status = Status::failure("storage: cannot encode batch: " + s.ToString());
      encoded = false;
    }
  }
  return encoded;
}

rocksdb::Status GroupCommitWriter::append(const Batch& batch, std::size_t index) {
  rocksdb::WriteBatch& wb = write_batch_;
  const auto& changes = batch.changes();
  for (std::size_t j = 0; j < changes.size(); ++j) {
    const Batch::Change& c = changes[j];
    if (superseded_.skip(index, j)) continue;
    rocksdb::Status s;
    switch (c.op) {
      case Batch::Op::kPutSession:
        encode_session(*c.session, value_);
        s = wb.Put(db_.cf(Cf::kSessions), c.key, value_);
        break;
      case Batch::Op::kDeleteSession:
        s = wb.Delete(db_.cf(Cf::kSessions), c.key);
        if (s.ok()) {
          s = wb.DeleteRange(db_.cf(Cf::kQueues), queue_range_begin(c.key), queue_range_end(c.key));
        }
        break;
      case Batch::Op::kPutMessage:
        encode_message(c.message, value_);
        key_.clear();
        append_message_key(key_, c.id);
        s = wb.Put(db_.cf(Cf::kMessages), key_, value_);
        group_max_id_ = std::max(group_max_id_, c.id);
        break;
      case Batch::Op::kDeleteMessage:
        key_.clear();
        append_message_key(key_, c.id);
        s = wb.Delete(db_.cf(Cf::kMessages), key_);
        break;
      case Batch::Op::kPutQueueEntry:
        key_.clear();
        append_queue_key(key_, c.key, c.entry.seq);
        encode_queue_entry(c.entry, value_);
        s = wb.Put(db_.cf(Cf::kQueues), key_, value_);
        break;
      case Batch::Op::kDeleteQueueEntry:
        key_.clear();
        append_queue_key(key_, c.key, c.entry.seq);
        s = wb.Delete(db_.cf(Cf::kQueues), key_);
        break;
      case Batch::Op::kPutRetained:
        encode_message(c.message, value_);
        s = wb.Put(db_.cf(Cf::kRetained), c.key, value_);
        group_max_id_ = std::max(group_max_id_, c.message.id);
        break;
      case Batch::Op::kDeleteRetained:
        s = wb.Delete(db_.cf(Cf::kRetained), c.key);
        break;
      case Batch::Op::kPutPlugin:  // c.key is already the record key (layout.hpp)
        encode_plugin_value(c.value, value_);
        s = wb.Put(db_.cf(Cf::kPlugins), c.key, value_);
        break;
      case Batch::Op::kDeletePlugin:
        s = wb.Delete(db_.cf(Cf::kPlugins), c.key);
        break;
    }
    if (!s.ok()) return s;
  }
  return rocksdb::Status::OK();
}

void GroupCommitWriter::sync_wal() {
  // manual_wal_flush is off, so every write already reached the WAL file; this is the fsync.
  rocksdb::Status s = db_.db().SyncWAL();
  last_sync_ = Clock::now();
  Status synced = s.ok() ? Status::success()
                         : Status::failure("storage: WAL sync of RocksDB at '" + db_.path() +
                                           "' failed: " + s.ToString());
  for (auto& p : unsynced_) {
    if (p.status.ok) p.status = synced;
  }
  finish(unsynced_);
  unsynced_.clear();
}

void GroupCommitWriter::finish_one(Pending& p) {
  if (p.done_returning) {
    p.done_returning(p.status, std::move(p.batch));
  } else if (p.done) {
    p.done(p.status);
  }
}

void GroupCommitWriter::finish(std::vector<Pending>& list) {
  for (auto& p : list) finish_one(p);
}

}  // namespace gridmq::storage::rocks
