#pragma once
// Shared by idle and connect: a worker that opens its share of the connections, reports that
// they are up, holds them until released, then disconnects. Workers are threads (--processes 1)
// or forked processes whose JSON results are merged.

#include <functional>

#include "options.hpp"
#include "report.hpp"
#include "system.hpp"

namespace gridmq::bench {

/// The options of worker `k` of `count`: its share of --clients and its index offset.
Options worker_share(const Options& o, int k, int count);

/// Opens o.clients connections, arrive()s, waits for release (at most `max_hold_s`), closes.
Result hold_connections(const Options& o, WorkerSync& sync, double max_hold_s);

/// Runs hold_connections in o.processes workers; `coordinate(all_arrived, result)` runs in this
/// process while the connections are held (it may fill result.broker). Returns the merged result.
Result run_connection_workers(const Options& o, const std::string& scenario, double max_hold_s,
                              const std::function<void(bool, Result&)>& coordinate);

}  // namespace gridmq::bench
