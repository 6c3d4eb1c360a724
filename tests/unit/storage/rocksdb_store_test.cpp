// What only the RocksDB backend can show: reopening, on-disk corruption and quarantine, the
// format check, open errors, and the sync policies.

#include <chrono>
#include <fstream>
#include <thread>

#include "storage/rocksdb/crc32c.hpp"
#include "storage/rocksdb/database.hpp"
#include "storage/rocksdb/layout.hpp"
#include "storage_test_support.hpp"

namespace gridmq::storage::test {
namespace {

using Clock = std::chrono::steady_clock;
using rocks::Cf;

class RocksDbStoreTest : public ::testing::Test {
 protected:
  StoreOptions options(SyncPolicy sync = SyncPolicy::kSync) {
    StoreOptions o;
    o.path = dir_.db();
    o.sync = sync;
    o.group_commit_max_delay_us = 300;
    return o;
  }

  std::unique_ptr<Store> open(const StoreOptions& o) {
    std::string error;
    warnings_.clear();
    auto store = open_rocksdb_store(o, error, warnings_);
    EXPECT_TRUE(store) << error;
    return store;
  }

  /// Rewrites one raw value with a second handle on the closed database.
  void corrupt(Cf cf, const std::string& key, std::size_t byte) {
    std::string error;
    auto db = rocks::Database::open(dir_.db(), /*check_format=*/false, error);
    ASSERT_TRUE(db) << error;
    std::string value;
    ASSERT_TRUE(db->db().Get(rocksdb::ReadOptions(), db->cf(cf), key, &value).ok());
    ASSERT_LT(byte, value.size());
    value[byte] = static_cast<char>(value[byte] ^ 0x20);
    ASSERT_TRUE(db->db().Put(rocksdb::WriteOptions(), db->cf(cf), key, value).ok());
  }

  void put_raw(Cf cf, const std::string& key, const std::string& value) {
    std::string error;
    auto db = rocks::Database::open(dir_.db(), /*check_format=*/false, error);
    ASSERT_TRUE(db) << error;
    ASSERT_TRUE(db->db().Put(rocksdb::WriteOptions(), db->cf(cf), key, value).ok());
  }

  /// Two messages (1 and 2) and a queue entry for each, committed and closed.
  void write_two_messages() {
    auto store = open(options());
    Batch b;
    b.put_message(sample_message(1));
    b.put_message(sample_message(2));
    b.put_queue_entry("m", sample_entry(1, 1));
    b.put_queue_entry("m", sample_entry(2, 2));
    Status s = store->commit_sync(std::move(b));
    ASSERT_TRUE(s.ok) << s.message;
  }

  TempDir dir_;
  std::vector<std::string> warnings_;
};

TEST_F(RocksDbStoreTest, ReopenRestoresEverything) {
  StoredMessage retained = sample_message(30, "mtr/v1/t/m9/state");
  retained.retain = true;
  {
    auto store = open(options());
    Batch b;
    b.put_session(sample_session("m9"));
    b.put_session(sample_session("gone"));
    b.put_message(sample_message(20));
    b.put_message(sample_message(21));
    b.put_queue_entry("m9", sample_entry(1, 20));
    b.put_queue_entry("m9", sample_entry(2, 21));
    b.put_queue_entry("gone", sample_entry(1, 20));
    b.put_retained(retained);
    b.put_plugin("load_limit", "feeder/7", "42");
    ASSERT_TRUE(store->commit_sync(std::move(b)).ok);
    Batch c;
    c.delete_session("gone");
    c.delete_message(21);
    c.delete_queue_entry("m9", 2);
    ASSERT_TRUE(store->commit_sync(std::move(c)).ok);
  }  // the destructor closes
  auto store = open(options());
  Snapshot snap;
  std::vector<std::string> warnings;
  Status s = store->load(snap, warnings);
  ASSERT_TRUE(s.ok) << s.message;
  EXPECT_TRUE(warnings.empty());
  ASSERT_EQ(snap.sessions.size(), 1u);
  EXPECT_EQ(snap.sessions[0], sample_session("m9"));
  ASSERT_EQ(snap.messages.size(), 1u);
  EXPECT_EQ(snap.messages[0], sample_message(20));
  ASSERT_EQ(snap.queues.size(), 1u);
  EXPECT_EQ(snap.queues[0].first, "m9");
  ASSERT_EQ(snap.queues[0].second.size(), 1u);
  EXPECT_EQ(snap.queues[0].second[0], sample_entry(1, 20));
  ASSERT_EQ(snap.retained.size(), 1u);
  EXPECT_EQ(snap.retained[0], retained);
  EXPECT_EQ(snap.max_message_id, 30u);
  std::string value;
  bool found = false;
  ASSERT_TRUE(store->get_plugin("load_limit", "feeder/7", value, found).ok);
  EXPECT_TRUE(found);
  EXPECT_EQ(value, "42");
}

TEST_F(RocksDbStoreTest, MaxMessageIdSurvivesDeletesAcrossReopen) {
  {
    auto store = open(options());
    Batch b;
    b.put_message(sample_message(99));
    ASSERT_TRUE(store->commit_sync(std::move(b)).ok);
    Batch d;
    d.delete_message(99);
    ASSERT_TRUE(store->commit_sync(std::move(d)).ok);
  }
  auto store = open(options());
  Snapshot snap;
  std::vector<std::string> warnings;
  ASSERT_TRUE(store->load(snap, warnings).ok);
  EXPECT_TRUE(snap.messages.empty());
  EXPECT_EQ(snap.max_message_id, 99u);
}

TEST_F(RocksDbStoreTest, CorruptValueFailsLoadNamingCfAndKey) {
  write_two_messages();
  corrupt(Cf::kMessages, rocks::message_key(2), 12);
  auto store = open(options());
  Snapshot snap;
  std::vector<std::string> warnings;
  Status s = store->load(snap, warnings);
  ASSERT_FALSE(s.ok);
  EXPECT_EQ(s.message,
            "storage: corrupt record in messages key 0000000000000002: checksum mismatch");
}

TEST_F(RocksDbStoreTest, CorruptQueueEntryNamesQueuesCf) {
  write_two_messages();
  corrupt(Cf::kQueues, rocks::queue_key("m", 1), 0);  // the version byte
  auto store = open(options());
  Snapshot snap;
  std::vector<std::string> warnings;
  Status s = store->load(snap, warnings);
  ASSERT_FALSE(s.ok);
  EXPECT_EQ(s.message,
            "storage: corrupt record in queues key 6d000000000000000001: checksum mismatch");
}

TEST_F(RocksDbStoreTest, RecordVersionFromTheFutureIsReported) {
  write_two_messages();
  // A well-formed envelope (valid CRC) with an unknown record version.
  std::string value;
  rocks::encode_plugin_value("x", value);
  value[0] = 9;
  value.resize(value.size() - 4);
  std::string sealed = value;
  std::uint32_t crc = rocks::crc32c(value);
  for (int i = 0; i < 4; ++i) sealed.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  put_raw(Cf::kPlugins, rocks::plugin_key("p", "k"), sealed);
  auto store = open(options());
  Snapshot snap;
  std::vector<std::string> warnings;
  Status s = store->load(snap, warnings);
  ASSERT_FALSE(s.ok);
  EXPECT_NE(s.message.find("plugins key 70006b: unsupported record version 9"), std::string::npos)
      << s.message;
}

// load() checks every plugin record: a corrupt one among many good ones of two plugins.
TEST_F(RocksDbStoreTest, LoadChecksEveryPluginRecord) {
  {
    auto store = open(options());
    Batch b;
    for (int i = 0; i < 300; ++i) {
      b.put_plugin("meter_validation", "t1/m" + std::to_string(i), "state");
      b.put_plugin("aggregation", "t1/m" + std::to_string(i), "sum");
    }
    ASSERT_TRUE(store->commit_sync(std::move(b)).ok);
  }
  put_raw(Cf::kPlugins, rocks::plugin_key("meter_validation", "t1/m77"), "garbage");
  auto store = open(options());
  Snapshot snap;
  std::vector<std::string> warnings;
  Status s = store->load(snap, warnings);
  ASSERT_FALSE(s.ok);
  EXPECT_NE(s.message.find("corrupt record in plugins key"), std::string::npos) << s.message;
}

TEST_F(RocksDbStoreTest, QuarantineMovesCorruptRecordAndWarns) {
  write_two_messages();
  corrupt(Cf::kMessages, rocks::message_key(2), 12);
  StoreOptions o = options();
  o.quarantine_corrupt = true;
  {
    auto store = open(o);
    Snapshot snap;
    std::vector<std::string> warnings;
    Status s = store->load(snap, warnings);
    ASSERT_TRUE(s.ok) << s.message;
    ASSERT_EQ(snap.messages.size(), 1u);
    EXPECT_EQ(snap.messages[0], sample_message(1));
    EXPECT_EQ(snap.queues.at(0).second.size(), 2u);  // the entries are intact
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("corrupt record in messages key 0000000000000002: checksum "
                               "mismatch; moved to quarantine"),
              std::string::npos)
        << warnings[0];
    // Moved, not dropped: a second load is clean.
    Snapshot again;
    warnings.clear();
    ASSERT_TRUE(store->load(again, warnings).ok);
    EXPECT_TRUE(warnings.empty());
    EXPECT_EQ(again.messages.size(), 1u);
  }
  std::string error;
  auto db = rocks::Database::open(dir_.db(), false, error);
  ASSERT_TRUE(db) << error;
  std::string value;
  EXPECT_TRUE(db->db()
                  .Get(rocksdb::ReadOptions(), db->cf(Cf::kQuarantine),
                       rocks::quarantine_key(Cf::kMessages, rocks::message_key(2)), &value)
                  .ok());
  EXPECT_TRUE(db->db()
                  .Get(rocksdb::ReadOptions(), db->cf(Cf::kMessages), rocks::message_key(2), &value)
                  .IsNotFound());
}

TEST_F(RocksDbStoreTest, NewerFormatIsRefused) {
  write_two_messages();
  std::string value;
  rocks::encode_format(rocks::kFormatVersion + 1, value);
  put_raw(Cf::kMeta, std::string(rocks::kMetaFormatKey), value);
  std::string error;
  std::vector<std::string> warnings;
  auto store = open_rocksdb_store(options(), error, warnings);
  EXPECT_FALSE(store);
  EXPECT_NE(error.find("cannot open RocksDB at '" + dir_.db() + "': format version 2 is newer"),
            std::string::npos)
      << error;
}

TEST_F(RocksDbStoreTest, SecondOpenReportsTheLock) {
  auto first = open(options());
  std::string error;
  std::vector<std::string> warnings;
  auto second = open_rocksdb_store(options(), error, warnings);
  EXPECT_FALSE(second);
  EXPECT_EQ(error.rfind("cannot open RocksDB at '" + dir_.db() + "': ", 0), 0u) << error;
  EXPECT_NE(error.find("lock"), std::string::npos) << error;
}

TEST_F(RocksDbStoreTest, UnusablePathIsAnErrorValue) {
  StoreOptions o = options();
  o.path = dir_.path() + "/file/db";
  { std::ofstream(dir_.path() + "/file") << "not a directory"; }
  std::string error;
  std::vector<std::string> warnings;
  auto store = open_rocksdb_store(o, error, warnings);
  EXPECT_FALSE(store);
  EXPECT_EQ(error.rfind("cannot open RocksDB at '" + o.path + "': ", 0), 0u) << error;
}

TEST_F(RocksDbStoreTest, EverySyncPolicyCompletesCommits) {
  for (SyncPolicy policy : {SyncPolicy::kSync, SyncPolicy::kBatched, SyncPolicy::kNone}) {
    SCOPED_TRACE(static_cast<int>(policy));
    StoreOptions o = options(policy);
    o.batch_interval_ms = 5;
    auto id = static_cast<MessageId>(policy) + 1;
    {
      auto store = open(o);
      EXPECT_EQ(warnings_.size(), policy == SyncPolicy::kNone ? 1u : 0u);
      Completions done;
      for (int i = 0; i < 10; ++i) {
        Batch b;
        b.put_queue_entry("p", sample_entry(static_cast<std::uint64_t>(i) + 1, id));
        store->commit(std::move(b), [&](const Status& s) {
          EXPECT_TRUE(s.ok) << s.message;
          done.add();
        });
      }
      Batch b;
      b.put_message(sample_message(id));
      ASSERT_TRUE(store->commit_sync(std::move(b)).ok);
      EXPECT_TRUE(done.wait(10));
    }
    auto store = open(o);
    Snapshot snap;
    std::vector<std::string> warnings;
    ASSERT_TRUE(store->load(snap, warnings).ok);
    EXPECT_EQ(snap.messages.size(), static_cast<std::size_t>(id));
  }
  EXPECT_NE(warnings_.at(0).find("benchmarks only"), std::string::npos);
}

TEST_F(RocksDbStoreTest, BatchedPolicyWaitsForTheInterval) {
  StoreOptions o = options(SyncPolicy::kBatched);
  o.batch_interval_ms = 150;
  auto start = Clock::now();  // the interval counts from open
  auto store = open(o);
  Batch b;
  b.put_message(sample_message(1));
  ASSERT_TRUE(store->commit_sync(std::move(b)).ok);
  auto first = Clock::now();
  EXPECT_GE(first - start, std::chrono::milliseconds(150));
  Batch c;
  c.put_message(sample_message(2));
  ASSERT_TRUE(store->commit_sync(std::move(c)).ok);
  // The previous sync happened before `first`; the next is a full interval after it.
  EXPECT_GE(Clock::now() - first, std::chrono::milliseconds(100));
}

TEST_F(RocksDbStoreTest, LoneCommitWaitsAtMostTheGroupDelay) {
  StoreOptions o = options(SyncPolicy::kNone);
  o.group_commit_max_delay_us = 50'000;
  auto store = open(o);
  auto start = Clock::now();
  Batch b;
  b.put_message(sample_message(1));
  ASSERT_TRUE(store->commit_sync(std::move(b)).ok);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(50));  // it waited for company
}

TEST_F(RocksDbStoreTest, FullGroupIsWrittenWithoutWaiting) {
  StoreOptions o = options(SyncPolicy::kNone);
  o.group_commit_max_delay_us = 60'000'000;  // a minute: only a full group can go out
  o.group_commit_max_commits = 4;
  auto store = open(o);
  Completions done;
  for (MessageId id = 1; id <= 4; ++id) {
    Batch b;
    b.put_message(sample_message(id));
    store->commit(std::move(b), [&](const Status& s) {
      EXPECT_TRUE(s.ok);
      done.add();
    });
  }
  EXPECT_TRUE(done.wait(4, std::chrono::seconds(30)));
}

// Plugin changes that a later change of the same key in the same group overrides are left out
// of the group's write (superseded.hpp); what is stored is what the changes in order leave, and
// a batch that fails validation overrides nothing.
TEST_F(RocksDbStoreTest, OneGroupStoresTheLastChangeOfEachPluginKey) {
  StoreOptions o = options(SyncPolicy::kSync);
  o.group_commit_max_delay_us = 60'000'000;  // a minute: the four commits form one group
  o.group_commit_max_commits = 4;
  auto store = open(o);
  std::vector<Batch> batches(4);
  batches[0].put_plugin("mv", "k1", "a1");
  batches[0].put_plugin("mv", "k2", "b1");
  batches[0].put_plugin("mv", "k3", "c1");
  batches[1].put_plugin(std::string("bad\0name", 8), "x", "y");  // fails validation: all of it
  batches[1].put_plugin("mv", "k1", "a2");
  batches[2].delete_plugin("mv", "k2");
  batches[2].delete_plugin("mv", "k3");
  batches[3].put_plugin("mv", "k3", "c2");
  batches[3].put_plugin("mv", "k4", "d1");
  std::vector<Status> statuses(4, Status::failure("not called"));
  Completions done;
  for (std::size_t i = 0; i < batches.size(); ++i) {
    store->commit(std::move(batches[i]), [&, i](const Status& s) {
      statuses[i] = s;
      done.add();
    });
  }
  ASSERT_TRUE(done.wait(4, std::chrono::seconds(30)));
  EXPECT_TRUE(statuses[0].ok && statuses[2].ok && statuses[3].ok);
  EXPECT_FALSE(statuses[1].ok);
  store.reset();

  auto reopened = open(options());
  auto value_of = [&](const std::string& key) {
    std::string value;
    bool found = false;
    EXPECT_TRUE(reopened->get_plugin("mv", key, value, found).ok);
    return found ? value : std::string("(none)");
  };
  EXPECT_EQ(value_of("k1"), "a1");  // the failed batch's put did not override it
  EXPECT_EQ(value_of("k2"), "(none)");
  EXPECT_EQ(value_of("k3"), "c2");
  EXPECT_EQ(value_of("k4"), "d1");
}

TEST_F(RocksDbStoreTest, CloseDrainsQueuedCommits) {
  StoreOptions o = options(SyncPolicy::kBatched);
  o.group_commit_max_delay_us = 60'000'000;
  o.batch_interval_ms = 60'000;
  auto store = open(o);
  Completions done;
  Status status = Status::failure("not called");
  Batch b;
  b.put_message(sample_message(1));
  store->commit(std::move(b), [&](const Status& s) {
    status = s;
    done.add();
  });
  auto start = Clock::now();
  store->close();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(30));
  ASSERT_TRUE(done.wait(1, std::chrono::seconds(0)));
  EXPECT_TRUE(status.ok) << status.message;
  store.reset();
  auto reopened = open(options());
  Snapshot snap;
  std::vector<std::string> warnings;
  ASSERT_TRUE(reopened->load(snap, warnings).ok);
  EXPECT_EQ(snap.messages.size(), 1u);
}

// commit_and_return hands the batch, changes intact, to the callback (for the committing thread
// to free) once it is written, and also when the store is already closed.
TEST_F(RocksDbStoreTest, CommitAndReturnHandsTheBatchBackAfterTheWrite) {
  auto store = open(options());
  Completions done;
  Status status;
  std::size_t returned_changes = 0;
  Batch b;
  b.put_message(sample_message(7));
  b.put_plugin("meter_validation", "t1/MTR0000001", "state");
  store->commit_and_return(std::move(b), [&](const Status& s, Batch&& spent) {
    status = s;
    returned_changes = spent.changes().size();
    done.add();
  });
  ASSERT_TRUE(done.wait(1));
  EXPECT_TRUE(status.ok) << status.message;
  EXPECT_EQ(returned_changes, 2u);
  std::string value;
  bool found = false;
  ASSERT_TRUE(store->get_plugin("meter_validation", "t1/MTR0000001", value, found).ok);
  EXPECT_TRUE(found);  // the batch that came back was written
  EXPECT_EQ(value, "state");

  store.reset();
  auto closed = open(options());
  closed->close();
  Batch late;
  late.put_message(sample_message(8));
  closed->commit_and_return(std::move(late), [&](const Status& s, Batch&& spent) {
    status = s;
    returned_changes = spent.changes().size();
    done.add();
  });
  ASSERT_TRUE(done.wait(2));
  EXPECT_FALSE(status.ok);
  EXPECT_EQ(returned_changes, 1u);
}

TEST_F(RocksDbStoreTest, CommitSyncFromACallbackFailsInsteadOfDeadlocking) {
  auto store = open(options());
  Completions done;
  Status inner;
  Batch b;
  b.put_message(sample_message(1));
  store->commit(std::move(b), [&](const Status&) {
    Batch nested;
    nested.put_message(sample_message(2));
    inner = store->commit_sync(std::move(nested));
    done.add();
  });
  ASSERT_TRUE(done.wait(1));
  EXPECT_FALSE(inner.ok);
  EXPECT_NE(inner.message.find("deadlock"), std::string::npos) << inner.message;
}

}  // namespace
}  // namespace gridmq::storage::test
