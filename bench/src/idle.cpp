// idle: N connections with keep-alive and no traffic; broker RSS before and after, per connection.

#include <chrono>
#include <optional>
#include <thread>

#include "connections.hpp"
#include "scenarios.hpp"

namespace gridmq::bench {

namespace {
constexpr double kSettleS = 2.0;  // after the last CONNACK, before reading the broker's RSS
}

Result run_idle(const Options& o) {
  const long pid = o.broker_pid;
  std::optional<long> before;
  if (pid > 0) before = read_rss_sum_kib(o.broker_pids);
  auto coordinate = [&](bool all_arrived, Result& r) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!all_arrived) r.errors.push_back("not every worker reported its connections in time");
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(kSettleS, o.duration_s)));
    if (pid > 0) {
      const auto after = read_rss_sum_kib(o.broker_pids);
      if (before && after) {
        r.broker["pid"] = pid;
        r.broker["pids"] = o.broker_pids;
        r.broker["rss_before_kib"] = *before;
        r.broker["rss_after_kib"] = *after;
      } else {
        r.errors.push_back("could not read VmRSS of pid " + std::to_string(pid));
      }
    }
    // Broker CPU while the connections sit idle (after the settle time): keep-alive timers and
    // PINGREQs, for the idle share of the capacity estimate.
    std::optional<double> cpu0;
    if (pid > 0) cpu0 = read_cpu_sum_s(o.broker_pids);
    const auto c0 = std::chrono::steady_clock::now();
    const double held =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (o.duration_s > held) {
      std::this_thread::sleep_for(std::chrono::duration<double>(o.duration_s - held));
    }
    if (pid > 0) {
      const auto cpu1 = read_cpu_sum_s(o.broker_pids);
      if (cpu0 && cpu1) {
        r.broker["idle_cpu_s"] = *cpu1 - *cpu0;
        r.broker["idle_cpu_window_s"] =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
      }
      if (const auto end = read_rss_sum_kib(o.broker_pids)) r.broker["rss_end_kib"] = *end;
      for (long p : o.broker_pids) {
        if (!process_alive(p))
          r.errors.push_back("broker process " + std::to_string(p) + " is gone");
      }
    }
  };
  return run_connection_workers(o, "idle", o.duration_s + 30, coordinate);
}

}  // namespace gridmq::bench
