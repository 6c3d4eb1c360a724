#pragma once
// The settings of meter_validation, read from [plugins.meter_validation] (README.md lists every
// key with its default). Immutable once built; a reload builds a new one.

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/broker_config.hpp"
#include "plugins/meter_validation/obis.hpp"
#include "plugins/meter_validation/topic_pattern.hpp"

namespace gridmq::plugins::meter_validation {

/// The payload kinds of mtr/v1/<tenant>/<meter_id>/up/<kind> (domain.md §2).
enum class Kind : std::uint8_t { kReading, kProfile, kPulse, kInst, kEvent, kCount };
inline constexpr std::size_t kKindCount = static_cast<std::size_t>(Kind::kCount);
inline constexpr std::array<std::string_view, kKindCount> kKindNames = {"reading", "profile",
                                                                        "pulse", "inst", "event"};

enum class OnFail : std::uint8_t { kReject, kQuarantine, kTag };

struct KindSettings {
  std::vector<std::string> required;  // top-level fields that must be present
  bool persist = true;                // seq / register state goes to the Store
};

struct Settings {
  std::string scope = "mtr/v1/";    // topics under this prefix are checked; others pass untouched
  TopicPattern uplink;              // "mtr/v1/{tenant}/{meter}/up/{kind}"
  std::vector<TopicPattern> other;  // state, cmd/ack: identity and size checks only
  /// unauthenticated = "reject" | "client_id" | "topic": what stands for a client without a
  /// principal (anonymous listener): nothing (reject), its client id as a meter id, or the topic's
  /// meter (no identity check at all: benchmarks and trusted plain listeners only).
  enum class Anonymous : std::uint8_t { kReject, kClientId, kTopic };
  Anonymous unauthenticated = Anonymous::kReject;
  std::vector<std::string> tenants;  // allowed for everyone ([] = any)
  std::unordered_map<std::string, std::vector<std::string>> principal_tenants;
  std::uint32_t max_payload_bytes = 16384;
  std::vector<std::int64_t> schema_versions{1};
  std::int64_t max_clock_skew_ms = 120'000;
  std::int64_t backfill_window_ms = 40LL * 86400 * 1000;
  OnFail ts_action = OnFail::kReject;
  OnFail decrease_action = OnFail::kTag;
  double max_power_w = 43'500;  // Pmax: 3 x 63 A x 230 V
  double voltage_min = 184, voltage_max = 276;
  double frequency_min = 47.5, frequency_max = 52.5;
  std::string quarantine_prefix = "quarantine/";
  std::uint32_t log_interval_ms = 10'000;
  std::array<KindSettings, kKindCount> kinds;
  std::array<std::vector<std::string>, kQuantityCount - 1> units;  // by Quantity

  bool unit_allowed(Quantity q, std::string_view unit) const;
  /// Whether `tenant` is allowed for principal `id`.
  bool tenant_allowed(std::string_view id, std::string_view tenant) const;
};

/// The defaults (every key absent).
Settings default_settings();

/// Reads and checks `section`; throws config::ConfigError naming the key and line.
Settings read_settings(const config::PluginSection& section);

}  // namespace gridmq::plugins::meter_validation
