#pragma once
// OBIS codes (IEC 62056-61, "A-B:C.D.E" with an optional "*F") and the quantity class that fixes
// which units a value may carry (domain.md §1).

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gridmq::plugins::meter_validation {

struct Obis {
  std::uint8_t a = 0, b = 0, c = 0, d = 0, e = 0;
  std::uint8_t f = 255;
};

/// nullopt unless `text` is "A-B:C.D.E" or "A-B:C.D.E*F" with each group 0..255.
std::optional<Obis> parse_obis(std::string_view text);

enum class Quantity : std::uint8_t {
  kEnergy,          // active energy register (C = 1, 2, 15, 16 per phase group; D = 8): Wh
  kReactiveEnergy,  // C = 3..8, D = 8: varh
  kApparentEnergy,  // C = 9, 10, D = 8: VAh
  kPower,           // active power, D = 7 (instantaneous) or 6 (maximum demand): W
  kReactivePower,   // var
  kApparentPower,   // VA
  kVoltage,         // C = 12, 32, 52, 72: V
  kCurrent,         // C = 11, 31, 51, 71, 91: A
  kFrequency,       // C = 14: Hz
  kPowerFactor,     // C = 13, 33, 53, 73: no unit
  kOther,           // anything else (counters, abstract objects): unit not checked
  kCount
};
inline constexpr std::size_t kQuantityCount = static_cast<std::size_t>(Quantity::kCount);

/// Config key names of the unit lists ([plugins.meter_validation.units]), by Quantity (kOther has
/// none).
inline constexpr std::array<std::string_view, kQuantityCount - 1> kQuantityNames = {
    "energy",         "reactive_energy", "apparent_energy", "power",     "reactive_power",
    "apparent_power", "voltage",         "current",         "frequency", "power_factor"};

Quantity quantity_of(const Obis& o);

/// Energy registers (x.8.x of electricity): cumulative, never decreasing within a boot.
inline bool is_register(Quantity q) {
  return q == Quantity::kEnergy || q == Quantity::kReactiveEnergy || q == Quantity::kApparentEnergy;
}

}  // namespace gridmq::plugins::meter_validation
