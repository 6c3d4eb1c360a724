// Micro-benchmarks of the routing hot path: SubscriptionTree::match() against a metering-shaped
// subscription set, and RetainedStore::match() against a metering-shaped retained set.
//
// Subscriptions (100k exact + a few hundred wildcards):
//   mtr/v1/t<T>/m<M>/cmd          one per meter (100 tenants x 1000 meters), subscriber = meter
//   mtr/v1/+/+/up/#               4 subscribers (archivers), with subscription ids
//   mtr/v1/t<T>/#                 one per tenant (tenant dashboards)
//   mtr/v1/t<T>/+/up              one per tenant
//   mtr/v1/+/m<M>/cmd             100 (monitoring of a few meter ids across tenants)
//   $share/ingest/mtr/v1/+/+/up/# 8 members (ingest workers)

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "routing/retained_store.hpp"
#include "routing/subscription_tree.hpp"

namespace gridmq::routing {
namespace {

constexpr int kTenants = 100;
constexpr int kMetersPerTenant = 1000;

std::string meter_base(int tenant, int meter) {
  return "mtr/v1/t" + std::to_string(tenant) + "/m" + std::to_string(meter);
}

struct Fixture {
  SubscriptionTree tree;
  std::vector<std::string> cmd_topics;  // mtr/v1/tT/mM/cmd (pseudo-random order)
  std::vector<std::string> up_topics;   // mtr/v1/tT/mM/up/energy
  std::vector<std::string> miss_topics;
  std::size_t wildcards = 0;

  Fixture() {
    SubscriberKey next = 1;
    for (int t = 0; t < kTenants; ++t) {
      for (int m = 0; m < kMetersPerTenant; ++m) {
        SubscriptionOptions o;
        o.qos = 1;
        tree.subscribe(meter_base(t, m) + "/cmd", next++, o);
      }
    }
    auto wildcard = [&](const std::string& f, std::uint32_t id) {
      SubscriptionOptions o;
      o.qos = 1;
      o.subscription_id = id;
      tree.subscribe(f, next++, o);
      ++wildcards;
    };
    for (std::uint32_t i = 0; i < 4; ++i) wildcard("mtr/v1/+/+/up/#", i + 1);
    for (int t = 0; t < kTenants; ++t) {
      wildcard("mtr/v1/t" + std::to_string(t) + "/#", 0);
      wildcard("mtr/v1/t" + std::to_string(t) + "/+/up", 0);
      wildcard("mtr/v1/+/m" + std::to_string(t * 7) + "/cmd", 0);
    }
    for (int i = 0; i < 8; ++i) wildcard("$share/ingest/mtr/v1/+/+/up/#", 0);

    // A fixed pseudo-random walk over the meters so lookups don't hit the same cache lines.
    constexpr int kTopics = 4096;
    std::uint32_t x = 12345;
    for (int i = 0; i < kTopics; ++i) {
      x = x * 1664525u + 1013904223u;
      const int t = static_cast<int>((x >> 8) % kTenants);
      const int m = static_cast<int>((x >> 16) % kMetersPerTenant);
      cmd_topics.push_back(meter_base(t, m) + "/cmd");
      up_topics.push_back(meter_base(t, m) + "/up/energy");
      miss_topics.push_back("other/v1/t" + std::to_string(t) + "/m" + std::to_string(m));
    }
  }
};

const Fixture& fixture() {
  static const Fixture f;  // built once, shared by the threaded runs
  return f;
}

void run_match(benchmark::State& state, const std::vector<std::string>& topics) {
  const Fixture& f = fixture();
  std::vector<Match> out;
  out.reserve(64);
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 97;
  std::size_t matches = 0;
  for (auto _ : state) {
    out.clear();
    f.tree.match(topics[i++ % topics.size()], 0, out);
    matches += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["matches/op"] =
      benchmark::Counter(static_cast<double>(matches), benchmark::Counter::kAvgIterations);
  state.counters["subscriptions"] = static_cast<double>(f.tree.size());
}

// Downlink command to one meter: its exact subscription + tenant '#' + a few '+' monitors.
void BM_TreeMatchCmd(benchmark::State& state) {
  run_match(state, fixture().cmd_topics);
}
BENCHMARK(BM_TreeMatchCmd);
BENCHMARK(BM_TreeMatchCmd)->Threads(2)->UseRealTime();

// Uplink reading: the '+/+/up/#' archivers (with subscription ids), tenant '#', one shared group.
void BM_TreeMatchUplink(benchmark::State& state) {
  run_match(state, fixture().up_topics);
}
BENCHMARK(BM_TreeMatchUplink);
BENCHMARK(BM_TreeMatchUplink)->Threads(2)->UseRealTime();

// A topic nobody subscribes to (first level misses).
void BM_TreeMatchMiss(benchmark::State& state) {
  run_match(state, fixture().miss_topics);
}
BENCHMARK(BM_TreeMatchMiss);

// Subscribe + unsubscribe of one more exact filter (a reconnecting meter) into the 100k tree.
void BM_TreeSubscribeUnsubscribe(benchmark::State& state) {
  SubscriptionTree tree;
  for (int t = 0; t < kTenants; ++t) {
    for (int m = 0; m < kMetersPerTenant; ++m) {
      tree.subscribe(meter_base(t, m) + "/cmd", static_cast<SubscriberKey>(t * 1000 + m + 1), {});
    }
  }
  std::vector<std::string> filters;
  for (int i = 0; i < 1024; ++i) filters.push_back(meter_base(i % kTenants, 5000 + i) + "/cmd");
  std::size_t i = 0;
  for (auto _ : state) {
    const std::string& f = filters[i++ % filters.size()];
    tree.subscribe(f, 999999, {});
    tree.unsubscribe(f, 999999);
  }
}
BENCHMARK(BM_TreeSubscribeUnsubscribe);

struct RetainedFixture {
  RetainedStore store;
  std::vector<std::string> exact_filters;
  std::vector<std::string> tenant_filters;

  RetainedFixture() {
    for (int t = 0; t < kTenants; ++t) {
      for (int m = 0; m < kMetersPerTenant; ++m) {
        auto msg = std::make_shared<Message>();
        msg->topic = meter_base(t, m) + "/state";
        msg->payload = "{\"on\":true}";
        msg->retain = true;
        store.put(msg);
      }
    }
    for (int i = 0; i < 1024; ++i) {
      exact_filters.push_back(meter_base((i * 31) % kTenants, (i * 613) % kMetersPerTenant) +
                              "/state");
    }
    for (int t = 0; t < kTenants; ++t) {
      tenant_filters.push_back("mtr/v1/t" + std::to_string(t) + "/+/state");
    }
  }
};

RetainedFixture& retained_fixture() {
  static RetainedFixture f;
  return f;
}

void run_retained(benchmark::State& state, const std::vector<std::string>& filters) {
  RetainedStore& store = retained_fixture().store;
  std::vector<MessagePtr> out;
  std::size_t i = 0;
  std::size_t found = 0;
  const auto now = Clock::now();
  for (auto _ : state) {
    out.clear();
    store.match(filters[i++ % filters.size()], now, out);
    found += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["msgs/op"] =
      benchmark::Counter(static_cast<double>(found), benchmark::Counter::kAvgIterations);
  state.counters["retained"] = static_cast<double>(store.size());
}

// One meter's retained state out of 100k.
void BM_RetainedMatchExact(benchmark::State& state) {
  run_retained(state, retained_fixture().exact_filters);
}
BENCHMARK(BM_RetainedMatchExact);

// mtr/v1/tT/+/state: 1000 messages of one tenant out of 100k.
void BM_RetainedMatchTenant(benchmark::State& state) {
  run_retained(state, retained_fixture().tenant_filters);
}
BENCHMARK(BM_RetainedMatchTenant);

}  // namespace
}  // namespace gridmq::routing

BENCHMARK_MAIN();
