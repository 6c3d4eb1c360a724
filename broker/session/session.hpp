#pragma once
// Session: the MQTT state that outlives a network connection (MQTT-4.1): subscriptions, the
// outbound in-flight window and queue, inbound QoS 2 packet ids, expiry.
//
// THREADING: a Session is shared between the worker of its current connection and every thread
// that routes messages to it. All mutable state is reached only through lock(), which returns a
// guard plus a reference to the state. The connection that owns the session is recorded in
// State::owner; a connection that lost the session (takeover) must not touch State any more.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "protocol/packet.hpp"
#include "routing/message.hpp"
#include "routing/subscription_tree.hpp"
#include "session/fifo.hpp"
#include "session/packet_id_set.hpp"
#include "session/small_mutex.hpp"

namespace gridmq::session {

class Peer;
using routing::Clock;
using routing::MessagePtr;

/// A message waiting to be sent to one subscriber.
struct Delivery {
  MessagePtr msg;
  std::uint8_t qos = 0;
  bool retain = false;  // retain flag as it goes out
  std::vector<std::uint32_t> subscription_ids;
  /// Durable queue entry sequence number of this delivery; 0 = not stored.
  std::uint64_t seq = 0;
  /// When it was queued ([mqtt] max_queued_age_s).
  Clock::time_point queued_at{};
};

/// Bytes a queued delivery is charged against the session's queue quota.
inline std::size_t delivery_bytes(const Delivery& d) {
  return d.msg->topic.size() + d.msg->payload.size() + 64;
}

/// An outbound QoS 1/2 message sent and not yet completed.
struct Inflight {
  std::uint16_t packet_id = 0;
  Delivery delivery;
  bool released = false;  // QoS 2: PUBREC received, PUBREL sent, waiting for PUBCOMP
};

struct StoredSubscription {
  protocol::SubscribeEntry entry;
  std::uint32_t subscription_id = 0;
};

class Session {
 public:
  struct State {
    // The small members first, packed (an idle connection's memory is a benchmarked target).
    protocol::Version version = protocol::Version::kV5;
    std::uint16_t last_packet_id = 0;
    std::uint32_t expiry_interval = 0;  // seconds; 0xFFFFFFFF = never
    std::uint32_t dropped = 0;         // deliveries dropped by the queue limits (count, bytes, age)
    std::uint32_t dropped_logged = 0;  // `dropped` when the last log line about it was written
    std::uint64_t last_seq = 0;        // durable queue entries: the last sequence number given out
    /// A handful per session (a meter has one or two): a vector beats a map in memory and time.
    std::vector<StoredSubscription> subscriptions;
    Fifo<Delivery> queue;
    std::size_t queued_bytes = 0;
    std::vector<Inflight> inflight;  // in send order
    PacketIdSet inbound_qos2;        // PUBREC sent, PUBREL not yet received
    /// The connection that owns the session now; null while offline.
    std::shared_ptr<Peer> owner;
    /// When an offline session expires (set on disconnect).
    Clock::time_point expires_at = Clock::time_point::max();
    /// When the last connection ended (durable record: lets expiry count across restarts).
    Clock::time_point disconnected_at{};
  };

  class Locked {
   public:
    Locked(SmallMutex& mu, State& s) : lock_(mu), state_(s) {}
    State* operator->() { return &state_; }
    State& operator*() { return state_; }

   private:
    std::unique_lock<SmallMutex> lock_;
    State& state_;
  };

  Session(std::string client_id, routing::SubscriberKey key)
      : client_id_(std::move(client_id)), key_(key) {}

  const std::string& client_id() const { return client_id_; }
  routing::SubscriberKey key() const { return key_; }
  Locked lock() { return Locked(mu_, state_); }

 private:
  const std::string client_id_;
  const routing::SubscriberKey key_;
  SmallMutex mu_;
  State state_;  // guarded by mu_
};

using SessionPtr = std::shared_ptr<Session>;

/// The stored subscription for `filter`, or null.
StoredSubscription* find_subscription(Session::State& s, std::string_view filter);

/// Next free packet id for an outbound message (skips ids still in flight; never 0).
std::uint16_t next_packet_id(Session::State& s);

}  // namespace gridmq::session
