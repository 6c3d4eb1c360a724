#pragma once
// One value read from the config file, with where it came from. Typed accessors check the type and
// range and throw ConfigError naming "file:line: key = value" and what was expected.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace gridmq::config {

/// A position in the config file and the full dotted name of the key found there.
struct Where {
  std::string_view origin;  // file name (or another label) for messages
  std::uint32_t line = 0;
  std::string_view key;  // e.g. "mqtt.receive_maximum"
};

/// Throws ConfigError("origin:line: message").
[[noreturn]] void fail_at(const Where& where, std::string_view message);

/// A short rendering of a TOML value for messages: 42, "text", true, a table, an array.
std::string describe(const toml::node& node);

class Value {
 public:
  Value(const toml::node& node, const Where& where) : node_(node), where_(where) {}

  const Where& where() const { return where_; }
  const toml::node& node() const { return node_; }

  /// An integer in [min, max].
  std::int64_t integer(std::int64_t min, std::int64_t max) const;
  template <class T>
  T integer_as(std::int64_t min, std::int64_t max) const {
    return static_cast<T>(integer(min, max));
  }
  bool boolean() const;
  std::string string() const;
  std::string non_empty_string() const;
  /// A number (integer or floating point) in [min, max].
  double number(double min, double max) const;
  /// An array of strings (each non-empty).
  std::vector<std::string> string_array() const;
  /// A string that is one of `allowed`.
  std::string choice(std::span<const std::string_view> allowed) const;

  /// Throws ConfigError("origin:line: key = <value>: <detail>").
  [[noreturn]] void reject(std::string_view detail) const;

 private:
  const toml::node& node_;
  Where where_;
};

}  // namespace gridmq::config
