// meter_validation rules, one by one, without the broker: check_message and apply_state.

#include <gtest/gtest.h>

#include <regex>

#include "auth/bindings.hpp"
#include "plugin_test_util.hpp"
#include "plugins/meter_validation/validate.hpp"

namespace gridmq::plugins::meter_validation {
namespace {

using protocol::ReasonCode;
using test::kNow;
using test::reading;
using test::ts_at;

constexpr std::string_view kMeter = "1EMH0012345678";
const std::string kTopic = "mtr/v1/t1/1EMH0012345678/up/reading";

class Rules : public ::testing::Test {
 protected:
  Checked check(std::string_view topic, std::string_view payload,
                const auth::Principal* who = nullptr) {
    Input in;
    in.topic = topic;
    in.payload = payload;
    in.principal = who ? who : &meter_;
    in.client_id = "client";
    in.bindings = &bindings_;
    in.now_ms = kNow;
    return check_message(s_, in);
  }
  // check_message then apply_state against the one meter state of the fixture.
  StateResult run(std::string_view payload, std::string_view topic = kTopic) {
    Checked c = check(topic, payload);
    EXPECT_NE(c.action, Action::kReject) << c.detail;
    return apply_state(s_, c, state_);
  }

  Settings s_ = default_settings();
  auth::Principal meter_{std::string(kMeter), auth::Role::kMeter};
  auth::Bindings bindings_{auth::BindingTable::parse("HUB01: 1EMH0012345678 METER02\n", "b")};
  MeterState state_;
};

TEST_F(Rules, ExampleReadingIsAccepted) {
  const Checked c = check(kTopic, test::example_reading());
  EXPECT_TRUE(c.in_scope);
  EXPECT_EQ(c.action, Action::kAccept) << c.detail;
  EXPECT_EQ(c.tenant, "t1");
  EXPECT_EQ(c.meter, kMeter);
  EXPECT_EQ(c.kind, Kind::kReading);
  EXPECT_EQ(c.seq, 48213u);
  EXPECT_EQ(c.samples.size(), 4u);  // all four are energy registers
}

TEST_F(Rules, TopicsOutsideTheScopeAreNotChecked) {
  EXPECT_FALSE(check("ops/v1/t1/grp/g1/cmd", "not json").in_scope);
  EXPECT_FALSE(check("hub/v1/t1/HUB01/state", "x").in_scope);
}

TEST_F(Rules, TopicGrammar) {
  const auto bad = check("mtr/v1/t1/1EMH0012345678/down/reading", "{}");
  EXPECT_EQ(bad.reason, Reason::kTopicInvalid);
  EXPECT_EQ(bad.code, ReasonCode::kTopicNameInvalid);
  EXPECT_EQ(check("mtr/v1/t1/1EMH0012345678/up/weather", "{}").reason, Reason::kTopicInvalid);
  EXPECT_EQ(check("mtr/v1/t1/1EMH0012345678/up/reading/x", "{}").reason, Reason::kTopicInvalid);
  EXPECT_EQ(check("mtr/v1/t1/1EMH0012345678/state", "online").action, Action::kAccept);
  EXPECT_EQ(check("mtr/v1/t1/1EMH0012345678/cmd/ack", "{}").action, Action::kAccept);
}

TEST_F(Rules, MeterIdFormat) {
  EXPECT_TRUE(valid_meter_id("1EMH0012345678"));
  EXPECT_TRUE(valid_meter_id("abc"));
  EXPECT_TRUE(valid_meter_id("a.b_c-d"));
  EXPECT_FALSE(valid_meter_id("ab"));
  EXPECT_FALSE(valid_meter_id("-abc"));
  EXPECT_FALSE(valid_meter_id("ab c"));
  EXPECT_FALSE(valid_meter_id(std::string(65, 'a')));
  EXPECT_TRUE(valid_meter_id(std::string(64, 'a')));
  // Every byte, first and later, against the documented pattern.
  const std::regex pattern("^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$");
  for (int b = 0; b < 256; ++b) {
    const char ch = static_cast<char>(b);
    for (const std::string& id :
         {std::string(1, ch) + "bc", "a" + std::string(1, ch) + "c", "ab" + std::string(1, ch)}) {
      EXPECT_EQ(valid_meter_id(id), std::regex_match(id, pattern)) << "byte " << b;
    }
  }
  const auth::Principal odd{"ab", auth::Role::kMeter};
  const auto c = check("mtr/v1/t1/ab/up/reading", reading("ab", 1, ts_at(0), 1), &odd);
  EXPECT_EQ(c.reason, Reason::kMeterIdInvalid);
  EXPECT_EQ(c.code, ReasonCode::kTopicNameInvalid);
}

TEST_F(Rules, MeterMustBeThePrincipal) {
  const auto c = check("mtr/v1/t1/OTHER0001/up/reading", reading("OTHER0001", 1, ts_at(0), 1));
  EXPECT_EQ(c.reason, Reason::kNotOwner);
  EXPECT_EQ(c.code, ReasonCode::kNotAuthorized);
  EXPECT_NE(c.detail.find("OTHER0001"), std::string::npos);
}

TEST_F(Rules, HubMayPublishForBoundMetersOnly) {
  const auth::Principal hub{"HUB01", auth::Role::kHub};
  EXPECT_EQ(check(kTopic, reading(kMeter, 1, ts_at(0), 1), &hub).action, Action::kAccept);
  const auto c = check("mtr/v1/t1/METER03/up/reading", reading("METER03", 1, ts_at(0), 1), &hub);
  EXPECT_EQ(c.reason, Reason::kNotBound);
  EXPECT_EQ(c.code, ReasonCode::kNotAuthorized);
  const auth::Principal other_hub{"HUB02", auth::Role::kHub};
  EXPECT_EQ(check(kTopic, reading(kMeter, 1, ts_at(0), 1), &other_hub).reason, Reason::kNotBound);
}

TEST_F(Rules, OperatorsDoNotPublishMeterData) {
  const auth::Principal op{"op1", auth::Role::kOperator};
  EXPECT_EQ(check(kTopic, reading(kMeter, 1, ts_at(0), 1), &op).reason, Reason::kRoleNotAllowed);
}

TEST_F(Rules, AnonymousIsRejectedUnlessClientIdStandsForTheMeter) {
  Input in;
  in.topic = kTopic;
  const std::string p = reading(kMeter, 1, ts_at(0), 1);
  in.payload = p;
  in.client_id = kMeter;
  in.now_ms = kNow;
  EXPECT_EQ(check_message(s_, in).reason, Reason::kUnauthenticated);
  s_.unauthenticated = Settings::Anonymous::kClientId;
  EXPECT_EQ(check_message(s_, in).action, Action::kAccept);
  in.client_id = "someone-else";
  EXPECT_EQ(check_message(s_, in).reason, Reason::kNotOwner);
  s_.unauthenticated = Settings::Anonymous::kTopic;  // no identity check: benchmarks only
  EXPECT_EQ(check_message(s_, in).action, Action::kAccept);
}

TEST_F(Rules, TenantAllowedForThePrincipal) {
  s_.tenants = {"t1", "t2"};
  EXPECT_EQ(check(kTopic, reading(kMeter, 1, ts_at(0), 1)).action, Action::kAccept);
  const auto c = check("mtr/v1/t9/1EMH0012345678/up/reading", reading(kMeter, 1, ts_at(0), 1));
  EXPECT_EQ(c.reason, Reason::kTenantNotAllowed);
  EXPECT_EQ(c.code, ReasonCode::kNotAuthorized);
  s_.principal_tenants[std::string(kMeter)] = {"t9"};
  EXPECT_EQ(check("mtr/v1/t9/1EMH0012345678/up/reading", reading(kMeter, 1, ts_at(0), 1)).action,
            Action::kAccept);
  EXPECT_EQ(check(kTopic, reading(kMeter, 1, ts_at(0), 1)).reason, Reason::kTenantNotAllowed);
}

TEST_F(Rules, PayloadSizeCap) {
  s_.max_payload_bytes = 100;
  const auto c = check(kTopic, test::example_reading());
  EXPECT_EQ(c.reason, Reason::kPayloadTooLarge);
  EXPECT_EQ(c.code, ReasonCode::kPayloadFormatInvalid);
}

TEST_F(Rules, PayloadMustBeAJsonObject) {
  EXPECT_EQ(check(kTopic, "{\"v\":1,").reason, Reason::kJsonInvalid);
  EXPECT_EQ(check(kTopic, "[1,2]").reason, Reason::kJsonInvalid);
  EXPECT_EQ(check(kTopic, "").reason, Reason::kJsonInvalid);
  EXPECT_EQ(check(kTopic, "{\"v\":1,").code, ReasonCode::kPayloadFormatInvalid);
}

TEST_F(Rules, SchemaVersionKnown) {
  auto p = reading(kMeter, 1, ts_at(0), 1);
  p.replace(p.find("\"v\":1"), 5, "\"v\":7");
  EXPECT_EQ(check(kTopic, p).reason, Reason::kSchemaUnknown);
  s_.schema_versions = {1, 7};
  EXPECT_EQ(check(kTopic, p).action, Action::kAccept);
}

TEST_F(Rules, PayloadMeterMatchesTheTopic) {
  EXPECT_EQ(check(kTopic, reading("OTHER0001", 1, ts_at(0), 1)).reason, Reason::kMeterMismatch);
}

TEST_F(Rules, RequiredFieldsPerKind) {
  EXPECT_EQ(check(kTopic, R"({"v":1,"seq":1,"ts":"2025-03-30T00:45:00Z"})").reason,
            Reason::kFieldMissing);  // regs
  const std::string pulse_topic = "mtr/v1/t1/1EMH0012345678/up/pulse";
  EXPECT_EQ(check(pulse_topic, R"({"v":1,"seq":1,"ts":"2025-03-30T00:45:00Z","ch":1})").reason,
            Reason::kFieldMissing);
  EXPECT_EQ(
      check("mtr/v1/t1/1EMH0012345678/up/event", R"({"v":1,"seq":1,"ts":"2025-03-30T00:45:00Z"})")
          .reason,
      Reason::kFieldMissing);  // type
  s_.kinds[static_cast<std::size_t>(Kind::kReading)].required = {"v", "seq", "ts", "regs", "q"};
  auto p = reading(kMeter, 1, ts_at(0), 1);
  p.erase(p.find(",\"q\":\"ok\""), 9);
  const auto c = check(kTopic, p);
  EXPECT_EQ(c.reason, Reason::kFieldMissing);
  EXPECT_NE(c.detail.find("'q'"), std::string::npos);
}

TEST_F(Rules, FieldTypes) {
  EXPECT_EQ(check(kTopic, R"({"v":1,"seq":-1,"ts":"2025-03-30T00:45:00Z","regs":[]})").reason,
            Reason::kFieldInvalid);
  EXPECT_EQ(check(kTopic, R"({"v":1,"seq":1,"ts":"2025-03-30T00:45:00Z","regs":{}})").reason,
            Reason::kFieldInvalid);
  // Energy is normalised to integer Wh at the meter or hub.
  EXPECT_EQ(
      check(
          kTopic,
          R"({"v":1,"seq":1,"ts":"2025-03-30T00:45:00Z","regs":[{"obis":"1-0:1.8.0","val":1.5,"unit":"Wh"}]})")
          .reason,
      Reason::kFieldInvalid);
  EXPECT_EQ(check("mtr/v1/t1/1EMH0012345678/up/event",
                  R"({"v":1,"seq":1,"ts":"2025-03-30T00:45:00Z","type":"alien_landing"})")
                .reason,
            Reason::kFieldInvalid);
}

TEST_F(Rules, UnitsAllowedPerObisClass) {
  const auto c = check(kTopic, reading(kMeter, 1, ts_at(0), 1, "kWh"));
  EXPECT_EQ(c.reason, Reason::kUnitInvalid);
  EXPECT_EQ(c.code, ReasonCode::kPayloadFormatInvalid);
  EXPECT_EQ(
      check(
          kTopic,
          R"({"v":1,"seq":1,"ts":"2025-03-30T00:45:00Z","regs":[{"obis":"1-0:3.8.0","val":1,"unit":"Wh"}]})")
          .reason,
      Reason::kUnitInvalid);  // reactive energy is varh
  EXPECT_EQ(
      check(
          kTopic,
          R"({"v":1,"seq":1,"ts":"2025-03-30T00:45:00Z","regs":[{"obis":"1-0:32.7.0","val":230.1,"unit":"V"},{"obis":"1-0:1.7.0","val":1420,"unit":"W"},{"obis":"1-0:14.7.0","val":49.98,"unit":"Hz"}]})")
          .action,
      Action::kAccept);
  EXPECT_EQ(
      check(
          kTopic,
          R"({"v":1,"seq":1,"ts":"2025-03-30T00:45:00Z","regs":[{"obis":"1-0:32.7.0","val":230.1,"unit":"A"}]})")
          .reason,
      Reason::kUnitInvalid);
  EXPECT_EQ(
      check(
          kTopic,
          R"({"v":1,"seq":1,"ts":"2025-03-30T00:45:00Z","regs":[{"obis":"1.8.0","val":1,"unit":"Wh"}]})")
          .reason,
      Reason::kObisInvalid);
  s_.units[static_cast<std::size_t>(Quantity::kEnergy)] = {"Wh", "kWh"};
  EXPECT_EQ(check(kTopic, reading(kMeter, 1, ts_at(0), 1, "kWh")).action, Action::kAccept);
}

TEST_F(Rules, TimestampNotInTheFutureBeyondSkew) {
  EXPECT_EQ(check(kTopic, reading(kMeter, 1, ts_at(119), 1)).action, Action::kAccept);
  const auto c = check(kTopic, reading(kMeter, 1, ts_at(121), 1));
  EXPECT_EQ(c.reason, Reason::kTsFuture);
  EXPECT_EQ(c.code, ReasonCode::kPayloadFormatInvalid);
}

TEST_F(Rules, TimestampNotOlderThanTheBackfillWindow) {
  EXPECT_EQ(check(kTopic, reading(kMeter, 1, ts_at(-39 * 86400), 1)).action, Action::kAccept);
  EXPECT_EQ(check(kTopic, reading(kMeter, 1, ts_at(-41 * 86400), 1)).reason, Reason::kTsTooOld);
}

TEST_F(Rules, TimestampOutsideTheWindowCanBeQuarantined) {
  s_.ts_action = OnFail::kQuarantine;
  const auto c = check(kTopic, reading(kMeter, 1, ts_at(3600), 1));
  EXPECT_EQ(c.action, Action::kQuarantine);
  EXPECT_EQ(c.reason, Reason::kTsFuture);
  EXPECT_FALSE(c.ts_trusted);
}

TEST_F(Rules, TimestampFormat) {
  EXPECT_EQ(check(kTopic, reading(kMeter, 1, "2025-03-30 00:45:00", 1)).reason, Reason::kTsInvalid);
  EXPECT_EQ(check(kTopic, reading(kMeter, 1, "2025-02-30T00:45:00Z", 1)).reason,
            Reason::kTsInvalid);
  EXPECT_EQ(check(kTopic, reading(kMeter, 1, "2025-03-30T01:45:00+01:00", 1)).action,
            Action::kAccept);
}

TEST_F(Rules, DuplicateSeqIsDropped) {
  EXPECT_EQ(run(reading(kMeter, 10, ts_at(-60), 100)).action, Action::kAccept);
  const auto dup = run(reading(kMeter, 10, ts_at(-60), 100));
  EXPECT_EQ(dup.action, Action::kDrop);
  EXPECT_EQ(dup.reason, Reason::kDuplicate);
  EXPECT_FALSE(dup.changed);
}

TEST_F(Rules, OutOfOrderSeqIsAcceptedOnceThenDuplicate) {
  run(reading(kMeter, 10, ts_at(-60), 1000));
  EXPECT_EQ(run(reading(kMeter, 13, ts_at(0), 1003)).reason, Reason::kSeqGap);
  const auto late = run(reading(kMeter, 11, ts_at(-40), 1001));
  EXPECT_EQ(late.action, Action::kAccept);
  EXPECT_EQ(late.reason, Reason::kOutOfOrder);
  EXPECT_EQ(run(reading(kMeter, 11, ts_at(-40), 1001)).action, Action::kDrop);
  EXPECT_EQ(run(reading(kMeter, 12, ts_at(-20), 1002)).reason, Reason::kOutOfOrder);
  // The register state still holds the newest value (seq 13).
  EXPECT_EQ(state_.find_register("1-0:1.8.0")->value, 1003);
}

TEST_F(Rules, SeqFarBelowTheWindowIsDroppedAsStale) {
  run(reading(kMeter, 1000, ts_at(-60), 1));
  const auto r = run(reading(kMeter, 1000 - kSeqWindow - 1, ts_at(-60), 1));
  EXPECT_EQ(r.action, Action::kDrop);
  EXPECT_EQ(r.reason, Reason::kSeqStale);
}

TEST_F(Rules, SeqIsTrackedPerKind) {
  run(reading(kMeter, 5, ts_at(-60), 1));
  const std::string event = R"({"v":1,"seq":5,"ts":"2025-03-30T00:45:00Z","type":"tamper"})";
  EXPECT_EQ(run(event, "mtr/v1/t1/1EMH0012345678/up/event").action, Action::kAccept);
}

TEST_F(Rules, RegisterDecreaseIsTaggedNotRejected) {
  run(reading(kMeter, 1, ts_at(-900), 99'999'000));
  const auto r = run(reading(kMeter, 2, ts_at(0), 500));
  EXPECT_EQ(r.action, Action::kTag);
  EXPECT_EQ(r.reason, Reason::kRegisterDecrease);
  ASSERT_EQ(r.flags.size(), 1u);
  EXPECT_EQ(state_.epoch, 1u);
  // The new epoch starts from the new value: the next reading compares with 500.
  EXPECT_EQ(run(reading(kMeter, 3, ts_at(60), 600)).action, Action::kAccept);
}

TEST_F(Rules, RegistersAreComparedByCodeWhateverTheirOrder) {
  // The state keeps the first reading's order; a later reading lists them the other way round
  // (the i-th sample is then not the i-th register) and the second one went down.
  const auto two = [&](std::uint64_t seq, std::int64_t ts, std::int64_t a, std::int64_t b,
                       bool swapped) {
    Checked c = check(kTopic, reading(kMeter, seq, ts_at(ts), 1));
    c.samples.clear();
    const std::int64_t ms = kNow + ts * 1000;
    Sample first{"1-0:1.8.0", a, ms, 1};
    Sample second{"1-0:2.8.0", b, ms, 1};
    if (swapped) std::swap(first, second);
    c.samples.push_back(first);
    c.samples.push_back(second);
    return apply_state(s_, c, state_);
  };
  EXPECT_EQ(two(1, -900, 1000, 5000, false).action, Action::kAccept);
  const auto r = two(2, 0, 1010, 4000, true);
  EXPECT_EQ(r.reason, Reason::kRegisterDecrease);
  EXPECT_NE(r.detail.find("1-0:2.8.0 went from 5000 to 4000"), std::string::npos) << r.detail;
  EXPECT_EQ(state_.find_register("1-0:1.8.0")->value, 1010);
  EXPECT_EQ(state_.find_register("1-0:2.8.0")->value, 4000);
  EXPECT_EQ(state_.registers.size(), 2u);
}

TEST_F(Rules, RegisterDecreaseCanBeQuarantined) {
  s_.decrease_action = OnFail::kQuarantine;
  run(reading(kMeter, 1, ts_at(-900), 1000));
  const auto r = run(reading(kMeter, 2, ts_at(0), 10));
  EXPECT_EQ(r.action, Action::kQuarantine);
  EXPECT_EQ(r.reason, Reason::kRegisterDecrease);
}

TEST_F(Rules, PulseCountDecreaseIsFlagged) {
  const std::string topic = "mtr/v1/t1/1EMH0012345678/up/pulse";
  auto pulse = [](std::uint64_t seq, std::uint64_t count, const std::string& ts) {
    return R"({"v":1,"ch":1,"seq":)" + std::to_string(seq) + R"(,"ts":")" + ts + R"(","count":)" +
           std::to_string(count) + R"(,"wh_per_pulse":100,"boot":17})";
  };
  EXPECT_EQ(run(pulse(1, 1000, ts_at(-900)), topic).action, Action::kAccept);
  EXPECT_EQ(run(pulse(2, 1003, ts_at(0)), topic).action, Action::kAccept);
  EXPECT_EQ(run(pulse(3, 5, ts_at(60)), topic).reason, Reason::kRegisterDecrease);
}

TEST_F(Rules, ANewBootRestartsSeqAndRegistersWithoutAFlag) {
  const std::string topic = "mtr/v1/t1/1EMH0012345678/up/pulse";
  auto pulse = [](std::uint64_t seq, std::uint64_t count, int boot) {
    return R"({"v":1,"ch":1,"seq":)" + std::to_string(seq) +
           R"(,"ts":"2025-03-30T00:45:00Z","count":)" + std::to_string(count) +
           R"(,"wh_per_pulse":100,"boot":)" + std::to_string(boot) + "}";
  };
  run(pulse(500, 1000, 17), topic);
  const auto r = run(pulse(1, 3, 18), topic);  // seq and count start again
  EXPECT_EQ(r.action, Action::kAccept);
  EXPECT_EQ(r.reason, Reason::kNewBoot);
  EXPECT_EQ(state_.epoch, 0u);
}

TEST_F(Rules, IntervalEnergyAbovePmaxIsQuarantined) {
  // 43.5 kW for 15 min (plus one second of timestamp resolution) is 10887.08 Wh, plus 1 Wh of
  // register resolution.
  run(reading(kMeter, 1, ts_at(-1800), 1'000'000));
  EXPECT_EQ(run(reading(kMeter, 2, ts_at(-900), 1'010'888)).action, Action::kAccept);
  const auto r = run(reading(kMeter, 3, ts_at(0), 1'010'888 + 10'889));
  EXPECT_EQ(r.action, Action::kQuarantine);
  EXPECT_EQ(r.reason, Reason::kImplausible);
  EXPECT_NE(r.detail.find("1-0:1.8.0"), std::string::npos);
}

TEST_F(Rules, InstVoltageAndFrequencyBands) {
  const std::string topic = "mtr/v1/t1/1EMH0012345678/up/inst";
  const std::string ok =
      R"({"v":1,"seq":1,"ts":"2025-03-30T00:45:01.000Z","u":[230.1,229.8,231.0],"i":[5.21,0.40,1.10],"p":1420,"q":-120,"f":49.98})";
  EXPECT_EQ(check(topic, ok).action, Action::kAccept);
  std::string sag = ok;
  sag.replace(sag.find("229.8"), 5, "150.0");
  EXPECT_EQ(check(topic, sag).action, Action::kQuarantine);
  EXPECT_EQ(check(topic, sag).reason, Reason::kOutOfRange);
  std::string freq = ok;
  freq.replace(freq.find("49.98"), 5, "55.00");
  EXPECT_EQ(check(topic, freq).reason, Reason::kOutOfRange);
}

TEST_F(Rules, ProfileRowsAreCheckedAndCompared) {
  const std::string topic = "mtr/v1/t1/1EMH0012345678/up/profile";
  const std::string p =
      R"({"v":1,"meter":"1EMH0012345678","seq":48214,"period_s":900,"ts_conv":"end","obis":["1-0:1.8.0","1-0:2.8.0"],"unit":["Wh","Wh"],"rows":[["2025-03-30T00:15:00Z",12345200,4321,0],["2025-03-30T00:30:00Z",12345400,4321,0],["2025-03-30T00:45:00Z",12345678,4321,0]]})";
  const auto c = check(topic, p);
  EXPECT_EQ(c.action, Action::kAccept) << c.detail;
  EXPECT_EQ(c.samples.size(), 6u);
  EXPECT_EQ(apply_state(s_, c, state_).action, Action::kAccept);
  std::string wrong_unit = p;
  wrong_unit.replace(wrong_unit.find("[\"Wh\",\"Wh\"]"), 11, "[\"Wh\",\"W\"]");
  EXPECT_EQ(check(topic, wrong_unit).reason, Reason::kUnitInvalid);
  std::string short_row = p;
  short_row.replace(short_row.find(",4321,0]]"), 9, "]]");
  EXPECT_EQ(check(topic, short_row).reason, Reason::kFieldInvalid);
}

}  // namespace
}  // namespace gridmq::plugins::meter_validation
