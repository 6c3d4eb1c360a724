// JsonScan accepts exactly what a strict JSON parser accepts: checked against nlohmann::json on
// valid and invalid inputs (nlohmann is the reference here, never on the data path), and the node
// layout the validator walks.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "plugin_test_util.hpp"
#include "plugins/meter_validation/json_scan.hpp"

namespace gridmq::plugins::meter_validation {
namespace {

bool reference_accepts(std::string_view text) {
  return !nlohmann::json::parse(text.begin(), text.end(), nullptr, false).is_discarded();
}

TEST(JsonScanTest, AgreesWithAStrictParser) {
  const std::string inputs[] = {
      "{}", "[]", "{\"a\":1}", " {\"a\" : [1, 2.5, -3e2, true, false, null] } ", "\"x\"", "0", "-0",
      "1.0E+2", "{\"a\":{\"b\":{\"c\":[]}}}", "{\"k\":\"\\u00e9\\n\\\"\"}",
      "{\"k\":\"\\ud83d\\ude00\"}", "{\"k\":\"caf\xc3\xa9\"}", "[1,[2,[3]]]",
      // invalid
      "", "{", "}", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1",
      "tru", "nul", "\"unterminated", "\"tab\there\"", "\"\\x\"", "\"\\u12\"", "\"\\ud83d\"",
      "\"\\ude00\"", "\"\xff\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "{} {}", "[1] x", "{\"a\":1}}",
      "NaN", "[\"a\" \"b\"]", test::example_reading(), test::example_reading().substr(0, 100)};
  JsonScan scan;
  for (const auto& text : inputs) {
    EXPECT_EQ(scan.parse(text), reference_accepts(text)) << text;
  }
}

TEST(JsonScanTest, NestingIsBounded) {
  JsonScan scan;
  EXPECT_TRUE(scan.parse(std::string(30, '[') + std::string(30, ']')));
  EXPECT_FALSE(scan.parse(std::string(100000, '[') + std::string(100000, ']')));
}

TEST(JsonScanTest, NodesOfTheExampleReading) {
  JsonScan j;
  ASSERT_TRUE(j.parse(test::example_reading()));
  EXPECT_EQ(j.type(0), JsonScan::Type::kObject);
  EXPECT_EQ(j.node(0).count, 6u);
  std::uint64_t seq = 0;
  EXPECT_TRUE(j.uint64(j.find(0, "seq"), seq));
  EXPECT_EQ(seq, 48213u);
  std::string scratch;
  EXPECT_EQ(j.str(j.find(0, "ts"), scratch), "2025-03-30T00:45:00Z");
  const auto regs = j.find(0, "regs");
  ASSERT_EQ(j.type(regs), JsonScan::Type::kArray);
  EXPECT_EQ(j.node(regs).count, 4u);
  const auto second = j.next(regs + 1);
  std::int64_t val = 0;
  EXPECT_TRUE(j.int64(j.find(second, "val"), val));
  EXPECT_EQ(val, 4321);
  EXPECT_EQ(j.find(0, "missing"), JsonScan::kNone);
  EXPECT_EQ(j.str(j.find(j.next(j.find(0, "regs") + 1) + 0, "unit"), scratch), "Wh");
}

TEST(JsonScanTest, EscapedStringsDecode) {
  JsonScan j;
  ASSERT_TRUE(j.parse(R"({"u\u006eit":"\u0057h","e":"\ud83d\ude00","n":1.5e3,"i":-12})"));
  std::string scratch;
  EXPECT_EQ(j.str(j.find(0, "unit"), scratch), "Wh");
  EXPECT_EQ(j.str(j.find(0, "e"), scratch), "\xf0\x9f\x98\x80");
  double d = 0;
  EXPECT_TRUE(j.number(j.find(0, "n"), d));
  EXPECT_DOUBLE_EQ(d, 1500);
  std::int64_t i = 0;
  EXPECT_FALSE(j.int64(j.find(0, "n"), i));  // not an integer token
  EXPECT_TRUE(j.int64(j.find(0, "i"), i));
  std::uint64_t u = 0;
  EXPECT_FALSE(j.uint64(j.find(0, "i"), u));
}

TEST(JsonScanTest, FindAndFindAllReturnTheFirstMemberOfEachName) {
  JsonScan j;
  // A duplicated name (the first counts), an escaped name, names of equal length and first byte.
  ASSERT_TRUE(j.parse(R"({"ab":1,"ac":2,"ab":3,"u\u006eit":"Wh","":4,"x":[5]})"));
  const std::string_view names[] = {"ab", "ac", "unit", "", "x", "missing", "a", "abc"};
  std::uint32_t at[std::size(names)];
  j.find_all(0, names, at);
  std::string scratch;
  const auto integer = [&](std::uint32_t i) {
    std::int64_t v = -1;
    EXPECT_TRUE(j.int64(i, v));
    return v;
  };
  for (const bool one_by_one : {false, true}) {
    SCOPED_TRACE(one_by_one ? "find" : "find_all");
    if (one_by_one) {
      for (std::size_t i = 0; i < std::size(names); ++i) at[i] = j.find(0, names[i]);
    }
    EXPECT_EQ(integer(at[0]), 1);
    EXPECT_EQ(integer(at[1]), 2);
    ASSERT_TRUE(j.is_string(at[2]));
    EXPECT_EQ(j.str(at[2], scratch), "Wh");
    EXPECT_EQ(integer(at[3]), 4);
    EXPECT_EQ(j.type(at[4]), JsonScan::Type::kArray);
    EXPECT_EQ(at[5], JsonScan::kNone);
    EXPECT_EQ(at[6], JsonScan::kNone);
    EXPECT_EQ(at[7], JsonScan::kNone);
  }
  // Not an object: nothing is found.
  const std::uint32_t array = at[4];
  j.find_all(array, names, at);
  for (auto a : at) EXPECT_EQ(a, JsonScan::kNone);
  EXPECT_EQ(j.find(array, "x"), JsonScan::kNone);
}

// Members in another order than the names, with duplicates: the first member of each name.
TEST(JsonScanTest, FindAllInAnyMemberOrder) {
  JsonScan j;
  ASSERT_TRUE(j.parse(R"({"c":3,"a":1,"c":9,"b":2,"a":8,"d":4})"));
  const std::string_view names[] = {"a", "b", "c", "d"};
  std::uint32_t at[std::size(names)];
  j.find_all(0, names, at);
  const std::string expected[] = {"1", "2", "3", "4"};
  for (std::size_t i = 0; i < std::size(names); ++i) {
    EXPECT_EQ(j.raw(at[i]), expected[i]) << names[i];
  }
}

TEST(JsonScanTest, AReusedScannerForgetsTheLastDocument) {
  JsonScan j;
  ASSERT_TRUE(j.parse(test::example_reading()));
  ASSERT_TRUE(j.parse(R"({"seq":7})"));
  EXPECT_EQ(j.node(0).count, 1u);
  EXPECT_EQ(j.next(0), 3u);  // root, key, value
  EXPECT_EQ(j.find(0, "regs"), JsonScan::kNone);
  std::uint64_t seq = 0;
  EXPECT_TRUE(j.uint64(j.find(0, "seq"), seq));
  EXPECT_EQ(seq, 7u);
}

TEST(JsonScanTest, IntegersReadToTheLimitsOfTheirType) {
  JsonScan j;
  ASSERT_TRUE(j.parse(R"([0, -0, 7, 123456789012345678, 9223372036854775807, 9223372036854775808,)"
                      R"( -9223372036854775808, -9223372036854775809, 18446744073709551615,)"
                      R"( 18446744073709551616, 99999999999999999999999, -1, 1.0, 1e3])"));
  std::vector<std::uint32_t> at;
  for (std::uint32_t i = 1, k = 0; k < j.node(0).count; ++k, i = j.next(i)) at.push_back(i);
  struct Expect {
    bool int_ok;
    std::int64_t i;
    bool uint_ok;
    std::uint64_t u;
  };
  const Expect want[] = {
      {true, 0, true, 0},
      {true, 0, false, 0},
      {true, 7, true, 7},
      {true, 123456789012345678, true, 123456789012345678},
      {true, INT64_MAX, true, 9223372036854775807u},
      {false, 0, true, 9223372036854775808u},
      {true, INT64_MIN, false, 0},
      {false, 0, false, 0},
      {false, 0, true, UINT64_MAX},
      {false, 0, false, 0},
      {false, 0, false, 0},
      {true, -1, false, 0},
      {false, 0, false, 0},
      {false, 0, false, 0},
  };
  ASSERT_EQ(at.size(), std::size(want));
  for (std::size_t k = 0; k < at.size(); ++k) {
    std::int64_t i = 42;
    std::uint64_t u = 42;
    EXPECT_EQ(j.int64(at[k], i), want[k].int_ok) << j.raw(at[k]);
    if (want[k].int_ok) {
      EXPECT_EQ(i, want[k].i) << j.raw(at[k]);
    }
    EXPECT_EQ(j.uint64(at[k], u), want[k].uint_ok) << j.raw(at[k]);
    if (want[k].uint_ok) {
      EXPECT_EQ(u, want[k].u) << j.raw(at[k]);
    }
  }
}

}  // namespace
}  // namespace gridmq::plugins::meter_validation
