#include "report.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>

namespace gridmq::bench {

namespace {

double per_second(std::uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

double round_to(double v, int digits) {
  const double f = std::pow(10.0, digits);
  return std::round(v * f) / f;
}

/// p50/p99/p99.9/max of a nanosecond histogram, in microseconds, under `prefix`.
void add_percentiles(nlohmann::json& s, const std::string& prefix, const Histogram* h) {
  if (h == nullptr || h->count() == 0) return;
  auto us = [](std::uint64_t ns) { return round_to(static_cast<double>(ns) / 1000.0, 1); };
  s[prefix + "_count"] = h->count();
  s[prefix + "_p50_us"] = us(h->percentile(50));
  s[prefix + "_p99_us"] = us(h->percentile(99));
  s[prefix + "_p999_us"] = us(h->percentile(99.9));
  s[prefix + "_max_us"] = us(h->max());
}

void summarize_fanin(const Result& r, nlohmann::json& s) {
  const double window = r.maximum("window_s");
  s["window_s"] = round_to(window, 3);
  s["published_msg_s"] = round_to(per_second(r.counter("published_in_window"), window), 1);
  s["received_msg_s"] = round_to(per_second(r.counter("received_in_window"), window), 1);
  if (r.params.value("qos", 0) > 0) {
    s["acked_msg_s"] = round_to(per_second(r.counter("acked_in_window"), window), 1);
  }
  add_percentiles(s, "e2e", r.histogram("e2e_ns"));
  add_percentiles(s, "puback", r.histogram("puback_ns"));
  const std::uint64_t expected = r.counter("expected");
  const std::uint64_t received = r.counter("received_unique");
  s["sent_total"] = r.counter("published_total");
  s["expected_deliveries"] = expected;
  s["received_total"] = received;
  s["losses"] = expected > received ? expected - received : 0;
  s["received_beyond_expected"] = received > expected ? received - expected : 0;
  s["duplicates"] = r.counter("duplicates");
  s["seq_gaps"] = r.counter("seq_gaps");
  s["window_resets"] = r.counter("window_resets");
  s["connections_lost"] = r.counter("connections_lost");
  s["unacked_at_end"] = r.counter("unacked_at_end");
  s["drain_timed_out"] = r.counter("drain_timed_out") > 0;
}

void summarize_connections(const Result& r, nlohmann::json& s) {
  const std::uint64_t connected = r.counter("connected");
  s["connections"] = connected;
  s["connect_failures"] = r.counter("connect_failures");
  s["disconnected_early"] = r.counter("disconnected_early");
  const double connect_s = r.maximum("connect_s");
  s["connect_s"] = round_to(connect_s, 3);
  s["connect_rate_s"] = round_to(per_second(connected, connect_s), 1);
  add_percentiles(s, "connect", r.histogram("connect_ns"));
  if (r.broker.contains("rss_before_kib") && r.broker.contains("rss_after_kib")) {
    const auto before = r.broker["rss_before_kib"].get<double>();
    const auto after = r.broker["rss_after_kib"].get<double>();
    s["rss_before_kib"] = before;
    s["rss_after_kib"] = after;
    if (connected > 0) {
      s["rss_per_conn_kib"] = round_to((after - before) / static_cast<double>(connected), 2);
    }
  }
}

}  // namespace

std::uint64_t Result::counter(const std::string& name) const {
  auto it = counters.find(name);
  return it == counters.end() ? 0 : it->second;
}

double Result::maximum(const std::string& name) const {
  auto it = maxima.find(name);
  return it == maxima.end() ? 0.0 : it->second;
}

const Histogram* Result::histogram(const std::string& name) const {
  auto it = histograms.find(name);
  return it == histograms.end() ? nullptr : &it->second;
}

void Result::set_max(const std::string& name, double v) {
  auto [it, inserted] = maxima.emplace(name, v);
  if (!inserted) it->second = std::max(it->second, v);
}

void Result::merge(const Result& other) {
  if (scenario.empty()) scenario = other.scenario;
  if (params.empty()) params = other.params;
  for (const auto& [k, v] : other.counters) counters[k] += v;
  for (const auto& [k, v] : other.maxima) set_max(k, v);
  for (const auto& [k, h] : other.histograms) histograms[k].merge(h);
  for (const auto& [k, v] : other.broker.items()) {
    if (!broker.contains(k)) broker[k] = v;
  }
  errors.insert(errors.end(), other.errors.begin(), other.errors.end());
  parts += other.parts;
}

nlohmann::json Result::summary() const {
  nlohmann::json s = nlohmann::json::object();
  if (scenario == "fanin") {
    summarize_fanin(*this, s);
  } else {
    summarize_connections(*this, s);
  }
  s["errors"] = errors.size();
  return s;
}

nlohmann::json Result::to_json() const {
  nlohmann::json hs = nlohmann::json::object();
  for (const auto& [k, h] : histograms) hs[k] = h.to_json();
  return {{"scenario", scenario}, {"params", params}, {"parts", parts},
          {"counters", counters}, {"maxima", maxima}, {"histograms", std::move(hs)},
          {"broker", broker},     {"errors", errors}, {"summary", summary()}};
}

Result Result::from_json(const nlohmann::json& j) {
  Result r;
  r.scenario = j.at("scenario").get<std::string>();
  r.params = j.value("params", nlohmann::json::object());
  r.parts = j.value("parts", 1);
  r.counters = j.value("counters", std::map<std::string, std::uint64_t>{});
  r.maxima = j.value("maxima", std::map<std::string, double>{});
  if (j.contains("histograms")) {
    for (const auto& [k, v] : j.at("histograms").items()) r.histograms[k] = Histogram::from_json(v);
  }
  r.broker = j.value("broker", nlohmann::json::object());
  r.errors = j.value("errors", std::vector<std::string>{});
  return r;
}

void print_text(const Result& r, std::ostream& out) {
  out << "scenario: " << r.scenario;
  if (r.parts > 1) out << " (" << r.parts << " processes)";
  out << '\n';
  const nlohmann::json summary = r.summary();
  for (const auto& [k, v] : summary.items()) {
    out << "  " << std::left << std::setw(26) << k << ' ' << v.dump() << '\n';
  }
  for (const auto& e : r.errors) out << "  error: " << e << '\n';
}

}  // namespace gridmq::bench
