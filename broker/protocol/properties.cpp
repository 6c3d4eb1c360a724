#include "properties.hpp"

#include "codec.hpp"
#include "topic.hpp"

namespace gridmq::protocol::props {
namespace {

constexpr std::uint16_t bit(Context c) {
  return static_cast<std::uint16_t>(1u << static_cast<unsigned>(c));
}

constexpr std::uint16_t kAll =
    bit(Context::kConnect) | bit(Context::kWill) | bit(Context::kConnack) | bit(Context::kPublish) |
    bit(Context::kPubResponse) | bit(Context::kSubscribe) | bit(Context::kSuback) |
    bit(Context::kUnsubscribe) | bit(Context::kUnsuback) | bit(Context::kDisconnect) |
    bit(Context::kAuth);
constexpr std::uint16_t kMessage = bit(Context::kPublish) | bit(Context::kWill);

/// Contexts a property id may appear in; 0 for an id MQTT 5.0 does not define.
constexpr std::uint16_t allowed_in(std::uint8_t id) {
  switch (id) {
    case 0x01:
    case 0x02:
    case 0x03:
    case 0x08:
    case 0x09:
      return kMessage;
    case 0x0B:
      return bit(Context::kPublish) | bit(Context::kSubscribe);
    case 0x11:
      return bit(Context::kConnect) | bit(Context::kConnack) | bit(Context::kDisconnect);
    case 0x12:
    case 0x13:
    case 0x1A:
    case 0x24:
    case 0x25:
    case 0x28:
    case 0x29:
    case 0x2A:
      return bit(Context::kConnack);
    case 0x15:
    case 0x16:
      return bit(Context::kConnect) | bit(Context::kConnack) | bit(Context::kAuth);
    case 0x17:
    case 0x19:
      return bit(Context::kConnect);
    case 0x18:
      return bit(Context::kWill);
    case 0x1C:
      return bit(Context::kConnack) | bit(Context::kDisconnect);
    case 0x1F:
      return bit(Context::kConnack) | bit(Context::kPubResponse) | bit(Context::kSuback) |
             bit(Context::kUnsuback) | bit(Context::kDisconnect) | bit(Context::kAuth);
    case 0x21:
    case 0x22:
    case 0x27:
      return bit(Context::kConnect) | bit(Context::kConnack);
    case 0x23:
      return bit(Context::kPublish);
    case 0x26:
      return kAll;
    default:
      return 0;
  }
}

Error protocol_error(const char* what) {
  return make_error(ReasonCode::kProtocolError, what);
}

/// Reads one value into an optional that must still be empty.
template <class T, class ReadFn>
std::optional<Error> read_once(wire::Reader& r, std::optional<T>& field, ReadFn read) {
  T v{};
  if (!read(v)) {
    return r.error();
  }
  if (field) {
    return protocol_error("duplicate property");
  }
  field = std::move(v);
  return std::nullopt;
}

std::optional<Error> read_flag(wire::Reader& r, std::optional<std::uint8_t>& field) {
  auto err = read_once(r, field, [&r](std::uint8_t& v) { return r.u8(v); });
  if (!err && *field > 1) {
    return protocol_error("property value must be 0 or 1");
  }
  return err;
}

std::optional<Error> read_one(wire::Reader& r, std::uint8_t id, Context ctx, Properties& p) {
  auto u16 = [&r](std::uint16_t& v) { return r.u16(v); };
  auto u32 = [&r](std::uint32_t& v) { return r.u32(v); };
  auto utf8 = [&r](std::string& v) { return r.utf8(v); };
  auto binary = [&r](std::string& v) { return r.binary(v); };
  switch (id) {
    case 0x01:
      return read_flag(r, p.payload_format_indicator);
    case 0x02:
      return read_once(r, p.message_expiry_interval, u32);
    case 0x03:
      return read_once(r, p.content_type, utf8);
    case 0x08: {
      auto err = read_once(r, p.response_topic, utf8);
      if (!err && !valid_topic_name(*p.response_topic)) {
        return protocol_error("response topic is not a valid topic name");
      }
      return err;
    }
    case 0x09:
      return read_once(r, p.correlation_data, binary);
    case 0x0B: {
      std::uint32_t v = 0;
      if (!r.varint(v)) {
        return r.error();
      }
      if (v == 0) {
        return protocol_error("subscription identifier 0");
      }
      if (ctx != Context::kPublish && !p.subscription_identifiers.empty()) {
        return protocol_error("duplicate property");
      }
      p.subscription_identifiers.push_back(v);
      return std::nullopt;
    }
    case 0x11:
      return read_once(r, p.session_expiry_interval, u32);
    case 0x12:
      return read_once(r, p.assigned_client_identifier, utf8);
    case 0x13:
      return read_once(r, p.server_keep_alive, u16);
    case 0x15:
      return read_once(r, p.authentication_method, utf8);
    case 0x16:
      return read_once(r, p.authentication_data, binary);
    case 0x17:
      return read_flag(r, p.request_problem_information);
    case 0x18:
      return read_once(r, p.will_delay_interval, u32);
    case 0x19:
      return read_flag(r, p.request_response_information);
    case 0x1A:
      return read_once(r, p.response_information, utf8);
    case 0x1C:
      return read_once(r, p.server_reference, utf8);
    case 0x1F:
      return read_once(r, p.reason_string, utf8);
    case 0x21: {
      auto err = read_once(r, p.receive_maximum, u16);
      if (!err && *p.receive_maximum == 0) {
        return protocol_error("receive maximum 0");
      }
      return err;
    }
    case 0x22:
      return read_once(r, p.topic_alias_maximum, u16);
    case 0x23: {
      auto err = read_once(r, p.topic_alias, u16);
      if (!err && *p.topic_alias == 0) {
        return make_error(ReasonCode::kTopicAliasInvalid, "topic alias 0");
      }
      return err;
    }
    case 0x24:
      return read_flag(r, p.maximum_qos);
    case 0x25:
      return read_flag(r, p.retain_available);
    case 0x26: {
      std::string k;
      std::string v;
      if (!r.utf8(k) || !r.utf8(v)) {
        return r.error();
      }
      p.user_properties.emplace_back(std::move(k), std::move(v));
      return std::nullopt;
    }
    case 0x27: {
      auto err = read_once(r, p.maximum_packet_size, u32);
      if (!err && *p.maximum_packet_size == 0) {
        return protocol_error("maximum packet size 0");
      }
      return err;
    }
    case 0x28:
      return read_flag(r, p.wildcard_subscription_available);
    case 0x29:
      return read_flag(r, p.subscription_identifiers_available);
    case 0x2A:
      return read_flag(r, p.shared_subscription_available);
    default:
      return make_error(ReasonCode::kMalformedPacket, "unknown property");
  }
}

}  // namespace

std::optional<Error> read(wire::Reader& r, Context ctx, Properties& out) {
  std::uint32_t len = 0;
  wire::Reader block(Bytes{});
  if (!r.varint(len) || !r.sub(len, block)) {
    return r.error();
  }
  while (!block.empty()) {
    // Property identifiers are varints on the wire; every defined one fits in a single byte.
    std::uint32_t id = 0;
    if (!block.varint(id)) {
      return block.error();
    }
    const std::uint16_t allowed = id <= 0xFF ? allowed_in(static_cast<std::uint8_t>(id)) : 0;
    if (allowed == 0) {
      return make_error(ReasonCode::kMalformedPacket, "unknown property");
    }
    if ((allowed & bit(ctx)) == 0) {
      return protocol_error("property not allowed in this packet");
    }
    if (auto err = read_one(block, static_cast<std::uint8_t>(id), ctx, out)) {
      return err;
    }
  }
  return std::nullopt;
}

}  // namespace gridmq::protocol::props

namespace gridmq::protocol {

std::size_t properties_size(const Properties& props) {
  wire::Counter c;
  props::emit(c, props);
  return c.size();
}

}  // namespace gridmq::protocol
