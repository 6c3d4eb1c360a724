// ReadingShape: a reading that fits its meter's last accepted reading is checked without a parse,
// and must then come out exactly as check_payload would have it. The differential test mutates
// the example reading byte by byte and holds every fit against the full check.

#include <gtest/gtest.h>

#include <random>

#include "plugin_test_util.hpp"
#include "plugins/meter_validation/json_scan.hpp"
#include "plugins/meter_validation/reading_shape.hpp"

namespace gridmq::plugins::meter_validation {
namespace {

using test::kNow;

const std::string kTopic = "mtr/v1/t1/1EMH0012345678/up/reading";
const auth::Principal kMeter{"1EMH0012345678", auth::Role::kMeter};

// The example reading with a power value (not a register: any JSON number) and a boot counter.
std::string with_power(std::string_view seq, std::string_view ts, std::string_view import_wh,
                       std::string_view power) {
  return std::string(R"({"v":1,"meter":"1EMH0012345678","seq":)") + std::string(seq) +
         R"(,"boot":3,"ts":")" + std::string(ts) + R"(","regs":[{"obis":"1-0:1.8.0","val":)" +
         std::string(import_wh) + R"(,"unit":"Wh"},{"obis":"1-0:1.7.0","val":)" +
         std::string(power) + R"(,"unit":"W"}],"q":"ok"})";
}

class Shape : public ::testing::Test {
 protected:
  Input input(std::string_view payload) const {
    Input in;
    in.topic = kTopic;
    in.payload = payload;
    in.principal = &kMeter;
    in.now_ms = kNow;
    return in;
  }
  // What the plugin does without a shape: the head, then the full check (the parse stays in scan_).
  Checked full(std::string_view payload, const Settings& s) {
    const Input in = input(payload);
    Checked c = check_head(s, in);
    EXPECT_EQ(c.action, Action::kAccept) << c.detail;
    check_payload(s, in, c, scan_);
    return c;
  }
  Checked full(std::string_view payload) { return full(payload, s_); }
  ReadingShape capture(std::string_view payload) {
    const Checked c = full(payload);
    EXPECT_EQ(c.action, Action::kAccept) << c.detail;
    return ReadingShape::capture(s_, payload, scan_);
  }
  // The head, then the shape: nullopt when the payload does not fit.
  std::optional<Checked> fitted(const ReadingShape& shape, std::string_view payload,
                                const Settings* s = nullptr) {
    const Settings& settings = s ? *s : s_;
    const Input in = input(payload);
    Checked c = check_head(settings, in);
    if (!shape.match(settings, in, c)) {
      EXPECT_TRUE(c.samples.empty());  // a payload that does not fit leaves nothing behind
      return std::nullopt;
    }
    return c;
  }
  static void expect_same(const Checked& fast, const Checked& slow, std::string_view payload) {
    EXPECT_EQ(fast.action, slow.action) << payload << "\n" << slow.detail;
    EXPECT_EQ(fast.reason, slow.reason) << payload;
    EXPECT_EQ(fast.detail, slow.detail) << payload;
    EXPECT_EQ(fast.seq, slow.seq) << payload;
    EXPECT_EQ(fast.boot, slow.boot) << payload;
    EXPECT_EQ(fast.ts_trusted, slow.ts_trusted) << payload;
    ASSERT_EQ(fast.samples.size(), slow.samples.size()) << payload;
    for (std::size_t i = 0; i < fast.samples.size(); ++i) {
      EXPECT_EQ(fast.samples[i].key, slow.samples[i].key) << payload;
      EXPECT_EQ(fast.samples[i].value, slow.samples[i].value) << payload;
      EXPECT_EQ(fast.samples[i].ts_ms, slow.samples[i].ts_ms) << payload;
      EXPECT_EQ(fast.samples[i].resolution, slow.samples[i].resolution) << payload;
    }
  }

  Settings s_ = default_settings();
  JsonScan scan_;
};

TEST_F(Shape, TheNextReadingOfAMeterFitsAndReadsAsTheFullCheckReadsIt) {
  const ReadingShape shape = capture(test::example_reading());
  ASSERT_FALSE(shape.empty());
  const std::string next =
      R"({"v":1,"meter":"1EMH0012345678","seq":48214,"ts":"2025-03-30T00:44:59.500Z","regs":[{"obis":"1-0:1.8.0","val":123456789,"unit":"Wh"},)"
      R"({"obis":"1-0:2.8.0","val":0,"unit":"Wh"},{"obis":"1-0:3.8.0","val":234568,"unit":"varh"},{"obis":"1-0:4.8.0","val":1201,"unit":"varh"}],"q":"ok"})";
  const auto fast = fitted(shape, next);
  ASSERT_TRUE(fast.has_value());
  EXPECT_EQ(fast->seq, 48214u);
  ASSERT_EQ(fast->samples.size(), 4u);
  EXPECT_EQ(fast->samples[0].key, "1-0:1.8.0");
  EXPECT_EQ(fast->samples[0].value, 123456789);
  EXPECT_EQ(fast->samples[1].value, 0);
  EXPECT_EQ(fast->samples[3].ts_ms, kNow - 500);
  expect_same(*fast, full(next), next);
}

TEST_F(Shape, ValuesThatAreNotRegistersTakeAnyNumberAndBootIsRead) {
  const ReadingShape shape = capture(with_power("7", "2025-03-30T00:45:00Z", "100", "1500"));
  ASSERT_FALSE(shape.empty());
  for (const std::string_view power : {"0", "-12.5", "1.5e3", "2E-2", "-0"}) {
    const std::string next = with_power("8", "2025-03-30T00:46:00+01:00", "101", power);
    const auto fast = fitted(shape, next);
    ASSERT_TRUE(fast.has_value()) << next;
    EXPECT_EQ(fast->boot, 3);
    EXPECT_EQ(fast->samples.size(), 1u);  // the register only
    expect_same(*fast, full(next), next);
  }
}

TEST_F(Shape, WhatTheHolesDoNotTakeIsLeftToTheFullCheck) {
  const ReadingShape shape = capture(with_power("7", "2025-03-30T00:45:00Z", "100", "1500"));
  ASSERT_FALSE(shape.empty());
  const std::string t = "2025-03-30T00:45:00Z";
  for (const std::string& other : {
           with_power("8.0", t, "101", "1"),                     // seq not an integer
           with_power("-8", t, "101", "1"),                      // negative seq
           with_power("08", t, "101", "1"),                      // a leading zero: not JSON
           with_power("1234567890123456789", t, "101", "1"),     // 19 digits: the full check reads
           with_power("8", t, "-101", "1"),                      // a negative register
           with_power("8", t, "1e3", "1"),                       // a register as a float
           with_power("8", t, "101", "1."),                      // not a JSON number
           with_power("8", t, "101", "+1"),                      // not a JSON number
           with_power("8", t, "101", "\"1\""),                   // a string
           with_power("8", "2025-03-30T00:48:01Z", "101", "1"),  // beyond the clock skew
           with_power("8", "2025-02-17T00:44:59Z", "101", "1"),  // older than the backfill window
           with_power("8", "2025-03-30T00:45:00\\u005a", "101", "1"),  // an escape
           with_power("8", "2025-03-30 00:45:00Z", "101", "1"),        // not RFC 3339
           with_power("8", t, "101", "1") + " x",                      // trailing bytes
           with_power("8", t, "101", "1").substr(1),                   // missing bytes
       }) {
    EXPECT_FALSE(fitted(shape, other).has_value()) << other;
  }
  // Another member, another unit, another OBIS code, another meter: not the same document.
  std::string p = with_power("8", t, "101", "1");
  EXPECT_FALSE(fitted(shape, p.substr(0, p.size() - 1) + ",\"x\":1}").has_value());
  std::string unit = p;
  unit.replace(unit.find("\"W\""), 3, "\"kW\"");
  EXPECT_FALSE(fitted(shape, unit).has_value());
  std::string code = p;
  code.replace(code.find("1-0:1.7.0"), 9, "1-0:2.7.0");
  EXPECT_FALSE(fitted(shape, code).has_value());
}

TEST_F(Shape, OtherSettingsOrAPayloadOverTheirLimitDoNotFit) {
  const std::string p = with_power("7", "2025-03-30T00:45:00Z", "100", "1500");
  const ReadingShape shape = capture(p);
  const Settings reloaded = default_settings();  // equal rules, but another generation
  EXPECT_FALSE(fitted(shape, p, &reloaded).has_value());
  s_.max_payload_bytes = static_cast<std::uint32_t>(p.size() - 1);
  EXPECT_FALSE(fitted(shape, p).has_value());
  EXPECT_TRUE(ReadingShape().empty());
  EXPECT_FALSE(fitted(ReadingShape(), p).has_value());
}

TEST_F(Shape, ReadingsWithValuesTheHolesCannotHoldGetNoShape) {
  // Accepted by the full check, but in a form the shape does not vary: checked in full each time.
  EXPECT_TRUE(
      capture(with_power("12345678901234567890", "2025-03-30T00:45:00Z", "1", "1")).empty());
  EXPECT_TRUE(capture(with_power("1", "2025-03-30T00:45:00\\u005A", "1", "1")).empty());
  std::string escaped = with_power("1", "2025-03-30T00:45:00Z", "1", "1");
  escaped.replace(escaped.find("1-0:1.8.0"), 9, "1\\u002d0:1.8.0");
  EXPECT_TRUE(capture(escaped).empty());
  const std::string big =
      R"({"v":1,"meter":"1EMH0012345678","seq":1,"ts":"2025-03-30T00:45:00Z","regs":[],"pad":")" +
      std::string(ReadingShape::kMaxBytes, 'x') + "\"}";
  EXPECT_TRUE(capture(big).empty());
  EXPECT_FALSE(capture(with_power("1", "2025-03-30T00:45:00Z", "1", "1")).empty());
}

TEST_F(Shape, EveryMutationThatFitsReadsAsTheFullCheckReadsIt) {
  // Byte replacements, insertions and deletions of the example reading (seeded: the same cases on
  // every run). A mutation that fits must be accepted by the full check with the same fields; the
  // many that change only a value must fit (or this test would prove nothing).
  const std::string base = test::example_reading();
  const ReadingShape shape = capture(base);
  ASSERT_FALSE(shape.empty());
  constexpr std::string_view kBytes = "0123456789-+.eE\" ,:{}[]\\aZT\x01\xc3\x7f";
  std::mt19937 rng(20261207);
  std::size_t fits = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string p = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits && !p.empty(); ++k) {
      const std::size_t at = rng() % p.size();
      const char ch = kBytes[rng() % kBytes.size()];
      switch (rng() % 3) {
        case 0:
          p[at] = ch;
          break;
        case 1:
          p.insert(p.begin() + static_cast<std::ptrdiff_t>(at), ch);
          break;
        default:
          p.erase(at, 1);
          break;
      }
    }
    const auto fast = fitted(shape, p);
    if (!fast) continue;
    ++fits;
    const Checked slow = full(p);
    ASSERT_EQ(slow.action, Action::kAccept) << "fits the shape but the full check says no: " << p;
    expect_same(*fast, slow, p);
  }
  EXPECT_GT(fits, 250u);  // 531 with this seed
}

}  // namespace
}  // namespace gridmq::plugins::meter_validation
