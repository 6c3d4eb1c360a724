#include "storage/rocksdb/rocksdb_store.hpp"

#include <future>

namespace gridmq::storage::rocks {
namespace {

Status read_max_message_id(Database& db, MessageId& id) {
  std::string value;
  rocksdb::Status s =
      db.db().Get(rocksdb::ReadOptions(), db.cf(Cf::kMeta), kMetaMaxMessageIdKey, &value);
  id = 0;
  if (s.IsNotFound()) return Status::success();
  if (!s.ok()) return Status::failure("reading meta: " + s.ToString());
  std::string why;
  // A corrupt high-water mark is not fatal here: load() reports (or quarantines) it and derives
  // the maximum from the stored messages.
  if (!decode_max_message_id(value, id, why)) id = 0;
  return Status::success();
}

GroupCommitWriter::Config writer_config(const StoreOptions& o) {
  GroupCommitWriter::Config c;
  c.sync = o.sync;
  c.max_delay = std::chrono::microseconds(o.group_commit_max_delay_us);
  c.max_commits = o.group_commit_max_commits;
  c.batch_interval = std::chrono::milliseconds(o.batch_interval_ms);
  return c;
}

}  // namespace

RocksDbStore::RocksDbStore(const StoreOptions& options, std::unique_ptr<Database> db,
                           MessageId persisted_max_id)
    : options_(options),
      db_(std::move(db)),
      writer_(std::make_unique<GroupCommitWriter>(*db_, writer_config(options), persisted_max_id)) {
}

RocksDbStore::~RocksDbStore() {
  close();
}

void RocksDbStore::commit(Batch batch, std::function<void(const Status&)> done) {
  writer_->commit(std::move(batch), std::move(done));
}

void RocksDbStore::commit_and_return(Batch batch,
                                     std::function<void(const Status&, Batch&&)> done) {
  writer_->commit(std::move(batch), GroupCommitWriter::DoneReturning(std::move(done)));
}

Status RocksDbStore::commit_sync(Batch batch) {
  if (writer_->on_writer_thread()) {
    return Status::failure("storage: commit_sync called from a commit callback (would deadlock)");
  }
  std::promise<Status> promise;
  auto result = promise.get_future();
  writer_->commit(std::move(batch), [&promise](const Status& s) { promise.set_value(s); });
  return result.get();
}

Status RocksDbStore::get_plugin(std::string_view plugin, std::string_view key, std::string& value,
                                bool& found) {
  found = false;
  if (closed_.load()) return Status::failure("storage: store is closed");
  std::string k = plugin_key(plugin, key);
  rocksdb::PinnableSlice raw;
  rocksdb::Status s = db_->db().Get(rocksdb::ReadOptions(), db_->cf(Cf::kPlugins), k, &raw);
  if (s.IsNotFound()) return Status::success();
  if (!s.ok())
    return Status::failure("storage: reading plugins key " + to_hex(k) + ": " + s.ToString());
  std::string why;
  if (!decode_plugin_value(raw.ToStringView(), value, why)) {
    return Status::failure("storage: corrupt record in plugins key " + to_hex(k) + ": " + why);
  }
  found = true;
  return Status::success();
}

void RocksDbStore::close() {
  std::lock_guard lock(close_mutex_);
  if (closed_.exchange(true)) return;
  writer_->stop();  // drains: every commit handed in so far completes first
  db_.reset();      // the stopped writer fails later commits without touching it
}

}  // namespace gridmq::storage::rocks

namespace gridmq::storage {

std::unique_ptr<Store> open_rocksdb_store(const StoreOptions& options, std::string& error,
                                          std::vector<std::string>& warnings) {
  try {
    auto db = rocks::Database::open(options.path, /*check_format=*/true, error);
    if (!db) return nullptr;
    MessageId max_id = 0;
    Status st = rocks::read_max_message_id(*db, max_id);
    if (!st.ok) {
      error = "cannot open RocksDB at '" + options.path + "': " + st.message;
      return nullptr;
    }
    if (options.sync == SyncPolicy::kNone) {
      warnings.push_back(
          "storage: sync = none: commits are acknowledged before they reach the disk, so a "
          "machine crash loses acknowledged messages; use it for benchmarks only");
    }
    return std::make_unique<rocks::RocksDbStore>(options, std::move(db), max_id);
  } catch (const std::exception& e) {
    error = "cannot open RocksDB at '" + options.path + "': " + e.what();
    return nullptr;
  }
}

}  // namespace gridmq::storage
