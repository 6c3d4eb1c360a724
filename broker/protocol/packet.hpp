#pragma once
// In-memory form of every MQTT 3.1.1 and 5.0 control packet. One struct per packet; the codec
// (decoder.hpp / encoder.hpp) converts between these and bytes. No I/O here.
//
// Binary data (payloads, passwords, correlation data) is held in std::string as raw bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "reason_code.hpp"

namespace gridmq::protocol {

/// Protocol level byte of CONNECT.
enum class Version : std::uint8_t { kV311 = 4, kV5 = 5 };

enum class PacketType : std::uint8_t {
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

using UserProperties = std::vector<std::pair<std::string, std::string>>;

/// MQTT 5.0 properties (spec §2.2.2.2). Every property is optional; which ones a packet may carry
/// is checked by the decoder (a property not allowed in a packet is a Protocol Error / Malformed
/// Packet). For 3.1.1 packets the whole struct stays empty.
struct Properties {
  std::optional<std::uint8_t> payload_format_indicator;         // 0x01
  std::optional<std::uint32_t> message_expiry_interval;         // 0x02
  std::optional<std::string> content_type;                      // 0x03
  std::optional<std::string> response_topic;                    // 0x08
  std::optional<std::string> correlation_data;                  // 0x09 (binary)
  std::vector<std::uint32_t> subscription_identifiers;          // 0x0B (PUBLISH may carry several)
  std::optional<std::uint32_t> session_expiry_interval;         // 0x11
  std::optional<std::string> assigned_client_identifier;        // 0x12
  std::optional<std::uint16_t> server_keep_alive;               // 0x13
  std::optional<std::string> authentication_method;             // 0x15
  std::optional<std::string> authentication_data;               // 0x16 (binary)
  std::optional<std::uint8_t> request_problem_information;      // 0x17
  std::optional<std::uint32_t> will_delay_interval;             // 0x18
  std::optional<std::uint8_t> request_response_information;     // 0x19
  std::optional<std::string> response_information;              // 0x1A
  std::optional<std::string> server_reference;                  // 0x1C
  std::optional<std::string> reason_string;                     // 0x1F
  std::optional<std::uint16_t> receive_maximum;                 // 0x21
  std::optional<std::uint16_t> topic_alias_maximum;             // 0x22
  std::optional<std::uint16_t> topic_alias;                     // 0x23
  std::optional<std::uint8_t> maximum_qos;                      // 0x24
  std::optional<std::uint8_t> retain_available;                 // 0x25
  UserProperties user_properties;                               // 0x26 (repeatable, order kept)
  std::optional<std::uint32_t> maximum_packet_size;             // 0x27
  std::optional<std::uint8_t> wildcard_subscription_available;  // 0x28
  std::optional<std::uint8_t> subscription_identifiers_available;  // 0x29
  std::optional<std::uint8_t> shared_subscription_available;       // 0x2A

  bool operator==(const Properties&) const = default;
};

struct Will {
  std::string topic;
  std::string payload;  // binary
  std::uint8_t qos = 0;
  bool retain = false;
  Properties props;  // will properties (v5)
  bool operator==(const Will&) const = default;
};

struct Connect {
  Version version = Version::kV5;
  std::string client_id;    // may be empty
  bool clean_start = true;  // 3.1.1: clean session flag
  std::uint16_t keep_alive = 0;
  std::optional<Will> will;
  std::optional<std::string> username;
  std::optional<std::string> password;  // binary
  Properties props;
  bool operator==(const Connect&) const = default;
};

struct Connack {
  bool session_present = false;
  /// v5 reason code. For 3.1.1 the encoder writes to_connack_311(reason).
  ReasonCode reason = ReasonCode::kSuccess;
  Properties props;
  bool operator==(const Connack&) const = default;
};

struct Publish {
  std::string topic;  // may be empty in v5 when a topic alias is used
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;  // 0 for QoS 0
  Properties props;
  bool operator==(const Publish&) const = default;
};

/// PUBACK, PUBREC, PUBREL and PUBCOMP share one shape.
struct PubResponse {
  PacketType type = PacketType::kPuback;
  std::uint16_t packet_id = 0;
  ReasonCode reason = ReasonCode::kSuccess;
  Properties props;
  bool operator==(const PubResponse&) const = default;
};

struct SubscribeEntry {
  std::string filter;
  std::uint8_t qos = 0;
  bool no_local = false;             // v5
  bool retain_as_published = false;  // v5
  std::uint8_t retain_handling = 0;  // v5: 0, 1 or 2
  bool operator==(const SubscribeEntry&) const = default;
};

struct Subscribe {
  std::uint16_t packet_id = 0;
  std::vector<SubscribeEntry> entries;
  Properties props;
  bool operator==(const Subscribe&) const = default;
};

struct Suback {
  std::uint16_t packet_id = 0;
  /// One per entry. 3.1.1 allows only 0x00, 0x01, 0x02 and 0x80; the encoder maps every v5 error
  /// code (>= 0x80) to 0x80 for 3.1.1.
  std::vector<ReasonCode> reasons;
  Properties props;
  bool operator==(const Suback&) const = default;
};

struct Unsubscribe {
  std::uint16_t packet_id = 0;
  std::vector<std::string> filters;
  Properties props;
  bool operator==(const Unsubscribe&) const = default;
};

struct Unsuback {
  std::uint16_t packet_id = 0;
  std::vector<ReasonCode> reasons;  // v5 only; ignored for 3.1.1
  Properties props;
  bool operator==(const Unsuback&) const = default;
};

struct Pingreq {
  bool operator==(const Pingreq&) const = default;
};
struct Pingresp {
  bool operator==(const Pingresp&) const = default;
};

struct Disconnect {
  ReasonCode reason = ReasonCode::kSuccess;  // v5 only
  Properties props;
  bool operator==(const Disconnect&) const = default;
};

struct Auth {
  ReasonCode reason = ReasonCode::kSuccess;
  Properties props;
  bool operator==(const Auth&) const = default;
};

using Packet = std::variant<Connect, Connack, Publish, PubResponse, Subscribe, Suback, Unsubscribe,
                            Unsuback, Pingreq, Pingresp, Disconnect, Auth>;

PacketType packet_type(const Packet& p);

}  // namespace gridmq::protocol
