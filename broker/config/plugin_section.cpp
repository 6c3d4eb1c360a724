#include "config/plugin_section.hpp"

#include "config/load.hpp"
#include "config/suggest.hpp"

namespace gridmq::config {
namespace {

std::uint32_t line_of(const toml::key& key, const toml::node& node) {
  const std::uint32_t line = key.source().begin.line;
  return line != 0 ? line : node.source().begin.line;
}

}  // namespace

bool PluginSection::operator==(const PluginSection& other) const {
  if (name != other.name || enabled != other.enabled || line != other.line) return false;
  if (!table || !other.table) return table == other.table;
  return table->table == other.table->table;
}

void fail_unknown_key(const Value& value, std::span<const std::string_view> known) {
  std::string message = "unknown key '" + std::string(value.where().key) + "'";
  if (const auto hint = suggest(value.where().key, known)) {
    message.append(" (did you mean '").append(*hint).append("'?)");
  }
  fail_at(value.where(), message);
}

void read_plugin_keys(const PluginSection& section, std::span<const std::string_view> known,
                      const std::function<void(std::string_view key, const Value& value)>& apply) {
  if (!section.table) return;
  std::vector<std::string> full_known;
  for (const auto k : known) full_known.push_back("plugins." + section.name + "." + std::string(k));
  std::vector<std::string_view> known_views(full_known.begin(), full_known.end());
  for (const auto& [key, node] : section.table->table) {
    if (key.str() == "enabled") continue;
    const std::string full = "plugins." + section.name + "." + std::string(key.str());
    const Value value(node, Where{section.origin, line_of(key, node), full});
    bool found = false;
    for (const auto k : known) found = found || k == key.str();
    if (!found) fail_unknown_key(value, known_views);
    apply(key.str(), value);
  }
}

void read_sub_table(const Value& value,
                    const std::function<void(std::string_view key, const Value& entry)>& apply) {
  const toml::table* table = value.node().as_table();
  if (table == nullptr) value.reject("expected a table");
  for (const auto& [key, node] : *table) {
    const std::string full = std::string(value.where().key) + "." + std::string(key.str());
    const Value entry(node, Where{value.where().origin, line_of(key, node), full});
    apply(key.str(), entry);
  }
}

}  // namespace gridmq::config
