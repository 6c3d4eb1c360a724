// PUBLISH: round trips, encode_publish, hand-written bytes and error paths.

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace gridmq::protocol::test {
namespace {

Publish sample(std::uint8_t qos, Version v) {
  Publish p;
  p.topic = "meters/0042/kwh";
  p.payload = std::string("\x00\x01\x02 reading", 11);
  p.qos = qos;
  p.retain = true;
  p.dup = qos > 0;
  p.packet_id = qos > 0 ? 4242 : 0;
  if (v == Version::kV5) {
    p.props.payload_format_indicator = 0;
    p.props.message_expiry_interval = 120;
    p.props.content_type = "application/octet-stream";
    p.props.response_topic = "reply/0042";
    p.props.correlation_data = std::string("\x00\xAB", 2);
    p.props.subscription_identifiers = {1, 268435455, 77};
    p.props.topic_alias = 3;
    p.props.user_properties = two_user_props();
  }
  return p;
}

TEST(Publish, RoundTripAllQosBothVersions) {
  for (Version v : {Version::kV311, Version::kV5}) {
    for (std::uint8_t qos : {0, 1, 2}) {
      const Publish p = sample(qos, v);
      EXPECT_EQ(round_trip(p, v), p) << "qos " << int{qos};
    }
  }
}

TEST(Publish, V311DropsProperties) {
  Publish p = sample(1, Version::kV5);
  Publish got = round_trip(p, Version::kV311);
  p.props = Properties{};
  EXPECT_EQ(got, p);
}

TEST(Publish, EmptyPayloadAndLargePayload) {
  Publish p;
  p.topic = "a";
  EXPECT_EQ(round_trip(p, Version::kV5), p);
  p.payload.assign(200000, 'x');  // remaining length needs 3 varint bytes
  EXPECT_EQ(round_trip(p, Version::kV311), p);
}

TEST(Publish, EncodePublishMatchesEncode) {
  for (Version v : {Version::kV311, Version::kV5}) {
    for (std::uint8_t qos : {0, 1, 2}) {
      const Publish p = sample(qos, v);
      std::string a;
      std::string b = "prefix";
      encode(Packet{p}, v, a);
      encode_publish(v, p.topic, p.payload, p.qos, p.retain, p.dup, p.packet_id, &p.props, b);
      EXPECT_EQ("prefix" + a, b);
      std::string c;
      encode_publish(v, p.topic, p.payload, p.qos, p.retain, p.dup, p.packet_id, nullptr, c);
      Publish no_props = p;
      no_props.props = Properties{};
      std::string d;
      encode(Packet{no_props}, v, d);
      EXPECT_EQ(c, d);
    }
  }
}

TEST(Publish, EncodePublishExactSize) {
  std::string out;
  const std::string payload(1000, 'p');
  encode_publish(Version::kV5, "t/1", payload, 1, false, false, 7, nullptr, out);
  EXPECT_EQ(out.size(), 1 + 2 + 2 + 3 + 2 + 1 + payload.size());
}

TEST(Publish, SpecBytes) {
  // 3.1.1 QoS 1, topic "a/b", packet id 10, payload "hi".
  auto r = decode_packet(view(pkt(0x32, {0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'i'})),
                         Version::kV311);
  ASSERT_TRUE(r.ok()) << r.error().what;
  const auto& p = std::get<Publish>(r.value());
  EXPECT_EQ(p.topic, "a/b");
  EXPECT_EQ(p.qos, 1);
  EXPECT_EQ(p.packet_id, 10);
  EXPECT_EQ(p.payload, "hi");
  EXPECT_FALSE(p.retain);
  // v5 QoS 0 retained, topic alias 1 with empty topic, payload "x".
  auto r5 = decode_packet(view(pkt(0x31, {0x00, 0x00, 0x03, 0x23, 0x00, 0x01, 'x'})), Version::kV5);
  ASSERT_TRUE(r5.ok()) << r5.error().what;
  const auto& p5 = std::get<Publish>(r5.value());
  EXPECT_TRUE(p5.topic.empty());
  EXPECT_EQ(p5.props.topic_alias, 1);
  EXPECT_TRUE(p5.retain);
  EXPECT_EQ(p5.payload, "x");
  // Our encoder writes the same bytes for the 3.1.1 packet.
  std::string wire;
  encode(Packet{p}, Version::kV311, wire);
  EXPECT_EQ(to_vec(wire), pkt(0x32, {0x00, 0x03, 'a', '/', 'b', 0x00, 0x0A, 'h', 'i'}));
}

TEST(Publish, ErrorPaths) {
  const auto v3 = Version::kV311;
  const auto v5 = Version::kV5;
  expect_error(pkt(0x36, {0x00, 0x01, 'a', 0x00, 0x01}), v3, ReasonCode::kMalformedPacket);  // QoS3
  expect_error(pkt(0x38, {0x00, 0x01, 'a', 0x00}), v5, ReasonCode::kMalformedPacket);  // DUP QoS0
  EXPECT_TRUE(decode_packet(view(pkt(0x38, {0x00, 0x01, 'a'})), v3).ok());  // tolerated in 3.1.1
  expect_error(pkt(0x32, {0x00, 0x01, 'a', 0x00, 0x00}), v3, ReasonCode::kMalformedPacket);  // id 0
  expect_error(pkt(0x30, {0x00, 0x03, 'a', '/', '+'}), v3, ReasonCode::kTopicNameInvalid);
  expect_error(pkt(0x30, {0x00, 0x01, '#', 0x00}), v5, ReasonCode::kTopicNameInvalid);
  expect_error(pkt(0x30, {0x00, 0x00, 'x'}), v3, ReasonCode::kTopicNameInvalid);  // empty topic
  expect_error(pkt(0x30, {0x00, 0x00, 0x00}), v5, ReasonCode::kProtocolError);    // no alias
  expect_error(pkt(0x30, {0x00, 0x01, 'a', 0x03, 0x23, 0x00, 0x00}), v5,
               ReasonCode::kTopicAliasInvalid);                                         // alias 0
  expect_error(pkt(0x30, {0x00, 0x02, 0xC0, 0x80}), v3, ReasonCode::kMalformedPacket);  // UTF-8
  expect_error(pkt(0x30, {0x00, 0x05, 'a'}), v3, ReasonCode::kMalformedPacket);  // topic too long
  expect_error(pkt(0x30, {0x00, 0x01, 'a', 0x02, 0x12, 0x00}), v5,
               ReasonCode::kProtocolError);  // CONNACK-only property
  expect_error(pkt(0x30, {0x00, 0x01, 'a', 0x02, 0x0B, 0x00}), v5,
               ReasonCode::kProtocolError);  // subscription id 0
  expect_error(pkt(0x30, {0x00, 0x01, 'a', 0x04, 0x08, 0x00, 0x01, '+'}), v5,
               ReasonCode::kProtocolError);  // wildcard response topic
  expect_error(pkt(0x30, {0x00, 0x01, 'a', 0x02, 0x01, 0x02}), v5,
               ReasonCode::kProtocolError);  // payload format indicator 2
}

}  // namespace
}  // namespace gridmq::protocol::test
