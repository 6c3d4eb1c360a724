// meter_validation through the plugin host: verdicts the broker acts on, state committed and
// restored through a Store, metrics, the rate-limited log, reload.

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "plugin_test_util.hpp"
#include "plugins/host.hpp"
#include "plugins/meter_validation/meter_state.hpp"
#include "plugins/meter_validation/meter_validation.hpp"

namespace gridmq::plugins {
namespace {

using meter_validation::Action;
using meter_validation::Reason;
using test::kNow;
using test::reading;
using test::ts_at;

const std::string kMeter = "1EMH0012345678";
const std::string kTopic = "mtr/v1/t1/1EMH0012345678/up/reading";
constexpr std::string_view kConfig =
    "[plugins.meter_validation]\nenabled = true\nlog_interval_s = 10\n";

class Host : public ::testing::Test {
 protected:
  Host() : store_(storage::make_memory_store()) {
    log_ = std::make_shared<spdlog::logger>(
        "t", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_text_));
    start();
  }

  void start(std::string_view toml = kConfig) {
    host_.reset();
    PluginHost::Options o;
    o.store = store_.get();
    o.log = log_.get();
    o.wall_clock = [this] { return now_; };
    const auto cfg = config::parse_config(toml, "gridmq.toml");
    host_ = PluginHost::create(builtin_registry(), cfg.plugins, o);
    ASSERT_NE(host_, nullptr);
  }

  // What the broker does: run the hooks, then commit the state with the message.
  PublishResult publish(const std::string& topic, const std::string& payload) {
    const ClientInfo client{kMeter, &meter_, protocol::Version::kV5};
    const protocol::Properties props;
    const PublishEvent e{client, topic, payload, 1, false, props, host_->wall_ms()};
    PublishResult r;
    host_->on_publish(e, r);
    if (!r.state.empty()) {
      storage::Batch copy = r.state;
      EXPECT_TRUE(store_->commit_sync(std::move(copy)).ok);
    }
    return r;
  }

  const meter_validation::MeterValidation& plugin() const {
    return *static_cast<const meter_validation::MeterValidation*>(host_->plugins().at(0));
  }

  std::int64_t now_ = kNow;
  std::unique_ptr<storage::Store> store_;
  std::ostringstream log_text_;
  std::shared_ptr<spdlog::logger> log_;
  auth::Principal meter_{kMeter, auth::Role::kMeter};
  std::unique_ptr<PluginHost> host_;
};

TEST_F(Host, AcceptedReadingWritesTheMeterStateInTheSameResult) {
  const auto r = publish(kTopic, reading(kMeter, 1, ts_at(0), 100));
  EXPECT_EQ(r.verdict, Verdict::kAccept);
  ASSERT_EQ(r.state.size(), 1u);
  const auto& c = r.state.changes()[0];
  EXPECT_EQ(c.op, storage::Batch::Op::kPutPlugin);
  EXPECT_EQ(storage::Batch::plugin_name(c), "meter_validation");
  EXPECT_EQ(storage::Batch::plugin_key(c), "t1/1EMH0012345678");
  meter_validation::MeterState st;
  ASSERT_TRUE(meter_validation::decode_state(c.value, st));
  EXPECT_EQ(st.seq[0].last, 1u);
  EXPECT_EQ(st.find_register("1-0:1.8.0")->value, 100);
}

TEST_F(Host, RejectCarriesTheReasonCodeAndString) {
  const auto r = publish(kTopic, "{not json");
  EXPECT_EQ(r.verdict, Verdict::kReject);
  EXPECT_EQ(r.reason, protocol::ReasonCode::kPayloadFormatInvalid);
  EXPECT_EQ(r.reason_string, "json_invalid: the payload is not a JSON object");
  EXPECT_TRUE(r.state.empty());
  EXPECT_EQ(plugin().stats().get("t1", Action::kReject, Reason::kJsonInvalid), 1u);
}

TEST_F(Host, StateSurvivesARestart) {
  publish(kTopic, reading(kMeter, 7, ts_at(-900), 5000));
  start();  // a new plugin instance on the same store
  EXPECT_EQ(plugin().meters_tracked(), 0u);
  const auto dup = publish(kTopic, reading(kMeter, 7, ts_at(-900), 5000));
  EXPECT_EQ(dup.verdict, Verdict::kDrop);
  const auto dec = publish(kTopic, reading(kMeter, 8, ts_at(0), 10));
  EXPECT_EQ(dec.verdict, Verdict::kAccept);
  ASSERT_TRUE(dec.payload.has_value());
  EXPECT_NE(dec.payload->find(R"("flags":["register_decrease"],"epoch":1)"), std::string::npos);
}

TEST_F(Host, WithoutAStoreNothingIsWritten) {
  store_.reset();
  host_.reset();
  PluginHost::Options o;
  o.log = log_.get();
  o.wall_clock = [this] { return now_; };
  host_ = PluginHost::create(builtin_registry(), config::parse_config(kConfig, "g").plugins, o);
  const ClientInfo client{kMeter, &meter_, protocol::Version::kV5};
  const protocol::Properties props;
  const std::string p = reading(kMeter, 1, ts_at(0), 1);
  const PublishEvent e{client, kTopic, p, 1, false, props, kNow};
  PublishResult r;
  host_->on_publish(e, r);
  EXPECT_EQ(r.verdict, Verdict::kAccept);
  EXPECT_TRUE(r.state.empty());
}

TEST_F(Host, TaggedPayloadStaysValidJson) {
  publish(kTopic, reading(kMeter, 1, ts_at(-900), 5000));
  const auto r = publish(kTopic, reading(kMeter, 2, ts_at(0), 10));
  ASSERT_TRUE(r.payload.has_value());
  const auto j = nlohmann::json::parse(*r.payload);
  EXPECT_EQ(j["flags"][0], "register_decrease");
  EXPECT_EQ(j["regs"][0]["val"], 10);
  ASSERT_EQ(r.user_properties.size(), 1u);
}

TEST_F(Host, QuarantineRedirectsWithTheReason) {
  publish(kTopic, reading(kMeter, 1, ts_at(-900), 0));
  const auto r = publish(kTopic, reading(kMeter, 2, ts_at(0), 50'000));  // 200 kW for 15 min
  EXPECT_EQ(r.verdict, Verdict::kRedirect);
  ASSERT_TRUE(r.topic.has_value());
  EXPECT_EQ(*r.topic, "quarantine/" + kTopic);
  const auto j = nlohmann::json::parse(*r.payload);
  EXPECT_EQ(j["reason"], "implausible");
  EXPECT_EQ(j["topic"], kTopic);
  EXPECT_EQ(j["msg"]["seq"], 2);
  EXPECT_EQ(plugin().stats().get("t1", Action::kQuarantine, Reason::kImplausible), 1u);
  EXPECT_FALSE(r.state.empty());  // the message was accepted: its seq counts
}

TEST_F(Host, MetricsCountPerTenantActionAndReason) {
  publish(kTopic, reading(kMeter, 1, ts_at(0), 1));
  publish(kTopic, reading(kMeter, 1, ts_at(0), 1));
  publish(kTopic, reading(kMeter, 2, ts_at(0), 1, "kWh"));
  const std::string m = host_->metrics();
  EXPECT_NE(m.find("# TYPE gridmq_plugin_meter_validation_messages_total counter"),
            std::string::npos);
  EXPECT_NE(
      m.find(
          R"(gridmq_plugin_meter_validation_messages_total{tenant="t1",action="accept",reason="accepted"} 1)"),
      std::string::npos)
      << m;
  EXPECT_NE(m.find(R"({tenant="t1",action="drop",reason="duplicate"} 1)"), std::string::npos);
  EXPECT_NE(m.find(R"({tenant="t1",action="reject",reason="unit_invalid"} 1)"), std::string::npos);
  EXPECT_NE(m.find("gridmq_plugin_meter_validation_meters 1"), std::string::npos);
}

TEST_F(Host, LogLinesAreRateLimitedPerReasonAndNameTheMeter) {
  for (int i = 0; i < 5; ++i) publish(kTopic, "{bad");
  const std::string first = log_text_.str();
  EXPECT_EQ(std::count(first.begin(), first.end(), '\n'), 1) << first;
  EXPECT_NE(first.find("meter '1EMH0012345678'"), std::string::npos);
  EXPECT_NE(first.find("json_invalid"), std::string::npos);
  now_ += 10'001;
  publish(kTopic, "{bad");
  const std::string both = log_text_.str();
  EXPECT_EQ(std::count(both.begin(), both.end(), '\n'), 2);
  EXPECT_NE(both.find("(4 similar line(s) suppressed)"), std::string::npos) << both;
}

TEST_F(Host, TheInjectedClockDecidesTimestampChecks) {
  const std::string p = reading(kMeter, 1, ts_at(600), 1);  // 10 min ahead of kNow
  EXPECT_EQ(publish(kTopic, p).verdict, Verdict::kReject);
  now_ += 600'000;
  EXPECT_EQ(publish(kTopic, p).verdict, Verdict::kAccept);
}

TEST_F(Host, ReloadSwapsTheSettings) {
  const std::string big = reading(kMeter, 1, ts_at(0), 1);
  EXPECT_EQ(publish(kTopic, big).verdict, Verdict::kAccept);
  const auto cfg = config::parse_config(
      "[plugins.meter_validation]\nenabled = true\nmax_payload_bytes = 20\n", "gridmq.toml");
  EXPECT_TRUE(host_->reload(cfg.plugins).empty());
  EXPECT_EQ(publish(kTopic, reading(kMeter, 2, ts_at(0), 1)).verdict, Verdict::kReject);
  const auto bad = config::parse_config(
      "[plugins.meter_validation]\nenabled = true\nmax_payload_bytes = 0\n", "gridmq.toml");
  const auto problems = host_->reload(bad.plugins);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("gridmq.toml:3"), std::string::npos);
}

TEST_F(Host, ReadingsThatFitTheMetersShapeStillGoThroughTheStateStep) {
  // After the first reading, the next ones of the same form are checked against its shape
  // (reading_shape.hpp) without a parse: duplicates, decreases and the state commit still apply.
  EXPECT_EQ(publish(kTopic, reading(kMeter, 1, ts_at(0), 500)).verdict, Verdict::kAccept);
  const PublishResult next = publish(kTopic, reading(kMeter, 2, ts_at(60), 510));
  EXPECT_EQ(next.verdict, Verdict::kAccept);
  EXPECT_EQ(next.state.size(), 1u);
  EXPECT_EQ(publish(kTopic, reading(kMeter, 2, ts_at(60), 510)).verdict, Verdict::kDrop);
  const PublishResult lower = publish(kTopic, reading(kMeter, 3, ts_at(120), 400));
  EXPECT_EQ(lower.verdict, Verdict::kAccept);
  ASSERT_TRUE(lower.payload.has_value());  // tagged: the register went down
  EXPECT_NE(lower.payload->find("register_decrease"), std::string::npos);
  // A ts the shape does not take (ahead of the clock) goes to the full check, which rejects it.
  EXPECT_EQ(publish(kTopic, reading(kMeter, 4, ts_at(600), 401)).verdict, Verdict::kReject);
  EXPECT_EQ(plugin().stats().total(Action::kReject, Reason::kTsFuture), 1u);
  EXPECT_EQ(plugin().stats().total(Action::kDrop, Reason::kDuplicate), 1u);
  // The state the shape's readings wrote is what a restart reads.
  start();
  EXPECT_EQ(publish(kTopic, reading(kMeter, 3, ts_at(120), 400)).verdict, Verdict::kDrop);
}

TEST_F(Host, AMeterWhoseReadingsKeepChangingFormGetsNewShapesOnlyNowAndThen) {
  // Form A, then B for good (a firmware update, say): B's shape is taken at its first reading.
  // Then A and B alternate: one shape stays (the other form's readings are checked in full),
  // renewed at every 64th miss only, as each capture costs about a full check.
  const auto a = [](std::uint64_t seq) {
    return reading(kMeter, seq, ts_at(0), static_cast<std::int64_t>(seq));
  };
  const auto b = [&](std::uint64_t seq) { return "{ " + a(seq).substr(1); };
  const auto counts = [&] {
    const auto n = plugin().shape_counts();
    return std::pair{n.fits, n.captures};
  };
  std::uint64_t seq = 0;
  for (int i = 0; i < 3; ++i) ASSERT_EQ(publish(kTopic, a(++seq)).verdict, Verdict::kAccept);
  EXPECT_EQ(counts(), std::pair(std::uint64_t{2}, std::uint64_t{1}));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(publish(kTopic, b(++seq)).verdict, Verdict::kAccept);
  EXPECT_EQ(counts(), std::pair(std::uint64_t{4}, std::uint64_t{2}));
  // Alternating: A's first reading is taken (B had fitted), then A stays until B's 64th miss.
  for (int i = 0; i < 70; ++i) {
    ASSERT_EQ(publish(kTopic, a(++seq)).verdict, Verdict::kAccept);
    ASSERT_EQ(publish(kTopic, b(++seq)).verdict, Verdict::kAccept);
  }
  // 140 readings: captures at A's first and at B's 64th miss; A fitted 63 times in between (all
  // its readings but the first), then B 6 times (after that capture B's readings fit, A's miss).
  EXPECT_EQ(counts(), std::pair(std::uint64_t{4 + 63 + 6}, std::uint64_t{4}));
  const std::string metrics = host_->metrics();
  EXPECT_NE(metrics.find("gridmq_plugin_meter_validation_shape_fits_total 73"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("gridmq_plugin_meter_validation_shape_captures_total 4"),
            std::string::npos);
}

TEST_F(Host, AfterAReloadTheNextReadingIsCheckedUnderTheNewRules) {
  EXPECT_EQ(publish(kTopic, reading(kMeter, 1, ts_at(0), 500)).verdict, Verdict::kAccept);
  EXPECT_EQ(publish(kTopic, reading(kMeter, 2, ts_at(0), 501)).verdict, Verdict::kAccept);
  const auto cfg = config::parse_config(
      "[plugins.meter_validation]\nenabled = true\n"
      "[plugins.meter_validation.units]\nenergy = [\"kWh\"]\n",
      "gridmq.toml");
  ASSERT_TRUE(host_->reload(cfg.plugins).empty());
  // The same form as the shape, but Wh is no longer allowed for an energy register.
  const PublishResult r = publish(kTopic, reading(kMeter, 3, ts_at(0), 502));
  EXPECT_EQ(r.verdict, Verdict::kReject);
  EXPECT_NE(r.reason_string.find("unit"), std::string::npos) << r.reason_string;
}

TEST_F(Host, StateRecordsRoundTripAndCorruptOnesAreRefused) {
  meter_validation::MeterState s;
  s.boot = 17;
  s.epoch = 3;
  meter_validation::check_and_record_seq(s.seq[2], 55);
  meter_validation::check_and_record_seq(s.seq[2], 57);
  s.registers.push_back({"1-0:1.8.0", 123456789, kNow});
  s.registers.push_back({"pulse:1", 42, kNow - 1});
  const std::string bytes = meter_validation::encode_state(s);
  meter_validation::MeterState back;
  ASSERT_TRUE(meter_validation::decode_state(bytes, back));
  EXPECT_EQ(back.boot, 17);
  EXPECT_EQ(back.epoch, 3u);
  EXPECT_EQ(back.seq[2].last, 57u);
  EXPECT_EQ(back.seq[2].window, s.seq[2].window);
  ASSERT_EQ(back.registers.size(), 2u);
  EXPECT_EQ(back.registers[1].key, "pulse:1");
  EXPECT_FALSE(meter_validation::decode_state(bytes.substr(0, bytes.size() - 1), back));
  EXPECT_FALSE(meter_validation::decode_state("\x03" + bytes.substr(1), back));
  // A corrupt record in the store: the meter starts afresh and the error is counted.
  storage::Batch b;
  b.put_plugin("meter_validation", "t1/1EMH0012345678", "garbage");
  ASSERT_TRUE(store_->commit_sync(std::move(b)).ok);
  EXPECT_EQ(publish(kTopic, reading(kMeter, 1, ts_at(0), 1)).verdict, Verdict::kAccept);
  EXPECT_NE(host_->metrics().find("gridmq_plugin_meter_validation_state_errors_total 1"),
            std::string::npos);
}

// Version 2, byte by byte: varints, zigzag, only the kinds that have a seq, the window inverted.
TEST(MeterStateFormat, VersionTwoBytesAreAsDocumented) {
  meter_validation::MeterState s;
  s.boot = -1;
  s.epoch = 300;
  s.seq[0] = {true, 5, ~std::uint64_t{0}};  // every one of the 64 seqs before 5 seen: ~window 0
  s.seq[2] = {true, 200, 0x1};
  s.registers.push_back({"1-0:1.8.0", -2, 64});
  s.registers.push_back({"pulse:1", 5, 64});
  s.registers.push_back({"pulse:2", 0, 60});
  std::string expected = std::string("\x02\x01\xAC\x02\x05", 5);  // v2, z(-1), 300, kinds
  expected += std::string("\x05\x00", 2);                         // reading: 5, ~window 0
  expected += std::string("\xC8\x01\xFE\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01", 12);  // pulse
  expected += "\x03";                                                               // 3 registers
  expected +=
      "\x09"
      "1-0:1.8.0" +
      std::string("\x03\x80\x01", 3);  // z(-2), z(64 - 0)
  expected +=
      "\x07"
      "pulse:1" +
      std::string("\x0A\x00", 2);  // z(5), the same ts: delta 0
  expected +=
      "\x07"
      "pulse:2" +
      std::string("\x00\x07", 2);  // z(0), delta -4
  EXPECT_EQ(meter_validation::encode_state(s), expected);
  meter_validation::MeterState back;
  ASSERT_TRUE(meter_validation::decode_state(expected, back));
  EXPECT_EQ(back.boot, -1);
  EXPECT_EQ(back.epoch, 300u);
  EXPECT_TRUE(back.seq[0].has);
  EXPECT_EQ(back.seq[0].window, ~std::uint64_t{0});
  EXPECT_FALSE(back.seq[1].has);
  EXPECT_EQ(back.seq[2].last, 200u);
  EXPECT_EQ(back.seq[2].window, 0x1u);
  ASSERT_EQ(back.registers.size(), 3u);
  EXPECT_EQ(back.registers[0].value, -2);
  EXPECT_EQ(back.registers[0].ts_ms, 64);
  EXPECT_EQ(back.registers[1].ts_ms, 64);
  EXPECT_EQ(back.registers[2].key, "pulse:2");
  EXPECT_EQ(back.registers[2].ts_ms, 60);
}

TEST(MeterStateFormat, MalformedVersionTwoValuesAreRefused) {
  meter_validation::MeterState back;
  const auto refused = [&](const std::string& bytes) {
    return !meter_validation::decode_state(bytes, back);
  };
  EXPECT_TRUE(refused(std::string("\x02\x01\x00\x00\x00\x00", 6)));  // a trailing byte
  EXPECT_TRUE(refused(std::string("\x02\x01\x00\x20\x00", 5)));      // a kind bit beyond the kinds
  EXPECT_TRUE(refused(std::string("\x02\x01\x00\x00", 4)));          // no register count
  // A varint of 11 bytes (more than 64 bits) as the boot counter.
  EXPECT_TRUE(refused("\x02" + std::string(10, '\xFF') + std::string("\x01\x00\x00\x00", 4)));
  // An epoch above 32 bits.
  EXPECT_TRUE(refused(std::string("\x02\x01\x80\x80\x80\x80\x10\x00\x00", 9)));
  // More registers than the state keeps (256).
  EXPECT_TRUE(refused(std::string("\x02\x01\x00\x00\x80\x02", 6)));
  EXPECT_FALSE(refused(std::string("\x02\x01\x00\x00\x00", 5)));  // the empty state
}

// A version-1 record as brokers before 2026-12-07 wrote it: fixed-width little-endian fields, the
// reading kind's seq state only, and registers of (key, value, ts).
std::string v1_record(std::int64_t boot, std::uint32_t epoch, std::uint64_t last,
                      std::uint64_t window,
                      const std::vector<meter_validation::RegisterState>& registers) {
  const auto le = [](auto v) { return std::string(reinterpret_cast<const char*>(&v), sizeof v); };
  std::string v1 = "\x01" + le(boot) + le(epoch);
  v1 += "\x01" + le(last) + le(window);
  for (int k = 1; k < 5; ++k)
    v1 += std::string(1, '\0') + le(std::uint64_t{0}) + le(std::uint64_t{0});
  v1 += le(static_cast<std::uint16_t>(registers.size()));
  for (const auto& r : registers) {
    v1 += static_cast<char>(r.key.size()) + r.key + le(r.value) + le(r.ts_ms);
  }
  return v1;
}

// The fixed-width version 1 (written by brokers before 2026-12-07) still decodes.
TEST(MeterStateFormat, VersionOneValuesStillDecode) {
  const std::string v1 = v1_record(4, 2, 9, 0x3, {{"pulse:1", 42, 1000}});
  meter_validation::MeterState back;
  ASSERT_TRUE(meter_validation::decode_state(v1, back));
  EXPECT_EQ(back.boot, 4);
  EXPECT_EQ(back.epoch, 2u);
  EXPECT_EQ(back.seq[0].last, 9u);
  EXPECT_EQ(back.seq[0].window, 0x3u);
  EXPECT_FALSE(back.seq[1].has);
  ASSERT_EQ(back.registers.size(), 1u);
  EXPECT_EQ(back.registers[0].key, "pulse:1");
  EXPECT_EQ(back.registers[0].value, 42);
  EXPECT_EQ(back.registers[0].ts_ms, 1000);
  EXPECT_FALSE(meter_validation::decode_state(v1 + "x", back));
}

TEST_F(Host, TheStateOfATypicalReadingIsUnderOneHundredBytes) {
  const auto r = publish(kTopic, test::example_reading());
  ASSERT_EQ(r.state.size(), 1u);
  EXPECT_EQ(r.state.changes()[0].value[0], '\x02');
  EXPECT_LE(r.state.changes()[0].value.size(), 100u) << "the layout grew";
}

std::string stored(storage::Store& store, std::string_view key) {
  std::string value;
  bool found = false;
  EXPECT_TRUE(store.get_plugin(meter_validation::kName, key, value, found).ok);
  return found ? value : "<none>";
}

TEST_F(Host, TheFormatMarkerIsWrittenAndAnUnknownOneStopsTheStart) {
  EXPECT_EQ(stored(*store_, meter_validation::kFormatKey), "2");
  storage::Batch b;
  b.put_plugin(meter_validation::kName, meter_validation::kFormatKey, "3");
  ASSERT_TRUE(store_->commit_sync(std::move(b)).ok);
  try {
    start();
    FAIL() << "a store of format 3 was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("format '3'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(stored(*store_, meter_validation::kFormatKey), "3");  // left as it was
}

// A store written by a format-1 broker: its states are read, the marker becomes 2, and a meter's
// next state is written in version 2.
TEST_F(Host, AFormatOneStoreIsReadAndUpgraded) {
  host_.reset();
  const std::string v1 = v1_record(-1, 0, 7, 0, {});
  storage::Batch b;
  b.put_plugin(meter_validation::kName, meter_validation::kFormatKey, "1");
  b.put_plugin(meter_validation::kName, "t1/" + kMeter, v1);
  ASSERT_TRUE(store_->commit_sync(std::move(b)).ok);
  start();
  EXPECT_EQ(stored(*store_, meter_validation::kFormatKey), "2");
  EXPECT_EQ(publish(kTopic, reading(kMeter, 7, ts_at(0), 5)).verdict, Verdict::kDrop);
  EXPECT_EQ(publish(kTopic, reading(kMeter, 8, ts_at(0), 5)).verdict, Verdict::kAccept);
  EXPECT_EQ(stored(*store_, "t1/" + kMeter).front(), '\x02');
}

}  // namespace
}  // namespace gridmq::plugins
