#include "session/broker_core.hpp"

#include <algorithm>
#include <cstdio>
#include <random>

#include "protocol/topic.hpp"
#include "session/peer.hpp"
#include "session/plugin_calls.hpp"

namespace gridmq::session {

BrokerCore::BrokerCore(const config::BrokerConfig& cfg, auth::Acl acl, storage::Store* store)
    : BrokerCore(cfg, std::make_shared<auth::AccessControl>(std::move(acl)), store) {}

BrokerCore::BrokerCore(const config::BrokerConfig& cfg, std::shared_ptr<auth::AccessControl> access,
                       storage::Store* store)
    : cfg_(cfg),
      access_(std::move(access)),
      store_(store),
      wall_offset_(std::chrono::system_clock::now().time_since_epoch() -
                   std::chrono::duration_cast<std::chrono::system_clock::duration>(
                       Clock::now().time_since_epoch())),
      max_age_(cfg_.mqtt.max_queued_age_s),
      drop_oldest_(cfg_.mqtt.queue_overflow == "drop_oldest"),
      id_salt_(std::random_device{}()) {}

std::string BrokerCore::assign_client_id() {
  char buf[48];
  const auto n = assigned_ids_.fetch_add(1, std::memory_order_relaxed);
  std::snprintf(buf, sizeof buf, "gridmq-%08llx-%llu", static_cast<unsigned long long>(id_salt_),
                static_cast<unsigned long long>(n));
  return buf;
}

BrokerCore::~BrokerCore() = default;

MessagePtr BrokerCore::make_message(std::string topic, std::string payload, std::uint8_t qos,
                                    bool retain, protocol::Properties props,
                                    routing::SubscriberKey origin, Clock::time_point now) {
  auto m = std::make_shared<routing::Message>();
  m->topic = std::move(topic);
  m->payload = std::move(payload);
  m->qos = qos;
  m->retain = retain;
  if (props.message_expiry_interval) {
    m->expires_at = now + std::chrono::seconds(*props.message_expiry_interval);
    props.message_expiry_interval.reset();
  }
  props.topic_alias.reset();
  props.subscription_identifiers.clear();
  m->props = std::move(props);
  m->origin = origin;
  m->id = next_message_id_.fetch_add(1, std::memory_order_relaxed);
  return m;
}

BrokerCore::Attached BrokerCore::attach(const std::string& client_id, bool clean_start,
                                        protocol::Version version, std::uint32_t expiry_interval,
                                        const std::shared_ptr<Peer>& peer, Clock::time_point now,
                                        std::function<void(const storage::Status&)> done) {
  // A pending delayed will: the session resumes (cancel) or ends (publish now).
  std::optional<PendingWill> will_now;
  {
    std::lock_guard g(wills_mu_);
    auto it = wills_.find(client_id);
    if (it != wills_.end()) {
      if (clean_start) will_now = std::move(it->second);
      wills_.erase(it);
    }
  }
  if (will_now) publish_will(std::move(*will_now), now);

  Attached result;
  std::shared_ptr<Peer> previous;
  SessionPtr discarded;
  {
    std::unique_lock g(sessions_mu_);
    if (auto slot = find_slot_locked(client_id)) {
      auto s = slots_[*slot].session;
      auto st = s->lock();
      previous = std::move(st->owner);
      if (clean_start) {
        discarded = s;
      } else {
        st->owner = peer;
        st->version = version;
        st->expiry_interval = expiry_interval;
        st->expires_at = Clock::time_point::max();
        result.session = s;
        result.present = true;
      }
    }
    if (discarded) remove_session_locked(discarded);
    if (!result.session) {
      auto s = new_session_locked(client_id);
      {
        auto st = s->lock();
        st->owner = peer;
        st->version = version;
        st->expiry_interval = expiry_interval;
      }
      by_client_id_.insert(s->client_id(), slot_index(s->key()), id_of_slot());
      result.session = s;
    }
  }
  if (discarded) drop_subscriptions(*discarded);
  if (previous && previous != peer) previous->kick(protocol::ReasonCode::kSessionTakenOver);
  if (store_) {
    storage::Batch batch;
    if (discarded) {
      batch.delete_session(client_id);
      release_bodies(*discarded, batch);
    }
    if (expiry_interval > 0) batch.put_session(record(*result.session));
    if (!batch.empty()) {
      result.deferred = static_cast<bool>(done);
      commit(std::move(batch), std::move(done));
    }
  }
  return result;
}

void BrokerCore::detach(const SessionPtr& session, const Peer* peer, Clock::time_point now) {
  bool remove = false;
  bool was_persistent = false;  // the record must be rewritten (disconnect time)
  {
    auto st = session->lock();
    if (st->owner.get() != peer) return;  // taken over: the new owner has it
    st->owner.reset();
    st->disconnected_at = now;
    was_persistent = persistent(*st);
    if (st->expiry_interval == 0) {
      remove = true;
    } else if (st->expiry_interval != 0xFFFFFFFFu) {
      st->expires_at = now + std::chrono::seconds(st->expiry_interval);
    }
  }
  if (!remove) {
    if (was_persistent) persist_session(*session);
    return;
  }
  {
    std::unique_lock g(sessions_mu_);
    auto slot = find_slot_locked(session->client_id());
    if (!slot || slots_[*slot].session != session) return;
    remove_session_locked(session);
  }
  drop_subscriptions(*session);
  if (store_) {
    // Expiry lowered to 0 by DISCONNECT: whatever was stored for it goes.
    storage::Batch batch;
    batch.delete_session(session->client_id());
    release_bodies(*session, batch);
    commit(std::move(batch));
  }
}

SessionPtr BrokerCore::new_session_locked(const std::string& client_id) {
  std::uint32_t index;
  if (!free_slots_.empty()) {
    index = free_slots_.back();
    free_slots_.pop_back();
  } else {
    index = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  auto& slot = slots_[index];
  const auto key = (routing::SubscriberKey{slot.generation} << 32) | index;
  slot.session = std::make_shared<Session>(client_id, key);
  return slot.session;
}

SessionPtr BrokerCore::find_by_key(routing::SubscriberKey key) const {
  const auto index = slot_index(key);
  const auto generation = static_cast<std::uint32_t>(key >> 32);
  std::shared_lock g(sessions_mu_);
  if (index >= slots_.size() || slots_[index].generation != generation) return nullptr;
  return slots_[index].session;
}

void BrokerCore::remove_session_locked(const SessionPtr& s) {
  by_client_id_.erase(s->client_id(), id_of_slot());
  const auto index = slot_index(s->key());
  auto& slot = slots_[index];
  if (slot.session == s) {
    slot.session.reset();
    ++slot.generation;
    free_slots_.push_back(index);
  }
}

void BrokerCore::drop_subscriptions(Session& s) {
  std::vector<std::string> filters;
  {
    auto st = s.lock();
    for (auto& sub : st->subscriptions) filters.push_back(std::move(sub.entry.filter));
    std::vector<StoredSubscription>().swap(st->subscriptions);
  }
  for (auto& f : filters) tree_.unsubscribe(f, s.key());
}

void BrokerCore::forget(Session& s, const Delivery& d, storage::Batch* batch) {
  if (!store_ || d.seq == 0) return;
  storage::Batch own;
  storage::Batch& b = batch ? *batch : own;
  b.delete_queue_entry(s.client_id(), d.seq);
  if (d.msg->durable_refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    b.delete_message(d.msg->id);
  }
  if (!own.empty()) commit(std::move(own));
}

void BrokerCore::drop(Session& session, Session::State& st, const Delivery& d, bool count) {
  if (count) {
    ++st.dropped;
    stats_.messages_dropped.fetch_add(1, std::memory_order_relaxed);
  }
  forget(session, d, nullptr);
}

bool BrokerCore::enqueue(Session& s, Delivery d, const MessagePtr& msg, storage::Batch* batch,
                         std::shared_ptr<Peer>& wake, Clock::time_point now) {
  auto st = s.lock();
  if (!st->owner && d.qos == 0 && !cfg_.mqtt.queue_qos0) return false;
  const std::size_t bytes = delivery_bytes(d);
  auto take_front = [&] {
    Delivery old = std::move(st->queue.front());
    st->queue.pop_front();
    st->queued_bytes -= std::min(st->queued_bytes, delivery_bytes(old));
    ++st->dropped;
    stats_.messages_dropped.fetch_add(1, std::memory_order_relaxed);
    forget(s, old, batch);
  };
  // Only entries whose creation is handed to the store may go: the deletion must commit after
  // it (see Message::storage_submitted).
  auto droppable = [&] {
    return !st->queue.empty() &&
           st->queue.front().msg->storage_submitted.load(std::memory_order_acquire);
  };
  // Messages past the age limit go first (the queue is in arrival order).
  while (droppable() && too_old(st->queue.front(), now)) take_front();
  auto full = [&] {
    return st->queue.size() >= cfg_.mqtt.max_queued_messages ||
           st->queued_bytes + bytes > cfg_.mqtt.max_queued_bytes;
  };
  if (drop_oldest_ && bytes <= cfg_.mqtt.max_queued_bytes) {
    while (droppable() && full()) take_front();
  }
  if (full()) {
    ++st->dropped;
    stats_.messages_dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  d.queued_at = now;
  if (batch && d.qos > 0 && persistent(*st)) {
    d.seq = ++st->last_seq;
    storage::QueueEntry e;
    e.seq = d.seq;
    e.message = msg->id;
    e.qos = d.qos;
    e.retain = d.retain;
    e.subscription_ids = d.subscription_ids;
    e.queued_at = to_wall(now);
    batch->put_queue_entry(s.client_id(), std::move(e));
    msg->durable_refs.fetch_add(1, std::memory_order_relaxed);
  }
  st->queued_bytes += bytes;
  st->queue.push_back(std::move(d));
  wake = st->owner;
  return true;
}

PublishOutcome BrokerCore::publish(
    const MessagePtr& msg, Clock::time_point now, const PublishContext& ctx,
    std::function<void(const storage::Status&, storage::Batch&&)> done) {
  stats_.messages_in.fetch_add(1, std::memory_order_relaxed);
  if (msg->retain) retained_.put(msg);

  // Queue entries exist in memory before their commit is handed to the store; until then no
  // subscriber may send them (see Message::storage_submitted).
  const bool durable = store_ && msg->qos > 0;
  storage::Batch batch;
  // The plugins' changes go first: their batch then becomes this one, allocation and all.
  if (store_ && ctx.plugin_state) batch.take_plugin_changes(std::move(*ctx.plugin_state));
  if (durable) msg->storage_submitted.store(false, std::memory_order_relaxed);

  thread_local std::vector<routing::Match> matches;
  thread_local std::vector<std::shared_ptr<Peer>> wakes;
  matches.clear();
  wakes.clear();
  tree_.match(msg->topic, msg->origin, matches);
  PublishOutcome out;
  for (auto& m : matches) {
    SessionPtr target = find_by_key(m.subscriber);
    if (!target) continue;
    Delivery d;
    d.msg = msg;
    d.qos = std::min(msg->qos, m.qos);
    d.retain = msg->retain && m.retain_as_published;
    d.subscription_ids = std::move(m.subscription_ids);
    std::shared_ptr<Peer> wake;
    if (enqueue(*target, std::move(d), msg, durable ? &batch : nullptr, wake, now)) {
      ++out.deliveries;
    }
    if (wake) wakes.push_back(std::move(wake));
  }
  stats_.messages_routed.fetch_add(out.deliveries, std::memory_order_relaxed);

  if (store_) {
    // The body, if a queue entry references it (the batch may also hold only the deletions
    // of older entries that drop_oldest pushed out).
    if (durable && msg->durable_refs.load(std::memory_order_relaxed) > 0) {
      batch.put_message(stored_message(*msg));
    }
    if (msg->retain) {
      if (msg->payload.empty()) {
        batch.delete_retained(msg->topic);
      } else {
        batch.put_retained(stored_message(*msg));
      }
    }
    if (ctx.persist_publisher) {
      bool keep = false;
      {
        auto st = ctx.persist_publisher->lock();
        keep = persistent(*st);
      }
      if (keep) batch.put_session(record(*ctx.persist_publisher));
    }
    if (!batch.empty() || (done && ctx.keep_order)) {
      out.deferred = static_cast<bool>(done);
      commit_returning(std::move(batch), std::move(done));
    }
  }
  if (durable) msg->storage_submitted.store(true, std::memory_order_release);
  for (auto& w : wakes) w->wake();
  wakes.clear();
  return out;
}

bool BrokerCore::subscribe(const SessionPtr& session, const protocol::SubscribeEntry& entry,
                           std::uint32_t subscription_id, Clock::time_point now) {
  routing::SubscriptionOptions opts;
  opts.qos = entry.qos;
  opts.no_local = entry.no_local;
  opts.retain_as_published = entry.retain_as_published;
  opts.retain_handling = entry.retain_handling;
  opts.subscription_id = subscription_id;
  {
    auto st = session->lock();
    if (auto* existing = find_subscription(*st, entry.filter)) {
      *existing = StoredSubscription{entry, subscription_id};
    } else {
      st->subscriptions.push_back(StoredSubscription{entry, subscription_id});
    }
  }
  const bool is_new = tree_.subscribe(entry.filter, session->key(), opts);

  const bool shared = protocol::parse_shared_filter(entry.filter).has_value();
  const bool send_retained =
      !shared && (entry.retain_handling == 0 || (entry.retain_handling == 1 && is_new));
  if (send_retained) {
    std::vector<MessagePtr> retained;
    retained_.match(entry.filter, now, retained);
    for (auto& msg : retained) {
      Delivery d;
      d.msg = msg;
      d.qos = std::min(msg->qos, entry.qos);
      d.retain = true;  // MQTT-3.3.1-8: retained messages sent on subscribe keep the flag
      if (subscription_id) d.subscription_ids.push_back(subscription_id);
      std::shared_ptr<Peer> wake;
      enqueue(*session, std::move(d), msg, nullptr, wake, now);
      if (wake) wake->wake();
    }
  }
  return is_new;
}

bool BrokerCore::unsubscribe(const SessionPtr& session, const std::string& filter) {
  {
    auto st = session->lock();
    auto& subs = st->subscriptions;
    if (auto* existing = find_subscription(*st, filter))
      subs.erase(subs.begin() + (existing - subs.data()));
  }
  return tree_.unsubscribe(filter, session->key());
}

void BrokerCore::schedule_will(WillAuthor author, protocol::Will will, std::uint32_t delay_s,
                               routing::SubscriberKey origin, Clock::time_point now) {
  std::string client_id = author.client_id;
  PendingWill w{std::move(author), std::move(will), origin, now + std::chrono::seconds(delay_s)};
  if (delay_s == 0) {
    publish_will(std::move(w), now);
    return;
  }
  std::lock_guard g(wills_mu_);
  wills_[std::move(client_id)] = std::move(w);
}

void BrokerCore::publish_will(PendingWill w, Clock::time_point now) {
  protocol::Publish p;
  p.topic = std::move(w.will.topic);
  p.payload = std::move(w.will.payload);
  p.qos = w.will.qos;
  p.retain = w.will.retain;
  p.props = std::move(w.will.props);
  p.props.will_delay_interval.reset();
  PublishContext ctx;
  plugins::PublishResult result;
  if (plugins_ != nullptr) {
    // A will speaks for its client like any PUBLISH of it (a meter's will on its own data topic
    // is validated as its other messages are); the plugins count and log what they refuse.
    const plugins::ClientInfo client{
        w.author.client_id, w.author.principal ? &*w.author.principal : nullptr, w.author.version};
    run_publish_plugins(*plugins_, client, p, result);
    publish_emitted(*this, result, w.origin, now);
    if (result.verdict == plugins::Verdict::kReject || result.verdict == plugins::Verdict::kDrop) {
      return;
    }
    if (!result.state.empty()) ctx.plugin_state = &result.state;
  }
  publish(make_message(std::move(p.topic), std::move(p.payload), p.qos, p.retain,
                       std::move(p.props), w.origin, now),
          now, ctx);
}

void BrokerCore::tick(Clock::time_point now) {
  std::vector<PendingWill> due;
  {
    std::lock_guard g(wills_mu_);
    for (auto it = wills_.begin(); it != wills_.end();) {
      if (it->second.due <= now) {
        due.push_back(std::move(it->second));
        it = wills_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : due) publish_will(std::move(w), now);

  // Scan under the shared lock (publishes keep flowing), then remove under the exclusive one,
  // checking again: a client may have come back in between.
  std::vector<SessionPtr> expired;
  std::vector<std::string> drops;  // log lines, written after the scan
  storage::Batch aged;             // durable entries of messages past max_queued_age_s
  {
    std::shared_lock g(sessions_mu_);
    by_client_id_.for_each([&](std::uint32_t index) {
      const auto& s = slots_[index].session;
      auto st = s->lock();
      if (!st->owner && st->expires_at <= now) expired.push_back(s);
      // Offline queues age out even when nothing new arrives (the queue is in arrival order).
      while (!st->owner && !st->queue.empty() && too_old(st->queue.front(), now) &&
             st->queue.front().msg->storage_submitted.load(std::memory_order_acquire)) {
        Delivery old = std::move(st->queue.front());
        st->queue.pop_front();
        st->queued_bytes -= std::min(st->queued_bytes, delivery_bytes(old));
        ++st->dropped;
        stats_.messages_dropped.fetch_add(1, std::memory_order_relaxed);
        forget(*s, old, &aged);
      }
      if (st->dropped != st->dropped_logged && warn_) {
        drops.push_back("client '" + s->client_id() +
                        "': " + std::to_string(st->dropped - st->dropped_logged) +
                        " queued messages dropped (" + std::to_string(st->dropped) +
                        " since the session began) by the queue limits");
      }
      st->dropped_logged = st->dropped;
    });
  }
  if (!drops.empty()) {
    const auto& m = cfg_.mqtt;
    const std::string limits =
        "; [mqtt] max_queued_messages = " + std::to_string(m.max_queued_messages) +
        ", max_queued_bytes = " + std::to_string(m.max_queued_bytes) +
        ", max_queued_age_s = " + std::to_string(m.max_queued_age_s) + ", queue_overflow = \"" +
        m.queue_overflow + "\"";
    for (auto& line : drops) warn_(line + limits);
  }
  if (!aged.empty()) commit(std::move(aged));
  if (expired.empty()) return;
  {
    std::unique_lock g(sessions_mu_);
    std::erase_if(expired, [&](const SessionPtr& s) {
      {
        auto st = s->lock();
        if (st->owner || st->expires_at > now) return true;
      }
      auto slot = find_slot_locked(s->client_id());
      if (!slot || slots_[*slot].session != s) return true;
      remove_session_locked(s);
      return false;
    });
  }
  storage::Batch batch;
  for (auto& s : expired) {
    drop_subscriptions(*s);
    if (store_) {
      batch.delete_session(s->client_id());
      release_bodies(*s, batch);
    }
    stats_.sessions_expired.fetch_add(1, std::memory_order_relaxed);
  }
  if (!batch.empty()) commit(std::move(batch));
}

void BrokerCore::flush_wills(Clock::time_point now) {
  std::unordered_map<std::string, PendingWill> all;
  {
    std::lock_guard g(wills_mu_);
    all.swap(wills_);
  }
  for (auto& [id, w] : all) publish_will(std::move(w), now);
}

std::size_t BrokerCore::session_count() const {
  std::shared_lock g(sessions_mu_);
  return by_client_id_.size();
}

}  // namespace gridmq::session
