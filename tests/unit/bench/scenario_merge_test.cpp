// Merging the results of the meter-shaped scenarios across worker processes, and their summaries.

#include <gtest/gtest.h>

#include "payload.hpp"
#include "report.hpp"

namespace gridmq::bench {
namespace {

/// A part as it comes back from a worker process (through JSON).
Result through_json(const Result& r) {
  return Result::from_json(nlohmann::json::parse(r.to_json().dump()));
}

Result burst_part(std::uint64_t meters, std::uint64_t acked, double last_done_ns) {
  Result r;
  r.scenario = "burst";
  r.params = {{"qos", 1}, {"window_s", 10.0}};
  r.add("connected", meters);
  r.add("sent", meters);
  r.add("acked", acked);
  r.set_max("last_done_ns", last_done_ns);
  r.histograms["puback_ns"].record_n(2000000, acked);  // 2 ms
  return through_json(r);
}

TEST(ScenarioMerge, BurstAcrossProcessesAndTheHeadEnd) {
  Result m;
  m.parts = 0;
  m.merge(burst_part(5000, 5000, 7e9));
  m.merge(burst_part(5000, 4998, 9e9));
  Result head;  // the coordinator's part: deliveries seen by the head-end subscriber
  head.parts = 0;
  head.add("received_unique", 9990);
  head.set_max("all_received_s", 10.5);
  head.histograms["e2e_ns"].record_n(3000000, 9990);
  m.merge(head);
  m.add("expected", m.counter("acked") * 1);
  m.set_max("all_acked_s", (m.maximum("last_done_ns") - 0.0) / 1e9);

  EXPECT_EQ(m.parts, 2);
  EXPECT_EQ(m.counter("sent"), 10000u);
  EXPECT_EQ(m.counter("acked"), 9998u);
  EXPECT_DOUBLE_EQ(m.maximum("last_done_ns"), 9e9);
  EXPECT_EQ(m.histogram("puback_ns")->count(), 9998u);
  const auto s = m.summary();
  EXPECT_EQ(s["meters"], 10000);
  EXPECT_EQ(s["losses"], 8);  // 9998 acknowledged, 9990 received
  EXPECT_EQ(s["unacked_at_end"], 2);
  EXPECT_DOUBLE_EQ(s["all_acked_s"].get<double>(), 9.0);
  EXPECT_DOUBLE_EQ(s["all_received_s"].get<double>(), 10.5);
  EXPECT_NEAR(s["puback_p50_us"].get<double>(), 2000, 2000 / 64.0);
  EXPECT_NEAR(s["e2e_p99_us"].get<double>(), 3000, 3000 / 64.0);
}

TEST(ScenarioMerge, StormCountsBacklogAgainstDeliveries) {
  Result m;
  m.parts = 0;
  for (int k = 0; k < 3; ++k) {
    Result w;
    w.scenario = "storm";
    w.params = {{"backlog", 10}};
    w.add("connected", 100);
    w.add("reconnected", k == 2 ? 99 : 100);
    w.add("received_unique", k == 2 ? 990 : 1000);
    w.add("sessions_lost", k == 2 ? 1 : 0);
    w.set_max("all_back_s", 1.0 + k);
    w.histograms["back_ns"].record_n(500000000, 100);
    m.merge(through_json(w));
  }
  Result coord;
  coord.parts = 0;
  coord.add("backlog_published", 3000);
  coord.add("backlog_acked", 3000);
  m.merge(coord);
  const auto s = m.summary();
  EXPECT_EQ(m.parts, 3);
  EXPECT_EQ(s["meters"], 300);
  EXPECT_EQ(s["reconnected"], 299);
  EXPECT_EQ(s["not_back"], 1);
  EXPECT_EQ(s["sessions_lost"], 1);
  EXPECT_EQ(s["losses"], 10);
  EXPECT_DOUBLE_EQ(s["all_back_s"].get<double>(), 3.0);
  EXPECT_EQ(s["back_count"], 300);
}

TEST(ScenarioMerge, BroadcastWithAcks) {
  Result m;
  m.parts = 0;
  for (int k = 0; k < 2; ++k) {
    Result w;
    w.scenario = "broadcast";
    w.params = {{"ack", true}};
    w.add("connected", 50);
    w.add("subscribed", 50);
    w.add("received_unique", k == 0 ? 50 : 49);
    m.merge(through_json(w));
  }
  Result coord;
  coord.parts = 0;
  coord.add("commands_published", 100);
  coord.add("acks_received", 97);
  coord.set_max("all_acks_s", 0.25);
  m.merge(coord);
  const auto s = m.summary();
  EXPECT_EQ(s["received_total"], 99);
  EXPECT_EQ(s["losses"], 1);
  EXPECT_EQ(s["acks_received"], 97);
  EXPECT_EQ(s["ack_losses"], 2);
  EXPECT_DOUBLE_EQ(s["all_acks_s"].get<double>(), 0.25);
}

TEST(ScenarioMerge, FanoutReportsDeliveredRateAndBrokerCpu) {
  Result r;
  r.scenario = "fanout";
  r.params = {{"qos", 0}};
  r.set_max("window_s", 2.0);
  r.add("published_in_window", 1000);
  r.add("received_in_window", 100000);
  r.add("subscribers_connected", 100);
  r.broker = {{"cpu_s", 0.5}};
  const auto s = r.summary();
  EXPECT_DOUBLE_EQ(s["delivered_msg_s"].get<double>(), 50000.0);
  EXPECT_EQ(s["subscribers"], 100);
  EXPECT_DOUBLE_EQ(s["broker_cpu_us_per_msg"].get<double>(), 500.0);
  EXPECT_DOUBLE_EQ(s["broker_cpu_us_per_delivery"].get<double>(), 5.0);
}

TEST(CommandPayloads, CarryTheStampsBack) {
  const std::string id = meter_id(1234);
  const auto cmd = command_payload(id, 7, 123456789);
  const auto r = parse_reading(cmd);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->meter_index, 1234u);
  EXPECT_EQ(r->seq, 7u);
  EXPECT_EQ(r->sent_ns, 123456789u);
  EXPECT_TRUE(nlohmann::json::accept(cmd));

  const auto group = command_payload("grp:bldg-17", 1, 42);
  EXPECT_FALSE(parse_reading(group));  // names no meter
  const auto st = parse_stamp(group);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->seq, 1u);
  EXPECT_EQ(st->sent_ns, 42u);
  EXPECT_EQ(nlohmann::json::parse(group)["target"]["group"], "bldg-17");

  const auto ack = ack_payload(id, 7, 99);
  EXPECT_TRUE(nlohmann::json::accept(ack));
  const auto a = parse_reading(ack);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->meter_index, 1234u);
  EXPECT_EQ(a->sent_ns, 99u);

  EXPECT_EQ(cmd_topic("t1", id), "mtr/v1/t1/" + id + "/cmd");
  EXPECT_EQ(ack_topic("t1", id), "mtr/v1/t1/" + id + "/cmd/ack");
  EXPECT_EQ(group_topic("t1", "g"), "ops/v1/t1/grp/g/cmd");
}

}  // namespace
}  // namespace gridmq::bench
