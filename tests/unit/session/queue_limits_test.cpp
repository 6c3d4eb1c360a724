// Offline queues bounded per session by count, bytes and age; the overflow policy; drops counted,
// logged per client, and their durable entries removed (against the in-memory store).

#include <gtest/gtest.h>

#include "harness.hpp"
#include "storage/store.hpp"

namespace gridmq::session::test {
namespace {

using protocol::Properties;
using protocol::Publish;

class QueueLimitsTest : public ::testing::Test {
 protected:
  config::BrokerConfig cfg;
  Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);
  std::unique_ptr<storage::Store> store = storage::make_memory_store();
  std::unique_ptr<BrokerCore> core;
  std::vector<std::string> warnings;
  Properties keep;

  void start() {
    core = std::make_unique<BrokerCore>(cfg, auth::Acl::allow_all(), store.get());
    core->set_warning_sink([this](const std::string& w) { warnings.push_back(w); });
    keep.session_expiry_interval = 3600;
    Client s(*core, t0);
    s.connect("s", t0, false, keep);
    s.subscribe("t", 1, t0);
    s.received();
    s.handler().on_transport_closed(t0);
  }
  void publish(int from, int to, Clock::time_point at) {
    Client pub(*core, at);
    pub.connect("p", at);
    for (int i = from; i <= to; ++i) {
      pub.publish("t", "m" + std::to_string(i), 1, static_cast<std::uint16_t>(i), at);
    }
    pub.received();
  }
  std::vector<std::string> reconnect(Clock::time_point at) {
    Client s(*core, at);
    s.connect("s", at, false, keep);
    std::vector<std::string> got;
    for (const auto& p : only<Publish>(s.received())) got.push_back(p.payload);
    return got;
  }
  storage::Snapshot stored() {
    storage::Snapshot snap;
    std::vector<std::string> w;
    EXPECT_TRUE(store->load(snap, w).ok);
    return snap;
  }
  std::size_t stored_entries() {
    std::size_t n = 0;
    for (const auto& [client, entries] : stored().queues) n += client == "s" ? entries.size() : 0;
    return n;
  }
};

TEST_F(QueueLimitsTest, RefuseNewKeepsWhatIsQueued) {
  cfg.mqtt.max_queued_messages = 3;
  start();
  publish(1, 5, t0);
  EXPECT_EQ(stored_entries(), 3u);
  EXPECT_EQ(stored().messages.size(), 3u) << "bodies of refused messages are not kept";
  EXPECT_EQ(core->stats().messages_dropped.load(), 2u);
  core->tick(t0);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("client 's': 2 queued messages dropped"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[0].find("queue_overflow = \"refuse_new\""), std::string::npos);
  core->tick(t0);
  EXPECT_EQ(warnings.size(), 1u) << "logged once per new drops";
  EXPECT_EQ(reconnect(t0), (std::vector<std::string>{"m1", "m2", "m3"}));
}

TEST_F(QueueLimitsTest, DropOldestKeepsTheNewest) {
  cfg.mqtt.max_queued_messages = 3;
  cfg.mqtt.queue_overflow = "drop_oldest";
  start();
  publish(1, 5, t0);
  EXPECT_EQ(stored_entries(), 3u);
  EXPECT_EQ(stored().messages.size(), 3u) << "bodies of dropped messages are deleted";
  core->tick(t0);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("2 queued messages dropped"), std::string::npos) << warnings[0];
  EXPECT_EQ(reconnect(t0), (std::vector<std::string>{"m3", "m4", "m5"}));
}

TEST_F(QueueLimitsTest, BytesLimitBoundsTheQueue) {
  // Each message is charged topic + payload + 64 bytes: 1 + 2 + 64 = 67.
  cfg.mqtt.max_queued_bytes = 3 * 67;
  cfg.mqtt.queue_overflow = "drop_oldest";
  start();
  publish(1, 4, t0);
  EXPECT_EQ(stored_entries(), 3u);
  EXPECT_EQ(reconnect(t0), (std::vector<std::string>{"m2", "m3", "m4"}));
}

TEST_F(QueueLimitsTest, MessageLargerThanTheBytesLimitIsRefusedEvenWhenDroppingOldest) {
  cfg.mqtt.max_queued_bytes = 100;
  cfg.mqtt.queue_overflow = "drop_oldest";
  start();
  publish(1, 1, t0);
  Client pub(*core, t0);
  pub.connect("p", t0);
  pub.publish("t", std::string(200, 'x'), 1, 9, t0);
  EXPECT_EQ(reconnect(t0), (std::vector<std::string>{"m1"})) << "m1 was not dropped for nothing";
}

TEST_F(QueueLimitsTest, OldMessagesAreDroppedNotDelivered) {
  cfg.mqtt.max_queued_age_s = 10;
  start();
  publish(1, 2, t0);
  publish(3, 3, t0 + std::chrono::seconds(5));
  EXPECT_EQ(reconnect(t0 + std::chrono::seconds(12)), (std::vector<std::string>{"m3"}));
  EXPECT_EQ(stored_entries(), 1u) << "the old entries' durable records are removed";
  core->tick(t0 + std::chrono::seconds(12));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("2 queued messages dropped"), std::string::npos) << warnings[0];
}

TEST_F(QueueLimitsTest, TickAgesOutOfflineQueues) {
  cfg.mqtt.max_queued_age_s = 10;
  start();
  publish(1, 2, t0);
  publish(3, 3, t0 + std::chrono::seconds(5));
  core->tick(t0 + std::chrono::seconds(9));
  EXPECT_EQ(stored_entries(), 3u);
  core->tick(t0 + std::chrono::seconds(11));
  EXPECT_EQ(stored_entries(), 1u) << "aged out without a reconnect or a new message";
  EXPECT_EQ(stored().messages.size(), 1u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("2 queued messages dropped"), std::string::npos) << warnings[0];
  EXPECT_EQ(reconnect(t0 + std::chrono::seconds(11)), (std::vector<std::string>{"m3"}));
}

TEST_F(QueueLimitsTest, OldMessagesMakeRoomForNewOnes) {
  cfg.mqtt.max_queued_messages = 2;
  cfg.mqtt.max_queued_age_s = 10;
  start();
  publish(1, 2, t0);
  publish(3, 3, t0 + std::chrono::seconds(11));  // refuse_new, but the old ones are gone first
  EXPECT_EQ(stored_entries(), 1u);
  EXPECT_EQ(reconnect(t0 + std::chrono::seconds(11)), (std::vector<std::string>{"m3"}));
}

TEST_F(QueueLimitsTest, NoAgeLimitWhenZero) {
  cfg.mqtt.max_queued_age_s = 0;
  start();
  publish(1, 1, t0);
  EXPECT_EQ(reconnect(t0 + std::chrono::hours(24 * 365)), (std::vector<std::string>{"m1"}));
}

}  // namespace
}  // namespace gridmq::session::test
