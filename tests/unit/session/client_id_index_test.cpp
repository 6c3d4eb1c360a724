// ClientIdIndex against std::unordered_map: random inserts, lookups and erases of ids from a
// small space (erased ids come back in new slots). At up to half load, probe runs form, also
// across the end of the table, and backward-shift deletion must keep every run reachable.

#include "session/client_id_index.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace gridmq::session {
namespace {

class ClientIdIndexTest : public ::testing::Test {
 protected:
  // slot -> id, as BrokerCore's slots hold sessions; an erased slot keeps its id until reused.
  std::vector<std::string> slots_;
  ClientIdIndex index_;
  std::unordered_map<std::string, std::uint32_t> oracle_;

  auto id_of() const {
    return [this](std::uint32_t slot) -> std::string_view { return slots_.at(slot); };
  }

  void insert(const std::string& id) {
    const auto slot = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(id);
    index_.insert(id, slot, id_of());
    oracle_[id] = slot;
  }

  void expect_matches_oracle() {
    ASSERT_EQ(index_.size(), oracle_.size());
    for (const auto& [id, slot] : oracle_) {
      auto found = index_.find(id, id_of());
      ASSERT_TRUE(found) << id;
      EXPECT_EQ(*found, slot) << id;
    }
    std::size_t visited = 0;
    index_.for_each([&](std::uint32_t slot) {
      ++visited;
      auto it = oracle_.find(slots_.at(slot));
      ASSERT_NE(it, oracle_.end()) << slots_.at(slot);
      EXPECT_EQ(it->second, slot);
    });
    EXPECT_EQ(visited, oracle_.size());
  }
};

TEST_F(ClientIdIndexTest, EmptyIndexFindsAndErasesNothing) {
  EXPECT_FALSE(index_.find("meter-1", id_of()));
  EXPECT_FALSE(index_.erase("meter-1", id_of()));
  EXPECT_EQ(index_.size(), 0u);
}

TEST_F(ClientIdIndexTest, InsertFindErase) {
  insert("MTR0000001");
  insert("MTR0000002");
  EXPECT_EQ(index_.find("MTR0000002", id_of()), std::optional<std::uint32_t>(1));
  EXPECT_FALSE(index_.find("MTR0000003", id_of()));
  EXPECT_TRUE(index_.erase("MTR0000001", id_of()));
  EXPECT_FALSE(index_.erase("MTR0000001", id_of()));
  EXPECT_FALSE(index_.find("MTR0000001", id_of()));
  EXPECT_EQ(index_.find("MTR0000002", id_of()), std::optional<std::uint32_t>(1));
  EXPECT_EQ(index_.size(), 1u);
}

TEST_F(ClientIdIndexTest, RandomOperationsMatchAnUnorderedMap) {
  std::mt19937 rng(20261204);
  std::vector<std::string> live;
  for (int step = 0; step < 20000; ++step) {
    const auto op = rng() % 10;
    if (op < 5 || live.empty()) {
      // Ids from a small space, so that erased ids come back (in a new slot).
      std::string id = "m" + std::to_string(rng() % 3000);
      if (oracle_.count(id)) continue;
      insert(id);
      live.push_back(id);
    } else if (op < 8) {
      const auto at = rng() % live.size();
      const std::string id = live[at];
      live[at] = live.back();
      live.pop_back();
      ASSERT_TRUE(index_.erase(id, id_of())) << id;
      oracle_.erase(id);
    } else {
      const std::string id = "m" + std::to_string(rng() % 3000);
      auto found = index_.find(id, id_of());
      auto it = oracle_.find(id);
      ASSERT_EQ(found.has_value(), it != oracle_.end()) << id;
      if (found) {
        EXPECT_EQ(*found, it->second);
      }
    }
    if (step % 1000 == 0) expect_matches_oracle();
  }
  expect_matches_oracle();
  // Erase everything: every lookup must still succeed on the way down.
  while (!live.empty()) {
    ASSERT_TRUE(index_.erase(live.back(), id_of())) << live.back();
    oracle_.erase(live.back());
    live.pop_back();
    if (live.size() % 97 == 0) expect_matches_oracle();
  }
  EXPECT_EQ(index_.size(), 0u);
}

}  // namespace
}  // namespace gridmq::session
