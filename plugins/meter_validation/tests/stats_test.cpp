// meter_validation's outcome counters: exact under concurrent workers (each thread increments its
// own copy of a tenant's counters, readers add them up), the tenant label cap, the metrics text.

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "plugins/meter_validation/stats.hpp"

namespace gridmq::plugins::meter_validation {
namespace {

TEST(StatsTest, ConcurrentCountsAddUp) {
  Stats stats;
  constexpr int kThreads = 6;
  constexpr int kEach = 20000;
  const std::string tenants[] = {"t1", "t2", "t3"};
  std::vector<std::thread> workers;
  for (int w = 0; w < kThreads; ++w) {
    workers.emplace_back([&, w] {
      for (int i = 0; i < kEach; ++i) {
        // Every worker meets every tenant, the first ones at the same time.
        const auto& t = tenants[static_cast<std::size_t>(i + w) % 3];
        stats.count(t, Action::kAccept, Reason::kAccepted);
        if (i % 10 == 0) stats.count(t, Action::kDrop, Reason::kDuplicate);
      }
    });
  }
  for (auto& t : workers) t.join();
  std::uint64_t accepted = 0;
  for (const auto& t : tenants) {
    const auto n = stats.get(t, Action::kAccept, Reason::kAccepted);
    EXPECT_GT(n, 0u) << t;
    accepted += n;
  }
  EXPECT_EQ(accepted, std::uint64_t{kThreads} * kEach);
  EXPECT_EQ(stats.total(Action::kAccept, Reason::kAccepted), std::uint64_t{kThreads} * kEach);
  EXPECT_EQ(stats.total(Action::kDrop, Reason::kDuplicate), std::uint64_t{kThreads} * kEach / 10);
  EXPECT_EQ(stats.get("t4", Action::kAccept, Reason::kAccepted), 0u);
}

TEST(StatsTest, TenantsBeyondTheCapCountAsOther) {
  Stats stats;
  for (std::size_t i = 0; i < kMaxTenantLabels + 10; ++i) {
    stats.count("tenant" + std::to_string(i), Action::kReject, Reason::kJsonInvalid);
  }
  stats.count("tenant0", Action::kReject, Reason::kJsonInvalid);  // labelled before the cap
  stats.count("", Action::kAccept, Reason::kAccepted);            // past the cap too
  EXPECT_EQ(stats.get("tenant0", Action::kReject, Reason::kJsonInvalid), 2u);
  EXPECT_EQ(stats.get("tenant255", Action::kReject, Reason::kJsonInvalid), 1u);
  EXPECT_EQ(stats.get("tenant256", Action::kReject, Reason::kJsonInvalid), 0u);
  EXPECT_EQ(stats.get("other", Action::kReject, Reason::kJsonInvalid), 10u);
  EXPECT_EQ(stats.get("other", Action::kAccept, Reason::kAccepted), 1u);
  EXPECT_EQ(stats.total(Action::kReject, Reason::kJsonInvalid), kMaxTenantLabels + 11);
}

TEST(StatsTest, MetricsNameTenantActionAndReason) {
  Stats stats;
  stats.count("", Action::kAccept, Reason::kAccepted);
  stats.count("t1", Action::kQuarantine, Reason::kImplausible);
  stats.count("t1", Action::kQuarantine, Reason::kImplausible);
  std::string text;
  MetricsWriter out(text);
  stats.write(out);
  EXPECT_NE(
      text.find(
          R"(gridmq_plugin_meter_validation_messages_total{tenant="-",action="accept",reason="accepted"} 1)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          R"(gridmq_plugin_meter_validation_messages_total{tenant="t1",action="quarantine",reason="implausible"} 2)"),
      std::string::npos)
      << text;
  EXPECT_EQ(text.find("reason=\"duplicate\""), std::string::npos);  // zero counts are left out
}

}  // namespace
}  // namespace gridmq::plugins::meter_validation
