// OBIS codes and their unit classes, RFC 3339 timestamps, the seq window, topic patterns, and the
// short-text equality the checks compare names and codes with.

#include <gtest/gtest.h>

#include "plugins/meter_validation/meter_state.hpp"
#include "plugins/meter_validation/obis.hpp"
#include "plugins/meter_validation/same_text.hpp"
#include "plugins/meter_validation/timestamp.hpp"
#include "plugins/meter_validation/topic_pattern.hpp"

namespace gridmq::plugins::meter_validation {
namespace {

Quantity q(std::string_view obis) {
  return quantity_of(parse_obis(obis).value());
}

TEST(Obis, ParsesAndClassifies) {
  EXPECT_FALSE(parse_obis("1-0:1.8"));
  EXPECT_FALSE(parse_obis("1-0:1.8.0*"));
  EXPECT_FALSE(parse_obis("1-0:1.8.256"));
  EXPECT_FALSE(parse_obis("77070100010800ff"));  // SML hex: normalised before publishing
  EXPECT_EQ(parse_obis("1-0:1.8.0*255")->f, 255);
  for (const char* bad :
       {"", "1-0:1.8.0x", "1--0:1.8.0", "1-0:1.8.0.1", "0001-0:1.8.0", "-0:1.8.0",
        "1-0:1.8.0*255*1", "1-0:1.8.0*256", "1-0:1.8:0", "1-0:1.8.", "1 -0:1.8.0", "256-0:1.8.0"}) {
    EXPECT_FALSE(parse_obis(bad)) << bad;
  }
  const auto full = parse_obis("001-2:33.44.255*7");
  ASSERT_TRUE(full);
  EXPECT_EQ(full->a, 1);
  EXPECT_EQ(full->b, 2);
  EXPECT_EQ(full->c, 33);
  EXPECT_EQ(full->d, 44);
  EXPECT_EQ(full->e, 255);
  EXPECT_EQ(full->f, 7);
  EXPECT_EQ(parse_obis("1-0:1.8.0")->f, 255);  // no F: 255, "not used"
  EXPECT_EQ(q("1-0:1.8.0"), Quantity::kEnergy);
  EXPECT_EQ(q("1-0:2.8.1"), Quantity::kEnergy);
  EXPECT_EQ(q("1-0:21.8.0"), Quantity::kEnergy);  // L1
  EXPECT_EQ(q("1-0:3.8.0"), Quantity::kReactiveEnergy);
  EXPECT_EQ(q("1-0:8.8.0"), Quantity::kReactiveEnergy);
  EXPECT_EQ(q("1-0:1.7.0"), Quantity::kPower);
  EXPECT_EQ(q("1-0:62.7.0"), Quantity::kPower);  // L3 export
  EXPECT_EQ(q("1-0:1.6.0"), Quantity::kPower);   // maximum demand
  EXPECT_EQ(q("1-0:4.7.0"), Quantity::kReactivePower);
  EXPECT_EQ(q("1-0:32.7.0"), Quantity::kVoltage);
  EXPECT_EQ(q("1-0:72.7.0"), Quantity::kVoltage);
  EXPECT_EQ(q("1-0:91.7.0"), Quantity::kCurrent);
  EXPECT_EQ(q("1-0:14.7.0"), Quantity::kFrequency);
  EXPECT_EQ(q("1-0:13.7.0"), Quantity::kPowerFactor);
  EXPECT_EQ(q("1-0:32.32.0"), Quantity::kOther);  // a sag counter
  EXPECT_EQ(q("0-0:96.7.21"), Quantity::kOther);
  EXPECT_TRUE(is_register(Quantity::kEnergy));
  EXPECT_FALSE(is_register(Quantity::kPower));
}

TEST(Timestamp, Rfc3339) {
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_ms("2025-03-30T00:45:00Z"), 1743295500000);
  EXPECT_EQ(parse_rfc3339_ms("2025-03-30T00:45:01.250Z"), 1743295501250);
  EXPECT_EQ(parse_rfc3339_ms("2025-03-30T02:45:00+02:00"), 1743295500000);
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_FALSE(parse_rfc3339_ms("2025-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2025-03-30T24:00:00Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2025-03-30T00:45:00"));
  EXPECT_FALSE(parse_rfc3339_ms("2025-03-30T00:45:00Zjunk"));
  EXPECT_FALSE(parse_rfc3339_ms("250330004500W"));  // DSMR: converted before publishing
}

TEST(SeqWindow, DuplicatesGapsAndOrder) {
  SeqState s;
  EXPECT_EQ(check_and_record_seq(s, 100), SeqCheck::kNext);
  EXPECT_EQ(check_and_record_seq(s, 100), SeqCheck::kDuplicate);
  EXPECT_EQ(check_and_record_seq(s, 101), SeqCheck::kNext);
  EXPECT_EQ(check_and_record_seq(s, 104), SeqCheck::kGap);
  EXPECT_EQ(check_and_record_seq(s, 101), SeqCheck::kDuplicate);
  EXPECT_EQ(check_and_record_seq(s, 100), SeqCheck::kDuplicate);
  EXPECT_EQ(check_and_record_seq(s, 103), SeqCheck::kOutOfOrder);
  EXPECT_EQ(check_and_record_seq(s, 103), SeqCheck::kDuplicate);
  EXPECT_EQ(check_and_record_seq(s, 104 - kSeqWindow), SeqCheck::kOutOfOrder);
  EXPECT_EQ(check_and_record_seq(s, 104 - kSeqWindow - 1), SeqCheck::kStale);
  EXPECT_EQ(check_and_record_seq(s, 104 + 1000), SeqCheck::kGap);  // window cleared
  EXPECT_EQ(check_and_record_seq(s, 104 + 999), SeqCheck::kOutOfOrder);
}

TEST(TopicPatternTest, NamedPlaceholders) {
  std::string error;
  auto p = TopicPattern::parse("mtr/v1/{tenant}/{meter}/up/{kind}", error);
  ASSERT_TRUE(p);
  TopicFields f;
  ASSERT_TRUE(p->match("mtr/v1/t1/M123/up/reading", f));
  EXPECT_EQ(f.tenant, "t1");
  EXPECT_EQ(f.meter, "M123");
  EXPECT_EQ(f.kind, "reading");
  EXPECT_FALSE(p->match("mtr/v1/t1/M123/up", f));
  EXPECT_FALSE(p->match("mtr/v1/t1//up/reading", f));
  EXPECT_FALSE(p->match("mtr/v1/t1/M123/up/reading/", f));
  EXPECT_FALSE(p->match("/mtr/v1/t1/M123/up/reading", f));
  EXPECT_FALSE(p->match("mtr/v1/t1/M123/up/", f));  // the last level empty
  EXPECT_FALSE(p->match("mtr/v1//M123/up/reading", f));
  EXPECT_FALSE(p->match("mtr/v2/t1/M123/up/reading", f));  // a literal level differs
  EXPECT_FALSE(p->match("mtr/v1/t1/M123/upx/reading", f));
  EXPECT_FALSE(p->match("mtr/v/t1/M123/up/reading", f));  // a literal level shorter
  EXPECT_FALSE(p->match("", f));
  EXPECT_FALSE(p->match("mtr", f));
  // A failed match leaves `out` as it was.
  EXPECT_EQ(f.meter, "M123");
  auto last_literal = TopicPattern::parse("{tenant}/{meter}/state", error);
  ASSERT_TRUE(last_literal);
  ASSERT_TRUE(last_literal->match("t2/M9/state", f));
  EXPECT_EQ(f.tenant, "t2");
  EXPECT_EQ(f.meter, "M9");
  EXPECT_FALSE(last_literal->match("t2/M9/stat", f));
  EXPECT_FALSE(last_literal->match("t2/M9/states", f));
  EXPECT_FALSE(last_literal->match("t2/M9", f));
  EXPECT_FALSE(TopicPattern::parse("a/{x}", error));
  EXPECT_NE(error.find("unknown placeholder"), std::string::npos);
  EXPECT_FALSE(TopicPattern::parse("a/{meter}/{meter}", error));
  EXPECT_FALSE(TopicPattern::parse("a/+/{meter}", error));
  EXPECT_FALSE(TopicPattern::parse("a//{meter}", error));
}

}  // namespace
}  // namespace gridmq::plugins::meter_validation

namespace gridmq::plugins::meter_validation {
namespace {

TEST(SameText, ComparesLengthThenEveryByte) {
  EXPECT_TRUE(same_text("", ""));
  EXPECT_TRUE(same_text("1-0:1.8.0", "1-0:1.8.0"));
  EXPECT_FALSE(same_text("1-0:1.8.0", "1-0:1.8.1"));  // the last byte
  EXPECT_FALSE(same_text("2-0:1.8.0", "1-0:1.8.0"));  // the first
  EXPECT_FALSE(same_text("Wh", "Wh "));
  EXPECT_FALSE(same_text("", "v"));
  const std::string_view embedded("a\0b", 3);
  EXPECT_FALSE(same_text(embedded, std::string_view("a\0c", 3)));
}

}  // namespace
}  // namespace gridmq::plugins::meter_validation
