#include "payload.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace gridmq::bench {
namespace {

TEST(Payload, MeterIdAndTopic) {
  EXPECT_EQ(meter_id(42), "BNCH0000000042");
  EXPECT_EQ(meter_id(42).size(), 14u);
  EXPECT_EQ(reading_topic("t1", meter_id(7)), "mtr/v1/t1/BNCH0000000007/up/reading");
}

TEST(Payload, ExactSizeForEveryRequestedSize) {
  for (std::size_t size = ReadingPayload::min_size(); size < 600; ++size) {
    ReadingPayload p(meter_id(1), size);
    ASSERT_EQ(p.bytes().size(), size);
    ASSERT_EQ(p.stamp(123456789, UINT64_MAX).size(), size);
  }
}

TEST(Payload, DefaultIsAValidReadingWithRegisters) {
  ReadingPayload p(meter_id(3), 277);
  const auto j = nlohmann::json::parse(p.stamp(48213, 1700000000123456789ULL));
  EXPECT_EQ(j["v"], 1);
  EXPECT_EQ(j["meter"], "BNCH0000000003");
  EXPECT_EQ(j["seq"], 48213);
  EXPECT_EQ(j["sent_ns"].get<std::uint64_t>(), 1700000000123456789ULL);
  EXPECT_EQ(j["ts"], "2025-03-30T00:45:00Z");
  ASSERT_TRUE(j.contains("regs"));
  EXPECT_GE(j["regs"].size(), 2u);
  EXPECT_EQ(j["regs"][0]["obis"], "1-0:1.8.0");
  EXPECT_EQ(j["q"], "ok");
}

TEST(Payload, TimestampParsesBack) {
  ReadingPayload p(meter_id(99), 277);
  for (std::uint64_t t : {0ULL, 1ULL, 987654321ULL, 18446744073709551615ULL}) {
    const auto r = parse_reading(p.stamp(t % 1000 + 1, t));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->sent_ns, t);
    EXPECT_EQ(r->seq, t % 1000 + 1);
    EXPECT_EQ(r->meter_index, 99u);
  }
}

TEST(Payload, RestampingOverwritesCompletely) {
  ReadingPayload p(meter_id(5), 200);
  (void)p.stamp(9999999999ULL, 99999999999999ULL);
  const auto r = parse_reading(p.stamp(1, 2));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->seq, 1u);
  EXPECT_EQ(r->sent_ns, 2u);
}

TEST(Payload, LargeSizesStayValidJson) {
  ReadingPayload p(meter_id(5), 4096);
  EXPECT_EQ(p.bytes().size(), 4096u);
  EXPECT_TRUE(nlohmann::json::accept(p.stamp(1, 2)));
}

TEST(Payload, RejectsSizesOutOfRange) {
  EXPECT_THROW(ReadingPayload(meter_id(1), ReadingPayload::min_size() - 1), std::invalid_argument);
  EXPECT_THROW(ReadingPayload(meter_id(1), ReadingPayload::kMaxSize + 1), std::invalid_argument);
}

TEST(Payload, ForeignPayloadsAreNotParsed) {
  EXPECT_FALSE(parse_reading("hello").has_value());
  EXPECT_FALSE(parse_reading(R"({"meter":"XYZ0000000001","seq":1,"sent_ns":2})").has_value());
}

}  // namespace
}  // namespace gridmq::bench
