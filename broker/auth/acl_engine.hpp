#pragma once
// ACL engine v2: per-role rules with templates, the most specific rule wins (design.md §2.2).
// The v1 engine (acl.hpp, first match wins, per client id) stays for [auth] acl_file.
//
// POLICY FILE ([auth] acl_policy_file; example: config/acl-metering.acl, which is also the
// built-in default), one rule per line; blank lines and lines whose first non-blank character is
// '#' are ignored (a '#' later in a line is the topic wildcard, so no trailing comments):
//   <role|*> <allow|deny> <publish|subscribe|both> <topic-filter>
// role: meter, hub, operator, service, or * (the rule applies to each of the four roles).
// Templates in the filter, replaced when the rule is evaluated:
//   %id     the principal id (certificate or password-file user), inside any literal level;
//   %c      the MQTT client id, inside any literal level;
//   %bound  a whole level: any meter bound to the principal in the bindings table. Hub rules only.
//
// DECISION for a request (publish: a topic name; subscribe: a topic filter, for
// "$share/<group>/<filter>" the inner filter):
//   1. Invalid names/filters, and principals with Role::kNone or an invalid id, are denied.
//   2. The rules of the principal's role for that access that APPLY are collected:
//        publish: the rule's filter matches the topic;
//        subscribe, allow rule: its filter COVERS the requested filter (every topic the request
//          can match, the rule matches: "a/#" covers "a/+/b"; "a/+" does not cover "a/#");
//        subscribe, deny rule: its filter OVERLAPS the requested filter (some topic matches both,
//          so "deny subscribe x/secret" also refuses "x/#" and "+/secret").
//   3. Among those, the MOST SPECIFIC rule decides. Specificity compares, in this order:
//        a. more literal levels wins (a level with a fixed text, templates and %bound included:
//           "mtr/v1/+/%id/cmd" has 4);
//        b. then more '+' levels wins (a '+' pins one level, a '#' any number: "a/+" beats "a/#",
//           "a/+/+" beats "a/#");
//        c. then a filter without a trailing '#' wins over one with it;
//        d. then, at equal specificity, deny wins over allow.
//      File order never matters.
//   4. No rule applies: denied.
// Template safety: a rule whose template value is unusable (an empty id, or one containing '+',
// '#', '/', ... — see is_valid_principal_id) is skipped if it is an allow rule and applies as if
// it matched if it is a deny rule, so a strange client id can never widen what a principal may do.
// As in routing, filters starting with '+' or '#' never match topics starting with '$'.
//
// THREADING: AclPolicy and AclEngine are immutable after construction; allowed()/decide() may
// run concurrently on any threads, also while Bindings::reload() swaps the binding table (each
// decision reads one consistent snapshot of it).

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "auth/acl.hpp"  // Access
#include "auth/bindings.hpp"
#include "auth/principal.hpp"
#include "auth/rule_filter.hpp"

namespace gridmq::auth {

/// A bad ACL policy file; the message names "origin:line" and the problem. Startup only.
class AclPolicyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A parsed set of v2 rules, grouped by role and sorted most specific first.
class AclPolicy {
 public:
  /// The metering profile of design.md §6 (the same rules as config/acl-metering.acl):
  ///   meter:    publish  mtr/v1/+/%id/up/#, mtr/v1/+/%id/state, mtr/v1/+/%id/cmd/ack;
  ///             subscribe mtr/v1/+/%id/cmd.
  ///   hub:      the same four for every meter bound to it (%bound), and publish
  ///             hub/v1/+/%id/state.
  ///   operator: publish ops/#; subscribe mtr/v1/+/+/cmd/ack and mtr/v1/+/+/state.
  ///   service:  subscribe mtr/# and hub/#; publishing to mtr/# denied.
  /// Everything else is denied.
  static AclPolicy metering_default();

  /// The text metering_default() parses.
  static std::string_view metering_default_text();

  /// Reads and parses `path`. Throws AclPolicyError (unreadable file included).
  static AclPolicy load_file(const std::string& path);

  /// Parses the format above; `origin` names the text in messages. Throws AclPolicyError.
  static AclPolicy parse(std::string_view text, const std::string& origin);

  std::size_t rule_count() const;

  /// Where the rules came from (a path, or "<built-in metering profile>").
  const std::string& origin() const { return origin_; }

 private:
  friend class AclEngine;
  struct Rule {
    bool allow = false;
    bool publish = false;
    bool subscribe = false;
    RuleFilter filter;
    std::uint32_t line = 0;
  };
  static constexpr std::size_t kRoles = 5;  // indexed by Role; Role::kNone has no rules

  std::array<std::vector<Rule>, kRoles> rules_;  // per role, most specific first
  std::string origin_;
};

/// The v2 ACL: a policy plus the live binding table.
class AclEngine {
 public:
  /// The outcome of one request, for logs: which rule decided ("origin:line"), if any.
  struct Decision {
    bool allowed = false;
    std::uint32_t line = 0;  // the deciding rule's line in policy().origin(); 0 = no rule applied
  };

  /// `bindings` may be null (then no hub has meters). The engine keeps both alive.
  AclEngine(AclPolicy policy, std::shared_ptr<const Bindings> bindings);

  /// Whether `principal`, connected with `client_id`, may publish to the topic name / subscribe
  /// to the topic filter `topic_or_filter` ("$share/<group>/<filter>" accepted for subscribe).
  /// Thread-safe and allocation-free; for hub rules using %bound it takes one snapshot of the
  /// binding table (an atomic shared_ptr load) per call.
  bool allowed(Access access, const Principal& principal, std::string_view client_id,
               std::string_view topic_or_filter) const {
    return decide(access, principal, client_id, topic_or_filter).allowed;
  }

  /// As allowed(), also naming the deciding rule.
  Decision decide(Access access, const Principal& principal, std::string_view client_id,
                  std::string_view topic_or_filter) const;

  const AclPolicy& policy() const { return policy_; }

 private:
  AclPolicy policy_;
  std::shared_ptr<const Bindings> bindings_;
};

}  // namespace gridmq::auth
