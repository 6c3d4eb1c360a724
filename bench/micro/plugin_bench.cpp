// Micro-benchmarks of the plugin step of a PUBLISH: the dispatch with no plugin, with a host that
// has no publish hook, and meter_validation on the 277-byte example reading of domain.md §2 (1000
// meters, each message a new seq: rules, state update and state encoding for the Store; the
// reading fits its meter's shape, as a meter's readings do), the same with every reading checked
// in full (parse and all), plus a duplicate, a rejection and the JSON parse alone.
//
//   build/bin/micro_plugins --benchmark_min_time=0.5

#include <benchmark/benchmark.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "config/load.hpp"
#include "plugins/host.hpp"
#include "plugins/meter_validation/json_scan.hpp"
#include "plugins/registry.hpp"

namespace gridmq::plugins {
namespace {

constexpr std::int64_t kNow = 1743295500000;  // 2025-03-30T00:45:00Z, the example's ts
const std::string kReading =
    R"({"v":1,"meter":"1EMH0012345678","seq":48213,"ts":"2025-03-30T00:45:00Z","regs":[{"obis":"1-0:1.8.0","val":12345678,"unit":"Wh"},)"
    R"({"obis":"1-0:2.8.0","val":4321,"unit":"Wh"},{"obis":"1-0:3.8.0","val":234567,"unit":"varh"},{"obis":"1-0:4.8.0","val":1200,"unit":"varh"}],"q":"ok"})";

struct Fixture {
  std::shared_ptr<spdlog::logger> log =
      std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  std::unique_ptr<storage::Store> store = storage::make_memory_store();
  std::unique_ptr<PluginHost> host;

  explicit Fixture(bool with_plugin) {
    PluginHost::Options o;
    o.store = store.get();
    o.log = log.get();
    o.wall_clock = [] { return kNow; };
    if (with_plugin) {
      const auto cfg = config::parse_config(
          "[plugins.meter_validation]\nenabled = true\nlog_interval_s = 60\n", "bench.toml");
      host = PluginHost::create(builtin_registry(), cfg.plugins, o);
    } else {
      host = std::make_unique<PluginHost>(o);
    }
  }
};

/// The example reading for meter 1EMH0012345<mmm>, seq <sssss>: 277 bytes either way.
struct Message {
  std::string topic = "mtr/v1/t1/1EMH0012345678/up/reading";
  std::string payload = kReading;
  std::string meter = "1EMH0012345678";
  void stamp(std::uint64_t i) {
    char m[4], s[6];
    std::snprintf(m, sizeof m, "%03u", static_cast<unsigned>(i % 1000));
    std::snprintf(s, sizeof s, "%05u", static_cast<unsigned>(10000 + (i / 1000) % 90000));
    topic.replace(21, 3, m);
    payload.replace(27, 3, m);
    payload.replace(38, 5, s);
    meter.replace(11, 3, m);
  }
};

void BM_NoPluginBranch(benchmark::State& state) {
  // What a broker without plugins does per PUBLISH: one pointer test (BrokerCore::plugins()).
  PluginHost* host = nullptr;
  std::uint64_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(host);
    if (host != nullptr) ++n;
    benchmark::DoNotOptimize(n);
  }
}
BENCHMARK(BM_NoPluginBranch);

void BM_HostWithoutPublishHooks(benchmark::State& state) {
  Fixture f(false);
  Message m;
  const auth::Principal who{m.meter, auth::Role::kMeter};
  const protocol::Properties props;
  for (auto _ : state) {
    const ClientInfo client{m.meter, &who, protocol::Version::kV5};
    const PublishEvent e{client, m.topic, m.payload, 1, false, props, f.host->wall_ms()};
    PublishResult r;
    f.host->on_publish(e, r);
    benchmark::DoNotOptimize(r.verdict);
  }
}
BENCHMARK(BM_HostWithoutPublishHooks);

// Readings of 1000 meters in the form of `m`, each message a new seq.
void readings(benchmark::State& state, Message m) {
  Fixture f(true);
  const protocol::Properties props;
  std::uint64_t i = 0;
  std::uint64_t accepted = 0;
  const auto publish = [&](std::int64_t wall_ms) {
    m.stamp(i++);
    const auth::Principal who{m.meter, auth::Role::kMeter};
    const ClientInfo client{m.meter, &who, protocol::Version::kV5};
    PublishResult r;
    f.host->on_publish(PublishEvent{client, m.topic, m.payload, 1, false, props, wall_ms}, r);
    accepted += r.verdict == Verdict::kAccept && r.state.size() == 1;
    benchmark::DoNotOptimize(r);
  };
  // The steady state of a fan-in: every meter's state is already held. Its first message (state
  // looked up in the Store, created) is a one-off per meter and restart, so it is not timed.
  while (i < 1000) publish(kNow);
  for (auto _ : state) publish(f.host->wall_ms());
  if (accepted != i) state.SkipWithError("a reading was not accepted with its state change");
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * m.payload.size()));
}

void BM_MeterValidationReading(benchmark::State& state) {
  readings(state, Message{});
}
BENCHMARK(BM_MeterValidationReading);

// The same readings with the Z of ts written as an escape (\u005A): a reading in that form gets no
// shape (reading_shape.hpp), so each is parsed and checked in full, as a meter's first reading is,
// and as every reading was before shapes.
void BM_MeterValidationReadingFullCheck(benchmark::State& state) {
  Message m;
  m.payload.replace(m.payload.find("00Z\""), 3, "00\\u005A");
  readings(state, m);
}
BENCHMARK(BM_MeterValidationReadingFullCheck);

void BM_MeterValidationDuplicate(benchmark::State& state) {
  Fixture f(true);
  Message m;
  const protocol::Properties props;
  const auth::Principal who{m.meter, auth::Role::kMeter};
  const ClientInfo client{m.meter, &who, protocol::Version::kV5};
  const PublishEvent e{client, m.topic, m.payload, 1, false, props, kNow};
  PublishResult first;
  f.host->on_publish(e, first);
  for (auto _ : state) {
    PublishResult r;
    f.host->on_publish(e, r);
    if (r.verdict != Verdict::kDrop) state.SkipWithError("not a duplicate");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_MeterValidationDuplicate);

void BM_MeterValidationReject(benchmark::State& state) {
  Fixture f(true);
  Message m;
  m.payload.replace(m.payload.find("\"Wh\""), 4, "\"kW\"");  // a unit not allowed for 1.8.0
  const protocol::Properties props;
  const auth::Principal who{m.meter, auth::Role::kMeter};
  const ClientInfo client{m.meter, &who, protocol::Version::kV5};
  const PublishEvent e{client, m.topic, m.payload, 1, false, props, kNow};
  for (auto _ : state) {
    PublishResult r;
    f.host->on_publish(e, r);
    if (r.verdict != Verdict::kReject) state.SkipWithError("not rejected");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_MeterValidationReject);

void BM_JsonParseOnly(benchmark::State& state) {
  for (auto _ : state) {
    auto j = nlohmann::json::parse(kReading.begin(), kReading.end(), nullptr, false);
    benchmark::DoNotOptimize(j);
  }
}
BENCHMARK(BM_JsonParseOnly);

// meter_validation's own scanner on the same reading (reused, as on the data path).
void BM_JsonScanOnly(benchmark::State& state) {
  meter_validation::JsonScan scan;
  for (auto _ : state) {
    const bool ok = scan.parse(kReading);
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_JsonScanOnly);

}  // namespace
}  // namespace gridmq::plugins

BENCHMARK_MAIN();
