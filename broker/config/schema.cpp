#include "config/schema.hpp"

#include <cstdint>
#include <limits>

#include "config/load.hpp"

namespace gridmq::config {
namespace {

constexpr std::int64_t kU16 = std::numeric_limits<std::uint16_t>::max();
constexpr std::int64_t kU32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::int64_t kI64 = std::numeric_limits<std::int64_t>::max();
// MQTT's largest remaining length (the default; a v5 client is told this maximum).
constexpr std::int64_t kMaxPacket = 268435455;

constexpr KeySpec kKeys[] = {
    {"broker.threads",
     [](const Value& v, BrokerConfig& c) { c.threads = v.integer_as<unsigned>(0, kMaxThreads); }},
    {"storage.data_dir",
     [](const Value& v, BrokerConfig& c) { c.data_dir = v.non_empty_string(); }},
    {"listener.url",
     [](const Value& v, BrokerConfig& c) {
       const std::string url = v.string();
       try {
         c.listeners.back() = parse_listen_url(url);
       } catch (const ConfigError& e) {
         fail_at(v.where(), std::string(v.where().key) + ": " + e.what());
       }
     }},
    {"mqtt.max_packet_size",
     [](const Value& v, BrokerConfig& c) {
       c.mqtt.max_packet_size = v.integer_as<std::uint32_t>(16, kMaxPacket);
     }},
    {"mqtt.receive_maximum",
     [](const Value& v, BrokerConfig& c) {
       c.mqtt.receive_maximum = v.integer_as<std::uint16_t>(1, kU16);
     }},
    {"mqtt.max_inflight",
     [](const Value& v, BrokerConfig& c) {
       c.mqtt.max_inflight = v.integer_as<std::uint16_t>(1, kU16);
     }},
    {"mqtt.max_keepalive",
     [](const Value& v, BrokerConfig& c) {
       c.mqtt.max_keepalive = v.integer_as<std::uint16_t>(0, kU16);
     }},
    {"mqtt.topic_alias_maximum",
     [](const Value& v, BrokerConfig& c) {
       c.mqtt.topic_alias_maximum = v.integer_as<std::uint16_t>(0, kU16);
     }},
    {"mqtt.max_session_expiry",
     [](const Value& v, BrokerConfig& c) {
       c.mqtt.max_session_expiry = v.integer_as<std::uint32_t>(0, kU32);
     }},
    {"mqtt.max_queued_messages",
     [](const Value& v, BrokerConfig& c) {
       c.mqtt.max_queued_messages = v.integer_as<std::uint32_t>(1, kU32);
     }},
    {"mqtt.max_queued_bytes",
     [](const Value& v, BrokerConfig& c) {
       c.mqtt.max_queued_bytes = v.integer_as<std::uint64_t>(1, kI64);
     }},
    {"mqtt.queue_qos0", [](const Value& v, BrokerConfig& c) { c.mqtt.queue_qos0 = v.boolean(); }},
    {"mqtt.retain_available",
     [](const Value& v, BrokerConfig& c) { c.mqtt.retain_available = v.boolean(); }},
    {"mqtt.wildcard_subscriptions",
     [](const Value& v, BrokerConfig& c) { c.mqtt.wildcard_subscriptions = v.boolean(); }},
    {"mqtt.shared_subscriptions",
     [](const Value& v, BrokerConfig& c) { c.mqtt.shared_subscriptions = v.boolean(); }},
    {"mqtt.subscription_identifiers",
     [](const Value& v, BrokerConfig& c) { c.mqtt.subscription_identifiers = v.boolean(); }},
    {"mqtt.maximum_qos",
     [](const Value& v, BrokerConfig& c) {
       c.mqtt.maximum_qos = v.integer_as<std::uint8_t>(0, 2);
     }},
    {"mqtt.max_client_id_length",
     [](const Value& v, BrokerConfig& c) {
       // MQTT 3.1.1 [MQTT-3.1.3-5]: a server must accept client ids of 1 to 23 characters.
       c.mqtt.max_client_id_length = v.integer_as<std::uint32_t>(23, kU16);
     }},
    {"mqtt.allow_zero_length_client_id",
     [](const Value& v, BrokerConfig& c) { c.mqtt.allow_zero_length_client_id = v.boolean(); }},
    {"mqtt.connect_timeout_ms",
     [](const Value& v, BrokerConfig& c) {
       c.mqtt.connect_timeout_ms = v.integer_as<std::uint32_t>(1, 3600000);
     }},
    {"limits.max_connections",
     [](const Value& v, BrokerConfig& c) {
       c.limits.max_connections = v.integer_as<std::uint32_t>(1, kU32);
     }},
    {"limits.max_output_buffer",
     [](const Value& v, BrokerConfig& c) {
       c.limits.max_output_buffer = v.integer_as<std::uint64_t>(1024, kI64);
     }},
    {"auth.acl_file", [](const Value& v, BrokerConfig& c) { c.auth.file = v.string(); }},
    {"log.level", [](const Value& v, BrokerConfig& c) { c.log.level = v.choice(kLogLevels); }},
    {"log.json", [](const Value& v, BrokerConfig& c) { c.log.json = v.boolean(); }},
};

constexpr std::string_view kTables[] = {"broker", "storage", "listener", "mqtt",
                                        "limits", "auth",    "log"};

}  // namespace

std::span<const KeySpec> known_keys() {
  return kKeys;
}

const KeySpec* find_key(std::string_view name) {
  for (const KeySpec& spec : kKeys) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

std::span<const std::string_view> known_tables() {
  return kTables;
}

}  // namespace gridmq::config
