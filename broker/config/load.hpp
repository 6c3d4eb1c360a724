#pragma once
// Loading and validating the config file and the command line. Startup-only code: errors are
// reported as ConfigError exceptions carrying a message that names the file, line and key.

#include <iosfwd>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/broker_config.hpp"

namespace gridmq::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Parses TOML text (`origin` names it in messages, e.g. the file path) on top of the defaults.
/// Unknown keys fail with the nearest known key as a hint ("did you mean ...?"); bad values fail
/// with the expected type/range. Throws ConfigError.
BrokerConfig parse_config(std::string_view toml_text, const std::string& origin);

/// Reads and parses a file. Throws ConfigError (unreadable file included).
BrokerConfig load_config_file(const std::string& path);

/// Parses "tcp://HOST:PORT" or "tls://HOST:PORT" (IPv6 as "tcp://[::1]:1883"); only the
/// scheme, host and port are set. Throws ConfigError.
Listener parse_listen_url(std::string_view url);

/// How `listener` authenticates clients: its auth key, or for "auto": a tls listener that
/// requires client certificates -> "certificate", one that does not ->
/// "certificate_or_password"; a tcp listener on a loopback address (127.0.0.0/8, ::1,
/// localhost) -> "anonymous", on any other address -> "password".
std::string effective_listener_auth(const Listener& listener);

/// Startup checks across tables: a listener that takes passwords needs [auth] password_file.
/// Throws ConfigError naming the listener.
void check_auth(const BrokerConfig& config);

/// The version --version prints ("gridmq 0.1.0").
inline constexpr const char* kVersion = "0.1.0";

/// What the command line asked for.
struct CommandLine {
  BrokerConfig config;
  bool exit_now = false;  // --help / --version printed
  int exit_code = 0;
};

/// Parses argv: --config FILE, --listen URL (repeatable, replaces the file's listeners; a tls://
/// URL takes the TLS settings of the file's first tls listener),
/// --data-dir DIR, --threads N, --log-level LEVEL, --help, --version. Command-line values
/// override the file. Throws ConfigError for bad arguments. --help and --version print to `out`
/// (std::cout for the two-argument form) and return with exit_now set.
CommandLine parse_command_line(int argc, const char* const* argv);
CommandLine parse_command_line(int argc, const char* const* argv, std::ostream& out);

}  // namespace gridmq::config
