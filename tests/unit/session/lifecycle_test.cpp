#include <gtest/gtest.h>

#include "harness.hpp"

namespace gridmq::session::test {
namespace {

using protocol::Disconnect;
using protocol::Properties;
using protocol::Publish;
using protocol::ReasonCode;
using protocol::Version;

class LifecycleTest : public ::testing::Test {
 protected:
  config::BrokerConfig cfg;
  Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);
  std::unique_ptr<BrokerCore> core;
  void SetUp() override { core = std::make_unique<BrokerCore>(cfg, auth::Acl::allow_all()); }
};

TEST_F(LifecycleTest, KeepAliveTimesOutAtOneAndAHalfTimes) {
  Client c(*core, t0);
  c.connect("c", t0, true, {}, 10);
  c.handler().on_timer(t0 + std::chrono::milliseconds(14999));
  EXPECT_FALSE(c.handler().closing());
  c.handler().on_timer(t0 + std::chrono::milliseconds(15000));
  EXPECT_TRUE(c.handler().closing());
  auto ds = only<Disconnect>(c.received());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].reason, ReasonCode::kKeepAliveTimeout);
}

TEST_F(LifecycleTest, ActivityMovesTheKeepAliveDeadline) {
  Client c(*core, t0);
  c.connect("c", t0, true, {}, 10);
  c.send(protocol::Pingreq{}, t0 + std::chrono::seconds(10));
  c.handler().on_timer(t0 + std::chrono::seconds(20));
  EXPECT_FALSE(c.handler().closing());
}

TEST_F(LifecycleTest, TakeoverKicksTheOldConnection) {
  Client a(*core, t0), b(*core, t0);
  a.connect("same", t0, false, [] {
    Properties p;
    p.session_expiry_interval = 60;
    return p;
  }());
  auto ack = b.connect("same", t0, false);
  EXPECT_TRUE(ack.session_present);
  ASSERT_EQ(a.peer().kicks.size(), 1u);
  EXPECT_EQ(a.peer().kicks[0], ReasonCode::kSessionTakenOver);
}

TEST_F(LifecycleTest, SessionExpiresAfterItsInterval) {
  {
    Client a(*core, t0);
    Properties p;
    p.session_expiry_interval = 30;
    a.connect("s", t0, false, p);
    a.handler().on_transport_closed(t0);
  }
  EXPECT_EQ(core->session_count(), 1u);
  core->tick(t0 + std::chrono::seconds(29));
  EXPECT_EQ(core->session_count(), 1u);
  core->tick(t0 + std::chrono::seconds(30));
  EXPECT_EQ(core->session_count(), 0u);
}

TEST_F(LifecycleTest, OfflineQos1QueuedAndDeliveredOnReconnect) {
  Properties keep;
  keep.session_expiry_interval = 300;
  {
    Client a(*core, t0);
    a.connect("s", t0, false, keep);
    a.subscribe("t", 1, t0);
    a.handler().on_transport_closed(t0);
  }
  Client pub(*core, t0);
  pub.connect("p", t0);
  pub.publish("t", "while-away", 1, 1, t0);
  pub.publish("t", "dropped-qos0", 0, 0, t0);
  Client back(*core, t0);
  auto ack = back.connect("s", t0, false, keep);
  EXPECT_TRUE(ack.session_present);
  auto pubs = only<Publish>(back.received());
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].payload, "while-away");
}

TEST_F(LifecycleTest, UnackedInflightResentWithDupOnReconnect) {
  Properties keep;
  keep.session_expiry_interval = 300;
  Client pub(*core, t0);
  pub.connect("p", t0);
  {
    Client a(*core, t0);
    a.connect("s", t0, false, keep);
    a.subscribe("t", 1, t0);
    a.received();
    pub.publish("t", "m", 1, 1, t0);
    a.handler().on_wake(t0);
    auto first = only<Publish>(a.received());
    ASSERT_EQ(first.size(), 1u);
    EXPECT_FALSE(first[0].dup);
    a.handler().on_transport_closed(t0);
  }
  Client back(*core, t0);
  back.connect("s", t0, false, keep);
  auto again = only<Publish>(back.received());
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].dup);
  EXPECT_EQ(again[0].payload, "m");
}

TEST_F(LifecycleTest, WillDelayedThenPublished) {
  Client watcher(*core, t0);
  watcher.connect("w", t0);
  watcher.subscribe("will/t", 0, t0);
  watcher.received();
  {
    Client dying(*core, t0);
    protocol::Will will;
    will.topic = "will/t";
    will.payload = "gone";
    will.props.will_delay_interval = 5;
    Properties p;
    p.session_expiry_interval = 60;
    dying.connect("d", t0, true, p, 0, will);
    dying.handler().on_transport_closed(t0);
  }
  core->tick(t0 + std::chrono::seconds(4));
  watcher.handler().on_wake(t0);
  EXPECT_TRUE(only<Publish>(watcher.received()).empty());
  core->tick(t0 + std::chrono::seconds(5));
  watcher.handler().on_wake(t0);
  auto pubs = only<Publish>(watcher.received());
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].payload, "gone");
}

TEST_F(LifecycleTest, NormalDisconnectDiscardsTheWill) {
  Client watcher(*core, t0);
  watcher.connect("w", t0);
  watcher.subscribe("will/t", 0, t0);
  watcher.received();
  Client c(*core, t0);
  protocol::Will will;
  will.topic = "will/t";
  will.payload = "x";
  c.connect("c", t0, true, {}, 0, will);
  c.send(Disconnect{}, t0);
  c.handler().on_transport_closed(t0);
  watcher.handler().on_wake(t0);
  EXPECT_TRUE(only<Publish>(watcher.received()).empty());
}

TEST_F(LifecycleTest, EmptyClientIdIsAssignedInV5AndRefusedPersistentIn311) {
  Client v5(*core, t0);
  auto ack = v5.connect("", t0);
  EXPECT_EQ(ack.reason, ReasonCode::kSuccess);
  ASSERT_TRUE(ack.props.assigned_client_identifier);
  EXPECT_FALSE(ack.props.assigned_client_identifier->empty());
  Client old(*core, t0, Version::kV311);
  auto refused = old.connect("", t0, false);
  EXPECT_EQ(refused.reason, ReasonCode::kClientIdentifierNotValid);
  EXPECT_TRUE(old.handler().closing());
}

TEST_F(LifecycleTest, FirstPacketMustBeConnect) {
  Client c(*core, t0);
  c.send(protocol::Pingreq{}, t0);
  EXPECT_TRUE(c.handler().closing());
  EXPECT_TRUE(c.received().empty());
}

TEST_F(LifecycleTest, ReceiveMaximumExceededDisconnects) {
  cfg.mqtt.receive_maximum = 2;
  core = std::make_unique<BrokerCore>(cfg, auth::Acl::allow_all());
  Client c(*core, t0);
  c.connect("c", t0);
  c.publish("t", "1", 2, 1, t0);
  c.publish("t", "2", 2, 2, t0);
  EXPECT_FALSE(c.handler().closing());
  c.publish("t", "3", 2, 3, t0);
  EXPECT_TRUE(c.handler().closing());
  auto ds = only<Disconnect>(c.received());
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds[0].reason, ReasonCode::kReceiveMaximumExceeded);
}

}  // namespace
}  // namespace gridmq::session::test
