#include "routing/subscription_tree.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace gridmq::routing {
namespace {

SubscriptionOptions qos(std::uint8_t q, std::uint32_t id = 0) {
  SubscriptionOptions o;
  o.qos = q;
  o.subscription_id = id;
  return o;
}

std::vector<Match> match_all(const SubscriptionTree& t, std::string_view topic,
                             SubscriberKey publisher = 0) {
  std::vector<Match> out;
  t.match(topic, publisher, out);
  return out;
}

bool matches(std::string_view filter, std::string_view topic) {
  SubscriptionTree t;
  t.subscribe(filter, 1, {});
  return !match_all(t, topic).empty();
}

struct Case {
  const char* filter;
  const char* topic;
  bool expected;
};

// MQTT 5.0 §4.7 (and 3.1.1 §4.7) examples plus edge cases of empty levels and '$' topics.
const Case kCases[] = {
    {"sport/tennis/player1/#", "sport/tennis/player1", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
    {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
    {"sport/tennis/player1/#", "sport/tennis/player2", false},
    {"sport/tennis/player1/#", "sport/tennis", false},
    {"sport/#", "sport", true},
    {"#", "sport", true},
    {"#", "sport/tennis", true},
    {"#", "/", true},
    {"sport/tennis/+", "sport/tennis/player1", true},
    {"sport/tennis/+", "sport/tennis/player2", true},
    {"sport/tennis/+", "sport/tennis/player1/ranking", false},
    {"sport/+", "sport", false},
    {"sport/+", "sport/", true},
    {"+/+", "/finance", true},
    {"/+", "/finance", true},
    {"+", "/finance", false},
    {"+", "finance", true},
    {"+/tennis/#", "sport/tennis", true},
    {"+/tennis/#", "sport/tennis/x/y", true},
    {"sport/+/player1", "sport/tennis/player1", true},
    {"sport/+/player1", "sport//player1", true},
    {"a//b", "a//b", true},
    {"a//b", "a/b", false},
    {"a/b", "a/b", true},
    {"a/b", "a/b/c", false},
    {"a/b", "a", false},
    {"a/b", "A/b", false},
    {"a/+/#", "a/b", true},
    {"a/+/#", "a", false},
    {"+/#", "a", true},
    {"/#", "/", true},
    {"/#", "a", false},
    // '$' topics are not matched by a first-level wildcard (MQTT-4.7.2-1).
    {"#", "$SYS/broker/clients", false},
    {"+/monitor/Clients", "$SYS/monitor/Clients", false},
    {"+", "$SYS", false},
    {"$SYS/#", "$SYS/monitor/Clients", true},
    {"$SYS/#", "$SYS", true},
    {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
    {"$SYS/+/Clients", "$SYS/monitor/Clients", true},
    {"a/+", "a/$x", true},
    {"a/#", "a/$x/y", true},
};

TEST(SubscriptionTree, WildcardTable) {
  for (const Case& c : kCases) {
    EXPECT_EQ(matches(c.filter, c.topic), c.expected)
        << "filter '" << c.filter << "' topic '" << c.topic << "'";
  }
}

TEST(SubscriptionTree, WildcardTableAllFiltersInOneTree) {
  // Same table, every filter in one tree under a distinct subscriber: the walk must find exactly
  // the expected set.
  SubscriptionTree t;
  std::vector<std::string> filters;
  for (const Case& c : kCases) {
    if (std::find(filters.begin(), filters.end(), c.filter) == filters.end()) {
      filters.emplace_back(c.filter);
    }
  }
  for (std::size_t i = 0; i < filters.size(); ++i) t.subscribe(filters[i], i + 1, {});
  for (const Case& c : kCases) {
    const auto out = match_all(t, c.topic);
    const auto idx = static_cast<SubscriberKey>(
        std::find(filters.begin(), filters.end(), c.filter) - filters.begin() + 1);
    const bool found =
        std::any_of(out.begin(), out.end(), [&](const Match& m) { return m.subscriber == idx; });
    EXPECT_EQ(found, c.expected) << "filter '" << c.filter << "' topic '" << c.topic << "'";
    // No duplicates after aggregation.
    for (std::size_t i = 1; i < out.size(); ++i) {
      EXPECT_LT(out[i - 1].subscriber, out[i].subscriber);
    }
  }
}

TEST(SubscriptionTree, SubscribeReplaceAndSize) {
  SubscriptionTree t;
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(t.subscribe("a/b", 1, qos(0)));
  EXPECT_FALSE(t.subscribe("a/b", 1, qos(2)));  // replaced
  EXPECT_EQ(t.size(), 1u);
  auto out = match_all(t, "a/b");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].qos, 2);
  EXPECT_TRUE(t.subscribe("a/b", 2, qos(1)));
  EXPECT_TRUE(t.subscribe("a/+", 1, qos(1)));
  EXPECT_TRUE(t.subscribe("$share/g/a/b", 1, qos(1)));
  EXPECT_FALSE(t.subscribe("$share/g/a/b", 1, qos(0)));
  EXPECT_EQ(t.size(), 4u);
}

TEST(SubscriptionTree, AggregatesOverlappingSubscriptions) {
  SubscriptionTree t;
  SubscriptionOptions rap = qos(0, 7);
  rap.retain_as_published = true;
  t.subscribe("a/b/c", 1, qos(1, 5));
  t.subscribe("a/+/c", 1, qos(2, 3));
  t.subscribe("a/#", 1, rap);
  t.subscribe("#", 1, qos(0));  // no id
  t.subscribe("a/b/c", 2, qos(0, 9));
  t.subscribe("x/#", 1, qos(2, 11));  // does not match

  auto out = match_all(t, "a/b/c");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].subscriber, 1u);
  EXPECT_EQ(out[0].qos, 2);
  EXPECT_TRUE(out[0].retain_as_published);
  EXPECT_EQ(out[0].subscription_ids, (std::vector<std::uint32_t>{3, 5, 7}));
  EXPECT_FALSE(out[0].shared);
  EXPECT_EQ(out[1].subscriber, 2u);
  EXPECT_EQ(out[1].qos, 0);
  EXPECT_FALSE(out[1].retain_as_published);
  EXPECT_EQ(out[1].subscription_ids, (std::vector<std::uint32_t>{9}));
}

TEST(SubscriptionTree, SingleSubscriptionWithoutIdHasNoIds) {
  SubscriptionTree t;
  t.subscribe("a", 1, qos(1));
  auto out = match_all(t, "a");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].subscription_ids.empty());
}

TEST(SubscriptionTree, DuplicateSubscriptionIdsAreMergedOnce) {
  SubscriptionTree t;
  t.subscribe("a/b", 1, qos(0, 4));
  t.subscribe("a/+", 1, qos(1, 4));
  auto out = match_all(t, "a/b");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].qos, 1);
  EXPECT_EQ(out[0].subscription_ids, (std::vector<std::uint32_t>{4}));
}

TEST(SubscriptionTree, MatchAppendsWithoutClearing) {
  SubscriptionTree t;
  t.subscribe("a", 5, qos(0));
  t.subscribe("+", 5, qos(1));
  t.subscribe("#", 3, qos(0));
  std::vector<Match> out(1);
  out[0].subscriber = 99;
  t.match("a", 0, out);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].subscriber, 99u);  // untouched
  EXPECT_EQ(out[1].subscriber, 3u);
  EXPECT_EQ(out[2].subscriber, 5u);
  EXPECT_EQ(out[2].qos, 1);
}

TEST(SubscriptionTree, NoLocalSkipsOnlyThatSubscription) {
  SubscriptionTree t;
  SubscriptionOptions nl = qos(2, 1);
  nl.no_local = true;
  t.subscribe("a/b", 1, nl);
  t.subscribe("a/#", 2, nl);
  // Publisher 1: its no_local subscription is skipped, subscriber 2 still gets it.
  auto out = match_all(t, "a/b", 1);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subscriber, 2u);
  // A second, non-no_local subscription of the publisher still delivers (only that one is skipped).
  t.subscribe("a/+", 1, qos(0, 2));
  out = match_all(t, "a/b", 1);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].subscriber, 1u);
  EXPECT_EQ(out[0].qos, 0);
  EXPECT_EQ(out[0].subscription_ids, (std::vector<std::uint32_t>{2}));
  // Another publisher: everything delivered.
  out = match_all(t, "a/b", 7);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].qos, 2);
  EXPECT_EQ(out[0].subscription_ids, (std::vector<std::uint32_t>{1, 2}));
}

TEST(SubscriptionTree, SharedGroupRoundRobinIsFair) {
  SubscriptionTree t;
  for (SubscriberKey k = 1; k <= 4; ++k) t.subscribe("$share/g/m/+/up", k, qos(1));
  std::map<SubscriberKey, int> counts;
  for (int i = 0; i < 400; ++i) {
    auto out = match_all(t, "m/7/up");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].shared);
    EXPECT_EQ(out[0].qos, 1);
    ++counts[out[0].subscriber];
  }
  ASSERT_EQ(counts.size(), 4u);
  for (const auto& [k, n] : counts) EXPECT_EQ(n, 100) << "member " << k;
  EXPECT_TRUE(match_all(t, "m/7/down").empty());
}

TEST(SubscriptionTree, SharedGroupIdentityIsNameAndFilter) {
  SubscriptionTree t;
  t.subscribe("$share/g/a/+", 1, qos(0));
  t.subscribe("$share/g/a/+", 2, qos(0));
  t.subscribe("$share/g/a/#", 3, qos(0));  // same name, other filter: another group
  t.subscribe("$share/h/a/+", 4, qos(0));  // other name, same filter: another group
  t.subscribe("a/b", 5, qos(0));
  std::map<SubscriberKey, int> counts;
  for (int i = 0; i < 10; ++i) {
    auto out = match_all(t, "a/b");
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0].subscriber, 5u);  // non-shared first
    EXPECT_FALSE(out[0].shared);
    for (std::size_t j = 1; j < out.size(); ++j) {
      EXPECT_TRUE(out[j].shared);
      ++counts[out[j].subscriber];
    }
  }
  EXPECT_EQ(counts[1], 5);
  EXPECT_EQ(counts[2], 5);
  EXPECT_EQ(counts[3], 10);
  EXPECT_EQ(counts[4], 10);
}

TEST(SubscriptionTree, SameSubscriberInTwoGroupsGetsTwoMatches) {
  SubscriptionTree t;
  t.subscribe("$share/g1/a", 1, qos(1, 10));
  t.subscribe("$share/g2/a", 1, qos(2, 20));
  t.subscribe("a", 1, qos(0, 30));
  auto out = match_all(t, "a");
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FALSE(out[0].shared);
  EXPECT_EQ(out[0].subscription_ids, (std::vector<std::uint32_t>{30}));
  std::vector<std::uint32_t> ids;
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_TRUE(out[i].shared);
    EXPECT_EQ(out[i].subscriber, 1u);
    ASSERT_EQ(out[i].subscription_ids.size(), 1u);
    ids.push_back(out[i].subscription_ids[0]);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::uint32_t>{10, 20}));
}

TEST(SubscriptionTree, SharedNoLocalSkipsPublisher) {
  SubscriptionTree t;
  SubscriptionOptions nl = qos(0);
  nl.no_local = true;
  t.subscribe("$share/g/a", 1, nl);
  t.subscribe("$share/g/a", 2, qos(0));
  for (int i = 0; i < 6; ++i) {
    auto out = match_all(t, "a", 1);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].subscriber, 2u);
  }
  // Only member is the no_local publisher: nothing.
  t.unsubscribe("$share/g/a", 2);
  EXPECT_TRUE(match_all(t, "a", 1).empty());
  EXPECT_EQ(match_all(t, "a", 2).size(), 1u);
}

TEST(SubscriptionTree, SharedDollarRule) {
  SubscriptionTree t;
  t.subscribe("$share/g/#", 1, qos(0));
  t.subscribe("$share/g/$SYS/#", 2, qos(0));
  auto out = match_all(t, "$SYS/x");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].subscriber, 2u);
}

TEST(SubscriptionTree, UnsubscribeAndPrune) {
  SubscriptionTree t;
  EXPECT_FALSE(t.unsubscribe("a/b", 1));
  t.subscribe("a/b/c", 1, qos(0));
  t.subscribe("a/+/c", 1, qos(0));
  t.subscribe("a/#", 2, qos(0));
  t.subscribe("$share/g/a/b/c", 3, qos(0));
  EXPECT_EQ(t.size(), 4u);
  EXPECT_EQ(t.node_count(), 6u);  // a, a/b, a/b/c, a/+, a/+/c, a/#

  EXPECT_FALSE(t.unsubscribe("a/b/c", 2));  // other subscriber
  EXPECT_FALSE(t.unsubscribe("a/b", 1));    // prefix of a filter, not a filter
  EXPECT_FALSE(t.unsubscribe("$share/h/a/b/c", 3));
  EXPECT_FALSE(t.unsubscribe("a/b/c", 3));  // 3 is only in the shared group
  EXPECT_EQ(t.size(), 4u);

  EXPECT_TRUE(t.unsubscribe("a/b/c", 1));
  EXPECT_FALSE(t.unsubscribe("a/b/c", 1));
  EXPECT_EQ(t.size(), 3u);
  auto out = match_all(t, "a/b/c");
  ASSERT_EQ(out.size(), 3u);  // 1 via a/+/c, 2 via a/#, 3 shared

  EXPECT_EQ(t.node_count(), 6u);  // a/b/c still holds the shared group
  EXPECT_TRUE(t.unsubscribe("$share/g/a/b/c", 3));
  EXPECT_EQ(t.node_count(), 4u);  // a/b/c and a/b pruned
  EXPECT_TRUE(t.unsubscribe("a/#", 2));
  EXPECT_EQ(t.node_count(), 3u);
  EXPECT_TRUE(t.unsubscribe("a/+/c", 1));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.node_count(), 0u);
  EXPECT_TRUE(match_all(t, "a/b/c").empty());

  // The pruned tree behaves as new.
  EXPECT_TRUE(t.subscribe("a/b/c", 1, qos(0)));
  EXPECT_EQ(match_all(t, "a/b/c").size(), 1u);
  EXPECT_EQ(t.node_count(), 3u);
}

TEST(SubscriptionTree, PruneKeepsSharedPrefixes) {
  SubscriptionTree t;
  t.subscribe("a/b", 1, qos(0));
  t.subscribe("a/b/c/d", 1, qos(0));
  EXPECT_EQ(t.node_count(), 4u);
  EXPECT_TRUE(t.unsubscribe("a/b/c/d", 1));
  EXPECT_EQ(t.node_count(), 2u);  // a/b keeps its subscriber
  EXPECT_EQ(match_all(t, "a/b").size(), 1u);
  t.subscribe("a/b/#", 2, qos(0));
  EXPECT_TRUE(t.unsubscribe("a/b", 1));
  EXPECT_EQ(t.node_count(), 3u);  // a/b kept for its '#' child
  EXPECT_EQ(match_all(t, "a/b").size(), 1u);
  EXPECT_TRUE(t.unsubscribe("a/b/#", 2));
  EXPECT_EQ(t.node_count(), 0u);
}

TEST(SubscriptionTree, ManySubscribersOnOneFilter) {
  // Exercises the indexed sub list (swap-remove, index rebuild and drop).
  SubscriptionTree t;
  constexpr SubscriberKey kN = 200;
  for (SubscriberKey k = 1; k <= kN; ++k) EXPECT_TRUE(t.subscribe("b", k, qos(k % 3)));
  for (SubscriberKey k = 1; k <= kN; ++k) EXPECT_FALSE(t.subscribe("b", k, qos(1)));
  EXPECT_EQ(t.size(), kN);
  for (SubscriberKey k = 1; k <= kN; k += 2) EXPECT_TRUE(t.unsubscribe("b", k));
  auto out = match_all(t, "b");
  ASSERT_EQ(out.size(), kN / 2);
  for (const Match& m : out) {
    EXPECT_EQ(m.subscriber % 2, 0u);
    EXPECT_EQ(m.qos, 1);
  }
  for (SubscriberKey k = 2; k <= kN - 4; k += 2) EXPECT_TRUE(t.unsubscribe("b", k));
  out = match_all(t, "b");
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(t.unsubscribe("b", kN));
  EXPECT_TRUE(t.unsubscribe("b", kN - 2));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_TRUE(match_all(t, "b").empty());
}

TEST(SubscriptionTree, RandomSubscribeUnsubscribeMatchesModel) {
  SubscriptionTree t;
  std::set<std::pair<int, SubscriberKey>> model;  // (level value, subscriber) for "x/<n>"
  std::mt19937 rng(11);
  for (int i = 0; i < 20000; ++i) {
    const int n = static_cast<int>(rng() % 500);
    const SubscriberKey who = rng() % 3 + 1;
    const std::string f = "x/" + std::to_string(n);
    if (rng() % 2 == 0) {
      EXPECT_EQ(t.subscribe(f, who, qos(0)), model.insert({n, who}).second);
    } else {
      EXPECT_EQ(t.unsubscribe(f, who), model.erase({n, who}) == 1);
    }
    if (i % 2000 == 1999) {
      ASSERT_EQ(t.size(), model.size());
      for (int k = 0; k < 500; ++k) {
        const auto out = match_all(t, "x/" + std::to_string(k));
        std::size_t expected = 0;
        for (SubscriberKey w = 1; w <= 3; ++w) expected += model.count({k, w});
        ASSERT_EQ(out.size(), expected) << k;
      }
    }
  }
  for (const auto& [n, who] : std::set(model))
    EXPECT_TRUE(t.unsubscribe("x/" + std::to_string(n), who));
  EXPECT_EQ(t.size(), 0u);
  EXPECT_EQ(t.node_count(), 0u);
}

TEST(SubscriptionTree, ConcurrentSubscribeUnsubscribeAndMatch) {
  SubscriptionTree t;
  // Stable subscriptions that every match must always see.
  t.subscribe("c/+/x", 1000, qos(1));
  t.subscribe("$share/g/c/#", 2000, qos(0));
  t.subscribe("$share/g/c/#", 2001, qos(0));

  constexpr int kWriters = 2;
  constexpr int kReaders = 2;
  constexpr int kIterations = 3000;
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&t, w] {
      for (int i = 0; i < kIterations; ++i) {
        const SubscriberKey who = static_cast<SubscriberKey>(w * 100 + i % 50 + 1);
        const std::string f = "c/" + std::to_string(i % 7) + (i % 3 == 0 ? "/#" : "/x");
        t.subscribe(f, who, qos(static_cast<std::uint8_t>(i % 3), static_cast<std::uint32_t>(i)));
        if (i % 2 == 0) t.subscribe("$share/h/" + f, who, qos(0));
        t.unsubscribe(f, who);
        if (i % 4 == 0) t.unsubscribe("$share/h/" + f, who);
      }
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&t, &failed, r] {
      std::vector<Match> out;
      for (int i = 0; i < kIterations; ++i) {
        out.clear();
        t.match("c/" + std::to_string((i + r) % 7) + "/x", 0, out);
        const bool stable = std::any_of(out.begin(), out.end(), [](const Match& m) {
          return !m.shared && m.subscriber == 1000 && m.qos >= 1;
        });
        const auto shared = std::count_if(out.begin(), out.end(), [](const Match& m) {
          return m.shared && (m.subscriber == 2000 || m.subscriber == 2001);
        });
        if (!stable || shared != 1) failed = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(failed.load());
  // Writers left only the $share/h subscriptions they did not remove; drop them all.
  for (int w = 0; w < kWriters; ++w) {
    for (int i = 0; i < kIterations; ++i) {
      const SubscriberKey who = static_cast<SubscriberKey>(w * 100 + i % 50 + 1);
      const std::string f = "c/" + std::to_string(i % 7) + (i % 3 == 0 ? "/#" : "/x");
      t.unsubscribe("$share/h/" + f, who);
    }
  }
  EXPECT_EQ(t.size(), 3u);
  EXPECT_EQ(t.node_count(), 4u);  // c, c/+, c/+/x, c/#
}

}  // namespace
}  // namespace gridmq::routing
