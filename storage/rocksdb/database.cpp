#include "storage/rocksdb/database.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/table.h>

#include <algorithm>
#include <filesystem>

#include "storage/rocksdb/insert_hint.hpp"

namespace gridmq::storage::rocks {
namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;
constexpr std::size_t kPluginKeyPrefix = 128;  // bytes of a plugin key that choose its bucket
constexpr std::size_t kPluginBuckets = 16384;  // per plugins memtable: 128 KiB of its 2 MiB

std::string cannot_open(const std::string& path, const std::string& why) {
  return "cannot open RocksDB at '" + path + "': " + why;
}

}  // namespace

rocksdb::DBOptions make_db_options() {
  rocksdb::DBOptions o;
  o.create_if_missing = true;
  o.create_missing_column_families = true;
  o.paranoid_checks = true;
  // The WAL is written on every commit and synced by the writer (SyncPolicy); RocksDB's own
  // buffering of it would let an acknowledged write sit in memory.
  o.manual_wal_flush = false;
  // A torn WAL tail after a crash is cut at the last intact record (never acknowledged data:
  // acknowledged writes were synced before the crash).
  o.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // One writer thread (group_commit.cpp) does all writes, so pipelining has nothing to overlap.
  o.enable_pipelined_write = false;
  // Likewise concurrent memtable inserts; turning them off is also what lets the plugins column
  // family update values in place (below).
  o.allow_concurrent_memtable_write = false;
  // Bounded memory: all memtables together, and WAL files kept alive by rarely written column
  // families (sessions, plugins, meta) force those to flush.
  o.db_write_buffer_size = 64 * kMiB;
  o.max_total_wal_size = 64 * kMiB;
  o.max_background_jobs = 2;
  o.bytes_per_sync = 1 * kMiB;
  o.keep_log_file_num = 4;
  o.max_log_file_size = 8 * kMiB;
  return o;
}

rocksdb::ColumnFamilyOptions make_cf_options(std::string_view cf,
                                             const std::shared_ptr<rocksdb::Cache>& block_cache) {
  rocksdb::ColumnFamilyOptions o;
  bool busy = cf == cf_name(Cf::kQueues) || cf == cf_name(Cf::kMessages);
  o.write_buffer_size = busy ? 16 * kMiB : 2 * kMiB;
  o.max_write_buffer_number = 3;
  o.level_compaction_dynamic_level_bytes = true;
  if (cf == cf_name(Cf::kMessages)) {
    o.memtable_insert_with_hint_prefix_extractor = message_insert_hint();
  } else if (cf == cf_name(Cf::kQueues)) {
    o.memtable_insert_with_hint_prefix_extractor = queue_insert_hint();
  }
  if (cf == cf_name(Cf::kPlugins)) {
    // Plugin state is one key per meter, rewritten with every message of that meter at the same
    // size: overwrite the memtable entry instead of adding a version per message, so the memtable
    // does not fill up (and flush) at the message rate. The WAL still records every write. An
    // iterator could see a value being overwritten, but plugin values are read with Get (which
    // takes the key's update lock) and iterated only by load(), before any commit.
    o.inplace_update_support = true;
    // Each update takes its key's stripe of a lock array. One thread writes (and Get is rare),
    // so a small array that stays in cache will do: the default 10,000 stripes (about 550 KiB)
    // cost a cache miss per state write.
    o.inplace_update_num_locks = 64;
    // Each such update first finds the key's entry. In a skiplist of every meter's key (the keys
    // share a long "<plugin> 0x00 <tenant>/" prefix) that search was the writer's largest cost
    // per state write with 1,000 meters; a hash of the key finds its bucket directly. The
    // prefix is the whole key (up to 128 bytes), so a bucket usually holds one key. Iterators of
    // this column family must set ReadOptions::total_order_seek (load.cpp does).
    o.prefix_extractor.reset(rocksdb::NewCappedPrefixTransform(kPluginKeyPrefix));
    o.memtable_factory.reset(rocksdb::NewHashSkipListRepFactory(kPluginBuckets));
  }
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = block_cache;
  table.cache_index_and_filter_blocks = true;
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return o;
}

Database::Database(std::string path, rocksdb::DB* db,
                   std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : path_(std::move(path)), db_(db), handles_(std::move(handles)) {
  for (auto* h : handles_) {
    auto it = std::find(kCfNames.begin(), kCfNames.end(), h->GetName());
    if (it != kCfNames.end()) cfs_[static_cast<std::size_t>(it - kCfNames.begin())] = h;
  }
}

Database::~Database() {
  for (auto* h : handles_) {
    db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  }
  db_->Close().PermitUncheckedError();  // the WAL holds everything; nothing left to lose
  delete db_;
}

std::unique_ptr<Database> Database::open(const std::string& path, bool check_format,
                                         std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) {
    error = cannot_open(path, "cannot create the directory: " + ec.message());
    return nullptr;
  }
  rocksdb::DBOptions db_options = make_db_options();
  auto block_cache = rocksdb::NewLRUCache(16 * kMiB);

  // Open every column family the database already has (one added by a newer gridmq too, so the
  // format check below can explain the refusal) plus ours.
  std::vector<std::string> names;
  if (!rocksdb::DB::ListColumnFamilies(db_options, path, &names).ok()) names.clear();
  if (std::find(names.begin(), names.end(), rocksdb::kDefaultColumnFamilyName) == names.end()) {
    names.insert(names.begin(), rocksdb::kDefaultColumnFamilyName);
  }
  for (auto name : kCfNames) {
    if (std::find(names.begin(), names.end(), name) == names.end()) names.emplace_back(name);
  }
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) {
    descriptors.emplace_back(name, make_cf_options(name, block_cache));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, path, descriptors, &handles, &raw);
  if (!s.ok()) {
    error = cannot_open(path, s.ToString());
    return nullptr;
  }
  std::unique_ptr<Database> db(new Database(path, raw, std::move(handles)));
  if (check_format && !db->check_format(error)) return nullptr;
  return db;
}

bool Database::check_format(std::string& error) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), cf(Cf::kMeta), kMetaFormatKey, &value);
  if (s.IsNotFound()) {
    // A new database (every database this code wrote has the record, written at its creation).
    encode_format(kFormatVersion, value);
    rocksdb::WriteOptions sync;
    sync.sync = true;
    s = db_->Put(sync, cf(Cf::kMeta), kMetaFormatKey, value);
    if (!s.ok()) error = cannot_open(path_, "writing the format record: " + s.ToString());
    return s.ok();
  }
  if (!s.ok()) {
    error = cannot_open(path_, "reading the format record: " + s.ToString());
    return false;
  }
  std::uint32_t version = 0;
  std::string why;
  if (!decode_format(value, version, why)) {
    error = cannot_open(
        path_, "storage: corrupt record in meta key " + to_hex(kMetaFormatKey) + ": " + why);
    return false;
  }
  if (version > kFormatVersion) {
    error = cannot_open(path_, "format version " + std::to_string(version) +
                                   " is newer than this gridmq supports (" +
                                   std::to_string(kFormatVersion) +
                                   "); it was written by a newer gridmq, refusing to open it");
    return false;
  }
  if (version < 1) {
    error = cannot_open(path_, "unknown format version " + std::to_string(version));
    return false;
  }
  return true;
}

}  // namespace gridmq::storage::rocks
