// PUBACK/PUBREC/PUBREL/PUBCOMP, PINGREQ/PINGRESP, DISCONNECT and AUTH.

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace gridmq::protocol::test {
namespace {

constexpr PacketType kPubTypes[] = {PacketType::kPuback, PacketType::kPubrec, PacketType::kPubrel,
                                    PacketType::kPubcomp};

std::uint8_t first_byte(PacketType t) {
  return static_cast<std::uint8_t>((static_cast<unsigned>(t) << 4) |
                                   (t == PacketType::kPubrel ? 2 : 0));
}

TEST(PubResponse, RoundTripBothVersions) {
  for (PacketType t : kPubTypes) {
    PubResponse p;
    p.type = t;
    p.packet_id = 65535;
    EXPECT_EQ(round_trip(p, Version::kV311), p);
    EXPECT_EQ(round_trip(p, Version::kV5), p);
    p.reason = t == PacketType::kPubrel || t == PacketType::kPubcomp
                   ? ReasonCode::kPacketIdentifierNotFound
                   : ReasonCode::kNoMatchingSubscribers;
    EXPECT_EQ(round_trip(p, Version::kV5), p);
    p.props.reason_string = "why";
    p.props.user_properties = two_user_props();
    EXPECT_EQ(round_trip(p, Version::kV5), p);
    // 3.1.1 drops reason and properties.
    PubResponse v3 = round_trip(p, Version::kV311);
    EXPECT_EQ(v3.packet_id, p.packet_id);
    EXPECT_EQ(v3.reason, ReasonCode::kSuccess);
    EXPECT_EQ(v3.props, Properties{});
  }
}

TEST(PubResponse, ShortFormsV5) {
  for (PacketType t : kPubTypes) {
    const std::uint8_t fb = first_byte(t);
    // Remaining length 2: Success, no properties.
    auto r2 = decode_packet(view(pkt(fb, {0x00, 0x07})), Version::kV5);
    ASSERT_TRUE(r2.ok()) << r2.error().what;
    EXPECT_EQ(std::get<PubResponse>(r2.value()).type, t);
    EXPECT_EQ(std::get<PubResponse>(r2.value()).packet_id, 7);
    EXPECT_EQ(std::get<PubResponse>(r2.value()).reason, ReasonCode::kSuccess);
    // Remaining length 3: reason only.
    const std::uint8_t code = t == PacketType::kPuback || t == PacketType::kPubrec ? 0x10 : 0x92;
    auto r3 = decode_packet(view(pkt(fb, {0x00, 0x07, code})), Version::kV5);
    ASSERT_TRUE(r3.ok()) << r3.error().what;
    EXPECT_EQ(static_cast<std::uint8_t>(std::get<PubResponse>(r3.value()).reason), code);
    // Encoder uses the short forms.
    PubResponse p;
    p.type = t;
    p.packet_id = 7;
    std::string wire;
    encode(Packet{p}, Version::kV5, wire);
    EXPECT_EQ(to_vec(wire), pkt(fb, {0x00, 0x07}));
    p.reason = static_cast<ReasonCode>(code);
    wire.clear();
    encode(Packet{p}, Version::kV5, wire);
    EXPECT_EQ(to_vec(wire), pkt(fb, {0x00, 0x07, code}));
  }
}

TEST(PubResponse, ErrorPaths) {
  for (PacketType t : kPubTypes) {
    const std::uint8_t fb = first_byte(t);
    expect_error(pkt(fb, {0x00, 0x00}), Version::kV311, ReasonCode::kMalformedPacket);  // id 0
    expect_error(pkt(fb, {0x00}), Version::kV311, ReasonCode::kMalformedPacket);        // short
    expect_error(pkt(fb, {0x00, 0x01, 0x00}), Version::kV311, ReasonCode::kMalformedPacket);
    expect_error(pkt(fb ^ 0x02, {0x00, 0x01}), Version::kV311, ReasonCode::kMalformedPacket);
    expect_error(pkt(fb, {0x00, 0x01, 0x01}), Version::kV5, ReasonCode::kMalformedPacket);
    // Reason string in PUBACK is fine; a PUBLISH-only property is not.
    expect_error(pkt(fb, {0x00, 0x01, 0x00, 0x03, 0x23, 0x00, 0x01}), Version::kV5,
                 ReasonCode::kProtocolError);
    // Property length beyond the packet.
    expect_error(pkt(fb, {0x00, 0x01, 0x00, 0x05, 0x1F, 0x00}), Version::kV5,
                 ReasonCode::kMalformedPacket);
  }
}

TEST(Ping, RoundTripAndBytes) {
  for (Version v : {Version::kV311, Version::kV5}) {
    EXPECT_EQ(round_trip(Pingreq{}, v), Pingreq{});
    EXPECT_EQ(round_trip(Pingresp{}, v), Pingresp{});
    std::string wire;
    encode(Packet{Pingreq{}}, v, wire);
    encode(Packet{Pingresp{}}, v, wire);
    EXPECT_EQ(to_vec(wire), (ByteVec{0xC0, 0x00, 0xD0, 0x00}));
    expect_error(pkt(0xC0, {0x00}), v, ReasonCode::kMalformedPacket);
    expect_error(pkt(0xD0, {0x00}), v, ReasonCode::kMalformedPacket);
    expect_error(pkt(0xC1, {}), v, ReasonCode::kMalformedPacket);
  }
}

TEST(Disconnect, RoundTrip) {
  Disconnect d;
  EXPECT_EQ(round_trip(d, Version::kV311), d);
  EXPECT_EQ(round_trip(d, Version::kV5), d);
  d.reason = ReasonCode::kDisconnectWithWill;
  EXPECT_EQ(round_trip(d, Version::kV5), d);
  d.reason = ReasonCode::kServerMoved;
  d.props.session_expiry_interval = 0;
  d.props.server_reference = "b:1883";
  d.props.reason_string = "moved";
  d.props.user_properties = two_user_props();
  EXPECT_EQ(round_trip(d, Version::kV5), d);
  std::string wire;
  encode(Packet{d}, Version::kV311, wire);
  EXPECT_EQ(to_vec(wire), (ByteVec{0xE0, 0x00}));
}

TEST(Disconnect, BytesAndErrors) {
  auto r = decode_packet(view(pkt(0xE0, {0x8E})), Version::kV5);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<Disconnect>(r.value()).reason, ReasonCode::kSessionTakenOver);
  auto r0 = decode_packet(view(pkt(0xE0, {})), Version::kV5);
  ASSERT_TRUE(r0.ok());
  EXPECT_EQ(std::get<Disconnect>(r0.value()).reason, ReasonCode::kSuccess);
  expect_error(pkt(0xE0, {0x00}), Version::kV311, ReasonCode::kMalformedPacket);
  expect_error(pkt(0xE0, {0x01}), Version::kV5, ReasonCode::kMalformedPacket);  // not allowed
  expect_error(pkt(0xE0, {0x00, 0x02, 0x12, 0x00}), Version::kV5, ReasonCode::kProtocolError);
  expect_error(pkt(0xE2, {}), Version::kV5, ReasonCode::kMalformedPacket);
}

TEST(Auth, RoundTripV5) {
  Auth a;
  EXPECT_EQ(round_trip(a, Version::kV5), a);
  a.reason = ReasonCode::kContinueAuthentication;
  a.props.authentication_method = "SCRAM-SHA-256";
  a.props.authentication_data = std::string("\x00\x01\x02", 3);
  a.props.reason_string = "more";
  a.props.user_properties = two_user_props();
  EXPECT_EQ(round_trip(a, Version::kV5), a);
}

TEST(Auth, NotInV311) {
  expect_error(pkt(0xF0, {}), Version::kV311, ReasonCode::kMalformedPacket);
  std::string wire;
  encode(Packet{Auth{}}, Version::kV311, wire);
  EXPECT_TRUE(wire.empty());
  EXPECT_EQ(encoded_size(Packet{Auth{}}, Version::kV311), 0u);
}

TEST(Auth, ErrorPaths) {
  expect_error(pkt(0xF0, {0x01}), Version::kV5, ReasonCode::kMalformedPacket);
  expect_error(pkt(0xF1, {}), Version::kV5, ReasonCode::kMalformedPacket);
  expect_error(pkt(0xF0, {0x18, 0x02, 0x11, 0x00}), Version::kV5, ReasonCode::kProtocolError);
  // Authentication method twice.
  expect_error(pkt(0xF0, {0x18, 0x08, 0x15, 0x00, 0x01, 'a', 0x15, 0x00, 0x01, 'b'}), Version::kV5,
               ReasonCode::kProtocolError);
}

}  // namespace
}  // namespace gridmq::protocol::test
