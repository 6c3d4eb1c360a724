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

/// The 15-minute boundary: N connected meters (persistent sessions) each publish one reading
/// within --window; time until all are acknowledged and received, latency, losses.
Result run_burst(const Options& o);

/// N meters cut at once (or the broker restarted), a backlog queued to their cmd topics, then a
/// reconnect storm with jittered exponential back-off; time until all are back and drained.
Result run_storm(const Options& o);

/// One command to N meters (per-meter topics or a group topic), optionally acknowledged; time
/// until all received and until all acks are in.
Result run_broadcast(const Options& o);

/// One publisher to N subscribers (N = --clients); fanin with the roles swapped.
Result run_fanout(const Options& o);

/// `gridmq-bench capacity ...`: reads result files, prints the capacity estimate. Returns the
/// exit status.
int run_capacity(int argc, char** argv);

}  // namespace gridmq::bench
