// edit_distance and suggest: the "did you mean" hint.

#include <gtest/gtest.h>

#include <array>

#include "config/suggest.hpp"

namespace gridmq::config {
namespace {

TEST(EditDistance, CountsEdits) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("level", "levle"), 1u);  // adjacent swap counts once
  EXPECT_EQ(edit_distance("inflight", "infligt"), 1u);
}

TEST(Suggest, PicksTheNearestCloseName) {
  constexpr std::array<std::string_view, 3> names = {"mqtt.max_inflight", "mqtt.max_keepalive",
                                                     "log.level"};
  EXPECT_EQ(suggest("mqtt.max_infligth", names), "mqtt.max_inflight");
  EXPECT_EQ(suggest("log.lvel", names), "log.level");
  EXPECT_EQ(suggest("mqtt.colour", names), std::nullopt);
}

TEST(Suggest, SameKeyInAnotherTable) {
  constexpr std::array<std::string_view, 2> names = {"broker.threads", "storage.data_dir"};
  EXPECT_EQ(suggest("log.threads", names), "broker.threads");
  EXPECT_EQ(suggest("data_dir", names), "storage.data_dir");
  EXPECT_EQ(suggest("log.dir", names), std::nullopt);
}

}  // namespace
}  // namespace gridmq::config
