// ConnectionHandler: CONNECT, DISCONNECT, keep-alive, takeover and the connection's end.
// Publish flows and deliveries are in connection_publish.cpp and connection_delivery.cpp.

#include "session/connection_handler.hpp"

#include <algorithm>

#include "plugins/host.hpp"
#include "protocol/topic.hpp"

namespace gridmq::session {

using protocol::ReasonCode;
using protocol::Version;

namespace {
constexpr auto kFarFuture = Clock::time_point::max();
// Bytes a client may send after a CONNECT that waits for its password check; more closes it.
constexpr std::size_t kMaxHeldBytes = 256 * 1024;
}  // namespace

ConnectionHandler::ConnectionHandler(BrokerCore& core, Peer& self, Clock::time_point now)
    : core_(core),
      self_(self),
      deadline_(now + std::chrono::milliseconds(core.config().mqtt.connect_timeout_ms)) {}

ConnectionHandler::~ConnectionHandler() = default;

void ConnectionHandler::set_peer_certificate(auth::CertificateInfo cert) {
  connecting().certificate = std::make_unique<auth::CertificateInfo>(std::move(cert));
}

const auth::CertificateInfo* ConnectionHandler::peer_certificate() const {
  return connecting_ ? connecting_->certificate.get() : nullptr;
}

ConnectionHandler::Connecting& ConnectionHandler::connecting() {
  if (!connecting_) connecting_ = std::make_unique<Connecting>();
  return *connecting_;
}

void ConnectionHandler::drop_connecting_if_done() {
  if (connecting_ && connecting_->done()) connecting_.reset();
}

const std::string& ConnectionHandler::client_id() const {
  static const std::string kNone;
  return session_ ? session_->client_id() : kNone;
}

void ConnectionHandler::send(const protocol::Packet& p) {
  protocol::encode(p, version_, out_);
}

void ConnectionHandler::touch(Clock::time_point now) {
  deadline_ = keepalive_timeout_ms_ > 0 ? now + std::chrono::milliseconds(keepalive_timeout_ms_)
                                        : kFarFuture;
}

void ConnectionHandler::on_packet(protocol::Bytes packet, Clock::time_point now) {
  if (closing_) return;
  if (!session_) {
    if (connecting_ && connecting_->pending) {  // CONNECT waits for its password check
      auto& held = connecting_->pending->held;
      if (held.size() + packet.size() > kMaxHeldBytes) {
        closing_ = true;
        return;
      }
      held.append(reinterpret_cast<const char*>(packet.data()), packet.size());
      return;
    }
    if (packet.empty() || (packet[0] >> 4) != static_cast<int>(protocol::PacketType::kConnect)) {
      closing_ = true;  // MQTT-3.1.0-1: the first packet must be CONNECT; close, say nothing
      return;
    }
    handle_connect(packet, now);
    return;
  }
  touch(now);
  if (!connack_waits()) {
    dispatch(packet, now);
    return;
  }
  // CONNACK waits for the session's commit: what answers packets sent meanwhile goes after it.
  // (finish_connect runs later, from the commit's callback: the buffer outlives this call.)
  std::string& held_output = *connecting_->before_connack;
  std::swap(out_, held_output);
  dispatch(packet, now);
  std::swap(out_, held_output);
}

void ConnectionHandler::dispatch(protocol::Bytes packet, Clock::time_point now) {
  auto decoded = protocol::decode_packet(packet, version_);
  if (!decoded) {
    fail(decoded.error().code, decoded.error().what);
    return;
  }
  auto& p = *decoded;
  if (auto* pub = std::get_if<protocol::Publish>(&p)) {
    handle_publish(*pub, now);
  } else if (auto* r = std::get_if<protocol::PubResponse>(&p)) {
    handle_pub_response(*r, now);
  } else if (auto* s = std::get_if<protocol::Subscribe>(&p)) {
    handle_subscribe(*s, now);
  } else if (auto* u = std::get_if<protocol::Unsubscribe>(&p)) {
    handle_unsubscribe(*u);
  } else if (std::holds_alternative<protocol::Pingreq>(p)) {
    send(protocol::Pingresp{});
  } else if (auto* d = std::get_if<protocol::Disconnect>(&p)) {
    handle_disconnect(*d, now);
  } else if (std::holds_alternative<protocol::Connect>(p)) {
    fail(ReasonCode::kProtocolError, "second CONNECT on a connection");  // MQTT-3.1.0-2
  } else if (std::holds_alternative<protocol::Auth>(p)) {
    fail(ReasonCode::kProtocolError, "AUTH without an authentication method");
  } else {
    fail(ReasonCode::kProtocolError, "packet type not sent by clients");
  }
}

void ConnectionHandler::refuse_connect(Version v, ReasonCode rc, std::string why) {
  version_ = v;
  protocol::Connack ack;
  ack.reason = rc;
  if (v == Version::kV5) ack.props.reason_string = std::move(why);
  send(ack);
  closing_ = true;
}

void ConnectionHandler::handle_connect(protocol::Bytes packet, Clock::time_point now) {
  const auto& cfg = core_.config().mqtt;
  auto decoded = protocol::decode_connect(packet);
  if (!decoded) {
    // Answer in the version the client asked for, if its protocol level byte is readable.
    auto header = protocol::parse_fixed_header(packet);
    std::uint8_t level = 0;
    if (header && *header) {
      const std::size_t at = (*header)->header_length + 6u;
      if (at < packet.size()) level = packet[at];
    }
    const auto rc = decoded.error().code;
    if (rc == ReasonCode::kUnsupportedProtocolVersion) {
      refuse_connect(level == 5 ? Version::kV5 : Version::kV311, rc, decoded.error().what);
    } else if (level == 5) {
      refuse_connect(Version::kV5, rc, decoded.error().what);
    } else {
      closing_ = true;
    }
    return;
  }
  protocol::Connect& c = *decoded;
  version_ = c.version;
  const bool v5 = is_v5();
  if (!authenticate(c, packet, now)) return;

  // Client identifier (MQTT-3.1.3-5..9).
  bool assigned = false;
  if (c.client_id.empty()) {
    if (!cfg.allow_zero_length_client_id || (!v5 && !c.clean_start)) {
      refuse_connect(version_, ReasonCode::kClientIdentifierNotValid,
                     "empty client identifier not allowed here");
      return;
    }
    c.client_id = core_.assign_client_id();
    assigned = true;
  } else if (c.client_id.size() > cfg.max_client_id_length) {
    refuse_connect(version_, ReasonCode::kClientIdentifierNotValid, "client identifier too long");
    return;
  }

  if (v5) {
    if (c.props.authentication_method) {
      refuse_connect(version_, ReasonCode::kBadAuthenticationMethod,
                     "enhanced authentication is not supported");
      return;
    }
    if (c.props.receive_maximum && *c.props.receive_maximum == 0) {
      refuse_connect(version_, ReasonCode::kProtocolError, "receive maximum 0");
      return;
    }
    if (c.props.maximum_packet_size && *c.props.maximum_packet_size == 0) {
      refuse_connect(version_, ReasonCode::kProtocolError, "maximum packet size 0");
      return;
    }
    client_receive_maximum_ = c.props.receive_maximum.value_or(65535);
    client_max_packet_size_ = c.props.maximum_packet_size.value_or(0);
    client_topic_alias_maximum_ = c.props.topic_alias_maximum.value_or(0);
    problem_information_ = c.props.request_problem_information.value_or(1) != 0;
    session_expiry_ = std::min(c.props.session_expiry_interval.value_or(0), cfg.max_session_expiry);
  } else {
    session_expiry_ = c.clean_start ? 0 : 0xFFFFFFFFu;
  }

  if (c.will) {
    if (!protocol::valid_topic_name(c.will->topic)) {
      refuse_connect(version_, ReasonCode::kTopicNameInvalid, "invalid will topic");
      return;
    }
    if (c.will->qos > cfg.maximum_qos) {
      refuse_connect(version_, ReasonCode::kQosNotSupported, "will QoS above maximum QoS");
      return;
    }
    if (c.will->retain && !cfg.retain_available) {
      refuse_connect(version_, ReasonCode::kRetainNotSupported, "retain not available");
      return;
    }
    const auth::Principal* who = principal_.id.empty() ? nullptr : &principal_;
    if (!core_.access().allowed(auth::Access::kPublish, who, c.client_id, c.will->topic)) {
      refuse_connect(version_, ReasonCode::kNotAuthorized, "will topic not authorized");
      return;
    }
    will_ = std::make_unique<protocol::Will>(std::move(*c.will));
  }

  // Keep-alive (MQTT-3.1.2-24); v5 servers may impose their own (Server Keep Alive).
  std::uint16_t keepalive = c.keep_alive;
  bool server_keepalive = false;
  if (v5 && cfg.max_keepalive > 0 && (keepalive == 0 || keepalive > cfg.max_keepalive)) {
    keepalive = cfg.max_keepalive;
    server_keepalive = true;
  }
  keepalive_timeout_ms_ = std::uint32_t{keepalive} * 1500;

  // A persistent session's record (or the deletion of the persistent session a clean start
  // discards) is durable before CONNACK says the session exists (or is gone).
  auto pending = std::make_shared<protocol::Connack>();
  auto attached =
      core_.attach(c.client_id, c.clean_start, version_, session_expiry_, self_.shared_peer(), now,
                   defer([this, pending, now](const storage::Status& st) {
                     finish_connect(*pending, st, now);  // the CONNECT's time: commits take ms
                   }));
  session_ = attached.session;

  protocol::Connack& ack = *pending;
  ack.session_present = attached.present;
  if (v5) {
    auto& p = ack.props;
    if (assigned) p.assigned_client_identifier = c.client_id;
    if (server_keepalive) p.server_keep_alive = keepalive;
    p.receive_maximum = cfg.receive_maximum;
    p.topic_alias_maximum = cfg.topic_alias_maximum;
    if (cfg.max_packet_size < 268435455u) p.maximum_packet_size = cfg.max_packet_size;
    if (cfg.maximum_qos < 2) p.maximum_qos = cfg.maximum_qos;
    if (!cfg.retain_available) p.retain_available = 0;
    if (!cfg.wildcard_subscriptions) p.wildcard_subscription_available = 0;
    if (!cfg.subscription_identifiers) p.subscription_identifiers_available = 0;
    if (!cfg.shared_subscriptions) p.shared_subscription_available = 0;
    if (c.props.session_expiry_interval && session_expiry_ != *c.props.session_expiry_interval) {
      p.session_expiry_interval = session_expiry_;
    }
  }
  if (attached.deferred) {
    connecting().before_connack = std::make_unique<std::string>();
    return;
  }
  finish_connect(ack, storage::Status::success(), now);
}

void ConnectionHandler::finish_connect(protocol::Connack ack, const storage::Status& st,
                                       Clock::time_point now) {
  std::unique_ptr<std::string> after;
  if (connecting_) {
    after = std::move(connecting_->before_connack);
    drop_connecting_if_done();
  }
  if (closing_) return;
  if (!st.ok) {
    // The session is not durable: refuse rather than promise it (the client retries later).
    ack.session_present = false;
    ack.reason = ReasonCode::kServerUnavailable;
    ack.props = {};
    if (is_v5()) ack.props.reason_string = "storage failure";
    send(ack);
    closing_ = true;
    return;
  }
  send(ack);
  if (after) out_ += *after;
  if (auto* h = core_.plugins(); h != nullptr && h->wants_connect()) {
    const plugins::ClientInfo client{session_->client_id(), principal(), version_};
    h->on_connect(plugins::ConnectEvent{client, h->wall_ms()});
  }
  touch(now);
  if (ack.session_present) resend_inflight(now);
  drain(now);
}

bool ConnectionHandler::authenticate(protocol::Connect& c, protocol::Bytes packet,
                                     Clock::time_point now) {
  using auth::Authentication;
  auto& access = core_.access();
  if (connecting_ && connecting_->pending && connecting_->pending->verified)
    return true;  // resumed
  if (authentication_ == Authentication::kAnonymous) {
    if (connecting_) connecting_->certificate.reset();  // not used here
    drop_connecting_if_done();
    return true;
  }
  if (authentication_ != Authentication::kPassword && connecting_ && connecting_->certificate) {
    const auth::MappingResult mapped = access.cert_mapping().map(*connecting_->certificate);
    connecting_->certificate.reset();
    drop_connecting_if_done();
    if (!mapped.ok()) {
      refuse_connect(version_, ReasonCode::kNotAuthorized,
                     "the client certificate gives no principal: " + mapped.detail);
      return false;
    }
    const auto check = auth::check_client_id(*mapped.principal, c.client_id,
                                             access.require_client_id_match(), version_);
    if (!check.accepted) {
      refuse_connect(
          version_, ReasonCode::kClientIdentifierNotValid,
          "the client identifier must be the certificate's id '" + mapped.principal->id + "'");
      return false;
    }
    principal_ = *mapped.principal;
    return true;
  }
  if (authentication_ == Authentication::kCertificate) {
    refuse_connect(version_, ReasonCode::kNotAuthorized, "a client certificate is required");
    return false;
  }
  // Password login: PBKDF2 runs on the verifier thread, the CONNECT resumes on this worker.
  if (!c.username || !c.password) {
    refuse_connect(version_, ReasonCode::kNotAuthorized, "user name and password required");
    return false;
  }
  connecting().certificate.reset();
  connecting_->pending = std::make_unique<PendingConnect>();
  connecting_->pending->connect.assign(packet.begin(), packet.end());
  const bool queued = access.verify_password(
      *c.username, *c.password,
      [peer = self_.shared_peer(), this](std::optional<auth::Principal> who) {
        peer->run_on_worker([this, who = std::move(who)]() mutable {
          resume_connect(std::move(who), Clock::now());
        });
      });
  if (!queued) {
    connecting_->pending.reset();
    drop_connecting_if_done();
    refuse_connect(version_, ReasonCode::kServerBusy, "too many logins waiting");
    return false;
  }
  // The check and the delay of a failure count on top of the connect timeout.
  deadline_ = now + std::chrono::milliseconds(core_.config().mqtt.connect_timeout_ms) +
              access.options().failed_auth_delay;
  return false;
}

void ConnectionHandler::resume_connect(std::optional<auth::Principal> who, Clock::time_point now) {
  if (closing_ || session_ || !connecting_ || !connecting_->pending) return;
  if (!who) {
    connecting_->pending.reset();
    drop_connecting_if_done();
    refuse_connect(version_, ReasonCode::kBadUserNameOrPassword, "bad user name or password");
    return;
  }
  principal_ = std::move(*who);
  connecting_->pending->verified = true;
  const std::vector<std::uint8_t> connect = std::move(connecting_->pending->connect);
  // handle_connect leaves connecting_ in place: its pending part is still set.
  handle_connect(protocol::Bytes(connect.data(), connect.size()), now);
  const std::string held = std::move(connecting_->pending->held);
  connecting_->pending.reset();
  drop_connecting_if_done();
  // Packets the client sent while the check ran, in order, handled as if they arrived now.
  protocol::Bytes rest(reinterpret_cast<const std::uint8_t*>(held.data()), held.size());
  while (!rest.empty() && !closing_) {
    auto header = protocol::parse_fixed_header(rest);
    if (!header || !*header || (*header)->total_length() > rest.size()) break;
    const std::size_t n = (*header)->total_length();
    on_packet(rest.first(n), now);
    rest = rest.subspan(n);
  }
}

void ConnectionHandler::handle_disconnect(const protocol::Disconnect& d, Clock::time_point now) {
  if (is_v5() && d.props.session_expiry_interval) {
    if (session_expiry_ == 0 && *d.props.session_expiry_interval != 0) {
      fail(ReasonCode::kProtocolError, "session expiry set on DISCONNECT after 0 on CONNECT");
      return;  // MQTT-3.14.2-2
    }
    session_expiry_ =
        std::min(*d.props.session_expiry_interval, core_.config().mqtt.max_session_expiry);
    auto st = session_->lock();
    if (st->owner.get() == &self_) st->expiry_interval = session_expiry_;
  }
  // MQTT-3.14.4-3: a normal DISCONNECT discards the will; v5 reason 0x04 asks for it.
  const bool with_will = is_v5() && d.reason == ReasonCode::kDisconnectWithWill;
  closing_ = true;
  end_session(now, with_will);
}

void ConnectionHandler::fail(ReasonCode rc, std::string why) {
  if (closing_) return;
  if (is_v5() && session_) {
    protocol::Disconnect d;
    d.reason = rc;
    d.props.reason_string = std::move(why);
    send(d);
  }
  closing_ = true;
}

void ConnectionHandler::on_packet_too_large(Clock::time_point now) {
  (void)now;
  fail(ReasonCode::kPacketTooLarge, "packet exceeds maximum packet size");
}

void ConnectionHandler::on_kick(ReasonCode reason, Clock::time_point now) {
  if (closing_) return;
  if (reason == ReasonCode::kSessionTakenOver && will_ && is_v5() &&
      will_->props.will_delay_interval.value_or(0) > 0) {
    will_.reset();  // the session goes on under the new connection before the delay ends
  }
  fail(reason, reason == ReasonCode::kSessionTakenOver ? "session taken over" : "disconnected");
  (void)now;
}

void ConnectionHandler::on_timer(Clock::time_point now) {
  if (closing_ || now < deadline_) return;
  if (!session_) {
    closing_ = true;  // no CONNECT in time
    return;
  }
  fail(ReasonCode::kKeepAliveTimeout, "keep alive timeout");  // MQTT-3.1.2-22
}

void ConnectionHandler::on_transport_closed(Clock::time_point now) {
  closing_ = true;
  end_session(now, true);
}

void ConnectionHandler::end_session(Clock::time_point now, bool publish_will) {
  if (ended_ || !session_) return;
  ended_ = true;
  if (publish_will && will_) {
    std::uint32_t delay = 0;
    if (is_v5()) delay = std::min(will_->props.will_delay_interval.value_or(0), session_expiry_);
    BrokerCore::WillAuthor author{session_->client_id(), std::nullopt, version_};
    if (principal() != nullptr) author.principal = *principal();
    core_.schedule_will(std::move(author), std::move(*will_), delay, session_->key(), now);
  }
  will_.reset();
  if (auto* h = core_.plugins(); h != nullptr && h->wants_disconnect()) {
    const plugins::ClientInfo client{session_->client_id(), principal(), version_};
    h->on_disconnect(plugins::DisconnectEvent{client, h->wall_ms()});
  }
  core_.detach(session_, &self_, now);
}

}  // namespace gridmq::session
