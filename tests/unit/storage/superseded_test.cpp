// SupersededPluginChanges: which plugin changes of a group commit a later change of the same key
// overrides (storage/rocksdb/superseded.hpp).

#include "storage/rocksdb/superseded.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace gridmq::storage::rocks {
namespace {

TEST(SupersededPluginChanges, OnlyTheLastChangeOfAKeyInTheGroupIsKept) {
  Batch a;
  a.put_plugin("mv", "t1/m1", "1");  // overridden by c's put
  a.put_message(StoredMessage{});    // not a plugin change: never skipped
  a.put_plugin("mv", "t1/m2", "1");  // overridden by b's delete
  Batch b;
  b.delete_plugin("mv", "t1/m2");
  b.put_plugin("other", "t1/m1", "1");  // another plugin's key space
  Batch c;
  c.put_plugin("mv", "t1/m1", "2");
  c.put_plugin("mv", "t1/m1", "3");  // within one batch, too

  SupersededPluginChanges plan;
  const std::vector<const Batch*> group{&a, &b, &c};
  plan.plan(group);

  EXPECT_TRUE(plan.skip(0, 0));
  EXPECT_FALSE(plan.skip(0, 1));
  EXPECT_TRUE(plan.skip(0, 2));
  EXPECT_FALSE(plan.skip(1, 0));
  EXPECT_FALSE(plan.skip(1, 1));
  EXPECT_TRUE(plan.skip(2, 0));
  EXPECT_FALSE(plan.skip(2, 1));
  EXPECT_EQ(plan.skipped(), 3u);
  EXPECT_FALSE(plan.skip(2, 2));  // past the batch
  EXPECT_FALSE(plan.skip(3, 0));  // past the group
}

// A batch that is not written (null: it failed validation) overrides nothing, and an index into
// it does not reach the next batch's changes.
TEST(SupersededPluginChanges, ABatchThatIsNotWrittenOverridesNothing) {
  Batch a;
  a.put_plugin("mv", "k", "1");
  Batch failed;
  failed.put_plugin("mv", "k", "2");
  Batch c;
  c.put_plugin("mv", "other", "1");

  SupersededPluginChanges plan;
  const std::vector<const Batch*> group{&a, nullptr, &c};
  plan.plan(group);
  EXPECT_FALSE(plan.skip(0, 0));
  EXPECT_FALSE(plan.skip(1, 0));
  EXPECT_EQ(plan.skipped(), 0u);

  const std::vector<const Batch*> with_it{&a, &failed, &c};
  plan.plan(with_it);  // replaces the previous plan
  EXPECT_TRUE(plan.skip(0, 0));
  EXPECT_EQ(plan.skipped(), 1u);
  plan.reset();
  EXPECT_FALSE(plan.skip(0, 0));
}

}  // namespace
}  // namespace gridmq::storage::rocks

namespace gridmq::storage::rocks {
namespace {

// Many keys, in two plugins whose names have the same length (so that only the names tell one
// key of both apart), and a planner used for several groups in turn.
TEST(SupersededPluginChanges, ManyKeysTwoPluginsAndPlansInTurn) {
  std::vector<Batch> batches(300);
  for (std::size_t i = 0; i < batches.size(); ++i) {
    const std::string key = "t1/m" + std::to_string(i % 100);
    batches[i].put_plugin("mv", key, std::to_string(i));
    batches[i].put_plugin("ab", key, std::to_string(i));
  }
  std::vector<const Batch*> group;
  for (const auto& b : batches) group.push_back(&b);
  SupersededPluginChanges plan;
  plan.plan(group);
  EXPECT_EQ(plan.skipped(), 400u);  // each of the 200 (plugin, key) pairs: all but its last
  for (std::size_t i = 0; i < batches.size(); ++i) {
    EXPECT_EQ(plan.skip(i, 0), i < 200) << i;
    EXPECT_EQ(plan.skip(i, 1), i < 200) << i;
  }
  // A later plan forgets the earlier one.
  const std::vector<const Batch*> distinct{&batches[298], &batches[299]};  // m98, m99
  plan.plan(distinct);
  EXPECT_EQ(plan.skipped(), 0u);
  const std::vector<const Batch*> same{&batches[299], &batches[199]};  // m99 twice
  plan.plan(same);
  EXPECT_EQ(plan.skipped(), 2u);
  EXPECT_TRUE(plan.skip(0, 0));
  EXPECT_TRUE(plan.skip(0, 1));
  EXPECT_FALSE(plan.skip(1, 0));
}

}  // namespace
}  // namespace gridmq::storage::rocks
