// Reading the config file: walks the TOML document against the table of known keys (schema.cpp).

#include "config/load.hpp"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>
#include <vector>

#include <toml++/toml.h>

#include "config/config_value.hpp"
#include "config/plugin_section.hpp"
#include "config/schema.hpp"
#include "config/suggest.hpp"

namespace gridmq::config {
namespace {

std::uint32_t line_of(const toml::key& key, const toml::node& node) {
  const std::uint32_t line = key.source().begin.line;
  return line != 0 ? line : node.source().begin.line;
}

std::vector<std::string_view> key_names() {
  std::vector<std::string_view> names;
  for (const KeySpec& spec : known_keys()) {
    names.push_back(spec.name);
  }
  return names;
}

bool is_known_table(std::string_view name) {
  for (const std::string_view table : known_tables()) {
    if (table == name) {
      return true;
    }
  }
  return false;
}

[[noreturn]] void fail_unknown(const Where& where, std::string_view what,
                               std::span<const std::string_view> candidates) {
  std::string message;
  message.append("unknown ").append(what).append(" '").append(where.key).append("'");
  if (const auto hint = suggest(where.key, candidates)) {
    message.append(" (did you mean '").append(*hint).append("'?)");
  }
  fail_at(where, message);
}

class Reader {
 public:
  explicit Reader(const std::string& origin) : origin_(origin), names_(key_names()) {}

  void read_document(const toml::table& document, BrokerConfig& config) const {
    for (const auto& [key, node] : document) {
      const std::string_view name = key.str();
      const Where where{origin_, line_of(key, node), name};
      if (name == kListenerTable) {
        read_listeners(node, where, config);
      } else if (name == kPluginsTable) {
        read_plugins(node, where, config);
      } else if (is_known_table(name)) {
        const toml::table* table = node.as_table();
        if (table == nullptr) {
          fail_at(where, std::string(name) + " = " + describe(node) + ": expected a table [" +
                             std::string(name) + "]");
        }
        read_table(*table, name, config);
      } else if (node.is_table()) {
        fail_unknown(where, "table", known_tables());
      } else {
        fail_unknown(where, "key", names_);
      }
    }
  }

 private:
  void read_table(const toml::table& table, std::string_view table_name,
                  BrokerConfig& config) const {
    for (const auto& [key, node] : table) {
      const std::string full_name = std::string(table_name) + "." + std::string(key.str());
      const Where where{origin_, line_of(key, node), full_name};
      const KeySpec* spec = find_key(full_name);
      if (spec == nullptr) {
        fail_unknown(where, "key", names_);
      }
      spec->apply(Value(node, where), config);
    }
  }

  void read_listeners(const toml::node& node, const Where& where, BrokerConfig& config) const {
    const toml::array* array = node.as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      fail_at(where, "listener = " + describe(node) +
                         ": expected an array of tables, one [[listener]] per listener");
    }
    if (array->empty()) {
      fail_at(where, "listener: at least one [[listener]] is required");
    }
    config.listeners.clear();
    for (const toml::node& element : *array) {
      const toml::table& table = *element.as_table();
      if (!table.contains("url")) {
        const Where at{origin_, table.source().begin.line, "listener.url"};
        fail_at(at, "listener.url is missing: each [[listener]] needs url = \"tcp://HOST:PORT\"");
      }
      config.listeners.emplace_back();
      read_table(table, kListenerTable, config);
      check_listener(config.listeners.back(),
                     Where{origin_, table.source().begin.line, "listener"});
    }
  }

  /// [plugins.<name>] tables: kept whole for the plugin to validate; only `enabled` is read here.
  /// Whether <name> is a known plugin is checked where the registry is (plugins/host.cpp).
  void read_plugins(const toml::node& node, const Where& where, BrokerConfig& config) const {
    const toml::table* plugins = node.as_table();
    if (plugins == nullptr) {
      fail_at(where,
              "plugins = " + describe(node) + ": expected tables, one [plugins.<name>] per plugin");
    }
    for (const auto& [key, entry] : *plugins) {
      const std::string full = "plugins." + std::string(key.str());
      const Where at{origin_, line_of(key, entry), full};
      const toml::table* table = entry.as_table();
      if (table == nullptr) {
        fail_at(at, full + " = " + describe(entry) + ": expected a table [" + full + "]");
      }
      PluginSection section;
      section.name = std::string(key.str());
      section.origin = origin_;
      section.line = at.line;
      if (const toml::node* enabled = table->get("enabled")) {
        const std::string enabled_key = full + ".enabled";
        section.enabled =
            Value(*enabled, Where{origin_, enabled->source().begin.line, enabled_key}).boolean();
      }
      auto copy = std::make_shared<PluginTable>();
      copy->table = *table;
      section.table = std::move(copy);
      config.plugins.push_back(std::move(section));
    }
  }

  const std::string& origin_;
  std::vector<std::string_view> names_;
};

}  // namespace

BrokerConfig parse_config(std::string_view toml_text, const std::string& origin) {
  toml::table document;
  try {
    document = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& e) {
    const toml::source_position at = e.source().begin;
    throw ConfigError(origin + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                      ": TOML syntax error: " + std::string(e.description()));
  }
  BrokerConfig config;
  Reader(origin).read_document(document, config);
  return config;
}

BrokerConfig load_config_file(const std::string& path) {
  const auto fail = [&path](int error) {
    throw ConfigError("cannot read config file '" + path +
                      "': " + std::generic_category().message(error));
  };
  struct Closer {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  errno = 0;
  const std::unique_ptr<std::FILE, Closer> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    fail(errno);
  }
  std::string text;
  char buffer[8192];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
    text.append(buffer, n);
  }
  if (std::ferror(file.get()) != 0) {
    fail(errno != 0 ? errno : EIO);
  }
  return parse_config(text, path);
}

}  // namespace gridmq::config
