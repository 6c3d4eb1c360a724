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
                 "Listener URL tcp://HOST:PORT or tls://HOST:PORT (IPv6 as tcp://[::1]:1883); "
                 "repeatable, replaces the file's [[listener]] tables; a tls URL takes its TLS "
                 "settings from the file's first tls [[listener]]")
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
    // A tls:// URL takes its TLS settings (certificates, CRL, ciphers, rate) from the file's
    // first tls [[listener]]: a URL cannot carry them.
    std::vector<Listener> file_listeners;
    file_listeners.swap(result.config.listeners);
    const Listener* tls_template = nullptr;
    for (const Listener& l : file_listeners) {
      if (l.is_tls()) {
        tls_template = &l;
        break;
      }
    }
    for (const std::string& url : listen_urls) {
      Listener listener;
      try {
        listener = parse_listen_url(url);
      } catch (const ConfigError& e) {
        throw ConfigError(std::string("--listen: ") + e.what());
      }
      if (listener.is_tls()) {
        if (tls_template == nullptr) {
          throw ConfigError("--listen: " + url +
                            ": a tls listener needs cert_file and key_file; --listen takes them "
                            "from the first tls [[listener]] of the --config file, and there is "
                            "none");
        }
        listener.tls = tls_template->tls;
        listener.max_connection_rate = tls_template->max_connection_rate;
        listener.auth = tls_template->auth;
      }
      result.config.listeners.push_back(std::move(listener));
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
