#pragma once
// Helpers shared by the plugin tests: payload builders, a plugin section from TOML text, a fixed
// wall clock.

#include <cstdint>
#include <string>
#include <string_view>

#include "config/load.hpp"

namespace gridmq::plugins::test {

/// 2025-03-30T00:45:00Z, the wall clock the tests run at (ms since the epoch).
inline constexpr std::int64_t kNow = 1743295500000;

/// "2025-03-30T00:45:00Z" shifted by `seconds`.
std::string ts_at(std::int64_t seconds_from_now);

/// A reading payload (domain.md §2 shape) with one active-energy register 1-0:1.8.0.
std::string reading(std::string_view meter, std::uint64_t seq, const std::string& ts,
                    std::int64_t import_wh, std::string_view unit = "Wh");

/// The 277-byte example reading of domain.md §2.
std::string example_reading();

/// The [plugins.<name>] section parsed from `toml` (which must hold exactly one plugin table).
config::PluginSection section(std::string_view toml);

}  // namespace gridmq::plugins::test
