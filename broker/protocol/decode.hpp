#pragma once
// Internal to the codec: per-packet-family decoders used by decode_packet(). Each takes the flag
// nibble of the fixed header and a reader over the variable header + payload; decode_packet()
// then checks that the reader was consumed exactly.

#include "codec.hpp"
#include "packet.hpp"
#include "result.hpp"
#include "wire.hpp"

namespace gridmq::protocol::detail {

inline Error malformed(const char* what) {
  return make_error(ReasonCode::kMalformedPacket, what);
}
inline Error protocol_error(const char* what) {
  return make_error(ReasonCode::kProtocolError, what);
}

/// Parses the fixed header of a complete packet and checks that `packet` holds exactly that
/// packet (no missing and no trailing bytes).
Result<FixedHeader> read_frame(Bytes packet);

/// CONNECT variable header + payload (decode_connect.cpp).
Result<Connect> decode_connect_body(std::uint8_t flags, wire::Reader& r);

Result<Packet> decode_publish(std::uint8_t flags, wire::Reader& r, Version v);
/// CONNACK, PUBACK/PUBREC/PUBREL/PUBCOMP, SUBACK, UNSUBACK (decode_acks.cpp).
Result<Packet> decode_connack(wire::Reader& r, Version v);
Result<Packet> decode_pub_response(PacketType type, wire::Reader& r, Version v);
Result<Packet> decode_suback(wire::Reader& r, Version v);
Result<Packet> decode_unsuback(wire::Reader& r, Version v);
/// SUBSCRIBE and UNSUBSCRIBE (decode_subscribe.cpp).
Result<Packet> decode_subscribe(wire::Reader& r, Version v);
Result<Packet> decode_unsubscribe(wire::Reader& r, Version v);
/// DISCONNECT and AUTH (decode_control.cpp). PINGREQ/PINGRESP have no body.
Result<Packet> decode_disconnect(wire::Reader& r, Version v);
Result<Packet> decode_auth(wire::Reader& r);

}  // namespace gridmq::protocol::detail
