#pragma once
// Topic patterns with named placeholders: "mtr/v1/{tenant}/{meter}/up/{kind}". A placeholder is a
// whole level; {tenant}, {meter} and {kind} are known. Matching is level by level, with no
// wildcards: a topic matches when it has the same number of levels, every literal level is equal
// and every placeholder level is non-empty.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gridmq::plugins::meter_validation {

struct TopicFields {
  std::string_view tenant;
  std::string_view meter;
  std::string_view kind;
};

class TopicPattern {
 public:
  enum class Part : unsigned char { kLiteral, kTenant, kMeter, kKind };

  /// nullopt and `error` set when `text` is not a pattern (empty level, unknown placeholder, a
  /// placeholder twice, '+' or '#').
  static std::optional<TopicPattern> parse(std::string_view text, std::string& error);

  /// Fills `out` with the placeholder levels of `topic` (views into it) when it matches.
  bool match(std::string_view topic, TopicFields& out) const;

  bool has(Part p) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::vector<std::pair<Part, std::string>> levels_;
};

}  // namespace gridmq::plugins::meter_validation
