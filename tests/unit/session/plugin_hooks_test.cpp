// The broker's side of the plugin hooks (plugins/plugin.hpp): what ConnectionHandler does with
// each on_publish verdict in 3.1.1 and 5.0, plugin state in the message's own commit, and the
// connect / subscribe / delivered / disconnect call sites.

#include <gtest/gtest.h>

#include "harness.hpp"
#include "plugins/host.hpp"
#include "storage/store.hpp"

namespace gridmq::session::test {
namespace {

using protocol::Publish;
using protocol::PubResponse;
using protocol::ReasonCode;
using protocol::Suback;

/// Reacts to the payload: "reject", "drop", "redirect", "state"; anything else is accepted.
class ScriptedPlugin : public plugins::Plugin {
 public:
  std::string_view name() const override { return "scripted"; }
  void validate(const config::PluginSection&) const override {}
  void init(const plugins::InitContext&) override {}
  Hooks hooks() const override { return {true, true, true, true, true, false}; }
  void on_connect(const plugins::ConnectEvent& e) override {
    connects.push_back(std::string(e.client.client_id));
  }
  void on_disconnect(const plugins::DisconnectEvent& e) override {
    disconnects.push_back(std::string(e.client.client_id));
  }
  void on_subscribe(const plugins::SubscribeEvent& e, plugins::SubscribeResult& r) override {
    if (e.filter.starts_with("deny/")) {
      r.allow = false;
      r.reason = ReasonCode::kQuotaExceeded;
    }
  }
  void on_delivered(const plugins::DeliveredEvent& e) override {
    delivered.push_back(std::string(e.topic));
  }
  void on_publish(const plugins::PublishEvent& e, plugins::PublishResult& r) override {
    publishers.push_back(std::string(e.client.client_id));
    versions.push_back(e.client.version);
    if (e.payload == "reject") {
      r.reject(ReasonCode::kPayloadFormatInvalid, "no: " + std::string(e.topic));
    } else if (e.payload == "drop") {
      r.verdict = plugins::Verdict::kDrop;
    } else if (e.payload == "redirect") {
      r.verdict = plugins::Verdict::kRedirect;
      r.topic = "q/" + std::string(e.topic);
      r.payload = "moved";
    } else if (e.payload == "state") {
      r.put_state("k", std::string(e.topic));
      r.emit.push_back({"alerts/x", "extra", 0, false, {}});
    }
  }
  std::vector<std::string> connects, disconnects, delivered, publishers;
  std::vector<protocol::Version> versions;
};

/// Commits at once and keeps every batch.
class RecordingStore : public storage::Store {
 public:
  storage::Status load(storage::Snapshot&, std::vector<std::string>&) override { return {}; }
  void commit(storage::Batch batch, std::function<void(const storage::Status&)> done) override {
    batches.push_back(std::move(batch));
    if (done) done(storage::Status::success());
  }
  storage::Status commit_sync(storage::Batch b) override {
    batches.push_back(std::move(b));
    return {};
  }
  storage::Status get_plugin(std::string_view, std::string_view, std::string&,
                             bool& found) override {
    found = false;
    return {};
  }
  void close() override {}
  std::vector<storage::Batch> batches;
};

class PluginHooks : public ::testing::Test {
 protected:
  void SetUp() override {
    core = std::make_unique<BrokerCore>(cfg, auth::Acl::allow_all(), &store);
    auto p = std::make_unique<ScriptedPlugin>();
    plugin = p.get();
    plugins::PluginHost::Options o;
    host = std::make_unique<plugins::PluginHost>(o);
    config::PluginSection section;
    section.name = "scripted";
    section.enabled = true;
    host->add(std::move(p), section);
    core->set_plugins(host.get());
  }
  config::BrokerConfig cfg;
  RecordingStore store;
  Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);
  std::unique_ptr<BrokerCore> core;
  std::unique_ptr<plugins::PluginHost> host;
  ScriptedPlugin* plugin = nullptr;
};

TEST_F(PluginHooks, RejectGivesTheReasonCodeAndStringInV5AndRoutesNothing) {
  Client sub(*core, t0), pub(*core, t0);
  sub.connect("sub", t0);
  sub.subscribe("#", 1, t0);
  sub.received();
  pub.connect("pub", t0);
  pub.publish("a/b", "reject", 1, 7, t0);
  const auto acks = only<PubResponse>(pub.received());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].packet_id, 7);
  EXPECT_EQ(acks[0].reason, ReasonCode::kPayloadFormatInvalid);
  EXPECT_EQ(acks[0].props.reason_string, "no: a/b");
  pub.publish("a/b", "reject", 2, 8, t0);  // QoS 2: PUBREC with the code ends the flow
  const auto recs = only<PubResponse>(pub.received());
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].type, protocol::PacketType::kPubrec);
  EXPECT_EQ(recs[0].reason, ReasonCode::kPayloadFormatInvalid);
  sub.handler().on_wake(t0);
  EXPECT_TRUE(only<Publish>(sub.received()).empty());
}

TEST_F(PluginHooks, ReasonStringIsLeftOutWhenTheAckWouldBeTooLarge) {
  Client pub(*core, t0);
  protocol::Properties small;
  small.maximum_packet_size = 16;
  pub.connect("pub", t0, true, small);
  pub.publish("a/b", "reject", 1, 7, t0);
  const auto acks = only<PubResponse>(pub.received());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason, ReasonCode::kPayloadFormatInvalid);
  EXPECT_FALSE(acks[0].props.reason_string.has_value());
}

TEST_F(PluginHooks, NoReasonStringWithoutRequestProblemInformation) {
  Client pub(*core, t0);
  protocol::Properties quiet;
  quiet.request_problem_information = 0;
  pub.connect("pub", t0, true, quiet);
  pub.publish("a/b", "reject", 1, 7, t0);
  const auto acks = only<PubResponse>(pub.received());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason, ReasonCode::kPayloadFormatInvalid);
  EXPECT_FALSE(acks[0].props.reason_string.has_value());
}

TEST_F(PluginHooks, RejectIn311IsDroppedWithANormalAck) {
  Client sub(*core, t0), pub(*core, t0, protocol::Version::kV311);
  sub.connect("sub", t0);
  sub.subscribe("#", 1, t0);
  sub.received();
  pub.connect("pub", t0);
  pub.publish("a/b", "reject", 1, 7, t0);
  const auto acks = only<PubResponse>(pub.received());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason, ReasonCode::kSuccess);
  sub.handler().on_wake(t0);
  EXPECT_TRUE(only<Publish>(sub.received()).empty());
}

TEST_F(PluginHooks, DropIsAcknowledgedWithSuccessNotRouted) {
  Client sub(*core, t0), pub(*core, t0);
  sub.connect("sub", t0);
  sub.subscribe("#", 1, t0);
  sub.received();
  pub.connect("pub", t0);
  pub.publish("a/b", "drop", 1, 3, t0);
  const auto acks = only<PubResponse>(pub.received());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason, ReasonCode::kSuccess);  // not "no matching subscribers"
  sub.handler().on_wake(t0);
  EXPECT_TRUE(only<Publish>(sub.received()).empty());
}

TEST_F(PluginHooks, RedirectRoutesToTheNewTopic) {
  Client sub(*core, t0), pub(*core, t0);
  sub.connect("sub", t0);
  sub.subscribe("#", 0, t0);
  sub.received();
  pub.connect("pub", t0);
  pub.publish("a/b", "redirect", 0, 0, t0);
  sub.handler().on_wake(t0);
  const auto got = only<Publish>(sub.received());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].topic, "q/a/b");
  EXPECT_EQ(got[0].payload, "moved");
}

TEST_F(PluginHooks, StateIsCommittedInTheMessagesBatchBeforeThePuback) {
  Client pub(*core, t0);
  pub.connect("pub", t0);
  store.batches.clear();
  pub.publish("a/b", "state", 1, 9, t0);
  ASSERT_EQ(only<PubResponse>(pub.received()).size(), 1u);
  // No subscriber: the message itself needs nothing stored, the plugin state alone is committed
  // (and the PUBACK waited for it: RecordingStore runs `done` inside commit()).
  std::size_t puts = 0;
  for (const auto& b : store.batches) {
    for (const auto& c : b.changes()) {
      if (c.op == storage::Batch::Op::kPutPlugin) {
        ++puts;
        EXPECT_EQ(storage::Batch::plugin_name(c), "scripted");
        EXPECT_EQ(storage::Batch::plugin_key(c), "k");
        EXPECT_EQ(c.value, "a/b");
      }
    }
  }
  EXPECT_EQ(puts, 1u);
}

TEST_F(PluginHooks, StateJoinsTheBatchOfADurableMessage) {
  protocol::Properties keep;
  keep.session_expiry_interval = 3600;
  Client sub(*core, t0), pub(*core, t0);
  sub.connect("sub", t0, false, keep);
  sub.subscribe("a/#", 1, t0);
  pub.connect("pub", t0);
  store.batches.clear();
  pub.publish("a/b", "state", 1, 9, t0);
  pub.received();
  ASSERT_FALSE(store.batches.empty());
  bool together = false;
  for (const auto& b : store.batches) {
    bool plugin = false, queue = false;
    for (const auto& c : b.changes()) {
      plugin = plugin || c.op == storage::Batch::Op::kPutPlugin;
      queue = queue || c.op == storage::Batch::Op::kPutQueueEntry;
    }
    together = together || (plugin && queue);
  }
  EXPECT_TRUE(together) << "the plugin state and the queue entry are not in one commit";
}

TEST_F(PluginHooks, EmittedMessagesArePublished) {
  Client sub(*core, t0), pub(*core, t0);
  sub.connect("sub", t0);
  sub.subscribe("alerts/#", 0, t0);
  sub.received();
  pub.connect("pub", t0);
  pub.publish("a/b", "state", 0, 0, t0);
  sub.handler().on_wake(t0);
  const auto got = only<Publish>(sub.received());
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].payload, "extra");
}

TEST_F(PluginHooks, ConnectSubscribeDeliveredDisconnect) {
  Client sub(*core, t0), pub(*core, t0);
  sub.connect("sub", t0);
  EXPECT_EQ(plugin->connects, std::vector<std::string>{"sub"});
  protocol::Subscribe s;
  s.packet_id = 4;
  s.entries.push_back({"deny/x", 1, false, false, 0});
  s.entries.push_back({"ok/#", 1, false, false, 0});
  sub.send(s, t0);
  const auto subacks = only<Suback>(sub.received());
  ASSERT_EQ(subacks.size(), 1u);
  ASSERT_EQ(subacks[0].reasons.size(), 2u);
  EXPECT_EQ(subacks[0].reasons[0], ReasonCode::kQuotaExceeded);
  EXPECT_EQ(subacks[0].reasons[1], ReasonCode::kGrantedQos1);
  pub.connect("pub", t0);
  pub.publish("ok/1", "m", 1, 1, t0);
  sub.handler().on_wake(t0);
  const auto got = only<Publish>(sub.received());
  ASSERT_EQ(got.size(), 1u);
  sub.send(PubResponse{protocol::PacketType::kPuback, got[0].packet_id, ReasonCode::kSuccess, {}},
           t0);
  EXPECT_EQ(plugin->delivered, std::vector<std::string>{"ok/1"});
  sub.handler().on_transport_closed(t0);
  EXPECT_EQ(plugin->disconnects, std::vector<std::string>{"sub"});
}

protocol::Will will_of(std::string payload, std::uint32_t delay_s = 0) {
  protocol::Will w;
  w.topic = "w/m1";
  w.payload = std::move(payload);
  w.qos = 1;
  if (delay_s > 0) w.props.will_delay_interval = delay_s;
  return w;
}

TEST_F(PluginHooks, AWillPassesThePublishHooksAsAPublishOfItsClient) {
  Client sub(*core, t0), meter(*core, t0, protocol::Version::kV311), other(*core, t0);
  sub.connect("sub", t0);
  sub.subscribe("#", 1, t0);
  sub.received();
  meter.connect("m1", t0, true, {}, 0, will_of("redirect"));
  other.connect("m2", t0, true, {}, 0, will_of("reject"));
  EXPECT_TRUE(plugin->publishers.empty()) << "a will is judged when it is published";
  meter.handler().on_transport_closed(t0);
  other.handler().on_transport_closed(t0);
  EXPECT_EQ(plugin->publishers, (std::vector<std::string>{"m1", "m2"}));
  EXPECT_EQ(plugin->versions,
            (std::vector<protocol::Version>{protocol::Version::kV311, protocol::Version::kV5}));
  sub.handler().on_wake(t0);
  const auto got = only<Publish>(sub.received());
  ASSERT_EQ(got.size(), 1u) << "the rejected will was published";
  EXPECT_EQ(got[0].topic, "q/w/m1");
  EXPECT_EQ(got[0].payload, "moved");
}

TEST_F(PluginHooks, ADroppedWillIsNotPublished) {
  Client sub(*core, t0), meter(*core, t0);
  sub.connect("sub", t0);
  sub.subscribe("#", 1, t0);
  sub.received();
  meter.connect("m1", t0, true, {}, 0, will_of("drop"));
  meter.handler().on_transport_closed(t0);
  EXPECT_EQ(plugin->publishers, std::vector<std::string>{"m1"});
  sub.handler().on_wake(t0);
  EXPECT_TRUE(only<Publish>(sub.received()).empty());
}

TEST_F(PluginHooks, ADelayedWillIsJudgedWhenItFallsDueWithItsStateInItsCommit) {
  Client meter(*core, t0);
  protocol::Properties keep;
  keep.session_expiry_interval = 60;
  meter.connect("m1", t0, true, keep, 0, will_of("state", 5));
  meter.handler().on_transport_closed(t0);
  core->tick(t0 + std::chrono::seconds(2));
  EXPECT_TRUE(plugin->publishers.empty()) << "judged before it fell due";
  store.batches.clear();
  core->tick(t0 + std::chrono::seconds(6));
  EXPECT_EQ(plugin->publishers, (std::vector<std::string>{"m1"}));
  std::size_t puts = 0;
  for (const auto& b : store.batches) {
    for (const auto& c : b.changes()) {
      if (c.op != storage::Batch::Op::kPutPlugin) continue;
      ++puts;
      EXPECT_EQ(storage::Batch::plugin_key(c), "k");
      EXPECT_EQ(c.value, "w/m1");
    }
  }
  EXPECT_EQ(puts, 1u);
}

}  // namespace
}  // namespace gridmq::session::test
