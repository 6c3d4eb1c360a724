#include "backoff.hpp"

#include <gtest/gtest.h>

#include <random>

namespace gridmq::bench {
namespace {

TEST(Backoff, CeilingDoublesUpToTheMaximum) {
  Backoff b{0.5, 8, 1.0};
  EXPECT_DOUBLE_EQ(b.ceiling_s(0), 0.5);
  EXPECT_DOUBLE_EQ(b.ceiling_s(1), 1.0);
  EXPECT_DOUBLE_EQ(b.ceiling_s(2), 2.0);
  EXPECT_DOUBLE_EQ(b.ceiling_s(4), 8.0);
  EXPECT_DOUBLE_EQ(b.ceiling_s(5), 8.0);
  EXPECT_DOUBLE_EQ(b.ceiling_s(1000), 8.0);  // no overflow for absurd attempt counts
}

TEST(Backoff, FullJitterStaysWithinZeroAndTheCeiling) {
  Backoff b{0.25, 4, 1.0};
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (unsigned attempt = 0; attempt < 12; ++attempt) {
    double lo = 1e9;
    double hi = 0;
    for (int i = 0; i < 2000; ++i) {
      const double d = b.delay_s(attempt, u(rng));
      ASSERT_GE(d, 0.0);
      ASSERT_LT(d, b.ceiling_s(attempt));
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    // Spread over the whole range, not clustered.
    EXPECT_LT(lo, 0.05 * b.ceiling_s(attempt));
    EXPECT_GT(hi, 0.95 * b.ceiling_s(attempt));
  }
  EXPECT_DOUBLE_EQ(b.delay_s(3, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(b.delay_s(3, 0.5), 1.0);
}

TEST(Backoff, PartialAndNoJitter) {
  Backoff half{1, 60, 0.5};
  for (double u : {0.0, 0.3, 0.999}) {
    const double d = half.delay_s(2, u);  // ceiling 4
    EXPECT_GE(d, 2.0);
    EXPECT_LT(d, 4.0);
  }
  Backoff none{1, 60, 0.0};
  EXPECT_DOUBLE_EQ(none.delay_s(3, 0.123), 8.0);
  // Out-of-range randomness and jitter are clamped.
  EXPECT_DOUBLE_EQ(none.delay_s(0, -5), 1.0);
  Backoff wild{1, 60, 7.0};
  EXPECT_LE(wild.delay_s(0, 2.0), 1.0);
  EXPECT_GE(wild.delay_s(0, -1.0), 0.0);
}

TEST(BurstOffset, EvenSpreadCoversTheWindow) {
  const std::uint64_t n = 1000;
  const double w = 60;
  double prev = -1;
  for (std::uint64_t i = 0; i < n; ++i) {
    const double off = burst_offset_s(i, n, w, true);
    EXPECT_GT(off, prev);
    EXPECT_GE(off, 0.0);
    EXPECT_LT(off, w);
    prev = off;
  }
  EXPECT_DOUBLE_EQ(burst_offset_s(0, n, w, true), 0.03);
  EXPECT_DOUBLE_EQ(burst_offset_s(999, n, w, true), 59.97);
  // Workers interleave by global index: worker 1's first meter continues worker 0's spacing.
  EXPECT_NEAR(burst_offset_s(500, n, w, true) - burst_offset_s(499, n, w, true), 0.06, 1e-9);
}

TEST(BurstOffset, AllAtOnceAndDegenerateInputs) {
  EXPECT_DOUBLE_EQ(burst_offset_s(123, 1000, 60, false), 0.0);
  EXPECT_DOUBLE_EQ(burst_offset_s(0, 0, 60, true), 0.0);
  EXPECT_DOUBLE_EQ(burst_offset_s(5, 10, 0, true), 0.0);
  EXPECT_LT(burst_offset_s(50, 10, 10, true), 10.0);  // index beyond total is clamped
}

}  // namespace
}  // namespace gridmq::bench
