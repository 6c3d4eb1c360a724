// ConnectionHandler: what the broker sends — queued deliveries within the client's receive
// maximum and maximum packet size, topic aliases towards the client, resends on reconnect.

#include <algorithm>

#include "session/connection_handler.hpp"

namespace gridmq::session {

namespace {
/// Deliveries stop being encoded while this many bytes wait for the socket.
constexpr std::size_t kOutputHighWater = 256 * 1024;
}  // namespace

void ConnectionHandler::on_wake(Clock::time_point now) {
  drain(now);
}

void ConnectionHandler::resend_inflight(Clock::time_point now) {
  const std::size_t from = out_.size();
  std::vector<const Inflight*> resent;
  auto st = session_->lock();
  for (const auto& f : st->inflight) {
    if (f.released) {
      protocol::PubResponse rel;
      rel.type = protocol::PacketType::kPubrel;
      rel.packet_id = f.packet_id;
      send(rel);
    } else {
      send_delivery(f.delivery, f.packet_id, true, now);  // MQTT-4.4.0-1: resend with DUP
    }
    resent.push_back(&f);
  }
  // A previous connection may have handed these states to the store moments ago: they go out
  // once every earlier commit is durable.
  send_after_commit(from, resent);
}

void ConnectionHandler::send_after_commit(std::size_t from,
                                          const std::vector<const Inflight*>& inflight) {
  if (inflight.empty() || out_.size() == from) return;
  auto held = std::make_shared<std::string>(out_, from);
  const bool deferred =
      core_.sending(*session_, inflight, defer([this, held](const storage::Status& st) {
        sending_ = false;
        if (closing_) return;
        if (!st.ok) {
          // Not durable: not sent. The session keeps them in flight and resends on reconnect.
          fail(protocol::ReasonCode::kUnspecifiedError, "storage failure");
          return;
        }
        out_ += *held;
        drain(Clock::now());
      }));
  if (!deferred) return;
  out_.resize(from);
  sending_ = true;
}

void ConnectionHandler::drain(Clock::time_point now) {
  if (!session_ || closing_ || pending_subacks_ > 0 || connack_waits() || sending_) return;
  if (unsent_bytes_ + out_.size() >= kOutputHighWater) return;
  auto st = session_->lock();
  if (st->owner.get() != &self_) return;
  const std::size_t window =
      std::min<std::size_t>(client_receive_maximum_, core_.config().mqtt.max_inflight);
  // From the first durable QoS 2 delivery on, what this call encodes waits for the commit of
  // its packet id (send_after_commit); deliveries before it go at once.
  std::size_t hold_from = 0;
  std::size_t held = 0;  // the last `held` in-flight entries
  while (!st->queue.empty() && unsent_bytes_ + out_.size() < kOutputHighWater) {
    Delivery& front = st->queue.front();
    if (front.qos > 0 && st->inflight.size() >= window) break;
    // Its creation is not yet handed to the store: wait (the publisher wakes us right after).
    if (!front.msg->storage_submitted.load(std::memory_order_acquire)) break;
    Delivery d = std::move(front);
    st->queue.pop_front();
    st->queued_bytes -= std::min(st->queued_bytes, delivery_bytes(d));
    const bool expired = routing::expired(*d.msg, now);  // MQTT-3.3.2-5
    if (expired || core_.too_old(d, now)) {
      core_.drop(*session_, *st, d, !expired);
      continue;
    }
    if (d.qos == 0) {
      send_delivery(d, 0, false, now);
      continue;
    }
    const bool durable_qos2 = d.qos == 2 && d.seq != 0;
    const std::size_t before = out_.size();
    const auto id = next_packet_id(*st);
    if (send_delivery(d, id, false, now)) {
      if (durable_qos2 && held == 0) hold_from = before;
      st->inflight.push_back(Inflight{id, std::move(d), false});
      if (held > 0 || durable_qos2) ++held;
    }
  }
  if (held == 0) return;
  std::vector<const Inflight*> entries;
  entries.reserve(held);
  for (std::size_t i = st->inflight.size() - held; i < st->inflight.size(); ++i) {
    entries.push_back(&st->inflight[i]);
  }
  send_after_commit(hold_from, entries);
}

bool ConnectionHandler::send_delivery(const Delivery& d, std::uint16_t packet_id, bool dup,
                                      Clock::time_point now) {
  const routing::Message& m = *d.msg;
  const protocol::Properties* props = nullptr;
  protocol::Properties tmp;
  std::string_view topic = m.topic;
  bool new_alias = false;
  if (is_v5()) {
    static const protocol::Properties kNone{};
    const bool any = !(m.props == kNone) || m.expires_at || !d.subscription_ids.empty() ||
                     client_topic_alias_maximum_ > 0;
    if (any) {
      tmp = m.props;
      if (m.expires_at) {
        const auto left = std::chrono::ceil<std::chrono::seconds>(*m.expires_at - now).count();
        tmp.message_expiry_interval = static_cast<std::uint32_t>(std::max<std::int64_t>(left, 1));
      }
      tmp.subscription_identifiers = d.subscription_ids;
      if (client_topic_alias_maximum_ > 0) {
        if (!aliases_) aliases_ = std::make_unique<Aliases>();
        auto it = aliases_->outbound.find(m.topic);
        if (it != aliases_->outbound.end()) {
          tmp.topic_alias = it->second;
          topic = {};
        } else if (next_outbound_alias_ <= client_topic_alias_maximum_) {
          tmp.topic_alias = next_outbound_alias_;
          new_alias = true;
        }
      }
      props = &tmp;
    }
  }
  const std::size_t before = out_.size();
  protocol::encode_publish(version_, topic, m.payload, d.qos, d.retain, dup, packet_id, props,
                           out_);
  if (client_max_packet_size_ != 0 && out_.size() - before > client_max_packet_size_) {
    out_.resize(before);  // MQTT-3.1.2-25: never send more than the client accepts; drop it
    core_.stats().messages_dropped.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (new_alias) aliases_->outbound.emplace(m.topic, next_outbound_alias_++);
  return true;
}

}  // namespace gridmq::session
