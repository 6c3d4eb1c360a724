#pragma once
// Internal to the codec: reading and writing the MQTT 5.0 property block (spec §2.2.2).

#include <optional>

#include "packet.hpp"
#include "result.hpp"
#include "wire.hpp"

namespace gridmq::protocol::props {

/// Where a property block sits; decides which properties are allowed (spec §2.2.2.2 table).
enum class Context : std::uint8_t {
  kConnect,
  kWill,
  kConnack,
  kPublish,
  kPubResponse,  // PUBACK, PUBREC, PUBREL, PUBCOMP
  kSubscribe,
  kSuback,
  kUnsubscribe,
  kUnsuback,
  kDisconnect,
  kAuth,
};

/// Reads the property length and the properties that follow into `out`.
/// Errors: unknown property id or bad length -> Malformed Packet; a property not allowed in
/// `ctx`, a duplicate of a non-repeatable property, or an out-of-range value -> Protocol Error
/// (Topic Alias 0 -> Topic Alias Invalid).
std::optional<Error> read(wire::Reader& r, Context ctx, Properties& out);

/// Writes every property that is set (no filtering by packet), without the length prefix.
template <class Sink>
void emit_list(Sink& s, const Properties& p) {
  auto byte = [&s](std::uint8_t id, const std::optional<std::uint8_t>& v) {
    if (v) {
      s.u8(id);
      s.u8(*v);
    }
  };
  auto two = [&s](std::uint8_t id, const std::optional<std::uint16_t>& v) {
    if (v) {
      s.u8(id);
      s.u16(*v);
    }
  };
  auto four = [&s](std::uint8_t id, const std::optional<std::uint32_t>& v) {
    if (v) {
      s.u8(id);
      s.u32(*v);
    }
  };
  auto str = [&s](std::uint8_t id, const std::optional<std::string>& v) {
    if (v) {
      s.u8(id);
      s.str(*v);
    }
  };
  byte(0x01, p.payload_format_indicator);
  four(0x02, p.message_expiry_interval);
  str(0x03, p.content_type);
  str(0x08, p.response_topic);
  str(0x09, p.correlation_data);
  for (std::uint32_t id : p.subscription_identifiers) {
    s.u8(0x0B);
    s.varint(id > wire::kMaxVarint ? wire::kMaxVarint : id);
  }
  four(0x11, p.session_expiry_interval);
  str(0x12, p.assigned_client_identifier);
  two(0x13, p.server_keep_alive);
  str(0x15, p.authentication_method);
  str(0x16, p.authentication_data);
  byte(0x17, p.request_problem_information);
  four(0x18, p.will_delay_interval);
  byte(0x19, p.request_response_information);
  str(0x1A, p.response_information);
  str(0x1C, p.server_reference);
  str(0x1F, p.reason_string);
  two(0x21, p.receive_maximum);
  two(0x22, p.topic_alias_maximum);
  two(0x23, p.topic_alias);
  byte(0x24, p.maximum_qos);
  byte(0x25, p.retain_available);
  for (const auto& [k, v] : p.user_properties) {
    s.u8(0x26);
    s.str(k);
    s.str(v);
  }
  four(0x27, p.maximum_packet_size);
  byte(0x28, p.wildcard_subscription_available);
  byte(0x29, p.subscription_identifiers_available);
  byte(0x2A, p.shared_subscription_available);
}

/// Writes the property block: length varint, then the properties.
template <class Sink>
void emit(Sink& s, const Properties& p) {
  wire::Counter c;
  emit_list(c, p);
  s.varint(static_cast<std::uint32_t>(c.size()));
  emit_list(s, p);
}

}  // namespace gridmq::protocol::props
