#include "config/config_value.hpp"

#include <sstream>

#include "config/load.hpp"

namespace gridmq::config {
namespace {

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
    }
    out += c;
  }
  out += '"';
  return out;
}

const char* type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

}  // namespace

void fail_at(const Where& where, std::string_view message) {
  std::string text;
  text.append(where.origin).append(":").append(std::to_string(where.line)).append(": ");
  text.append(message);
  throw ConfigError(text);
}

std::string describe(const toml::node& node) {
  if (const auto* s = node.as_string()) {
    return quoted(s->get());
  }
  if (const auto* i = node.as_integer()) {
    return std::to_string(i->get());
  }
  if (const auto* b = node.as_boolean()) {
    return b->get() ? "true" : "false";
  }
  if (const auto* f = node.as_floating_point()) {
    std::ostringstream out;
    out << f->get();
    return out.str();
  }
  return type_name(node);
}

void Value::reject(std::string_view detail) const {
  std::string message;
  message.append(where_.key).append(" = ").append(describe(node_)).append(": ").append(detail);
  fail_at(where_, message);
}

std::int64_t Value::integer(std::int64_t min, std::int64_t max) const {
  const std::string expected =
      "an integer from " + std::to_string(min) + " to " + std::to_string(max);
  const auto* value = node_.as_integer();
  if (value == nullptr) {
    reject(std::string("wrong type (") + type_name(node_) + "), expected " + expected);
  }
  if (value->get() < min || value->get() > max) {
    reject("out of range, expected " + expected);
  }
  return value->get();
}

double Value::number(double min, double max) const {
  std::ostringstream range;
  range << "a number from " << min << " to " << max;
  double v = 0;
  if (const auto* i = node_.as_integer()) {
    v = static_cast<double>(i->get());
  } else if (const auto* f = node_.as_floating_point()) {
    v = f->get();
  } else {
    reject(std::string("wrong type (") + type_name(node_) + "), expected " + range.str());
  }
  if (!(v >= min && v <= max)) reject("out of range, expected " + range.str());
  return v;
}

std::vector<std::string> Value::string_array() const {
  const auto* array = node_.as_array();
  if (array == nullptr) {
    reject(std::string("wrong type (") + type_name(node_) + "), expected an array of strings");
  }
  std::vector<std::string> out;
  for (const auto& element : *array) {
    const auto* s = element.as_string();
    if (s == nullptr || s->get().empty()) {
      reject("expected an array of non-empty strings");
    }
    out.push_back(s->get());
  }
  return out;
}

bool Value::boolean() const {
  const auto* value = node_.as_boolean();
  if (value == nullptr) {
    reject(std::string("wrong type (") + type_name(node_) + "), expected true or false");
  }
  return value->get();
}

std::string Value::string() const {
  const auto* value = node_.as_string();
  if (value == nullptr) {
    reject(std::string("wrong type (") + type_name(node_) + "), expected a string");
  }
  return value->get();
}

std::string Value::non_empty_string() const {
  std::string text = string();
  if (text.empty()) {
    reject("expected a non-empty string");
  }
  return text;
}

std::string Value::choice(std::span<const std::string_view> allowed) const {
  std::string expected = "expected one of ";
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    expected.append(i == 0 ? "" : "|").append(allowed[i]);
  }
  const auto* value = node_.as_string();
  if (value == nullptr) {
    reject(std::string("wrong type (") + type_name(node_) + "), " + expected);
  }
  for (const std::string_view option : allowed) {
    if (value->get() == option) {
      return value->get();
    }
  }
  reject(expected);
}

}  // namespace gridmq::config
