// Certificate -> principal mapping (CN/OU and SAN URI variants, every failure) and the
// client-id rule for meters and hubs.

#include "auth/cert_mapping.hpp"

#include <gtest/gtest.h>

namespace gridmq::auth {
namespace {

CertificateInfo cert(std::string cn, std::vector<std::string> ou,
                     std::vector<std::string> uris = {}) {
  CertificateInfo info;
  info.subject_cn = std::move(cn);
  info.subject_ou = std::move(ou);
  info.san_uris = std::move(uris);
  return info;
}

CertMappingOptions from_uri(IdSource id, RoleSource role, std::string prefix = "urn:gridmq:") {
  return CertMappingOptions{id, role, std::move(prefix)};
}

TEST(CertMapping, DefaultIsCnAndFirstRoleOu) {
  const CertMapping mapping;
  const MappingResult result = mapping.map(cert("1EMH0012345678", {"meter"}));
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(*result.principal, (Principal{"1EMH0012345678", Role::kMeter}));
  EXPECT_EQ(result.failure, MappingFailure::kNone);
  EXPECT_TRUE(result.detail.empty());
}

TEST(CertMapping, OuThatIsNoRoleIsSkipped) {
  const CertMapping mapping;
  const MappingResult result = mapping.map(cert("hub-0042", {"Field Devices", "hub", "operator"}));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.principal->role, Role::kHub);  // the first OU that is a role
  EXPECT_EQ(result.principal->id, "hub-0042");
}

TEST(CertMapping, RoleNamesAreCaseSensitive) {
  const MappingResult result = CertMapping().map(cert("m1", {"Meter", "METER"}));
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.failure, MappingFailure::kNoRole);
}

TEST(CertMapping, NoCnIsNoId) {
  const MappingResult result = CertMapping().map(cert("", {"meter"}));
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(result.principal.has_value());
  EXPECT_EQ(result.failure, MappingFailure::kNoId);
  EXPECT_NE(result.detail.find("CN"), std::string::npos);
}

TEST(CertMapping, NoRoleOuIsNoRole) {
  EXPECT_EQ(CertMapping().map(cert("m1", {})).failure, MappingFailure::kNoRole);
  EXPECT_EQ(CertMapping().map(cert("m1", {"billing", "none"})).failure, MappingFailure::kNoRole);
}

TEST(CertMapping, IdsThatCouldWidenTopicsAreRefused) {
  for (const std::string& id :
       std::vector<std::string>{"m/1", "m+", "#", "a:b", "$SYS", "with space", "tab\tid",
                                std::string("nul\0id", 6), std::string(257, 'a')}) {
    const MappingResult result = CertMapping().map(cert(id, {"meter"}));
    EXPECT_EQ(result.failure, MappingFailure::kInvalidId) << id;
    EXPECT_FALSE(result.ok());
  }
  EXPECT_TRUE(CertMapping().map(cert(std::string(256, 'a'), {"meter"})).ok());
}

TEST(CertMapping, IdAndRoleFromSanUri) {
  const CertMapping mapping(from_uri(IdSource::kSanUri, RoleSource::kSanUri));
  const MappingResult result =
      mapping.map(cert("ignored CN", {}, {"https://example.com/x", "urn:gridmq:meter:1EMH001"}));
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(*result.principal, (Principal{"1EMH001", Role::kMeter}));
}

TEST(CertMapping, CustomPrefix) {
  const CertMapping mapping(
      from_uri(IdSource::kSanUri, RoleSource::kSanUri, "spiffe://grid.example/"));
  const MappingResult result = mapping.map(cert("", {}, {"spiffe://grid.example/hub:hub-7"}));
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(*result.principal, (Principal{"hub-7", Role::kHub}));
  // The default prefix no longer counts.
  EXPECT_EQ(mapping.map(cert("", {}, {"urn:gridmq:hub:hub-7"})).failure, MappingFailure::kNoId);
}

TEST(CertMapping, IdFromSanUriRoleFromOu) {
  const CertMapping mapping(from_uri(IdSource::kSanUri, RoleSource::kOu));
  const MappingResult result = mapping.map(cert("CN", {"service"}, {"urn:gridmq:service:billing"}));
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(*result.principal, (Principal{"billing", Role::kService}));
  // The URI's role part must still be a role name, but it is not compared with the OU.
  EXPECT_TRUE(mapping.map(cert("CN", {"operator"}, {"urn:gridmq:service:alice"})).ok());
  EXPECT_EQ(mapping.map(cert("CN", {"operator"}, {"urn:gridmq:admin:alice"})).failure,
            MappingFailure::kUnknownRole);
  EXPECT_EQ(mapping.map(cert("CN", {}, {"urn:gridmq:service:alice"})).failure,
            MappingFailure::kNoRole);
}

TEST(CertMapping, IdFromCnRoleFromSanUri) {
  const CertMapping mapping(from_uri(IdSource::kCn, RoleSource::kSanUri));
  const MappingResult result = mapping.map(cert("hub-1", {"meter"}, {"urn:gridmq:hub:x"}));
  ASSERT_TRUE(result.ok()) << result.detail;
  EXPECT_EQ(*result.principal, (Principal{"hub-1", Role::kHub}));  // OU ignored
}

TEST(CertMapping, SanUriFailures) {
  const CertMapping mapping(from_uri(IdSource::kSanUri, RoleSource::kSanUri));
  EXPECT_EQ(mapping.map(cert("m1", {"meter"})).failure, MappingFailure::kNoId);
  EXPECT_EQ(mapping.map(cert("m1", {"meter"}, {"urn:other:meter:m1"})).failure,
            MappingFailure::kNoId);
  EXPECT_EQ(mapping.map(cert("", {}, {"urn:gridmq:meter:"})).failure, MappingFailure::kNoId);
  EXPECT_EQ(mapping.map(cert("", {}, {"urn:gridmq:meter"})).failure, MappingFailure::kMalformedUri);
  EXPECT_EQ(mapping.map(cert("", {}, {"urn:gridmq::m1"})).failure, MappingFailure::kMalformedUri);
  EXPECT_EQ(mapping.map(cert("", {}, {"urn:gridmq:superuser:m1"})).failure,
            MappingFailure::kUnknownRole);
  EXPECT_EQ(mapping.map(cert("", {}, {"urn:gridmq:meter:m1", "urn:gridmq:meter:m2"})).failure,
            MappingFailure::kAmbiguousUri);
  // The id part is one id: "meter:a:b" would be id "a:b", which is not a valid id.
  EXPECT_EQ(mapping.map(cert("", {}, {"urn:gridmq:meter:a:b"})).failure,
            MappingFailure::kInvalidId);
  EXPECT_EQ(mapping.map(cert("", {}, {"urn:gridmq:meter:m/+"})).failure,
            MappingFailure::kInvalidId);
}

TEST(CertMapping, FailureNames) {
  EXPECT_EQ(mapping_failure_name(MappingFailure::kNoId), "no id");
  EXPECT_EQ(mapping_failure_name(MappingFailure::kAmbiguousUri), "ambiguous SAN URI");
}

TEST(CertMapping, ParseSources) {
  EXPECT_EQ(parse_id_source("cn"), IdSource::kCn);
  EXPECT_EQ(parse_id_source("san_uri"), IdSource::kSanUri);
  EXPECT_EQ(parse_id_source("CN"), std::nullopt);
  EXPECT_EQ(parse_role_source("ou"), RoleSource::kOu);
  EXPECT_EQ(parse_role_source("san_uri"), RoleSource::kSanUri);
  EXPECT_EQ(parse_role_source("cn"), std::nullopt);
}

constexpr auto kV5 = protocol::Version::kV5;
constexpr auto kV311 = protocol::Version::kV311;

TEST(ClientIdCheck, MeterAndHubMustUseTheirId) {
  for (const Role role : {Role::kMeter, Role::kHub}) {
    const Principal principal{"dev-1", role};
    EXPECT_TRUE(check_client_id(principal, "dev-1", true, kV5).accepted);
    EXPECT_EQ(check_client_id(principal, "dev-1", true, kV5).connack_code, 0);

    const ClientIdCheck v5 = check_client_id(principal, "dev-2", true, kV5);
    EXPECT_FALSE(v5.accepted);
    EXPECT_EQ(v5.connack_code, 0x85);
    const ClientIdCheck v311 = check_client_id(principal, "dev-2", true, kV311);
    EXPECT_FALSE(v311.accepted);
    EXPECT_EQ(v311.connack_code, 0x02);

    EXPECT_FALSE(check_client_id(principal, "", true, kV5).accepted);       // no auto-assign
    EXPECT_FALSE(check_client_id(principal, "DEV-1", true, kV5).accepted);  // exact match
    EXPECT_FALSE(check_client_id(principal, "dev-1 ", true, kV311).accepted);
  }
}

TEST(ClientIdCheck, OperatorsAndServicesAreFree) {
  EXPECT_TRUE(check_client_id({"alice", Role::kOperator}, "alice-laptop", true, kV5).accepted);
  EXPECT_TRUE(check_client_id({"billing", Role::kService}, "", true, kV311).accepted);
}

TEST(ClientIdCheck, CanBeSwitchedOff) {
  const ClientIdCheck check = check_client_id({"m1", Role::kMeter}, "other", false, kV5);
  EXPECT_TRUE(check.accepted);
  EXPECT_EQ(check.connack_code, 0);
}

}  // namespace
}  // namespace gridmq::auth
