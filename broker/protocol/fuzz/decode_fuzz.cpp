// libFuzzer harness for the codec. For every input: parse the fixed header, decode as CONNECT and
// as any packet for both protocol versions, and for every packet that decodes check the round-trip
// property: encode(decode(x)) has exactly encoded_size() bytes and decodes back to an equal packet.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "protocol/codec.hpp"
#include "protocol/packet.hpp"
#include "protocol/reason_code.hpp"
#include "protocol/topic.hpp"

namespace gp = gridmq::protocol;

namespace {

void fail(const char* what) {
  std::fprintf(stderr, "fuzz_decoder invariant broken: %s\n", what);
  std::abort();
}

gp::Bytes as_bytes(const std::string& s) {
  return gp::Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

void check_packet_round_trip(const gp::Packet& p, gp::Version v) {
  if (const auto* c = std::get_if<gp::Connect>(&p)) {
    v = c->version;  // CONNECT carries its own version; encode() writes the level it is given
  }
  std::string wire;
  gp::encode(p, v, wire);
  if (wire.size() != gp::encoded_size(p, v)) {
    fail("encoded_size differs from encode()");
  }
  auto again = gp::decode_packet(as_bytes(wire), v);
  if (!again.ok()) {
    std::fprintf(stderr, "re-decode error: %s\n", again.error().what.c_str());
    fail("re-encoded packet does not decode");
  }
  if (!(again.value() == p)) {
    fail("decode(encode(p)) != p");
  }
  if (const auto* pub = std::get_if<gp::Publish>(&p)) {
    std::string fast;
    gp::encode_publish(v, pub->topic, pub->payload, pub->qos, pub->retain, pub->dup, pub->packet_id,
                       &pub->props, fast);
    if (fast != wire) {
      fail("encode_publish differs from encode()");
    }
  }
}

void check_input(gp::Bytes in) {
  auto connect = gp::decode_connect(in);
  if (connect.ok()) {
    const gp::Connect& c = connect.value();
    check_packet_round_trip(gp::Packet{c}, c.version);
  }
  for (gp::Version v : {gp::Version::kV311, gp::Version::kV5}) {
    auto p = gp::decode_packet(in, v);
    if (p.ok()) {
      check_packet_round_trip(p.value(), v);
    } else {
      (void)gp::reason_name(p.error().code);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const gp::Bytes in(data, size);
  auto header = gp::parse_fixed_header(in);
  if (header.ok() && header.value()) {
    const gp::FixedHeader& fh = *header.value();
    if (fh.header_length < 2 || fh.header_length > 5 || fh.header_length > size) {
      fail("bad fixed header length");
    }
    // Decode exactly the framed packet when the input holds it, as a connection would.
    if (fh.total_length() <= size && fh.total_length() != size) {
      check_input(in.first(fh.total_length()));
    }
  }
  check_input(in);

  // Topic helpers on the raw input.
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (gp::valid_topic_filter(text)) {
    if (auto shared = gp::parse_shared_filter(text)) {
      (void)gp::has_wildcard(shared->filter);
    } else if (gp::valid_topic_name(text) && !gp::topic_matches(text, text)) {
      fail("a topic name must match itself as a filter");
    }
  }
  return 0;
}
