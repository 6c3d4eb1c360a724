#pragma once
// Certificate -> principal mapping (design.md §2.2) and the client-id rule for certificate
// principals. Configured by the [identity] table of the config file.
//
// Sources of the id ([identity] id_from):
//   "cn"       the subject CN (the default);
//   "san_uri"  the <id> part of the certificate's SAN URI "<prefix><role>:<id>".
// Sources of the role ([identity] role_from):
//   "ou"       the first subject OU that is a role name (meter, hub, operator, service) — the
//              default; other OUs are ignored;
//   "san_uri"  the <role> part of that SAN URI.
// With the default prefix "urn:gridmq:" a meter's certificate carries
// "urn:gridmq:meter:1EMH0012345678". Exactly one SAN URI may start with the prefix when either
// source is "san_uri" (two are ambiguous and refused); URIs with other prefixes are ignored. The
// part of the URI that is not used (the role when role_from = "ou", the id when id_from = "cn")
// must still be well-formed (its role part a role name) but is not compared with the CN/OU.
// The id must pass is_valid_principal_id (no '+', '#', '/', ':', blanks, control characters, not
// starting with '$', at most 256 bytes), so it can never widen an ACL template.
//
// THREADING: CertMapping is immutable; map() may run concurrently on any threads.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "auth/principal.hpp"
#include "protocol/packet.hpp"  // protocol::Version

namespace gridmq::auth {

enum class IdSource : std::uint8_t { kCn, kSanUri };
enum class RoleSource : std::uint8_t { kOu, kSanUri };

/// "cn" / "san_uri" -> IdSource; anything else -> nullopt.
std::optional<IdSource> parse_id_source(std::string_view name);
/// "ou" / "san_uri" -> RoleSource; anything else -> nullopt.
std::optional<RoleSource> parse_role_source(std::string_view name);

struct CertMappingOptions {
  IdSource id_from = IdSource::kCn;            // [identity] id_from
  RoleSource role_from = RoleSource::kOu;      // [identity] role_from
  std::string san_uri_prefix = "urn:gridmq:";  // [identity] san_uri_prefix
};

/// Why a certificate gave no principal.
enum class MappingFailure : std::uint8_t {
  kNone,
  kNoId,          // no CN / no SAN URI with the prefix / empty id part
  kInvalidId,     // the id fails is_valid_principal_id
  kNoRole,        // no OU is a role name
  kUnknownRole,   // the SAN URI's role part is not a role name
  kAmbiguousUri,  // more than one SAN URI starts with the prefix
  kMalformedUri,  // a SAN URI with the prefix is not "<prefix><role>:<id>"
};

std::string_view mapping_failure_name(MappingFailure failure);

/// The outcome of map(): a principal, or the failure and a message for the log.
struct MappingResult {
  std::optional<Principal> principal;  // set exactly when failure == kNone
  MappingFailure failure = MappingFailure::kNone;
  std::string detail;  // for logs: what was wrong (empty on success)

  bool ok() const { return principal.has_value(); }
};

class CertMapping {
 public:
  explicit CertMapping(CertMappingOptions options = {});

  /// Maps a verified client certificate to a principal. A failed mapping must refuse the
  /// connection (CONNACK 0x87 Not authorized in v5, 0x05 in 3.1.1).
  [[nodiscard]] MappingResult map(const CertificateInfo& certificate) const;

  const CertMappingOptions& options() const { return options_; }

 private:
  CertMappingOptions options_;
};

/// The result of check_client_id().
struct ClientIdCheck {
  bool accepted = true;
  /// The CONNACK code to send when !accepted: 0x85 (Client Identifier not valid) for MQTT 5,
  /// 0x02 (Identifier rejected) for 3.1.1; 0x00 when accepted.
  std::uint8_t connack_code = 0;
};

/// [identity] require_client_id_match: a meter or hub must connect with its principal id as MQTT
/// client id. Operators and services (and Role::kNone) are never checked. An empty client id is
/// refused too when the match is required (call this with the id the client sent, before the
/// broker assigns one). With `require_match` false everything is accepted.
[[nodiscard]] ClientIdCheck check_client_id(const Principal& principal, std::string_view client_id,
                                            bool require_match, protocol::Version version);

}  // namespace gridmq::auth
