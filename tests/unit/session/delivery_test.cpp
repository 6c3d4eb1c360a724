#include <gtest/gtest.h>

#include "harness.hpp"

namespace gridmq::session::test {
namespace {

using protocol::Connack;
using protocol::Properties;
using protocol::Publish;
using protocol::PubResponse;
using protocol::ReasonCode;

class DeliveryTest : public ::testing::Test {
 protected:
  config::BrokerConfig cfg;
  Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);
  std::unique_ptr<BrokerCore> core;
  void SetUp() override { core = std::make_unique<BrokerCore>(cfg, auth::Acl::allow_all()); }
  void wake(Client& c) { c.handler().on_wake(t0); }
};

TEST_F(DeliveryTest, Qos1RoutedAfterWakeAndAcked) {
  Client sub(*core, t0), pub(*core, t0);
  ASSERT_EQ(sub.connect("sub", t0).reason, ReasonCode::kSuccess);
  ASSERT_EQ(pub.connect("pub", t0).reason, ReasonCode::kSuccess);
  sub.subscribe("a/+", 1, t0);
  sub.received();
  pub.publish("a/b", "hello", 1, 7, t0);
  auto acks = only<PubResponse>(pub.received());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].packet_id, 7);
  EXPECT_EQ(acks[0].reason, ReasonCode::kSuccess);
  EXPECT_EQ(sub.peer().wakes, 1);
  wake(sub);
  auto pubs = only<Publish>(sub.received());
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].topic, "a/b");
  EXPECT_EQ(pubs[0].payload, "hello");
  EXPECT_EQ(pubs[0].qos, 1);
  EXPECT_NE(pubs[0].packet_id, 0);
}

TEST_F(DeliveryTest, ClientReceiveMaximumBoundsTheWindow) {
  Client sub(*core, t0), pub(*core, t0);
  Properties p;
  p.receive_maximum = 2;
  sub.connect("sub", t0, true, p);
  pub.connect("pub", t0);
  sub.subscribe("t", 1, t0);
  sub.received();
  for (std::uint16_t i = 1; i <= 5; ++i) pub.publish("t", std::to_string(i), 1, i, t0);
  wake(sub);
  auto first = only<Publish>(sub.received());
  ASSERT_EQ(first.size(), 2u);
  sub.send(PubResponse{protocol::PacketType::kPuback, first[0].packet_id, ReasonCode::kSuccess, {}},
           t0);
  auto next = only<Publish>(sub.received());
  ASSERT_EQ(next.size(), 1u);
  EXPECT_EQ(next[0].payload, "3");
}

TEST_F(DeliveryTest, Qos2DuplicateIsNotRoutedTwice) {
  Client sub(*core, t0), pub(*core, t0);
  sub.connect("sub", t0);
  pub.connect("pub", t0);
  sub.subscribe("t", 2, t0);
  sub.received();
  pub.publish("t", "x", 2, 9, t0);
  pub.publish("t", "x", 2, 9, t0);  // resend before PUBREL
  auto recs = only<PubResponse>(pub.received());
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].type, protocol::PacketType::kPubrec);
  wake(sub);
  EXPECT_EQ(only<Publish>(sub.received()).size(), 1u);
  pub.send(PubResponse{protocol::PacketType::kPubrel, 9, ReasonCode::kSuccess, {}}, t0);
  auto comp = only<PubResponse>(pub.received());
  ASSERT_EQ(comp.size(), 1u);
  EXPECT_EQ(comp[0].type, protocol::PacketType::kPubcomp);
  EXPECT_EQ(comp[0].reason, ReasonCode::kSuccess);
}

TEST_F(DeliveryTest, ExpiredMessageIsNotDeliveredAndExpiryCountsDown) {
  Client sub(*core, t0), pub(*core, t0);
  sub.connect("sub", t0);
  pub.connect("pub", t0);
  sub.subscribe("t", 1, t0);
  sub.received();
  Properties short_lived, long_lived;
  short_lived.message_expiry_interval = 5;
  long_lived.message_expiry_interval = 100;
  pub.publish("t", "short", 1, 1, t0, short_lived);
  pub.publish("t", "long", 1, 2, t0, long_lived);
  sub.handler().on_wake(t0 + std::chrono::seconds(10));
  auto pubs = only<Publish>(sub.received());
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].payload, "long");
  EXPECT_EQ(pubs[0].props.message_expiry_interval, 90u);
}

TEST_F(DeliveryTest, OverlappingSubscriptionsGiveOneCopyAtHighestQos) {
  Client sub(*core, t0), pub(*core, t0);
  sub.connect("sub", t0);
  pub.connect("pub", t0);
  sub.subscribe("a/#", 0, t0);
  sub.subscribe("a/b", 2, t0);
  sub.received();
  pub.publish("a/b", "x", 2, 1, t0);
  wake(sub);
  auto pubs = only<Publish>(sub.received());
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].qos, 2);
}

TEST_F(DeliveryTest, TooLargeForTheClientIsDropped) {
  Client sub(*core, t0), pub(*core, t0);
  Properties p;
  p.maximum_packet_size = 64;
  sub.connect("sub", t0, true, p);
  pub.connect("pub", t0);
  sub.subscribe("t", 0, t0);
  sub.received();
  pub.publish("t", std::string(100, 'x'), 0, 0, t0);
  pub.publish("t", "small", 0, 0, t0);
  wake(sub);
  auto pubs = only<Publish>(sub.received());
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].payload, "small");
}

TEST_F(DeliveryTest, OutboundTopicAliasReusedForSameTopic) {
  Client sub(*core, t0), pub(*core, t0);
  Properties p;
  p.topic_alias_maximum = 4;
  sub.connect("sub", t0, true, p);
  pub.connect("pub", t0);
  sub.subscribe("long/topic/name", 0, t0);
  sub.received();
  pub.publish("long/topic/name", "1", 0, 0, t0);
  pub.publish("long/topic/name", "2", 0, 0, t0);
  wake(sub);
  auto pubs = only<Publish>(sub.received());
  ASSERT_EQ(pubs.size(), 2u);
  EXPECT_EQ(pubs[0].topic, "long/topic/name");
  ASSERT_TRUE(pubs[0].props.topic_alias);
  EXPECT_TRUE(pubs[1].topic.empty());
  EXPECT_EQ(pubs[1].props.topic_alias, pubs[0].props.topic_alias);
}

}  // namespace
}  // namespace gridmq::session::test
