#pragma once
// The scenarios. Each runs to completion by itself (every phase is bounded in time) and returns a
// mergeable Result.

#include "options.hpp"
#include "report.hpp"

namespace gridmq::bench {

/// N publishers -> M subscribers on mtr/v1/<tenant>/<meter>/up/reading; throughput, end-to-end
/// and PUBACK latency, losses. Single process.
Result run_fanin(const Options& o);

/// Opens N connections (keep-alive, no traffic), holds them, reports the broker's RSS per
/// connection and the connect rate. Uses --processes workers.
Result run_idle(const Options& o);

/// Connect storm: N connections, each measured from TCP connect to CONNACK and disconnected at
/// once; connect rate and latency. Uses --processes workers.
Result run_connect(const Options& o);

}  // namespace gridmq::bench
