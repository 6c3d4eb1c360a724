#include "auth/cert_mapping.hpp"

#include <utility>

#include "protocol/reason_code.hpp"

namespace gridmq::auth {
namespace {

MappingResult failed(MappingFailure failure, std::string detail) {
  MappingResult result;
  result.failure = failure;
  result.detail = std::move(detail);
  return result;
}

/// The parts of "<prefix><role>:<id>".
struct UriParts {
  std::string_view role;
  std::string_view id;
};

}  // namespace

std::optional<IdSource> parse_id_source(std::string_view name) {
  if (name == "cn") return IdSource::kCn;
  if (name == "san_uri") return IdSource::kSanUri;
  return std::nullopt;
}

std::optional<RoleSource> parse_role_source(std::string_view name) {
  if (name == "ou") return RoleSource::kOu;
  if (name == "san_uri") return RoleSource::kSanUri;
  return std::nullopt;
}

std::string_view mapping_failure_name(MappingFailure failure) {
  switch (failure) {
    case MappingFailure::kNone:
      return "none";
    case MappingFailure::kNoId:
      return "no id";
    case MappingFailure::kInvalidId:
      return "invalid id";
    case MappingFailure::kNoRole:
      return "no role";
    case MappingFailure::kUnknownRole:
      return "unknown role";
    case MappingFailure::kAmbiguousUri:
      return "ambiguous SAN URI";
    case MappingFailure::kMalformedUri:
      return "malformed SAN URI";
  }
  return "unknown";
}

CertMapping::CertMapping(CertMappingOptions options) : options_(std::move(options)) {}

MappingResult CertMapping::map(const CertificateInfo& certificate) const {
  const bool uses_uri =
      options_.id_from == IdSource::kSanUri || options_.role_from == RoleSource::kSanUri;
  UriParts uri;
  if (uses_uri) {
    const std::string* found = nullptr;
    for (const std::string& candidate : certificate.san_uris) {
      if (options_.san_uri_prefix.empty() || !candidate.starts_with(options_.san_uri_prefix)) {
        continue;
      }
      if (found != nullptr) {
        return failed(MappingFailure::kAmbiguousUri,
                      "more than one SAN URI starts with '" + options_.san_uri_prefix + "'");
      }
      found = &candidate;
    }
    if (found == nullptr) {
      return failed(MappingFailure::kNoId,
                    "no SAN URI starts with '" + options_.san_uri_prefix + "'");
    }
    const std::string_view rest = std::string_view(*found).substr(options_.san_uri_prefix.size());
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return failed(MappingFailure::kMalformedUri,
                    "SAN URI '" + *found + "' is not '" + options_.san_uri_prefix + "<role>:<id>'");
    }
    uri.role = rest.substr(0, colon);
    uri.id = rest.substr(colon + 1);
  }

  std::string_view id;
  if (options_.id_from == IdSource::kCn) {
    id = certificate.subject_cn;
    if (id.empty()) {
      return failed(MappingFailure::kNoId, "the certificate subject has no CN");
    }
  } else {
    id = uri.id;
    if (id.empty()) {
      return failed(MappingFailure::kNoId, "the SAN URI has an empty id");
    }
  }
  if (!is_valid_principal_id(id)) {
    return failed(MappingFailure::kInvalidId,
                  "id '" + std::string(id) +
                      "' is not a valid principal id (too long, or contains '+', '#', '/', ':', "
                      "a blank or a control character, or starts with '$')");
  }

  std::optional<Role> role;
  const std::optional<Role> uri_role = uses_uri ? parse_role(uri.role) : std::nullopt;
  if (uses_uri && !uri_role) {
    return failed(MappingFailure::kUnknownRole, "SAN URI role '" + std::string(uri.role) +
                                                    "' is not meter, hub, operator or service");
  }
  if (options_.role_from == RoleSource::kOu) {
    for (const std::string& ou : certificate.subject_ou) {
      if ((role = parse_role(ou))) {
        break;
      }
    }
    if (!role) {
      return failed(MappingFailure::kNoRole,
                    "no subject OU is a role (meter, hub, operator or service)");
    }
  } else {
    role = uri_role;
  }

  MappingResult result;
  result.principal = Principal{std::string(id), *role};
  return result;
}

ClientIdCheck check_client_id(const Principal& principal, std::string_view client_id,
                              bool require_match, protocol::Version version) {
  const bool device = principal.role == Role::kMeter || principal.role == Role::kHub;
  if (!require_match || !device || client_id == principal.id) {
    return {};
  }
  constexpr auto kReason = protocol::ReasonCode::kClientIdentifierNotValid;
  const std::uint8_t code = version == protocol::Version::kV5
                                ? static_cast<std::uint8_t>(kReason)
                                : static_cast<std::uint8_t>(protocol::to_connack_311(kReason));
  return {false, code};
}

}  // namespace gridmq::auth
