// The session layer's side of the durability contract (design.md §2.3), against a store whose
// commits complete only when the test says so.

#include <gtest/gtest.h>

#include "harness.hpp"
#include "storage/store.hpp"

namespace gridmq::session::test {
namespace {

using protocol::PacketType;
using protocol::Properties;
using protocol::Publish;
using protocol::PubResponse;
using protocol::ReasonCode;

/// Holds every commit until release() (the test plays the writer thread).
class HeldStore : public storage::Store {
 public:
  storage::Status load(storage::Snapshot&, std::vector<std::string>&) override { return {}; }
  void commit(storage::Batch batch, std::function<void(const storage::Status&)> done) override {
    held.push_back({std::move(batch), std::move(done)});
  }
  storage::Status commit_sync(storage::Batch) override { return {}; }
  storage::Status get_plugin(std::string_view, std::string_view, std::string&,
                             bool& found) override {
    found = false;
    return {};
  }
  void close() override {}

  /// Completes every held commit with `status`, in order.
  void release(storage::Status status = {}) {
    auto all = std::move(held);
    held.clear();
    for (auto& [batch, done] : all) {
      committed.push_back(std::move(batch));
      if (done) done(status);
    }
  }
  std::size_t count(storage::Batch::Op op) const {
    std::size_t n = 0;
    for (const auto& b : committed) {
      for (const auto& c : b.changes()) n += c.op == op;
    }
    return n;
  }

  std::vector<std::pair<storage::Batch, std::function<void(const storage::Status&)>>> held;
  std::vector<storage::Batch> committed;
};

class DurabilityTest : public ::testing::Test {
 protected:
  config::BrokerConfig cfg;
  HeldStore store;
  Clock::time_point t0 = Clock::time_point{} + std::chrono::hours(1);
  std::unique_ptr<BrokerCore> core;
  Properties keep;
  void SetUp() override {
    core = std::make_unique<BrokerCore>(cfg, auth::Acl::allow_all(), &store);
    keep.session_expiry_interval = 3600;
  }
};

TEST_F(DurabilityTest, PubackOnlyAfterTheCommit) {
  Client sub(*core, t0), pub(*core, t0);
  sub.connect("sub", t0, false, keep);
  sub.subscribe("t", 1, t0);
  store.release();
  sub.received();
  pub.connect("pub", t0);
  pub.publish("t", "m", 1, 5, t0);
  EXPECT_TRUE(only<PubResponse>(pub.received()).empty()) << "PUBACK before the commit";
  store.release();
  auto acks = only<PubResponse>(pub.received());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].packet_id, 5);
  EXPECT_EQ(store.count(storage::Batch::Op::kPutQueueEntry), 1u);
  EXPECT_EQ(store.count(storage::Batch::Op::kPutMessage), 1u);
}

TEST_F(DurabilityTest, FailedCommitIsNotAcknowledgedAsSuccess) {
  Client sub(*core, t0), pub(*core, t0);
  sub.connect("sub", t0, false, keep);
  sub.subscribe("t", 1, t0);
  store.release();
  pub.connect("pub", t0);
  pub.publish("t", "m", 1, 5, t0);
  store.release(storage::Status::failure("disk full"));
  auto acks = only<PubResponse>(pub.received());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason, ReasonCode::kUnspecifiedError);
}

TEST_F(DurabilityTest, AcksKeepThePublishOrder) {
  Client sub(*core, t0), pub(*core, t0);
  sub.connect("sub", t0, false, keep);
  sub.subscribe("durable", 1, t0);
  store.release();
  pub.connect("pub", t0);
  pub.publish("durable", "1", 1, 1, t0);  // needs a commit
  pub.publish("nobody", "2", 1, 2, t0);   // needs none, but must not overtake the first
  EXPECT_TRUE(only<PubResponse>(pub.received()).empty());
  store.release();
  auto acks = only<PubResponse>(pub.received());
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0].packet_id, 1);
  EXPECT_EQ(acks[1].packet_id, 2);
}

TEST_F(DurabilityTest, SubscriberAckDeletesTheEntryAndTheLastOneTheBody) {
  Client a(*core, t0), b(*core, t0), pub(*core, t0);
  a.connect("a", t0, false, keep);
  b.connect("b", t0, false, keep);
  a.subscribe("t", 1, t0);
  b.subscribe("t", 1, t0);
  store.release();
  a.received();
  b.received();
  pub.connect("pub", t0);
  pub.publish("t", "m", 1, 1, t0);
  store.release();
  a.handler().on_wake(t0);
  b.handler().on_wake(t0);
  auto pa = only<Publish>(a.received());
  auto pb = only<Publish>(b.received());
  ASSERT_EQ(pa.size(), 1u);
  ASSERT_EQ(pb.size(), 1u);
  a.send(PubResponse{PacketType::kPuback, pa[0].packet_id, ReasonCode::kSuccess, {}}, t0);
  store.release();
  EXPECT_EQ(store.count(storage::Batch::Op::kDeleteQueueEntry), 1u);
  EXPECT_EQ(store.count(storage::Batch::Op::kDeleteMessage), 0u);
  b.send(PubResponse{PacketType::kPuback, pb[0].packet_id, ReasonCode::kSuccess, {}}, t0);
  store.release();
  EXPECT_EQ(store.count(storage::Batch::Op::kDeleteQueueEntry), 2u);
  EXPECT_EQ(store.count(storage::Batch::Op::kDeleteMessage), 1u);
}

TEST_F(DurabilityTest, SubackAfterTheSessionRecordIsDurable) {
  Client c(*core, t0);
  c.connect("c", t0, false, keep);
  store.release();
  c.received();
  c.subscribe("x/#", 1, t0);
  EXPECT_TRUE(only<protocol::Suback>(c.received()).empty());
  store.release();
  EXPECT_EQ(only<protocol::Suback>(c.received()).size(), 1u);
}

TEST_F(DurabilityTest, CleanSessionsStoreNoQueueEntries) {
  Client sub(*core, t0), pub(*core, t0);
  sub.connect("sub", t0);  // expiry 0: nothing to keep
  sub.subscribe("t", 1, t0);
  pub.connect("pub", t0);
  pub.publish("t", "m", 1, 1, t0);
  EXPECT_EQ(only<PubResponse>(pub.received()).size(), 1u) << "nothing to wait for";
  store.release();
  EXPECT_EQ(store.count(storage::Batch::Op::kPutQueueEntry), 0u);
}

TEST_F(DurabilityTest, RestoreRebuildsQueuesSubscriptionsAndRetained) {
  storage::Snapshot snap;
  storage::StoredSession s;
  s.client_id = "meter";
  s.expiry_interval = 0xFFFFFFFFu;
  s.subscriptions.push_back({"cmd/#", 1, false, false, 0, 0});
  snap.sessions.push_back(s);
  storage::StoredMessage body;
  body.id = 41;
  body.topic = "cmd/x";
  body.payload = "queued";
  body.qos = 1;
  snap.messages.push_back(body);
  storage::QueueEntry e;
  e.seq = 7;
  e.message = 41;
  e.qos = 1;
  snap.queues.push_back({"meter", {e}});
  storage::StoredMessage ret;
  ret.id = 3;
  ret.topic = "state/x";
  ret.payload = "on";
  ret.retain = true;
  snap.retained.push_back(ret);
  snap.max_message_id = 41;
  core->restore(snap, t0);

  Client c(*core, t0);
  EXPECT_TRUE(c.connect("meter", t0, false, keep) == protocol::Connack{}) << "before the commit";
  store.release();
  auto got = c.received();
  auto acks = only<protocol::Connack>(got);
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_TRUE(acks[0].session_present);
  auto pubs = only<Publish>(got);
  ASSERT_EQ(pubs.size(), 1u);
  EXPECT_EQ(pubs[0].payload, "queued");
  // The restored subscription routes new messages; new ids continue after the stored ones.
  Client pub(*core, t0);
  pub.connect("pub", t0);
  pub.publish("cmd/y", "live", 1, 1, t0);
  store.release();
  c.handler().on_wake(t0);
  auto live = only<Publish>(c.received());
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].payload, "live");
  for (const auto& b : store.committed) {
    for (const auto& ch : b.changes()) {
      if (ch.op == storage::Batch::Op::kPutMessage) {
        EXPECT_GT(ch.message.id, 41u);
      }
    }
  }
  c.subscribe("state/#", 0, t0);
  store.release();
  auto retained = only<Publish>(c.received());
  ASSERT_EQ(retained.size(), 1u);
  EXPECT_EQ(retained[0].payload, "on");
  EXPECT_TRUE(retained[0].retain);
}

TEST_F(DurabilityTest, ConnackAfterThePersistentSessionIsDurable) {
  Client c(*core, t0);
  EXPECT_TRUE(c.connect("c", t0, false, keep) == protocol::Connack{}) << "CONNACK before commit";
  // A packet sent before CONNACK is handled, but its answer follows the CONNACK.
  c.send(protocol::Pingreq{}, t0);
  EXPECT_TRUE(c.received().empty());
  ASSERT_EQ(store.held.size(), 1u);
  ASSERT_EQ(store.held[0].first.changes().size(), 1u);
  EXPECT_EQ(store.held[0].first.changes()[0].op, storage::Batch::Op::kPutSession);
  store.release();
  auto got = c.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<protocol::Connack>(got[0]));
  EXPECT_TRUE(std::holds_alternative<protocol::Pingresp>(got[1]));
}

TEST_F(DurabilityTest, ConnackAtOnceWithoutPersistentState) {
  Client c(*core, t0);
  EXPECT_EQ(c.connect("c", t0).reason, ReasonCode::kSuccess);
  EXPECT_TRUE(store.held.empty());
}

TEST_F(DurabilityTest, CleanStartWaitsForTheOldSessionsDeletion) {
  Client a(*core, t0);
  a.connect("m", t0, false, keep);
  store.release();
  a.received();
  a.handler().on_transport_closed(t0);
  store.release();
  Client b(*core, t0);
  EXPECT_TRUE(b.connect("m", t0, true) == protocol::Connack{}) << "CONNACK before the deletion";
  ASSERT_EQ(store.held.size(), 1u);
  EXPECT_EQ(store.held[0].first.changes()[0].op, storage::Batch::Op::kDeleteSession);
  store.release();
  auto acks = only<protocol::Connack>(b.received());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_FALSE(acks[0].session_present);
}

TEST_F(DurabilityTest, FailedSessionCommitRefusesTheConnection) {
  Client c(*core, t0);
  c.connect("c", t0, false, keep);
  store.release(storage::Status::failure("disk full"));
  auto acks = only<protocol::Connack>(c.received());
  ASSERT_EQ(acks.size(), 1u);
  EXPECT_EQ(acks[0].reason, ReasonCode::kServerUnavailable);
  EXPECT_TRUE(c.handler().closing());
}

/// A persistent QoS 2 subscriber "sub" with one message "m" queued and its commits done.
class Qos2DeliveryTest : public DurabilityTest {
 protected:
  std::unique_ptr<Client> sub_, pub_;
  void SetUp() override {
    DurabilityTest::SetUp();
    sub_ = std::make_unique<Client>(*core, t0);
    pub_ = std::make_unique<Client>(*core, t0);
    auto& sub = *sub_;
    auto& pub = *pub_;
    sub.connect("sub", t0, false, keep);
    sub.subscribe("t", 2, t0);
    store.release();
    sub.received();
    pub.connect("pub", t0);
    pub.publish("t", "m", 2, 1, t0);
    store.release();
    pub.received();
    store.committed.clear();
  }
  /// The queue entry updates committed so far.
  std::vector<storage::QueueEntry> entries() const {
    std::vector<storage::QueueEntry> out;
    for (const auto& b : store.committed) {
      for (const auto& ch : b.changes()) {
        if (ch.op == storage::Batch::Op::kPutQueueEntry) out.push_back(ch.entry);
      }
    }
    return out;
  }
};

TEST_F(Qos2DeliveryTest, PublishWaitsForItsPacketIdCommit) {
  auto& sub = *sub_;
  sub.handler().on_wake(t0);
  EXPECT_TRUE(only<Publish>(sub.received()).empty()) << "sent before its packet id is durable";
  ASSERT_EQ(store.held.size(), 1u);
  store.release();
  auto pubs = only<Publish>(sub.received());
  ASSERT_EQ(pubs.size(), 1u);
  auto stored = entries();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].packet_id, pubs[0].packet_id);
  EXPECT_FALSE(stored[0].released);
  EXPECT_NE(stored[0].queued_at, 0) << "the update keeps the queue time";
  EXPECT_FALSE(pubs[0].dup);
}

TEST_F(Qos2DeliveryTest, PubrelWaitsForTheReleaseCommit) {
  auto& sub = *sub_;
  sub.handler().on_wake(t0);
  store.release();
  auto pubs = only<Publish>(sub.received());
  ASSERT_EQ(pubs.size(), 1u);
  store.committed.clear();
  sub.send(PubResponse{PacketType::kPubrec, pubs[0].packet_id, ReasonCode::kSuccess, {}}, t0);
  EXPECT_TRUE(only<PubResponse>(sub.received()).empty()) << "PUBREL before the release commit";
  store.release();
  auto rels = only<PubResponse>(sub.received());
  ASSERT_EQ(rels.size(), 1u);
  EXPECT_EQ(rels[0].type, PacketType::kPubrel);
  auto stored = entries();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_TRUE(stored[0].released);
  EXPECT_EQ(stored[0].packet_id, pubs[0].packet_id);
}

TEST_F(Qos2DeliveryTest, RestoredPacketIdIsResentWithDup) {
  auto& sub = *sub_;
  sub.handler().on_wake(t0);
  store.release();
  auto first = only<Publish>(sub.received());
  ASSERT_EQ(first.size(), 1u);
  // The broker "crashes": a new core restores what was committed.
  storage::Snapshot snap;
  storage::StoredSession s;
  s.client_id = "sub";
  s.expiry_interval = 3600;
  s.subscriptions.push_back({"t", 2, false, false, 0, 0});
  snap.sessions.push_back(s);
  storage::StoredMessage body;
  body.id = 1;
  body.topic = "t";
  body.payload = "m";
  body.qos = 2;
  snap.messages.push_back(body);
  snap.queues.push_back({"sub", entries()});
  HeldStore store2;
  BrokerCore core2(cfg, auth::Acl::allow_all(), &store2);
  core2.restore(snap, t0);
  Client again(core2, t0);
  again.connect("sub", t0, false, keep);
  store2.release();
  again.received();
  store2.release();  // the resend waits for earlier commits too
  auto resent = only<Publish>(again.received());
  ASSERT_EQ(resent.size(), 1u);
  EXPECT_EQ(resent[0].packet_id, first[0].packet_id);
  EXPECT_TRUE(resent[0].dup);
}

}  // namespace
}  // namespace gridmq::session::test
