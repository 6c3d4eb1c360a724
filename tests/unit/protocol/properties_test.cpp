// MQTT 5.0 properties: types, sizes, per-packet sets, duplicates, unknown ids and value ranges.

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace gridmq::protocol::test {
namespace {

/// A v5 DISCONNECT (reason 0) carrying the given property block bytes.
ByteVec disconnect_with(std::initializer_list<std::uint8_t> props) {
  ByteVec body{0x00, static_cast<std::uint8_t>(props.size())};
  body.insert(body.end(), props.begin(), props.end());
  ByteVec out{0xE0, static_cast<std::uint8_t>(body.size())};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

/// A v5 QoS 0 PUBLISH to "t" carrying the given property block bytes.
ByteVec publish_with(std::initializer_list<std::uint8_t> props) {
  ByteVec body{0x00, 0x01, 't', static_cast<std::uint8_t>(props.size())};
  body.insert(body.end(), props.begin(), props.end());
  ByteVec out{0x30, static_cast<std::uint8_t>(body.size())};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

TEST(Properties, SizeOfEmptyAndFull) {
  EXPECT_EQ(properties_size(Properties{}), 1u);
  Properties p;
  p.payload_format_indicator = 1;                // 2
  p.message_expiry_interval = 5;                 // 5
  p.content_type = "ab";                         // 5
  p.subscription_identifiers = {1, 128, 16384};  // 2 + 3 + 4
  p.server_keep_alive = 10;                      // 3
  p.user_properties = {{"k", "v"}};              // 7
  EXPECT_EQ(properties_size(p), 1u + 2 + 5 + 5 + 9 + 3 + 7);
}

TEST(Properties, HandWrittenTypes) {
  auto r = decode_packet(view(publish_with({0x01, 0x01,                    // payload format
                                            0x02, 0x00, 0x00, 0x01, 0x00,  // expiry 256
                                            0x0B, 0x80, 0x01,              // sub id 128
                                            0x0B, 0x02,                    // sub id 2
                                            0x09, 0x00, 0x02, 0x00, 0xFF,  // correlation
                                            0x26, 0x00, 0x01, 'k',  0x00, 0x00})),
                         Version::kV5);
  ASSERT_TRUE(r.ok()) << r.error().what;
  const Properties& p = std::get<Publish>(r.value()).props;
  EXPECT_EQ(p.payload_format_indicator, 1);
  EXPECT_EQ(p.message_expiry_interval, 256u);
  EXPECT_EQ(p.subscription_identifiers, (std::vector<std::uint32_t>{128, 2}));
  EXPECT_EQ(p.correlation_data, std::string("\x00\xFF", 2));
  ASSERT_EQ(p.user_properties.size(), 1u);
  EXPECT_EQ(p.user_properties[0].first, "k");
  EXPECT_EQ(p.user_properties[0].second, "");
}

TEST(Properties, DuplicateIsProtocolError) {
  expect_error(disconnect_with({0x1F, 0x00, 0x00, 0x1F, 0x00, 0x00}), Version::kV5,
               ReasonCode::kProtocolError);
  expect_error(disconnect_with({0x11, 0, 0, 0, 1, 0x11, 0, 0, 0, 2}), Version::kV5,
               ReasonCode::kProtocolError);
  expect_error(publish_with({0x23, 0x00, 0x01, 0x23, 0x00, 0x02}), Version::kV5,
               ReasonCode::kProtocolError);
  // User properties repeat freely.
  auto r = decode_packet(view(disconnect_with({0x26, 0, 1, 'a', 0, 0, 0x26, 0, 1, 'a', 0, 0})),
                         Version::kV5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<Disconnect>(r.value()).props.user_properties.size(), 2u);
}

TEST(Properties, UnknownIdIsMalformed) {
  for (std::uint8_t id : {0x00, 0x04, 0x0A, 0x14, 0x1B, 0x20, 0x2B, 0x7F}) {
    expect_error(disconnect_with({id, 0x00}), Version::kV5, ReasonCode::kMalformedPacket);
  }
}

TEST(Properties, NotAllowedInPacketIsProtocolError) {
  expect_error(disconnect_with({0x23, 0x00, 0x01}), Version::kV5, ReasonCode::kProtocolError);
  expect_error(disconnect_with({0x15, 0x00, 0x01, 'm'}), Version::kV5, ReasonCode::kProtocolError);
  expect_error(publish_with({0x11, 0, 0, 0, 1}), Version::kV5, ReasonCode::kProtocolError);
  expect_error(publish_with({0x18, 0, 0, 0, 1}), Version::kV5, ReasonCode::kProtocolError);
}

TEST(Properties, ValueRanges) {
  expect_error(publish_with({0x0B, 0x00}), Version::kV5, ReasonCode::kProtocolError);
  expect_error(publish_with({0x01, 0x02}), Version::kV5, ReasonCode::kProtocolError);
  expect_error(pkt(0x20, {0x00, 0x00, 0x03, 0x21, 0x00, 0x00}), Version::kV5,
               ReasonCode::kProtocolError);  // receive maximum 0
  expect_error(pkt(0x20, {0x00, 0x00, 0x05, 0x27, 0, 0, 0, 0}), Version::kV5,
               ReasonCode::kProtocolError);  // maximum packet size 0
  expect_error(pkt(0x20, {0x00, 0x00, 0x02, 0x24, 0x02}), Version::kV5,
               ReasonCode::kProtocolError);  // maximum QoS 2
  expect_error(pkt(0x20, {0x00, 0x00, 0x02, 0x25, 0x02}), Version::kV5,
               ReasonCode::kProtocolError);  // retain available 2
}

TEST(Properties, TruncatedOrBadValues) {
  expect_error(disconnect_with({0x11, 0x00, 0x00}), Version::kV5, ReasonCode::kMalformedPacket);
  expect_error(disconnect_with({0x1F, 0x00, 0x02, 'a'}), Version::kV5,
               ReasonCode::kMalformedPacket);
  expect_error(disconnect_with({0x1F, 0x00, 0x01, 0x00}), Version::kV5,
               ReasonCode::kMalformedPacket);  // U+0000 in a string
  expect_error(disconnect_with({0x26, 0x00, 0x01, 'k'}), Version::kV5,
               ReasonCode::kMalformedPacket);  // pair without value
  expect_error(publish_with({0x0B, 0x80, 0x80, 0x80, 0x80, 0x01}), Version::kV5,
               ReasonCode::kMalformedPacket);  // 5-byte varint
  // Property length claims more than the packet holds.
  expect_error(pkt(0xE0, {0x00, 0x09, 0x1F, 0x00, 0x00}), Version::kV5,
               ReasonCode::kMalformedPacket);
}

}  // namespace
}  // namespace gridmq::protocol::test
