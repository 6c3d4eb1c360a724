// RocksDbStore::load: reads every column family back, verifying each record (checksum, version,
// key agreement). A bad record fails the load, naming its column family and key, or with
// quarantine_corrupt is moved to the quarantine column family (key <cf> 0x00 <key>, value
// unchanged) and reported as a warning.

#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <memory>

#include "storage/rocksdb/rocksdb_store.hpp"

namespace gridmq::storage::rocks {
namespace {

struct BadRecord {
  Cf cf;
  std::string key;
  std::string value;
  std::string why;
};

class Loader {
 public:
  Loader(Database& db, bool quarantine) : db_(db), quarantine_(quarantine) {}

  /// Visits every record of `cf` in key order; `decode` returns "" or why the record is bad.
  template <typename Decode>
  Status scan(Cf cf, Decode decode) {
    rocksdb::ReadOptions read;
    read.verify_checksums = true;
    read.fill_cache = false;
    read.total_order_seek = true;  // every key: the plugins column family has a prefix extractor
    std::unique_ptr<rocksdb::Iterator> it(db_.db().NewIterator(read, db_.cf(cf)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string_view key = it->key().ToStringView();
      std::string_view value = it->value().ToStringView();
      std::string why = decode(key, value);
      if (why.empty()) continue;
      if (!quarantine_) {
        return Status::failure("storage: corrupt record in " + std::string(cf_name(cf)) + " key " +
                               to_hex(key) + ": " + why);
      }
      bad_.push_back(BadRecord{cf, std::string(key), std::string(value), std::move(why)});
    }
    if (!it->status().ok()) {
      return Status::failure("storage: reading " + std::string(cf_name(cf)) +
                             " failed: " + it->status().ToString());
    }
    return Status::success();
  }

  /// Moves the bad records into quarantine in one synced write.
  Status quarantine(std::vector<std::string>& warnings) {
    if (bad_.empty()) return Status::success();
    rocksdb::WriteBatch wb;
    for (const auto& b : bad_) {
      std::string qkey = quarantine_key(b.cf, b.key);
      rocksdb::Status s = wb.Put(db_.cf(Cf::kQuarantine), qkey, b.value);
      if (s.ok()) s = wb.Delete(db_.cf(b.cf), b.key);
      if (!s.ok()) return Status::failure("storage: quarantine failed: " + s.ToString());
      warnings.push_back("storage: corrupt record in " + std::string(cf_name(b.cf)) + " key " +
                         to_hex(b.key) + ": " + b.why + "; moved to quarantine key " +
                         to_hex(qkey));
    }
    rocksdb::WriteOptions sync;
    sync.sync = true;
    rocksdb::Status s = db_.db().Write(sync, &wb);
    if (!s.ok()) return Status::failure("storage: quarantine failed: " + s.ToString());
    return Status::success();
  }

 private:
  Database& db_;
  bool quarantine_;
  std::vector<BadRecord> bad_;
};

std::string key_mismatch(const char* field) {
  return std::string("key does not match the record's ") + field;
}

}  // namespace

Status RocksDbStore::load(Snapshot& out, std::vector<std::string>& warnings) {
  if (closed_.load()) return Status::failure("storage: store is closed");
  out = Snapshot{};
  Loader loader(*db_, options_.quarantine_corrupt);
  MessageId max_id = 0;

  Status st = loader.scan(Cf::kSessions, [&](std::string_view key, std::string_view value) {
    StoredSession s;
    std::string why;
    if (!decode_session(value, s, why)) return why;
    if (s.client_id != key) return key_mismatch("client_id");
    out.sessions.push_back(std::move(s));
    return std::string();
  });
  if (st.ok) {
    st = loader.scan(Cf::kQueues, [&](std::string_view key, std::string_view value) {
      std::string_view client;
      std::uint64_t seq = 0;
      if (!parse_queue_key(key, client, seq)) return std::string("malformed queue key");
      QueueEntry e;
      std::string why;
      if (!decode_queue_entry(value, e, why)) return why;
      if (e.seq != seq) return key_mismatch("seq");
      if (out.queues.empty() || out.queues.back().first != client) {
        out.queues.emplace_back(std::string(client), std::vector<QueueEntry>{});
      }
      out.queues.back().second.push_back(std::move(e));
      return std::string();
    });
  }
  if (st.ok) {
    st = loader.scan(Cf::kMessages, [&](std::string_view key, std::string_view value) {
      MessageId id = 0;
      if (!parse_message_key(key, id)) return std::string("malformed message key");
      StoredMessage m;
      std::string why;
      if (!decode_message(value, m, why)) return why;
      if (m.id != id) return key_mismatch("id");
      max_id = std::max(max_id, id);
      out.messages.push_back(std::move(m));
      return std::string();
    });
  }
  if (st.ok) {
    st = loader.scan(Cf::kRetained, [&](std::string_view key, std::string_view value) {
      StoredMessage m;
      std::string why;
      if (!decode_message(value, m, why)) return why;
      if (m.topic != key) return key_mismatch("topic");
      max_id = std::max(max_id, m.id);
      out.retained.push_back(std::move(m));
      return std::string();
    });
  }
  if (st.ok) {
    // Plugins read their own state (get_plugin); verified here so corruption shows at startup.
    st = loader.scan(Cf::kPlugins, [&](std::string_view key, std::string_view value) {
      std::string_view plugin, pkey;
      if (!parse_plugin_key(key, plugin, pkey)) return std::string("malformed plugin key");
      std::string v, why;
      if (!decode_plugin_value(value, v, why)) return why;
      return std::string();
    });
  }
  if (st.ok) {
    st = loader.scan(Cf::kMeta, [&](std::string_view key, std::string_view value) {
      std::string why;
      if (key == kMetaMaxMessageIdKey) {
        MessageId id = 0;
        if (!decode_max_message_id(value, id, why)) return why;
        max_id = std::max(max_id, id);
      }
      // meta/"format" was checked at open; other keys belong to newer minor versions.
      return std::string();
    });
  }
  if (st.ok) st = loader.quarantine(warnings);
  if (!st.ok) {
    out = Snapshot{};
    return st;
  }
  out.max_message_id = max_id;
  return Status::success();
}

}  // namespace gridmq::storage::rocks
