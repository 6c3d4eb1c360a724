#pragma once
// Timing arithmetic of the meter-shaped scenarios, kept free of I/O so it can be unit-tested:
// reconnect back-off (storm) and the send offsets of a 15-minute boundary burst.

#include <cstdint>

namespace gridmq::bench {

/// Exponential back-off with jitter, as a meter's firmware would do it after losing its broker.
/// Attempt k (0 = the first reconnect) waits ceiling(k) * (1 - jitter + jitter * u), u in [0, 1),
/// where ceiling(k) = min(max_s, base_s * 2^k). jitter = 1 is "full jitter" (anywhere in
/// [0, ceiling)), jitter = 0 no randomness at all.
struct Backoff {
  double base_s = 0.5;
  double max_s = 8;
  double jitter = 1.0;  // in [0, 1]

  double ceiling_s(unsigned attempt) const;
  /// `u` is a uniform random number in [0, 1); values outside are clamped.
  double delay_s(unsigned attempt, double u) const;
};

/// Send offset of meter `index` of `total` within a burst window of `window_s` seconds:
/// evenly spread (index + 0.5) * window / total, or 0 for everybody when `spread` is false (all at
/// once). The global index is used, so meters of different worker processes interleave.
double burst_offset_s(std::uint64_t index, std::uint64_t total, double window_s, bool spread);

}  // namespace gridmq::bench
