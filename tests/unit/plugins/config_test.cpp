// [plugins.<name>] tables: the loader keeps them, the host checks names, the plugin its keys.

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include "config/load.hpp"
#include "plugin_test_util.hpp"
#include "plugins/host.hpp"
#include "plugins/meter_validation/settings.hpp"
#include "plugins/registry.hpp"

namespace gridmq::plugins {
namespace {

std::shared_ptr<spdlog::logger> quiet() {
  return std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
}

// The error creating a host for `toml` gives ("" if it starts).
std::string host_error(std::string_view toml) {
  auto log = quiet();
  try {
    const auto cfg = config::parse_config(toml, "gridmq.toml");
    PluginHost::Options o;
    o.log = log.get();
    (void)PluginHost::create(builtin_registry(), cfg.plugins, o);
  } catch (const config::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(PluginConfig, LoaderKeepsTheTableAndReadsEnabled) {
  const auto cfg = config::parse_config(
      "[mqtt]\nmax_inflight = 8\n\n[plugins.meter_validation]\nenabled = true\n"
      "max_payload_bytes = 4096\n",
      "gridmq.toml");
  ASSERT_EQ(cfg.plugins.size(), 1u);
  EXPECT_EQ(cfg.plugins[0].name, "meter_validation");
  EXPECT_TRUE(cfg.plugins[0].enabled);
  EXPECT_EQ(cfg.plugins[0].line, 4u);
  EXPECT_EQ(meter_validation::read_settings(cfg.plugins[0]).max_payload_bytes, 4096u);
}

TEST(PluginConfig, EnabledDefaultsToFalseAndMustBeABoolean) {
  EXPECT_FALSE(test::section("[plugins.meter_validation]\n").enabled);
  try {
    config::parse_config("[plugins.meter_validation]\nenabled = \"yes\"\n", "gridmq.toml");
    FAIL() << "accepted a string";
  } catch (const config::ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "gridmq.toml:2: plugins.meter_validation.enabled = \"yes\": wrong type (a "
                 "string), expected true or false");
  }
}

TEST(PluginConfig, BadValueNamesFileLineAndKey) {
  EXPECT_EQ(host_error("[plugins.meter_validation]\nenabled = true\n\nmax_payload_bytes = 0\n"),
            "gridmq.toml:4: plugins.meter_validation.max_payload_bytes = 0: out of range, "
            "expected an integer from 1 to 1048576");
  EXPECT_EQ(host_error("[plugins.meter_validation]\nts_action = \"ignore\"\n"),
            "gridmq.toml:2: plugins.meter_validation.ts_action = \"ignore\": expected one of "
            "reject|quarantine");
}

TEST(PluginConfig, UnknownKeyGetsAHint) {
  EXPECT_EQ(host_error("[plugins.meter_validation]\nenabled = true\nmax_payload_byte = 10\n"),
            "gridmq.toml:3: unknown key 'plugins.meter_validation.max_payload_byte' (did you mean "
            "'plugins.meter_validation.max_payload_bytes'?)");
  EXPECT_EQ(host_error("[plugins.meter_validation.kinds.reading]\nrequird = [\"v\"]\n"),
            "gridmq.toml:2: unknown key 'plugins.meter_validation.kinds.reading.requird' (did you "
            "mean 'plugins.meter_validation.kinds.reading.required'?)");
  EXPECT_NE(host_error("[plugins.meter_validation.kinds.readings]\nrequired = [\"v\"]\n")
                .find("did you mean 'plugins.meter_validation.kinds.reading'?"),
            std::string::npos);
}

TEST(PluginConfig, UnknownPluginGetsAHint) {
  EXPECT_EQ(host_error("[plugins.meter_validaton]\nenabled = true\n"),
            "gridmq.toml:1: unknown plugin 'plugins.meter_validaton' (did you mean "
            "'plugins.meter_validation'?)");
  EXPECT_EQ(host_error("[plugins.coffee]\n"), "gridmq.toml:1: unknown plugin 'plugins.coffee'");
}

TEST(PluginConfig, DisabledPluginsAreValidatedToo) {
  EXPECT_NE(host_error("[plugins.meter_validation]\nenabled = false\nmax_power_w = -1\n"), "");
}

TEST(PluginConfig, BadTopicPatternIsRefused) {
  EXPECT_NE(host_error("[plugins.meter_validation]\nuplink_topic = \"mtr/v1/{tenant}/{meter}\"\n")
                .find("needs {tenant}, {meter} and {kind}"),
            std::string::npos);
  EXPECT_NE(host_error("[plugins.meter_validation]\nuplink_topic = \"mtr/+/{who}/{meter}\"\n")
                .find("gridmq.toml:2: plugins.meter_validation.uplink_topic"),
            std::string::npos);
}

TEST(PluginConfig, NoEnabledPluginMeansNoHost) {
  auto log = quiet();
  PluginHost::Options o;
  o.log = log.get();
  const auto cfg = config::parse_config("[plugins.meter_validation]\nenabled = false\n", "g.toml");
  EXPECT_EQ(PluginHost::create(builtin_registry(), cfg.plugins, o), nullptr);
  EXPECT_EQ(PluginHost::create(builtin_registry(), {}, o), nullptr);
}

}  // namespace
}  // namespace gridmq::plugins
