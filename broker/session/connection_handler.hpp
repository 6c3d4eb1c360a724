#pragma once
// ConnectionHandler: the MQTT protocol for one network connection, Sans-I/O. The network layer
// feeds it complete packets (bytes), timer ticks and wake-ups; it appends bytes to send to out()
// and says when to close. It owns the per-connection state (version, keep-alive, topic aliases,
// will) and drives the shared Session and BrokerCore.
//
// THREADING: one handler is used by one worker thread only.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/access_control.hpp"
#include "auth/principal.hpp"
#include "protocol/codec.hpp"
#include "session/broker_core.hpp"
#include "session/peer.hpp"
#include "session/session.hpp"

namespace gridmq::session {

class ConnectionHandler {
 public:
  /// `self` is the Peer handed to the session registry for wake-ups and kicks; it outlives the
  /// handler.
  ConnectionHandler(BrokerCore& core, Peer& self, Clock::time_point now);
  ~ConnectionHandler();
  ConnectionHandler(const ConnectionHandler&) = delete;
  ConnectionHandler& operator=(const ConnectionHandler&) = delete;

  /// One complete packet (fixed header included).
  void on_packet(protocol::Bytes packet, Clock::time_point now);
  /// The fixed header announced a packet larger than the broker accepts (0x95).
  void on_packet_too_large(Clock::time_point now);
  /// The byte stream cannot be framed (bad remaining length): close with `rc`.
  void on_protocol_error(protocol::ReasonCode rc, std::string why) { fail(rc, std::move(why)); }
  /// The transport failed or the peer closed: publish the will if due, release the session.
  void on_transport_closed(Clock::time_point now);
  /// The session has queued deliveries (Peer::wake) or output drained: send what the window
  /// allows.
  void on_wake(Clock::time_point now);
  /// Disconnect requested by the broker (takeover, shutdown, admin).
  void on_kick(protocol::ReasonCode reason, Clock::time_point now);
  /// Timer: keep-alive and connect timeouts.
  void on_timer(Clock::time_point now);

  /// Bytes to write. The network layer takes them (swap/clear) and writes them in order.
  std::string& out() { return out_; }
  /// Stop reading, write what is in out(), then close the socket.
  bool closing() const { return closing_; }
  /// When on_timer should next be called.
  Clock::time_point deadline() const { return deadline_; }
  /// Set by the network layer: bytes queued for the socket and not yet written. Deliveries wait
  /// while this is above the output high-water mark (slow consumers keep their backlog in the
  /// session queue, which is bounded).
  void set_unsent_bytes(std::size_t n) {
    unsent_bytes_ = static_cast<std::uint32_t>(std::min<std::size_t>(n, UINT32_MAX));
  }

  /// The network layer's report of a verified client certificate (mTLS listeners), given before
  /// the first packet. CONNECT maps it to a principal and then drops it.
  void set_peer_certificate(auth::CertificateInfo cert);
  /// The certificate set above, until CONNECT was handled; null without one.
  const auth::CertificateInfo* peer_certificate() const;
  /// How this connection's listener authenticates clients (default: anonymous). Set by the
  /// network layer before the first packet.
  void set_authentication(auth::Authentication a) { authentication_ = a; }

  /// Who the client is: set when CONNECT is accepted on a listener that authenticates (a mapped
  /// client certificate, or a password-file user); null before that and for anonymous clients.
  const auth::Principal* principal() const {
    return session_ && !principal_.id.empty() ? &principal_ : nullptr;
  }

  bool connected() const { return session_ != nullptr; }
  BrokerCore& core() { return core_; }
  /// Empty until CONNECT is accepted.
  const std::string& client_id() const;

 private:
  void handle_connect(protocol::Bytes packet, Clock::time_point now);
  /// Sends CONNACK once the session's commit is done (`st`), then resends and drains.
  void finish_connect(protocol::Connack ack, const storage::Status& st, Clock::time_point now);
  /// Decodes and handles one packet after CONNECT.
  void dispatch(protocol::Bytes packet, Clock::time_point now);
  /// The identity part of CONNECT (listener authentication, certificate mapping, client-id
  /// rule, password check). @return false if the CONNECT was refused or waits for a password
  /// check (resume_connect continues it).
  bool authenticate(protocol::Connect& c, protocol::Bytes packet, Clock::time_point now);
  /// The verifier's answer for a CONNECT that waited for its password check (worker thread).
  void resume_connect(std::optional<auth::Principal> who, Clock::time_point now);
  void handle_publish(protocol::Publish& p, Clock::time_point now);
  void handle_pub_response(const protocol::PubResponse& r, Clock::time_point now);
  void handle_subscribe(const protocol::Subscribe& s, Clock::time_point now);
  void handle_unsubscribe(const protocol::Unsubscribe& u);
  void handle_disconnect(const protocol::Disconnect& d, Clock::time_point now);

  /// Wraps a continuation that must run on this connection's worker after a storage commit.
  std::function<void(const storage::Status&)> defer(
      std::function<void(const storage::Status&)> on_worker);
  /// defer() for Store::commit_and_return: also frees the spent batch on this worker.
  std::function<void(const storage::Status&, storage::Batch&&)> defer_returning(
      std::function<void(const storage::Status&)> on_worker);
  void complete_publish_ack(protocol::PubResponse ack, const storage::Status& st);
  /// Sends an ack that stores nothing (a resend, a refusal, a duplicate): at once, or after the
  /// acks still waiting for their commit (MQTT-4.6.0-2: acks go in the order of the PUBLISHes).
  void send_ack_in_order(const protocol::PubResponse& ack);
  void refuse_connect(protocol::Version v, protocol::ReasonCode rc, std::string why);
  /// Protocol violation: v5 DISCONNECT with `rc` (and reason string), then close.
  void fail(protocol::ReasonCode rc, std::string why);
  void send(const protocol::Packet& p);
  void resend_inflight(Clock::time_point now);
  /// Output from `from` on holds in-flight deliveries whose packet ids must be durable before
  /// they go out (BrokerCore::sending): it is cut from out() and appended once committed.
  void send_after_commit(std::size_t from, const std::vector<const Inflight*>& inflight);
  void drain(Clock::time_point now);
  bool send_delivery(const Delivery& d, std::uint16_t packet_id, bool dup, Clock::time_point now);
  void end_session(Clock::time_point now, bool publish_will);
  void touch(Clock::time_point now);
  bool is_v5() const { return version_ == protocol::Version::kV5; }

  // Ordered by size so an idle connection's handler packs tightly (an idle connection's memory
  // is a benchmarked target, see bench/README.md).
  BrokerCore& core_;
  Peer& self_;
  std::string out_;
  Clock::time_point deadline_;
  SessionPtr session_;  // after CONNECT
  /// Who the client is (principal()): set when CONNECT maps a certificate or checks a login.
  /// An empty id means none (principal ids are never empty). Inline rather than on the heap:
  /// an authenticated connection keeps it for its whole life.
  auth::Principal principal_;
  std::unique_ptr<protocol::Will> will_;  // heap: most connections have none
  /// A CONNECT waiting for its password check: the packet (decoded again once the check
  /// succeeds) and the packets the client sent after it meanwhile (replayed after CONNACK).
  struct PendingConnect {
    std::vector<std::uint8_t> connect;
    std::string held;
    bool verified = false;
  };
  /// What only the connect phase needs; freed once all of it is done with.
  struct Connecting {
    std::unique_ptr<auth::CertificateInfo> certificate;  // from the TLS layer, until CONNECT
    std::unique_ptr<PendingConnect> pending;
    /// Non-null while CONNACK waits for the session's commit: output of packets handled
    /// meanwhile.
    std::unique_ptr<std::string> before_connack;
    bool done() const { return !certificate && !pending && !before_connack; }
  };
  std::unique_ptr<Connecting> connecting_;
  Connecting& connecting();  // creates it when needed
  void drop_connecting_if_done();
  bool connack_waits() const { return connecting_ && connecting_->before_connack; }
  // Topic aliases, allocated on first use (idle connections pay 8 bytes, not 112).
  struct Aliases {
    std::unordered_map<std::uint16_t, std::string> inbound;
    std::unordered_map<std::string, std::uint16_t> outbound;
  };
  std::unique_ptr<Aliases> aliases_;
  std::uint32_t unsent_bytes_ = 0;          // saturates at 2^32 - 1 (far above the high-water mark)
  std::uint32_t keepalive_timeout_ms_ = 0;  // 0 = none; at most 65535 s x 1.5
  std::uint32_t session_expiry_ = 0;
  std::uint32_t client_max_packet_size_ = 0;  // 0 = no limit
  std::uint16_t client_receive_maximum_ = 65535;
  std::uint16_t client_topic_alias_maximum_ = 0;
  std::uint16_t next_outbound_alias_ = 1;
  std::uint16_t deferred_acks_ = 0;    // PUBACK/PUBREC waiting for their commit
  std::uint16_t pending_subacks_ = 0;  // SUBACKs waiting for the session record's commit
  protocol::Version version_ = protocol::Version::kV5;
  auth::Authentication authentication_ = auth::Authentication::kAnonymous;
  bool closing_ = false;
  bool problem_information_ = true;  // v5 Request Problem Information (reason strings on acks)
  bool ended_ = false;
  bool sending_ = false;  // deliveries wait for their packet ids' commit (send_after_commit)
};

}  // namespace gridmq::session
