#include "plugins/meter_validation/topic_pattern.hpp"

#include "plugins/meter_validation/same_text.hpp"

namespace gridmq::plugins::meter_validation {

std::optional<TopicPattern> TopicPattern::parse(std::string_view text, std::string& error) {
  TopicPattern p;
  p.text_ = std::string(text);
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = text.find('/', start);
    const std::string_view level = text.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (level.empty()) {
      error = "empty topic level";
      return std::nullopt;
    }
    Part part = Part::kLiteral;
    if (level.front() == '{') {
      if (level == "{tenant}") {
        part = Part::kTenant;
      } else if (level == "{meter}") {
        part = Part::kMeter;
      } else if (level == "{kind}") {
        part = Part::kKind;
      } else {
        error = "unknown placeholder " + std::string(level) + " (known: {tenant} {meter} {kind})";
        return std::nullopt;
      }
      if (p.has(part)) {
        error = "placeholder " + std::string(level) + " appears twice";
        return std::nullopt;
      }
    } else if (level.find_first_of("+#{}") != std::string_view::npos) {
      error = "level '" + std::string(level) + "' contains a wildcard or a brace";
      return std::nullopt;
    }
    p.levels_.emplace_back(part, part == Part::kLiteral ? std::string(level) : std::string());
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return p;
}

bool TopicPattern::has(Part part) const {
  for (const auto& [p, _] : levels_) {
    if (p == part) return true;
  }
  return false;
}

bool TopicPattern::match(std::string_view topic, TopicFields& out) const {
  // One pass over the topic, level by level; levels are a few bytes, so they are scanned and
  // compared inline rather than with find and operator== (a library call each).
  TopicFields f;
  const char* p = topic.data();
  const char* const end = p + topic.size();
  for (std::size_t i = 0; i < levels_.size(); ++i) {
    const char* const begin = p;
    while (p != end && *p != '/') ++p;
    const bool last = i + 1 == levels_.size();
    if (last != (p == end)) return false;
    const std::string_view level(begin, static_cast<std::size_t>(p - begin));
    const auto& [part, literal] = levels_[i];
    switch (part) {
      case Part::kLiteral:
        if (!same_text(level, literal)) return false;
        break;
      case Part::kTenant:
        if (level.empty()) return false;
        f.tenant = level;
        break;
      case Part::kMeter:
        if (level.empty()) return false;
        f.meter = level;
        break;
      case Part::kKind:
        if (level.empty()) return false;
        f.kind = level;
        break;
    }
    if (!last) ++p;  // past the '/'
  }
  out = f;
  return true;
}

}  // namespace gridmq::plugins::meter_validation
