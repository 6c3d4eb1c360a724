#pragma once
// A simple ACL file engine: an ordered list of allow/deny rules, the first matching rule wins.
//
// File format, one rule per line; lines whose first non-blank character is '#' are comments
// (a '#' later in a line is a topic wildcard, so there are no trailing comments):
//   <allow|deny> <publish|subscribe|all> <client-id or *> <topic-filter>
// "%c" in the filter stands for the client id. No matching rule: deny.
//
// Subscribe requests (`name` is a filter; for "$share/<group>/<filter>" the inner filter is used):
//   - an allow rule applies when its filter covers the requested one (every topic the request can
//     match, the rule matches): "a/#" covers "a/+/b", "a/+" covers "a/b" but not "a/#";
//   - a deny rule applies when its filter overlaps the requested one (some topic matches both), so
//     "deny subscribe * secret/#" also refuses "#" and "+/x" that would receive secret/ messages.
// A rule using %c never applies to a client id that is empty or contains '+', '#' or '/'.
// As in routing, a filter starting with '+' or '#' does not match topics starting with '$'.
//
// THREADING: immutable after construction; allowed() may run concurrently on any threads.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "auth/rule_filter.hpp"

namespace gridmq::auth {

enum class Access { kPublish, kSubscribe };

/// A bad ACL file; the message names "origin:line" and the problem. Startup only.
class AclError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Acl {
 public:
  /// Everything allowed: the broker's choice when no acl_file is configured.
  static Acl allow_all();

  /// Reads and parses `path`. Throws AclError (unreadable file included).
  static Acl load_file(const std::string& path);

  /// Parses rules from `text`; `origin` names it in messages. Throws AclError.
  static Acl parse(std::string_view text, const std::string& origin);

  /// Publish: `name` is a topic name. Subscribe: `name` is a topic filter, possibly
  /// "$share/<group>/<filter>". Invalid names and filters are denied.
  bool allowed(Access access, std::string_view client_id, std::string_view name) const;

  /// The number of rules (0 for allow_all()).
  std::size_t rule_count() const { return rules_.size(); }

 private:
  struct Rule {
    bool allow = false;
    bool publish = false;
    bool subscribe = false;
    bool any_client = false;  // "*"
    std::string client_id;
    RuleFilter filter;
    std::uint32_t line = 0;
  };

  bool applies(const Rule& rule, Access access, std::string_view client_id,
               std::string_view name) const;

  std::vector<Rule> rules_;
  bool allow_all_ = false;
};

}  // namespace gridmq::auth
