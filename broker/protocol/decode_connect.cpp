// CONNECT (3.1.1 §3.1, 5.0 §3.1).

#include "codec.hpp"
#include "decode.hpp"
#include "properties.hpp"
#include "topic.hpp"

namespace gridmq::protocol {
namespace detail {
namespace {

constexpr std::uint8_t kFlagReserved = 0x01;
constexpr std::uint8_t kFlagCleanStart = 0x02;
constexpr std::uint8_t kFlagWill = 0x04;
constexpr std::uint8_t kFlagWillRetain = 0x20;
constexpr std::uint8_t kFlagPassword = 0x40;
constexpr std::uint8_t kFlagUsername = 0x80;

Result<Version> read_protocol(wire::Reader& r) {
  std::string name;
  std::uint8_t level = 0;
  if (!r.binary(name) || !r.u8(level)) {
    return r.error();
  }
  if (name != "MQTT") {
    // Includes "MQIsdp" (MQTT 3.1, level 3), which gridmq does not speak.
    return make_error(ReasonCode::kUnsupportedProtocolVersion, "unsupported protocol name");
  }
  if (level != static_cast<std::uint8_t>(Version::kV311) &&
      level != static_cast<std::uint8_t>(Version::kV5)) {
    return make_error(ReasonCode::kUnsupportedProtocolVersion, "unsupported protocol level");
  }
  return static_cast<Version>(level);
}

}  // namespace

Result<Connect> decode_connect_body(std::uint8_t flags, wire::Reader& r) {
  if (flags != 0) {
    return malformed("CONNECT fixed header flags must be 0");
  }
  auto version = read_protocol(r);
  if (!version.ok()) {
    return version.error();
  }
  Connect c;
  c.version = version.value();
  const bool v5 = c.version == Version::kV5;

  std::uint8_t cf = 0;
  if (!r.u8(cf) || !r.u16(c.keep_alive)) {
    return r.error();
  }
  if ((cf & kFlagReserved) != 0) {
    return malformed("CONNECT reserved flag set");
  }
  const std::uint8_t will_qos = (cf >> 3) & 0x03;
  const bool has_will = (cf & kFlagWill) != 0;
  if (!has_will && (will_qos != 0 || (cf & kFlagWillRetain) != 0)) {
    return malformed("will QoS or retain without will flag");
  }
  if (will_qos == 3) {
    return malformed("will QoS 3");
  }
  if (!v5 && (cf & kFlagPassword) != 0 && (cf & kFlagUsername) == 0) {
    return malformed("password without user name");
  }
  c.clean_start = (cf & kFlagCleanStart) != 0;

  if (v5) {
    if (auto err = props::read(r, props::Context::kConnect, c.props)) {
      return *err;
    }
    if (c.props.authentication_data && !c.props.authentication_method) {
      return protocol_error("authentication data without authentication method");
    }
  }
  if (!r.utf8(c.client_id)) {
    return r.error();
  }
  if (has_will) {
    Will w;
    w.qos = will_qos;
    w.retain = (cf & kFlagWillRetain) != 0;
    if (v5) {
      if (auto err = props::read(r, props::Context::kWill, w.props)) {
        return *err;
      }
    }
    if (!r.utf8(w.topic) || !r.binary(w.payload)) {
      return r.error();
    }
    if (!valid_topic_name(w.topic)) {
      return make_error(ReasonCode::kTopicNameInvalid, "invalid will topic");
    }
    c.will = std::move(w);
  }
  if ((cf & kFlagUsername) != 0) {
    c.username.emplace();
    if (!r.utf8(*c.username)) {
      return r.error();
    }
  }
  if ((cf & kFlagPassword) != 0) {
    c.password.emplace();
    if (!r.binary(*c.password)) {
      return r.error();
    }
  }
  if (!r.empty()) {
    return malformed("bytes after the end of CONNECT");
  }
  return c;
}

}  // namespace detail

Result<Connect> decode_connect(Bytes packet) {
  auto frame = detail::read_frame(packet);
  if (!frame.ok()) {
    return frame.error();
  }
  if (frame->type() != PacketType::kConnect) {
    return detail::protocol_error("expected CONNECT");
  }
  wire::Reader r(packet.subspan(frame->header_length));
  return detail::decode_connect_body(frame->first_byte & 0x0F, r);
}

}  // namespace gridmq::protocol
