#include "backoff.hpp"

#include <algorithm>
#include <cmath>

namespace gridmq::bench {

double Backoff::ceiling_s(unsigned attempt) const {
  const double grown = base_s * std::ldexp(1.0, static_cast<int>(std::min(attempt, 60u)));
  return std::max(0.0, std::min(max_s, grown));
}

double Backoff::delay_s(unsigned attempt, double u) const {
  const double j = std::clamp(jitter, 0.0, 1.0);
  const double r = std::clamp(u, 0.0, 1.0);
  return ceiling_s(attempt) * (1.0 - j + j * r);
}

double burst_offset_s(std::uint64_t index, std::uint64_t total, double window_s, bool spread) {
  if (!spread || total == 0 || window_s <= 0) return 0.0;
  const std::uint64_t i = std::min(index, total - 1);
  return (static_cast<double>(i) + 0.5) * window_s / static_cast<double>(total);
}

}  // namespace gridmq::bench
