#include "plugins/registry.hpp"

namespace gridmq::plugins {

const PluginFactory* Registry::find(std::string_view name) const {
  for (const auto& f : factories_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::vector<std::string_view> Registry::names() const {
  std::vector<std::string_view> out;
  for (const auto& f : factories_) out.push_back(f.name);
  return out;
}

}  // namespace gridmq::plugins
