#include "capacity.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace gridmq::bench {

namespace {

std::string fmt(const char* f, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, a);
  return buf;
}

std::string num(double v) {
  if (std::isinf(v)) return "unlimited";
  if (v >= 100) return fmt("%.0f", v);
  if (v >= 1) return fmt("%.2f", v);
  return fmt("%.3g", v);
}

}  // namespace

double round_down_2sig(double v) {
  if (!(v > 0) || std::isinf(v)) return v;
  const double mag = std::pow(10.0, std::floor(std::log10(v)) - 1);
  return std::floor(v / mag) * mag;
}

CapacityEstimate estimate_capacity(const CapacityInputs& in) {
  if (!(in.headroom >= 0 && in.headroom < 1)) throw std::invalid_argument("headroom in [0, 1)");
  if (!(in.interval_s > 0)) throw std::invalid_argument("interval must be > 0");
  if (!(in.cores > 0)) throw std::invalid_argument("cores must be > 0");
  if (in.cpu_s_per_msg < 0 || in.rss_kib_per_conn < 0 || in.mem_kib < 0 || in.keepalive_s < 0 ||
      in.ping_cost < 0 || in.burst_window_s < 0 || in.fd_limit < 0) {
    throw std::invalid_argument("negative input");
  }
  const double inf = std::numeric_limits<double>::infinity();
  const double use = 1.0 - in.headroom;
  CapacityEstimate e;

  // CPU: usable core-seconds per second / CPU seconds per reading = readings per second.
  e.msg_s_cap = in.cpu_s_per_msg > 0 ? in.cores * use / in.cpu_s_per_msg : inf;
  {
    // CPU seconds per meter per second: its readings, its PINGREQs, and idling.
    const double readings = in.cpu_s_per_msg / in.interval_s;
    const double pings = in.keepalive_s > 0 ? in.ping_cost * in.cpu_s_per_msg / in.keepalive_s : 0;
    const double per_meter = readings + pings + in.idle_cpu_s_per_conn_s;
    const double m = per_meter > 0 ? in.cores * use / per_meter : inf;
    CapacityBound b{"cpu-average", m, ""};
    b.reasoning = num(in.cores) + " cores x " + num(use) + " / (" + num(in.cpu_s_per_msg * 1e6) +
                  " us per reading / " + num(in.interval_s) + " s + " + num(in.ping_cost) + " x " +
                  num(in.cpu_s_per_msg * 1e6) + " us per PINGREQ / " + num(in.keepalive_s) +
                  " s + " + num(in.idle_cpu_s_per_conn_s * 1e6) +
                  " us/s idle) = " + num(in.cores * use) + " s/s / " +
                  fmt("%.4g", per_meter * 1e6) + " us/s per meter = " + num(m) + " meters";
    e.bounds.push_back(b);
  }
  if (in.burst_window_s > 0) {
    CapacityBound b{"cpu-burst", e.msg_s_cap * in.burst_window_s, ""};
    b.reasoning = "all readings of an interval within " + num(in.burst_window_s) +
                  " s: " + num(e.msg_s_cap) + " readings/s x " + num(in.burst_window_s) +
                  " s = " + num(b.meters) + " meters";
    e.bounds.push_back(b);
  }
  {
    const double m = in.rss_kib_per_conn > 0 ? in.mem_kib * use / in.rss_kib_per_conn : inf;
    CapacityBound b{"memory", m, ""};
    b.reasoning = num(in.mem_kib / 1024) + " MiB x " + num(use) + " / " + num(in.rss_kib_per_conn) +
                  " KiB per connection = " + num(m) + " meters";
    e.bounds.push_back(b);
  }
  if (in.fd_limit > 0) {
    const double reserve = 64;  // listeners, log files, storage, admin
    CapacityBound b{"open-files", std::max(0.0, in.fd_limit - reserve), ""};
    b.reasoning = "one broker process holds at most " + num(in.fd_limit) +
                  " open files (RLIMIT_NOFILE) - " + num(reserve) + " reserved = " + num(b.meters) +
                  " meters";
    e.bounds.push_back(b);
  }
  e.meters = inf;
  for (const auto& b : e.bounds) {
    if (b.meters < e.meters) {
      e.meters = b.meters;
      e.limit = b.name;
    }
  }
  e.headline = "this machine carries about " + num(round_down_2sig(e.meters)) +
               " meters at interval " + num(in.interval_s) + " s with headroom " +
               fmt("%.0f", in.headroom * 100) + " % (limited by " + e.limit + ")";
  return e;
}

std::string meters_text(double v) {
  return num(v);
}

nlohmann::json to_json(const CapacityInputs& in, const CapacityEstimate& e) {
  nlohmann::json bounds = nlohmann::json::array();
  for (const auto& b : e.bounds) {
    bounds.push_back({{"name", b.name},
                      {"meters", std::isinf(b.meters) ? -1.0 : b.meters},
                      {"reasoning", b.reasoning}});
  }
  return {{"inputs",
           {{"cpu_us_per_msg", in.cpu_s_per_msg * 1e6},
            {"rss_kib_per_conn", in.rss_kib_per_conn},
            {"idle_cpu_us_per_conn_s", in.idle_cpu_s_per_conn_s * 1e6},
            {"cores", in.cores},
            {"mem_kib", in.mem_kib},
            {"fd_limit", in.fd_limit},
            {"interval_s", in.interval_s},
            {"keepalive_s", in.keepalive_s},
            {"ping_cost", in.ping_cost},
            {"burst_window_s", in.burst_window_s},
            {"headroom", in.headroom}}},
          {"bounds", bounds},
          {"meters", std::isinf(e.meters) ? -1.0 : e.meters},
          {"limit", e.limit},
          {"readings_s_capacity", std::isinf(e.msg_s_cap) ? -1.0 : e.msg_s_cap},
          {"headline", e.headline}};
}

}  // namespace gridmq::bench
