#include "histogram.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>

#include <nlohmann/json.hpp>

namespace gridmq::bench {
namespace {

// The largest relative error a bucket's representative value may have.
constexpr double kTolerance = 1.0 / 64;

void expect_close(std::uint64_t got, double want) {
  EXPECT_LE(std::abs(static_cast<double>(got) - want), want * kTolerance + 1)
      << "got " << got << " want " << want;
}

TEST(Histogram, EmptyReportsZeros) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.record(v);
  EXPECT_EQ(h.percentile(50), 50u);
  EXPECT_EQ(h.percentile(99), 99u);
  EXPECT_EQ(h.percentile(100), 100u);
  EXPECT_EQ(h.percentile(0), 1u);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(Histogram, BucketsCoverEveryValueContiguously) {
  for (std::size_t i = 0; i + 1 < Histogram::kBucketCount; ++i) {
    ASSERT_EQ(Histogram::bucket_high(i) + 1, Histogram::bucket_low(i + 1)) << i;
  }
  const std::uint64_t samples[] = {
      0, 1, 127, 128, 129, 1000, 123456789, (1ULL << 40) + 12345, UINT64_MAX};
  for (std::uint64_t v : samples) {
    const std::size_t b = Histogram::bucket_of(v);
    ASSERT_LT(b, Histogram::kBucketCount);
    EXPECT_LE(Histogram::bucket_low(b), v);
    EXPECT_GE(Histogram::bucket_high(b), v);
  }
}

TEST(Histogram, UniformDistributionPercentiles) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 1000000; ++v) h.record(v * 1000);  // 1 us .. 1 s in ns
  expect_close(h.percentile(50), 500000.0 * 1000);
  expect_close(h.percentile(99), 990000.0 * 1000);
  expect_close(h.percentile(99.9), 999000.0 * 1000);
  EXPECT_EQ(h.max(), 1000000ULL * 1000);
  EXPECT_EQ(h.min(), 1000u);
}

TEST(Histogram, ExponentialDistributionPercentiles) {
  // Quantiles of Exp(mean m): -m * ln(1 - p).
  std::mt19937_64 rng(42);
  std::exponential_distribution<double> exp(1.0 / 100000.0);
  Histogram h;
  for (int i = 0; i < 2000000; ++i) h.record(static_cast<std::uint64_t>(exp(rng)));
  const double m = 100000.0;
  // Sampling noise adds to the bucket error: allow 3 %.
  auto near = [](std::uint64_t got, double want) {
    EXPECT_NEAR(static_cast<double>(got), want, want * 0.03);
  };
  near(h.percentile(50), -m * std::log(0.5));
  near(h.percentile(99), -m * std::log(0.01));
  near(h.percentile(99.9), -m * std::log(0.001));
}

TEST(Histogram, BimodalP99SeesTheTail) {
  Histogram h;
  h.record_n(1000, 985);    // 98.5 % fast
  h.record_n(5000000, 15);  // 1.5 % slow
  expect_close(h.percentile(50), 1000);
  expect_close(h.percentile(98), 1000);
  expect_close(h.percentile(99), 5000000);
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  Histogram a;
  Histogram b;
  Histogram all;
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::uint64_t> d(1, 50000000);
  for (int i = 0; i < 100000; ++i) {
    const auto v = d(rng);
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0})
    EXPECT_EQ(a.percentile(p), all.percentile(p));
  EXPECT_NEAR(a.mean(), all.mean(), 1e-6 * all.mean());
}

TEST(Histogram, MergeIntoEmptyKeepsMin) {
  Histogram empty;
  Histogram b;
  b.record(500);
  b.record(700);
  empty.merge(b);
  EXPECT_EQ(empty.min(), 500u);
  EXPECT_EQ(empty.max(), 700u);
}

TEST(Histogram, JsonRoundTripIsLossless) {
  Histogram h;
  for (std::uint64_t v = 1; v < 100000; v += 37) h.record(v * 11);
  const Histogram back = Histogram::from_json(nlohmann::json::parse(h.to_json().dump()));
  EXPECT_EQ(back.count(), h.count());
  EXPECT_EQ(back.min(), h.min());
  EXPECT_EQ(back.max(), h.max());
  for (double p : {50.0, 99.0, 99.9}) EXPECT_EQ(back.percentile(p), h.percentile(p));
}

}  // namespace
}  // namespace gridmq::bench
