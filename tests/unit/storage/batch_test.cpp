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
  EXPECT_EQ(Batch::plugin_name(c[1]), "meter_validation");
  EXPECT_EQ(Batch::plugin_key(c[1]), "t1/m1");
  EXPECT_EQ(c[1].value, std::string(200, 'x'));
  EXPECT_EQ(c[2].op, Batch::Op::kDeletePlugin);
  EXPECT_EQ(Batch::plugin_key(c[2]), "t1/m2");
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
  EXPECT_EQ(Batch::plugin_key(c[0]), "t1/m1");
  EXPECT_EQ(c[0].value, "state");
  EXPECT_EQ(c[1].op, Batch::Op::kDeletePlugin);
  EXPECT_EQ(Batch::plugin_key(c[1]), "t1/m2");
  EXPECT_EQ(c[2].op, Batch::Op::kDeleteMessage);
}

// A plugin change's key is "<plugin> U+0000 <key>", split again at the name's recorded length, so
// a key may hold U+0000 itself; a name may not (the split would be ambiguous in storage).
TEST(Batch, PluginChangeKeyHoldsNameAndKey) {
  Batch b;
  b.put_plugin("mv", std::string("t1\0m1", 5), "v");
  b.delete_plugin("meter_validation", "");
  const auto& c = b.changes();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].key, std::string("mv\0t1\0m1", 8));
  EXPECT_EQ(Batch::plugin_name(c[0]), "mv");
  EXPECT_EQ(Batch::plugin_key(c[0]), std::string("t1\0m1", 5));
  EXPECT_EQ(Batch::plugin_name(c[1]), "meter_validation");
  EXPECT_EQ(Batch::plugin_key(c[1]), "");
  EXPECT_TRUE(b.validate().ok);

  Batch bad;
  bad.put_plugin(std::string("m\0v", 3), "k", "v");
  const Status s = bad.validate();
  EXPECT_FALSE(s.ok);
  EXPECT_NE(s.message.find("plugin name contains U+0000"), std::string::npos) << s.message;
}

}  // namespace
}  // namespace gridmq::storage
