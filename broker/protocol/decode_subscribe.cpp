// SUBSCRIBE and UNSUBSCRIBE (3.1.1 §3.8/3.10, 5.0 §3.8/3.10). Filter syntax is not checked here:
// in v5 an invalid filter is answered per entry in the SUBACK (0x8F), which is the session's call.

#include "decode.hpp"
#include "properties.hpp"
#include "topic.hpp"

namespace gridmq::protocol::detail {
namespace {

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

Result<Packet> decode_subscribe(wire::Reader& r, Version v) {
  Subscribe s;
  auto id = read_packet_id(r);
  if (!id.ok()) {
    return id.error();
  }
  s.packet_id = id.value();
  if (v == Version::kV5) {
    if (auto err = props::read(r, props::Context::kSubscribe, s.props)) {
      return *err;
    }
  }
  if (r.empty()) {
    return protocol_error("SUBSCRIBE without topic filters");
  }
  while (!r.empty()) {
    SubscribeEntry e;
    std::uint8_t opts = 0;
    if (!r.utf8(e.filter) || !r.u8(opts)) {
      return r.error();
    }
    e.qos = opts & 0x03;
    if (e.qos == 3) {
      return malformed("subscription QoS 3");
    }
    if (v == Version::kV311) {
      if ((opts & 0xFC) != 0) {
        return malformed("reserved subscription option bits set");
      }
    } else {
      if ((opts & 0xC0) != 0) {
        return malformed("reserved subscription option bits set");
      }
      e.no_local = (opts & 0x04) != 0;
      e.retain_as_published = (opts & 0x08) != 0;
      e.retain_handling = static_cast<std::uint8_t>((opts >> 4) & 0x03);
      if (e.retain_handling == 3) {
        return protocol_error("retain handling 3");
      }
      if (e.no_local && parse_shared_filter(e.filter)) {
        return protocol_error("no local on a shared subscription");
      }
    }
    s.entries.push_back(std::move(e));
  }
  return Packet{std::move(s)};
}

Result<Packet> decode_unsubscribe(wire::Reader& r, Version v) {
  Unsubscribe u;
  auto id = read_packet_id(r);
  if (!id.ok()) {
    return id.error();
  }
  u.packet_id = id.value();
  if (v == Version::kV5) {
    if (auto err = props::read(r, props::Context::kUnsubscribe, u.props)) {
      return *err;
    }
  }
  if (r.empty()) {
    return protocol_error("UNSUBSCRIBE without topic filters");
  }
  while (!r.empty()) {
    std::string filter;
    if (!r.utf8(filter)) {
      return r.error();
    }
    u.filters.push_back(std::move(filter));
  }
  return Packet{std::move(u)};
}

}  // namespace gridmq::protocol::detail
