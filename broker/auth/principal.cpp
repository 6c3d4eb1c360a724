#include "auth/principal.hpp"

namespace gridmq::auth {

std::optional<Role> parse_role(std::string_view name) {
  if (name == "meter") return Role::kMeter;
  if (name == "hub") return Role::kHub;
  if (name == "operator") return Role::kOperator;
  if (name == "service") return Role::kService;
  return std::nullopt;
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kMeter:
      return "meter";
    case Role::kHub:
      return "hub";
    case Role::kOperator:
      return "operator";
    case Role::kService:
      return "service";
    case Role::kNone:
      break;
  }
  return "none";
}

bool is_valid_principal_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxPrincipalIdLength || id.front() == '$') {
    return false;
  }
  for (const char c : id) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F || c == '+' || c == '#' || c == '/' || c == ':') {
      return false;
    }
  }
  return true;
}

}  // namespace gridmq::auth
