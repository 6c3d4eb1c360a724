#pragma once
// Who a client is: a principal {id, role}. On an mTLS listener it is derived from the client
// certificate (design.md §2.2); with password auth, from the password file.

#include <cstddef>
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

/// Longest principal id accepted, in bytes.
inline constexpr std::size_t kMaxPrincipalIdLength = 256;

/// Whether `id` may be a principal id (and so stand for %id, %c or a bound meter in ACL rules):
/// 1 to kMaxPrincipalIdLength bytes; no '+', '#', '/' (they would widen topic filters), no NUL,
/// no blank or other ASCII control character, no ':' (the separator of the password and bindings
/// files), and not starting with '$' (topics starting with '$' are the broker's own).
bool is_valid_principal_id(std::string_view id);

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
