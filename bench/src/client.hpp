#pragma once
// A small asynchronous MQTT client for load generation (3.1.1 and 5.0, QoS 0/1).
//
// Many clients share one io_context; each client lives on exactly one context, so its handlers
// never run concurrently. Packets go through the gridmq codec. Writes are coalesced: everything
// queued during one handler goes out in a single write. QoS 1 publishes use a bounded in-flight
// window whose slots double as packet ids (slot i <-> id i+1), each remembering the caller's send
// stamp so PUBACK latency needs no map.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "protocol/packet.hpp"

namespace gridmq::bench {

struct ClientConfig {
  std::string client_id;
  protocol::Version version = protocol::Version::kV311;
  std::uint16_t keep_alive_s = 60;
  boost::asio::ip::tcp::endpoint broker;
  std::optional<boost::asio::ip::address> source;  // local address to connect from
  std::uint16_t max_inflight = 16;                 // QoS 1 window (capped by server Receive Max)
  bool clean_start = true;             // false: persistent session (3.1.1 clean session = 0)
  std::uint32_t session_expiry_s = 0;  // v5 Session Expiry Interval when clean_start is false
};

struct ClientHandlers {
  /// Once: CONNACK accepted (ec empty), or the connect failed (ec set, or a refusal `reason`).
  std::function<void(const boost::system::error_code& ec, protocol::ReasonCode reason)> on_connect;
  /// Every PUBLISH received (a QoS 1 one is acknowledged by the client itself).
  std::function<void(const protocol::Publish& p)> on_message;
  /// A QoS 1 publish was acknowledged; `stamp` is what the caller passed to publish().
  std::function<void(std::uint64_t stamp, protocol::ReasonCode reason)> on_puback;
  /// SUBACK for subscribe().
  std::function<void(const protocol::Suback& s)> on_suback;
  /// The connection ended after a successful connect (not called for close() / disconnect()).
  std::function<void(const boost::system::error_code& ec)> on_lost;
};

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(boost::asio::io_context& io, ClientConfig cfg, ClientHandlers handlers);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  /// TCP connect, CONNECT, wait for CONNACK. Must be called on the client's context thread (or
  /// before the context runs).
  void start();

  void subscribe(std::string_view filter, std::uint8_t qos);

  /// Queues a PUBLISH. For QoS 1 returns false (and sends nothing) when the window is full.
  bool publish(std::string_view topic, std::string_view payload, std::uint8_t qos,
               std::uint64_t stamp);

  /// Sends DISCONNECT and closes once it is written.
  void disconnect();
  /// Closes the socket now.
  void close();
  /// Cuts the connection abruptly: no DISCONNECT, and a TCP reset (SO_LINGER 0) instead of a FIN,
  /// so the broker sees the connection die as it would on a crash. on_lost is not called.
  void abort();

  bool connected() const { return state_ == State::kConnected; }
  /// CONNACK's session-present flag (valid once connected).
  bool session_present() const { return session_present_; }
  std::size_t inflight() const { return inflight_; }
  std::size_t window() const { return slots_.size(); }
  boost::asio::io_context& io() { return io_; }

 private:
  enum class State { kIdle, kConnecting, kConnected, kClosing, kClosed };
  struct Slot {
    std::uint64_t stamp = 0;
    bool used = false;
  };

  void send_connect();
  void read();
  void on_read(std::size_t n);
  bool dispatch(const std::uint8_t* data, std::size_t len);
  void queue_flush();
  void flush();
  void arm_keepalive();
  void fail(const boost::system::error_code& ec);
  void finish_connect(const boost::system::error_code& ec, protocol::ReasonCode reason);

  boost::asio::io_context& io_;
  ClientConfig cfg_;
  ClientHandlers h_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer keepalive_;
  State state_ = State::kIdle;

  std::vector<std::uint8_t> in_;
  std::size_t in_len_ = 0;
  std::string out_;      // queued, not yet handed to the socket
  std::string writing_;  // being written
  bool flush_posted_ = false;
  bool writing_now_ = false;
  bool close_after_write_ = false;
  std::uint64_t last_send_ns_ = 0;

  std::vector<Slot> slots_;
  std::vector<std::uint16_t> free_slots_;
  std::size_t inflight_ = 0;
  std::uint16_t next_sub_id_ = 1;
  bool connect_reported_ = false;
  bool session_present_ = false;
};

/// Steady-clock now in nanoseconds (the clock stamped into payloads).
std::uint64_t now_ns();

}  // namespace gridmq::bench
