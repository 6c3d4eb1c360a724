// decode_packet(): fixed-header flag rules and dispatch to the per-family decoders.

#include "codec.hpp"
#include "decode.hpp"

namespace gridmq::protocol {

namespace {

Result<Packet> dispatch(PacketType type, std::uint8_t flags, wire::Reader& r, Version version) {
  switch (type) {
    case PacketType::kConnect: {
      auto c = detail::decode_connect_body(flags, r);
      if (!c.ok()) {
        return c.error();
      }
      return Packet{std::move(c).value()};
    }
    case PacketType::kConnack:
      return detail::decode_connack(r, version);
    case PacketType::kPublish:
      return detail::decode_publish(flags, r, version);
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
      return detail::decode_pub_response(type, r, version);
    case PacketType::kSubscribe:
      return detail::decode_subscribe(r, version);
    case PacketType::kSuback:
      return detail::decode_suback(r, version);
    case PacketType::kUnsubscribe:
      return detail::decode_unsubscribe(r, version);
    case PacketType::kUnsuback:
      return detail::decode_unsuback(r, version);
    case PacketType::kPingreq:
      return Packet{Pingreq{}};
    case PacketType::kPingresp:
      return Packet{Pingresp{}};
    case PacketType::kDisconnect:
      return detail::decode_disconnect(r, version);
    case PacketType::kAuth:
      if (version != Version::kV5) {
        return detail::malformed("packet type 15 is reserved in MQTT 3.1.1");
      }
      return detail::decode_auth(r);
  }
  return detail::malformed("packet type 0 is reserved");
}

}  // namespace

Result<Packet> decode_packet(Bytes packet, Version version) {
  auto frame = detail::read_frame(packet);
  if (!frame.ok()) {
    return frame.error();
  }
  const std::uint8_t flags = frame->first_byte & 0x0F;
  const PacketType type = frame->type();
  wire::Reader r(packet.subspan(frame->header_length));

  // Fixed-header flags (5.0 §2.1.3, 3.1.1 §2.2.2): 0b0010 for PUBREL/SUBSCRIBE/UNSUBSCRIBE, PUBLISH
  // carries DUP/QoS/RETAIN, every other packet 0.
  switch (type) {
    case PacketType::kPublish:
      break;
    case PacketType::kPubrel:
    case PacketType::kSubscribe:
    case PacketType::kUnsubscribe:
      if (flags != 0x02) {
        return detail::malformed("fixed header flags must be 0010");
      }
      break;
    default:
      if (flags != 0) {
        return detail::malformed("fixed header flags must be 0");
      }
      break;
  }

  auto result = dispatch(type, flags, r, version);
  if (result.ok() && !r.empty()) {
    return detail::malformed("bytes after the end of the packet");
  }
  return result;
}

}  // namespace gridmq::protocol
