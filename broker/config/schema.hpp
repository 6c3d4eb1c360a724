#pragma once
// The table of every config key the broker knows: its full dotted name and the function that
// checks a value and stores it in BrokerConfig. config/gridmq.toml documents each one.

#include <array>
#include <span>
#include <string_view>

#include "config/broker_config.hpp"
#include "config/config_value.hpp"

namespace gridmq::config {

inline constexpr unsigned kMaxThreads = 1024;
inline constexpr std::array<std::string_view, 3> kSyncPolicies = {"sync", "batched", "none"};
/// [mqtt] queue_overflow: what a full session queue does with one more message.
inline constexpr std::array<std::string_view, 2> kQueueOverflow = {"refuse_new", "drop_oldest"};
inline constexpr std::array<std::string_view, 6> kLogLevels = {"trace", "debug", "info",
                                                               "warn",  "error", "off"};

inline constexpr std::array<std::string_view, 2> kTlsVersions = {"1.2", "1.3"};
inline constexpr std::array<std::string_view, 5> kListenerAuth = {
    "auto", "anonymous", "certificate", "password", "certificate_or_password"};

/// The table that may appear more than once ([[listener]]); its keys apply to the listener being
/// read, which is config.listeners.back().
inline constexpr std::string_view kListenerTable = "listener";

/// The table of plugin tables ([plugins.<name>]); each plugin validates its own keys.
inline constexpr std::string_view kPluginsTable = "plugins";

struct KeySpec {
  std::string_view name;  // "table.key"
  /// Validates `value` and stores it in `config`; throws ConfigError naming the line and key.
  void (*apply)(const Value& value, BrokerConfig& config);

  std::string_view table() const { return name.substr(0, name.find('.')); }
  std::string_view key() const { return name.substr(name.find('.') + 1); }
};

/// Every known key, in the order of config/gridmq.toml.
std::span<const KeySpec> known_keys();

/// The known key called `name` ("mqtt.max_inflight"), or nullptr.
const KeySpec* find_key(std::string_view name);

/// Checks one listener once all its keys are read: a tls:// listener has cert_file and key_file
/// (and ca_file when it requires client certificates); a tcp:// listener sets no TLS key.
/// `where` is the [[listener]] table's position. Throws ConfigError naming the key and line.
void check_listener(const Listener& listener, const Where& where);

/// The names of the known tables ("broker", "storage", "listener", ...).
std::span<const std::string_view> known_tables();

}  // namespace gridmq::config
