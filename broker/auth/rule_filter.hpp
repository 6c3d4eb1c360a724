#pragma once
// Topic filters of ACL rules and the three questions the ACL asks of them: does a topic name match,
// does the rule cover a requested subscription filter, and can the two share a topic at all.
// Independent of broker/protocol on purpose: the ACL must not change when the router does.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gridmq::auth {

/// A topic name a client may publish to: not empty, no '+' or '#', no NUL.
bool is_valid_topic_name(std::string_view name);

/// A subscription filter: not empty, no NUL, '+' only as a whole level, '#' only as the whole
/// last level.
bool is_valid_topic_filter(std::string_view filter);

/// A rule's topic filter, split into levels once at load time. A literal level may contain "%c",
/// replaced by the client id when the rule is evaluated; callers must pass only client ids that
/// cannot widen the filter (non-empty, no '+', '#' or '/').
///
/// As in MQTT routing, a filter starting with '+' or '#' matches no topic starting with '$'.
class RuleFilter {
 public:
  /// Parses `text`; on error returns nothing and sets `problem`.
  static std::optional<RuleFilter> parse(std::string_view text, std::string& problem);

  bool uses_client_id() const { return uses_client_id_; }

  /// Whether the topic name `topic` (valid, no wildcards) matches.
  bool matches(std::string_view topic, std::string_view client_id) const;

  /// Whether every topic that the valid filter `filter` can match is matched by this filter.
  bool covers(std::string_view filter, std::string_view client_id) const;

  /// Whether some topic is matched both by this filter and by the valid filter `filter`.
  bool overlaps(std::string_view filter, std::string_view client_id) const;

 private:
  enum class Kind { kLiteral, kPlus, kHash };
  struct Level {
    Kind kind = Kind::kLiteral;
    std::string text;  // literal text, may contain "%c"
    bool has_client_id = false;
  };

  static bool level_equals(const Level& level, std::string_view client_id, std::string_view actual);
  static bool starts_with_dollar(const Level& level, std::string_view client_id);

  std::vector<Level> levels_;
  bool uses_client_id_ = false;
};

}  // namespace gridmq::auth
