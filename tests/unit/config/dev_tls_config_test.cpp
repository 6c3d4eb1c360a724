// config/gridmq-dev-tls.toml, the development example that scripts/run.sh starts, stays valid.

#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config_test_util.hpp"

namespace gridmq::config {
namespace {

TEST(DevTlsConfig, HasATcpAndATlsListenerOnLoopback) {
  const BrokerConfig config =
      load_config_file((test::source_root() / "config" / "gridmq-dev-tls.toml").string());
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0], (Listener{"tcp", "127.0.0.1", 1883}));
  const Listener& tls = config.listeners[1];
  EXPECT_EQ(tls.scheme, "tls");
  EXPECT_EQ(tls.host, "127.0.0.1");
  EXPECT_EQ(tls.port, 8883u);
  EXPECT_EQ(tls.tls.cert_file, "certs/server.pem");
  EXPECT_EQ(tls.tls.key_file, "certs/server.key");
  EXPECT_EQ(tls.tls.ca_file, "certs/ca.pem");
  EXPECT_EQ(tls.tls.crl_file, "certs/ca.crl");
  EXPECT_TRUE(tls.tls.require_client_cert);
}

}  // namespace
}  // namespace gridmq::config
