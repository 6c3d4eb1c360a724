// [plugins.meter_validation] read into Settings: every configurable rule. The framework's side
// (unknown keys, file:line in errors, disabled tables validated too) is in
// tests/unit/plugins/config_test.cpp.

#include <gtest/gtest.h>

#include "plugin_test_util.hpp"
#include "plugins/meter_validation/settings.hpp"

namespace gridmq::plugins::meter_validation {
namespace {

TEST(Settings, EveryConfigurableRuleIsRead) {
  const auto s = read_settings(test::section(
      "[plugins.meter_validation]\n"
      "uplink_topic = \"m/{tenant}/{meter}/{kind}\"\nscope = \"m/\"\n"
      "tenants = [\"t1\"]\nschema_versions = [1, 2]\nmax_clock_skew_s = 30\n"
      "ts_action = \"quarantine\"\ndecrease_action = \"quarantine\"\nmax_power_w = 11000.5\n"
      "unauthenticated = \"client_id\"\n"
      "[plugins.meter_validation.principal_tenants]\nHUB01 = [\"t1\", \"t2\"]\n"
      "[plugins.meter_validation.kinds.inst]\npersist = true\nrequired = [\"v\", \"seq\"]\n"
      "[plugins.meter_validation.units]\nenergy = [\"Wh\", \"kWh\"]\n"));
  EXPECT_EQ(s.scope, "m/");
  EXPECT_EQ(s.uplink.text(), "m/{tenant}/{meter}/{kind}");
  EXPECT_EQ(s.schema_versions, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(s.max_clock_skew_ms, 30000);
  EXPECT_EQ(s.ts_action, OnFail::kQuarantine);
  EXPECT_EQ(s.decrease_action, OnFail::kQuarantine);
  EXPECT_DOUBLE_EQ(s.max_power_w, 11000.5);
  EXPECT_EQ(s.unauthenticated, Settings::Anonymous::kClientId);
  EXPECT_TRUE(s.tenant_allowed("HUB01", "t2"));
  EXPECT_FALSE(s.tenant_allowed("other", "t2"));
  EXPECT_TRUE(s.kinds[static_cast<std::size_t>(Kind::kInst)].persist);
  EXPECT_TRUE(s.unit_allowed(Quantity::kEnergy, "kWh"));
}

}  // namespace
}  // namespace gridmq::plugins::meter_validation
