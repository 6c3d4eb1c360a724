// The memtable insert-hint prefixes of the busy column families (storage/rocksdb/insert_hint.hpp):
// what prefix each key gets, that the database is opened with them, and that keys written out of
// order under hints still read back in key order.

#include <rocksdb/db.h>

#include <algorithm>
#include <memory>
#include <random>

#include "storage/rocksdb/database.hpp"
#include "storage/rocksdb/insert_hint.hpp"
#include "storage/rocksdb/layout.hpp"
#include "storage_test_support.hpp"

namespace gridmq::storage::test {
namespace {

using rocks::Cf;

TEST(InsertHintTest, QueueKeysShareTheirClientsPrefix) {
  const auto hint = rocks::queue_insert_hint();
  const std::string a1 = rocks::queue_key("a", 1), a2 = rocks::queue_key("a", 1u << 20);
  const std::string ab = rocks::queue_key("ab", 1);
  ASSERT_TRUE(hint->InDomain(a1));
  EXPECT_EQ(hint->Transform(a1).ToString(), std::string("a\0", 2));
  EXPECT_EQ(hint->Transform(a1).ToString(), hint->Transform(a2).ToString());
  EXPECT_EQ(hint->Transform(ab).ToString(), std::string("ab\0", 3));
  EXPECT_FALSE(hint->InDomain(rocksdb::Slice("no-separator-at-all")));
  // A range deletion's begin key (all of a client's entries) takes no hint: RocksDB would use
  // the point table's splice on its range-deletion table.
  EXPECT_FALSE(hint->InDomain(rocks::queue_range_begin("a-long-client-id")));
  EXPECT_FALSE(hint->InDomain(rocks::queue_range_begin("a")));
}

TEST(InsertHintTest, MessageKeysShareOnePrefix) {
  const auto hint = rocks::message_insert_hint();
  const std::string k1 = rocks::message_key(1), k2 = rocks::message_key(~0ull);
  ASSERT_TRUE(hint->InDomain(k1));
  EXPECT_EQ(hint->Transform(k1).ToString(), hint->Transform(k2).ToString());
  EXPECT_FALSE(hint->InDomain(rocksdb::Slice("1234567")));
}

TEST(InsertHintTest, BusyColumnFamiliesAreOpenedWithHints) {
  TempDir dir;
  std::string error;
  auto db = rocks::Database::open(dir.db(), /*check_format=*/true, error);
  ASSERT_TRUE(db) << error;
  const auto hint = [&](Cf cf) {
    return db->db().GetOptions(db->cf(cf)).memtable_insert_with_hint_prefix_extractor;
  };
  ASSERT_TRUE(hint(Cf::kMessages));
  ASSERT_TRUE(hint(Cf::kQueues));
  EXPECT_STREQ(hint(Cf::kQueues)->Name(), rocks::queue_insert_hint()->Name());
  EXPECT_FALSE(hint(Cf::kSessions));
  EXPECT_FALSE(hint(Cf::kPlugins));
}

TEST(InsertHintTest, KeysWrittenOutOfOrderReadBackInOrder) {
  TempDir dir;
  std::string error;
  auto db = rocks::Database::open(dir.db(), /*check_format=*/true, error);
  ASSERT_TRUE(db) << error;
  // Three clients' queues, mostly ascending per client (what the hints expect) with some keys
  // going backwards, and deletes of some of them, in several writes.
  std::vector<std::string> keys;
  for (const char* client : {"m1", "m10", "m2"}) {
    for (std::uint64_t seq = 0; seq < 300; ++seq) keys.push_back(rocks::queue_key(client, seq));
  }
  std::mt19937 rng(7);
  for (std::size_t i = 0; i + 1 < keys.size(); i += 5) std::swap(keys[i], keys[i + 1]);
  std::shuffle(keys.begin(), keys.begin() + 50, rng);
  std::vector<std::string> deleted;
  for (std::size_t start = 0; start < keys.size(); start += 64) {
    rocksdb::WriteBatch wb;
    for (std::size_t i = start; i < std::min(keys.size(), start + 64); ++i) {
      ASSERT_TRUE(wb.Put(db->cf(Cf::kQueues), keys[i], "v").ok());
      if (i % 7 == 3) {
        ASSERT_TRUE(wb.Delete(db->cf(Cf::kQueues), keys[i - 2]).ok());
        deleted.push_back(keys[i - 2]);
      }
    }
    ASSERT_TRUE(db->db().Write(rocksdb::WriteOptions(), &wb).ok());
  }
  std::vector<std::string> expected;
  for (const auto& k : keys) {
    if (std::find(deleted.begin(), deleted.end(), k) == deleted.end()) expected.push_back(k);
  }
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> seen;
  std::unique_ptr<rocksdb::Iterator> it(
      db->db().NewIterator(rocksdb::ReadOptions(), db->cf(Cf::kQueues)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) seen.push_back(it->key().ToString());
  ASSERT_TRUE(it->status().ok());
  EXPECT_EQ(seen, expected);
}

// What a session delete does (Batch delete_session: DeleteRange over the client's entries)
// between appends to the same and other queues: with a hint shared between the point and the
// range-deletion skiplists this aborts in RocksDB (or corrupts the memtable without assertions).
TEST(InsertHintTest, RangeDeletionsBetweenHintedInserts) {
  TempDir dir;
  std::string error;
  auto db = rocks::Database::open(dir.db(), /*check_format=*/true, error);
  ASSERT_TRUE(db) << error;
  auto* queues = db->cf(Cf::kQueues);
  for (int round = 0; round < 20; ++round) {
    rocksdb::WriteBatch wb;
    for (const char* client : {"client-a", "b", "client-c-with-a-longer-id"}) {
      for (std::uint64_t seq = 0; seq < 40; ++seq) {
        ASSERT_TRUE(wb.Put(queues, rocks::queue_key(client, round * 40 + seq), "v").ok());
      }
    }
    const char* gone = round % 2 ? "b" : "client-a";
    ASSERT_TRUE(
        wb.DeleteRange(queues, rocks::queue_range_begin(gone), rocks::queue_range_end(gone)).ok());
    ASSERT_TRUE(db->db().Write(rocksdb::WriteOptions(), &wb).ok());
  }
  std::size_t count = 0;
  std::unique_ptr<rocksdb::Iterator> it(db->db().NewIterator(rocksdb::ReadOptions(), queues));
  for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
  ASSERT_TRUE(it->status().ok());
  // The long id's 20 x 40 entries, and client-a's 40 of round 19 (deleted last in round 18; b in
  // round 19, after its appends).
  EXPECT_EQ(count, 20u * 40u + 40u);
}

}  // namespace
}  // namespace gridmq::storage::test
