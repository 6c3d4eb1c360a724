#include "report.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace gridmq::bench {
namespace {

/// One worker process's idle result, as it would come back through its JSON file.
Result idle_part(std::uint64_t connected, double connect_s, std::uint64_t latency_ns) {
  Result r;
  r.scenario = "idle";
  r.params = {{"clients", 10000}};
  r.add("connected", connected);
  r.add("connect_failures", 1);
  r.set_max("connect_s", connect_s);
  r.histograms["connect_ns"].record_n(latency_ns, connected);
  return Result::from_json(nlohmann::json::parse(r.to_json().dump()));
}

TEST(Report, MergesWorkerProcesses) {
  Result merged;
  merged.parts = 0;
  merged.merge(idle_part(5000, 2.0, 1000000));
  merged.merge(idle_part(4999, 2.5, 3000000));
  merged.broker = {{"rss_before_kib", 10000}, {"rss_after_kib", 10000 + 9999 * 20}};

  EXPECT_EQ(merged.parts, 2);
  EXPECT_EQ(merged.counter("connected"), 9999u);
  EXPECT_EQ(merged.counter("connect_failures"), 2u);
  EXPECT_DOUBLE_EQ(merged.maximum("connect_s"), 2.5);
  ASSERT_NE(merged.histogram("connect_ns"), nullptr);
  EXPECT_EQ(merged.histogram("connect_ns")->count(), 9999u);

  const auto s = merged.summary();
  EXPECT_EQ(s["connections"], 9999);
  EXPECT_DOUBLE_EQ(s["connect_rate_s"].get<double>(), 3999.6);
  EXPECT_DOUBLE_EQ(s["rss_per_conn_kib"].get<double>(), 20.0);
  // p50 falls in the first part's values, p99 in the second's.
  EXPECT_NEAR(s["connect_p50_us"].get<double>(), 1000, 1000.0 / 64);
  EXPECT_NEAR(s["connect_p99_us"].get<double>(), 3000, 3000.0 / 64);
}

TEST(Report, FaninSummaryRatesAndLosses) {
  Result r;
  r.scenario = "fanin";
  r.params = {{"qos", 1}};
  r.set_max("window_s", 10.0);
  r.add("published_in_window", 500000);
  r.add("received_in_window", 499000);
  r.add("acked_in_window", 498000);
  r.add("expected", 600000);
  r.add("received_unique", 599990);
  r.histograms["e2e_ns"].record_n(2000000, 100);
  const auto s = r.summary();
  EXPECT_DOUBLE_EQ(s["published_msg_s"].get<double>(), 50000.0);
  EXPECT_DOUBLE_EQ(s["received_msg_s"].get<double>(), 49900.0);
  EXPECT_DOUBLE_EQ(s["acked_msg_s"].get<double>(), 49800.0);
  EXPECT_EQ(s["losses"], 10);
  EXPECT_EQ(s["received_beyond_expected"], 0);
  EXPECT_NEAR(s["e2e_p50_us"].get<double>(), 2000, 2000.0 / 64);
}

TEST(Report, JsonRoundTripKeepsEverything) {
  Result r;
  r.scenario = "fanin";
  r.add("published_total", 42);
  r.set_max("window_s", 1.5);
  r.histograms["e2e_ns"].record(12345);
  r.errors.push_back("boom");
  r.broker = {{"pid", 7}};
  const Result back = Result::from_json(nlohmann::json::parse(r.to_json().dump()));
  EXPECT_EQ(back.scenario, "fanin");
  EXPECT_EQ(back.counter("published_total"), 42u);
  EXPECT_DOUBLE_EQ(back.maximum("window_s"), 1.5);
  EXPECT_EQ(back.histogram("e2e_ns")->count(), 1u);
  EXPECT_EQ(back.errors.size(), 1u);
  EXPECT_EQ(back.broker["pid"], 7);
  std::ostringstream text;
  print_text(back, text);
  EXPECT_NE(text.str().find("published_msg_s"), std::string::npos);
  EXPECT_NE(text.str().find("error: boom"), std::string::npos);
}

}  // namespace
}  // namespace gridmq::bench
