#include "auth/acl.hpp"

#include "auth/text_file.hpp"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

namespace gridmq::auth {
namespace {

constexpr std::string_view kBlank = " \t\r";

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t at = 0;
  while (true) {
    at = line.find_first_not_of(kBlank, at);
    if (at == std::string_view::npos) {
      break;
    }
    const std::size_t end = std::min(line.find_first_of(kBlank, at), line.size());
    fields.push_back(line.substr(at, end - at));
    at = end;
  }
  return fields;
}

[[noreturn]] void fail(const std::string& origin, std::uint32_t line, std::string_view problem) {
  std::string message = origin + ":" + std::to_string(line) + ": ";
  message.append(problem);
  throw AclError(message);
}

/// A client id that %c may stand for without widening the filter.
bool is_safe_client_id(std::string_view client_id) {
  return !client_id.empty() &&
         client_id.find_first_of(std::string_view("+#/\0", 4)) == std::string_view::npos;
}

}  // namespace

Acl Acl::allow_all() {
  Acl acl;
  acl.allow_all_ = true;
  return acl;
}

Acl Acl::load_file(const std::string& path) {
  std::string text;
  std::string problem;
  if (!detail::read_text_file(path, "ACL file", text, problem)) throw AclError(problem);
  return parse(text, path);
}

Acl Acl::parse(std::string_view text, const std::string& origin) {
  Acl acl;
  std::uint32_t line_number = 0;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++line_number;

    const auto first = line.find_first_not_of(kBlank);
    if (first == std::string_view::npos || line[first] == '#') {
      continue;
    }
    const std::vector<std::string_view> fields = split_fields(line);
    if (fields.size() != 4) {
      fail(origin, line_number,
           "expected 4 fields '<allow|deny> <publish|subscribe|all> <client-id or *> "
           "<topic-filter>', got " +
               std::to_string(fields.size()));
    }
    Rule rule;
    rule.line = line_number;
    if (fields[0] == "allow" || fields[0] == "deny") {
      rule.allow = fields[0] == "allow";
    } else {
      fail(origin, line_number, "'" + std::string(fields[0]) + "' is not allow or deny");
    }
    if (fields[1] == "publish" || fields[1] == "subscribe" || fields[1] == "all") {
      rule.publish = fields[1] != "subscribe";
      rule.subscribe = fields[1] != "publish";
    } else {
      fail(origin, line_number,
           "'" + std::string(fields[1]) + "' is not publish, subscribe or all");
    }
    rule.any_client = fields[2] == "*";
    rule.client_id = rule.any_client ? std::string() : std::string(fields[2]);
    std::string problem;
    auto filter = RuleFilter::parse(fields[3], problem);
    if (!filter) {
      fail(origin, line_number, "'" + std::string(fields[3]) + "': " + problem);
    }
    rule.filter = std::move(*filter);
    acl.rules_.push_back(std::move(rule));
  }
  return acl;
}

bool Acl::applies(const Rule& rule, Access access, std::string_view client_id,
                  std::string_view name) const {
  if (!(access == Access::kPublish ? rule.publish : rule.subscribe)) {
    return false;
  }
  if (!rule.any_client && rule.client_id != client_id) {
    return false;
  }
  if (rule.filter.uses_client_id() && !is_safe_client_id(client_id)) {
    return false;
  }
  if (access == Access::kPublish) {
    return rule.filter.matches(name, client_id);
  }
  return rule.allow ? rule.filter.covers(name, client_id) : rule.filter.overlaps(name, client_id);
}

bool Acl::allowed(Access access, std::string_view client_id, std::string_view name) const {
  if (allow_all_) {
    return true;
  }
  if (access == Access::kPublish) {
    if (!is_valid_topic_name(name)) {
      return false;
    }
  } else {
    name = requested_filter(name);
    if (name.empty()) {
      return false;
    }
  }
  for (const Rule& rule : rules_) {
    if (applies(rule, access, client_id, name)) {
      return rule.allow;
    }
  }
  return false;
}

}  // namespace gridmq::auth
