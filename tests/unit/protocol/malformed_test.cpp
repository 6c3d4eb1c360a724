// Fixed header and framing: incomplete input, over-long varints, reserved types, wrong flags,
// missing and trailing bytes.

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace gridmq::protocol::test {
namespace {

TEST(FixedHeader, NeedsMoreBytes) {
  for (const ByteVec& b : {ByteVec{}, ByteVec{0x30}, ByteVec{0x30, 0x80}, ByteVec{0x30, 0xFF, 0xFF},
                           ByteVec{0x30, 0xFF, 0xFF, 0xFF}}) {
    auto r = parse_fixed_header(view(b));
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.value().has_value());
  }
}

TEST(FixedHeader, Lengths) {
  struct Case {
    ByteVec bytes;
    std::uint32_t remaining;
    std::uint8_t header;
  };
  const Case cases[] = {
      {{0x30, 0x00}, 0, 2},
      {{0x30, 0x7F}, 127, 2},
      {{0x30, 0x80, 0x01}, 128, 3},
      {{0x30, 0xFF, 0x7F}, 16383, 3},
      {{0x30, 0x80, 0x80, 0x01}, 16384, 4},
      {{0x30, 0xFF, 0xFF, 0xFF, 0x7F}, 268435455, 5},
  };
  for (const Case& c : cases) {
    auto r = parse_fixed_header(view(c.bytes));
    ASSERT_TRUE(r.ok());
    ASSERT_TRUE(r.value().has_value());
    EXPECT_EQ(r.value()->remaining_length, c.remaining);
    EXPECT_EQ(r.value()->header_length, c.header);
    EXPECT_EQ(r.value()->type(), PacketType::kPublish);
    EXPECT_EQ(r.value()->total_length(), c.header + std::size_t{c.remaining});
  }
}

TEST(FixedHeader, Errors) {
  auto five = parse_fixed_header(view(ByteVec{0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}));
  ASSERT_FALSE(five.ok());
  EXPECT_EQ(five.error().code, ReasonCode::kMalformedPacket);
  auto type0 = parse_fixed_header(view(ByteVec{0x00, 0x00}));
  ASSERT_FALSE(type0.ok());
  EXPECT_EQ(type0.error().code, ReasonCode::kMalformedPacket);
}

TEST(Framing, TruncatedAndTrailing) {
  for (Version v : {Version::kV311, Version::kV5}) {
    expect_error(ByteVec{}, v, ReasonCode::kMalformedPacket);
    expect_error(ByteVec{0x30}, v, ReasonCode::kMalformedPacket);
    expect_error(ByteVec{0x30, 0x05, 0x00, 0x01}, v, ReasonCode::kMalformedPacket);
    expect_error(ByteVec{0xC0, 0x00, 0x00}, v, ReasonCode::kMalformedPacket);  // extra byte
    expect_error(ByteVec{0x00, 0x00}, v, ReasonCode::kMalformedPacket);
    auto c = decode_connect(view(ByteVec{0x10, 0x01}));
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error().code, ReasonCode::kMalformedPacket);
  }
}

TEST(Framing, FlagRules) {
  // Packet types whose flags must be 0, and the three that must carry 0010.
  const std::uint8_t zero_types[] = {0x20, 0x40, 0x50, 0x70, 0x90, 0xB0, 0xC0, 0xD0, 0xE0};
  for (std::uint8_t t : zero_types) {
    for (std::uint8_t flags = 1; flags < 16; ++flags) {
      expect_error(ByteVec{static_cast<std::uint8_t>(t | flags), 0x02, 0x00, 0x01}, Version::kV5,
                   ReasonCode::kMalformedPacket);
    }
  }
  for (std::uint8_t t : {0x60, 0x80, 0xA0}) {
    for (std::uint8_t flags = 0; flags < 16; ++flags) {
      if (flags == 2) {
        continue;
      }
      expect_error(ByteVec{static_cast<std::uint8_t>(t | flags), 0x02, 0x00, 0x01}, Version::kV311,
                   ReasonCode::kMalformedPacket);
    }
  }
}

TEST(Framing, LengthFieldBeyondPacketNeverOverreads) {
  // A string length of 65535 inside a 4-byte packet.
  expect_error(pkt(0x30, {0xFF, 0xFF, 'a', 'b'}), Version::kV311, ReasonCode::kMalformedPacket);
  // A property length of 268435455 inside a small packet.
  expect_error(pkt(0xE0, {0x00, 0xFF, 0xFF, 0xFF, 0x7F}), Version::kV5,
               ReasonCode::kMalformedPacket);
}

TEST(ReasonCodes, Names) {
  EXPECT_EQ(reason_name(ReasonCode::kMalformedPacket), "Malformed Packet");
  EXPECT_EQ(reason_name(ReasonCode::kProtocolError), "Protocol Error");
  EXPECT_EQ(reason_name(ReasonCode::kSuccess), "Success");
  EXPECT_EQ(reason_name(static_cast<ReasonCode>(0x03)), "Unknown reason code");
  EXPECT_TRUE(is_error(ReasonCode::kUnspecifiedError));
  EXPECT_FALSE(is_error(ReasonCode::kGrantedQos2));
}

TEST(PacketTypes, OfEveryVariant) {
  EXPECT_EQ(packet_type(Packet{Connect{}}), PacketType::kConnect);
  EXPECT_EQ(packet_type(Packet{Connack{}}), PacketType::kConnack);
  EXPECT_EQ(packet_type(Packet{Publish{}}), PacketType::kPublish);
  PubResponse rel;
  rel.type = PacketType::kPubrel;
  EXPECT_EQ(packet_type(Packet{rel}), PacketType::kPubrel);
  EXPECT_EQ(packet_type(Packet{Subscribe{}}), PacketType::kSubscribe);
  EXPECT_EQ(packet_type(Packet{Suback{}}), PacketType::kSuback);
  EXPECT_EQ(packet_type(Packet{Unsubscribe{}}), PacketType::kUnsubscribe);
  EXPECT_EQ(packet_type(Packet{Unsuback{}}), PacketType::kUnsuback);
  EXPECT_EQ(packet_type(Packet{Pingreq{}}), PacketType::kPingreq);
  EXPECT_EQ(packet_type(Packet{Pingresp{}}), PacketType::kPingresp);
  EXPECT_EQ(packet_type(Packet{Disconnect{}}), PacketType::kDisconnect);
  EXPECT_EQ(packet_type(Packet{Auth{}}), PacketType::kAuth);
}

}  // namespace
}  // namespace gridmq::protocol::test
