#include "capacity.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace gridmq::bench {
namespace {

CapacityInputs inputs() {
  CapacityInputs in;
  in.cpu_s_per_msg = 10e-6;  // 10 us per reading
  in.rss_kib_per_conn = 2;   // 2 KiB per connection
  in.cores = 2;
  in.mem_kib = 1024.0 * 1024;  // 1 GiB
  in.fd_limit = 20000;
  in.interval_s = 900;
  in.keepalive_s = 60;
  in.ping_cost = 0.1;
  in.headroom = 0.5;
  return in;
}

const CapacityBound* bound(const CapacityEstimate& e, const std::string& name) {
  for (const auto& b : e.bounds)
    if (b.name == name) return &b;
  return nullptr;
}

TEST(Capacity, EachBoundIsTheStatedArithmetic) {
  const auto e = estimate_capacity(inputs());
  // 2 cores x 0.5 / 10 us = 100,000 readings/s.
  EXPECT_DOUBLE_EQ(e.msg_s_cap, 100000.0);
  // Per meter: 1/900 + 0.1/60 reading-equivalents per second.
  const double per_meter = 1.0 / 900 + 0.1 / 60;
  ASSERT_NE(bound(e, "cpu-average"), nullptr);
  EXPECT_NEAR(bound(e, "cpu-average")->meters, 100000.0 / per_meter, 1e-6);
  // 1 GiB x 0.5 / 2 KiB = 262,144.
  ASSERT_NE(bound(e, "memory"), nullptr);
  EXPECT_DOUBLE_EQ(bound(e, "memory")->meters, 262144.0);
  ASSERT_NE(bound(e, "open-files"), nullptr);
  EXPECT_DOUBLE_EQ(bound(e, "open-files")->meters, 20000.0 - 64);
  EXPECT_EQ(bound(e, "cpu-burst"), nullptr);  // no burst window given
  EXPECT_EQ(e.limit, "open-files");
  EXPECT_DOUBLE_EQ(e.meters, 19936.0);
  EXPECT_NE(e.headline.find("about 19000 meters at interval 900 s with headroom 50 %"),
            std::string::npos)
      << e.headline;
}

TEST(Capacity, IdleConnectionsCostCpuToo) {
  auto in = inputs();
  in.fd_limit = 0;
  in.rss_kib_per_conn = 0;
  in.ping_cost = 0;
  in.interval_s = 1000;
  in.idle_cpu_s_per_conn_s = 10e-9;  // 0.01 us per connection per second
  const auto e = estimate_capacity(in);
  // Per meter: 10 us / 1000 s + 0.01 us/s = 0.02 us/s; 1 core-second / 0.02 us = 50 M meters.
  EXPECT_EQ(e.limit, "cpu-average");
  EXPECT_NEAR(e.meters, 1.0 / 20e-9, 1e-3);
}

TEST(Capacity, BurstWindowBoundsThePeak) {
  auto in = inputs();
  in.fd_limit = 0;  // several broker processes, or a raised limit
  in.burst_window_s = 60;
  const auto e = estimate_capacity(in);
  ASSERT_NE(bound(e, "cpu-burst"), nullptr);
  EXPECT_DOUBLE_EQ(bound(e, "cpu-burst")->meters, 100000.0 * 60);
  EXPECT_EQ(bound(e, "open-files"), nullptr);
  EXPECT_EQ(e.limit, "memory");
  EXPECT_DOUBLE_EQ(e.meters, 262144.0);
}

TEST(Capacity, CpuLimitsWhenMessagesAreExpensive) {
  auto in = inputs();
  in.fd_limit = 0;
  in.cpu_s_per_msg = 0.01;  // 10 ms per reading
  in.burst_window_s = 60;
  const auto e = estimate_capacity(in);
  EXPECT_EQ(e.limit, "cpu-burst");
  EXPECT_DOUBLE_EQ(e.meters, 100.0 * 60);
}

TEST(Capacity, UnmeasuredInputsDoNotLimit) {
  CapacityInputs in;
  in.cores = 2;
  in.fd_limit = 1000;
  const auto e = estimate_capacity(in);  // no CPU or memory figures
  EXPECT_EQ(e.limit, "open-files");
  EXPECT_DOUBLE_EQ(e.meters, 936.0);
  const auto j = to_json(in, e);
  EXPECT_EQ(j["limit"], "open-files");
  EXPECT_DOUBLE_EQ(j["readings_s_capacity"].get<double>(), -1.0);  // unlimited
}

TEST(Capacity, RejectsBadInputs) {
  auto in = inputs();
  in.headroom = 1.0;
  EXPECT_THROW(estimate_capacity(in), std::invalid_argument);
  in = inputs();
  in.interval_s = 0;
  EXPECT_THROW(estimate_capacity(in), std::invalid_argument);
  in = inputs();
  in.cpu_s_per_msg = -1;
  EXPECT_THROW(estimate_capacity(in), std::invalid_argument);
}

TEST(Capacity, RoundsDownToTwoSignificantDigits) {
  EXPECT_DOUBLE_EQ(round_down_2sig(19936), 19000);
  EXPECT_DOUBLE_EQ(round_down_2sig(262144), 260000);
  EXPECT_DOUBLE_EQ(round_down_2sig(99), 99);
  EXPECT_NEAR(round_down_2sig(5.5), 5.5, 1e-9);
  EXPECT_DOUBLE_EQ(round_down_2sig(0), 0);
  EXPECT_EQ(meters_text(round_down_2sig(1037037)), "1000000");
  EXPECT_EQ(meters_text(19000), "19000");
}

}  // namespace
}  // namespace gridmq::bench
