#pragma once
// Command-line options shared by every scenario.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gridmq::bench {

struct Options {
  std::string scenario;  // fanin | idle | connect | burst | storm | broadcast | fanout
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  std::size_t clients = 100;      // publishers (fanin) or connections (idle, connect)
  std::size_t subscribers = 1;    // fanin
  int qos = 0;                    // 0 or 1
  double rate = 0;                // total msg/s; 0 = saturate within the in-flight window
  double duration_s = 10;         // measured window (fanin) or hold time (idle)
  double warmup_s = 2;            // fanin: load before the measured window
  double drain_s = 10;            // fanin: max wait for in-flight messages after the window
  double connect_timeout_s = 60;  // max time to establish all connections
  std::size_t payload_size = 277;
  int version = 4;                   // 4 = MQTT 3.1.1, 5 = MQTT 5.0
  long broker_pid = 0;               // 0 = do not measure broker memory (first of broker_pids)
  std::vector<long> broker_pids;     // idle/connect: RSS is summed over these
  std::vector<std::uint16_t> ports;  // idle/connect: connections spread over several brokers
  int processes = 1;                 // idle / connect: fork this many workers
  int threads = 2;                   // io threads per process
  std::size_t inflight = 0;          // per publisher; 0 = 16 when saturating, 1000 at a fixed rate
  std::size_t connect_concurrency = 256;  // connections being set up at once (per process)
  std::uint16_t keep_alive_s = 60;
  std::string tenant = "t1";
  std::string client_prefix = "gbench";
  std::string json_out;
  std::vector<std::string> source_ips = {"127.0.0.1"};
  bool quiet = false;

  // burst
  double window_s = 10;  // every meter publishes one reading within this window
  bool spread = true;    // evenly spread over the window (false: all at once)
  // storm
  std::size_t backlog = 10;       // QoS 1 messages queued per meter while it is away
  double backoff_base_s = 0.5;    // reconnect back-off: first ceiling
  double backoff_max_s = 8;       // largest ceiling
  double jitter = 1.0;            // 1 = full jitter
  double attempt_timeout_s = 10;  // one reconnect attempt: TCP connect to CONNACK
  double settle_s = 1;            // after the cut, before the backlog is published
  std::string restart_cmd;        // storm: restart the broker with this shell command
  // broadcast
  bool group_target = false;  // one PUBLISH to a group topic instead of one per meter
  std::string group = "bench";
  bool ack = false;  // meters acknowledge on .../cmd/ack; time until all acks are in
  // fanin: subscribers with persistent sessions (a durable broker stores every message for them)
  bool persistent_subscribers = false;
  // burst, storm, broadcast (and fanin --persistent-subscribers): persistent sessions
  std::uint32_t session_expiry_s = 3600;  // MQTT 5 Session Expiry Interval

  // Set for forked workers: index offset of this worker's clients and its number.
  std::size_t first_index = 0;
  int worker = -1;
  std::size_t total_clients = 0;  // --clients of the whole run (0: same as clients)

  std::size_t all_clients() const { return total_clients ? total_clients : clients; }

  std::size_t effective_inflight() const {
    if (inflight > 0) return inflight;
    return rate > 0 ? 1000 : 16;
  }
  nlohmann::json to_json() const;
};

/// Parses argv; throws std::invalid_argument with a message on bad input. Returns false after
/// printing usage for --help.
bool parse_options(int argc, char** argv, Options& out);
std::string usage();

}  // namespace gridmq::bench
