#include "plugins/meter_validation/obis.hpp"

namespace gridmq::plugins::meter_validation {
namespace {

bool group(std::string_view s, std::size_t& at, std::uint8_t& out) {
  unsigned v = 0;
  const std::size_t start = at;
  while (at < s.size() && s[at] >= '0' && s[at] <= '9' && at - start < 3) {
    v = v * 10 + static_cast<unsigned>(s[at] - '0');
    ++at;
  }
  if (at == start || v > 255) return false;
  out = static_cast<std::uint8_t>(v);
  return true;
}

bool sep(std::string_view s, std::size_t& at, char c) {
  if (at >= s.size() || s[at] != c) return false;
  ++at;
  return true;
}

}  // namespace

std::optional<Obis> parse_obis(std::string_view s) {
  Obis o;
  std::size_t at = 0;
  if (!group(s, at, o.a) || !sep(s, at, '-') || !group(s, at, o.b) || !sep(s, at, ':') ||
      !group(s, at, o.c) || !sep(s, at, '.') || !group(s, at, o.d) || !sep(s, at, '.') ||
      !group(s, at, o.e)) {
    return std::nullopt;
  }
  if (at < s.size()) {
    if (!sep(s, at, '*') || !group(s, at, o.f)) return std::nullopt;
  }
  if (at != s.size()) return std::nullopt;
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
