// parse_config / load_config_file: values, unknown keys with hints, types, ranges, syntax errors.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/load.hpp"
#include "config_test_util.hpp"

namespace gridmq::config {
namespace {

using test::parse_error;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseConfig, EmptyTextGivesDefaults) {
  const BrokerConfig config = parse_config("", "test.toml");
  EXPECT_EQ(config, BrokerConfig{});
  ASSERT_EQ(config.listeners.size(), 1u);
  EXPECT_EQ(config.listeners[0], (Listener{"tcp", "127.0.0.1", 1883}));
  EXPECT_EQ(config.data_dir, "./data");
}

TEST(ParseConfig, ReadsEveryTable) {
  const BrokerConfig config = parse_config(R"(
[broker]
threads = 8
[storage]
data_dir = "/var/lib/gridmq"
[[listener]]
url = "tcp://0.0.0.0:1883"
[[listener]]
url = "tcp://[::1]:0"
[mqtt]
max_packet_size = 65536
receive_maximum = 100
max_inflight = 10
max_keepalive = 120
topic_alias_maximum = 0
max_session_expiry = 86400
max_queued_messages = 5
max_queued_bytes = 1048576
max_queued_age_s = 86400
queue_overflow = "drop_oldest"
queue_qos0 = true
retain_available = false
wildcard_subscriptions = false
shared_subscriptions = false
subscription_identifiers = false
maximum_qos = 1
max_client_id_length = 64
allow_zero_length_client_id = false
connect_timeout_ms = 2500
[limits]
max_connections = 10
max_output_buffer = 65536
[auth]
acl_file = "/etc/gridmq/acl"
[log]
level = "debug"
json = true
)",
                                           "test.toml");
  EXPECT_EQ(config.threads, 8u);
  EXPECT_EQ(config.data_dir, "/var/lib/gridmq");
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0], (Listener{"tcp", "0.0.0.0", 1883}));
  EXPECT_EQ(config.listeners[1], (Listener{"tcp", "::1", 0}));
  const MqttLimits& m = config.mqtt;
  EXPECT_EQ(m.max_packet_size, 65536u);
  EXPECT_EQ(m.receive_maximum, 100u);
  EXPECT_EQ(m.max_inflight, 10u);
  EXPECT_EQ(m.max_keepalive, 120u);
  EXPECT_EQ(m.topic_alias_maximum, 0u);
  EXPECT_EQ(m.max_session_expiry, 86400u);
  EXPECT_EQ(m.max_queued_messages, 5u);
  EXPECT_EQ(m.max_queued_bytes, 1048576u);
  EXPECT_EQ(m.max_queued_age_s, 86400u);
  EXPECT_EQ(m.queue_overflow, "drop_oldest");
  EXPECT_TRUE(m.queue_qos0);
  EXPECT_FALSE(m.retain_available);
  EXPECT_FALSE(m.wildcard_subscriptions);
  EXPECT_FALSE(m.shared_subscriptions);
  EXPECT_FALSE(m.subscription_identifiers);
  EXPECT_EQ(m.maximum_qos, 1u);
  EXPECT_EQ(m.max_client_id_length, 64u);
  EXPECT_FALSE(m.allow_zero_length_client_id);
  EXPECT_EQ(m.connect_timeout_ms, 2500u);
  EXPECT_EQ(config.limits.max_connections, 10u);
  EXPECT_EQ(config.limits.max_output_buffer, 65536u);
  EXPECT_EQ(config.auth.file, "/etc/gridmq/acl");
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_TRUE(config.log.json);
}

TEST(ParseConfig, DottedKeysAndInlineTablesWork) {
  const BrokerConfig config =
      parse_config("mqtt.max_inflight = 7\nlog = { level = \"warn\" }\n", "test.toml");
  EXPECT_EQ(config.mqtt.max_inflight, 7u);
  EXPECT_EQ(config.log.level, "warn");
}

TEST(ParseConfig, LargestValuesFit) {
  const BrokerConfig config = parse_config(
      "[mqtt]\nmax_session_expiry = 4294967295\nmax_queued_bytes = 9223372036854775807\n"
      "receive_maximum = 65535\n[broker]\nthreads = 1024\n",
      "test.toml");
  EXPECT_EQ(config.mqtt.max_session_expiry, 4294967295u);
  EXPECT_EQ(config.mqtt.max_queued_bytes, 9223372036854775807u);
  EXPECT_EQ(config.mqtt.receive_maximum, 65535u);
  EXPECT_EQ(config.threads, 1024u);
}

// --- unknown tables and keys -----------------------------------------------------------------

TEST(UnknownKeys, TypoInKeyNamesLineKeyAndHint) {
  EXPECT_EQ(parse_error("[mqtt]\nreceive_maximum = 10\nmax_infligt = 3\n"),
            "test.toml:3: unknown key 'mqtt.max_infligt' (did you mean 'mqtt.max_inflight'?)");
}

TEST(UnknownKeys, SwappedLettersAreOneEdit) {
  EXPECT_THAT(parse_error("[log]\nlevle = \"info\"\n"),
              AllOf(HasSubstr("test.toml:2:"), HasSubstr("'log.levle'"),
                    HasSubstr("did you mean 'log.level'?")));
}

TEST(UnknownKeys, KeyInTheWrongTableSuggestsTheRightTable) {
  EXPECT_EQ(parse_error("[mqtt]\nthreads = 4\n"),
            "test.toml:2: unknown key 'mqtt.threads' (did you mean 'broker.threads'?)");
}

TEST(UnknownKeys, TopLevelKeySuggestsItsTable) {
  EXPECT_EQ(parse_error("\ndata_dir = \"x\"\n"),
            "test.toml:2: unknown key 'data_dir' (did you mean 'storage.data_dir'?)");
}

TEST(UnknownKeys, UnknownTableSuggestsATable) {
  EXPECT_EQ(parse_error("[mqt]\nmax_inflight = 3\n"),
            "test.toml:1: unknown table 'mqt' (did you mean 'mqtt'?)");
}

TEST(UnknownKeys, UnknownKeyInListener) {
  EXPECT_EQ(parse_error("[[listener]]\nurl = \"tcp://h:1\"\nurll = 1\n"),
            "test.toml:3: unknown key 'listener.urll' (did you mean 'listener.url'?)");
}

TEST(UnknownKeys, NoHintWhenNothingIsClose) {
  const std::string error = parse_error("[mqtt]\n\nfrobnicate = true\n");
  EXPECT_EQ(error, "test.toml:3: unknown key 'mqtt.frobnicate'");
  EXPECT_THAT(parse_error("[weather]\nsunny = true\n"),
              AllOf(HasSubstr("test.toml:1: unknown table 'weather'"), Not(HasSubstr("did you"))));
}

TEST(UnknownKeys, NestedTableInsideKnownTable) {
  EXPECT_THAT(parse_error("[mqtt.extra]\na = 1\n"),
              AllOf(HasSubstr("test.toml:1:"), HasSubstr("unknown key 'mqtt.extra'")));
}

// --- wrong types -----------------------------------------------------------------------------

TEST(WrongType, StringForInteger) {
  EXPECT_EQ(parse_error("[mqtt]\nreceive_maximum = \"10\"\n"),
            "test.toml:2: mqtt.receive_maximum = \"10\": wrong type (a string), expected an "
            "integer from 1 to 65535");
}

TEST(WrongType, FloatForInteger) {
  EXPECT_EQ(parse_error("[broker]\nthreads = 2.5\n"),
            "test.toml:2: broker.threads = 2.5: wrong type (a floating-point number), expected an "
            "integer from 0 to 1024");
}

TEST(WrongType, IntegerForBoolean) {
  EXPECT_EQ(parse_error("[log]\njson = 1\n"),
            "test.toml:2: log.json = 1: wrong type (an integer), expected true or false");
}

TEST(WrongType, IntegerForString) {
  EXPECT_EQ(parse_error("[storage]\ndata_dir = 5\n"),
            "test.toml:2: storage.data_dir = 5: wrong type (an integer), expected a string");
}

TEST(WrongType, ValueWhereATableBelongs) {
  EXPECT_EQ(parse_error("mqtt = 5\n"), "test.toml:1: mqtt = 5: expected a table [mqtt]");
}

TEST(WrongType, ListenerAsPlainTable) {
  EXPECT_THAT(parse_error("[listener]\nurl = \"tcp://h:1\"\n"),
              AllOf(HasSubstr("test.toml:1: listener = a table"),
                    HasSubstr("expected an array of tables, one [[listener]] per listener")));
}

TEST(WrongType, EmptyListenerArray) {
  EXPECT_EQ(parse_error("listener = []\n"),
            "test.toml:1: listener = an array: expected an array of tables, one [[listener]] per "
            "listener");
}

// --- ranges and values -----------------------------------------------------------------------

struct RangeCase {
  const char* text;
  const char* message;
};

constexpr RangeCase kRangeCases[] = {
    RangeCase{"[mqtt]\nreceive_maximum = 0\n",
              "test.toml:2: mqtt.receive_maximum = 0: out of range, expected an integer from "
              "1 to 65535"},
    RangeCase{"[mqtt]\nreceive_maximum = 65536\n",
              "test.toml:2: mqtt.receive_maximum = 65536: out of range, expected an integer "
              "from 1 to 65535"},
    RangeCase{"[mqtt]\nmaximum_qos = 3\n",
              "test.toml:2: mqtt.maximum_qos = 3: out of range, expected an integer from 0 to "
              "2"},
    RangeCase{"[mqtt]\nmax_packet_size = 15\n",
              "test.toml:2: mqtt.max_packet_size = 15: out of range, expected an integer from "
              "16 to 268435455"},
    RangeCase{"[mqtt]\nmax_packet_size = 268435456\n",
              "test.toml:2: mqtt.max_packet_size = 268435456: out of range, expected an "
              "integer from 16 to 268435455"},
    RangeCase{"[mqtt]\nmax_inflight = 0\n",
              "test.toml:2: mqtt.max_inflight = 0: out of range, expected an integer from 1 "
              "to 65535"},
    RangeCase{"[mqtt]\nmax_keepalive = -1\n",
              "test.toml:2: mqtt.max_keepalive = -1: out of range, expected an integer from 0 "
              "to 65535"},
    RangeCase{"[mqtt]\ntopic_alias_maximum = 70000\n",
              "test.toml:2: mqtt.topic_alias_maximum = 70000: out of range, expected an "
              "integer from 0 to 65535"},
    RangeCase{"[mqtt]\nmax_session_expiry = 4294967296\n",
              "test.toml:2: mqtt.max_session_expiry = 4294967296: out of range, expected an "
              "integer from 0 to 4294967295"},
    RangeCase{"[mqtt]\nmax_queued_messages = 0\n",
              "test.toml:2: mqtt.max_queued_messages = 0: out of range, expected an integer "
              "from 1 to 4294967295"},
    RangeCase{"[mqtt]\nmax_queued_bytes = 0\n",
              "test.toml:2: mqtt.max_queued_bytes = 0: out of range, expected an integer from "
              "1 to 9223372036854775807"},
    RangeCase{"[mqtt]\nmax_queued_age_s = -1\n",
              "test.toml:2: mqtt.max_queued_age_s = -1: out of range, expected an integer from "
              "0 to 4294967295"},
    RangeCase{"[mqtt]\nqueue_overflow = \"drop_newest\"\n",
              "test.toml:2: mqtt.queue_overflow = \"drop_newest\": expected one of "
              "refuse_new|drop_oldest"},
    RangeCase{"[mqtt]\nmax_client_id_length = 22\n",
              "test.toml:2: mqtt.max_client_id_length = 22: out of range, expected an integer "
              "from 23 to 65535"},
    RangeCase{"[mqtt]\nconnect_timeout_ms = 0\n",
              "test.toml:2: mqtt.connect_timeout_ms = 0: out of range, expected an integer "
              "from 1 to 3600000"},
    RangeCase{"[broker]\nthreads = 1025\n",
              "test.toml:2: broker.threads = 1025: out of range, expected an integer from 0 to "
              "1024"},
    RangeCase{"[limits]\nmax_connections = 0\n",
              "test.toml:2: limits.max_connections = 0: out of range, expected an integer "
              "from 1 to 4294967295"},
    RangeCase{"[limits]\nmax_output_buffer = 1023\n",
              "test.toml:2: limits.max_output_buffer = 1023: out of range, expected an "
              "integer from 1024 to 9223372036854775807"},
    RangeCase{"[log]\nlevel = \"verbose\"\n",
              "test.toml:2: log.level = \"verbose\": expected one of "
              "trace|debug|info|warn|error|off"},
    RangeCase{"[storage]\ndata_dir = \"\"\n",
              "test.toml:2: storage.data_dir = \"\": expected a non-empty string"}};

TEST(OutOfRange, NamesLineKeyValueAndRange) {
  for (const RangeCase& c : kRangeCases) {
    EXPECT_EQ(parse_error(c.text), c.message);
  }
}

TEST(ListenerValues, TlsListenerReadsEveryKey) {
  // Keys before url too: a table's keys are read in any order.
  const BrokerConfig config = parse_config(R"([[listener]]
url = "tcp://127.0.0.1:1883"
max_connection_rate = 10

[[listener]]
ca_file = "certs/ca.pem"
url = "tls://0.0.0.0:8883"
cert_file = "certs/server.pem"
key_file = "certs/server.key"
require_client_cert = false
crl_file = "certs/ca.crl"
min_tls_version = "1.3"
ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256"
ciphersuites = "TLS_AES_128_GCM_SHA256"
groups = "X25519"
handshake_timeout_ms = 2500
max_connection_rate = 500
)",
                                           "test.toml");
  ASSERT_EQ(config.listeners.size(), 2u);
  EXPECT_EQ(config.listeners[0].scheme, "tcp");
  EXPECT_EQ(config.listeners[0].max_connection_rate, 10u);
  EXPECT_EQ(config.listeners[0].tls, ListenerTls{});
  const Listener& l = config.listeners[1];
  EXPECT_EQ(l.scheme, "tls");
  EXPECT_EQ(l.host, "0.0.0.0");
  EXPECT_EQ(l.port, 8883u);
  EXPECT_EQ(l.max_connection_rate, 500u);
  EXPECT_EQ(l.tls.cert_file, "certs/server.pem");
  EXPECT_EQ(l.tls.key_file, "certs/server.key");
  EXPECT_EQ(l.tls.ca_file, "certs/ca.pem");
  EXPECT_FALSE(l.tls.require_client_cert);
  EXPECT_EQ(l.tls.crl_file, "certs/ca.crl");
  EXPECT_EQ(l.tls.min_tls_version, "1.3");
  EXPECT_EQ(l.tls.ciphers, "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(l.tls.ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(l.tls.groups, "X25519");
  EXPECT_EQ(l.tls.handshake_timeout_ms, 2500u);
}

TEST(ListenerValues, TlsDefaults) {
  const BrokerConfig config = parse_config(
      "[[listener]]\nurl = \"tls://h:8883\"\ncert_file = \"c\"\nkey_file = \"k\"\n"
      "ca_file = \"ca\"\n",
      "t");
  const ListenerTls& tls = config.listeners.at(0).tls;
  EXPECT_TRUE(tls.require_client_cert);
  EXPECT_EQ(tls.min_tls_version, "1.2");
  EXPECT_EQ(tls.handshake_timeout_ms, 10000u);
  EXPECT_EQ(tls.crl_file, "");
  EXPECT_EQ(config.listeners[0].max_connection_rate, 0u);
  EXPECT_THAT(tls.ciphers, Not(HasSubstr("CBC")));
  EXPECT_THAT(tls.ciphers, HasSubstr("GCM"));
}

TEST(ListenerValues, TlsWithoutCertOrKeyNamesKeyAndLine) {
  EXPECT_EQ(parse_error("[mqtt]\n\n[[listener]]\nurl = \"tls://0.0.0.0:8883\"\n"),
            "test.toml:3: listener.cert_file is missing: a tls:// listener needs cert_file and "
            "key_file");
  EXPECT_EQ(parse_error("[[listener]]\nurl = \"tcp://a:1\"\n[[listener]]\n"
                        "url = \"tls://a:2\"\ncert_file = \"c.pem\"\n"),
            "test.toml:3: listener.key_file is missing: a tls:// listener needs cert_file and "
            "key_file");
}

TEST(ListenerValues, TlsClientCertsNeedCaFile) {
  EXPECT_EQ(parse_error("[[listener]]\nurl = \"tls://a:2\"\ncert_file = \"c\"\n"
                        "key_file = \"k\"\n"),
            "test.toml:1: listener.ca_file is missing: require_client_cert = true needs the CA "
            "bundle of the client certificates");
  // Server-only TLS needs none.
  EXPECT_EQ(parse_error("[[listener]]\nurl = \"tls://a:2\"\ncert_file = \"c\"\n"
                        "key_file = \"k\"\nrequire_client_cert = false\n"),
            "");
  EXPECT_EQ(parse_error("[[listener]]\nurl = \"tls://a:2\"\ncert_file = \"c\"\n"
                        "key_file = \"k\"\nrequire_client_cert = false\ncrl_file = \"x\"\n"),
            "test.toml:1: listener.crl_file needs ca_file (the CRL is checked against client "
            "certificates)");
}

TEST(ListenerValues, TlsKeysOnATcpListenerAreRefused) {
  EXPECT_EQ(parse_error("[[listener]]\nurl = \"tcp://a:1\"\ncert_file = \"c.pem\"\n"),
            "test.toml:1: listener.cert_file applies to tls:// listeners only, and this one is "
            "tcp://a:1");
  EXPECT_EQ(parse_error("[[listener]]\nurl = \"tcp://a:1\"\nhandshake_timeout_ms = 5\n"),
            "test.toml:1: listener.handshake_timeout_ms applies to tls:// listeners only, and "
            "this one is tcp://a:1");
}

TEST(ListenerValues, TlsValuesAreChecked) {
  const std::string base =
      "[[listener]]\nurl = \"tls://a:1\"\ncert_file = \"c\"\n"
      "key_file = \"k\"\nca_file = \"ca\"\n";
  EXPECT_THAT(parse_error(base + "min_tls_version = \"1.1\"\n"),
              AllOf(HasSubstr("test.toml:6: listener.min_tls_version = \"1.1\""), HasSubstr("1.2"),
                    HasSubstr("1.3")));
  EXPECT_THAT(parse_error(base + "require_client_cert = \"yes\"\n"),
              HasSubstr("test.toml:6: listener.require_client_cert = \"yes\": wrong type"));
  EXPECT_THAT(parse_error(base + "handshake_timeout_ms = 0\n"),
              HasSubstr("test.toml:6: listener.handshake_timeout_ms = 0"));
  EXPECT_THAT(parse_error(base + "ciphers = \"\"\n"),
              HasSubstr("test.toml:6: listener.ciphers = \"\": expected a non-empty string"));
  EXPECT_THAT(parse_error(base + "groups = \"\"\n"), HasSubstr("test.toml:6: listener.groups"));
  EXPECT_THAT(parse_error(base + "max_connection_rate = -1\n"),
              HasSubstr("test.toml:6: listener.max_connection_rate = -1"));
}

TEST(ListenerValues, TlsKeyTypoGetsAHint) {
  EXPECT_THAT(parse_error("[[listener]]\nurl = \"tls://a:1\"\ncert_fle = \"c\"\n"),
              AllOf(HasSubstr("test.toml:3: unknown key 'listener.cert_fle'"),
                    HasSubstr("did you mean 'listener.cert_file'?")));
}

TEST(ListenerValues, BadPortNamesTheLineOfTheSecondListener) {
  EXPECT_EQ(
      parse_error("[[listener]]\nurl = \"tcp://a:1\"\n\n[[listener]]\nurl = \"tcp://b:70000\"\n"),
      "test.toml:5: listener.url: invalid listen URL 'tcp://b:70000': port 70000 is out of "
      "range 0..65535, expected tcp://HOST:PORT");
}

TEST(ListenerValues, MissingUrl) {
  EXPECT_EQ(parse_error("[[listener]]\n"),
            "test.toml:1: listener.url is missing: each [[listener]] needs url = "
            "\"tcp://HOST:PORT\"");
}

TEST(ListenerValues, UrlMustBeAString) {
  EXPECT_EQ(parse_error("[[listener]]\nurl = 1883\n"),
            "test.toml:2: listener.url = 1883: wrong type (an integer), expected a string");
}

TEST(ListenerValues, FileListenersReplaceTheDefault) {
  const BrokerConfig config = parse_config("[[listener]]\nurl = \"tcp://10.0.0.1:1884\"\n", "t");
  ASSERT_EQ(config.listeners.size(), 1u);
  EXPECT_EQ(config.listeners[0], (Listener{"tcp", "10.0.0.1", 1884}));
}

// --- syntax and files ------------------------------------------------------------------------

TEST(Syntax, ErrorNamesLineColumnAndDescription) {
  const std::string error = parse_error("[mqtt]\nmax_inflight = = 3\n");
  EXPECT_THAT(error, HasSubstr("test.toml:2:"));
  EXPECT_THAT(error, HasSubstr("TOML syntax error: "));
  EXPECT_THAT(error, ::testing::MatchesRegex("test\\.toml:2:[0-9]+: TOML syntax error: .+"));
}

TEST(Syntax, DuplicateKeyIsASyntaxError) {
  EXPECT_THAT(parse_error("[log]\njson = true\njson = false\n"),
              ::testing::StartsWith("test.toml:3:"));
}

TEST(LoadFile, ReadsAFile) {
  const test::TempFile file("gridmq.toml", "[broker]\nthreads = 3\n");
  EXPECT_EQ(load_config_file(file.path()).threads, 3u);
}

TEST(LoadFile, ErrorsNameTheFile) {
  const test::TempFile file("bad.toml", "[broker]\nthread = 3\n");
  try {
    load_config_file(file.path());
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), file.path() +
                                         ":2: unknown key 'broker.thread' (did you mean "
                                         "'broker.threads'?)");
  }
}

TEST(LoadFile, MissingFile) {
  try {
    load_config_file("/nonexistent/gridmq.toml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "cannot read config file '/nonexistent/gridmq.toml': No such file or directory");
  }
}

TEST(LoadFile, DirectoryIsUnreadable) {
  try {
    load_config_file("/");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "cannot read config file '/': Is a directory");
  }
}

}  // namespace
}  // namespace gridmq::config
