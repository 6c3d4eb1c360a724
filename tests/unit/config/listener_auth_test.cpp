// [[listener]] auth and [auth] close_on_denied_publish: values, the "auto" defaults, and the
// startup check that password listeners have a password file.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config_test_util.hpp"

namespace gridmq::config {
namespace {

using test::parse_error;
using ::testing::AllOf;
using ::testing::HasSubstr;

Listener listener(std::string url) {
  return parse_listen_url(url);
}

TEST(ListenerAuth, AutoDependsOnSchemeAddressAndClientCertificates) {
  EXPECT_EQ(effective_listener_auth(listener("tcp://127.0.0.1:1883")), "anonymous");
  EXPECT_EQ(effective_listener_auth(listener("tcp://127.0.0.9:1883")), "anonymous");
  EXPECT_EQ(effective_listener_auth(listener("tcp://[::1]:1883")), "anonymous");
  EXPECT_EQ(effective_listener_auth(listener("tcp://localhost:1883")), "anonymous");
  EXPECT_EQ(effective_listener_auth(listener("tcp://0.0.0.0:1883")), "password");
  EXPECT_EQ(effective_listener_auth(listener("tcp://10.1.2.3:1883")), "password");
  Listener tls = listener("tls://0.0.0.0:8883");
  EXPECT_EQ(effective_listener_auth(tls), "certificate");
  tls.tls.require_client_cert = false;
  EXPECT_EQ(effective_listener_auth(tls), "certificate_or_password");
  Listener explicit_anonymous = listener("tcp://0.0.0.0:1883");
  explicit_anonymous.auth = "anonymous";
  EXPECT_EQ(effective_listener_auth(explicit_anonymous), "anonymous");
}

TEST(ListenerAuth, ReadsTheKeyAndRejectsUnknownValues) {
  const BrokerConfig config = parse_config(R"(
[auth]
close_on_denied_publish = true
[[listener]]
url = "tcp://0.0.0.0:1883"
auth = "anonymous"
)",
                                           "t.toml");
  EXPECT_EQ(config.listeners.at(0).auth, "anonymous");
  EXPECT_TRUE(config.auth.close_on_denied_publish);
  EXPECT_FALSE(BrokerConfig{}.auth.close_on_denied_publish);
  EXPECT_THAT(parse_error("[[listener]]\nurl = \"tcp://127.0.0.1:1\"\nauth = \"cert\"\n"),
              AllOf(HasSubstr(":3"), HasSubstr("listener.auth")));
}

TEST(ListenerAuth, CertificateNeedsTls) {
  EXPECT_THAT(parse_error("[[listener]]\nurl = \"tcp://127.0.0.1:1\"\nauth = \"certificate\"\n"),
              AllOf(HasSubstr("listener.auth"), HasSubstr("tls://")));
}

TEST(ListenerAuth, PasswordListenersNeedAPasswordFile) {
  BrokerConfig config = parse_config("[[listener]]\nurl = \"tcp://0.0.0.0:1883\"\n", "t.toml");
  try {
    check_auth(config);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("tcp://0.0.0.0:1883"), HasSubstr("password_file"),
                                HasSubstr("default")));
  }
  config.auth.password_file = "/etc/gridmq/passwords";
  EXPECT_NO_THROW(check_auth(config));
  EXPECT_NO_THROW(check_auth(BrokerConfig{}));  // loopback tcp: anonymous
}

TEST(ListenerAuth, TlsListenUrlTakesAuthFromTheFile) {
  const test::TempFile file("gridmq.toml", R"(
[[listener]]
url = "tls://127.0.0.1:8883"
cert_file = "s.pem"
key_file = "s.key"
ca_file = "ca.pem"
auth = "certificate_or_password"
)");
  const std::string path = file.path();
  const char* argv[] = {"gridmq", "--config", path.c_str(), "--listen", "tls://127.0.0.1:9999"};
  const CommandLine cl = parse_command_line(5, argv);
  ASSERT_EQ(cl.config.listeners.size(), 1u);
  EXPECT_EQ(cl.config.listeners[0].auth, "certificate_or_password");
}

}  // namespace
}  // namespace gridmq::config
