// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK.

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace gridmq::protocol::test {
namespace {

Subscribe sample_subscribe(Version v) {
  Subscribe s;
  s.packet_id = 12;
  s.entries.push_back({"meters/+/kwh", 1, false, false, 0});
  s.entries.push_back({"$share/g1/meters/#", 2, false, false, 0});
  s.entries.push_back({"alarms", 0, false, false, 0});
  if (v == Version::kV5) {
    s.entries[0].no_local = true;
    s.entries[0].retain_as_published = true;
    s.entries[0].retain_handling = 2;
    s.entries[2].retain_handling = 1;
    s.props.subscription_identifiers = {99};
    s.props.user_properties = two_user_props();
  }
  return s;
}

TEST(Subscribe, RoundTripBothVersions) {
  for (Version v : {Version::kV311, Version::kV5}) {
    const Subscribe s = sample_subscribe(v);
    EXPECT_EQ(round_trip(s, v), s);
  }
}

TEST(Subscribe, V311DropsV5Options) {
  Subscribe s = sample_subscribe(Version::kV5);
  Subscribe got = round_trip(s, Version::kV311);
  ASSERT_EQ(got.entries.size(), 3u);
  EXPECT_FALSE(got.entries[0].no_local);
  EXPECT_EQ(got.entries[0].retain_handling, 0);
  EXPECT_EQ(got.entries[0].qos, 1);
  EXPECT_EQ(got.props, Properties{});
}

TEST(Subscribe, SpecBytes) {
  // 3.1.1: packet id 10, "a/b" QoS 1, "c/d" QoS 2.
  const ByteVec v3 =
      pkt(0x82, {0x00, 0x0A, 0x00, 0x03, 'a', '/', 'b', 0x01, 0x00, 0x03, 'c', '/', 'd', 0x02});
  auto r = decode_packet(view(v3), Version::kV311);
  ASSERT_TRUE(r.ok()) << r.error().what;
  const auto& s = std::get<Subscribe>(r.value());
  ASSERT_EQ(s.entries.size(), 2u);
  EXPECT_EQ(s.entries[1].filter, "c/d");
  EXPECT_EQ(s.entries[1].qos, 2);
  std::string wire;
  encode(Packet{s}, Version::kV311, wire);
  EXPECT_EQ(to_vec(wire), v3);
  // v5: subscription id 5, "x" with no local + RAP + retain handling 1 + QoS 1 = 0b00011101.
  auto r5 = decode_packet(view(pkt(0x82, {0x00, 0x01, 0x02, 0x0B, 0x05, 0x00, 0x01, 'x', 0x1D})),
                          Version::kV5);
  ASSERT_TRUE(r5.ok()) << r5.error().what;
  const auto& s5 = std::get<Subscribe>(r5.value());
  EXPECT_EQ(s5.props.subscription_identifiers, std::vector<std::uint32_t>{5});
  EXPECT_TRUE(s5.entries[0].no_local);
  EXPECT_TRUE(s5.entries[0].retain_as_published);
  EXPECT_EQ(s5.entries[0].retain_handling, 1);
  EXPECT_EQ(s5.entries[0].qos, 1);
}

TEST(Subscribe, ErrorPaths) {
  const auto v3 = Version::kV311;
  const auto v5 = Version::kV5;
  expect_error(pkt(0x80, {0x00, 0x01, 0x00, 0x01, 'a', 0x00}), v3, ReasonCode::kMalformedPacket);
  expect_error(pkt(0x82, {0x00, 0x01}), v3, ReasonCode::kProtocolError);        // no entries
  expect_error(pkt(0x82, {0x00, 0x01, 0x00}), v5, ReasonCode::kProtocolError);  // no entries
  expect_error(pkt(0x82, {0x00, 0x00, 0x00, 0x01, 'a', 0x00}), v3, ReasonCode::kMalformedPacket);
  expect_error(pkt(0x82, {0x00, 0x01, 0x00, 0x01, 'a', 0x03}), v3, ReasonCode::kMalformedPacket);
  expect_error(pkt(0x82, {0x00, 0x01, 0x00, 0x01, 'a', 0x04}), v3,
               ReasonCode::kMalformedPacket);  // upper bits in 3.1.1
  expect_error(pkt(0x82, {0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x40}), v5,
               ReasonCode::kMalformedPacket);  // reserved bit 6
  expect_error(pkt(0x82, {0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x80}), v5,
               ReasonCode::kMalformedPacket);  // reserved bit 7
  expect_error(pkt(0x82, {0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x30}), v5,
               ReasonCode::kProtocolError);  // retain handling 3
  expect_error(pkt(0x82, {0x00, 0x01, 0x00, 0x00, 0x01, 'a', 0x03}), v5,
               ReasonCode::kMalformedPacket);  // QoS 3
  expect_error(pkt(0x82, {0x00, 0x01, 0x00, 0x00, 0x01, 'a'}), v5,
               ReasonCode::kMalformedPacket);  // options byte missing
  expect_error(pkt(0x82, {0x00, 0x01, 0x04, 0x0B, 0x01, 0x0B, 0x02, 0x00, 0x01, 'a', 0x00}), v5,
               ReasonCode::kProtocolError);  // two subscription identifiers
  expect_error(
      pkt(0x82, {0x00, 0x01, 0x00, 0x00, 0x0A, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 0x04}),
      v5, ReasonCode::kMalformedPacket);  // filter length runs past the packet
  expect_error(pkt(0x82, {0x00, 0x01, 0x00, 0x00, 0x0A, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/',
                          'x', 0x04}),
               v5, ReasonCode::kProtocolError);  // no local on a shared subscription
}

TEST(Suback, RoundTripAndV311Mapping) {
  Suback s;
  s.packet_id = 12;
  s.reasons = {ReasonCode::kGrantedQos1, ReasonCode::kSuccess, ReasonCode::kGrantedQos2,
               ReasonCode::kUnspecifiedError};
  EXPECT_EQ(round_trip(s, Version::kV311), s);
  s.reasons.push_back(ReasonCode::kNotAuthorized);
  s.reasons.push_back(ReasonCode::kSharedSubscriptionsNotSupported);
  s.props.reason_string = "partial";
  s.props.user_properties = two_user_props();
  EXPECT_EQ(round_trip(s, Version::kV5), s);
  std::string wire;
  encode(Packet{s}, Version::kV311, wire);
  EXPECT_EQ(to_vec(wire), pkt(0x90, {0x00, 0x0C, 0x01, 0x00, 0x02, 0x80, 0x80, 0x80}));
}

TEST(Suback, ErrorPaths) {
  expect_error(pkt(0x90, {0x00, 0x01, 0x03}), Version::kV311, ReasonCode::kMalformedPacket);
  expect_error(pkt(0x90, {0x00, 0x01, 0x87}), Version::kV311, ReasonCode::kMalformedPacket);
  expect_error(pkt(0x90, {0x00, 0x01}), Version::kV311, ReasonCode::kProtocolError);
  expect_error(pkt(0x90, {0x00, 0x01, 0x00, 0x11}), Version::kV5, ReasonCode::kMalformedPacket);
  expect_error(pkt(0x90, {0x00, 0x01, 0x00}), Version::kV5, ReasonCode::kProtocolError);
}

TEST(Unsubscribe, RoundTripBothVersions) {
  Unsubscribe u;
  u.packet_id = 300;
  u.filters = {"a/+", "$share/g/b/#", "c"};
  EXPECT_EQ(round_trip(u, Version::kV311), u);
  u.props.user_properties = two_user_props();
  EXPECT_EQ(round_trip(u, Version::kV5), u);
}

TEST(Unsubscribe, BytesAndErrors) {
  auto r = decode_packet(view(pkt(0xA2, {0x00, 0x05, 0x00, 0x01, 'a'})), Version::kV311);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<Unsubscribe>(r.value()).filters, std::vector<std::string>{"a"});
  expect_error(pkt(0xA0, {0x00, 0x05, 0x00, 0x01, 'a'}), Version::kV311,
               ReasonCode::kMalformedPacket);
  expect_error(pkt(0xA2, {0x00, 0x05}), Version::kV311, ReasonCode::kProtocolError);
  expect_error(pkt(0xA2, {0x00, 0x05, 0x00}), Version::kV5, ReasonCode::kProtocolError);
  expect_error(pkt(0xA2, {0x00, 0x00, 0x00, 0x01, 'a'}), Version::kV311,
               ReasonCode::kMalformedPacket);
  expect_error(pkt(0xA2, {0x00, 0x05, 0x02, 0x0B, 0x01, 0x00, 0x01, 'a'}), Version::kV5,
               ReasonCode::kProtocolError);  // subscription id not allowed
  expect_error(pkt(0xA2, {0x00, 0x05, 0x00, 0x01, 'a', 0x00}), Version::kV311,
               ReasonCode::kMalformedPacket);  // dangling byte
}

TEST(Unsuback, RoundTripBothVersions) {
  Unsuback u;
  u.packet_id = 300;
  EXPECT_EQ(round_trip(u, Version::kV311), u);
  u.reasons = {ReasonCode::kSuccess, ReasonCode::kNoSubscriptionExisted,
               ReasonCode::kTopicFilterInvalid};
  u.props.reason_string = "r";
  u.props.user_properties = two_user_props();
  EXPECT_EQ(round_trip(u, Version::kV5), u);
  // 3.1.1 has no payload: reasons and properties are dropped.
  std::string wire;
  encode(Packet{u}, Version::kV311, wire);
  EXPECT_EQ(to_vec(wire), (ByteVec{0xB0, 0x02, 0x01, 0x2C}));
}

TEST(Unsuback, ErrorPaths) {
  expect_error(pkt(0xB0, {0x00, 0x01, 0x00}), Version::kV311, ReasonCode::kMalformedPacket);
  expect_error(pkt(0xB0, {0x00, 0x01, 0x00}), Version::kV5, ReasonCode::kProtocolError);
  expect_error(pkt(0xB0, {0x00, 0x01, 0x00, 0x02}), Version::kV5, ReasonCode::kMalformedPacket);
}

}  // namespace
}  // namespace gridmq::protocol::test
