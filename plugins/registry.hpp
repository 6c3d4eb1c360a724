#pragma once
// The plugin registry: plugin names and factories, fed from an explicit list (builtin.cpp), never
// from static initialisers, so the linker cannot drop a plugin and the list is easy to read.

#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "plugins/plugin.hpp"

namespace gridmq::plugins {

struct PluginFactory {
  std::string_view name;
  std::function<PluginPtr()> make;
};

class Registry {
 public:
  Registry() = default;
  explicit Registry(std::vector<PluginFactory> factories) : factories_(std::move(factories)) {}

  void add(PluginFactory f) { factories_.push_back(std::move(f)); }
  /// The factory called `name`, or null.
  const PluginFactory* find(std::string_view name) const;
  std::vector<std::string_view> names() const;

 private:
  std::vector<PluginFactory> factories_;
};

/// Every built-in plugin (plugins/builtin.cpp): meter_validation.
Registry builtin_registry();

}  // namespace gridmq::plugins
