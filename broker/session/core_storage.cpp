// BrokerCore: what goes to the store and comes back from it — session records, queue entries,
// message bodies, retained messages — and the restore at startup.

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "protocol/codec.hpp"
#include "protocol/topic.hpp"
#include "session/broker_core.hpp"

namespace gridmq::session {

storage::UnixMillis BrokerCore::to_wall(Clock::time_point t) const {
  const auto wall =
      std::chrono::duration_cast<std::chrono::system_clock::duration>(t.time_since_epoch()) +
      wall_offset_;
  return std::chrono::duration_cast<std::chrono::milliseconds>(wall).count();
}

Clock::time_point BrokerCore::from_wall(storage::UnixMillis ms) const {
  const auto wall = std::chrono::duration_cast<std::chrono::system_clock::duration>(
      std::chrono::milliseconds(ms));
  return Clock::time_point(std::chrono::duration_cast<Clock::duration>(wall - wall_offset_));
}

void BrokerCore::commit(storage::Batch batch, std::function<void(const storage::Status&)> done) {
  if (!store_) {
    if (done) done(storage::Status::success());
    return;
  }
  store_->commit(std::move(batch), [this, done = std::move(done)](const storage::Status& st) {
    if (!st.ok) stats_.storage_errors.fetch_add(1, std::memory_order_relaxed);
    if (done) done(st);
  });
}

void BrokerCore::commit_returning(
    storage::Batch batch, std::function<void(const storage::Status&, storage::Batch&&)> done) {
  if (!store_) {
    if (done) done(storage::Status::success(), std::move(batch));
    return;
  }
  store_->commit_and_return(
      std::move(batch),
      [this, done = std::move(done)](const storage::Status& st, storage::Batch&& spent) {
        if (!st.ok) stats_.storage_errors.fetch_add(1, std::memory_order_relaxed);
        if (done) done(st, std::move(spent));
      });
}

storage::StoredMessage BrokerCore::stored_message(const routing::Message& m) const {
  storage::StoredMessage out;
  out.id = m.id;
  out.topic = m.topic;
  out.payload = m.payload;
  out.qos = m.qos;
  out.retain = m.retain;
  static const protocol::Properties kNone{};
  if (!(m.props == kNone)) protocol::encode_publish_properties(m.props, out.properties);
  out.expires_at = m.expires_at ? to_wall(*m.expires_at) : 0;
  return out;
}

MessagePtr BrokerCore::restored_message(const storage::StoredMessage& s,
                                        Clock::time_point now) const {
  auto m = std::make_shared<routing::Message>();
  m->id = s.id;
  m->topic = s.topic;
  m->payload = s.payload;
  m->qos = s.qos;
  m->retain = s.retain;
  if (!s.properties.empty()) {
    auto props = protocol::decode_publish_properties(protocol::Bytes(
        reinterpret_cast<const std::uint8_t*>(s.properties.data()), s.properties.size()));
    if (props) m->props = std::move(*props);
  }
  if (s.expires_at != 0)
    m->expires_at = std::max(from_wall(s.expires_at), now - Clock::duration(1));
  return m;
}

storage::StoredSession BrokerCore::record(Session& s) {
  storage::StoredSession r;
  r.client_id = s.client_id();
  auto st = s.lock();
  r.protocol_version = static_cast<std::uint8_t>(st->version);
  r.expiry_interval = st->expiry_interval;
  r.disconnected_at = st->owner ? 0 : to_wall(st->disconnected_at);
  for (const auto& sub : st->subscriptions) {
    storage::StoredSubscription x;
    x.filter = sub.entry.filter;
    x.qos = sub.entry.qos;
    x.no_local = sub.entry.no_local;
    x.retain_as_published = sub.entry.retain_as_published;
    x.retain_handling = sub.entry.retain_handling;
    x.subscription_id = sub.subscription_id;
    r.subscriptions.push_back(std::move(x));
  }
  r.inbound_qos2 = st->inbound_qos2.to_vector();
  return r;
}

bool BrokerCore::persist_session(Session& session,
                                 std::function<void(const storage::Status&)> done) {
  bool keep = false;
  {
    auto st = session.lock();
    keep = persistent(*st);
  }
  if (!keep) return false;
  storage::Batch batch;
  batch.put_session(record(session));
  commit(std::move(batch), std::move(done));
  return true;
}

void BrokerCore::release_bodies(Session& s, storage::Batch& batch) {
  auto st = s.lock();
  auto release = [&](const Delivery& d) {
    if (d.seq != 0 && d.msg->durable_refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      batch.delete_message(d.msg->id);
    }
  };
  for (const auto& f : st->inflight) release(f.delivery);
  st->inflight.clear();
  while (!st->queue.empty()) {
    release(st->queue.front());
    st->queue.pop_front();
  }
  st->queued_bytes = 0;
}

void BrokerCore::delivered(Session& session, const Delivery& d) {
  if (!store_ || d.seq == 0) return;
  storage::Batch batch;
  batch.delete_queue_entry(session.client_id(), d.seq);
  if (d.msg->durable_refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    batch.delete_message(d.msg->id);  // the last durable reference to the body
  }
  commit(std::move(batch));
}

storage::QueueEntry BrokerCore::queue_entry(const Inflight& f) const {
  storage::QueueEntry e;
  e.seq = f.delivery.seq;
  e.message = f.delivery.msg->id;
  e.qos = f.delivery.qos;
  e.retain = f.delivery.retain;
  e.subscription_ids = f.delivery.subscription_ids;
  e.packet_id = f.packet_id;
  e.released = f.released;
  e.queued_at = to_wall(f.delivery.queued_at);
  return e;
}

bool BrokerCore::released(Session& session, const Inflight& f,
                          std::function<void(const storage::Status&)> done) {
  if (!store_ || f.delivery.seq == 0) return false;
  auto e = queue_entry(f);
  e.released = true;
  storage::Batch batch;
  batch.put_queue_entry(session.client_id(), std::move(e));
  commit(std::move(batch), std::move(done));
  return true;
}

bool BrokerCore::sending(Session& session, const std::vector<const Inflight*>& inflight,
                         std::function<void(const storage::Status&)> done) {
  if (!store_) return false;
  storage::Batch batch;
  bool durable = false;
  for (const auto* f : inflight) {
    // QoS 1 is at least once: a new packet id after a crash only makes it a duplicate, which
    // QoS 1 allows. A released QoS 2 entry is already stored with its id.
    if (f->delivery.seq == 0 || f->delivery.qos != 2) continue;
    durable = true;
    if (!f->released) {
      batch.put_queue_entry(session.client_id(), queue_entry(*f));
    }
  }
  if (!durable) return false;
  commit(std::move(batch), std::move(done));
  return true;
}

void BrokerCore::restore(const storage::Snapshot& snap, Clock::time_point now) {
  std::uint64_t max_id = snap.max_message_id;
  std::unordered_map<storage::MessageId, MessagePtr> bodies;
  for (const auto& m : snap.messages) {
    bodies.emplace(m.id, restored_message(m, now));
    max_id = std::max(max_id, m.id);
  }
  for (const auto& r : snap.retained) {
    retained_.put(restored_message(r, now));
    max_id = std::max(max_id, r.id);
  }
  next_message_id_.store(max_id + 1, std::memory_order_relaxed);

  std::unordered_map<std::string, const std::vector<storage::QueueEntry>*> queues;
  for (const auto& [client, entries] : snap.queues) queues.emplace(client, &entries);

  storage::Batch cleanup;
  for (const auto& r : snap.sessions) {
    // A session that was connected at the crash counts as disconnected now.
    const auto disconnected = r.disconnected_at ? from_wall(r.disconnected_at) : now;
    const bool forever = r.expiry_interval == 0xFFFFFFFFu;
    const auto expires = disconnected + std::chrono::seconds(r.expiry_interval);
    if (r.expiry_interval == 0 || (!forever && expires <= now)) {
      cleanup.delete_session(r.client_id);
      continue;
    }
    SessionPtr s;
    {
      std::unique_lock g(sessions_mu_);
      s = new_session_locked(r.client_id);
      by_client_id_.insert(s->client_id(), slot_index(s->key()), id_of_slot());
    }
    {
      auto st = s->lock();
      st->version = r.protocol_version == 4 ? protocol::Version::kV311 : protocol::Version::kV5;
      st->expiry_interval = r.expiry_interval;
      st->disconnected_at = disconnected;
      st->expires_at = forever ? Clock::time_point::max() : expires;
      st->inbound_qos2.assign(r.inbound_qos2);
      for (const auto& sub : r.subscriptions) {
        protocol::SubscribeEntry e{sub.filter, sub.qos, sub.no_local, sub.retain_as_published,
                                   sub.retain_handling};
        st->subscriptions.push_back(StoredSubscription{e, sub.subscription_id});
      }
      auto q = queues.find(r.client_id);
      if (q != queues.end()) {
        for (const auto& e : *q->second) {
          auto body = bodies.find(e.message);
          if (body == bodies.end()) continue;  // body lost: the load reported it
          Delivery d;
          d.msg = body->second;
          d.qos = e.qos;
          d.retain = e.retain;
          d.subscription_ids = e.subscription_ids;
          d.seq = e.seq;
          d.queued_at = e.queued_at ? from_wall(e.queued_at) : now;
          d.msg->durable_refs.fetch_add(1, std::memory_order_relaxed);
          st->last_seq = std::max(st->last_seq, e.seq);
          if (e.packet_id != 0) {
            st->inflight.push_back(Inflight{e.packet_id, std::move(d), e.released});
          } else {
            st->queued_bytes += delivery_bytes(d);
            st->queue.push_back(std::move(d));
          }
        }
      }
    }
    auto st = s->lock();
    for (const auto& sub : st->subscriptions) {
      routing::SubscriptionOptions opts;
      opts.qos = sub.entry.qos;
      opts.no_local = sub.entry.no_local;
      opts.retain_as_published = sub.entry.retain_as_published;
      opts.retain_handling = sub.entry.retain_handling;
      opts.subscription_id = sub.subscription_id;
      tree_.subscribe(sub.entry.filter, s->key(), opts);
    }
  }
  // Queue entries of a client without a session record (a late write raced the session's
  // deletion): they can never be delivered.
  std::unordered_set<std::string_view> restored;
  for (const auto& r : snap.sessions) restored.insert(r.client_id);
  for (const auto& [client, entries] : snap.queues) {
    if (!restored.contains(client)) cleanup.delete_session(client);
  }
  // Bodies no surviving queue entry references.
  for (const auto& [id, msg] : bodies) {
    if (msg->durable_refs.load(std::memory_order_relaxed) == 0) cleanup.delete_message(id);
  }
  if (!cleanup.empty()) commit(std::move(cleanup));
}

}  // namespace gridmq::session
