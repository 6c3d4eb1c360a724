// CONNECT and CONNACK: round trips, hand-written spec bytes and every CONNECT error path.

#include <gtest/gtest.h>

#include "test_util.hpp"

namespace gridmq::protocol::test {
namespace {

Connect full_connect(Version v) {
  Connect c;
  c.version = v;
  c.client_id = "meter-0042";
  c.clean_start = false;
  c.keep_alive = 60;
  Will w;
  w.topic = "meters/0042/status";
  w.payload = std::string("off\0line", 8);
  w.qos = 2;
  w.retain = true;
  c.username = "alice";
  c.password = std::string("\x00\xFFpw", 4);
  if (v == Version::kV5) {
    w.props.payload_format_indicator = 1;
    w.props.message_expiry_interval = 3600;
    w.props.content_type = "text/plain";
    w.props.response_topic = "replies/0042";
    w.props.correlation_data = std::string("\x01\x00\x02", 3);
    w.props.will_delay_interval = 30;
    w.props.user_properties = two_user_props();
    c.props.session_expiry_interval = 86400;
    c.props.authentication_method = "SCRAM-SHA-1";
    c.props.authentication_data = std::string("\x00\x01", 2);
    c.props.request_problem_information = 0;
    c.props.request_response_information = 1;
    c.props.receive_maximum = 100;
    c.props.topic_alias_maximum = 10;
    c.props.user_properties = two_user_props();
    c.props.maximum_packet_size = 1 << 20;
  }
  c.will = w;
  return c;
}

Connect connect_round_trip(const Connect& c) {
  std::string wire;
  encode(Packet{c}, c.version, wire);
  EXPECT_EQ(wire.size(), encoded_size(Packet{c}, c.version));
  auto r = decode_connect(view(wire));
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().what);
  // decode_packet decodes CONNECT as well.
  auto p = decode_packet(view(wire), c.version);
  EXPECT_TRUE(p.ok() && std::holds_alternative<Connect>(p.value()));
  return r.ok() ? r.value() : Connect{};
}

void expect_connect_error(const ByteVec& bytes, ReasonCode code) {
  auto r = decode_connect(view(bytes));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, code) << r.error().what;
}

TEST(Connect, RoundTripV311) {
  const Connect c = full_connect(Version::kV311);
  EXPECT_EQ(connect_round_trip(c), c);
}

TEST(Connect, RoundTripV5AllProperties) {
  const Connect c = full_connect(Version::kV5);
  EXPECT_EQ(connect_round_trip(c), c);
}

TEST(Connect, RoundTripMinimal) {
  for (Version v : {Version::kV311, Version::kV5}) {
    Connect c;
    c.version = v;
    EXPECT_EQ(connect_round_trip(c), c);
  }
}

TEST(Connect, V311DropsPropertiesAndPasswordWithoutUsername) {
  Connect c = full_connect(Version::kV5);
  c.version = Version::kV311;
  c.username.reset();
  Connect got = connect_round_trip(c);
  EXPECT_EQ(got.props, Properties{});
  EXPECT_EQ(got.will->props, Properties{});
  EXPECT_FALSE(got.password.has_value());
}

TEST(Connect, V5PasswordWithoutUsernameAllowed) {
  Connect c;
  c.version = Version::kV5;
  c.password = "secret";
  EXPECT_EQ(connect_round_trip(c), c);
}

TEST(Connect, SpecBytesV311) {
  const ByteVec bytes = {0x10, 0x1E, 0x00, 0x04, 'M',  'Q',  'T', 'T', 0x04, 0xC2, 0x00,
                         0x3C, 0x00, 0x06, 'c',  'l',  'i',  'e', 'n', 't',  0x00, 0x04,
                         'u',  's',  'e',  'r',  0x00, 0x04, 'p', 'a', 's',  's'};
  auto r = decode_connect(view(bytes));
  ASSERT_TRUE(r.ok()) << r.error().what;
  EXPECT_EQ(r->version, Version::kV311);
  EXPECT_EQ(r->client_id, "client");
  EXPECT_TRUE(r->clean_start);
  EXPECT_EQ(r->keep_alive, 60);
  EXPECT_EQ(r->username, "user");
  EXPECT_EQ(r->password, "pass");
  EXPECT_FALSE(r->will.has_value());
  // Our encoder produces exactly these bytes.
  std::string wire;
  encode(Packet{r.value()}, Version::kV311, wire);
  EXPECT_EQ(to_vec(wire), bytes);
}

TEST(Connect, SpecBytesV5WithWill) {
  // Clean start, will QoS 1, session expiry 60, empty client id, will topic "t", payload "hi".
  const ByteVec bytes = pkt(0x10, {0x00, 0x04, 'M',  'Q',  'T',  'T',  0x05, 0x0E, 0x00, 0x0A,
                                   0x05, 0x11, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x00,  // props, id
                                   0x05, 0x18, 0x00, 0x00, 0x00, 0x05,              // will delay 5
                                   0x00, 0x01, 't',  0x00, 0x02, 'h',  'i'});
  auto r = decode_connect(view(bytes));
  ASSERT_TRUE(r.ok()) << r.error().what;
  EXPECT_EQ(r->version, Version::kV5);
  EXPECT_EQ(r->keep_alive, 10);
  EXPECT_EQ(r->props.session_expiry_interval, 60u);
  EXPECT_EQ(r->client_id, "");
  ASSERT_TRUE(r->will.has_value());
  EXPECT_EQ(r->will->qos, 1);
  EXPECT_FALSE(r->will->retain);
  EXPECT_EQ(r->will->topic, "t");
  EXPECT_EQ(r->will->payload, "hi");
  EXPECT_EQ(r->will->props.will_delay_interval, 5u);
}

TEST(Connect, ErrorPaths) {
  // MQTT 3.1 ("MQIsdp", level 3).
  expect_connect_error(pkt(0x10, {0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', 0x03, 0x02, 0x00, 0x3C,
                                  0x00, 0x01, 'a'}),
                       ReasonCode::kUnsupportedProtocolVersion);
  // Unknown protocol name.
  expect_connect_error(
      pkt(0x10, {0x00, 0x04, 'M', 'Q', 'T', 'X', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01, 'a'}),
      ReasonCode::kUnsupportedProtocolVersion);
  // Level 6.
  expect_connect_error(
      pkt(0x10, {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x06, 0x02, 0x00, 0x3C, 0x00, 0x01, 'a'}),
      ReasonCode::kUnsupportedProtocolVersion);
  // Reserved connect flag.
  expect_connect_error(
      pkt(0x10, {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x03, 0x00, 0x3C, 0x00, 0x01, 'a'}),
      ReasonCode::kMalformedPacket);
  // Will QoS without will flag.
  expect_connect_error(
      pkt(0x10, {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x0A, 0x00, 0x3C, 0x00, 0x01, 'a'}),
      ReasonCode::kMalformedPacket);
  // Will retain without will flag.
  expect_connect_error(
      pkt(0x10, {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x22, 0x00, 0x3C, 0x00, 0x01, 'a'}),
      ReasonCode::kMalformedPacket);
  // Will QoS 3.
  expect_connect_error(pkt(0x10, {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x1E, 0x00, 0x3C, 0x00,
                                  0x01, 'a', 0x00, 0x01, 't', 0x00, 0x00}),
                       ReasonCode::kMalformedPacket);
  // 3.1.1 password without user name.
  expect_connect_error(pkt(0x10, {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x42, 0x00, 0x3C, 0x00,
                                  0x01, 'a', 0x00, 0x01, 'p'}),
                       ReasonCode::kMalformedPacket);
  // Fixed header flags must be 0.
  expect_connect_error(
      pkt(0x11, {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01, 'a'}),
      ReasonCode::kMalformedPacket);
  // Trailing byte after the client id.
  expect_connect_error(
      pkt(0x10, {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01, 'a', 0x00}),
      ReasonCode::kMalformedPacket);
  // Missing user name although the flag is set.
  expect_connect_error(
      pkt(0x10, {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x82, 0x00, 0x3C, 0x00, 0x01, 'a'}),
      ReasonCode::kMalformedPacket);
  // Truncated in the protocol name.
  expect_connect_error(pkt(0x10, {0x00, 0x04, 'M', 'Q'}), ReasonCode::kMalformedPacket);
  // Client id with invalid UTF-8.
  expect_connect_error(
      pkt(0x10, {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3C, 0x00, 0x01, 0xFF}),
      ReasonCode::kMalformedPacket);
  // Will topic with a wildcard.
  expect_connect_error(pkt(0x10, {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0x06, 0x00, 0x3C, 0x00,
                                  0x01, 'a', 0x00, 0x01, '#', 0x00, 0x00}),
                       ReasonCode::kTopicNameInvalid);
  // v5: authentication data without method.
  expect_connect_error(pkt(0x10, {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C, 0x04,
                                  0x16, 0x00, 0x01, 'x', 0x00, 0x01, 'a'}),
                       ReasonCode::kProtocolError);
  // v5: a CONNACK-only property in CONNECT.
  expect_connect_error(pkt(0x10, {0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3C, 0x02,
                                  0x24, 0x01, 0x00, 0x01, 'a'}),
                       ReasonCode::kProtocolError);
  // v5: will property not allowed in will properties (topic alias).
  expect_connect_error(
      pkt(0x10, {0x00, 0x04, 'M',  'Q',  'T',  'T',  0x05, 0x06, 0x00, 0x3C, 0x00, 0x00,
                 0x01, 'a',  0x03, 0x23, 0x00, 0x01, 0x00, 0x01, 't',  0x00, 0x00}),
      ReasonCode::kProtocolError);
  // Not a CONNECT at all.
  expect_connect_error(pkt(0xC0, {}), ReasonCode::kProtocolError);
}

TEST(Connack, RoundTrip) {
  Connack c;
  c.session_present = true;
  EXPECT_EQ(round_trip(c, Version::kV311), c);
  c.props.session_expiry_interval = 10;
  c.props.assigned_client_identifier = "auto-1";
  c.props.server_keep_alive = 30;
  c.props.authentication_method = "m";
  c.props.authentication_data = "d";
  c.props.response_information = "resp/";
  c.props.server_reference = "other:1883";
  c.props.reason_string = "ok";
  c.props.receive_maximum = 20;
  c.props.topic_alias_maximum = 5;
  c.props.maximum_qos = 1;
  c.props.retain_available = 0;
  c.props.user_properties = two_user_props();
  c.props.maximum_packet_size = 65536;
  c.props.wildcard_subscription_available = 1;
  c.props.subscription_identifiers_available = 0;
  c.props.shared_subscription_available = 1;
  EXPECT_EQ(round_trip(c, Version::kV5), c);
}

TEST(Connack, V311ReturnCodes) {
  Connack c;
  c.reason = ReasonCode::kServerBusy;
  c.session_present = true;  // must be dropped with a failure code
  std::string wire;
  encode(Packet{c}, Version::kV311, wire);
  EXPECT_EQ(to_vec(wire), (ByteVec{0x20, 0x02, 0x00, 0x03}));
  auto r = decode_packet(view(wire), Version::kV311);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::get<Connack>(r.value()).reason, ReasonCode::kServerUnavailable);

  EXPECT_EQ(to_connack_311(ReasonCode::kSuccess), ConnackCode311::kAccepted);
  EXPECT_EQ(to_connack_311(ReasonCode::kUnsupportedProtocolVersion),
            ConnackCode311::kUnacceptableProtocolVersion);
  EXPECT_EQ(to_connack_311(ReasonCode::kClientIdentifierNotValid),
            ConnackCode311::kIdentifierRejected);
  EXPECT_EQ(to_connack_311(ReasonCode::kBadUserNameOrPassword),
            ConnackCode311::kBadUserNameOrPassword);
  EXPECT_EQ(to_connack_311(ReasonCode::kNotAuthorized), ConnackCode311::kNotAuthorized);
  EXPECT_EQ(to_connack_311(ReasonCode::kBanned), ConnackCode311::kNotAuthorized);
  EXPECT_EQ(to_connack_311(ReasonCode::kServerUnavailable), ConnackCode311::kServerUnavailable);
}

TEST(Connack, SpecBytes) {
  auto r = decode_packet(view(ByteVec{0x20, 0x02, 0x01, 0x00}), Version::kV311);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(std::get<Connack>(r.value()).session_present);
  // v5: reason Not authorized, reason string "no".
  auto r5 =
      decode_packet(view(pkt(0x20, {0x00, 0x87, 0x05, 0x1F, 0x00, 0x02, 'n', 'o'})), Version::kV5);
  ASSERT_TRUE(r5.ok()) << r5.error().what;
  EXPECT_EQ(std::get<Connack>(r5.value()).reason, ReasonCode::kNotAuthorized);
  EXPECT_EQ(std::get<Connack>(r5.value()).props.reason_string, "no");
}

TEST(Connack, ErrorPaths) {
  expect_error(pkt(0x20, {0x02, 0x00}), Version::kV311, ReasonCode::kMalformedPacket);  // flags
  expect_error(pkt(0x20, {0x00, 0x06}), Version::kV311, ReasonCode::kMalformedPacket);  // code 6
  expect_error(pkt(0x20, {0x01, 0x05}), Version::kV311, ReasonCode::kProtocolError);
  expect_error(pkt(0x20, {0x00, 0x00}), Version::kV5, ReasonCode::kMalformedPacket);  // no props
  expect_error(pkt(0x20, {0x00, 0x10, 0x00}), Version::kV5, ReasonCode::kMalformedPacket);
  expect_error(pkt(0x20, {0x00, 0x00, 0x00, 0x00}), Version::kV5, ReasonCode::kMalformedPacket);
}

}  // namespace
}  // namespace gridmq::protocol::test
