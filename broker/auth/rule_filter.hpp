#pragma once
// Topic filters of ACL rules and the three questions the ACL asks of them: does a topic name match,
// does the rule cover a requested subscription filter, and can the two share a topic at all.
// Independent of broker/protocol on purpose: the ACL must not change when the router does.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gridmq::auth {

/// A topic name a client may publish to: not empty, no '+' or '#', no NUL.
bool is_valid_topic_name(std::string_view name);

/// A subscription filter: not empty, no NUL, '+' only as a whole level, '#' only as the whole
/// last level.
bool is_valid_topic_filter(std::string_view filter);

/// The filter a subscribe request asks for: `name` itself, or for "$share/<group>/<filter>" the
/// inner filter; empty if `name` (or its group or inner filter) is invalid.
std::string_view requested_filter(std::string_view name);

/// What the placeholders of a rule filter stand for when the rule is evaluated. Callers must pass
/// only ids that cannot widen the filter (see is_valid_principal_id); `bound_ids` sorted ascending.
struct RuleContext {
  std::string_view client_id;              // %c
  std::string_view principal_id;           // %id
  std::span<const std::string> bound_ids;  // %bound: the meters bound to the principal (a hub)
};

/// Which placeholders RuleFilter::parse accepts.
enum class Placeholders : std::uint8_t {
  kClientId,  // "%c" only (the v1 ACL file)
  kAll,       // "%c", "%id" inside literal levels; "%bound" as a whole level (ACL engine v2)
};

/// A rule's topic filter, split into levels once at load time. A literal level may contain "%c",
/// replaced by the client id when the rule is evaluated (and, with Placeholders::kAll, "%id",
/// replaced by the principal id); with Placeholders::kAll a whole level "%bound" matches any one
/// of RuleContext::bound_ids. Callers must pass only ids that cannot widen the filter (non-empty,
/// no '+', '#' or '/'). A filter using %bound matches nothing when bound_ids is empty.
///
/// As in MQTT routing, a filter starting with '+' or '#' matches no topic starting with '$'.
class RuleFilter {
 public:
  /// Parses `text`; on error returns nothing and sets `problem`.
  static std::optional<RuleFilter> parse(std::string_view text, std::string& problem,
                                         Placeholders allowed = Placeholders::kClientId);

  bool uses_client_id() const { return uses_client_id_; }
  bool uses_principal_id() const { return uses_principal_id_; }
  bool uses_bound() const { return uses_bound_; }

  /// Specificity inputs: levels that match one exact text (literal levels, with or without
  /// placeholders, and "%bound"), '+' levels, and whether the filter ends in '#'.
  std::size_t literal_levels() const { return literal_levels_; }
  std::size_t plus_levels() const { return plus_levels_; }
  bool ends_with_hash() const { return !levels_.empty() && levels_.back().kind == Kind::kHash; }

  /// Whether the topic name `topic` (valid, no wildcards) matches.
  bool matches(std::string_view topic, std::string_view client_id) const;
  bool matches(std::string_view topic, const RuleContext& context) const;

  /// Whether every topic that the valid filter `filter` can match is matched by this filter.
  bool covers(std::string_view filter, std::string_view client_id) const;
  bool covers(std::string_view filter, const RuleContext& context) const;

  /// Whether some topic is matched both by this filter and by the valid filter `filter`.
  bool overlaps(std::string_view filter, std::string_view client_id) const;
  bool overlaps(std::string_view filter, const RuleContext& context) const;

 private:
  enum class Kind { kLiteral, kPlus, kHash, kBound };
  struct Level {
    Kind kind = Kind::kLiteral;
    std::string text;  // literal text, may contain "%c" (and "%id")
    bool has_placeholder = false;
  };

  static bool level_equals(const Level& level, const RuleContext& context, std::string_view actual);
  static bool starts_with_dollar(const Level& level, const RuleContext& context);

  std::vector<Level> levels_;
  std::size_t literal_levels_ = 0;
  std::size_t plus_levels_ = 0;
  bool uses_client_id_ = false;
  bool uses_principal_id_ = false;
  bool uses_bound_ = false;
};

}  // namespace gridmq::auth
