// The plugins column family's memtable (storage/rocksdb/database.cpp): updated in place and found
// by a hash of the whole key. Values of every size read back, and a total-order iterator (what
// load() uses) sees every key in order, before and after a reopen.

#include <rocksdb/db.h>
#include <rocksdb/memtablerep.h>
#include <rocksdb/slice_transform.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "storage/rocksdb/database.hpp"
#include "storage/rocksdb/layout.hpp"
#include "storage_test_support.hpp"

namespace gridmq::storage::test {
namespace {

using rocks::Cf;

std::unique_ptr<rocks::Database> open_db(const TempDir& dir) {
  std::string error;
  auto db = rocks::Database::open(dir.db(), /*check_format=*/true, error);
  EXPECT_TRUE(db) << error;
  return db;
}

// Everything a total-order iterator of the plugins column family sees.
std::map<std::string, std::string> scan(rocks::Database& db) {
  rocksdb::ReadOptions read;
  read.total_order_seek = true;
  std::unique_ptr<rocksdb::Iterator> it(db.db().NewIterator(read, db.cf(Cf::kPlugins)));
  std::map<std::string, std::string> seen;
  std::string previous;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string key = it->key().ToString();
    EXPECT_TRUE(seen.empty() || previous < key) << "out of order: " << key;
    previous = key;
    seen.emplace(key, it->value().ToString());
  }
  EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  return seen;
}

TEST(PluginTableTest, PluginsAreHashedByTheirWholeKeyAndUpdatedInPlace) {
  TempDir dir;
  auto db = open_db(dir);
  ASSERT_TRUE(db);
  const auto options = db->db().GetOptions(db->cf(Cf::kPlugins));
  EXPECT_STREQ(options.memtable_factory->Name(), "HashSkipListRepFactory");
  ASSERT_TRUE(options.prefix_extractor);
  EXPECT_EQ(std::string(options.prefix_extractor->Name()), "rocksdb.CappedPrefix");
  const std::string long_key(200, 'k');
  EXPECT_EQ(options.prefix_extractor->Transform(long_key).size(), 128u);
  EXPECT_EQ(options.prefix_extractor->Transform("meter_validation").size(), 16u);
  EXPECT_TRUE(options.inplace_update_support);
  // The busy column families keep the ordered skiplist their insert hints need.
  EXPECT_STREQ(db->db().GetOptions(db->cf(Cf::kQueues)).memtable_factory->Name(),
               "SkipListFactory");
}

TEST(PluginTableTest, EveryValueReadsBackAndIteratesInOrder) {
  TempDir dir;
  auto db = open_db(dir);
  ASSERT_TRUE(db);
  // Two plugins; meters whose keys share a long prefix; and keys longer than the 128 bytes that
  // choose a bucket, so that several keys share one.
  std::map<std::string, std::string> expected;
  const std::string long_tenant(140, 't');
  for (int i = 0; i < 1500; ++i) {
    const std::string meter = "tenant-a/1EMH00" + std::to_string(100000 + i);
    expected[rocks::plugin_key("meter_validation", meter)] = std::string(68 + i % 40, 'a');
    expected[rocks::plugin_key("aggregation", meter)] = std::string(20, 'b');
    if (i < 50)
      expected[rocks::plugin_key("meter_validation", long_tenant + std::to_string(i))] = "c";
  }
  const auto write = [&](const std::map<std::string, std::string>& values,
                         const std::vector<std::string>& deleted) {
    rocksdb::WriteBatch wb;
    for (const auto& [k, v] : values) ASSERT_TRUE(wb.Put(db->cf(Cf::kPlugins), k, v).ok());
    for (const auto& k : deleted) ASSERT_TRUE(wb.Delete(db->cf(Cf::kPlugins), k).ok());
    ASSERT_TRUE(db->db().Write(rocksdb::WriteOptions(), &wb).ok());
  };
  write(expected, {});
  // Updates: most shorter (in place), every seventh longer (a new entry), every eleventh deleted.
  std::map<std::string, std::string> updates;
  std::vector<std::string> deleted;
  int n = 0;
  for (auto& [k, v] : expected) {
    ++n;
    if (n % 11 == 0) {
      deleted.push_back(k);
      continue;
    }
    v = n % 7 == 0 ? v + std::string(30, 'L') : v.substr(0, v.size() / 2) + "s";
    updates[k] = v;
  }
  write(updates, deleted);
  for (const auto& k : deleted) expected.erase(k);

  const auto check = [&](rocks::Database& d) {
    for (const auto& [k, v] : expected) {
      std::string got;
      ASSERT_TRUE(d.db().Get(rocksdb::ReadOptions(), d.cf(Cf::kPlugins), k, &got).ok()) << k;
      EXPECT_EQ(got, v) << k;
    }
    std::string got;
    EXPECT_TRUE(
        d.db().Get(rocksdb::ReadOptions(), d.cf(Cf::kPlugins), deleted.front(), &got).IsNotFound());
    EXPECT_EQ(scan(d), expected);
  };
  check(*db);
  db.reset();
  auto reopened = open_db(dir);
  ASSERT_TRUE(reopened);
  check(*reopened);
}

}  // namespace
}  // namespace gridmq::storage::test
