// ConnectionHandler: what the client sends — PUBLISH with its QoS flows, acknowledgements of our
// deliveries, SUBSCRIBE and UNSUBSCRIBE.

#include <algorithm>

#include "protocol/topic.hpp"
#include "session/connection_handler.hpp"

namespace gridmq::session {

using protocol::PacketType;
using protocol::PubResponse;
using protocol::ReasonCode;

void ConnectionHandler::handle_publish(protocol::Publish& p, Clock::time_point now) {
  const auto& cfg = core_.config().mqtt;
  if (p.qos > cfg.maximum_qos) {
    fail(ReasonCode::kQosNotSupported, "QoS above maximum QoS");  // MQTT-3.3.1-4 (v5)
    return;
  }
  if (p.retain && !cfg.retain_available) {
    fail(ReasonCode::kRetainNotSupported, "retain not available");
    return;
  }
  if (is_v5() && p.props.topic_alias) {
    const auto alias = *p.props.topic_alias;
    if (alias == 0 || alias > cfg.topic_alias_maximum) {
      fail(ReasonCode::kTopicAliasInvalid, "topic alias out of range");  // MQTT-3.3.2-8/9
      return;
    }
    if (!inbound_aliases_) {
      inbound_aliases_ = std::make_unique<std::unordered_map<std::uint16_t, std::string>>();
    }
    if (p.topic.empty()) {
      auto it = inbound_aliases_->find(alias);
      if (it == inbound_aliases_->end()) {
        fail(ReasonCode::kProtocolError, "unknown topic alias");
        return;
      }
      p.topic = it->second;
    } else {
      (*inbound_aliases_)[alias] = p.topic;
    }
  }
  if (p.topic.empty()) {
    fail(ReasonCode::kProtocolError, "empty topic without topic alias");
    return;
  }

  PubResponse ack;
  ack.type = p.qos == 2 ? PacketType::kPubrec : PacketType::kPuback;
  ack.packet_id = p.packet_id;

  if (p.qos == 2) {
    bool resend = false;
    bool over = false;
    {
      auto st = session_->lock();
      resend = std::find(st->inbound_qos2.begin(), st->inbound_qos2.end(), p.packet_id) !=
               st->inbound_qos2.end();
      over = !resend && st->inbound_qos2.size() >= cfg.receive_maximum;
    }
    if (resend) {  // a resend: acknowledged again, not routed again
      send(ack);
      return;
    }
    if (over) {
      fail(ReasonCode::kReceiveMaximumExceeded, "receive maximum exceeded");  // MQTT-3.3.4-9
      return;
    }
  }

  const bool allowed = core_.acl().allowed(auth::Access::kPublish, session_->client_id(), p.topic);
  if (!allowed) {
    core_.stats().publish_denied.fetch_add(1, std::memory_order_relaxed);
    if (is_v5()) {
      ack.reason = ReasonCode::kNotAuthorized;
      if (p.qos > 0) send(ack);
      return;
    }
    // 3.1.1 has no way to say no: the message is dropped and the flow completes normally.
  } else {
    auto msg = BrokerCore::make_message(std::move(p.topic), std::move(p.payload), p.qos, p.retain,
                                        std::move(p.props), session_->key(), now);
    const auto delivered = core_.publish(msg, now);
    if (is_v5() && delivered == 0) ack.reason = ReasonCode::kNoMatchingSubscribers;
  }
  if (p.qos == 0) return;
  if (p.qos == 2) {
    auto st = session_->lock();
    st->inbound_qos2.push_back(p.packet_id);
  }
  send(ack);
}

void ConnectionHandler::handle_pub_response(const PubResponse& r, Clock::time_point now) {
  if (r.type == PacketType::kPubrel) {
    bool found = false;
    {
      auto st = session_->lock();
      auto& ids = st->inbound_qos2;
      auto it = std::find(ids.begin(), ids.end(), r.packet_id);
      found = it != ids.end();
      if (found) {
        *it = ids.back();
        ids.pop_back();
        if (ids.empty()) std::vector<std::uint16_t>().swap(ids);
      }
    }
    PubResponse comp;
    comp.type = PacketType::kPubcomp;
    comp.packet_id = r.packet_id;
    if (!found) comp.reason = ReasonCode::kPacketIdentifierNotFound;
    send(comp);
    return;
  }
  bool send_rel = false;
  bool rel_not_found = false;
  {
    auto st = session_->lock();
    if (st->owner.get() != &self_) return;
    auto it = std::find_if(st->inflight.begin(), st->inflight.end(),
                           [&](const Inflight& f) { return f.packet_id == r.packet_id; });
    const bool found = it != st->inflight.end();
    switch (r.type) {
      case PacketType::kPuback:
        if (found && !it->released && it->delivery.qos == 1) st->inflight.erase(it);
        break;
      case PacketType::kPubrec:
        if (!found) {
          send_rel = true;
          rel_not_found = true;
        } else if (protocol::is_error(r.reason)) {
          st->inflight.erase(it);  // the receiver refused it: the flow ends here
        } else {
          it->released = true;
          send_rel = true;
        }
        break;
      case PacketType::kPubcomp:
        if (found && it->released) st->inflight.erase(it);
        break;
      default:
        break;
    }
  }
  if (send_rel) {
    PubResponse rel;
    rel.type = PacketType::kPubrel;
    rel.packet_id = r.packet_id;
    if (rel_not_found) rel.reason = ReasonCode::kPacketIdentifierNotFound;
    send(rel);
  }
  drain(now);
}

void ConnectionHandler::handle_subscribe(const protocol::Subscribe& s, Clock::time_point now) {
  const auto& cfg = core_.config().mqtt;
  std::uint32_t sub_id = 0;
  if (!s.props.subscription_identifiers.empty()) {
    if (!cfg.subscription_identifiers) {
      fail(ReasonCode::kSubscriptionIdentifiersNotSupported, "subscription identifiers off");
      return;
    }
    sub_id = s.props.subscription_identifiers.front();
  }
  protocol::Suback ack;
  ack.packet_id = s.packet_id;
  ack.reasons.reserve(s.entries.size());
  for (const auto& e : s.entries) {
    const auto shared = protocol::parse_shared_filter(e.filter);
    if (shared && e.no_local) {
      fail(ReasonCode::kProtocolError, "no local on a shared subscription");  // MQTT-3.8.3-4
      return;
    }
    ReasonCode rc;
    if (!protocol::valid_topic_filter(e.filter)) {
      rc = ReasonCode::kTopicFilterInvalid;
    } else if (shared && !cfg.shared_subscriptions) {
      rc = ReasonCode::kSharedSubscriptionsNotSupported;
    } else if (!cfg.wildcard_subscriptions && protocol::has_wildcard(e.filter)) {
      rc = ReasonCode::kWildcardSubscriptionsNotSupported;
    } else if (!core_.acl().allowed(auth::Access::kSubscribe, session_->client_id(), e.filter)) {
      rc = ReasonCode::kNotAuthorized;
    } else {
      auto granted = e;
      granted.qos = std::min(e.qos, cfg.maximum_qos);
      core_.subscribe(session_, granted, sub_id, now);
      rc = static_cast<ReasonCode>(granted.qos);
    }
    ack.reasons.push_back(rc);
  }
  send(ack);
  drain(now);  // retained messages go out after the SUBACK
}

void ConnectionHandler::handle_unsubscribe(const protocol::Unsubscribe& u) {
  protocol::Unsuback ack;
  ack.packet_id = u.packet_id;
  for (const auto& f : u.filters) {
    const bool existed = core_.unsubscribe(session_, f);
    ack.reasons.push_back(existed ? ReasonCode::kSuccess : ReasonCode::kNoSubscriptionExisted);
  }
  send(ack);
}

}  // namespace gridmq::session
