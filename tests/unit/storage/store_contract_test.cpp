// One list of Store behaviours, run against both backends (memory, RocksDB in a temp dir).

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "storage_test_support.hpp"

namespace gridmq::storage::test {
namespace {

class StoreContract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { store_ = open(); }
  void TearDown() override {
    if (store_) store_->close();
    store_.reset();
  }

  bool persistent() const { return GetParam() == "rocksdb"; }

  std::unique_ptr<Store> open() {
    if (!persistent()) return make_memory_store();
    StoreOptions options;
    options.path = dir_.db();
    options.group_commit_max_delay_us = 300;
    std::string error;
    std::vector<std::string> warnings;
    auto store = open_rocksdb_store(options, error, warnings);
    EXPECT_TRUE(store) << error;
    EXPECT_TRUE(warnings.empty());
    return store;
  }

  void commit(Batch b) {
    Status s = store_->commit_sync(std::move(b));
    ASSERT_TRUE(s.ok) << s.message;
  }

  Snapshot load() {
    Snapshot snap;
    std::vector<std::string> warnings;
    Status s = store_->load(snap, warnings);
    EXPECT_TRUE(s.ok) << s.message;
    EXPECT_TRUE(warnings.empty());
    return snap;
  }

  std::optional<std::string> plugin(const std::string& name, const std::string& key) {
    std::string value;
    bool found = false;
    Status s = store_->get_plugin(name, key, value, found);
    EXPECT_TRUE(s.ok) << s.message;
    if (!found) return std::nullopt;
    return value;
  }

  static const std::vector<QueueEntry>* queue_of(const Snapshot& snap, const std::string& client) {
    for (const auto& [id, entries] : snap.queues) {
      if (id == client) return &entries;
    }
    return nullptr;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreContract, EmptyStoreLoadsNothing) {
  Snapshot snap = load();
  EXPECT_TRUE(snap.sessions.empty());
  EXPECT_TRUE(snap.queues.empty());
  EXPECT_TRUE(snap.messages.empty());
  EXPECT_TRUE(snap.retained.empty());
  EXPECT_EQ(snap.max_message_id, 0u);
}

TEST_P(StoreContract, RoundTripsEveryRecordKind) {
  Batch b;
  b.put_session(sample_session("meter-1"));
  b.put_message(sample_message(7));
  b.put_queue_entry("meter-1", sample_entry(1, 7));
  StoredMessage retained = sample_message(8, "mtr/v1/t/m1/state");
  retained.retain = true;
  retained.payload.clear();  // empty strings survive too
  b.put_retained(retained);
  b.put_plugin("aggregation", "window/15", std::string("\x00\xff state", 8));
  commit(std::move(b));

  Snapshot snap = load();
  ASSERT_EQ(snap.sessions.size(), 1u);
  EXPECT_EQ(snap.sessions[0], sample_session("meter-1"));
  ASSERT_EQ(snap.messages.size(), 1u);
  EXPECT_EQ(snap.messages[0], sample_message(7));
  ASSERT_EQ(snap.queues.size(), 1u);
  EXPECT_EQ(snap.queues[0].first, "meter-1");
  ASSERT_EQ(snap.queues[0].second.size(), 1u);
  EXPECT_EQ(snap.queues[0].second[0], sample_entry(1, 7));
  ASSERT_EQ(snap.retained.size(), 1u);
  EXPECT_EQ(snap.retained[0], retained);
  EXPECT_EQ(plugin("aggregation", "window/15"), std::string("\x00\xff state", 8));
}

TEST_P(StoreContract, QueuesComeBackInSeqOrderPerClient) {
  // Seqs that sort wrongly as little-endian or as text: 1, 2, 255, 256, 65536, 2^40.
  const std::vector<std::uint64_t> seqs = {1, 2, 255, 256, 65536, std::uint64_t{1} << 40};
  std::vector<std::pair<std::string, std::uint64_t>> puts;
  for (int c = 0; c < 20; ++c) {
    for (auto seq : seqs) puts.emplace_back("client-" + std::to_string(c), seq);
  }
  std::mt19937 rng(42);
  std::shuffle(puts.begin(), puts.end(), rng);
  for (std::size_t i = 0; i < puts.size(); i += 10) {
    Batch b;
    for (std::size_t j = i; j < std::min(puts.size(), i + 10); ++j) {
      b.put_queue_entry(puts[j].first, sample_entry(puts[j].second, 1));
    }
    commit(std::move(b));
  }
  Snapshot snap = load();
  ASSERT_EQ(snap.queues.size(), 20u);
  for (int c = 0; c < 20; ++c) {
    const auto* q = queue_of(snap, "client-" + std::to_string(c));
    ASSERT_NE(q, nullptr) << c;
    ASSERT_EQ(q->size(), seqs.size());
    for (std::size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ((*q)[i].seq, seqs[i]);
  }
}

TEST_P(StoreContract, DeleteSessionRemovesOnlyThatClientsQueue) {
  // "a" must not take "ab", "a\x01" or "b" with it (prefix and range-boundary neighbours).
  const std::vector<std::string> clients = {"a", "ab", std::string("a\x01", 2), "b", "A"};
  Batch b;
  for (const auto& c : clients) {
    b.put_session(sample_session(c));
    for (std::uint64_t seq = 1; seq <= 3; ++seq) b.put_queue_entry(c, sample_entry(seq, 5));
  }
  commit(std::move(b));
  Batch del;
  del.delete_session("a");
  commit(std::move(del));

  Snapshot snap = load();
  EXPECT_EQ(queue_of(snap, "a"), nullptr);
  EXPECT_EQ(snap.queues.size(), clients.size() - 1);
  for (const auto& c : clients) {
    if (c == "a") continue;
    const auto* q = queue_of(snap, c);
    ASSERT_NE(q, nullptr) << c;
    EXPECT_EQ(q->size(), 3u) << c;
  }
  EXPECT_EQ(snap.sessions.size(), clients.size() - 1);
  for (const auto& s : snap.sessions) EXPECT_NE(s.client_id, "a");
}

TEST_P(StoreContract, ChangesApplyInBatchOrder) {
  Batch b;
  b.put_queue_entry("c", sample_entry(1, 5));
  b.delete_session("c");                       // removes entry 1
  b.put_queue_entry("c", sample_entry(2, 5));  // survives: added after the delete
  commit(std::move(b));
  Snapshot snap = load();
  const auto* q = queue_of(snap, "c");
  ASSERT_NE(q, nullptr);
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0].seq, 2u);
}

TEST_P(StoreContract, QueueEntryUpdateAndDelete) {
  Batch b;
  b.put_queue_entry("m", sample_entry(1, 5));
  b.put_queue_entry("m", sample_entry(2, 6));
  commit(std::move(b));
  QueueEntry sent = sample_entry(1, 5);
  sent.packet_id = 4711;
  sent.released = true;
  Batch update;
  update.put_queue_entry("m", sent);
  update.delete_queue_entry("m", 2);
  commit(std::move(update));

  Snapshot snap = load();
  const auto* q = queue_of(snap, "m");
  ASSERT_NE(q, nullptr);
  ASSERT_EQ(q->size(), 1u);
  EXPECT_EQ((*q)[0], sent);
}

TEST_P(StoreContract, RetainedPutReplaceDelete) {
  Batch b;
  b.put_retained(sample_message(1, "t/a"));
  b.put_retained(sample_message(2, "t/b"));
  commit(std::move(b));
  Batch c;
  c.put_retained(sample_message(3, "t/a"));  // replaces
  c.delete_retained("t/b");
  commit(std::move(c));
  Snapshot snap = load();
  ASSERT_EQ(snap.retained.size(), 1u);
  EXPECT_EQ(snap.retained[0], sample_message(3, "t/a"));
}

TEST_P(StoreContract, PluginPutGetDelete) {
  EXPECT_EQ(plugin("p", "k"), std::nullopt);
  Batch b;
  b.put_plugin("p", "k", "v1");
  b.put_plugin("a", "bc", "x");  // ("a","bc") and ("ab","c") are different keys
  b.put_plugin("ab", "c", "y");
  b.put_plugin("p", "", "empty key");
  commit(std::move(b));
  EXPECT_EQ(plugin("p", "k"), "v1");
  EXPECT_EQ(plugin("a", "bc"), "x");
  EXPECT_EQ(plugin("ab", "c"), "y");
  EXPECT_EQ(plugin("p", ""), "empty key");
  Batch c;
  c.put_plugin("p", "k", "v2");
  c.delete_plugin("a", "bc");
  commit(std::move(c));
  EXPECT_EQ(plugin("p", "k"), "v2");
  EXPECT_EQ(plugin("a", "bc"), std::nullopt);
  EXPECT_EQ(plugin("ab", "c"), "y");
}

TEST_P(StoreContract, MessageDelete) {
  Batch b;
  for (MessageId id = 1; id <= 3; ++id) b.put_message(sample_message(id));
  commit(std::move(b));
  Batch d;
  d.delete_message(2);
  commit(std::move(d));
  Snapshot snap = load();
  ASSERT_EQ(snap.messages.size(), 2u);
  EXPECT_EQ(snap.messages[0].id, 1u);
  EXPECT_EQ(snap.messages[1].id, 3u);
}

TEST_P(StoreContract, MaxMessageIdIsAHighWaterMark) {
  Batch b;
  b.put_message(sample_message(5));
  b.put_message(sample_message(9));
  b.put_retained(sample_message(12, "t/r"));
  commit(std::move(b));
  EXPECT_EQ(load().max_message_id, 12u);
  // Deleting the newest bodies must not let ids be handed out again.
  Batch d;
  d.delete_message(9);
  d.delete_retained("t/r");
  commit(std::move(d));
  EXPECT_EQ(load().max_message_id, 12u);
}

TEST_P(StoreContract, InvalidBatchFailsAloneAndWholly) {
  Batch bad;
  bad.put_queue_entry("ok", sample_entry(1, 5));
  bad.put_session(sample_session(std::string("x\0y", 3)));
  Batch good;
  good.put_queue_entry("ok", sample_entry(2, 5));
  Completions done;
  Status bad_status, good_status;
  store_->commit(std::move(bad), [&](const Status& s) {
    bad_status = s;
    done.add();
  });
  store_->commit(std::move(good), [&](const Status& s) {
    good_status = s;
    done.add();
  });
  ASSERT_TRUE(done.wait(2));
  EXPECT_FALSE(bad_status.ok);
  EXPECT_NE(bad_status.message.find("U+0000"), std::string::npos) << bad_status.message;
  EXPECT_TRUE(good_status.ok) << good_status.message;
  Snapshot snap = load();
  const auto* q = queue_of(snap, "ok");
  ASSERT_NE(q, nullptr);
  ASSERT_EQ(q->size(), 1u);  // nothing of the bad batch
  EXPECT_EQ((*q)[0].seq, 2u);
}

TEST_P(StoreContract, ConcurrentCommitsCompleteOnceInPerThreadOrder) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  std::mutex mutex;
  std::vector<std::vector<int>> seen(kThreads);
  Completions done;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string client = "thread-" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        Batch b;
        MessageId id = static_cast<MessageId>(t * kPerThread + i + 1);
        b.put_message(sample_message(id));
        b.put_queue_entry(client, sample_entry(static_cast<std::uint64_t>(i + 1), id));
        store_->commit(std::move(b), [&, t, i](const Status& s) {
          EXPECT_TRUE(s.ok) << s.message;
          {
            std::lock_guard lock(mutex);
            seen[static_cast<std::size_t>(t)].push_back(i);
          }
          done.add();
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(done.wait(kThreads * kPerThread));
  std::lock_guard lock(mutex);
  for (int t = 0; t < kThreads; ++t) {
    const auto& s = seen[static_cast<std::size_t>(t)];
    ASSERT_EQ(s.size(), static_cast<std::size_t>(kPerThread)) << t;  // each exactly once
    for (int i = 0; i < kPerThread; ++i) ASSERT_EQ(s[static_cast<std::size_t>(i)], i) << t;
  }
  Snapshot snap = load();
  EXPECT_EQ(snap.messages.size(), static_cast<std::size_t>(kThreads * kPerThread));
  EXPECT_EQ(snap.max_message_id, static_cast<MessageId>(kThreads * kPerThread));
  for (int t = 0; t < kThreads; ++t) {
    const auto* q = queue_of(snap, "thread-" + std::to_string(t));
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->size(), static_cast<std::size_t>(kPerThread));
  }
}

TEST_P(StoreContract, CommitAfterCloseFails) {
  store_->close();
  store_->close();  // idempotent
  Batch b;
  b.put_message(sample_message(1));
  Status s = store_->commit_sync(std::move(b));
  EXPECT_FALSE(s.ok);
  EXPECT_NE(s.message.find("closed"), std::string::npos) << s.message;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::Values("memory", "rocksdb"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace gridmq::storage::test
