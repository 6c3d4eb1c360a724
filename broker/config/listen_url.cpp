// Listener URLs: tcp://HOST:PORT and tls://HOST:PORT, with IPv6 addresses in brackets
// (tcp://[::1]:1883).

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <string>

#include "config/load.hpp"

namespace gridmq::config {
namespace {

[[noreturn]] void fail(std::string_view url, std::string_view problem,
                       std::string_view scheme = {}) {
  std::string message = "invalid listen URL '";
  message.append(url).append("': ").append(problem).append(", expected ");
  if (scheme.empty()) {
    message.append("tcp://HOST:PORT or tls://HOST:PORT");
  } else {
    message.append(scheme).append("://HOST:PORT");
  }
  throw ConfigError(message);
}

bool is_ipv6(std::string_view text) {
  // A zone ("fe80::1%eth0") is allowed after the address.
  const std::string address(text.substr(0, text.find('%')));
  std::array<unsigned char, 16> bytes{};
  return inet_pton(AF_INET6, address.c_str(), bytes.data()) == 1;
}

bool is_host_name(std::string_view text) {
  for (const char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_';
    if (!ok) {
      return false;
    }
  }
  return !text.empty() && text.front() != '-' && text.front() != '.';
}

std::uint16_t parse_port(std::string_view url, std::string_view scheme, std::string_view text) {
  if (text.empty()) {
    fail(url, "missing port", scheme);
  }
  std::uint32_t port = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      fail(url, "port '" + std::string(text) + "' is not a number", scheme);
    }
    port = port * 10 + static_cast<std::uint32_t>(c - '0');
    if (port > 65535) {
      fail(url, "port " + std::string(text) + " is out of range 0..65535", scheme);
    }
  }
  return static_cast<std::uint16_t>(port);
}

}  // namespace

Listener parse_listen_url(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    fail(url, "missing scheme");
  }
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme == "ssl" || scheme == "mqtts") {
    fail(url, "write tls:// for a TLS listener", "tls");
  }
  if (scheme == "ws" || scheme == "wss") {
    fail(url, std::string(scheme) + " is not supported yet");
  }
  if (scheme != "tcp" && scheme != "tls") {
    fail(url, "unknown scheme '" + std::string(scheme) + "'");
  }

  const std::string_view rest = url.substr(scheme_end + 3);
  Listener listener;
  listener.scheme = std::string(scheme);
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) {
      fail(url, "missing ']' after the IPv6 address", scheme);
    }
    const std::string_view address = rest.substr(1, close - 1);
    if (!is_ipv6(address)) {
      fail(url, "'" + std::string(address) + "' is not an IPv6 address", scheme);
    }
    const std::string_view after = rest.substr(close + 1);
    if (after.empty() || after.front() != ':') {
      fail(url, "missing port", scheme);
    }
    listener.host = std::string(address);
    port = after.substr(1);
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      fail(url, "missing port", scheme);
    }
    const std::string_view host = rest.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      fail(url,
           "an IPv6 address must be in brackets, as in " + std::string(scheme) + "://[::1]:1883",
           scheme);
    }
    if (host.empty()) {
      fail(url, "missing host (0.0.0.0 or [::] listens on all addresses)", scheme);
    }
    if (!is_host_name(host)) {
      fail(url, "invalid host '" + std::string(host) + "'", scheme);
    }
    listener.host = std::string(host);
    port = rest.substr(colon + 1);
  }
  listener.port = parse_port(url, scheme, port);
  return listener;
}

}  // namespace gridmq::config
