#pragma once
// MetricsWriter: appends Prometheus text exposition lines (# HELP, # TYPE, samples). A family's
// HELP and TYPE lines are written once, before its first sample; samples of one family must be
// written together.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace gridmq::plugins {

using Label = std::pair<std::string_view, std::string_view>;

class MetricsWriter {
 public:
  explicit MetricsWriter(std::string& out) : out_(out) {}

  /// A counter sample: `name` (with the _total suffix), its help text, labels, value.
  void counter(std::string_view name, std::string_view help, std::initializer_list<Label> labels,
               std::uint64_t value);
  void gauge(std::string_view name, std::string_view help, std::initializer_list<Label> labels,
             double value);

  const std::string& text() const { return out_; }

 private:
  void family(std::string_view name, std::string_view help, std::string_view type);
  void sample(std::string_view name, std::initializer_list<Label> labels);

  std::string& out_;
  std::string last_family_;
};

/// Escapes a label value (backslash, double quote, newline) per the text format.
std::string escape_label(std::string_view value);

}  // namespace gridmq::plugins
