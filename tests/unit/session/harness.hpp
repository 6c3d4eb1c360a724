#pragma once
// A ConnectionHandler driven by hand: a fake Peer, an injected clock and packet helpers built on
// the codec (the codec has its own tests; these test the session logic above it).

#include <memory>
#include <string>
#include <vector>

#include "auth/acl.hpp"
#include "config/broker_config.hpp"
#include "protocol/codec.hpp"
#include "session/broker_core.hpp"
#include "session/connection_handler.hpp"

namespace gridmq::session::test {

struct FakePeer : Peer, std::enable_shared_from_this<FakePeer> {
  int wakes = 0;
  std::vector<protocol::ReasonCode> kicks;
  void wake() override { ++wakes; }
  void kick(protocol::ReasonCode rc) override { kicks.push_back(rc); }
  std::shared_ptr<Peer> shared_peer() override { return shared_from_this(); }
  /// Deferred work (acks after a commit) runs when the test collects output, as a worker would
  /// run it after the current packet.
  void run_on_worker(std::function<void()> fn) override { deferred.push_back(std::move(fn)); }
  void run_deferred() {
    while (!deferred.empty()) {
      auto fns = std::move(deferred);
      deferred.clear();
      for (auto& f : fns) f();
    }
  }
  std::vector<std::function<void()>> deferred;
};

/// One simulated client connection.
class Client {
 public:
  Client(BrokerCore& core, Clock::time_point now, protocol::Version v = protocol::Version::kV5)
      : peer_(std::make_shared<FakePeer>()), handler_(core, *peer_, now), version_(v) {}

  void send(const protocol::Packet& p, Clock::time_point now) {
    std::string bytes;
    protocol::encode(p, version_, bytes);
    handler_.on_packet(
        protocol::Bytes(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), now);
  }

  /// Decodes and removes everything the handler wrote so far.
  std::vector<protocol::Packet> received() {
    peer_->run_deferred();
    std::vector<protocol::Packet> out = std::move(backlog_);
    backlog_.clear();
    std::string& buf = handler_.out();
    std::size_t pos = 0;
    while (pos < buf.size()) {
      protocol::Bytes rest(reinterpret_cast<const std::uint8_t*>(buf.data()) + pos,
                           buf.size() - pos);
      auto h = protocol::parse_fixed_header(rest);
      if (!h || !*h) break;
      auto p = protocol::decode_packet(rest.first((*h)->total_length()), version_);
      if (p) out.push_back(std::move(*p));
      pos += (*h)->total_length();
    }
    buf.clear();
    return out;
  }

  protocol::Connack connect(const std::string& id, Clock::time_point now, bool clean = true,
                            protocol::Properties props = {}, std::uint16_t keepalive = 0,
                            std::optional<protocol::Will> will = std::nullopt) {
    protocol::Connect c;
    c.version = version_;
    c.client_id = id;
    c.clean_start = clean;
    c.keep_alive = keepalive;
    c.props = std::move(props);
    c.will = std::move(will);
    send(c, now);
    auto got = received();
    if (got.empty() || !std::holds_alternative<protocol::Connack>(got.front())) return {};
    auto ack = std::get<protocol::Connack>(got.front());
    backlog_.assign(std::make_move_iterator(got.begin() + 1), std::make_move_iterator(got.end()));
    return ack;
  }

  void subscribe(const std::string& filter, std::uint8_t qos, Clock::time_point now,
                 std::uint32_t sub_id = 0) {
    protocol::Subscribe s;
    s.packet_id = 1;
    s.entries.push_back({filter, qos, false, false, 0});
    if (sub_id) s.props.subscription_identifiers.push_back(sub_id);
    send(s, now);
  }

  void publish(const std::string& topic, const std::string& payload, std::uint8_t qos,
               std::uint16_t id, Clock::time_point now, protocol::Properties props = {}) {
    protocol::Publish p;
    p.topic = topic;
    p.payload = payload;
    p.qos = qos;
    p.packet_id = qos ? id : 0;
    p.props = std::move(props);
    send(p, now);
  }

  ConnectionHandler& handler() { return handler_; }
  FakePeer& peer() { return *peer_; }

 private:
  std::shared_ptr<FakePeer> peer_;
  ConnectionHandler handler_;
  protocol::Version version_;
  std::vector<protocol::Packet> backlog_;  // decoded after a CONNACK, not yet returned
};

template <class T>
std::vector<T> only(const std::vector<protocol::Packet>& ps) {
  std::vector<T> out;
  for (const auto& p : ps) {
    if (auto* x = std::get_if<T>(&p)) out.push_back(*x);
  }
  return out;
}

}  // namespace gridmq::session::test
