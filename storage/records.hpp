#pragma once
// The records gridmq keeps durable, as the broker sees them. The byte layouts (versioned, with a
// checksum) are the backend's business: see rocksdb/layout.hpp.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gridmq::storage {

/// Broker-assigned, monotonic id of a message body. A body is stored once however many queues
/// reference it; 0 is never a valid id.
using MessageId = std::uint64_t;

/// Wall-clock time in milliseconds since the Unix epoch (expiry must count down across restarts,
/// so durable times are wall-clock, not steady-clock).
using UnixMillis = std::int64_t;

struct StoredMessage {
  MessageId id = 0;
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  /// MQTT 5 publication properties to forward (payload format, content type, response topic,
  /// correlation data, user properties), as the broker encodes them (opaque to the store).
  std::string properties;
  UnixMillis expires_at = 0;  // 0 = never
  bool operator==(const StoredMessage&) const = default;
};

struct StoredSubscription {
  std::string filter;
  std::uint8_t qos = 0;
  bool no_local = false;
  bool retain_as_published = false;
  std::uint8_t retain_handling = 0;
  std::uint32_t subscription_id = 0;
  bool operator==(const StoredSubscription&) const = default;
};

/// A persistent session (MQTT 3.1.1 clean session 0, MQTT 5 session expiry > 0).
struct StoredSession {
  std::string client_id;
  std::uint8_t protocol_version = 5;
  std::uint32_t expiry_interval = 0;  // seconds; 0xFFFFFFFF = never
  UnixMillis disconnected_at = 0;     // 0 = was connected when last written
  std::vector<StoredSubscription> subscriptions;
  /// QoS 2 packet ids received (PUBREC sent) and not yet released by PUBREL.
  std::vector<std::uint16_t> inbound_qos2;
  bool operator==(const StoredSession&) const = default;
};

/// One message waiting in (or in flight from) a session's queue. Entries of a session are ordered
/// by `seq` (assigned by the broker, increasing per session).
struct QueueEntry {
  std::uint64_t seq = 0;
  MessageId message = 0;
  std::uint8_t qos = 0;
  bool retain = false;
  std::vector<std::uint32_t> subscription_ids;
  std::uint16_t packet_id = 0;  // 0 = not sent yet
  bool released = false;        // QoS 2: PUBREC received, PUBREL sent
  UnixMillis queued_at = 0;     // when it was queued ([mqtt] max_queued_age_s); 0 = unknown
  bool operator==(const QueueEntry&) const = default;
};

}  // namespace gridmq::storage
