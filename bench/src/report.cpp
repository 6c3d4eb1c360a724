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

/// Broker CPU seconds over the measured part (if read) per message in and per delivery out.
void add_broker_cpu(const Result& r, nlohmann::json& s, std::uint64_t in, std::uint64_t out) {
  if (!r.broker.contains("cpu_s")) return;
  const double cpu = r.broker["cpu_s"].get<double>();
  s["broker_cpu_s"] = round_to(cpu, 3);
  if (in > 0) s["broker_cpu_us_per_msg"] = round_to(cpu * 1e6 / static_cast<double>(in), 3);
  if (out > 0) {
    s["broker_cpu_us_per_delivery"] = round_to(cpu * 1e6 / static_cast<double>(out), 3);
  }
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
  if (r.scenario == "fanout") {
    s["subscribers"] = r.counter("subscribers_connected");
    s["delivered_msg_s"] = s["received_msg_s"];
  }
  add_broker_cpu(r, s, r.counter("published_in_window"), r.counter("received_in_window"));
}

std::uint64_t minus(std::uint64_t a, std::uint64_t b) {
  return a > b ? a - b : 0;
}

void summarize_burst(const Result& r, nlohmann::json& s) {
  const bool qos1 = r.params.value("qos", 0) > 0;
  s["meters"] = r.counter("connected");
  s["connect_failures"] = r.counter("connect_failures");
  s["connect_s"] = round_to(r.maximum("connect_s"), 3);
  s["window_s"] =
      r.params.value("spread", "uniform") == "none" ? 0.0 : r.params.value("window_s", 0.0);
  s["sent"] = r.counter("sent");
  if (qos1) {
    s["acked"] = r.counter("acked");
    s["puback_errors"] = r.counter("puback_errors");
    s["all_acked_s"] = round_to(r.maximum("all_acked_s"), 3);
  }
  s["all_received_s"] = round_to(r.maximum("all_received_s"), 3);
  add_percentiles(s, "puback", r.histogram("puback_ns"));
  add_percentiles(s, "e2e", r.histogram("e2e_ns"));
  const std::uint64_t expected = r.counter("expected");
  const std::uint64_t received = r.counter("received_unique");
  s["expected_deliveries"] = expected;
  s["received_total"] = received;
  s["losses"] = minus(expected, received);
  s["duplicates"] = r.counter("duplicates");
  s["unacked_at_end"] = qos1 ? minus(r.counter("sent"), r.counter("acked")) : 0;
  s["connections_lost"] = r.counter("connections_lost");
  add_broker_cpu(r, s, r.counter("sent"), received);
}

void summarize_storm(const Result& r, nlohmann::json& s) {
  s["meters"] = r.counter("connected");
  s["connect_failures"] = r.counter("connect_failures");
  s["backlog_per_meter"] = r.params.value("backlog", 0);
  s["backlog_published"] = r.counter("backlog_published");
  s["backlog_acked"] = r.counter("backlog_acked");
  s["backlog_publish_s"] = round_to(r.maximum("backlog_s"), 3);
  s["reconnected"] = r.counter("reconnected");
  s["not_back"] = minus(r.counter("connected"), r.counter("reconnected"));
  s["all_back_s"] = round_to(r.maximum("all_back_s"), 3);
  s["all_drained_s"] = round_to(r.maximum("all_drained_s"), 3);
  s["reconnect_attempts"] = r.counter("reconnect_attempts");
  s["failed_attempts"] = r.counter("failed_attempts");
  s["sessions_lost"] = r.counter("sessions_lost");
  s["drained_meters"] = r.counter("drained_meters");
  add_percentiles(s, "back", r.histogram("back_ns"));
  add_percentiles(s, "drained", r.histogram("drained_ns"));
  const std::uint64_t expected = r.counter("backlog_acked");
  const std::uint64_t received = r.counter("received_unique");
  s["expected_deliveries"] = expected;
  s["received_total"] = received;
  s["losses"] = minus(expected, received);
  s["duplicates"] = r.counter("duplicates");
  s["connections_lost"] = r.counter("connections_lost");
}

void summarize_broadcast(const Result& r, nlohmann::json& s) {
  s["meters"] = r.counter("connected");
  s["connect_failures"] = r.counter("connect_failures");
  s["subscribed"] = r.counter("subscribed");
  s["commands_published"] = r.counter("commands_published");
  s["commands_acked"] = r.counter("commands_acked");
  s["publish_s"] = round_to(r.maximum("publish_s"), 3);
  const std::uint64_t expected = r.counter("subscribed");
  const std::uint64_t received = r.counter("received_unique");
  s["received_total"] = received;
  s["all_received_s"] = round_to(r.maximum("all_received_s"), 3);
  add_percentiles(s, "deliver", r.histogram("deliver_ns"));
  s["losses"] = minus(expected, received);
  s["duplicates"] = r.counter("duplicates");
  if (r.params.value("ack", false)) {
    const std::uint64_t acks = r.counter("acks_received");
    s["acks_received"] = acks;
    s["all_acks_s"] = round_to(r.maximum("all_acks_s"), 3);
    add_percentiles(s, "ack", r.histogram("ack_ns"));
    s["ack_losses"] = minus(received, acks);
    s["ack_duplicates"] = r.counter("ack_duplicates");
  }
  s["connections_lost"] = r.counter("connections_lost");
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
  if (r.broker.contains("idle_cpu_s") && r.broker.contains("idle_cpu_window_s")) {
    const double cpu = r.broker["idle_cpu_s"].get<double>();
    const double window = r.broker["idle_cpu_window_s"].get<double>();
    s["broker_idle_cpu_s"] = round_to(cpu, 3);
    if (connected > 0 && window > 0) {
      // Broker CPU microseconds per connection per second of idling.
      s["broker_idle_cpu_us_per_conn_s"] =
          round_to(cpu * 1e6 / (static_cast<double>(connected) * window), 4);
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
  if (scenario == "fanin" || scenario == "fanout") {
    summarize_fanin(*this, s);
  } else if (scenario == "burst") {
    summarize_burst(*this, s);
  } else if (scenario == "storm") {
    summarize_storm(*this, s);
  } else if (scenario == "broadcast") {
    summarize_broadcast(*this, s);
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
    out << "  " << std::left << std::setw(30) << k << ' ' << v.dump() << '\n';
  }
  for (const auto& e : r.errors) out << "  error: " << e << '\n';
}

}  // namespace gridmq::bench
