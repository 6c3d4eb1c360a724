// DISCONNECT and AUTH (5.0 §3.14/3.15; 3.1.1 DISCONNECT has no body).

#include <algorithm>
#include <array>

#include "decode.hpp"
#include "properties.hpp"

namespace gridmq::protocol::detail {
namespace {

bool valid_disconnect_reason(std::uint8_t code) {
  static constexpr std::array<std::uint8_t, 29> kAllowed = {
      0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94,
      0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2};
  return std::find(kAllowed.begin(), kAllowed.end(), code) != kAllowed.end();
}

bool valid_auth_reason(std::uint8_t code) {
  return code == 0x00 || code == 0x18 || code == 0x19;
}

}  // namespace

Result<Packet> decode_disconnect(wire::Reader& r, Version v) {
  Disconnect d;
  // 3.1.1: remaining length is 0; decode_packet() rejects any byte left. v5: length 0 means
  // Normal disconnection and no properties; 1 means a reason code only.
  if (v == Version::kV5 && !r.empty()) {
    std::uint8_t code = 0;
    if (!r.u8(code)) {
      return r.error();
    }
    if (!valid_disconnect_reason(code)) {
      return malformed("reason code not allowed in DISCONNECT");
    }
    d.reason = static_cast<ReasonCode>(code);
    if (!r.empty()) {
      if (auto err = props::read(r, props::Context::kDisconnect, d.props)) {
        return *err;
      }
    }
  }
  return Packet{std::move(d)};
}

Result<Packet> decode_auth(wire::Reader& r) {
  Auth a;
  if (!r.empty()) {
    std::uint8_t code = 0;
    if (!r.u8(code)) {
      return r.error();
    }
    if (!valid_auth_reason(code)) {
      return malformed("reason code not allowed in AUTH");
    }
    a.reason = static_cast<ReasonCode>(code);
    if (!r.empty()) {
      if (auto err = props::read(r, props::Context::kAuth, a.props)) {
        return *err;
      }
    }
  }
  return Packet{std::move(a)};
}

}  // namespace gridmq::protocol::detail
