#include "auth/rule_filter.hpp"

#include <algorithm>
#include <functional>

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

std::string_view requested_filter(std::string_view name) {
  constexpr std::string_view kShare = "$share/";
  if (!name.starts_with(kShare)) {
    return is_valid_topic_filter(name) ? name : std::string_view();
  }
  const std::string_view rest = name.substr(kShare.size());
  const auto slash = rest.find('/');
  if (slash == 0 || slash == std::string_view::npos) {
    return {};
  }
  const std::string_view group = rest.substr(0, slash);
  const std::string_view filter = rest.substr(slash + 1);
  if (group.find_first_of("+#") != std::string_view::npos || !is_valid_topic_filter(filter)) {
    return {};
  }
  return filter;
}

std::optional<RuleFilter> RuleFilter::parse(std::string_view text, std::string& problem,
                                            Placeholders allowed) {
  const bool all = allowed == Placeholders::kAll;
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
      ++filter.plus_levels_;
    } else if (level_text == "#") {
      level.kind = Kind::kHash;
    } else if (all && level_text == "%bound") {
      level.kind = Kind::kBound;
      filter.uses_bound_ = true;
      ++filter.literal_levels_;
    } else {
      for (std::size_t i = 0; i < level_text.size(); ++i) {
        if (level_text[i] != '%') {
          continue;
        }
        const std::string_view rest = level_text.substr(i + 1);
        if (rest.starts_with("c")) {
          filter.uses_client_id_ = true;
          i += 1;
        } else if (all && rest.starts_with("id")) {
          filter.uses_principal_id_ = true;
          i += 2;
        } else if (all && rest.starts_with("bound")) {
          problem = "%bound must be a whole level of the topic filter";
          return std::nullopt;
        } else {
          problem = all ? "unknown placeholder in topic filter (known: %id, the principal id; %c, "
                          "the client id; %bound, a meter bound to the hub)"
                        : "unknown placeholder in topic filter (only %c, the client id, is known)";
          return std::nullopt;
        }
        level.has_placeholder = true;
      }
      level.text = std::string(level_text);
      ++filter.literal_levels_;
    }
    filter.levels_.push_back(std::move(level));
  }
  return filter;
}

bool RuleFilter::level_equals(const Level& level, const RuleContext& context,
                              std::string_view actual) {
  if (level.kind == Kind::kBound) {
    return std::binary_search(context.bound_ids.begin(), context.bound_ids.end(), actual,
                              std::less<>());
  }
  if (!level.has_placeholder) {
    return level.text == actual;
  }
  const std::string_view pattern = level.text;
  std::size_t at = 0;  // position in `actual`
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%') {  // "%c" or "%id": parse() allows no other '%'
      const bool client = pattern[i + 1] == 'c';
      const std::string_view value = client ? context.client_id : context.principal_id;
      if (actual.substr(at, value.size()) != value) {
        return false;
      }
      at += value.size();
      i += client ? 1 : 2;
    } else {
      if (at >= actual.size() || actual[at] != pattern[i]) {
        return false;
      }
      ++at;
    }
  }
  return at == actual.size();
}

bool RuleFilter::starts_with_dollar(const Level& level, const RuleContext& context) {
  if (level.kind != Kind::kLiteral) {
    // A bound id never starts with '$' (the bindings file refuses such ids), so neither does
    // the text a "%bound" level stands for.
    return false;
  }
  if (level.text.starts_with("%c")) {
    return is_dollar_literal(context.client_id);
  }
  if (level.text.starts_with("%id")) {
    return is_dollar_literal(context.principal_id);
  }
  return is_dollar_literal(level.text);
}

bool RuleFilter::matches(std::string_view topic, std::string_view client_id) const {
  return matches(topic, RuleContext{client_id, {}, {}});
}

bool RuleFilter::covers(std::string_view filter, std::string_view client_id) const {
  return covers(filter, RuleContext{client_id, {}, {}});
}

bool RuleFilter::overlaps(std::string_view filter, std::string_view client_id) const {
  return overlaps(filter, RuleContext{client_id, {}, {}});
}

bool RuleFilter::matches(std::string_view topic, const RuleContext& context) const {
  if (uses_bound_ && context.bound_ids.empty()) {
    return false;
  }
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
    } else if (!level_equals(level, context, part)) {
      return false;
    }
  }
  return actual.done();
}

bool RuleFilter::covers(std::string_view filter, const RuleContext& context) const {
  if (uses_bound_ && context.bound_ids.empty()) {
    return false;
  }
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
    } else if (part == "+" || !level_equals(level, context, part)) {
      return false;
    }
  }
  return requested.done();
}

bool RuleFilter::overlaps(std::string_view filter, const RuleContext& context) const {
  if (uses_bound_ && context.bound_ids.empty()) {
    return false;
  }
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
      return !(i == 0 && starts_with_dollar(level, context));
    }
    if (part == "+") {
      if (i == 0 && starts_with_dollar(level, context)) {
        return false;
      }
    } else if (level.kind == Kind::kPlus) {
      if (i == 0 && is_dollar_literal(part)) {
        return false;
      }
    } else if (!level_equals(level, context, part)) {
      return false;
    }
  }
  // "a/#" also matches "a".
  return requested.done() || requested.rest_is_hash();
}

}  // namespace gridmq::auth
