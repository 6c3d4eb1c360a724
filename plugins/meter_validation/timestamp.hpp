#pragma once
// RFC 3339 timestamps as meters send them ("2025-03-30T00:45:00Z", "…:01.000Z", "…+01:00").

#include <cstdint>
#include <optional>
#include <string_view>

namespace gridmq::plugins::meter_validation {

/// Milliseconds since the Unix epoch, or nullopt when `text` is not a valid RFC 3339 date-time
/// (date, 'T', time with seconds, optional fraction, 'Z' or a ±hh:mm offset).
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);

}  // namespace gridmq::plugins::meter_validation
