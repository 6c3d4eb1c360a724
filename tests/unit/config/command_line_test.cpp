// parse_command_line: defaults, overrides of the file, --listen, bad arguments, --help/--version.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <sstream>
#include <vector>

#include "config/load.hpp"
#include "config_test_util.hpp"

namespace gridmq::config {
namespace {

using ::testing::HasSubstr;

CommandLine run(std::initializer_list<std::string> args, std::ostream& out) {
  std::vector<std::string> storage{"gridmq"};
  storage.insert(storage.end(), args);
  std::vector<const char*> argv;
  for (const std::string& arg : storage) {
    argv.push_back(arg.c_str());
  }
  return parse_command_line(static_cast<int>(argv.size()), argv.data(), out);
}

CommandLine run(std::initializer_list<std::string> args) {
  std::ostringstream out;
  CommandLine result = run(args, out);
  EXPECT_EQ(out.str(), "");
  return result;
}

std::string run_error(std::initializer_list<std::string> args) {
  try {
    run(args);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

constexpr const char* kFile = R"([broker]
threads = 4
[storage]
data_dir = "/srv/gridmq"
[[listener]]
url = "tcp://10.0.0.1:1883"
[[listener]]
url = "tcp://10.0.0.2:1883"
[mqtt]
max_inflight = 16
[log]
level = "warn"
)";

TEST(CommandLine, NoArgumentsGiveDefaults) {
  const CommandLine result = run({});
  EXPECT_FALSE(result.exit_now);
  EXPECT_EQ(result.config, BrokerConfig{});
  ASSERT_EQ(result.config.listeners.size(), 1u);
  EXPECT_EQ(result.config.listeners[0], (Listener{"tcp", "127.0.0.1", 1883}));
  EXPECT_EQ(result.config.data_dir, "./data");
}

TEST(CommandLine, ReadsTheConfigFile) {
  const test::TempFile file("gridmq.toml", kFile);
  const BrokerConfig config = run({"--config", file.path()}).config;
  EXPECT_EQ(config.threads, 4u);
  EXPECT_EQ(config.data_dir, "/srv/gridmq");
  EXPECT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.mqtt.max_inflight, 16u);
  EXPECT_EQ(config.log.level, "warn");
}

TEST(CommandLine, OptionsOverrideTheFile) {
  const test::TempFile file("gridmq.toml", kFile);
  const BrokerConfig config = run({"--threads", "2", "--config", file.path(), "--data-dir",
                                   "/tmp/other", "--log-level", "debug"})
                                  .config;
  EXPECT_EQ(config.threads, 2u);
  EXPECT_EQ(config.data_dir, "/tmp/other");
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_EQ(config.listeners.size(), 2u);  // not given: the file's listeners stay
  EXPECT_EQ(config.mqtt.max_inflight, 16u);
}

TEST(CommandLine, ListenReplacesTheFilesListeners) {
  const test::TempFile file("gridmq.toml", kFile);
  const BrokerConfig config =
      run({"--config", file.path(), "--listen", "tcp://[::1]:0", "--listen=tcp://0.0.0.0:1884"})
          .config;
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0], (Listener{"tcp", "::1", 0}));
  EXPECT_EQ(config.listeners[1], (Listener{"tcp", "0.0.0.0", 1884}));
}

TEST(CommandLine, ListenWithoutAFileReplacesTheDefault) {
  const BrokerConfig config = run({"--listen", "tcp://127.0.0.1:0"}).config;
  ASSERT_EQ(config.listeners.size(), 1u);
  EXPECT_EQ(config.listeners[0].port, 0u);
}

TEST(CommandLine, ListenTakesOneUrlPerOption) {
  EXPECT_THAT(run_error({"--listen", "tcp://a:1", "tcp://b:2"}),
              HasSubstr("The following argument was not expected: tcp://b:2"));
}

TEST(CommandLine, TlsListenNeedsATlsListenerInTheFile) {
  EXPECT_EQ(run_error({"--listen", "tls://h:8883"}),
            "--listen: tls://h:8883: a tls listener needs cert_file and key_file; --listen takes "
            "them from the first tls [[listener]] of the --config file, and there is none");
}

TEST(CommandLine, TlsListenTakesTheFilesTlsSettings) {
  const test::TempFile file("tls.toml", R"([[listener]]
url = "tcp://127.0.0.1:1883"
[[listener]]
url = "tls://127.0.0.1:8883"
cert_file = "s.pem"
key_file = "s.key"
ca_file = "ca.pem"
crl_file = "ca.crl"
max_connection_rate = 50
)");
  const BrokerConfig config = run({"--config", file.path(), "--listen", "tcp://127.0.0.1:0",
                                   "--listen", "tls://127.0.0.1:0"})
                                  .config;
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0], (Listener{"tcp", "127.0.0.1", 0}));
  const Listener& tls = config.listeners[1];
  EXPECT_EQ(tls.scheme, "tls");
  EXPECT_EQ(tls.port, 0u);
  EXPECT_EQ(tls.tls.cert_file, "s.pem");
  EXPECT_EQ(tls.tls.key_file, "s.key");
  EXPECT_EQ(tls.tls.ca_file, "ca.pem");
  EXPECT_EQ(tls.tls.crl_file, "ca.crl");
  EXPECT_EQ(tls.max_connection_rate, 50u);
}

TEST(CommandLine, BadListenUrl) {
  EXPECT_EQ(run_error({"--listen", "ssl://h:8883"}),
            "--listen: invalid listen URL 'ssl://h:8883': write tls:// for a TLS listener, "
            "expected tls://HOST:PORT");
  EXPECT_EQ(run_error({"--listen", "tcp://h"}),
            "--listen: invalid listen URL 'tcp://h': missing port, expected tcp://HOST:PORT");
}

TEST(CommandLine, BadArgumentsCarryCli11Messages) {
  EXPECT_THAT(run_error({"--threads", "2000"}), HasSubstr("--threads"));
  EXPECT_THAT(run_error({"--threads", "many"}), HasSubstr("--threads"));
  EXPECT_THAT(run_error({"--log-level", "loud"}), HasSubstr("--log-level"));
  EXPECT_THAT(run_error({"--log-level", "loud"}), HasSubstr("loud"));
  EXPECT_THAT(run_error({"--frobnicate"}), HasSubstr("--frobnicate"));
  EXPECT_THAT(run_error({"--config"}), HasSubstr("--config"));
  EXPECT_THAT(run_error({"stray"}), HasSubstr("stray"));
  EXPECT_EQ(run_error({"--data-dir", ""}), "--data-dir: must not be empty");
}

TEST(CommandLine, ConfigFileErrorsPassThrough) {
  const test::TempFile file("bad.toml", "[mqtt]\nmaximum_qos = 3\n");
  EXPECT_EQ(
      run_error({"--config", file.path()}),
      file.path() + ":2: mqtt.maximum_qos = 3: out of range, expected an integer from 0 to 2");
  EXPECT_EQ(run_error({"--config", "/nonexistent.toml"}),
            "cannot read config file '/nonexistent.toml': No such file or directory");
}

TEST(CommandLine, Version) {
  std::ostringstream out;
  const CommandLine result = run({"--version"}, out);
  EXPECT_TRUE(result.exit_now);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(out.str(), "gridmq 0.1.0\n");
}

TEST(CommandLine, Help) {
  std::ostringstream out;
  const CommandLine result = run({"--help"}, out);
  EXPECT_TRUE(result.exit_now);
  EXPECT_EQ(result.exit_code, 0);
  for (const char* option :
       {"--config", "--listen", "--data-dir", "--threads", "--log-level", "--help", "--version"}) {
    EXPECT_THAT(out.str(), HasSubstr(option));
  }
}

}  // namespace
}  // namespace gridmq::config
