#pragma once
// Who a client is: a principal {id, role}. On an mTLS listener it is derived from the client
// certificate (design.md §2.2); with password auth, from the password file.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gridmq::auth {

enum class Role : std::uint8_t { kNone, kMeter, kHub, kOperator, kService };

/// "meter", "hub", "operator", "service" -> Role; anything else -> nullopt.
std::optional<Role> parse_role(std::string_view name);
std::string_view role_name(Role role);

struct Principal {
  std::string id;
  Role role = Role::kNone;
  bool operator==(const Principal&) const = default;
};

/// What the TLS layer read from a client certificate that passed verification. Filled by the
/// network layer; mapped to a Principal by the configured certificate mapping.
struct CertificateInfo {
  std::string subject_cn;
  std::vector<std::string> subject_ou;
  std::vector<std::string> san_uris;
  std::string serial_hex;          // lower-case hex, no separators
  std::string sha256_fingerprint;  // lower-case hex of the DER encoding
  bool operator==(const CertificateInfo&) const = default;
};

}  // namespace gridmq::auth
