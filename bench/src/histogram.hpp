#pragma once
// Latency histogram with fixed log-linear buckets (values in nanoseconds, or any uint64 unit).
//
// Values below 128 get one bucket each; above that every power of two is split into 64 linear
// sub-buckets, so a reported percentile is within 1/64 (~1.6 %) of the true value. The bucket
// layout is a constant, which makes histograms from different threads or processes mergeable by
// adding counts. Not thread-safe: one histogram per thread, merged at the end.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace gridmq::bench {

class Histogram {
 public:
  static constexpr unsigned kLinearBits = 7;                     // exact below 2^7
  static constexpr std::uint64_t kLinear = 1ULL << kLinearBits;  // 128
  static constexpr std::uint64_t kSubBuckets = kLinear / 2;      // 64 per power of two
  static constexpr std::size_t kBucketCount = kLinear + (64 - kLinearBits) * kSubBuckets;

  Histogram();

  void record(std::uint64_t value) { record_n(value, 1); }
  void record_n(std::uint64_t value, std::uint64_t n);
  void merge(const Histogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ ? min_ : 0; }
  std::uint64_t max() const { return max_; }
  double mean() const;

  /// Nearest-rank percentile (p in [0, 100]): the representative value of the bucket holding the
  /// ceil(p/100 * count)-th smallest value, clamped to [min, max]. 0 for an empty histogram.
  std::uint64_t percentile(double p) const;

  /// Bucket index and bounds (inclusive) of a value; exposed for tests.
  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t bucket_low(std::size_t index);
  static std::uint64_t bucket_high(std::size_t index);

  /// Sparse JSON form: {"count","min","max","sum","buckets":[[index,count],...]}. Lossless.
  nlohmann::json to_json() const;
  static Histogram from_json(const nlohmann::json& j);

 private:
  std::vector<std::uint64_t> buckets_;
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  long double sum_ = 0;
};

}  // namespace gridmq::bench
