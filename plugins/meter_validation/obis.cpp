#include "plugins/meter_validation/obis.hpp"

namespace gridmq::plugins::meter_validation {
std::optional<Obis> parse_obis(std::string_view s) {
  // One pass over the characters: digits build the current group (1-3 of them, at most 255), and
  // each separator must be the next one of "-:..*" (the last only before the optional F).
  static constexpr char kSeparators[] = {'-', ':', '.', '.', '*'};
  std::array<std::uint8_t, 6> groups = {0, 0, 0, 0, 0, 255};
  std::size_t group = 0;
  unsigned value = 0;
  unsigned digits = 0;
  for (const char ch : s) {
    if (ch >= '0' && ch <= '9') {
      if (++digits > 3) return std::nullopt;
      value = value * 10 + static_cast<unsigned>(ch - '0');
      continue;
    }
    if (digits == 0 || value > 255 || group == 5 || ch != kSeparators[group]) return std::nullopt;
    groups[group++] = static_cast<std::uint8_t>(value);
    value = 0;
    digits = 0;
  }
  if (digits == 0 || value > 255 || group < 4) return std::nullopt;
  groups[group] = static_cast<std::uint8_t>(value);
  return Obis{groups[0], groups[1], groups[2], groups[3], groups[4], groups[5]};
}

Quantity quantity_of(const Obis& o) {
  if (o.a != 1) return Quantity::kOther;  // only electricity has these classes
  const unsigned c = o.c;
  if (c == 14) return Quantity::kFrequency;
  if (c == 0 || c > 99) return Quantity::kOther;
  const unsigned k = c % 20;  // 21..40, 41..60, 61..80: the same quantities per phase L1..L3
  const bool energy = o.d == 8;
  const bool power = o.d == 7 || o.d == 6;
  if (!energy && !power) {
    return Quantity::kOther;
  }
  switch (k) {
    case 1:
    case 2:
    case 15:
    case 16:
      return energy ? Quantity::kEnergy : Quantity::kPower;
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
    case 8:
      return energy ? Quantity::kReactiveEnergy : Quantity::kReactivePower;
    case 9:
    case 10:
      return energy ? Quantity::kApparentEnergy : Quantity::kApparentPower;
    case 11:
      return power && o.d == 7 ? Quantity::kCurrent : Quantity::kOther;
    case 12:
      return power && o.d == 7 ? Quantity::kVoltage : Quantity::kOther;
    case 13:
      return power && o.d == 7 ? Quantity::kPowerFactor : Quantity::kOther;
    default:
      return Quantity::kOther;
  }
}

}  // namespace gridmq::plugins::meter_validation
