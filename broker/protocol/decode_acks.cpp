// CONNACK, PUBACK/PUBREC/PUBREL/PUBCOMP, SUBACK, UNSUBACK (3.1.1 §3.2/3.4-3.7/3.9/3.11,
// 5.0 same sections).

#include <algorithm>
#include <initializer_list>

#include "decode.hpp"
#include "properties.hpp"

namespace gridmq::protocol::detail {
namespace {

bool one_of(std::uint8_t code, std::initializer_list<std::uint8_t> allowed) {
  return std::find(allowed.begin(), allowed.end(), code) != allowed.end();
}

/// Reason codes each v5 packet may carry (5.0 §3.x.2.1 tables).
bool valid_reason(PacketType type, std::uint8_t code) {
  switch (type) {
    case PacketType::kConnack:
      return one_of(code, {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
                           0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F});
    case PacketType::kPuback:
    case PacketType::kPubrec:
      return one_of(code, {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99});
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
      return one_of(code, {0x00, 0x92});
    case PacketType::kSuback:
      return one_of(code, {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2});
    case PacketType::kUnsuback:
      return one_of(code, {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91});
    default:
      return false;
  }
}

Result<ReasonCode> read_reason(wire::Reader& r, PacketType type) {
  std::uint8_t code = 0;
  if (!r.u8(code)) {
    return r.error();
  }
  if (!valid_reason(type, code)) {
    return malformed("reason code not allowed in this packet");
  }
  return static_cast<ReasonCode>(code);
}

/// 3.1.1 CONNACK return code -> v5 reason code (inverse of to_connack_311 on its canonical codes).
std::optional<ReasonCode> from_connack_311(std::uint8_t code) {
  switch (code) {
    case 0:
      return ReasonCode::kSuccess;
    case 1:
      return ReasonCode::kUnsupportedProtocolVersion;
    case 2:
      return ReasonCode::kClientIdentifierNotValid;
    case 3:
      return ReasonCode::kServerUnavailable;
    case 4:
      return ReasonCode::kBadUserNameOrPassword;
    case 5:
      return ReasonCode::kNotAuthorized;
    default:
      return std::nullopt;
  }
}

Result<std::uint16_t> read_packet_id(wire::Reader& r) {
  std::uint16_t id = 0;
  if (!r.u16(id)) {
    return r.error();
  }
  if (id == 0) {
    return malformed("packet identifier 0");
  }
  return id;
}

}  // namespace

Result<Packet> decode_connack(wire::Reader& r, Version v) {
  Connack c;
  std::uint8_t ack_flags = 0;
  if (!r.u8(ack_flags)) {
    return r.error();
  }
  if ((ack_flags & 0xFE) != 0) {
    return malformed("CONNACK reserved flags set");
  }
  c.session_present = (ack_flags & 0x01) != 0;
  if (v == Version::kV5) {
    auto reason = read_reason(r, PacketType::kConnack);
    if (!reason.ok()) {
      return reason.error();
    }
    c.reason = reason.value();
    if (auto err = props::read(r, props::Context::kConnack, c.props)) {
      return *err;
    }
  } else {
    std::uint8_t code = 0;
    if (!r.u8(code)) {
      return r.error();
    }
    auto reason = from_connack_311(code);
    if (!reason) {
      return malformed("unknown CONNACK return code");
    }
    c.reason = *reason;
  }
  if (c.session_present && c.reason != ReasonCode::kSuccess) {
    return protocol_error("session present with a failed CONNACK");
  }
  return Packet{std::move(c)};
}

Result<Packet> decode_pub_response(PacketType type, wire::Reader& r, Version v) {
  PubResponse p;
  p.type = type;
  auto id = read_packet_id(r);
  if (!id.ok()) {
    return id.error();
  }
  p.packet_id = id.value();
  // v5: remaining length 2 means Success and no properties; 3 means a reason code only.
  if (v == Version::kV5 && !r.empty()) {
    auto reason = read_reason(r, type);
    if (!reason.ok()) {
      return reason.error();
    }
    p.reason = reason.value();
    if (!r.empty()) {
      if (auto err = props::read(r, props::Context::kPubResponse, p.props)) {
        return *err;
      }
    }
  }
  return Packet{std::move(p)};
}

Result<Packet> decode_suback(wire::Reader& r, Version v) {
  Suback s;
  auto id = read_packet_id(r);
  if (!id.ok()) {
    return id.error();
  }
  s.packet_id = id.value();
  if (v == Version::kV5) {
    if (auto err = props::read(r, props::Context::kSuback, s.props)) {
      return *err;
    }
  }
  if (r.empty()) {
    return protocol_error("SUBACK without reason codes");
  }
  s.reasons.reserve(r.remaining());
  while (!r.empty()) {
    std::uint8_t code = 0;
    if (!r.u8(code)) {
      return r.error();
    }
    const bool ok = v == Version::kV5 ? valid_reason(PacketType::kSuback, code)
                                      : (code <= 0x02 || code == 0x80);
    if (!ok) {
      return malformed("reason code not allowed in SUBACK");
    }
    s.reasons.push_back(static_cast<ReasonCode>(code));
  }
  return Packet{std::move(s)};
}

Result<Packet> decode_unsuback(wire::Reader& r, Version v) {
  Unsuback u;
  auto id = read_packet_id(r);
  if (!id.ok()) {
    return id.error();
  }
  u.packet_id = id.value();
  if (v == Version::kV311) {
    return Packet{std::move(u)};  // 3.1.1 UNSUBACK has no payload; trailing bytes are malformed
  }
  if (auto err = props::read(r, props::Context::kUnsuback, u.props)) {
    return *err;
  }
  if (r.empty()) {
    return protocol_error("UNSUBACK without reason codes");
  }
  u.reasons.reserve(r.remaining());
  while (!r.empty()) {
    auto reason = read_reason(r, PacketType::kUnsuback);
    if (!reason.ok()) {
      return reason.error();
    }
    u.reasons.push_back(reason.value());
  }
  return Packet{std::move(u)};
}

}  // namespace gridmq::protocol::detail
