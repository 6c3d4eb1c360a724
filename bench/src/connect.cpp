// connect: a connect storm; N connections opened with --connect-concurrency in flight, each timed
// from TCP connect to CONNACK, all closed once every one is up.

#include "connections.hpp"
#include "scenarios.hpp"

namespace gridmq::bench {

Result run_connect(const Options& o) {
  const long pid = o.broker_pid;
  std::optional<long> before;
  if (pid > 0) before = read_rss_sum_kib(o.broker_pids);
  auto coordinate = [&](bool all_arrived, Result& r) {
    if (!all_arrived) r.errors.push_back("not every worker reported its connections in time");
    if (pid > 0) {
      const auto after = read_rss_sum_kib(o.broker_pids);
      if (before && after) {
        r.broker["pid"] = pid;
        r.broker["pids"] = o.broker_pids;
        r.broker["rss_before_kib"] = *before;
        r.broker["rss_after_kib"] = *after;
      }
      for (long p : o.broker_pids) {
        if (!process_alive(p))
          r.errors.push_back("broker process " + std::to_string(p) + " is gone");
      }
    }
  };
  return run_connection_workers(o, "connect", 5, coordinate);
}

}  // namespace gridmq::bench
