#include "plugins/meter_validation/obis.hpp"

namespace gridmq::plugins::meter_validation {
std::optional<Obis> parse_obis(std::string_view s) {
  const char* p = s.data();
  const char* const end = p + s.size();
  const auto group = [&](std::uint8_t& out) {
    unsigned v = 0;
    const char* const start = p;
    while (p < end && p - start < 3 && *p >= '0' && *p <= '9')
      v = v * 10 + static_cast<unsigned>(*p++ - '0');
    if (p == start || v > 255) return false;
    out = static_cast<std::uint8_t>(v);
    return true;
  };
  const auto sep = [&](char c) {
    if (p >= end || *p != c) return false;
    ++p;
    return true;
  };
  Obis o;
  if (!group(o.a) || !sep('-') || !group(o.b) || !sep(':') || !group(o.c) || !sep('.') ||
      !group(o.d) || !sep('.') || !group(o.e)) {
    return std::nullopt;
  }
  if (p < end && (!sep('*') || !group(o.f))) return std::nullopt;
  if (p != end) return std::nullopt;
  return o;
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
