#include "plugins/metrics.hpp"

#include <cstdio>

namespace gridmq::plugins {

std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void MetricsWriter::family(std::string_view name, std::string_view help, std::string_view type) {
  if (last_family_ == name) return;
  last_family_.assign(name);
  out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void MetricsWriter::sample(std::string_view name, std::initializer_list<Label> labels) {
  out_.append(name);
  if (labels.size() > 0) {
    out_ += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out_ += ',';
      first = false;
      out_.append(k).append("=\"").append(escape_label(v)).append("\"");
    }
    out_ += '}';
  }
  out_ += ' ';
}

void MetricsWriter::counter(std::string_view name, std::string_view help,
                            std::initializer_list<Label> labels, std::uint64_t value) {
  family(name, help, "counter");
  sample(name, labels);
  out_.append(std::to_string(value)).append("\n");
}

void MetricsWriter::gauge(std::string_view name, std::string_view help,
                          std::initializer_list<Label> labels, double value) {
  family(name, help, "gauge");
  sample(name, labels);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  out_.append(buf).append("\n");
}

}  // namespace gridmq::plugins
