// Encoder for every packet and both versions. Each packet has one body emitter templated on the
// sink, run once with a Counter (remaining length, encoded_size) and once with a Writer, so the
// size and the bytes can never disagree.

#include <algorithm>
#include <type_traits>

#include "codec.hpp"
#include "properties.hpp"
#include "wire.hpp"

namespace gridmq::protocol {
namespace {

bool has_properties(const Properties& p) {
  return !(p == Properties{});
}

constexpr std::uint8_t header_byte(PacketType t, std::uint8_t flags = 0) {
  return static_cast<std::uint8_t>((static_cast<unsigned>(t) << 4) | flags);
}

template <class S>
void publish_body(S& s, Version v, std::string_view topic, std::string_view payload,
                  std::uint8_t qos, std::uint16_t packet_id, const Properties* props) {
  s.str(topic);
  if (qos > 0) {
    s.u16(packet_id);
  }
  if (v == Version::kV5) {
    if (props != nullptr) {
      props::emit(s, *props);
    } else {
      s.varint(0);
    }
  }
  s.raw(payload);
}

std::uint8_t publish_header(std::uint8_t qos, bool retain, bool dup) {
  return header_byte(
      PacketType::kPublish,
      static_cast<std::uint8_t>((dup ? 0x08 : 0) | ((qos & 0x03) << 1) | (retain ? 0x01 : 0)));
}

/// Per-packet first byte and body. `skip` is true for a packet the version cannot carry.
struct Emit {
  Version v;

  std::uint8_t first(const Connect&) const { return header_byte(PacketType::kConnect); }
  template <class S>
  void body(S& s, const Connect& c) const {
    const bool v5 = v == Version::kV5;
    // 3.1.1 forbids a password without a user name (MQTT-3.1.2-22): it is dropped.
    const bool password = c.password && (v5 || c.username);
    std::uint8_t flags = c.clean_start ? 0x02 : 0;
    if (c.will) {
      flags |= static_cast<std::uint8_t>(0x04 | ((c.will->qos & 0x03) << 3) |
                                         (c.will->retain ? 0x20 : 0));
    }
    flags |= password ? 0x40 : 0;
    flags |= c.username ? 0x80 : 0;
    s.str("MQTT");
    s.u8(static_cast<std::uint8_t>(v));
    s.u8(flags);
    s.u16(c.keep_alive);
    if (v5) {
      props::emit(s, c.props);
    }
    s.str(c.client_id);
    if (c.will) {
      if (v5) {
        props::emit(s, c.will->props);
      }
      s.str(c.will->topic);
      s.str(c.will->payload);
    }
    if (c.username) {
      s.str(*c.username);
    }
    if (password) {
      s.str(*c.password);
    }
  }

  std::uint8_t first(const Connack&) const { return header_byte(PacketType::kConnack); }
  template <class S>
  void body(S& s, const Connack& c) const {
    const std::uint8_t code = v == Version::kV5
                                  ? static_cast<std::uint8_t>(c.reason)
                                  : static_cast<std::uint8_t>(to_connack_311(c.reason));
    // Session Present must be 0 with a non-zero return code (MQTT-3.2.2-4 / 3.2.2-6 in 5.0).
    s.u8(c.session_present && code == 0 ? 1 : 0);
    s.u8(code);
    if (v == Version::kV5) {
      props::emit(s, c.props);
    }
  }

  std::uint8_t first(const Publish& p) const { return publish_header(p.qos, p.retain, p.dup); }
  template <class S>
  void body(S& s, const Publish& p) const {
    publish_body(s, v, p.topic, p.payload, p.qos, p.packet_id, &p.props);
  }

  std::uint8_t first(const PubResponse& p) const {
    return header_byte(p.type, p.type == PacketType::kPubrel ? 0x02 : 0);
  }
  template <class S>
  void body(S& s, const PubResponse& p) const {
    s.u16(p.packet_id);
    reason_and_props(s, p.reason, p.props);
  }

  std::uint8_t first(const Subscribe&) const { return header_byte(PacketType::kSubscribe, 0x02); }
  template <class S>
  void body(S& s, const Subscribe& p) const {
    s.u16(p.packet_id);
    if (v == Version::kV5) {
      props::emit(s, p.props);
    }
    for (const SubscribeEntry& e : p.entries) {
      s.str(e.filter);
      std::uint8_t opts = e.qos & 0x03;
      if (v == Version::kV5) {
        opts |=
            static_cast<std::uint8_t>((e.no_local ? 0x04 : 0) | (e.retain_as_published ? 0x08 : 0) |
                                      ((e.retain_handling & 0x03) << 4));
      }
      s.u8(opts);
    }
  }

  std::uint8_t first(const Suback&) const { return header_byte(PacketType::kSuback); }
  template <class S>
  void body(S& s, const Suback& p) const {
    s.u16(p.packet_id);
    if (v == Version::kV5) {
      props::emit(s, p.props);
    }
    for (ReasonCode rc : p.reasons) {
      s.u8(v == Version::kV311 && is_error(rc) ? 0x80 : static_cast<std::uint8_t>(rc));
    }
  }

  std::uint8_t first(const Unsubscribe&) const {
    return header_byte(PacketType::kUnsubscribe, 0x02);
  }
  template <class S>
  void body(S& s, const Unsubscribe& p) const {
    s.u16(p.packet_id);
    if (v == Version::kV5) {
      props::emit(s, p.props);
    }
    for (const std::string& f : p.filters) {
      s.str(f);
    }
  }

  std::uint8_t first(const Unsuback&) const { return header_byte(PacketType::kUnsuback); }
  template <class S>
  void body(S& s, const Unsuback& p) const {
    s.u16(p.packet_id);
    if (v == Version::kV5) {
      props::emit(s, p.props);
      for (ReasonCode rc : p.reasons) {
        s.u8(static_cast<std::uint8_t>(rc));
      }
    }
  }

  std::uint8_t first(const Pingreq&) const { return header_byte(PacketType::kPingreq); }
  template <class S>
  void body(S&, const Pingreq&) const {}

  std::uint8_t first(const Pingresp&) const { return header_byte(PacketType::kPingresp); }
  template <class S>
  void body(S&, const Pingresp&) const {}

  std::uint8_t first(const Disconnect&) const { return header_byte(PacketType::kDisconnect); }
  template <class S>
  void body(S& s, const Disconnect& p) const {
    reason_and_props(s, p.reason, p.props);
  }

  std::uint8_t first(const Auth&) const { return header_byte(PacketType::kAuth); }
  template <class S>
  void body(S& s, const Auth& p) const {
    reason_and_props(s, p.reason, p.props);
  }

  /// v5 short forms: nothing for Success without properties, the reason alone without properties.
  template <class S>
  void reason_and_props(S& s, ReasonCode rc, const Properties& props) const {
    if (v != Version::kV5) {
      return;
    }
    const bool with_props = has_properties(props);
    if (rc == ReasonCode::kSuccess && !with_props) {
      return;
    }
    s.u8(static_cast<std::uint8_t>(rc));
    if (with_props) {
      props::emit(s, props);
    }
  }

  /// AUTH does not exist in 3.1.1: nothing is written for it.
  template <class P>
  bool skip(const P&) const {
    return v != Version::kV5 && std::is_same_v<P, Auth>;
  }
};

}  // namespace

void encode(const Packet& p, Version version, std::string& out) {
  std::visit(
      [&](const auto& packet) {
        const Emit e{version};
        if (e.skip(packet)) {
          return;
        }
        wire::Counter c;
        e.body(c, packet);
        const auto remaining = static_cast<std::uint32_t>(c.size());
        out.reserve(out.size() + 1 + wire::varint_size(remaining) + remaining);
        wire::Writer w(out);
        w.u8(e.first(packet));
        w.varint(remaining);
        e.body(w, packet);
      },
      p);
}

std::size_t encoded_size(const Packet& p, Version version) {
  return std::visit(
      [&](const auto& packet) -> std::size_t {
        const Emit e{version};
        if (e.skip(packet)) {
          return 0;
        }
        wire::Counter c;
        e.body(c, packet);
        return 1 + wire::varint_size(static_cast<std::uint32_t>(c.size())) + c.size();
      },
      p);
}

void encode_publish(Version version, std::string_view topic, std::string_view payload,
                    std::uint8_t qos, bool retain, bool dup, std::uint16_t packet_id,
                    const Properties* props, std::string& out) {
  const std::size_t props_len = version != Version::kV5 ? 0
                                : props != nullptr      ? properties_size(*props)
                                                        : 1;
  const std::size_t remaining =
      2 + std::min(topic.size(), wire::kMaxField) + (qos > 0 ? 2 : 0) + props_len + payload.size();
  const auto rem32 = static_cast<std::uint32_t>(remaining);
  out.reserve(out.size() + 1 + wire::varint_size(rem32) + remaining);
  wire::Writer w(out);
  w.u8(publish_header(qos, retain, dup));
  w.varint(rem32);
  publish_body(w, version, topic, payload, qos, packet_id, props);
}

}  // namespace gridmq::protocol
