#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace gridmq::bench {

Histogram::Histogram() : buckets_(kBucketCount, 0) {}

std::size_t Histogram::bucket_of(std::uint64_t value) {
  if (value < kLinear) return static_cast<std::size_t>(value);
  const unsigned msb = static_cast<unsigned>(std::bit_width(value)) - 1;  // >= kLinearBits
  const unsigned shift = msb - (kLinearBits - 1);                         // >= 1
  const std::uint64_t mantissa = value >> shift;                          // [64, 127]
  return static_cast<std::size_t>(kLinear + (shift - 1) * kSubBuckets + (mantissa - kSubBuckets));
}

std::uint64_t Histogram::bucket_low(std::size_t index) {
  if (index < kLinear) return index;
  const std::size_t rel = index - kLinear;
  const unsigned shift = static_cast<unsigned>(rel / kSubBuckets) + 1;
  const std::uint64_t mantissa = kSubBuckets + rel % kSubBuckets;
  return mantissa << shift;
}

std::uint64_t Histogram::bucket_high(std::size_t index) {
  if (index < kLinear) return index;
  const std::size_t rel = index - kLinear;
  const unsigned shift = static_cast<unsigned>(rel / kSubBuckets) + 1;
  const std::uint64_t mantissa = kSubBuckets + rel % kSubBuckets;
  // The last bucket's bound wraps to 2^64 - 1 (well-defined unsigned arithmetic).
  return ((mantissa + 1) << shift) - 1;
}

void Histogram::record_n(std::uint64_t value, std::uint64_t n) {
  if (n == 0) return;
  buckets_[bucket_of(value)] += n;
  count_ += n;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_ += static_cast<long double>(value) * static_cast<long double>(n);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < kBucketCount; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

void Histogram::reset() {
  *this = Histogram();
}

double Histogram::mean() const {
  return count_ ? static_cast<double>(sum_ / static_cast<long double>(count_)) : 0.0;
}

std::uint64_t Histogram::percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      const std::uint64_t lo = bucket_low(i);
      const std::uint64_t hi = bucket_high(i);
      const std::uint64_t mid = lo + (hi - lo) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

nlohmann::json Histogram::to_json() const {
  nlohmann::json buckets = nlohmann::json::array();
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    if (buckets_[i]) buckets.push_back({i, buckets_[i]});
  }
  return {{"count", count_},
          {"min", min()},
          {"max", max_},
          {"sum", static_cast<double>(sum_)},
          {"buckets", std::move(buckets)}};
}

Histogram Histogram::from_json(const nlohmann::json& j) {
  Histogram h;
  for (const auto& b : j.at("buckets")) {
    const auto index = b.at(0).get<std::size_t>();
    if (index >= kBucketCount) throw std::runtime_error("histogram bucket index out of range");
    h.buckets_[index] += b.at(1).get<std::uint64_t>();
  }
  h.count_ = j.at("count").get<std::uint64_t>();
  h.max_ = j.at("max").get<std::uint64_t>();
  h.min_ = h.count_ ? j.at("min").get<std::uint64_t>() : UINT64_MAX;
  h.sum_ = j.at("sum").get<double>();
  return h;
}

}  // namespace gridmq::bench
