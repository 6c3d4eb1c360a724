// parse_listen_url: tcp://HOST:PORT with IPv4, host names and bracketed IPv6.

#include <gtest/gtest.h>

#include "config/load.hpp"

namespace gridmq::config {
namespace {

std::string url_error(std::string_view url) {
  try {
    parse_listen_url(url);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ListenUrl, Ipv4) {
  EXPECT_EQ(parse_listen_url("tcp://127.0.0.1:1883"), (Listener{"tcp", "127.0.0.1", 1883}));
  EXPECT_EQ(parse_listen_url("tcp://0.0.0.0:0"), (Listener{"tcp", "0.0.0.0", 0}));
  EXPECT_EQ(parse_listen_url("tcp://10.1.2.3:65535"), (Listener{"tcp", "10.1.2.3", 65535}));
}

TEST(ListenUrl, HostName) {
  EXPECT_EQ(parse_listen_url("tcp://localhost:1883"), (Listener{"tcp", "localhost", 1883}));
  EXPECT_EQ(parse_listen_url("tcp://broker-1.grid.example:1883"),
            (Listener{"tcp", "broker-1.grid.example", 1883}));
}

TEST(ListenUrl, Ipv6InBrackets) {
  EXPECT_EQ(parse_listen_url("tcp://[::1]:1883"), (Listener{"tcp", "::1", 1883}));
  EXPECT_EQ(parse_listen_url("tcp://[::]:1883"), (Listener{"tcp", "::", 1883}));
  EXPECT_EQ(parse_listen_url("tcp://[2001:db8::7]:8883"), (Listener{"tcp", "2001:db8::7", 8883}));
  EXPECT_EQ(parse_listen_url("tcp://[fe80::1%eth0]:1883"), (Listener{"tcp", "fe80::1%eth0", 1883}));
}

TEST(ListenUrl, MissingPort) {
  EXPECT_EQ(url_error("tcp://127.0.0.1"),
            "invalid listen URL 'tcp://127.0.0.1': missing port, expected tcp://HOST:PORT");
  EXPECT_EQ(url_error("tcp://127.0.0.1:"),
            "invalid listen URL 'tcp://127.0.0.1:': missing port, expected tcp://HOST:PORT");
  EXPECT_EQ(url_error("tcp://[::1]"),
            "invalid listen URL 'tcp://[::1]': missing port, expected tcp://HOST:PORT");
}

TEST(ListenUrl, BadPort) {
  EXPECT_EQ(url_error("tcp://h:65536"),
            "invalid listen URL 'tcp://h:65536': port 65536 is out of range 0..65535, expected "
            "tcp://HOST:PORT");
  EXPECT_EQ(url_error("tcp://h:99999999999999999999"),
            "invalid listen URL 'tcp://h:99999999999999999999': port 99999999999999999999 is out "
            "of range 0..65535, expected tcp://HOST:PORT");
  EXPECT_EQ(url_error("tcp://h:mqtt"),
            "invalid listen URL 'tcp://h:mqtt': port 'mqtt' is not a number, expected "
            "tcp://HOST:PORT");
  EXPECT_EQ(url_error("tcp://h:-1"),
            "invalid listen URL 'tcp://h:-1': port '-1' is not a number, expected "
            "tcp://HOST:PORT");
  EXPECT_EQ(url_error("tcp://h:1883/"),
            "invalid listen URL 'tcp://h:1883/': port '1883/' is not a number, expected "
            "tcp://HOST:PORT");
}

TEST(ListenUrl, Schemes) {
  EXPECT_EQ(url_error("ssl://h:8883"),
            "invalid listen URL 'ssl://h:8883': write tls:// for a TLS listener, expected "
            "tls://HOST:PORT");
  EXPECT_EQ(url_error("mqtts://h:8883"),
            "invalid listen URL 'mqtts://h:8883': write tls:// for a TLS listener, expected "
            "tls://HOST:PORT");
  EXPECT_EQ(url_error("ws://h:80"),
            "invalid listen URL 'ws://h:80': ws is not supported yet, expected tcp://HOST:PORT or "
            "tls://HOST:PORT");
  EXPECT_EQ(url_error("http://h:80"),
            "invalid listen URL 'http://h:80': unknown scheme 'http', expected tcp://HOST:PORT or "
            "tls://HOST:PORT");
  EXPECT_EQ(url_error("127.0.0.1:1883"),
            "invalid listen URL '127.0.0.1:1883': missing scheme, expected tcp://HOST:PORT or "
            "tls://HOST:PORT");
}

TEST(ListenUrl, Tls) {
  EXPECT_EQ(parse_listen_url("tls://127.0.0.1:8883"), (Listener{"tls", "127.0.0.1", 8883}));
  EXPECT_EQ(parse_listen_url("tls://[::1]:0"), (Listener{"tls", "::1", 0}));
  EXPECT_TRUE(parse_listen_url("tls://localhost:8883").is_tls());
  EXPECT_FALSE(parse_listen_url("tcp://localhost:1883").is_tls());
  // Only the address: TLS settings come from the [[listener]] table.
  EXPECT_EQ(parse_listen_url("tls://h:1").tls, ListenerTls{});
}

TEST(ListenUrl, TlsErrorsNameTheTlsForm) {
  EXPECT_EQ(url_error("tls://h"),
            "invalid listen URL 'tls://h': missing port, expected tls://HOST:PORT");
  EXPECT_EQ(url_error("tls://::1:8883"),
            "invalid listen URL 'tls://::1:8883': an IPv6 address must be in brackets, as in "
            "tls://[::1]:1883, expected tls://HOST:PORT");
}

TEST(ListenUrl, BadHosts) {
  EXPECT_EQ(url_error("tcp://:1883"),
            "invalid listen URL 'tcp://:1883': missing host (0.0.0.0 or [::] listens on all "
            "addresses), expected tcp://HOST:PORT");
  EXPECT_EQ(url_error("tcp://::1:1883"),
            "invalid listen URL 'tcp://::1:1883': an IPv6 address must be in brackets, as in "
            "tcp://[::1]:1883, expected tcp://HOST:PORT");
  EXPECT_EQ(url_error("tcp://[::1:1883"),
            "invalid listen URL 'tcp://[::1:1883': missing ']' after the IPv6 address, expected "
            "tcp://HOST:PORT");
  EXPECT_EQ(url_error("tcp://[nope]:1883"),
            "invalid listen URL 'tcp://[nope]:1883': 'nope' is not an IPv6 address, expected "
            "tcp://HOST:PORT");
  EXPECT_EQ(url_error("tcp://ho st:1883"),
            "invalid listen URL 'tcp://ho st:1883': invalid host 'ho st', expected "
            "tcp://HOST:PORT");
}

}  // namespace
}  // namespace gridmq::config
