#pragma once
// Helpers for the codec tests. Packets under test are written by hand as bytes; the encoder is only
// used for round trips, never to build the input of a decoder error test.

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <variant>
#include <vector>

#include "protocol/codec.hpp"
#include "protocol/packet.hpp"

namespace gridmq::protocol::test {

using ByteVec = std::vector<std::uint8_t>;

/// A packet from its first byte and body bytes; the remaining length (< 128) is added here.
inline ByteVec pkt(std::uint8_t first, std::initializer_list<std::uint8_t> body) {
  ByteVec out;
  out.reserve(body.size() + 2);
  out.push_back(first);
  out.push_back(static_cast<std::uint8_t>(body.size()));
  for (std::uint8_t b : body) {
    out.push_back(b);
  }
  return out;
}

inline Bytes view(const std::string& s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}
inline Bytes view(const ByteVec& v) {
  return Bytes(v.data(), v.size());
}

inline ByteVec to_vec(const std::string& s) {
  return ByteVec(s.begin(), s.end());
}

/// Expects decode_packet to fail with `code`.
inline void expect_error(const ByteVec& bytes, Version v, ReasonCode code) {
  auto r = decode_packet(view(bytes), v);
  ASSERT_FALSE(r.ok()) << "decoded a packet that should fail";
  EXPECT_EQ(r.error().code, code) << r.error().what;
}

/// Encodes `p`, checks encoded_size, decodes it again and returns the decoded packet.
template <class P>
P round_trip(const P& p, Version v) {
  std::string wire;
  encode(Packet{p}, v, wire);
  EXPECT_EQ(wire.size(), encoded_size(Packet{p}, v));
  auto r = decode_packet(view(wire), v);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().what);
  if (!r.ok()) {
    return P{};
  }
  EXPECT_TRUE(std::holds_alternative<P>(r.value()));
  if (!std::holds_alternative<P>(r.value())) {
    return P{};
  }
  return std::get<P>(std::move(r).value());
}

/// Two user properties, the same key twice (order and repeats must survive).
inline UserProperties two_user_props() {
  return {{"k", "v1"}, {"k", "v2 \xC3\xA9"}};
}

}  // namespace gridmq::protocol::test
