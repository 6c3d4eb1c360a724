// The identity and authorization keys: [auth] password_file, acl_policy_file, bindings_file,
// failed_auth_delay_ms and the [identity] table.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config_test_util.hpp"

namespace gridmq::config {
namespace {

using test::parse_error;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(AuthKeys, Defaults) {
  const BrokerConfig config = parse_config("", "test.toml");
  EXPECT_EQ(config.auth.password_file, "");
  EXPECT_EQ(config.auth.acl_policy_file, "");
  EXPECT_EQ(config.auth.bindings_file, "");
  EXPECT_EQ(config.auth.failed_auth_delay_ms, 1000u);
  EXPECT_EQ(config.identity.id_from, "cn");
  EXPECT_EQ(config.identity.role_from, "ou");
  EXPECT_EQ(config.identity.san_uri_prefix, "urn:gridmq:");
  EXPECT_TRUE(config.identity.require_client_id_match);
}

TEST(AuthKeys, ReadsEveryKey) {
  const BrokerConfig config = parse_config(R"(
[auth]
acl_file = ""
password_file = "/etc/gridmq/passwords"
acl_policy_file = "/etc/gridmq/acl-metering.acl"
bindings_file = "/etc/gridmq/bindings"
failed_auth_delay_ms = 250
[identity]
id_from = "san_uri"
role_from = "san_uri"
san_uri_prefix = "spiffe://grid.example/"
require_client_id_match = false
)",
                                           "test.toml");
  EXPECT_EQ(config.auth.password_file, "/etc/gridmq/passwords");
  EXPECT_EQ(config.auth.acl_policy_file, "/etc/gridmq/acl-metering.acl");
  EXPECT_EQ(config.auth.bindings_file, "/etc/gridmq/bindings");
  EXPECT_EQ(config.auth.failed_auth_delay_ms, 250u);
  EXPECT_EQ(config.identity.id_from, "san_uri");
  EXPECT_EQ(config.identity.role_from, "san_uri");
  EXPECT_EQ(config.identity.san_uri_prefix, "spiffe://grid.example/");
  EXPECT_FALSE(config.identity.require_client_id_match);
}

TEST(AuthKeys, DelayRange) {
  EXPECT_EQ(parse_config("[auth]\nfailed_auth_delay_ms = 0\n", "t").auth.failed_auth_delay_ms, 0u);
  EXPECT_EQ(parse_config("[auth]\nfailed_auth_delay_ms = 10000\n", "t").auth.failed_auth_delay_ms,
            10000u);
  EXPECT_THAT(parse_error("[auth]\n\nfailed_auth_delay_ms = 10001\n"),
              AllOf(HasSubstr("test.toml:3:"), HasSubstr("auth.failed_auth_delay_ms"),
                    HasSubstr("out of range")));
  EXPECT_THAT(parse_error("[auth]\nfailed_auth_delay_ms = -1\n"),
              AllOf(HasSubstr("test.toml:2:"), HasSubstr("out of range")));
  EXPECT_THAT(parse_error("[auth]\nfailed_auth_delay_ms = \"1s\"\n"),
              AllOf(HasSubstr("test.toml:2:"), HasSubstr("wrong type")));
}

TEST(AuthKeys, IdentityChoices) {
  EXPECT_THAT(parse_error("[identity]\nid_from = \"ou\"\n"),
              AllOf(HasSubstr("test.toml:2:"), HasSubstr("identity.id_from"),
                    HasSubstr("expected one of cn|san_uri")));
  EXPECT_THAT(parse_error("[identity]\nrole_from = \"cn\"\n"),
              AllOf(HasSubstr("test.toml:2:"), HasSubstr("identity.role_from"),
                    HasSubstr("expected one of ou|san_uri")));
  EXPECT_THAT(parse_error("[identity]\nsan_uri_prefix = \"\"\n"),
              AllOf(HasSubstr("test.toml:2:"), HasSubstr("identity.san_uri_prefix"),
                    HasSubstr("expected a non-empty string")));
  EXPECT_THAT(parse_error("[identity]\nrequire_client_id_match = 1\n"),
              AllOf(HasSubstr("test.toml:2:"), HasSubstr("expected true or false")));
  EXPECT_THAT(parse_error("[auth]\npassword_file = 1\n"),
              AllOf(HasSubstr("test.toml:2:"), HasSubstr("expected a string")));
}

TEST(AuthKeys, MisspelledKeysGetAHint) {
  EXPECT_THAT(parse_error("[identity]\nid_form = \"cn\"\n"),
              AllOf(HasSubstr("test.toml:2:"), HasSubstr("unknown key 'identity.id_form'"),
                    HasSubstr("did you mean 'identity.id_from'?")));
  EXPECT_THAT(parse_error("[auth]\nbinding_file = \"x\"\n"),
              HasSubstr("did you mean 'auth.bindings_file'?"));
  EXPECT_THAT(parse_error("[identiy]\nid_from = \"cn\"\n"),
              AllOf(HasSubstr("test.toml:1: unknown table 'identiy'"),
                    HasSubstr("did you mean 'identity'?")));
}

}  // namespace
}  // namespace gridmq::config
