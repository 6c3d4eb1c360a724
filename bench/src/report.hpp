#pragma once
// A scenario's result: raw counters and histograms that merge losslessly across threads and
// processes, plus a derived summary (rates, percentiles, per-connection memory) for people and
// for compare.sh.

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "histogram.hpp"

namespace gridmq::bench {

struct Result {
  std::string scenario;
  nlohmann::json params = nlohmann::json::object();  // the options of the run (first part's)
  std::map<std::string, std::uint64_t> counters;     // merged by sum
  std::map<std::string, double> maxima;              // merged by max (durations in seconds)
  std::map<std::string, Histogram> histograms;       // merged bucket by bucket
  nlohmann::json broker = nlohmann::json::object();  // broker-side facts (RSS), set by the parent
  std::vector<std::string> errors;                   // concatenated
  int parts = 1;                                     // how many processes were merged

  std::uint64_t counter(const std::string& name) const;
  double maximum(const std::string& name) const;
  const Histogram* histogram(const std::string& name) const;

  void add(const std::string& name, std::uint64_t n) { counters[name] += n; }
  void set_max(const std::string& name, double v);

  /// Adds another part of the same run (another thread or worker process).
  void merge(const Result& other);

  /// Derived numbers, depending on the scenario: msg/s, latency percentiles in microseconds,
  /// losses, connect rate, RSS per connection (KiB).
  nlohmann::json summary() const;

  /// {"scenario","params","parts","counters","maxima","histograms","broker","errors","summary"}
  nlohmann::json to_json() const;
  /// Reads what to_json() wrote ("summary" is ignored: it is derived again).
  static Result from_json(const nlohmann::json& j);
};

/// Short human-readable table of summary() (one "name  value" line per metric).
void print_text(const Result& r, std::ostream& out);

}  // namespace gridmq::bench
