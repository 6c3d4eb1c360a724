#include "auth/rule_filter.hpp"

namespace gridmq::auth {
namespace {

/// Walks the '/'-separated levels of a topic or filter without allocating.
class Levels {
 public:
  explicit Levels(std::string_view text) : rest_(text) {}

  bool done() const { return done_; }

  std::string_view next() {
    const auto slash = rest_.find('/');
    if (slash == std::string_view::npos) {
      done_ = true;
      return rest_;
    }
    const std::string_view level = rest_.substr(0, slash);
    rest_ = rest_.substr(slash + 1);
    return level;
  }

  /// Whether the remaining levels are exactly "#".
  bool rest_is_hash() const { return !done_ && rest_ == "#"; }

 private:
  std::string_view rest_;
  bool done_ = false;
};

bool is_dollar_literal(std::string_view level) {
  return !level.empty() && level.front() == '$';
}

}  // namespace

bool is_valid_topic_name(std::string_view name) {
  return !name.empty() && name.find_first_of(std::string_view("+#\0", 3)) == std::string_view::npos;
}

bool is_valid_topic_filter(std::string_view filter) {
  if (filter.empty() || filter.find('\0') != std::string_view::npos) {
    return false;
  }
  Levels levels(filter);
  while (!levels.done()) {
    const std::string_view level = levels.next();
    if (level.find_first_of("+#") == std::string_view::npos) {
      continue;
    }
    if (level == "+") {
      continue;
    }
    if (level == "#" && levels.done()) {
      continue;
    }
    return false;
  }
  return true;
}

std::optional<RuleFilter> RuleFilter::parse(std::string_view text, std::string& problem) {
  if (text.starts_with("$share/")) {
    problem = "rules name the inner filter of a shared subscription; drop '$share/<group>/'";
    return std::nullopt;
  }
  if (!is_valid_topic_filter(text)) {
    problem = "invalid topic filter (empty, or '+'/'#' not a whole level, or '#' not last)";
    return std::nullopt;
  }
  RuleFilter filter;
  Levels levels(text);
  while (!levels.done()) {
    const std::string_view level_text = levels.next();
    Level level;
    if (level_text == "+") {
      level.kind = Kind::kPlus;
    } else if (level_text == "#") {
      level.kind = Kind::kHash;
    } else {
      for (std::size_t i = 0; i < level_text.size(); ++i) {
        if (level_text[i] != '%') {
          continue;
        }
        if (i + 1 >= level_text.size() || level_text[i + 1] != 'c') {
          problem = "unknown placeholder in topic filter (only %c, the client id, is known)";
          return std::nullopt;
        }
        level.has_client_id = true;
        ++i;
      }
      level.text = std::string(level_text);
      filter.uses_client_id_ = filter.uses_client_id_ || level.has_client_id;
    }
    filter.levels_.push_back(std::move(level));
  }
  return filter;
}

bool RuleFilter::level_equals(const Level& level, std::string_view client_id,
                              std::string_view actual) {
  if (!level.has_client_id) {
    return level.text == actual;
  }
  const std::string_view pattern = level.text;
  std::size_t at = 0;  // position in `actual`
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%') {  // "%c": parse() allows no other '%'
      if (actual.substr(at, client_id.size()) != client_id) {
        return false;
      }
      at += client_id.size();
      ++i;
    } else {
      if (at >= actual.size() || actual[at] != pattern[i]) {
        return false;
      }
      ++at;
    }
  }
  return at == actual.size();
}

bool RuleFilter::starts_with_dollar(const Level& level, std::string_view client_id) {
  if (level.kind != Kind::kLiteral) {
    return false;
  }
  if (level.text.starts_with("%c")) {
    return is_dollar_literal(client_id);
  }
  return is_dollar_literal(level.text);
}

bool RuleFilter::matches(std::string_view topic, std::string_view client_id) const {
  Levels actual(topic);
  for (std::size_t i = 0; i < levels_.size(); ++i) {
    const Level& level = levels_[i];
    if (level.kind == Kind::kHash) {
      // '#' also matches the parent level ("a/#" matches "a").
      return !(i == 0 && is_dollar_literal(topic));
    }
    if (actual.done()) {
      return false;
    }
    const std::string_view part = actual.next();
    if (level.kind == Kind::kPlus) {
      if (i == 0 && is_dollar_literal(part)) {
        return false;
      }
    } else if (!level_equals(level, client_id, part)) {
      return false;
    }
  }
  return actual.done();
}

bool RuleFilter::covers(std::string_view filter, std::string_view client_id) const {
  Levels requested(filter);
  for (std::size_t i = 0; i < levels_.size(); ++i) {
    const Level& level = levels_[i];
    if (level.kind == Kind::kHash) {
      // A leading '#' matches no '$' topic, so it cannot cover a filter that names one.
      return !(i == 0 && is_dollar_literal(filter));
    }
    if (requested.done()) {
      return false;
    }
    const std::string_view part = requested.next();
    if (part == "#") {
      return false;  // more levels than this rule allows
    }
    if (level.kind == Kind::kPlus) {
      if (i == 0 && is_dollar_literal(part)) {
        return false;
      }
    } else if (part == "+" || !level_equals(level, client_id, part)) {
      return false;
    }
  }
  return requested.done();
}

bool RuleFilter::overlaps(std::string_view filter, std::string_view client_id) const {
  Levels requested(filter);
  for (std::size_t i = 0; i < levels_.size(); ++i) {
    const Level& level = levels_[i];
    if (level.kind == Kind::kHash) {
      return !(i == 0 && is_dollar_literal(filter));
    }
    if (requested.done()) {
      return false;
    }
    const std::string_view part = requested.next();
    if (part == "#") {
      return !(i == 0 && starts_with_dollar(level, client_id));
    }
    if (part == "+") {
      if (i == 0 && starts_with_dollar(level, client_id)) {
        return false;
      }
    } else if (level.kind == Kind::kPlus) {
      if (i == 0 && is_dollar_literal(part)) {
        return false;
      }
    } else if (!level_equals(level, client_id, part)) {
      return false;
    }
  }
  // "a/#" also matches "a".
  return requested.done() || requested.rest_is_hash();
}

}  // namespace gridmq::auth
