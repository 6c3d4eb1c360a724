// The command line (CLI11): options override the config file; --listen replaces its listeners.

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "config/load.hpp"
#include "config/schema.hpp"

namespace gridmq::config {

CommandLine parse_command_line(int argc, const char* const* argv) {
  return parse_command_line(argc, argv, std::cout);
}

CommandLine parse_command_line(int argc, const char* const* argv, std::ostream& out) {
  CLI::App app{"gridmq: MQTT 3.1.1/5.0 broker for electricity metering", "gridmq"};
  std::string config_file;
  std::vector<std::string> listen_urls;
  std::string data_dir;
  unsigned threads = 0;
  std::string log_level;

  app.add_option("--config", config_file, "Config file (TOML); see config/gridmq.toml")
      ->type_name("FILE");
  app.add_option("--listen", listen_urls,
                 "Listener URL tcp://HOST:PORT (IPv6 as tcp://[::1]:1883); repeatable, "
                 "replaces the file's [[listener]] tables")
      ->type_name("URL")
      ->take_all()
      ->allow_extra_args(false);
  app.add_option("--data-dir", data_dir, "Storage directory (overrides storage.data_dir)")
      ->type_name("DIR");
  app.add_option("--threads", threads, "Worker threads, 0 = one per hardware thread")
      ->type_name("N")
      ->check(CLI::Range(0u, kMaxThreads));
  app.add_option("--log-level", log_level, "Log level (overrides log.level)")
      ->type_name("LEVEL")
      ->check(CLI::IsMember(std::vector<std::string>(kLogLevels.begin(), kLogLevels.end())));
  app.set_version_flag("--version", std::string("gridmq ") + kVersion);

  CommandLine result;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() != static_cast<int>(CLI::ExitCodes::Success)) {
      throw ConfigError(e.what());
    }
    // --help or --version: print and let the caller exit.
    std::ostringstream ignored;
    result.exit_code = app.exit(e, out, ignored);
    result.exit_now = true;
    return result;
  }

  if (app.count("--config") > 0) {
    result.config = load_config_file(config_file);
  }
  if (!listen_urls.empty()) {
    result.config.listeners.clear();
    for (const std::string& url : listen_urls) {
      try {
        result.config.listeners.push_back(parse_listen_url(url));
      } catch (const ConfigError& e) {
        throw ConfigError(std::string("--listen: ") + e.what());
      }
    }
  }
  if (app.count("--data-dir") > 0) {
    if (data_dir.empty()) {
      throw ConfigError("--data-dir: must not be empty");
    }
    result.config.data_dir = data_dir;
  }
  if (app.count("--threads") > 0) {
    result.config.threads = threads;
  }
  if (app.count("--log-level") > 0) {
    result.config.log.level = log_level;
  }
  return result;
}

}  // namespace gridmq::config
