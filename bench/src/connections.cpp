#include "connections.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "common.hpp"
#include "connector.hpp"
#include "io_pool.hpp"

namespace gridmq::bench {

Options worker_share(const Options& o, int k, int count) {
  Options w = o;
  const auto n = static_cast<std::size_t>(count);
  const auto idx = static_cast<std::size_t>(k);
  const std::size_t base = o.clients / n;
  const std::size_t extra = o.clients % n;
  w.clients = base + (idx < extra ? 1 : 0);
  w.first_index = o.first_index + idx * base + std::min(idx, extra);
  w.worker = k;
  w.total_clients = o.all_clients();
  return w;
}

Result hold_connections(const Options& o, WorkerSync& sync, double max_hold_s) {
  Result res;
  res.params = o.to_json();
  IoPool pool(static_cast<std::size_t>(std::max(1, o.threads)));
  pool.start();
  std::atomic<std::uint64_t> lost{0};

  ConnectPlan plan;
  plan.count = o.clients;
  plan.concurrency = o.connect_concurrency;
  plan.timeout_s = o.connect_timeout_s;
  plan.config = [&](std::size_t i) { return client_config(o, "conn", i); };
  plan.handlers = [&](std::size_t) {
    ClientHandlers h;
    h.on_lost = [&lost](const boost::system::error_code&) { lost.fetch_add(1); };
    return h;
  };
  ConnectOutcome out = connect_all(pool, plan);
  res.add("connected", out.connected);
  res.add("connect_failures", out.failed);
  res.set_max("connect_s", out.seconds);
  res.histograms["connect_ns"] = out.latency_ns;
  for (const auto& e : out.errors) res.errors.push_back("connect: " + e);

  sync.arrive();
  sync.wait_release(max_hold_s);
  res.add("disconnected_early", lost.load());
  if (lost.load() > 0) {
    res.errors.push_back(std::to_string(lost.load()) + " connections closed by the broker early");
  }

  for (std::size_t c = 0; c < pool.size(); ++c) {
    run_on(pool.context(c), [&out, &pool, c] {
      for (auto& cl : out.clients) {
        if (cl && &cl->io() == &pool.context(c)) cl->disconnect();
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // DISCONNECTs go out
  pool.stop();
  pool.join();
  out.clients.clear();
  return res;
}

Result run_connection_workers(const Options& o, const std::string& scenario, double max_hold_s,
                              const std::function<void(bool, Result&)>& coordinate) {
  Result coord;
  const int count = std::max(1, o.processes);
  auto work = [&](int k, WorkerSync& sync) {
    Options w = count > 1 ? worker_share(o, k, count) : o;
    Result r = hold_connections(w, sync, max_hold_s);
    r.scenario = scenario;
    return r.to_json().dump();
  };
  // Arrival may take the whole connect timeout; the coordinator then holds.
  const auto outs = run_workers(count, o.connect_timeout_s + 30, max_hold_s + 60, work,
                                [&](bool all) { coordinate(all, coord); });
  Result merged;
  merged.parts = 0;
  for (std::size_t k = 0; k < outs.size(); ++k) {
    if (outs[k].empty()) {
      merged.errors.push_back("worker " + std::to_string(k) + " produced no result");
      continue;
    }
    merged.merge(Result::from_json(nlohmann::json::parse(outs[k])));
  }
  merged.scenario = scenario;
  merged.params = o.to_json();
  merged.broker = coord.broker;
  merged.errors.insert(merged.errors.end(), coord.errors.begin(), coord.errors.end());
  if (merged.parts == 0) merged.parts = 1;
  return merged;
}

}  // namespace gridmq::bench
