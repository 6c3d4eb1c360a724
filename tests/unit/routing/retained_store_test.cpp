#include "routing/retained_store.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace gridmq::routing {
namespace {

using namespace std::chrono_literals;

MessagePtr msg(std::string topic, std::string payload,
               std::optional<Clock::time_point> expires_at = std::nullopt) {
  auto m = std::make_shared<Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->retain = true;
  m->expires_at = expires_at;
  return m;
}

std::vector<std::string> topics(RetainedStore& s, std::string_view filter,
                                Clock::time_point now = Clock::now()) {
  std::vector<MessagePtr> out;
  s.match(filter, now, out);
  std::vector<std::string> result;
  for (const auto& m : out) result.push_back(m->topic);
  std::sort(result.begin(), result.end());
  return result;
}

using Topics = std::vector<std::string>;

TEST(RetainedStore, PutReplaceDelete) {
  RetainedStore s;
  EXPECT_EQ(s.size(), 0u);
  s.put(msg("a/b", "1"));
  s.put(msg("a/b", "2"));
  EXPECT_EQ(s.size(), 1u);
  std::vector<MessagePtr> out;
  s.match("a/b", Clock::now(), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]->payload, "2");

  s.put(msg("a", "x"));
  s.put(msg("a/b/c", "y"));
  EXPECT_EQ(s.size(), 3u);
  s.put(msg("a/b", ""));  // empty payload deletes (MQTT-3.3.1-10)
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.node_count(), 3u);  // a/b kept as the parent of a/b/c
  EXPECT_EQ(topics(s, "a/b"), Topics{});
  EXPECT_EQ(topics(s, "a/b/c"), Topics{"a/b/c"});
  EXPECT_EQ(topics(s, "#"), (Topics{"a", "a/b/c"}));
  s.put(msg("nothing/here", ""));  // deleting a missing topic is a no-op
  s.put(nullptr);
  EXPECT_EQ(s.size(), 2u);
  s.put(msg("a/b/c", ""));
  EXPECT_EQ(s.node_count(), 1u);  // a/b/c pruned, and a/b with it
  s.put(msg("a", ""));
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.node_count(), 0u);
  EXPECT_EQ(topics(s, "#"), Topics{});
}

TEST(RetainedStore, WildcardMatching) {
  RetainedStore s;
  for (const char* t : {"sport/tennis/player1", "sport/tennis/player1/ranking",
                        "sport/tennis/player1/score/wimbledon", "sport/tennis/player2", "sport",
                        "sport/", "/finance", "finance", "a//b", "$SYS/broker/clients", "$SYS"}) {
    s.put(msg(t, "p"));
  }
  EXPECT_EQ(topics(s, "sport/tennis/player1/#"),
            (Topics{"sport/tennis/player1", "sport/tennis/player1/ranking",
                    "sport/tennis/player1/score/wimbledon"}));
  EXPECT_EQ(topics(s, "sport/tennis/+"), (Topics{"sport/tennis/player1", "sport/tennis/player2"}));
  EXPECT_EQ(topics(s, "sport/+"), (Topics{"sport/"}));
  EXPECT_EQ(topics(s, "sport/#"),
            (Topics{"sport", "sport/", "sport/tennis/player1", "sport/tennis/player1/ranking",
                    "sport/tennis/player1/score/wimbledon", "sport/tennis/player2"}));
  EXPECT_EQ(topics(s, "+/+"), (Topics{"/finance", "sport/"}));
  EXPECT_EQ(topics(s, "/+"), (Topics{"/finance"}));
  EXPECT_EQ(topics(s, "+"), (Topics{"finance", "sport"}));
  EXPECT_EQ(topics(s, "a/+/b"), (Topics{"a//b"}));
  EXPECT_EQ(topics(s, "a//b"), (Topics{"a//b"}));
  EXPECT_EQ(topics(s, "finance"), (Topics{"finance"}));
  EXPECT_EQ(topics(s, "nope/#"), Topics{});
  EXPECT_EQ(topics(s, "+/tennis/#"),
            (Topics{"sport/tennis/player1", "sport/tennis/player1/ranking",
                    "sport/tennis/player1/score/wimbledon", "sport/tennis/player2"}));
  // '$' topics: not matched by a first-level wildcard (MQTT-4.7.2-1).
  const auto all = topics(s, "#");
  EXPECT_EQ(all.size(), 9u);
  EXPECT_TRUE(std::none_of(all.begin(), all.end(),
                           [](const std::string& t) { return t.starts_with('$'); }));
  EXPECT_EQ(topics(s, "+/broker/clients"), Topics{});
  EXPECT_EQ(topics(s, "$SYS/#"), (Topics{"$SYS", "$SYS/broker/clients"}));
  EXPECT_EQ(topics(s, "$SYS/+/clients"), (Topics{"$SYS/broker/clients"}));
  EXPECT_EQ(topics(s, "$SYS"), (Topics{"$SYS"}));
}

TEST(RetainedStore, ExpiredMessagesAreDroppedWhenFound) {
  RetainedStore s;
  const auto now = Clock::now();
  s.put(msg("e/1", "old", now - 1s));
  s.put(msg("e/2", "edge", now));  // expires_at <= now: expired
  s.put(msg("e/3", "live", now + 1h));
  s.put(msg("e/4", "forever"));
  s.put(msg("f/1", "old", now - 1s));
  EXPECT_EQ(s.size(), 5u);
  EXPECT_EQ(topics(s, "e/+", now), (Topics{"e/3", "e/4"}));
  EXPECT_EQ(s.size(), 3u);  // e/1 and e/2 erased; f/1 not visited yet
  EXPECT_EQ(topics(s, "#", now), (Topics{"e/3", "e/4"}));
  EXPECT_EQ(s.size(), 2u);
  // Later, e/3 expires too.
  EXPECT_EQ(topics(s, "e/3", now + 2h), Topics{});
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(topics(s, "#", now + 2h), (Topics{"e/4"}));
  EXPECT_EQ(s.node_count(), 2u);  // e, e/4
}

TEST(RetainedStore, ExpiredEntryReplacedMeanwhileIsKept) {
  // match() with a `now` far in the future finds the message expired; a fresh put of the same
  // topic must not be erased by a later match that only saw the old one. Sequentially: the second
  // match sees the new message, unexpired.
  RetainedStore s;
  const auto now = Clock::now();
  s.put(msg("r", "old", now + 1s));
  EXPECT_EQ(topics(s, "r", now + 2s), Topics{});
  EXPECT_EQ(s.size(), 0u);
  s.put(msg("r", "new", now + 1h));
  EXPECT_EQ(topics(s, "r", now + 2s), Topics{"r"});
  EXPECT_EQ(s.size(), 1u);
}

TEST(RetainedStore, ManyTopicsExactLevelsDoNotScan) {
  // 20k topics: a filter with literal levels only reaches its own branch (checked by the result
  // and by the expired entries elsewhere staying in the store untouched).
  RetainedStore s;
  const auto now = Clock::now();
  for (int t = 0; t < 100; ++t) {
    for (int m = 0; m < 200; ++m) {
      const std::string base = "mtr/v1/t" + std::to_string(t) + "/m" + std::to_string(m);
      s.put(msg(base + "/state", "s", t == 1 ? std::optional(now - 1s) : std::nullopt));
    }
  }
  EXPECT_EQ(s.size(), 20000u);
  auto r = topics(s, "mtr/v1/t7/+/state", now);
  EXPECT_EQ(r.size(), 200u);
  EXPECT_EQ(s.size(), 20000u);  // t1's expired ones not visited
  r = topics(s, "mtr/v1/+/m5/state", now);
  EXPECT_EQ(r.size(), 99u);  // t1/m5 expired and dropped
  EXPECT_EQ(s.size(), 19999u);
}

TEST(RetainedStore, RandomPutDeleteMatchesModel) {
  // Many siblings under one level with random puts/deletes: exercises growth and erase of the
  // children table against a std::set model.
  RetainedStore s;
  std::set<std::string> model;
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const std::string t = "r/" + std::to_string(rng() % 600) + (rng() % 4 == 0 ? "/x" : "");
    if (rng() % 2 == 0) {
      s.put(msg(t, "p"));
      model.insert(t);
    } else {
      s.put(msg(t, ""));
      model.erase(t);
    }
    if (i % 1000 == 999) {
      ASSERT_EQ(s.size(), model.size());
      const auto all = topics(s, "r/#");
      ASSERT_EQ(all, Topics(model.begin(), model.end()));
      for (int k = 0; k < 600; ++k) {
        const std::string t2 = "r/" + std::to_string(k);
        ASSERT_EQ(topics(s, t2).size(), model.count(t2)) << t2;
      }
    }
  }
  for (const auto& t : Topics(model.begin(), model.end())) s.put(msg(t, ""));
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.node_count(), 0u);
}

TEST(RetainedStore, ConcurrentPutAndMatch) {
  RetainedStore s;
  s.put(msg("k/stable", "p"));
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back([&s, w] {
      for (int i = 0; i < 3000; ++i) {
        const std::string t = "k/" + std::to_string(w) + "/" + std::to_string(i % 20);
        const auto exp = (i % 5 == 0) ? std::optional(Clock::now()) : std::nullopt;
        s.put(msg(t, i % 3 == 0 ? "" : "x", exp));
      }
    });
  }
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&s, &failed] {
      for (int i = 0; i < 3000; ++i) {
        std::vector<MessagePtr> out;
        s.match(i % 2 ? "k/#" : "k/+", Clock::now(), out);
        if (std::none_of(out.begin(), out.end(),
                         [](const MessagePtr& m) { return m->topic == "k/stable"; })) {
          failed = true;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_FALSE(failed.load());
  for (int w = 0; w < 2; ++w) {
    for (int i = 0; i < 20; ++i) s.put(msg("k/" + std::to_string(w) + "/" + std::to_string(i), ""));
  }
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.node_count(), 2u);
  EXPECT_EQ(topics(s, "#"), (Topics{"k/stable"}));
}

}  // namespace
}  // namespace gridmq::routing
