// The byte layout of storage/rocksdb/layout.hpp: checksum, key order, strict decoding.

#include <gtest/gtest.h>

#include "storage/rocksdb/crc32c.hpp"
#include "storage/rocksdb/layout.hpp"
#include "storage_test_support.hpp"

namespace gridmq::storage::test {
namespace {

using namespace gridmq::storage::rocks;

TEST(Crc32c, StandardCheckValues) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720 B.4
  EXPECT_EQ(crc32c_extend(crc32c("1234"), "56789"), 0xE3069283u);
}

// The bit-at-a-time definition, to check the fast paths against.
std::uint32_t reference_crc32c(std::string_view data) {
  std::uint32_t c = ~0u;
  for (unsigned char byte : data) {
    c ^= byte;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
  }
  return ~c;
}

using CrcFn = std::uint32_t (*)(std::uint32_t, std::string_view);

void expect_known_vectors(CrcFn fn) {
  std::string inc(32, '\0'), dec(32, '\0');
  for (int i = 0; i < 32; ++i) {
    inc[i] = static_cast<char>(i);
    dec[i] = static_cast<char>(31 - i);
  }
  EXPECT_EQ(fn(0, "123456789"), 0xE3069283u);
  EXPECT_EQ(fn(0, ""), 0u);
  EXPECT_EQ(fn(0, std::string(32, '\0')), 0x8A9136AAu);    // RFC 3720 B.4
  EXPECT_EQ(fn(0, std::string(32, '\xFF')), 0x62A8AB43u);  // RFC 3720 B.4
  EXPECT_EQ(fn(0, inc), 0x46DD794Eu);                      // RFC 3720 B.4
  EXPECT_EQ(fn(0, dec), 0x113FDB5Cu);                      // RFC 3720 B.4
  EXPECT_EQ(fn(fn(0, "1234"), "56789"), 0xE3069283u);
  // Every length and alignment of the 8-byte loop and its tail, split anywhere.
  std::string data(300, '\0');
  std::uint32_t x = 12345;
  for (auto& ch : data) {
    x = x * 1103515245u + 12345u;
    ch = static_cast<char>(x >> 16);
  }
  std::string_view all(data);
  for (std::size_t off = 0; off < 8; ++off) {
    for (std::size_t len = 0; off + len <= all.size(); len += (len < 40 ? 1 : 37)) {
      auto piece = all.substr(off, len);
      ASSERT_EQ(fn(0, piece), reference_crc32c(piece)) << "offset " << off << " length " << len;
      auto cut = len / 3;
      ASSERT_EQ(fn(fn(0, piece.substr(0, cut)), piece.substr(cut)), reference_crc32c(piece));
    }
  }
}

TEST(Crc32c, PortableSlicingBy8MatchesKnownVectors) {
  expect_known_vectors(&crc32c_extend_portable);
}

TEST(Crc32c, HardwareMatchesKnownVectors) {
  if (!crc32c_hardware_available()) GTEST_SKIP() << "this CPU has no SSE4.2 CRC32 instruction";
  expect_known_vectors(&crc32c_extend_hardware);
}

TEST(Crc32c, DispatchMatchesKnownVectors) {
  expect_known_vectors(&crc32c_extend);
}

TEST(Layout, QueueKeysSortByClientThenNumericSeq) {
  EXPECT_EQ(queue_key("ab", 258), std::string("ab\0\0\0\0\0\0\0\x01\x02", 11));
  EXPECT_LT(queue_key("a", 255), queue_key("a", 256));
  EXPECT_LT(queue_key("a", 1), queue_key("a", std::uint64_t{1} << 40));
  EXPECT_LT(queue_key("a", ~std::uint64_t{0}), queue_key("ab", 0));
  // "a"'s range holds its keys only.
  EXPECT_GE(queue_key("a", 0), queue_range_begin("a"));
  EXPECT_LT(queue_key("a", ~std::uint64_t{0}), queue_range_end("a"));
  EXPECT_GE(queue_key("ab", 0), queue_range_end("a"));
  EXPECT_GE(queue_key(std::string("a\x01", 2), 0), queue_range_end("a"));
  std::string_view client;
  std::uint64_t seq = 0;
  ASSERT_TRUE(parse_queue_key(queue_key("meter", 77), client, seq));
  EXPECT_EQ(client, "meter");
  EXPECT_EQ(seq, 77u);
  EXPECT_FALSE(parse_queue_key("short", client, seq));
}

TEST(Layout, MessageAndPluginKeys) {
  EXPECT_EQ(message_key(0x0102), std::string("\0\0\0\0\0\0\x01\x02", 8));
  MessageId id = 0;
  ASSERT_TRUE(parse_message_key(message_key(123456789), id));
  EXPECT_EQ(id, 123456789u);
  EXPECT_EQ(plugin_key("p", "k"), std::string("p\0k", 3));
  std::string_view plugin, key;
  ASSERT_TRUE(parse_plugin_key(std::string("p\0k\0x", 5), plugin, key));
  EXPECT_EQ(plugin, "p");
  EXPECT_EQ(key, std::string_view("k\0x", 3));
  EXPECT_EQ(to_hex(std::string("\x00\xab", 2)), "00ab");
}

TEST(Layout, QueueEntryBytesAreAsDocumented) {
  QueueEntry e;
  e.seq = 1;
  e.message = 2;
  e.qos = 1;
  e.retain = true;
  e.released = true;
  e.packet_id = 0x0304;
  e.subscription_ids = {5};
  e.queued_at = 0x0607;
  std::string v;
  encode_queue_entry(e, v);
  std::string expected(
      "\x02"                // version
      "\x01\0\0\0\0\0\0\0"  // seq
      "\x02\0\0\0\0\0\0\0"  // message
      "\x01"                // qos
      "\x03"                // flags: retain | released
      "\x04\x03"            // packet id
      "\x01\0\0\0"
      "\x05\0\0\0"             // subscription ids
      "\x07\x06\0\0\0\0\0\0",  // queued_at
      37);
  ASSERT_EQ(v.size(), expected.size() + 4);
  EXPECT_EQ(v.substr(0, expected.size()), expected);
  std::uint32_t crc = crc32c(expected);
  EXPECT_EQ(
      v.substr(expected.size()),
      std::string({static_cast<char>(crc & 0xFF), static_cast<char>((crc >> 8) & 0xFF),
                   static_cast<char>((crc >> 16) & 0xFF), static_cast<char>((crc >> 24) & 0xFF)}));
}

TEST(Layout, EveryRecordRoundTrips) {
  std::string v, why;
  encode_session(sample_session("c"), v);
  StoredSession s;
  ASSERT_TRUE(decode_session(v, s, why)) << why;
  EXPECT_EQ(s, sample_session("c"));
  encode_message(sample_message(3), v);
  StoredMessage m;
  ASSERT_TRUE(decode_message(v, m, why)) << why;
  EXPECT_EQ(m, sample_message(3));
  encode_queue_entry(sample_entry(9, 3), v);
  QueueEntry e;
  ASSERT_TRUE(decode_queue_entry(v, e, why)) << why;
  EXPECT_EQ(e, sample_entry(9, 3));
  encode_plugin_value(std::string("\0x", 2), v);
  std::string p;
  ASSERT_TRUE(decode_plugin_value(v, p, why)) << why;
  EXPECT_EQ(p, std::string("\0x", 2));
  encode_format(kFormatVersion, v);
  std::uint32_t f = 0;
  ASSERT_TRUE(decode_format(v, f, why)) << why;
  EXPECT_EQ(f, kFormatVersion);
}

TEST(Layout, EverySingleByteFlipAndTruncationIsCaught) {
  std::string v;
  encode_session(sample_session("meter-17"), v);
  for (std::size_t i = 0; i < v.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = v;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      StoredSession s;
      std::string why;
      EXPECT_FALSE(decode_session(bad, s, why)) << "byte " << i << " bit " << bit;
    }
  }
  for (std::size_t n = 0; n < v.size(); ++n) {
    StoredSession s;
    std::string why;
    EXPECT_FALSE(decode_session(v.substr(0, n), s, why)) << n;
  }
}

/// Re-seals `payload` so only the payload check can fail.
std::string sealed(std::string body) {
  std::uint32_t crc = crc32c(body);
  for (int i = 0; i < 4; ++i) body.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  return body;
}

TEST(Layout, PayloadChecksBehindAValidChecksum) {
  std::string why;
  QueueEntry e;
  std::string v;
  encode_queue_entry(sample_entry(1, 2), v);
  std::string body = v.substr(0, v.size() - 4);

  EXPECT_FALSE(decode_queue_entry(sealed(body + "x"), e, why));
  EXPECT_EQ(why, "1 trailing bytes");

  std::string bad_qos = body;
  bad_qos[17] = 3;
  EXPECT_FALSE(decode_queue_entry(sealed(bad_qos), e, why));
  EXPECT_EQ(why, "qos out of range: 3");

  std::string bad_flags = body;
  bad_flags[18] = static_cast<char>(0x80);
  EXPECT_FALSE(decode_queue_entry(sealed(bad_flags), e, why));
  EXPECT_EQ(why, "reserved bits set in flags");

  std::string huge_count = body;
  huge_count[21] = huge_count[22] = huge_count[23] = huge_count[24] = '\xff';
  EXPECT_FALSE(decode_queue_entry(sealed(huge_count), e, why));
  EXPECT_EQ(why, "truncated subscription_ids");

  std::string version = body;
  version[0] = 3;
  EXPECT_FALSE(decode_queue_entry(sealed(version), e, why));
  EXPECT_EQ(why, "unsupported record version 3");

  // Version 1 (no queued_at) is still read; queued_at is then unknown (0).
  std::string v1 = body.substr(0, body.size() - 8);
  v1[0] = 1;
  ASSERT_TRUE(decode_queue_entry(sealed(v1), e, why)) << why;
  auto want = sample_entry(1, 2);
  want.queued_at = 0;
  EXPECT_EQ(e, want);
  std::string v2_short = v1;
  v2_short[0] = 2;
  EXPECT_FALSE(decode_queue_entry(sealed(v2_short), e, why));
  EXPECT_EQ(why, "truncated queued_at");

  EXPECT_FALSE(decode_queue_entry("abc", e, why));
  EXPECT_EQ(why, "value too short (3 bytes)");
}

}  // namespace
}  // namespace gridmq::storage::test
