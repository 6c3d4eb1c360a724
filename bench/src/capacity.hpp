#pragma once
// Capacity arithmetic: from measured per-message CPU (fanin) and per-connection memory (idle), how
// many meters one broker process on this machine carries at a reading interval, with headroom.
// Pure arithmetic; `gridmq-bench capacity` reads the inputs from result files and prints this.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gridmq::bench {

struct CapacityInputs {
  double cpu_s_per_msg = 0;          // broker CPU seconds per reading (received + delivered once)
  double rss_kib_per_conn = 0;       // broker memory per idle connection
  double idle_cpu_s_per_conn_s = 0;  // broker CPU per idle connection per second (timers)
  double cores = 1;                  // cores the broker may use
  double mem_kib = 0;                // memory the broker may use
  double fd_limit = 0;               // open files per broker process; 0 = not limiting
  double interval_s = 900;           // one reading per meter per interval
  double keepalive_s = 60;           // a PINGREQ per keep-alive period when idle
  double ping_cost = 0.1;            // CPU of a PINGREQ relative to a reading (assumption)
  double burst_window_s = 0;  // readings of one interval arrive within this window; 0 = evenly
  double headroom = 0.3;      // fraction of CPU and memory kept free
};

struct CapacityBound {
  std::string name;  // cpu-average, cpu-burst, memory, open-files
  double meters = 0;
  std::string reasoning;  // the arithmetic, printed
};

struct CapacityEstimate {
  std::vector<CapacityBound> bounds;
  double meters = 0;     // the smallest bound
  std::string limit;     // its name
  double msg_s_cap = 0;  // readings/s the usable CPU carries
  std::string headline;  // "this machine carries about N meters at interval T with headroom H"
};

/// Throws std::invalid_argument when an input is out of range (e.g. headroom >= 1).
CapacityEstimate estimate_capacity(const CapacityInputs& in);

/// Rounds down to 2 significant digits (12,345 -> 12,000), for the headline.
double round_down_2sig(double v);
/// A count of meters for people: "19000", "1000000", "unlimited".
std::string meters_text(double v);

nlohmann::json to_json(const CapacityInputs& in, const CapacityEstimate& e);

}  // namespace gridmq::bench
