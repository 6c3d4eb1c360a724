// The explicit list of built-in plugins. A new plugin is one line here (and its folder).

#include "plugins/meter_validation/meter_validation.hpp"
#include "plugins/registry.hpp"

namespace gridmq::plugins {

Registry builtin_registry() {
  return Registry({
      {meter_validation::kName, [] { return meter_validation::make_plugin(); }},
  });
}

}  // namespace gridmq::plugins
