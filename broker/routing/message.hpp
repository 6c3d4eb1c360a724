#pragma once
// An application message as the broker routes it: decoded once, shared (immutable) by every queue
// and subscriber it reaches.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "protocol/packet.hpp"

namespace gridmq::routing {

using Clock = std::chrono::steady_clock;

struct Message {
  std::string topic;
  std::string payload;
  std::uint8_t qos = 0;
  bool retain = false;
  /// Publication properties forwarded to subscribers (payload format, content type, response
  /// topic, correlation data, user properties). Never topic alias or subscription identifiers; the
  /// message expiry interval is carried by expires_at instead and recomputed at send time.
  protocol::Properties props;
  /// When the message expires (v5 message expiry interval), if it does.
  std::optional<Clock::time_point> expires_at;
  /// Subscriber key of the publishing session (for no-local); 0 when published by the broker.
  std::uint64_t origin = 0;
  /// Storage id of the message body; 0 while it is not stored.
  std::uint64_t id = 0;
  /// Durable queue entries referencing the stored body: the body is deleted with the last one.
  mutable std::atomic<std::uint32_t> durable_refs{0};
  /// False from the moment queue entries of this message exist in memory until their commit has
  /// been handed to the store: a subscriber must not send (and so ack) an entry whose creation
  /// could reach the store after its deletion.
  mutable std::atomic<bool> storage_submitted{true};
};

using MessagePtr = std::shared_ptr<const Message>;

inline bool expired(const Message& m, Clock::time_point now) {
  return m.expires_at && *m.expires_at <= now;
}

}  // namespace gridmq::routing
