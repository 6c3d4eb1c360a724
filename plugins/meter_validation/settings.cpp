#include "plugins/meter_validation/settings.hpp"

#include <algorithm>

#include "config/load.hpp"
#include "config/plugin_section.hpp"
#include "plugins/meter_validation/same_text.hpp"

namespace gridmq::plugins::meter_validation {
namespace {

constexpr std::string_view kKeys[] = {"scope",
                                      "uplink_topic",
                                      "other_topics",
                                      "unauthenticated",
                                      "tenants",
                                      "principal_tenants",
                                      "max_payload_bytes",
                                      "schema_versions",
                                      "max_clock_skew_s",
                                      "backfill_window_s",
                                      "ts_action",
                                      "decrease_action",
                                      "max_power_w",
                                      "voltage_min",
                                      "voltage_max",
                                      "frequency_min",
                                      "frequency_max",
                                      "quarantine_prefix",
                                      "log_interval_s",
                                      "kinds",
                                      "units"};
constexpr std::string_view kKindKeys[] = {"required", "persist"};

TopicPattern pattern_or_fail(const config::Value& v, const std::string& text, bool uplink) {
  std::string error;
  auto p = TopicPattern::parse(text, error);
  if (!p) v.reject(error);
  using Part = TopicPattern::Part;
  if (!p->has(Part::kMeter)) v.reject("the pattern needs a {meter} level");
  if (uplink && (!p->has(Part::kKind) || !p->has(Part::kTenant))) {
    v.reject("the uplink pattern needs {tenant}, {meter} and {kind} levels");
  }
  return *p;
}

TopicPattern must_parse(std::string_view text) {
  std::string error;
  return *TopicPattern::parse(text, error);
}

void read_kind(Settings& s, std::size_t kind, const config::Value& table) {
  std::vector<std::string> full;
  for (auto k : kKindKeys) full.push_back(std::string(table.where().key) + "." + std::string(k));
  const std::vector<std::string_view> known(full.begin(), full.end());
  config::read_sub_table(table, [&](std::string_view key, const config::Value& v) {
    if (key == "required") {
      s.kinds[kind].required = v.string_array();
    } else if (key == "persist") {
      s.kinds[kind].persist = v.boolean();
    } else {
      config::fail_unknown_key(v, known);
    }
  });
}

}  // namespace

bool Settings::unit_allowed(Quantity q, std::string_view unit) const {
  if (q == Quantity::kOther) return true;
  const auto& list = units[static_cast<std::size_t>(q)];
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& u) { return same_text(u, unit); });
}

bool Settings::tenant_allowed(std::string_view id, std::string_view tenant) const {
  const std::vector<std::string>* list = &tenants;
  if (!principal_tenants.empty()) {
    auto it = principal_tenants.find(std::string(id));
    if (it != principal_tenants.end()) list = &it->second;
  }
  return list->empty() || std::find(list->begin(), list->end(), tenant) != list->end();
}

Settings default_settings() {
  Settings s;
  s.uplink = must_parse("mtr/v1/{tenant}/{meter}/up/{kind}");
  s.other = {must_parse("mtr/v1/{tenant}/{meter}/state"),
             must_parse("mtr/v1/{tenant}/{meter}/cmd/ack")};
  s.kinds[static_cast<std::size_t>(Kind::kReading)].required = {"v", "seq", "ts", "regs"};
  s.kinds[static_cast<std::size_t>(Kind::kProfile)].required = {"v",    "seq",  "period_s",
                                                                "obis", "unit", "rows"};
  s.kinds[static_cast<std::size_t>(Kind::kPulse)].required = {"v",  "seq",   "ts",
                                                              "ch", "count", "wh_per_pulse"};
  s.kinds[static_cast<std::size_t>(Kind::kInst)].required = {"v", "seq", "ts"};
  s.kinds[static_cast<std::size_t>(Kind::kInst)].persist = false;
  s.kinds[static_cast<std::size_t>(Kind::kEvent)].required = {"v", "seq", "ts", "type"};
  s.units = {{{"Wh"}, {"varh"}, {"VAh"}, {"W"}, {"var"}, {"VA"}, {"V"}, {"A"}, {"Hz"}, {"", "-"}}};
  return s;
}

Settings read_settings(const config::PluginSection& section) {
  Settings s = default_settings();
  config::read_plugin_keys(section, kKeys, [&](std::string_view key, const config::Value& v) {
    if (key == "scope") {
      s.scope = v.non_empty_string();
    } else if (key == "uplink_topic") {
      s.uplink = pattern_or_fail(v, v.non_empty_string(), true);
    } else if (key == "other_topics") {
      s.other.clear();
      for (const auto& t : v.string_array()) s.other.push_back(pattern_or_fail(v, t, false));
    } else if (key == "unauthenticated") {
      static constexpr std::string_view kChoices[] = {"reject", "client_id", "topic"};
      const std::string choice = v.choice(kChoices);
      s.unauthenticated = choice == "reject"      ? Settings::Anonymous::kReject
                          : choice == "client_id" ? Settings::Anonymous::kClientId
                                                  : Settings::Anonymous::kTopic;
    } else if (key == "tenants") {
      s.tenants = v.string_array();
    } else if (key == "principal_tenants") {
      config::read_sub_table(v, [&](std::string_view id, const config::Value& e) {
        s.principal_tenants[std::string(id)] = e.string_array();
      });
    } else if (key == "max_payload_bytes") {
      s.max_payload_bytes = v.integer_as<std::uint32_t>(1, 1048576);
    } else if (key == "schema_versions") {
      const auto* array = v.node().as_array();
      if (array == nullptr || array->empty()) v.reject("expected a non-empty array of integers");
      s.schema_versions.clear();
      for (const auto& e : *array) {
        const auto* i = e.as_integer();
        if (i == nullptr || i->get() < 0) v.reject("expected a non-empty array of integers >= 0");
        s.schema_versions.push_back(i->get());
      }
    } else if (key == "max_clock_skew_s") {
      s.max_clock_skew_ms = v.integer(0, 86400) * 1000;
    } else if (key == "backfill_window_s") {
      s.backfill_window_ms = v.integer(1, 10LL * 365 * 86400) * 1000;
    } else if (key == "ts_action") {
      static constexpr std::string_view kChoices[] = {"reject", "quarantine"};
      s.ts_action = v.choice(kChoices) == "reject" ? OnFail::kReject : OnFail::kQuarantine;
    } else if (key == "decrease_action") {
      static constexpr std::string_view kChoices[] = {"tag", "quarantine"};
      s.decrease_action = v.choice(kChoices) == "tag" ? OnFail::kTag : OnFail::kQuarantine;
    } else if (key == "max_power_w") {
      s.max_power_w = v.number(1, 1e9);
    } else if (key == "voltage_min") {
      s.voltage_min = v.number(0, 1e6);
    } else if (key == "voltage_max") {
      s.voltage_max = v.number(0, 1e6);
    } else if (key == "frequency_min") {
      s.frequency_min = v.number(0, 1000);
    } else if (key == "frequency_max") {
      s.frequency_max = v.number(0, 1000);
    } else if (key == "quarantine_prefix") {
      s.quarantine_prefix = v.non_empty_string();
      if (s.quarantine_prefix.find_first_of("+#") != std::string::npos ||
          s.quarantine_prefix.starts_with(s.scope)) {
        v.reject("must not contain '+' or '#' and must lie outside scope");
      }
    } else if (key == "log_interval_s") {
      s.log_interval_ms = v.integer_as<std::uint32_t>(0, 86400) * 1000;
    } else if (key == "kinds") {
      std::vector<std::string> full;
      for (auto k : kKindNames) full.push_back(std::string(v.where().key) + "." + std::string(k));
      const std::vector<std::string_view> known(full.begin(), full.end());
      config::read_sub_table(v, [&](std::string_view kind, const config::Value& table) {
        const auto it = std::find(kKindNames.begin(), kKindNames.end(), kind);
        if (it == kKindNames.end()) config::fail_unknown_key(table, known);
        read_kind(s, static_cast<std::size_t>(it - kKindNames.begin()), table);
      });
    } else if (key == "units") {
      std::vector<std::string> full;
      for (auto k : kQuantityNames)
        full.push_back(std::string(v.where().key) + "." + std::string(k));
      const std::vector<std::string_view> known(full.begin(), full.end());
      config::read_sub_table(v, [&](std::string_view name, const config::Value& e) {
        const auto it = std::find(kQuantityNames.begin(), kQuantityNames.end(), name);
        if (it == kQuantityNames.end()) config::fail_unknown_key(e, known);
        const auto* array = e.node().as_array();
        if (array == nullptr) e.reject("expected an array of unit strings");
        std::vector<std::string> list;
        for (const auto& u : *array) {
          const auto* str = u.as_string();
          if (str == nullptr) e.reject("expected an array of unit strings");
          list.push_back(str->get());
        }
        s.units[static_cast<std::size_t>(it - kQuantityNames.begin())] = std::move(list);
      });
    }
  });
  if (s.voltage_min >= s.voltage_max || s.frequency_min >= s.frequency_max) {
    throw config::ConfigError(
        section.origin + ":" + std::to_string(section.line) + ": plugins." + section.name +
        ": voltage_min/frequency_min must be below voltage_max/frequency_max");
  }
  if (s.quarantine_prefix.starts_with(s.scope)) {
    throw config::ConfigError(section.origin + ":" + std::to_string(section.line) + ": plugins." +
                              section.name + ".quarantine_prefix: must lie outside scope '" +
                              s.scope + "'");
  }
  return s;
}

}  // namespace gridmq::plugins::meter_validation
