#include "auth/acl_engine.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

#include "auth/text_file.hpp"

namespace gridmq::auth {
namespace {

// The built-in metering profile (design.md §6). config/acl-metering.acl carries the same rules
// with comments; a unit test keeps the two equal.
constexpr std::string_view kMeteringDefault = R"(# gridmq built-in ACL policy: the metering profile
meter    allow publish   mtr/v1/+/%id/up/#
meter    allow publish   mtr/v1/+/%id/state
meter    allow publish   mtr/v1/+/%id/cmd/ack
meter    allow subscribe mtr/v1/+/%id/cmd
hub      allow publish   mtr/v1/+/%bound/up/#
hub      allow publish   mtr/v1/+/%bound/state
hub      allow publish   mtr/v1/+/%bound/cmd/ack
hub      allow subscribe mtr/v1/+/%bound/cmd
hub      allow publish   hub/v1/+/%id/state
operator allow publish   ops/#
operator allow subscribe mtr/v1/+/+/cmd/ack
operator allow subscribe mtr/v1/+/+/state
service  allow subscribe mtr/#
service  allow subscribe hub/#
service  deny  publish   mtr/#
)";

constexpr std::string_view kBuiltInOrigin = "<built-in metering profile>";

[[noreturn]] void fail(const std::string& origin, std::uint32_t line, std::string_view problem) {
  std::string message = origin + ":" + std::to_string(line) + ": ";
  message.append(problem);
  throw AclPolicyError(message);
}

std::size_t role_index(Role role) {
  return static_cast<std::size_t>(role);
}

}  // namespace

AclPolicy AclPolicy::metering_default() {
  return parse(kMeteringDefault, std::string(kBuiltInOrigin));
}

std::string_view AclPolicy::metering_default_text() {
  return kMeteringDefault;
}

AclPolicy AclPolicy::load_file(const std::string& path) {
  std::string text;
  std::string problem;
  if (!detail::read_text_file(path, "ACL policy file", text, problem)) {
    throw AclPolicyError(problem);
  }
  return parse(text, path);
}

AclPolicy AclPolicy::parse(std::string_view text, const std::string& origin) {
  AclPolicy policy;
  policy.origin_ = origin;
  for (const detail::NumberedLine& line : detail::split_lines(text)) {
    if (detail::is_blank_or_comment(line.text)) {
      continue;
    }
    const std::vector<std::string_view> fields = detail::split_fields(line.text);
    if (fields.size() != 4) {
      fail(origin, line.number,
           "expected 4 fields '<role|*> <allow|deny> <publish|subscribe|both> <topic-filter>', "
           "got " +
               std::to_string(fields.size()));
    }
    std::vector<Role> roles;
    if (fields[0] == "*") {
      roles = {Role::kMeter, Role::kHub, Role::kOperator, Role::kService};
    } else if (const auto role = parse_role(fields[0])) {
      roles = {*role};
    } else {
      fail(origin, line.number,
           "'" + std::string(fields[0]) + "' is not a role (meter, hub, operator, service or *)");
    }
    Rule rule;
    rule.line = line.number;
    if (fields[1] == "allow" || fields[1] == "deny") {
      rule.allow = fields[1] == "allow";
    } else {
      fail(origin, line.number, "'" + std::string(fields[1]) + "' is not allow or deny");
    }
    if (fields[2] == "publish" || fields[2] == "subscribe" || fields[2] == "both") {
      rule.publish = fields[2] != "subscribe";
      rule.subscribe = fields[2] != "publish";
    } else {
      fail(origin, line.number,
           "'" + std::string(fields[2]) + "' is not publish, subscribe or both");
    }
    std::string problem;
    auto filter = RuleFilter::parse(fields[3], problem, Placeholders::kAll);
    if (!filter) {
      fail(origin, line.number, "'" + std::string(fields[3]) + "': " + problem);
    }
    if (filter->uses_bound() && !(roles.size() == 1 && roles[0] == Role::kHub)) {
      fail(origin, line.number,
           "'" + std::string(fields[3]) + "': %bound may only be used in hub rules");
    }
    rule.filter = std::move(*filter);
    for (const Role role : roles) {
      policy.rules_[role_index(role)].push_back(rule);
    }
  }
  // Most specific first; at equal specificity deny first (see the header for the definition).
  const auto key = [](const Rule& rule) {
    return std::make_tuple(rule.filter.literal_levels(), rule.filter.plus_levels(),
                           !rule.filter.ends_with_hash(), !rule.allow);
  };
  for (std::vector<Rule>& rules : policy.rules_) {
    std::stable_sort(rules.begin(), rules.end(),
                     [&key](const Rule& a, const Rule& b) { return key(a) > key(b); });
  }
  return policy;
}

std::size_t AclPolicy::rule_count() const {
  std::size_t count = 0;
  for (const std::vector<Rule>& rules : rules_) {
    count += rules.size();
  }
  return count;
}

AclEngine::AclEngine(AclPolicy policy, std::shared_ptr<const Bindings> bindings)
    : policy_(std::move(policy)), bindings_(std::move(bindings)) {}

AclEngine::Decision AclEngine::decide(Access access, const Principal& principal,
                                      std::string_view client_id,
                                      std::string_view topic_or_filter) const {
  const Decision denied{false, 0};
  if (principal.role == Role::kNone || !is_valid_principal_id(principal.id)) {
    return denied;
  }
  std::string_view name = topic_or_filter;
  if (access == Access::kPublish) {
    if (!is_valid_topic_name(name)) {
      return denied;
    }
  } else {
    name = requested_filter(name);
    if (name.empty()) {
      return denied;
    }
  }
  const std::vector<AclPolicy::Rule>& rules = policy_.rules_[role_index(principal.role)];

  // One consistent snapshot of the binding table for the whole decision, taken only if needed.
  std::shared_ptr<const BindingTable> table;
  RuleContext context{client_id, principal.id, {}};
  const bool client_id_usable = is_valid_principal_id(client_id);

  for (const AclPolicy::Rule& rule : rules) {
    if (!(access == Access::kPublish ? rule.publish : rule.subscribe)) {
      continue;
    }
    if (rule.filter.uses_client_id() && !client_id_usable) {
      // Fail closed: the template cannot be filled in safely.
      if (rule.allow) {
        continue;
      }
      return {false, rule.line};
    }
    if (rule.filter.uses_bound() && !table && bindings_) {
      table = bindings_->snapshot();
      context.bound_ids = table->meters_of(principal.id);
    }
    bool applies = false;
    if (access == Access::kPublish) {
      applies = rule.filter.matches(name, context);
    } else {
      applies =
          rule.allow ? rule.filter.covers(name, context) : rule.filter.overlaps(name, context);
    }
    if (applies) {
      return {rule.allow, rule.line};
    }
  }
  return denied;
}

}  // namespace gridmq::auth
