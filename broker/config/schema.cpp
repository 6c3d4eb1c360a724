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
// [identity] sources and the [auth] failed-login delay cap.
constexpr std::string_view kIdSources[] = {"cn", "san_uri"};
constexpr std::string_view kRoleSources[] = {"ou", "san_uri"};
constexpr std::int64_t kMaxFailedAuthDelayMs = 10000;

constexpr KeySpec kKeys[] = {
    {"broker.threads",
     [](const Value& v, BrokerConfig& c) { c.threads = v.integer_as<unsigned>(0, kMaxThreads); }},
    {"storage.data_dir",
     [](const Value& v, BrokerConfig& c) { c.data_dir = v.non_empty_string(); }},
    {"storage.sync",
     [](const Value& v, BrokerConfig& c) { c.storage.sync = v.choice(kSyncPolicies); }},
    {"storage.group_commit_delay_us",
     [](const Value& v, BrokerConfig& c) {
       c.storage.group_commit_delay_us = v.integer_as<std::uint32_t>(0, 100000);
     }},
    {"storage.batch_interval_ms",
     [](const Value& v, BrokerConfig& c) {
       c.storage.batch_interval_ms = v.integer_as<std::uint32_t>(1, 10000);
     }},
    {"storage.quarantine_corrupt",
     [](const Value& v, BrokerConfig& c) { c.storage.quarantine_corrupt = v.boolean(); }},
    {"listener.url",
     [](const Value& v, BrokerConfig& c) {
       const std::string url = v.string();
       try {
         // Only the address: the table's other keys may have been read before url.
         Listener parsed = parse_listen_url(url);
         Listener& l = c.listeners.back();
         l.scheme = std::move(parsed.scheme);
         l.host = std::move(parsed.host);
         l.port = parsed.port;
       } catch (const ConfigError& e) {
         fail_at(v.where(), std::string(v.where().key) + ": " + e.what());
       }
     }},
    {"listener.max_connection_rate",
     [](const Value& v, BrokerConfig& c) {
       c.listeners.back().max_connection_rate = v.integer_as<std::uint32_t>(0, kU32);
     }},
    {"listener.auth",
     [](const Value& v, BrokerConfig& c) { c.listeners.back().auth = v.choice(kListenerAuth); }},
    {"listener.cert_file",
     [](const Value& v, BrokerConfig& c) { c.listeners.back().tls.cert_file = v.string(); }},
    {"listener.key_file",
     [](const Value& v, BrokerConfig& c) { c.listeners.back().tls.key_file = v.string(); }},
    {"listener.ca_file",
     [](const Value& v, BrokerConfig& c) { c.listeners.back().tls.ca_file = v.string(); }},
    {"listener.require_client_cert",
     [](const Value& v, BrokerConfig& c) {
       c.listeners.back().tls.require_client_cert = v.boolean();
     }},
    {"listener.crl_file",
     [](const Value& v, BrokerConfig& c) { c.listeners.back().tls.crl_file = v.string(); }},
    {"listener.min_tls_version",
     [](const Value& v, BrokerConfig& c) {
       c.listeners.back().tls.min_tls_version = v.choice(kTlsVersions);
     }},
    {"listener.ciphers",
     [](const Value& v, BrokerConfig& c) {
       c.listeners.back().tls.ciphers = v.non_empty_string();
     }},
    {"listener.ciphersuites",
     [](const Value& v, BrokerConfig& c) {
       c.listeners.back().tls.ciphersuites = v.non_empty_string();
     }},
    {"listener.groups",
     [](const Value& v, BrokerConfig& c) { c.listeners.back().tls.groups = v.non_empty_string(); }},
    {"listener.handshake_timeout_ms",
     [](const Value& v, BrokerConfig& c) {
       c.listeners.back().tls.handshake_timeout_ms = v.integer_as<std::uint32_t>(1, 3600000);
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
    {"mqtt.max_queued_age_s",
     [](const Value& v, BrokerConfig& c) {
       c.mqtt.max_queued_age_s = v.integer_as<std::uint32_t>(0, kU32);
     }},
    {"mqtt.queue_overflow",
     [](const Value& v, BrokerConfig& c) { c.mqtt.queue_overflow = v.choice(kQueueOverflow); }},
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
    // Identity and authorization v2.
    {"auth.password_file",
     [](const Value& v, BrokerConfig& c) { c.auth.password_file = v.string(); }},
    {"auth.acl_policy_file",
     [](const Value& v, BrokerConfig& c) { c.auth.acl_policy_file = v.string(); }},
    {"auth.bindings_file",
     [](const Value& v, BrokerConfig& c) { c.auth.bindings_file = v.string(); }},
    {"auth.failed_auth_delay_ms",
     [](const Value& v, BrokerConfig& c) {
       c.auth.failed_auth_delay_ms = v.integer_as<std::uint32_t>(0, kMaxFailedAuthDelayMs);
     }},
    {"auth.close_on_denied_publish",
     [](const Value& v, BrokerConfig& c) { c.auth.close_on_denied_publish = v.boolean(); }},
    {"identity.id_from",
     [](const Value& v, BrokerConfig& c) { c.identity.id_from = v.choice(kIdSources); }},
    {"identity.role_from",
     [](const Value& v, BrokerConfig& c) { c.identity.role_from = v.choice(kRoleSources); }},
    {"identity.san_uri_prefix",
     [](const Value& v, BrokerConfig& c) { c.identity.san_uri_prefix = v.non_empty_string(); }},
    {"identity.require_client_id_match",
     [](const Value& v, BrokerConfig& c) { c.identity.require_client_id_match = v.boolean(); }},
    {"log.level", [](const Value& v, BrokerConfig& c) { c.log.level = v.choice(kLogLevels); }},
    {"log.json", [](const Value& v, BrokerConfig& c) { c.log.json = v.boolean(); }},
};

constexpr std::string_view kTables[] = {"broker", "storage",  "listener", "mqtt",   "limits",
                                        "auth",   "identity", "log",      "plugins"};

/// The first TLS key of `tls` that differs from its default ("" if none).
std::string_view first_tls_key_set(const ListenerTls& tls) {
  const ListenerTls d;
  if (tls.cert_file != d.cert_file) return "cert_file";
  if (tls.key_file != d.key_file) return "key_file";
  if (tls.ca_file != d.ca_file) return "ca_file";
  if (tls.require_client_cert != d.require_client_cert) return "require_client_cert";
  if (tls.crl_file != d.crl_file) return "crl_file";
  if (tls.min_tls_version != d.min_tls_version) return "min_tls_version";
  if (tls.ciphers != d.ciphers) return "ciphers";
  if (tls.ciphersuites != d.ciphersuites) return "ciphersuites";
  if (tls.groups != d.groups) return "groups";
  if (tls.handshake_timeout_ms != d.handshake_timeout_ms) return "handshake_timeout_ms";
  return "";
}

}  // namespace

void check_listener(const Listener& listener, const Where& where) {
  const auto fail_key = [&](std::string_view key, const std::string& problem) {
    const std::string name = "listener." + std::string(key);
    fail_at(Where{where.origin, where.line, name}, name + " " + problem);
  };
  if (!listener.is_tls()) {
    if (listener.auth == "certificate" || listener.auth == "certificate_or_password") {
      fail_key("auth", "= \"" + listener.auth + "\" needs a tls:// listener (client certificates)");
    }
    const std::string_view key = first_tls_key_set(listener.tls);
    if (!key.empty()) {
      fail_key(key, "applies to tls:// listeners only, and this one is " + listener.scheme + "://" +
                        listener.host + ":" + std::to_string(listener.port));
    }
    return;
  }
  if (listener.tls.cert_file.empty()) {
    fail_key("cert_file", "is missing: a tls:// listener needs cert_file and key_file");
  }
  if (listener.tls.key_file.empty()) {
    fail_key("key_file", "is missing: a tls:// listener needs cert_file and key_file");
  }
  if (listener.tls.require_client_cert && listener.tls.ca_file.empty()) {
    fail_key("ca_file",
             "is missing: require_client_cert = true needs the CA bundle of the client "
             "certificates");
  }
  if (!listener.tls.crl_file.empty() && listener.tls.ca_file.empty()) {
    fail_key("crl_file", "needs ca_file (the CRL is checked against client certificates)");
  }
}

namespace {
bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}
}  // namespace

std::string effective_listener_auth(const Listener& listener) {
  if (listener.auth != "auto") return listener.auth;
  if (listener.is_tls()) {
    return listener.tls.require_client_cert ? "certificate" : "certificate_or_password";
  }
  return is_loopback(listener.host) ? "anonymous" : "password";
}

void check_auth(const BrokerConfig& config) {
  for (const Listener& l : config.listeners) {
    const std::string auth = effective_listener_auth(l);
    if ((auth == "password" || auth == "certificate_or_password") &&
        config.auth.password_file.empty()) {
      throw ConfigError("listener " + l.scheme + "://" + l.host + ":" + std::to_string(l.port) +
                        " takes password logins (auth = \"" + auth + "\"" +
                        (l.auth == "auto" ? ", the default for it" : "") +
                        ") but [auth] password_file is not set; set password_file, or set the "
                        "listener's auth in a [[listener]] table (e.g. \"anonymous\"); a "
                        "--listen URL gets the default");
    }
  }
}

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
