#pragma once
// The broker's settings, as loaded from the TOML config file and the command line.
// Every field here has its key, default and meaning documented in config/gridmq.toml.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gridmq::config {

/// TLS settings of a tls:// listener ([[listener]] keys; see config/gridmq.toml). On a tcp://
/// listener they must stay at their defaults.
struct ListenerTls {
  std::string cert_file;  // server certificate chain (PEM); required for tls
  std::string key_file;   // its private key (PEM); required for tls
  std::string ca_file;    // CA bundle that client certificates must chain to (PEM)
  std::string crl_file;   // certificate revocation list(s) (PEM); "" = no CRL check
  bool require_client_cert = true;
  std::string min_tls_version = "1.2";  // "1.2" | "1.3"
  std::string ciphers =                 // TLS 1.2 cipher list, OpenSSL syntax
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
  std::string ciphersuites =  // TLS 1.3 cipher suites
      "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
  std::string groups = "X25519:P-256:P-384";  // key exchange groups
  std::uint32_t handshake_timeout_ms = 10000;
  bool operator==(const ListenerTls&) const = default;
};

struct Listener {
  Listener() = default;
  Listener(std::string url_scheme, std::string url_host, std::uint16_t url_port)
      : scheme(std::move(url_scheme)), host(std::move(url_host)), port(url_port) {}

  std::string scheme = "tcp";             // "tcp" or "tls" (later "ws", "wss")
  std::string host = "127.0.0.1";         // IPv6 without brackets ("::1"), or a host name
  std::uint16_t port = 1883;              // 0 = pick a free port (tests); the chosen port is logged
  std::uint32_t max_connection_rate = 0;  // new connections per second admitted; 0 = unlimited
  ListenerTls tls;                        // used when scheme == "tls"
  // [[listener]] auth: auto | anonymous | certificate | password | certificate_or_password;
  // "auto" is resolved by effective_listener_auth() (config/load.hpp).
  std::string auth = "auto";
  bool is_tls() const { return scheme == "tls"; }
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
  std::uint32_t max_queued_age_s = 604800;        // [mqtt] max_queued_age_s; 0 = no limit
  std::string queue_overflow = "refuse_new";      // [mqtt] queue_overflow: refuse_new | drop_oldest
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
  // Identity and authorization v2 (broker/auth: password_file, acl_engine, bindings).
  std::string password_file;                  // [auth] password_file: "" = no password logins
  std::string acl_policy_file;                // [auth] acl_policy_file: "" = metering profile
  std::string bindings_file;                  // [auth] bindings_file: "" = no hub has meters
  std::uint32_t failed_auth_delay_ms = 1000;  // [auth] failed_auth_delay_ms: 0..10000
  bool close_on_denied_publish = false;       // [auth] close_on_denied_publish (3.1.1 clients)
  bool operator==(const Acl&) const = default;
};

struct Identity {
  std::string id_from = "cn";                  // [identity] id_from: cn | san_uri
  std::string role_from = "ou";                // [identity] role_from: ou | san_uri
  std::string san_uri_prefix = "urn:gridmq:";  // [identity] san_uri_prefix: non-empty
  bool require_client_id_match = true;         // [identity] require_client_id_match
  bool operator==(const Identity&) const = default;
};

struct Log {
  std::string level = "info";  // [log] level: trace|debug|info|warn|error|off
  bool json = false;           // [log] json: JSON lines instead of text
  bool operator==(const Log&) const = default;
};

struct Storage {
  std::string sync = "sync";                  // [storage] sync: sync | batched | none
  std::uint32_t group_commit_delay_us = 500;  // [storage] group_commit_delay_us
  std::uint32_t batch_interval_ms = 10;       // [storage] batch_interval_ms (sync = "batched")
  bool quarantine_corrupt = false;            // [storage] quarantine_corrupt
  bool operator==(const Storage&) const = default;
};

struct PluginTable;  // config/plugin_section.hpp

/// One [plugins.<name>] table. The loader reads `enabled`; the plugin validates the other keys
/// (config/plugin_section.hpp, plugins/plugin.hpp). Documented in config/gridmq.toml.
struct PluginSection {
  std::string name;                          // <name>
  bool enabled = false;                      // [plugins.<name>] enabled
  std::string origin;                        // the config file, for messages
  std::uint32_t line = 0;                    // line of the table header
  std::shared_ptr<const PluginTable> table;  // every key as read
  bool operator==(const PluginSection& other) const;
};

struct BrokerConfig {
  std::vector<Listener> listeners{Listener{}};  // [[listener]] / --listen
  std::string data_dir = "./data";              // [storage] data_dir / --data-dir
  Storage storage;
  unsigned threads = 0;  // [broker] threads / --threads: 0 = hardware
  MqttLimits mqtt;
  Limits limits;
  Acl auth;
  Identity identity;
  Log log;
  std::vector<PluginSection> plugins;  // [plugins.<name>], in file order
  bool operator==(const BrokerConfig&) const = default;
};

}  // namespace gridmq::config
