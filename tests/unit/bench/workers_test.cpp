// Forked workers with several rendezvous rounds, and the merge of their results.

#include <gtest/gtest.h>

#include <unistd.h>

#include <vector>

#include "report.hpp"
#include "system.hpp"

namespace gridmq::bench {
namespace {

/// Each worker counts the rounds it passed and records its pid; the coordinator logs rounds.
std::string work(int k, WorkerSync& sync, int rounds) {
  Result r;
  r.scenario = "burst";
  for (int i = 0; i < rounds; ++i) {
    sync.arrive();
    sync.wait_release(10);
    r.add("rounds", 1);
  }
  r.add("connected", static_cast<std::uint64_t>(10 + k));
  r.set_max("worker", k);
  r.set_max("pid", static_cast<double>(::getpid()));
  return r.to_json().dump();
}

class Workers : public ::testing::TestWithParam<int> {};

TEST_P(Workers, RoundsAndMerge) {
  const int count = GetParam();
  std::vector<std::pair<int, bool>> seen;
  const auto outs = run_workers_rounds(
      count, 3, {10}, 10, [](int k, WorkerSync& s) { return work(k, s, 3); },
      [&](int round, bool all) { seen.emplace_back(round, all); });
  ASSERT_EQ(seen.size(), 3u);
  for (int r = 0; r < 3; ++r) {
    EXPECT_EQ(seen[static_cast<std::size_t>(r)].first, r);
    EXPECT_TRUE(seen[static_cast<std::size_t>(r)].second);
  }
  ASSERT_EQ(outs.size(), static_cast<std::size_t>(count));
  Result merged;
  merged.parts = 0;
  for (const auto& o : outs) {
    ASSERT_FALSE(o.empty());
    merged.merge(Result::from_json(nlohmann::json::parse(o)));
  }
  EXPECT_EQ(merged.parts, count);
  EXPECT_EQ(merged.counter("rounds"), static_cast<std::uint64_t>(3 * count));
  std::uint64_t want = 0;
  for (int k = 0; k < count; ++k) want += static_cast<std::uint64_t>(10 + k);
  EXPECT_EQ(merged.counter("connected"), want);
  EXPECT_DOUBLE_EQ(merged.maximum("worker"), count - 1);
  if (count > 1) {
    EXPECT_NE(merged.maximum("pid"), static_cast<double>(::getpid()));
  }
}

INSTANTIATE_TEST_SUITE_P(ThreadOrProcesses, Workers, ::testing::Values(1, 3));

TEST(WorkerRounds, ADeadWorkerIsReportedNotAwaitedForever) {
  std::vector<bool> all;
  const auto outs = run_workers_rounds(
      2, 2, {5}, 5,
      [](int k, WorkerSync& s) -> std::string {
        if (k == 1) ::_exit(7);  // dies before arriving
        return work(k, s, 2);
      },
      [&](int, bool a) { all.push_back(a); });
  ASSERT_EQ(all.size(), 2u);
  EXPECT_FALSE(all[0]);
  EXPECT_FALSE(all[1]);
  ASSERT_EQ(outs.size(), 2u);
  EXPECT_FALSE(outs[0].empty());
  EXPECT_TRUE(outs[1].empty());
}

}  // namespace
}  // namespace gridmq::bench
