#pragma once
// Opens many clients over an IoPool with a bounded number of connects in flight, and measures
// each connect (TCP connect + CONNECT/CONNACK) into a histogram.

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "client.hpp"
#include "histogram.hpp"
#include "io_pool.hpp"

namespace gridmq::bench {

struct ConnectPlan {
  std::size_t count = 0;
  std::size_t concurrency = 256;  // in total, split over the pool's contexts
  double timeout_s = 60;
  /// Config and handlers of client i (on_connect is wrapped by the connector).
  std::function<ClientConfig(std::size_t i)> config;
  std::function<ClientHandlers(std::size_t i)> handlers;
  /// Context of client i; default i % pool size.
  std::function<std::size_t(std::size_t i)> context_of;
};

struct ConnectOutcome {
  std::vector<std::shared_ptr<Client>> clients;  // index i = client i (null if never started)
  std::vector<bool> ok;                          // connected
  std::size_t connected = 0;
  std::size_t failed = 0;  // refused, errors, or not done by the timeout
  double seconds = 0;      // first start to last CONNACK (or timeout)
  Histogram latency_ns;
  std::vector<std::string> errors;  // first few distinct errors
};

/// Runs on a started pool; returns when every client connected or failed, or at the timeout.
ConnectOutcome connect_all(IoPool& pool, const ConnectPlan& plan);

/// Runs `fn` on context `ctx` and waits for it (bounded by `timeout_s`); false on timeout.
bool run_on(boost::asio::io_context& ctx, const std::function<void()>& fn, double timeout_s = 10);

}  // namespace gridmq::bench
