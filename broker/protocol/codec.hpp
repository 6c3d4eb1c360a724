#pragma once
// The MQTT codec: bytes <-> packets for 3.1.1 and 5.0. A pure library: no I/O, no exceptions on
// malformed input (every error is a Result carrying the reason code the broker must answer with).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "packet.hpp"
#include "result.hpp"

namespace gridmq::protocol {

using Bytes = std::span<const std::uint8_t>;

/// The fixed header of a packet: first byte (type + flags), remaining length and how many bytes the
/// fixed header itself took (1 + 1..4).
struct FixedHeader {
  std::uint8_t first_byte = 0;
  std::uint32_t remaining_length = 0;
  std::uint8_t header_length = 0;
  std::size_t total_length() const { return header_length + std::size_t{remaining_length}; }
  PacketType type() const { return static_cast<PacketType>(first_byte >> 4); }
};

/// Reads the fixed header at the start of `data`.
/// @return std::nullopt when more bytes are needed; an Error (Malformed Packet) for a remaining
///         length encoded in more than 4 bytes or a packet type of 0.
Result<std::optional<FixedHeader>> parse_fixed_header(Bytes data);

/// Decodes one complete CONNECT packet (fixed header included). The protocol version comes from the
/// packet. Errors: kUnsupportedProtocolVersion for a level other than 4 or 5 (or a bad protocol
/// name), kMalformedPacket / kProtocolError per spec, kClientIdentifierNotValid is NOT checked
/// here.
Result<Connect> decode_connect(Bytes packet);

/// Decodes one complete packet (fixed header included) received on a connection speaking
/// `version`. Checks fixed-header flags, lengths, UTF-8 (MQTT-1.5.4), which properties each packet
/// may carry, duplicate properties, QoS 3, packet id 0 where forbidden, wildcards in PUBLISH topics
/// (kTopicNameInvalid), empty SUBSCRIBE/UNSUBSCRIBE (kProtocolError), reserved subscription option
/// bits (kMalformedPacket). Topic-alias resolution is the session's job, not the codec's.
Result<Packet> decode_packet(Bytes packet, Version version);

/// Appends the wire encoding of `p` for `version` to `out`. v5-only fields are dropped for 3.1.1.
void encode(const Packet& p, Version version, std::string& out);

/// Appends a PUBLISH without building a Publish struct first (fan-out hot path).
/// `props` may be null. For 3.1.1 properties are ignored.
void encode_publish(Version version, std::string_view topic, std::string_view payload,
                    std::uint8_t qos, bool retain, bool dup, std::uint16_t packet_id,
                    const Properties* props, std::string& out);

/// Size in bytes that encode(p, version, ...) would append.
std::size_t encoded_size(const Packet& p, Version version);

/// Publication properties (those a PUBLISH may carry) as a standalone block, for storage: the
/// property-length varint followed by the properties, as in a v5 PUBLISH. Empty input decodes to
/// no properties.
void encode_publish_properties(const Properties& props, std::string& out);
Result<Properties> decode_publish_properties(Bytes bytes);

/// Size of the properties block of `props` for a packet (property length varint included).
std::size_t properties_size(const Properties& props);

}  // namespace gridmq::protocol
