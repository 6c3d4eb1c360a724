// gridmq-bench capacity: reads result files (fanin for CPU per message, idle for memory per
// connection, burst as a cross-check) and prints how many meters this machine carries.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "capacity.hpp"
#include "report.hpp"
#include "scenarios.hpp"

namespace gridmq::bench {

namespace {

constexpr const char* kUsage =
    R"(usage: gridmq-bench capacity --from RESULT.json [--from ...] [options]
  --from FILE        a gridmq-bench --json result (runs made with --broker-pid): fanin and
                     burst give CPU per reading (broker CPU / readings; the larger is used),
                     idle gives memory and idle CPU per connection
  --interval S       reading interval per meter                     [900]
  --headroom H       fraction of CPU and memory kept free           [0.3]
  --burst-window S   the readings of one interval arrive within S s; 0 = evenly spread [0]
  --keepalive S      meter keep-alive (one PINGREQ per period)      [60]
  --ping-cost C      CPU of a PINGREQ relative to a reading (assumed) [0.1]
  --cores N          cores for the broker                           [nproc]
  --mem-mib M        memory for the broker                          [MemAvailable]
  --fd-limit N       open files per broker process; 0 = ignore      [RLIMIT_NOFILE hard]
  --json FILE        write inputs, bounds and headline as JSON
)";

double positive(const std::string& flag, const std::string& v) {
  std::size_t used = 0;
  double d = 0;
  try {
    d = std::stod(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != v.size() || d < 0) throw std::invalid_argument(flag + ": not a number: " + v);
  return d;
}

std::string g(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

double mem_available_kib() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib;
  }
  return 0;
}

}  // namespace

int run_capacity(int argc, char** argv) {
  CapacityInputs in;
  in.cores = static_cast<double>(::sysconf(_SC_NPROCESSORS_ONLN));
  in.mem_kib = mem_available_kib();
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY) {
    in.fd_limit = static_cast<double>(rl.rlim_max);
  }
  std::vector<std::string> files;
  std::string json_out;
  try {
    for (int i = 2; i < argc; ++i) {
      const std::string flag = argv[i];
      if (flag == "--help" || flag == "-h") {
        std::cout << kUsage;
        return 0;
      }
      if (i + 1 >= argc) throw std::invalid_argument(flag + ": missing value");
      const std::string v = argv[++i];
      if (flag == "--from")
        files.push_back(v);
      else if (flag == "--interval")
        in.interval_s = positive(flag, v);
      else if (flag == "--headroom")
        in.headroom = positive(flag, v);
      else if (flag == "--burst-window")
        in.burst_window_s = positive(flag, v);
      else if (flag == "--keepalive")
        in.keepalive_s = positive(flag, v);
      else if (flag == "--ping-cost")
        in.ping_cost = positive(flag, v);
      else if (flag == "--cores")
        in.cores = positive(flag, v);
      else if (flag == "--mem-mib")
        in.mem_kib = positive(flag, v) * 1024;
      else if (flag == "--fd-limit")
        in.fd_limit = positive(flag, v);
      else if (flag == "--json")
        json_out = v;
      else
        throw std::invalid_argument("unknown option " + flag + "\n" + kUsage);
    }
    if (files.empty()) throw std::invalid_argument(std::string("no --from file\n") + kUsage);
  } catch (const std::exception& e) {
    std::cerr << "gridmq-bench capacity: " << e.what() << '\n';
    return 2;
  }

  // Inputs from the results: the most expensive QoS 1 fanin (QoS 0 if there is none) and the
  // idle run with the most connections.
  std::string cpu_from;
  std::string mem_from;
  int cpu_qos = -1;
  double idle_conns = 0;
  std::vector<std::string> notes;
  double burst_cpu_s = 0;
  std::string burst_from;
  for (const auto& f : files) {
    Result r;
    try {
      std::ifstream file(f);
      if (!file) throw std::runtime_error("cannot open");
      r = Result::from_json(nlohmann::json::parse(file));
    } catch (const std::exception& e) {
      std::cerr << "gridmq-bench capacity: " << f << ": " << e.what() << '\n';
      return 2;
    }
    const auto s = r.summary();
    if (r.scenario == "fanin" && s.contains("broker_cpu_us_per_msg")) {
      const int qos = r.params.value("qos", 0);
      const double cpu = s["broker_cpu_us_per_msg"].get<double>() / 1e6;
      if (qos > cpu_qos || (qos == cpu_qos && cpu > in.cpu_s_per_msg)) {
        cpu_qos = qos;
        in.cpu_s_per_msg = cpu;
        cpu_from =
            f + " (QoS " + std::to_string(qos) + ", " + s["published_msg_s"].dump() + " msg/s)";
      }
    } else if (r.scenario == "idle" && s.contains("rss_per_conn_kib")) {
      const double n = s["connections"].get<double>();
      if (n > idle_conns) {
        idle_conns = n;
        in.rss_kib_per_conn = s["rss_per_conn_kib"].get<double>();
        in.idle_cpu_s_per_conn_s = s.value("broker_idle_cpu_us_per_conn_s", 0.0) / 1e6;
        mem_from = f + " (" + s["connections"].dump() + " connections)";
      }
    } else if (r.scenario == "burst") {
      if (s.contains("broker_cpu_us_per_msg")) {
        burst_cpu_s = std::max(burst_cpu_s, s["broker_cpu_us_per_msg"].get<double>() / 1e6);
        burst_from = f;
      }
      notes.push_back("measured burst (" + f + "): " + s["meters"].dump() + " meters, window " +
                      s["window_s"].dump() + " s, all acknowledged after " +
                      s.value("all_acked_s", nlohmann::json("-")).dump() +
                      " s, all received after " + s["all_received_s"].dump() + " s, losses " +
                      s["losses"].dump() +
                      (s.contains("broker_cpu_us_per_msg")
                           ? ", broker CPU " + s["broker_cpu_us_per_msg"].dump() + " us/reading"
                           : std::string()));
    }
  }

  // One reading per connection (burst) costs the broker more than fan-in's many readings per
  // connection: use the larger figure.
  if (burst_cpu_s > in.cpu_s_per_msg) {
    cpu_from = burst_from +
               " (burst: one reading per meter connection; includes the idle cost "
               "of the connections during the window" +
               (cpu_from.empty()
                    ? std::string(")")
                    : "; fanin gave " + g(in.cpu_s_per_msg * 1e6) + " us from " + cpu_from + ")");
    in.cpu_s_per_msg = burst_cpu_s;
  }
  CapacityEstimate e;
  try {
    e = estimate_capacity(in);
  } catch (const std::exception& ex) {
    std::cerr << "gridmq-bench capacity: " << ex.what() << '\n';
    return 2;
  }
  std::cout << "capacity estimate (one broker process)\n";
  std::cout << "  CPU per reading:       "
            << (cpu_from.empty() ? "not measured (no fanin result with broker CPU)"
                                 : g(in.cpu_s_per_msg * 1e6) + " us from " + cpu_from)
            << '\n';
  std::cout << "  memory per connection: "
            << (mem_from.empty() ? "not measured (no idle result with broker RSS)"
                                 : g(in.rss_kib_per_conn) + " KiB from " + mem_from)
            << '\n';
  std::cout << "  idle CPU per connection: " << g(in.idle_cpu_s_per_conn_s * 1e6)
            << " us per second (from the same idle run; 0 if not measured)\n";
  std::cout << "  PINGREQ cost:          assumed " << in.ping_cost
            << " x a reading (not measured: the idle hold is shorter than the keep-alive)\n";
  std::cout << "  fsync rate:            not yet measured: durable storage is not wired into the "
               "broker; QoS 1 acks do not wait for a disk commit yet\n";
  for (const auto& b : e.bounds) std::cout << "  bound " << b.name << ": " << b.reasoning << '\n';
  for (const auto& n : notes) std::cout << "  " << n << '\n';
  std::cout << e.headline << '\n';
  if (in.fd_limit > 0 && e.limit == "open-files") {
    CapacityInputs unlimited = in;
    unlimited.fd_limit = 0;
    const auto u = estimate_capacity(unlimited);
    std::cout << "without the per-process open-file limit (raised limit, or several broker "
                 "processes): about "
              << meters_text(round_down_2sig(u.meters)) << " meters (limited by " << u.limit
              << ")\n";
  }
  if (!json_out.empty()) {
    nlohmann::json j = to_json(in, e);
    j["cpu_from"] = cpu_from;
    j["mem_from"] = mem_from;
    j["notes"] = notes;
    j["fsync"] = "not yet measured (storage not wired into the broker)";
    std::ofstream out(json_out);
    out << j.dump(2) << '\n';
    if (!out) {
      std::cerr << "gridmq-bench capacity: cannot write " << json_out << '\n';
      return 1;
    }
  }
  return 0;
}

}  // namespace gridmq::bench
