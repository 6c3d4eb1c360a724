#pragma once
// The broker's settings, as loaded from the TOML config file and the command line.
// Every field here has its key, default and meaning documented in config/gridmq.toml.

#include <cstdint>
#include <string>
#include <vector>

namespace gridmq::config {

struct Listener {
  std::string scheme = "tcp";      // "tcp" (later "tls", "ws", "wss")
  std::string host = "127.0.0.1";  // IPv6 without brackets ("::1"), or a host name
  std::uint16_t port = 1883;       // 0 = pick a free port (tests); the chosen port is logged
  bool operator==(const Listener&) const = default;
};

struct MqttLimits {
  std::uint32_t max_packet_size = 268435455;  // [mqtt] max_packet_size, bytes, inbound
  std::uint16_t receive_maximum = 1024;       // [mqtt] receive_maximum: inbound QoS1/2 in flight
  std::uint16_t max_inflight = 64;            // [mqtt] max_inflight: outbound QoS1/2 window cap
  std::uint16_t max_keepalive = 0;            // [mqtt] max_keepalive: 0 = accept client's value
  std::uint16_t topic_alias_maximum = 64;     // [mqtt] topic_alias_maximum (client -> broker)
  std::uint32_t max_session_expiry = 0xFFFFFFFF;  // [mqtt] max_session_expiry, seconds
  std::uint32_t max_queued_messages = 10000;      // [mqtt] max_queued_messages per session
  std::uint64_t max_queued_bytes = 64ull << 20;   // [mqtt] max_queued_bytes per session
  bool queue_qos0 = false;                   // [mqtt] queue_qos0: queue QoS 0 for offline sessions
  bool retain_available = true;              // [mqtt] retain_available
  bool wildcard_subscriptions = true;        // [mqtt] wildcard_subscriptions
  bool shared_subscriptions = true;          // [mqtt] shared_subscriptions
  bool subscription_identifiers = true;      // [mqtt] subscription_identifiers
  std::uint8_t maximum_qos = 2;              // [mqtt] maximum_qos
  std::uint32_t max_client_id_length = 128;  // [mqtt] max_client_id_length
  bool allow_zero_length_client_id = true;   // [mqtt] allow_zero_length_client_id
  std::uint32_t connect_timeout_ms = 10000;  // [mqtt] connect_timeout_ms: CONNECT must arrive
  bool operator==(const MqttLimits&) const = default;
};

struct Limits {
  std::uint32_t max_connections = 100000;        // [limits] max_connections
  std::uint64_t max_output_buffer = 4ull << 20;  // [limits] max_output_buffer per connection, bytes
  bool operator==(const Limits&) const = default;
};

struct Acl {
  std::string file;  // [auth] acl_file: "" = allow everything
  bool operator==(const Acl&) const = default;
};

struct Log {
  std::string level = "info";  // [log] level: trace|debug|info|warn|error|off
  bool json = false;           // [log] json: JSON lines instead of text
  bool operator==(const Log&) const = default;
};

struct BrokerConfig {
  std::vector<Listener> listeners{Listener{}};  // [[listener]] / --listen
  std::string data_dir = "./data";              // [storage] data_dir / --data-dir
  unsigned threads = 0;                         // [broker] threads / --threads: 0 = hardware
  MqttLimits mqtt;
  Limits limits;
  Acl auth;
  Log log;
  bool operator==(const BrokerConfig&) const = default;
};

}  // namespace gridmq::config
