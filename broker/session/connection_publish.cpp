// ConnectionHandler: what the client sends — PUBLISH with its QoS flows, acknowledgements of our
// deliveries, SUBSCRIBE and UNSUBSCRIBE.

#include <algorithm>

#include "protocol/topic.hpp"
#include "session/connection_handler.hpp"
#include "session/plugin_calls.hpp"

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
    if (!aliases_) aliases_ = std::make_unique<Aliases>();
    if (p.topic.empty()) {
      auto it = aliases_->inbound.find(alias);
      if (it == aliases_->inbound.end()) {
        fail(ReasonCode::kProtocolError, "unknown topic alias");
        return;
      }
      p.topic = it->second;
    } else {
      aliases_->inbound[alias] = p.topic;
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
      resend = st->inbound_qos2.contains(p.packet_id);
      over = !resend && st->inbound_qos2.size() + deferred_acks_ >= cfg.receive_maximum;
    }
    if (resend) {  // a resend: acknowledged again, not routed again
      send_ack_in_order(ack);
      return;
    }
    if (over) {
      fail(ReasonCode::kReceiveMaximumExceeded, "receive maximum exceeded");  // MQTT-3.3.4-9
      return;
    }
  } else if (p.qos == 1 && deferred_acks_ >= cfg.receive_maximum) {
    fail(ReasonCode::kReceiveMaximumExceeded, "receive maximum exceeded");
    return;
  }

  const bool allowed =
      core_.access().allowed(auth::Access::kPublish, principal(), session_->client_id(), p.topic);
  // Plugins (plugins/host.hpp) judge what the ACL allowed; without plugins this is one branch.
  std::optional<plugins::PublishResult> plugged;
  if (allowed && core_.plugins() != nullptr) {
    const plugins::ClientInfo client{session_->client_id(), principal(), version_};
    run_publish_plugins(*core_.plugins(), client, p, plugged.emplace());
    publish_emitted(core_, *plugged, session_->key(), now);
  }
  const bool rejected = plugged && plugged->verdict == plugins::Verdict::kReject;
  if (!allowed || rejected) {
    if (!allowed) core_.stats().publish_denied.fetch_add(1, std::memory_order_relaxed);
    if (is_v5()) {
      ack.reason = rejected ? plugged->reason : ReasonCode::kNotAuthorized;
      // The reason string is left out when the client asked for no problem information
      // (MQTT-3.1.2-29) or the ack would exceed its maximum packet size (MQTT-3.4.2-2: 4 bytes
      // of header, id and code, the property length and 3 bytes of the property itself).
      if (rejected && problem_information_ &&
          (client_max_packet_size_ == 0 ||
           plugged->reason_string.size() + 11 <= client_max_packet_size_)) {
        ack.props.reason_string = std::move(plugged->reason_string);
      }
      if (p.qos > 0) send_ack_in_order(ack);
      return;
    }
    // 3.1.1 has no way to say no: the message is dropped and the flow completes normally, or
    // (ACL only) the connection closes ([auth] close_on_denied_publish).
    if (!allowed && core_.config().auth.close_on_denied_publish) {
      closing_ = true;
      return;
    }
  } else if (plugged && plugged->verdict == plugins::Verdict::kDrop) {
    // A duplicate (for the plugin): acknowledged with success, not routed.
  } else {
    auto msg = core_.make_message(std::move(p.topic), std::move(p.payload), p.qos, p.retain,
                                  std::move(p.props), session_->key(), now);
    PublishContext ctx;
    if (plugged && !plugged->state.empty()) ctx.plugin_state = &plugged->state;
    if (p.qos == 0) {
      core_.publish(msg, now, ctx);
      return;
    }
    ctx.keep_order = deferred_acks_ > 0;  // MQTT-4.6.0-2: acks in the order of the PUBLISHes
    if (p.qos == 2) {
      {
        auto st = session_->lock();
        st->inbound_qos2.add(p.packet_id);
      }
      ctx.persist_publisher = session_.get();  // the id awaiting PUBREL is durable with the message
    }
    // The ack waits for the commit (design.md §2.3); its reason is filled in below, before the
    // deferred send can run (that runs on this worker, after this call returns).
    auto pending = std::make_shared<PubResponse>(ack);
    auto outcome =
        core_.publish(msg, now, ctx, defer_returning([this, pending](const storage::Status& st) {
                        complete_publish_ack(*pending, st);
                      }));
    if (is_v5() && outcome.deliveries == 0) {
      pending->reason = ReasonCode::kNoMatchingSubscribers;
    }
    if (outcome.deferred) {
      ++deferred_acks_;
      return;
    }
    ack = *pending;
    send(ack);
    return;
  }
  if (p.qos == 0) return;
  if (p.qos == 2) {
    auto st = session_->lock();
    st->inbound_qos2.add(p.packet_id);
  }
  send_ack_in_order(ack);
}

void ConnectionHandler::send_ack_in_order(const PubResponse& ack) {
  if (deferred_acks_ == 0) {
    send(ack);
    return;
  }
  ++deferred_acks_;
  core_.after_commits(
      defer([this, ack](const storage::Status& st) { complete_publish_ack(ack, st); }));
}

std::function<void(const storage::Status&, storage::Batch&&)> ConnectionHandler::defer_returning(
    std::function<void(const storage::Status&)> on_worker) {
  // As defer(), and the spent batch rides along to be destroyed on this worker, whose thread
  // built it (Store::commit_and_return).
  // Called once: the callback and the batch move on rather than being copied.
  return [peer = self_.shared_peer(), fn = std::move(on_worker)](const storage::Status& st,
                                                                 storage::Batch&& spent) mutable {
    peer->run_on_worker([fn = std::move(fn), st, spent = std::move(spent)]() mutable {
      spent = storage::Batch();  // its memory goes back to this thread's arena
      fn(st);
    });
  };
}

std::function<void(const storage::Status&)> ConnectionHandler::defer(
    std::function<void(const storage::Status&)> on_worker) {
  // Runs on the store's writer thread: hop to this connection's worker. The Peer reference keeps
  // the connection (and this handler) alive until then.
  return [peer = self_.shared_peer(), fn = std::move(on_worker)](const storage::Status& st) {
    peer->run_on_worker([fn, st] { fn(st); });
  };
}

void ConnectionHandler::complete_publish_ack(PubResponse ack, const storage::Status& st) {
  if (deferred_acks_ > 0) --deferred_acks_;
  if (closing_) return;
  if (!st.ok) {
    // Not durable, so not acknowledged as received: v5 says why; a 3.1.1 client gets no ack
    // and the connection closes, so it sends the message again later.
    if (ack.type == PacketType::kPubrec) {
      auto s = session_->lock();
      s->inbound_qos2.remove(ack.packet_id);
    }
    if (!is_v5()) {
      closing_ = true;
      return;
    }
    ack.reason = ReasonCode::kUnspecifiedError;
    ack.props = {};
    if (problem_information_) ack.props.reason_string = "storage failure";  // MQTT-3.1.2-29
  }
  send(ack);
}

void ConnectionHandler::handle_pub_response(const PubResponse& r, Clock::time_point now) {
  if (r.type == PacketType::kPubrel) {
    bool found = false;
    {
      auto st = session_->lock();
      found = st->inbound_qos2.remove(r.packet_id);
    }
    PubResponse comp;
    comp.type = PacketType::kPubcomp;
    comp.packet_id = r.packet_id;
    if (!found) {
      comp.reason = ReasonCode::kPacketIdentifierNotFound;
      send(comp);
      return;
    }
    // The released id must be durable before PUBCOMP: otherwise, after a crash, a new message
    // reusing the id would be taken for a resend and dropped.
    if (!core_.persist_session(*session_, defer([this, comp](const storage::Status&) {
          if (!closing_) send(comp);
        }))) {
      send(comp);
    }
    return;
  }
  bool send_rel = false;
  bool rel_not_found = false;
  std::optional<Delivery> done;     // completed: its durable entry goes
  std::optional<Inflight> release;  // PUBREC: its durable entry records the release
  {
    auto st = session_->lock();
    if (st->owner.get() != &self_) return;
    auto it = std::find_if(st->inflight.begin(), st->inflight.end(),
                           [&](const Inflight& f) { return f.packet_id == r.packet_id; });
    const bool found = it != st->inflight.end();
    switch (r.type) {
      case PacketType::kPuback:
        if (found && !it->released && it->delivery.qos == 1) {
          done = std::move(it->delivery);
          st->inflight.erase(it);
        }
        break;
      case PacketType::kPubrec:
        if (!found) {
          send_rel = true;
          rel_not_found = true;
        } else if (protocol::is_error(r.reason)) {
          done = std::move(it->delivery);
          st->inflight.erase(it);  // the receiver refused it: the flow ends here
        } else {
          it->released = true;
          release = *it;
          send_rel = true;
        }
        break;
      case PacketType::kPubcomp:
        if (found && it->released) {
          done = std::move(it->delivery);
          st->inflight.erase(it);
        }
        break;
      default:
        break;
    }
  }
  if (done) {
    core_.delivered(*session_, *done);
    plugins_delivered(core_.plugins(), {session_->client_id(), principal(), version_}, *done);
  }
  if (send_rel) {
    PubResponse rel;
    rel.type = PacketType::kPubrel;
    rel.packet_id = r.packet_id;
    if (rel_not_found) rel.reason = ReasonCode::kPacketIdentifierNotFound;
    // The release is durable before PUBREL: after a crash the broker resends PUBREL, never the
    // PUBLISH the subscriber has already released (that would deliver it twice).
    if (!release ||
        !core_.released(*session_, *release, defer([this, rel](const storage::Status& st) {
          if (closing_) return;
          if (!st.ok) {
            fail(ReasonCode::kUnspecifiedError, "storage failure");
            return;
          }
          send(rel);
        }))) {
      send(rel);
    }
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
    } else if (!core_.access().allowed(auth::Access::kSubscribe, principal(), session_->client_id(),
                                       e.filter)) {
      rc = ReasonCode::kNotAuthorized;
    } else if (!plugins_allow_subscribe(core_.plugins(),
                                        {session_->client_id(), principal(), version_}, e, rc)) {
      // refused by a plugin: rc says why
    } else {
      auto granted = e;
      granted.qos = std::min(e.qos, cfg.maximum_qos);
      core_.subscribe(session_, granted, sub_id, now);
      rc = static_cast<ReasonCode>(granted.qos);
    }
    ack.reasons.push_back(rc);
  }
  // The subscriptions are durable before the SUBACK says they exist.
  // The subscriptions are durable before the SUBACK says they exist; retained messages the
  // subscription brought wait for the SUBACK (drain holds while one is pending).
  ++pending_subacks_;
  const bool deferred = core_.persist_session(*session_, defer([this, ack](const storage::Status&) {
    --pending_subacks_;
    if (closing_) return;
    send(ack);
    drain(Clock::now());
  }));
  if (!deferred) {
    --pending_subacks_;
    send(ack);
    drain(now);
  }
}

void ConnectionHandler::handle_unsubscribe(const protocol::Unsubscribe& u) {
  protocol::Unsuback ack;
  ack.packet_id = u.packet_id;
  for (const auto& f : u.filters) {
    const bool existed = core_.unsubscribe(session_, f);
    ack.reasons.push_back(existed ? ReasonCode::kSuccess : ReasonCode::kNoSubscriptionExisted);
  }
  if (!core_.persist_session(*session_, defer([this, ack](const storage::Status&) {
        if (!closing_) send(ack);
      }))) {
    send(ack);
  }
}

}  // namespace gridmq::session
