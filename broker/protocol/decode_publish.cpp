// PUBLISH (3.1.1 §3.3, 5.0 §3.3).

#include "decode.hpp"
#include "properties.hpp"
#include "topic.hpp"

namespace gridmq::protocol::detail {

Result<Packet> decode_publish(std::uint8_t flags, wire::Reader& r, Version v) {
  Publish p;
  p.retain = (flags & 0x01) != 0;
  p.qos = static_cast<std::uint8_t>((flags >> 1) & 0x03);
  p.dup = (flags & 0x08) != 0;
  if (p.qos == 3) {
    return malformed("PUBLISH QoS 3");
  }
  if (v == Version::kV5 && p.qos == 0 && p.dup) {
    return malformed("PUBLISH QoS 0 with DUP set");
  }
  if (!r.utf8(p.topic)) {
    return r.error();
  }
  if (p.qos > 0) {
    if (!r.u16(p.packet_id)) {
      return r.error();
    }
    if (p.packet_id == 0) {
      return malformed("PUBLISH packet identifier 0");
    }
  }
  if (v == Version::kV5) {
    if (auto err = props::read(r, props::Context::kPublish, p.props)) {
      return *err;
    }
  }
  if (p.topic.empty()) {
    if (v == Version::kV311) {
      return make_error(ReasonCode::kTopicNameInvalid, "empty topic name");
    }
    if (!p.props.topic_alias) {
      return protocol_error("empty topic name without topic alias");
    }
  } else if (has_wildcard(p.topic)) {
    return make_error(ReasonCode::kTopicNameInvalid, "wildcard in topic name");
  }
  if (!r.raw(r.remaining(), p.payload)) {
    return r.error();
  }
  return Packet{std::move(p)};
}

}  // namespace gridmq::protocol::detail
