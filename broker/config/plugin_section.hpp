#pragma once
// [plugins.<name>] tables of the config file. The loader keeps each table as it was read (with
// its source lines) and reads only `enabled`; the plugin named <name> validates every other key
// itself (plugins/plugin.hpp: Plugin::validate), with the helpers below, so its errors name the
// file, line and key like the broker's own ("gridmq.toml:42: plugins.meter_validation.
// max_payload_bytes = 0: out of range, expected an integer from 1 to 1048576").

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/broker_config.hpp"
#include "config/config_value.hpp"

namespace gridmq::config {

/// The TOML table of one plugin (all keys, `enabled` included).
struct PluginTable {
  toml::table table;
};

/// Calls `apply(key, value)` for each key of the plugin's table except `enabled`, in file order.
/// A key not in `known` fails with "unknown key 'plugins.<name>.<key>'" and a did-you-mean hint.
void read_plugin_keys(const PluginSection& section, std::span<const std::string_view> known,
                      const std::function<void(std::string_view key, const Value& value)>& apply);

/// Calls `apply(key, value)` for each entry of the table `value` (which must be a table, else
/// ConfigError naming it). Entry names are "<value's key>.<entry>" in messages.
void read_sub_table(const Value& value,
                    const std::function<void(std::string_view key, const Value& entry)>& apply);

/// Fails "unknown key" for `value`'s key, with the closest of `known` (full dotted names) as hint.
[[noreturn]] void fail_unknown_key(const Value& value, std::span<const std::string_view> known);

}  // namespace gridmq::config
