// Batch: the in-memory list of changes one commit writes.

#include <gtest/gtest.h>

#include "storage/store.hpp"

namespace gridmq::storage {
namespace {

TEST(Batch, TakePluginChangesMovesThemInOrderAndDropsOtherKinds) {
  Batch message;
  message.delete_message(7);

  Batch plugin;
  plugin.put_plugin("meter_validation", "t1/m1", std::string(200, 'x'));
  plugin.put_session(StoredSession{});  // not a plugin's to write
  plugin.delete_plugin("meter_validation", "t1/m2");

  message.take_plugin_changes(std::move(plugin));

  EXPECT_TRUE(plugin.empty());  // take_plugin_changes leaves its source empty
  const auto& c = message.changes();
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].op, Batch::Op::kDeleteMessage);
  EXPECT_EQ(c[1].op, Batch::Op::kPutPlugin);
  EXPECT_EQ(c[1].key, "meter_validation");
  EXPECT_EQ(c[1].key2, "t1/m1");
  EXPECT_EQ(c[1].value, std::string(200, 'x'));
  EXPECT_EQ(c[2].op, Batch::Op::kDeletePlugin);
  EXPECT_EQ(c[2].key2, "t1/m2");
}

// Into an empty batch the plugin's batch moves whole: same storage (no copy of its changes), the
// other kinds still dropped.
TEST(Batch, TakePluginChangesIntoAnEmptyBatchKeepsTheSourceStorage) {
  Batch plugin;
  plugin.put_plugin("meter_validation", "t1/m1", "state");
  plugin.put_message(StoredMessage{});  // not a plugin's to write
  plugin.delete_plugin("meter_validation", "t1/m2");
  const Batch::Change* storage = plugin.changes().data();

  Batch publish;
  publish.take_plugin_changes(std::move(plugin));
  publish.delete_message(9);  // the publish's own changes follow

  EXPECT_TRUE(plugin.empty());
  const auto& c = publish.changes();
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c.data(), storage);  // room for three: the publish's change did not reallocate
  EXPECT_EQ(c[0].op, Batch::Op::kPutPlugin);
  EXPECT_EQ(c[0].key2, "t1/m1");
  EXPECT_EQ(c[0].value, "state");
  EXPECT_EQ(c[1].op, Batch::Op::kDeletePlugin);
  EXPECT_EQ(c[1].key2, "t1/m2");
  EXPECT_EQ(c[2].op, Batch::Op::kDeleteMessage);
}

}  // namespace
}  // namespace gridmq::storage
