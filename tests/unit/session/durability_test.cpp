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
  auto ack = c.connect("meter", t0, false, keep);
  EXPECT_TRUE(ack.session_present);
  auto pubs = only<Publish>(c.received());
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

}  // namespace
}  // namespace gridmq::session::test
